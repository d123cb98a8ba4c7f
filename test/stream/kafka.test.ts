import { spawn } from 'node:child_process';
import { Partitioners, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { DLQ_HEADERS } from '../../src/stream/kafka-consumer.js';
import { collect as collectFrom, kafkaEnv as kafkaEnvFor, kafkaOn, uid } from '../support/kafka.js';
import { freePort, startRedis, type RedisServer } from '../support/servers.js';
import { checkout, get, startTestService, subscribe, until } from '../support/service.js';

const kafka = () => kafkaOn(inject('kafkaBrokers'));
const kafkaEnv = (id: string) => kafkaEnvFor(inject('kafkaBrokers'), id);
const collect = (topic: string) => collectFrom(inject('kafkaBrokers'), topic);

function purchase(customerId: string, amount: number, id = `p-${uid()}`) {
  return { id, type: 'purchase', customerId, time: new Date().toISOString(), data: { amount } };
}

async function produce(
  p: Producer,
  topic: string,
  values: Array<unknown | string>,
  key = (v: unknown) => (v as { customerId?: string })?.customerId ?? 'x',
) {
  await p.send({
    topic,
    messages: values.map((v) => ({
      key: typeof v === 'string' ? 'garbage' : key(v),
      value: typeof v === 'string' ? v : JSON.stringify(v),
    })),
  });
}

describe('Kafka stream processing', () => {
  let producer: Producer;
  beforeAll(async () => {
    producer = kafka().producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect();
  });

  it('events → customer state; a trigger → a WebSocket push and a message on nbo.decisions; garbage → DLQ with headers; duplicates change nothing', async () => {
    const id = uid();
    const env = kafkaEnv(id);
    // topics exist before the consumers join (the mock broker has no CreateTopics)
    await produce(producer, env.NBO_KAFKA_DECISIONS_TOPIC, [{ customerId: 'warm-up' }]);
    await produce(producer, env.NBO_KAFKA_DLQ_TOPIC, [{ customerId: 'warm-up' }]);
    const svc = await startTestService(env);
    const decisions = await collect(env.NBO_KAFKA_DECISIONS_TOPIC);
    const dlq = await collect(env.NBO_KAFKA_DLQ_TOPIC);
    const ws = subscribe(`${svc.ws}/v1/stream?channel=pos&customerId=c-k1`);
    await ws.opened;

    const p1 = purchase('c-k1', 30);
    const trigger = checkout('c-k1');
    await produce(producer, env.NBO_KAFKA_EVENTS_TOPIC, [
      p1,
      purchase('c-k1', 12.5),
      trigger,
      p1,
      'not json {',
      { id: 'x', type: 'checkout', customerId: 'c-k1', time: 'yesterday' },
    ]);

    await until(() => ws.messages.length === 1 && decisions.got.length >= 2 && dlq.got.length >= 3, 15_000);
    const state = await get(`${svc.url}/v1/customers/c-k1`);
    expect(state.body.agg).toMatchObject({ spend_30d: 42.5, purchases_365d: 2, visits_7d: 1 });
    expect(ws.messages[0]).toMatchObject({
      type: 'decision',
      customerId: 'c-k1',
      channel: 'pos',
      trigger: 'checkout',
      eventId: trigger.id,
    });
    const produced = decisions.got.find((d) => d.key === 'c-k1')!;
    expect(JSON.parse(produced.value)).toMatchObject({
      decisionId: ws.messages[0].decisionId,
      eventId: trigger.id,
      customerId: 'c-k1',
      channel: 'pos',
      rulesVersion: expect.any(String),
      offers: expect.any(Array),
    });

    const dead = dlq.got.filter((d) => d.headers[DLQ_HEADERS.code]);
    expect(dead).toHaveLength(2);
    const notJson = dead.find((d) => d.value === 'not json {')!;
    expect(notJson.headers).toMatchObject({
      [DLQ_HEADERS.code]: 'NBO_ERR_EVENT_INVALID',
      [DLQ_HEADERS.topic]: env.NBO_KAFKA_EVENTS_TOPIC,
    });
    expect(notJson.headers[DLQ_HEADERS.message]).toContain('not a JSON event');
    expect(Number(notJson.headers[DLQ_HEADERS.offset])).toBeGreaterThanOrEqual(0);
    const invalid = dead.find((d) => d.value.includes('yesterday'))!;
    expect(invalid.headers[DLQ_HEADERS.message]).toContain('$.time must be an ISO-8601 time');

    const m = (await get(`${svc.url}/metrics`)).body as string;
    expect(m).toMatch(/nbo_kafka_messages_total\{result="dlq"\} 2/);
    expect(m).toMatch(/nbo_kafka_messages_total\{result="duplicate"\} 1/);
    expect((await get(`${svc.url}/readyz`)).body.checks.kafka).toMatchObject({ ok: true });

    // the same events delivered again change nothing
    await produce(producer, env.NBO_KAFKA_EVENTS_TOPIC, [p1, trigger]);
    const deadline = Date.now() + 10_000;
    while (
      !/nbo_kafka_messages_total\{result="duplicate"\} 3/.test((await get(`${svc.url}/metrics`)).body as string) &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await get(`${svc.url}/v1/customers/c-k1`)).body.agg).toMatchObject({ spend_30d: 42.5, visits_7d: 1 });
    expect(ws.messages).toHaveLength(1);

    ws.ws.close();
    await Promise.all([decisions.stop(), dlq.stop()]);
    await svc.stop();
  });

  describe('while Redis is down', () => {
    let redis: RedisServer;
    beforeAll(async () => {
      // with an append-only file, so a restart keeps what was applied
      redis = await startRedis(['--appendonly', 'yes', '--appendfsync', 'always']);
    });
    afterAll(async () => {
      await redis.stop();
    });

    it('pauses every partition in flight, commits nothing, reports not ready, and resumes by itself: every event applied exactly once', async () => {
      // customers spread over the topic's partitions, consumed concurrently (the default)
      const env = {
        ...kafkaEnv(uid()),
        NBO_REDIS_URL: redis.url,
        NBO_REDIS_PREFIX: `t${uid()}`,
        NBO_REDIS_TIMEOUT_MS: '200',
        NBO_DECIDE_TIMEOUT_MS: '100',
      };
      const svc = await startTestService(env);
      const customers = Array.from({ length: 8 }, (_, i) => `c-down-${i}`);
      const before = Array.from({ length: 40 }, (_, i) => purchase(customers[i % 8]!, i + 1));
      await produce(producer, env.NBO_KAFKA_EVENTS_TOPIC, before);
      const spend = async () => {
        let total = 0;
        for (const c of customers) total += (await get(`${svc.url}/v1/customers/${c}`)).body.agg?.spend_30d ?? 0;
        return total;
      };
      const sum = (evs: typeof before) => evs.reduce((a, e) => a + e.data.amount, 0);
      const t0 = Date.now();
      while ((await spend()) !== sum(before) && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
      expect(await spend()).toBe(sum(before));
      const admin = kafka().admin();
      await admin.connect();
      const [offsets] = await admin.fetchOffsets({
        groupId: env.NBO_KAFKA_GROUP_ID,
        topics: [env.NBO_KAFKA_EVENTS_TOPIC],
      });
      expect(offsets!.partitions.filter((p) => Number(p.offset) > 0).length).toBeGreaterThan(1);
      await admin.disconnect();

      await redis.stop();
      const during = Array.from({ length: 40 }, (_, i) => purchase(customers[i % 8]!, 100 + i));
      await produce(producer, env.NBO_KAFKA_EVENTS_TOPIC, during);
      let ready = (await get(`${svc.url}/readyz`)).body;
      for (let i = 0; i < 100 && ready.checks.kafka.ok; i++) {
        await new Promise((r) => setTimeout(r, 50));
        ready = (await get(`${svc.url}/readyz`)).body;
      }
      expect(ready.ready).toBe(false);
      expect(ready.checks.kafka.detail).toContain('store unavailable');

      await redis.start();
      const expected = sum(before) + sum(during);
      const t1 = Date.now();
      while ((await spend().catch(() => null)) !== expected && Date.now() - t1 < 15_000)
        await new Promise((r) => setTimeout(r, 100));
      expect(await spend()).toBe(expected);
      for (const c of customers) expect((await get(`${svc.url}/v1/customers/${c}`)).body.agg.purchases_365d).toBe(10);
      expect((await get(`${svc.url}/readyz`)).body.checks.kafka.ok).toBe(true);
      await svc.stop();
    });
  });

  it('a crash after applying and before committing double-counts nothing: redelivered events change no aggregate', async () => {
    const id = uid();
    const prefix = `t${uid()}`;
    const env = {
      ...process.env,
      ...kafkaEnv(id),
      NBO_REDIS_URL: inject('redisUrl'),
      NBO_REDIS_PREFIX: prefix,
      NBO_RULES_WATCH: 'false',
      NBO_LOG_LEVEL: 'silent',
    };
    const events = Array.from({ length: 25 }, (_, i) => purchase(`c-crash-${i % 5}`, i + 1));
    await produce(producer, env.NBO_KAFKA_EVENTS_TOPIC, events);

    const run = async (crash: boolean) => {
      const port = await freePort();
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/kafka-child.ts'], {
        env: { ...env, NBO_PORT: String(port), ...(crash ? { NBO_TEST_CRASH_AFTER_APPLY: '1' } : {}) },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exit = new Promise<NodeJS.Signals | number | null>((r) =>
        child.on('exit', (code, signal) => r(signal ?? code)),
      );
      return { child, exit, url: `http://127.0.0.1:${port}` };
    };
    const spendOf = async (url: string) => {
      let total = 0;
      for (let c = 0; c < 5; c++) total += (await get(`${url}/v1/customers/c-crash-${c}`)).body.agg.spend_30d;
      return total;
    };
    const expected = events.reduce((a, e) => a + e.data.amount, 0);

    const first = await run(true);
    expect(await first.exit).toBe('SIGKILL');
    // it killed itself after applying, before committing
    const admin = kafka().admin();
    await admin.connect();
    const committed = await admin.fetchOffsets({
      groupId: env.NBO_KAFKA_GROUP_ID,
      topics: [env.NBO_KAFKA_EVENTS_TOPIC],
    });
    expect(committed[0]!.partitions.every((p) => p.offset === '-1')).toBe(true);

    const second = await run(false);
    const t0 = Date.now();
    let committedNow = committed;
    while (Date.now() - t0 < 30_000) {
      committedNow = await admin.fetchOffsets({
        groupId: env.NBO_KAFKA_GROUP_ID,
        topics: [env.NBO_KAFKA_EVENTS_TOPIC],
      });
      const total = committedNow[0]!.partitions.reduce((a, p) => a + Math.max(0, Number(p.offset)), 0);
      if (total >= 25) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(committedNow[0]!.partitions.reduce((a, p) => a + Math.max(0, Number(p.offset)), 0)).toBe(25);
    expect(await spendOf(second.url)).toBe(expected);
    const m = (await get(`${second.url}/metrics`)).body as string;
    expect(Number(/nbo_kafka_messages_total\{result="duplicate"\} (\d+)/.exec(m)?.[1] ?? 0)).toBeGreaterThan(0);
    second.child.kill('SIGTERM');
    expect(await second.exit).toBe(0);
    await admin.disconnect();
  }, 90_000);
});

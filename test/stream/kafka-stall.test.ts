import { Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { eventually, kafkaEnv, kafkaOn, metricsOf, metricValue, uid } from '../support/kafka.js';
import { startKafkaMock, type KafkaMock } from '../support/servers.js';
import { get, startTestService } from '../support/service.js';

const SESSION_TIMEOUT_MS = 6000;

describe('Kafka broker stall', () => {
  // a broker of its own: this test stops it
  let broker: KafkaMock;
  beforeAll(async () => {
    broker = await startKafkaMock();
  });
  afterAll(async () => {
    process.kill(broker.pid, 'SIGCONT');
    await broker.stop();
  });

  it('the broker stopped (SIGSTOP) past the session timeout and resumed: the consumer rejoins, /readyz is 503 naming it meanwhile, nothing is lost or applied twice', async () => {
    const id = uid();
    const env = {
      ...kafkaEnv(broker.brokers, id),
      NBO_KAFKA_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS),
      NBO_KAFKA_REQUEST_TIMEOUT_MS: '1000',
      NBO_REDIS_URL: inject('redisUrl'),
      NBO_REDIS_PREFIX: `t${id}`,
    };
    const producer = kafkaOn(broker.brokers).producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: true,
    });
    await producer.connect();
    const customers = Array.from({ length: 8 }, (_, i) => `c-stall-${i}`);
    const events = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => ({
        id: `s-${id}-${from + i}`,
        type: 'purchase',
        customerId: customers[(from + i) % 8]!,
        time: new Date().toISOString(),
        data: { amount: from + i + 1 },
      }));
    const send = (evs: ReturnType<typeof events>) =>
      producer.send({
        topic: env.NBO_KAFKA_EVENTS_TOPIC,
        messages: evs.map((e) => ({ key: e.customerId, value: JSON.stringify(e) })),
      });
    // the topic exists before the consumer joins (the mock broker has no CreateTopics)
    const before = events(0, 100);
    await send(before);

    const svc = await startTestService(env);
    const applied = async () => metricValue(await metricsOf(svc.url), 'nbo_kafka_messages_total{result="applied"}');
    expect(await eventually(async () => (await applied()) === 100, 30_000)).toBe(true);
    expect((await get(`${svc.url}/readyz`)).status).toBe(200);

    // readiness as a load balancer sees it, every 100 ms
    const seen: Array<{ at: number; status: number; kafka: { ok: boolean; detail?: string } }> = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const at = Date.now();
        const r = await get(`${svc.url}/readyz`);
        seen.push({ at, status: r.status, kafka: r.body.checks.kafka });
        await new Promise((res) => setTimeout(res, 100));
      }
    })();

    // events keep arriving before, during (the producer waits for the broker) and after the stall
    const sent: ReturnType<typeof events> = [];
    let feeding = true;
    const feeder = (async () => {
      for (let n = 100; feeding; n += 5) {
        const evs = events(n, 5);
        await send(evs);
        sent.push(...evs);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await new Promise((r) => setTimeout(r, 1000));
    process.kill(broker.pid, 'SIGSTOP');
    const stoppedAt = Date.now();
    await new Promise((r) => setTimeout(r, SESSION_TIMEOUT_MS + 3000));
    const resumedAt = Date.now();
    process.kill(broker.pid, 'SIGCONT');
    await new Promise((r) => setTimeout(r, 1000));
    feeding = false;
    await feeder;
    const after = sent;
    const total = before.length + after.length;

    const expected = [...before, ...after].reduce((a, e) => a + e.data.amount, 0);
    const spend = async () => {
      let total = 0;
      for (const c of customers) total += (await get(`${svc.url}/v1/customers/${c}`)).body.agg.spend_30d;
      return total;
    };
    expect(
      await eventually(
        async () => (await applied()) >= total && (await get(`${svc.url}/readyz`)).status === 200,
        60_000,
      ),
    ).toBe(true);
    polling = false;
    await poller;

    // nothing lost, nothing applied twice
    expect(await spend()).toBe(expected);
    for (const c of customers) {
      const count = [...before, ...after].filter((e) => e.customerId === c).length;
      expect((await get(`${svc.url}/v1/customers/${c}`)).body.agg.purchases_365d).toBe(count);
    }
    const m = await metricsOf(svc.url);
    expect(metricValue(m, 'nbo_kafka_messages_total{result="applied"}')).toBe(total);
    expect(metricValue(m, 'nbo_kafka_consumer_running')).toBe(1);
    // it rejoined the group: the first join, and at least one after the session expired
    expect(metricValue(m, 'nbo_kafka_rebalances_total')).toBeGreaterThanOrEqual(2);

    // not ready while it was not consuming, naming the consumer; ready again after
    const down = seen.filter((s) => s.status === 503);
    expect(down.length).toBeGreaterThan(0);
    for (const s of down)
      expect(s.kafka).toMatchObject({
        ok: false,
        detail: expect.stringContaining(`kafka consumer (group "${env.NBO_KAFKA_GROUP_ID}"`),
      });
    // while the broker was stopped (from half the session timeout on, plus a second's slack): not consuming, stalled (or crashed, had its retries run out)
    const stalled = seen.filter((s) => s.at > stoppedAt + SESSION_TIMEOUT_MS / 2 + 1000 && s.at < resumedAt);
    expect(stalled.length).toBeGreaterThan(0);
    for (const s of stalled)
      expect(s).toMatchObject({
        status: 503,
        kafka: {
          ok: false,
          detail: expect.stringMatching(
            /^kafka consumer \(group "[^"]+", topic "[^"]+"\) not consuming: (no fetch, heartbeat or batch answered for|crashed)/,
          ),
        },
      });
    expect(stalled.some((s) => s.kafka.detail!.includes('no fetch, heartbeat or batch answered for'))).toBe(true);
    const lastDown = seen.findLastIndex((s) => s.status === 503);
    expect(
      seen.slice(lastDown + 1).some((s) => s.status === 200) || (await get(`${svc.url}/readyz`)).status === 200,
    ).toBe(true);

    await producer.disconnect();
    await svc.stop();
  }, 120_000);
});

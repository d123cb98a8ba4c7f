import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import { DLQ_HEADERS } from '../../src/stream/kafka-consumer.js';
import { get, startTestService, until } from '../support/service.js';

const kafka = () => new Kafka({ brokers: inject('kafkaBrokers'), clientId: 'test', logLevel: logLevel.NOTHING });
const uid = () => randomBytes(4).toString('hex');

describe('Kafka events are held to the same input limits as HTTP, one event at a time', () => {
  it('Redis mode: a profile nested 10,000 deep, one with a lone surrogate key and a message nested 400,000 deep go to the DLQ naming the path; the events around them are applied', async () => {
    const id = uid();
    const topics = { events: `events-${id}`, decisions: `decisions-${id}`, dlq: `dlq-${id}` };
    const producer = kafka().producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: true,
    });
    await producer.connect();
    // topics exist before the consumers join (the mock broker has no CreateTopics)
    for (const t of [topics.decisions, topics.dlq])
      await producer.send({ topic: t, messages: [{ key: 'warm-up', value: '{}' }] });
    const svc = await startTestService({
      NBO_REDIS_URL: inject('redisUrl'),
      NBO_REDIS_PREFIX: `t${id}`,
      NBO_KAFKA_BROKERS: inject('kafkaBrokers').join(','),
      NBO_KAFKA_EVENTS_TOPIC: topics.events,
      NBO_KAFKA_DECISIONS_TOPIC: topics.decisions,
      NBO_KAFKA_DLQ_TOPIC: topics.dlq,
      NBO_KAFKA_GROUP_ID: `nbo-${id}`,
      NBO_KAFKA_FETCH_MAX_WAIT_MS: '20',
      NBO_KAFKA_SESSION_TIMEOUT_MS: '6000',
    });
    const reader = kafka().consumer({ groupId: `reader-${id}`, maxWaitTimeInMs: 20 });
    await reader.connect();
    await reader.subscribe({ topic: topics.dlq, fromBeginning: true });
    const dead: Array<{ value: string; headers: Record<string, string> }> = [];
    await reader.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        if (headers[DLQ_HEADERS.code]) dead.push({ value: message.value?.toString() ?? '', headers });
      },
    });
    try {
      const c = `k-${id}`; // one key: one partition, so the poison sits between the valid events
      const time = new Date().toISOString();
      const purchase = (n: number) =>
        JSON.stringify({ id: `p${n}-${id}`, type: 'purchase', customerId: c, time, data: { amount: n } });
      const deep = `{"id":"deep-${id}","type":"profile","customerId":"${c}","time":"${time}","data":{"x":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}}`;
      const lone = `{"id":"lone-${id}","type":"profile","customerId":"${c}","time":"${time}","data":{"bad\\udc00":1}}`;
      const unparseable = `{"id":"x","data":${'['.repeat(400_000)}${']'.repeat(400_000)}}`;
      await producer.send({
        topic: topics.events,
        messages: [purchase(1), deep, purchase(2), lone, unparseable, purchase(4)].map((value) => ({ key: c, value })),
      });

      await until(() => dead.length >= 3, 15_000);
      expect(dead.map((d) => d.headers[DLQ_HEADERS.code])).toEqual([
        'NBO_ERR_EVENT_INVALID',
        'NBO_ERR_EVENT_INVALID',
        'NBO_ERR_EVENT_INVALID',
      ]);
      const message = (start: string) => dead.find((d) => d.value.startsWith(start))!.headers[DLQ_HEADERS.message];
      expect(message(`{"id":"deep-`)).toMatch(/^\$\.data\.x(\.a)+ is nested deeper than 32 levels$/);
      expect(message(`{"id":"lone-`)).toBe(
        '$.data["bad\\udc00"] is a key holding a lone UTF-16 surrogate (not valid Unicode)',
      );
      expect(message('{"id":"x"')).toBe('not a JSON event: nested deeper than 20000 levels');
      let state = await get(`${svc.url}/v1/customers/${c}`);
      const deadline = Date.now() + 10_000;
      while (state.body.agg?.purchases_365d !== 3 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        state = await get(`${svc.url}/v1/customers/${c}`);
      }
      expect(state.status).toBe(200);
      expect(state.body.agg).toMatchObject({ spend_30d: 7, purchases_365d: 3 });
      expect(state.body.profile).toEqual({});
    } finally {
      await reader.disconnect();
      await producer.disconnect();
      await svc.stop();
    }
  });
});

import { Partitioners, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { ERROR_CODES } from '../../src/errors/codes.js';
import { DLQ_HEADERS } from '../../src/stream/kafka-consumer.js';
import { collect, eventually, kafkaEnv, kafkaOn, metricsOf, metricValue, uid } from '../support/kafka.js';
import { get, startTestService } from '../support/service.js';

const brokers = () => inject('kafkaBrokers');

/** A profile event whose data nests `depth` levels deep, as raw JSON text. */
function deepProfile(customerId: string, depth: number): string {
  const nested = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  return `{"id":"poison-${uid()}","type":"profile","customerId":"${customerId}","time":"${new Date().toISOString()}","data":{"deep":${nested}}}`;
}

/** An offer_response whose decisionId is a lone UTF-16 surrogate (a JSON escape: no UTF-8 can carry it). */
function loneSurrogateResponse(customerId: string): string {
  return `{"id":"poison-${uid()}","type":"offer_response","customerId":"${customerId}","time":"${new Date().toISOString()}","data":{"decisionId":"\\ud800","offerId":"pastry-with-coffee","outcome":"accepted"}}`;
}

const POISONS: Array<[string, (customerId: string) => string]> = [
  ['a profile whose data nests 10,000 levels deep', (c) => deepProfile(c, 10_000)],
  ['an offer_response whose decisionId is a lone surrogate', loneSurrogateResponse],
];

describe('Kafka poison messages', () => {
  let producer: Producer;
  beforeAll(async () => {
    producer = kafkaOn(brokers()).producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: true,
    });
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect();
  });

  it.each(POISONS)(
    '%s, in the middle of 200 valid events on the same key: every valid event applied exactly once, the poison in the DLQ with its provenance',
    async (_name, poison) => {
      const id = uid();
      const env = { ...kafkaEnv(brokers(), id), NBO_REDIS_URL: inject('redisUrl'), NBO_REDIS_PREFIX: `t${id}` };
      const customer = `c-poison-${id}`;
      // the DLQ topic exists before the consumers join (the mock broker has no CreateTopics)
      await producer.send({ topic: env.NBO_KAFKA_DLQ_TOPIC, messages: [{ key: 'warm-up', value: '{}' }] });
      const svc = await startTestService(env);
      const dlq = await collect(brokers(), env.NBO_KAFKA_DLQ_TOPIC);

      const amounts = Array.from({ length: 200 }, (_, i) => i + 1);
      const valid = amounts.map((amount) =>
        JSON.stringify({
          id: `p-${uid()}-${amount}`,
          type: 'purchase',
          customerId: customer,
          time: new Date().toISOString(),
          data: { amount },
        }),
      );
      const bad = poison(customer);
      const values = [...valid.slice(0, 100), bad, ...valid.slice(100)];
      const [meta] = await producer.send({
        topic: env.NBO_KAFKA_EVENTS_TOPIC,
        messages: values.map((value) => ({ key: customer, value })),
      });
      const poisonOffset = String(Number(meta!.baseOffset) + 100);

      const expected = amounts.reduce((a, b) => a + b, 0);
      const applied = async () => metricValue(await metricsOf(svc.url), 'nbo_kafka_messages_total{result="applied"}');
      await eventually(
        async () => (await applied()) >= 200 && dlq.got.some((d) => d.headers[DLQ_HEADERS.code]),
        30_000,
      );
      const state = (await get(`${svc.url}/v1/customers/${customer}`)).body;
      expect(state.agg).toMatchObject({ spend_30d: expected, purchases_365d: 200 });
      expect(await applied()).toBe(200);

      const dead = dlq.got.filter((d) => d.headers[DLQ_HEADERS.code]);
      expect(dead).toHaveLength(1);
      expect(dead[0]!.value).toBe(bad);
      expect(dead[0]!.key).toBe(customer);
      const code = dead[0]!.headers[DLQ_HEADERS.code]!;
      expect(Object.keys(ERROR_CODES)).toContain(code);
      expect(ERROR_CODES[code as keyof typeof ERROR_CODES].retriable).toBe(false);
      expect(dead[0]!.headers[DLQ_HEADERS.message]!.length).toBeGreaterThan(0);
      expect(dead[0]!.headers).toMatchObject({
        [DLQ_HEADERS.topic]: env.NBO_KAFKA_EVENTS_TOPIC,
        [DLQ_HEADERS.partition]: String(meta!.partition),
        [DLQ_HEADERS.offset]: poisonOffset,
      });

      // the partition moved on: everything is committed, and the consumer never crashed
      const admin = kafkaOn(brokers()).admin();
      await admin.connect();
      const committed = async () =>
        (
          await admin.fetchOffsets({ groupId: env.NBO_KAFKA_GROUP_ID, topics: [env.NBO_KAFKA_EVENTS_TOPIC] })
        )[0]!.partitions.find((p) => p.partition === meta!.partition)!.offset;
      await eventually(async () => (await committed()) === String(Number(meta!.baseOffset) + 201), 5000);
      expect(await committed()).toBe(String(Number(meta!.baseOffset) + 201));
      await admin.disconnect();
      const m = await metricsOf(svc.url);
      expect(metricValue(m, 'nbo_kafka_messages_total{result="dlq"}')).toBe(1);
      expect(metricValue(m, 'nbo_kafka_consumer_restarts_total')).toBe(0);
      expect(metricValue(m, 'nbo_kafka_consumer_running')).toBe(1);
      const ready = await get(`${svc.url}/readyz`);
      expect(ready.status).toBe(200);

      await dlq.stop();
      await svc.stop();
    },
    60_000,
  );
});

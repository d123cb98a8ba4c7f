import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { eventually, kafkaEnv, kafkaOn, metricsOf, metricValue, uid } from '../support/kafka.js';
import { get, startTestService } from '../support/service.js';

const brokers = () => inject('kafkaBrokers');

describe('Kafka consumer restarts', () => {
  it('a crash that is not about a message (failing twice between apply and commit) restarts the consumer with backoff: /readyz 503 naming it meanwhile, 2 restarts counted, every event applied exactly once', async () => {
    const id = uid();
    const env = { ...kafkaEnv(brokers(), id), NBO_REDIS_URL: inject('redisUrl'), NBO_REDIS_PREFIX: `t${id}` };
    const producer = kafkaOn(brokers()).producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: true,
    });
    await producer.connect();
    const customer = `c-restart-${id}`;
    const events = Array.from({ length: 50 }, (_, i) => ({
      id: `r-${id}-${i}`,
      type: 'purchase',
      customerId: customer,
      time: new Date().toISOString(),
      data: { amount: i + 1 },
    }));
    await producer.send({
      topic: env.NBO_KAFKA_EVENTS_TOPIC,
      messages: events.map((e) => ({ key: customer, value: JSON.stringify(e) })),
    });

    // the first two batches fail after they are applied and before they are committed, as a lost broker connection would
    let failures = 2;
    const svc = await startTestService(env, {
      kafka: {
        afterApply() {
          if (failures > 0) {
            failures--;
            throw new Error('connection to the broker lost');
          }
        },
      },
    });

    const seen: Array<{ status: number; detail: string }> = [];
    const applied = async () => metricValue(await metricsOf(svc.url), 'nbo_kafka_messages_total{result="applied"}');
    const committed = async () => {
      const admin = kafkaOn(brokers()).admin();
      await admin.connect();
      const [t] = await admin.fetchOffsets({ groupId: env.NBO_KAFKA_GROUP_ID, topics: [env.NBO_KAFKA_EVENTS_TOPIC] });
      await admin.disconnect();
      return t!.partitions.reduce((a, p) => a + Math.max(0, Number(p.offset)), 0);
    };
    const done = await eventually(async () => {
      const r = await get(`${svc.url}/readyz`);
      seen.push({ status: r.status, detail: r.body.checks.kafka.detail });
      return failures === 0 && r.status === 200 && (await committed()) === 50;
    }, 30_000);
    expect(done).toBe(true);

    const state = (await get(`${svc.url}/v1/customers/${customer}`)).body;
    expect(state.agg).toMatchObject({ spend_30d: (50 * 51) / 2, purchases_365d: 50 });
    const m = await metricsOf(svc.url);
    expect(metricValue(m, 'nbo_kafka_consumer_restarts_total')).toBe(2);
    expect(metricValue(m, 'nbo_kafka_consumer_running')).toBe(1);
    // applied once; the two redeliveries were recognised as duplicates
    expect(await applied()).toBe(50);
    expect(metricValue(m, 'nbo_kafka_messages_total{result="duplicate"}')).toBeGreaterThanOrEqual(2);
    const crashed = seen.filter((s) => s.status === 503);
    expect(crashed.length).toBeGreaterThan(0);
    expect(
      crashed.some((s) =>
        s.detail.includes(
          `kafka consumer (group "${env.NBO_KAFKA_GROUP_ID}", topic "${env.NBO_KAFKA_EVENTS_TOPIC}") not consuming: crashed (Error: connection to the broker lost); restart `,
        ),
      ),
    ).toBe(true);

    await producer.disconnect();
    await svc.stop();
  }, 60_000);
});

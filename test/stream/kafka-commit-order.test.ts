import { randomBytes } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import type { StreamDecision } from '../../src/flow/decision-sink.js';
import { kafkaEnv, kafkaOn } from '../support/kafka.js';
import { checkout, startTestService } from '../support/service.js';

const kafka = () => kafkaOn(inject('kafkaBrokers'));

describe('Kafka offsets and decisions', () => {
  it("commits a trigger event's offset only after its decision has been handed to every sink", async () => {
    const id = randomBytes(4).toString('hex');
    const env = kafkaEnv(inject('kafkaBrokers'), id);
    const producer = kafka().producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: true,
    });
    await producer.connect();
    // topics exist before the consumers join (the mock broker has no CreateTopics)
    for (const t of [env.NBO_KAFKA_DECISIONS_TOPIC, env.NBO_KAFKA_DLQ_TOPIC])
      await producer.send({ topic: t, messages: [{ key: 'w', value: '{}' }] });
    const published: StreamDecision[] = [];
    // a sink slower than the rest of the batch: a commit that does not wait for it runs ahead
    const slow = {
      publish: (d: StreamDecision) =>
        new Promise<void>((r) =>
          setTimeout(() => {
            published.push(d);
            r();
          }, 300),
        ),
    };
    const svc = await startTestService(env, { sinks: [slow] });
    const admin = kafka().admin();
    await admin.connect();
    try {
      const triggers = Array.from({ length: 5 }, (_, i) => checkout(`order-c${i}`));
      await producer.send({
        topic: env.NBO_KAFKA_EVENTS_TOPIC,
        messages: triggers.map((t) => ({ key: 'one-partition', value: JSON.stringify(t) })),
      });

      // watch the group's committed offsets; whenever they move, every decision before them must be out
      let committed = 0;
      const deadline = Date.now() + 15_000;
      while (committed < triggers.length && Date.now() < deadline) {
        const offsets = await admin.fetchOffsets({
          groupId: env.NBO_KAFKA_GROUP_ID,
          topics: [env.NBO_KAFKA_EVENTS_TOPIC],
        });
        const now = offsets[0]!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
        if (now > committed) {
          expect(
            published.length,
            `offsets committed up to ${now} with ${published.length} decisions published`,
          ).toBeGreaterThanOrEqual(now);
          committed = now;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(committed).toBe(triggers.length);
      expect(published.map((d) => d.customerId).sort()).toEqual(triggers.map((t) => t.customerId).sort());
    } finally {
      await admin.disconnect();
      await producer.disconnect();
      await svc.stop();
    }
  });
});

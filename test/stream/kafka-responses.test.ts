import { randomBytes } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { describe, expect, it, inject } from 'vitest';
import { DLQ_HEADERS } from '../../src/stream/kafka-consumer.js';
import { kafkaEnv, kafkaOn } from '../support/kafka.js';
import { get, post, startTestService, until } from '../support/service.js';

const uid = () => randomBytes(4).toString('hex');

describe('Kafka — responses to decisions NBO never issued', () => {
  it('go to the DLQ with their code; the genuine one next to them counts', async () => {
    const id = uid();
    const env = kafkaEnv(inject('kafkaBrokers'), id);
    const kafka = kafkaOn(inject('kafkaBrokers'));
    const producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: true,
    });
    await producer.connect();
    // topics exist before the consumers join (the mock broker has no CreateTopics)
    for (const t of [env.NBO_KAFKA_DECISIONS_TOPIC, env.NBO_KAFKA_DLQ_TOPIC])
      await producer.send({ topic: t, messages: [{ key: 'x', value: '{}' }] });
    const svc = await startTestService(env); // the service builds the Kafka source and sinks from NBO_KAFKA_*
    const reader = kafka.consumer({ groupId: `reader-${id}`, maxWaitTimeInMs: 20 });
    await reader.connect();
    await reader.subscribe({ topic: env.NBO_KAFKA_DLQ_TOPIC, fromBeginning: true });
    const dead: Array<{ value: string; headers: Record<string, string> }> = [];
    await reader.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        if (headers[DLQ_HEADERS.code]) dead.push({ value: message.value?.toString() ?? '', headers });
      },
    });

    const d = await post(`${svc.url}/v1/decide`, {
      customerId: 'k-real',
      channel: 'pos',
      trigger: 'checkout',
      context: { basket: { total: 20 } },
    });
    const offerId = d.body.offers[0].offerId as string;
    const response = (customerId: string, decisionId: string, offer: string) => ({
      id: `r-${uid()}`,
      type: 'offer_response',
      customerId,
      time: new Date().toISOString(),
      data: { decisionId, offerId: offer, outcome: 'accepted' },
    });
    const events = [
      response('k-forger', 'made-up', offerId),
      response('k-real', d.body.decisionId, 'no-such-offer'),
      response('k-real', d.body.decisionId, offerId),
    ];
    await producer.send({
      topic: env.NBO_KAFKA_EVENTS_TOPIC,
      messages: events.map((e) => ({ key: e.customerId, value: JSON.stringify(e) })),
    });

    await until(() => dead.length >= 2, 15_000);
    expect(dead.map((x) => x.headers[DLQ_HEADERS.code]).sort()).toEqual([
      'NBO_ERR_RESPONSE_OFFER_MISMATCH',
      'NBO_ERR_RESPONSE_UNKNOWN_DECISION',
    ]);
    expect(dead.find((x) => x.value.includes('made-up'))!.headers[DLQ_HEADERS.message]).toContain('$.data.decisionId');
    let accepted = 0;
    for (let i = 0; i < 200 && accepted !== 1; i++) {
      accepted = (await get(`${svc.url}/v1/customers/k-real`)).body.offers[offerId]?.accepted ?? 0;
      if (accepted !== 1) await new Promise((r) => setTimeout(r, 50));
    }
    expect(accepted).toBe(1);
    expect((await get(`${svc.url}/v1/customers/k-forger`)).body.offers).toEqual({});

    await reader.disconnect();
    await producer.disconnect();
    await svc.stop();
  });
});

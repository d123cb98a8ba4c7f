import { Kafka, logLevel, Partitioners } from 'kafkajs';
import WebSocket from 'ws';
import { startTestService } from '../../test/support/service.js';
import { percentile, type Scenario } from '../lib/types.js';

/** Produce → WebSocket receipt latency of stream-triggered decisions, with a low fetch wait. */
export const scenario: Scenario = {
  name: 'kafka-to-ws',
  async run(ctx) {
    const id = `b${Date.now()}`;
    const topic = `events-${id}`;
    const kafka = new Kafka({ brokers: ctx.kafkaBrokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: true,
    });
    await producer.connect();
    await producer.send({ topic: `decisions-${id}`, messages: [{ key: 'w', value: '{}' }] });
    // the events topic exists before the consumer joins (the mock broker has no CreateTopics)
    await producer.send({ topic, messages: [{ key: 'w', value: 'warm-up' }] });
    const svc = await startTestService({
      NBO_KAFKA_BROKERS: ctx.kafkaBrokers.join(','),
      NBO_KAFKA_EVENTS_TOPIC: topic,
      NBO_KAFKA_DECISIONS_TOPIC: `decisions-${id}`,
      NBO_KAFKA_DLQ_TOPIC: `dlq-${id}`,
      NBO_KAFKA_GROUP_ID: `g-${id}`,
      NBO_KAFKA_FETCH_MAX_WAIT_MS: '5',
      NBO_KAFKA_SESSION_TIMEOUT_MS: '6000',
    });
    const ws = new WebSocket(`${svc.ws}/v1/stream?channel=pos`);
    await new Promise((r) => ws.once('open', r));
    const sent = new Map<string, number>();
    const lat: number[] = [];
    ws.on('message', (m) => {
      const d = JSON.parse(String(m)) as { eventId: string };
      const t = sent.get(d.eventId);
      if (t !== undefined) lat.push(performance.now() - t);
    });
    await new Promise((r) => setTimeout(r, 4000)); // the group has joined
    const n = ctx.quick ? 200 : 1000;
    for (let i = 0; i < n; i++) {
      const ev = {
        id: `k${i}`,
        type: 'checkout',
        customerId: `c${i % 100}`,
        channel: 'pos',
        time: new Date().toISOString(),
        data: { basket: { total: 10 } },
      };
      sent.set(ev.id, performance.now());
      await producer.send({ topic, messages: [{ key: ev.customerId, value: JSON.stringify(ev) }] });
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 1000));
    ws.close();
    await svc.stop();
    await producer.disconnect();
    lat.sort((a, b) => a - b);
    const p50 = percentile(lat, 0.5);
    const p99 = percentile(lat, 0.99);
    ctx.log(`  ${lat.length}/${n} received; p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`);
    const note = `${n} checkouts, one every 10 ms; fetch wait 5 ms; in-process store; ${n - lat.length} not received`;
    return [
      {
        name: 'kafka → WebSocket: p50',
        value: p50,
        unit: 'ms',
        baseline: null,
        baselineValue: null,
        ratio: null,
        budget: null,
        met: null,
        note,
      },
      {
        name: 'kafka → WebSocket: p99',
        value: p99,
        unit: 'ms',
        baseline: null,
        baselineValue: null,
        ratio: null,
        budget: 'p99 ≤ 25 ms',
        met: p99 <= 25 && lat.length === n,
        note,
      },
    ];
  },
};

import { randomBytes } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { inject } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/config/logger.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { createHttpEventSource } from '../../src/serve/http-events.js';
import { buildRoutes } from '../../src/serve/routes.js';
import { createHttpServer } from '../../src/serve/server.js';
import { createStreamHub } from '../../src/serve/stream-hub.js';
import { DEFAULT_LEARNING } from '../../src/decide/pipeline.js';
import { singlePolicyPlan } from '../../src/decide/policy.js';
import { DLQ_HEADERS } from '../../src/stream/kafka-consumer.js';
import { connectKafka } from '../../src/stream/kafka-service.js';
import { collect, kafkaEnv, kafkaOn } from '../support/kafka.js';
import { post } from '../support/service.js';
import { describeEventSourceContract } from './event-source-contract.js';

const uid = () => randomBytes(4).toString('hex');

describeEventSourceContract('POST /v1/events', async ({ config, store, decider, rules }) => {
  const source = createHttpEventSource();
  const metrics = createMetrics();
  const routes = buildRoutes({
    config,
    rules: () => rules,
    store,
    decider,
    ingestor: source,
    metrics,
    readiness: async () => ({ ready: true, checks: {} }),
    reloadRules: () => ({ ok: true, version: rules.version }),
    clock: Date.now,
    track: () => {},
    policies: singlePolicyPlan({ exploration: 'mean', segmentation: null, learning: DEFAULT_LEARNING }),
  }).filter((r) => r.name === 'events');
  const server = createHttpServer({
    routes,
    hub: createStreamHub(1 << 20),
    keys: null,
    metrics,
    bodyLimitBytes: config.bodyLimitBytes,
    ws: config.ws,
    onError: () => {},
  });
  const port = await server.listen('127.0.0.1', 0);
  const reported: Array<{ id: string; code: string }> = [];
  return {
    source,
    async send(events) {
      const res = await post(`http://127.0.0.1:${port}/v1/events`, events);
      for (const r of (res.body.rejected ?? []) as Array<{ index: number; code: string }>)
        reported.push({ id: (events[r.index] as { id: string }).id, code: r.code });
    },
    reported: () => reported,
    close: async () => server.close(),
  };
});

describeEventSourceContract('the events topic (Kafka)', async ({ store }) => {
  const brokers = inject('kafkaBrokers');
  const env = kafkaEnv(brokers, uid());
  const k = loadConfig({ ...env, NBO_LOG_LEVEL: 'silent' }).kafka!;
  const producer = kafkaOn(brokers).producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: true,
  });
  await producer.connect();
  // the topics exist before the consumers join (the mock broker has no CreateTopics)
  const warm = {
    id: `w-${uid()}`,
    type: 'purchase',
    customerId: 'warm-up',
    time: new Date().toISOString(),
    data: { amount: 1 },
  };
  for (const topic of [k.eventsTopic, k.dlqTopic])
    await producer.send({ topic, messages: [{ key: 'warm-up', value: JSON.stringify(warm) }] });
  const dlq = await collect(brokers, k.dlqTopic);
  const parts = await connectKafka(k, { store, metrics: createMetrics(), log: createLogger('silent') });
  return {
    source: parts.source,
    async send(events) {
      await producer.send({
        topic: k.eventsTopic,
        messages: events.map((e) => ({ key: (e as { customerId: string }).customerId, value: JSON.stringify(e) })),
      });
    },
    reported: () =>
      dlq.got
        .filter((m) => m.key !== 'warm-up')
        .map((m) => ({ id: (JSON.parse(m.value) as { id: string }).id, code: m.headers[DLQ_HEADERS.code]! })),
    async close() {
      await parts.close();
      await dlq.stop();
      await producer.disconnect();
    },
  };
});

import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/config/logger.js';
import type { StreamDecision } from '../../src/flow/decision-sink.js';
import { createMetrics, type Metrics } from '../../src/metrics/metrics.js';
import { localFanout, redisFanout, type Fanout } from '../../src/serve/fanout.js';
import { createHttpServer, type HttpServer } from '../../src/serve/server.js';
import { createStreamHub, type StreamHub } from '../../src/serve/stream-hub.js';
import { createMemoryStore } from '../../src/state/memory-store.js';
import { connectKafka } from '../../src/stream/kafka-service.js';
import { collect, kafkaEnv, kafkaOn } from '../support/kafka.js';
import { subscribe } from '../support/service.js';
import { describeDecisionSinkContract } from './decision-sink-contract.js';

const uid = () => randomBytes(4).toString('hex');

/** An instance's WebSocket side: a hub behind a real uWS server, and a subscriber to channel pos on it. */
async function instance(): Promise<{ hub: StreamHub; metrics: Metrics; received: StreamDecision[]; close(): void }> {
  const metrics = createMetrics();
  const hub = createStreamHub(1 << 20, metrics);
  const server: HttpServer = createHttpServer({
    routes: [],
    hub,
    keys: null,
    metrics,
    bodyLimitBytes: 1 << 20,
    ws: { maxBackpressureBytes: 1 << 20, idleTimeoutS: 60, maxPayloadBytes: 4096 },
    onError: () => {},
  });
  const port = await server.listen('127.0.0.1', 0);
  const sub = subscribe(`ws://127.0.0.1:${port}/v1/stream?channel=pos`);
  await sub.opened;
  await new Promise((r) => setTimeout(r, 50)); // the server has registered the socket with the hub
  return {
    hub,
    metrics,
    received: sub.messages as StreamDecision[],
    close() {
      sub.ws.close();
      server.close();
    },
  };
}

/** Runs `f` the first time only (a sink is closed once). */
const once = (f: () => Promise<void>) => {
  let p: Promise<void> | null = null;
  return () => (p ??= f());
};

const sentBy = async (m: Metrics) => (await m.wsMessagesSent.get()).values.reduce((a, v) => a + v.value, 0);

describeDecisionSinkContract('WebSocket hub, this instance (localFanout)', async () => {
  const one = await instance();
  const sink: Fanout = localFanout(one.hub);
  return {
    sink,
    received: () => [one.received],
    handedOff: () => sentBy(one.metrics),
    closeSink: () => sink.close(),
    close: async () => one.close(),
  };
});

describeDecisionSinkContract('WebSocket hubs across instances (redisFanout)', async () => {
  const prefix = `t${uid()}`;
  const redis = { url: inject('redisUrl'), cluster: null, prefix };
  const here = await instance();
  const there = await instance();
  const errors: unknown[] = [];
  const onError = (err: unknown) => void errors.push(err);
  const sink = await redisFanout(here.hub, redis, onError);
  const other = await redisFanout(there.hub, redis, onError);
  return {
    sink,
    // this instance's subscriber, and the other instance's through Redis
    received: () => [here.received, there.received],
    // handed off: sent to this instance's subscribers and queued on the Redis connection, in order
    handedOff: () => sentBy(here.metrics),
    closeSink: once(() => sink.close()),
    async close() {
      await new Promise((r) => setTimeout(r, 100)); // the other instance hears of nothing more
      await other.close();
      here.close();
      there.close();
      if (errors.length > 0) throw new Error(`the fan-out reported errors: ${errors.map(String).join('; ')}`);
    },
  };
});

describeDecisionSinkContract('the decisions topic (Kafka)', async () => {
  const brokers = inject('kafkaBrokers');
  const env = kafkaEnv(brokers, uid());
  const topic = env.NBO_KAFKA_DECISIONS_TOPIC;
  const config = loadConfig({ ...env, NBO_LOG_LEVEL: 'silent' });
  const parts = await connectKafka(config.kafka!, {
    store: createMemoryStore(),
    metrics: createMetrics(),
    log: createLogger('silent'),
  });
  const admin = kafkaOn(brokers).admin();
  await admin.connect();
  // the topic exists before the reader joins (the mock broker has no CreateTopics)
  const warm = kafkaOn(brokers).producer();
  await warm.connect();
  await warm.send({ topic, messages: [{ key: 'warm-up', value: '{}' }] });
  await warm.disconnect();
  const reader = await collect(brokers, topic);
  const high = async () => (await admin.fetchTopicOffsets(topic)).reduce((a, p) => a + Number(p.high), 0);
  return {
    sink: parts.decisions,
    received: () => [
      reader.got.flatMap((m) => {
        const d = JSON.parse(m.value) as StreamDecision;
        if (d.type !== 'decision') return [];
        if (m.key !== d.customerId) throw new Error(`decision ${d.decisionId} keyed ${m.key}, not by its customer`);
        return [d];
      }),
    ],
    handedOff: async () => (await high()) - 1,
    closeSink: once(() => parts.close()),
    async close() {
      await reader.stop();
      await admin.disconnect();
    },
  };
});

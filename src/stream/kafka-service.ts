import { Kafka, logLevel, Partitioners, type KafkaConfig, type SASLOptions } from 'kafkajs';
import type { Config } from '../config/config.js';
import type { Logger } from '../config/logger.js';
import type { DecisionSink } from '../flow/decision-sink.js';
import type { Service } from '../service/service.js';
import { createEventConsumer } from './kafka-consumer.js';

type KafkaSettings = NonNullable<Config['kafka']>;

/** A kafkajs client from NBO's settings: brokers, client id, TLS and SASL passed through. */
export function kafkaClient(k: KafkaSettings): Kafka {
  const cfg: KafkaConfig = { clientId: k.clientId, brokers: [...k.brokers], logLevel: logLevel.NOTHING, ssl: k.ssl, requestTimeout: k.requestTimeoutMs };
  if (k.sasl) cfg.sasl = { mechanism: k.sasl.mechanism, username: k.sasl.username, password: k.sasl.password } as SASLOptions;
  return new Kafka(cfg);
}

/**
 * Joins Kafka to a running service: consumes `nbo.events`, produces stream-triggered
 * decisions to `nbo.decisions` (key = customer id) and invalid events to the DLQ, polls
 * consumer lag, and reports readiness. The consumer stops (batch finished and committed,
 * group left) when the service drains.
 */
export async function startKafka(service: Service, config: Readonly<Config>, log: Logger, hooks: { afterApply?: () => void | Promise<void> } = {}): Promise<void> {
  const k = config.kafka;
  if (!k) return;
  const kafka = kafkaClient(k);
  // explicit partitioner: the Java client's murmur2, so keys land where other producers put them
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true, idempotent: false });
  await producer.connect();
  const decisions: DecisionSink = {
    async publish(d) {
      await producer.send({ topic: k.decisionsTopic, messages: [{ key: d.customerId, value: JSON.stringify(d) }] });
    },
  };
  service.addSink(decisions);
  // kafkajs restarts a crashed consumer only for some errors; NBO replaces it itself, for every crash
  const newConsumer = () =>
    kafka.consumer({
      groupId: k.groupId,
      maxWaitTimeInMs: k.fetchMaxWaitMs,
      sessionTimeout: k.sessionTimeoutMs,
      heartbeatInterval: Math.min(3000, Math.floor(k.sessionTimeoutMs / 6)),
      retry: { restartOnFailure: async () => false },
    });
  const ec = createEventConsumer({ newConsumer, producer, config: k, ingestor: service.ingestor, store: service.store, metrics: service.metrics, log, afterApply: hooks.afterApply });
  await ec.start();

  // lag: high watermark − committed offset, per partition
  const admin = kafka.admin();
  await admin.connect();
  const lagTimer = setInterval(() => {
    void Promise.all([admin.fetchTopicOffsets(k.eventsTopic), admin.fetchOffsets({ groupId: k.groupId, topics: [k.eventsTopic] })])
      .then(([high, committed]) => {
        const done = new Map(committed[0]?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
        for (const p of high) {
          const c = done.get(p.partition) ?? -1;
          service.metrics.kafkaLag.set({ partition: String(p.partition) }, Math.max(0, Number(p.high) - Math.max(c, Number(p.low))));
        }
      })
      .catch(() => {});
  }, 5000);
  lagTimer.unref();

  service.addPlugin({
    name: 'kafka',
    ready: ec.ready,
    async stop() {
      clearInterval(lagTimer);
      await ec.stop();
      await Promise.all([producer.disconnect(), admin.disconnect()]);
    },
  });
  log.info({ brokers: k.brokers, topic: k.eventsTopic, group: k.groupId }, 'consuming events from Kafka');
}

import { Kafka, logLevel, Partitioners, type Admin, type KafkaConfig, type Producer, type SASLOptions } from 'kafkajs';
import type { Config } from '../config/config.js';
import type { Logger } from '../config/logger.js';
import type { DecisionSink } from '../flow/decision-sink.js';
import type { EventSource } from '../flow/event-source.js';
import type { Metrics } from '../metrics/metrics.js';
import type { CustomerStateStore } from '../state/types.js';
import { createEventConsumer, type EventConsumer } from './kafka-consumer.js';

type KafkaSettings = NonNullable<Config['kafka']>;

/** A kafkajs client from NBO's settings: brokers, client id, TLS and SASL passed through. */
export function kafkaClient(k: KafkaSettings): Kafka {
  const cfg: KafkaConfig = {
    clientId: k.clientId,
    brokers: [...k.brokers],
    logLevel: logLevel.NOTHING,
    ssl: k.ssl,
    requestTimeout: k.requestTimeoutMs,
  };
  if (k.sasl)
    cfg.sasl = { mechanism: k.sasl.mechanism, username: k.sasl.username, password: k.sasl.password } as SASLOptions;
  return new Kafka(cfg);
}

export interface KafkaDeps {
  store: CustomerStateStore;
  metrics: Metrics;
  log: Logger;
  /** Called after a batch is applied and before its offsets are committed (crash tests). */
  afterApply?: () => void | Promise<void>;
}

/** What the service builds from NBO_KAFKA_*: the events topic as a source, the decisions topic as a sink. */
export interface KafkaParts {
  source: EventSource;
  decisions: DecisionSink;
  /** Disconnects the producer (DLQ and decisions): after the source stopped and the last decision was published. */
  close(): Promise<void>;
}

/**
 * Connects NBO's producer and returns the Kafka parts: the source consumes `nbo.events`
 * (invalid events to the DLQ, consumer lag polled, readiness reported; it stops with its
 * batch finished and committed and the group left), the sink produces stream-triggered
 * decisions to `nbo.decisions` (key = customer id).
 */
export async function connectKafka(k: KafkaSettings, deps: KafkaDeps): Promise<KafkaParts> {
  const kafka = kafkaClient(k);
  // explicit partitioner: the Java client's murmur2, so keys land where other producers put them
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: true,
    idempotent: false,
  });
  await producer.connect();
  return {
    source: kafkaEventSource(kafka, producer, k, deps),
    decisions: kafkaDecisionSink(producer, k.decisionsTopic),
    close: () => producer.disconnect(),
  };
}

/** The decisions topic: each decision keyed by its customer id; publish resolves once the broker acknowledged it. */
export function kafkaDecisionSink(producer: Producer, topic: string): DecisionSink {
  return {
    async publish(d) {
      await producer.send({ topic, messages: [{ key: d.customerId, value: JSON.stringify(d) }] });
    },
  };
}

/** The events topic: batches through the ingestor (batch-handler.ts), the consumer kept running (kafka-consumer.ts), lag polled. */
export function kafkaEventSource(kafka: Kafka, producer: Producer, k: KafkaSettings, deps: KafkaDeps): EventSource {
  const { log, metrics } = deps;
  let ec: EventConsumer | null = null;
  let admin: Admin | null = null;
  let lagTimer: NodeJS.Timeout | null = null;
  return {
    name: 'kafka',
    async start(ingestor) {
      // kafkajs restarts a crashed consumer only for some errors; NBO replaces it itself, for every crash
      const newConsumer = () =>
        kafka.consumer({
          groupId: k.groupId,
          maxWaitTimeInMs: k.fetchMaxWaitMs,
          sessionTimeout: k.sessionTimeoutMs,
          heartbeatInterval: Math.min(3000, Math.floor(k.sessionTimeoutMs / 6)),
          retry: { restartOnFailure: async () => false },
        });
      ec = createEventConsumer({
        newConsumer,
        producer,
        config: k,
        ingestor,
        store: deps.store,
        metrics,
        log,
        afterApply: deps.afterApply,
      });
      await ec.start();

      // lag: high watermark − committed offset, per partition
      const a = (admin = kafka.admin());
      await a.connect();
      lagTimer = setInterval(() => {
        void Promise.all([
          a.fetchTopicOffsets(k.eventsTopic),
          a.fetchOffsets({ groupId: k.groupId, topics: [k.eventsTopic] }),
        ])
          .then(([high, committed]) => {
            const done = new Map(committed[0]?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
            for (const p of high) {
              const c = done.get(p.partition) ?? -1;
              metrics.kafkaLag.set(
                { partition: String(p.partition) },
                Math.max(0, Number(p.high) - Math.max(c, Number(p.low))),
              );
            }
          })
          .catch(() => {});
      }, 5000);
      lagTimer.unref();
      log.info({ brokers: k.brokers, topic: k.eventsTopic, group: k.groupId }, 'consuming events from Kafka');
    },
    async stop() {
      if (lagTimer) clearInterval(lagTimer);
      lagTimer = null;
      await ec?.stop();
      await admin?.disconnect();
    },
    ready: () =>
      ec?.ready() ?? {
        ok: false,
        detail: `kafka consumer (group "${k.groupId}", topic "${k.eventsTopic}") not started`,
      },
  };
}

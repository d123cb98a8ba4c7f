import type { Consumer, EachBatchPayload, KafkaMessage, Producer } from 'kafkajs';
import type { Config } from '../config/config.js';
import type { Logger } from '../config/logger.js';
import { NboError } from '../errors/codes.js';
import type { Ingestor } from '../events/ingest.js';
import type { Metrics } from '../metrics/metrics.js';
import type { CustomerStateStore } from '../state/types.js';

type KafkaConfig = NonNullable<Config['kafka']>;

/** Headers of a dead-lettered message: what was wrong, and where it came from. */
export const DLQ_HEADERS = {
  code: 'nbo-error-code',
  message: 'nbo-error-message',
  topic: 'nbo-source-topic',
  partition: 'nbo-source-partition',
  offset: 'nbo-source-offset',
} as const;

export interface EventConsumer {
  start(): Promise<void>;
  /** Stops fetching, finishes and commits the batch in hand, leaves the group. */
  stop(): Promise<void>;
  ready(): { ok: boolean; detail?: string };
}

export interface EventConsumerOptions {
  consumer: Consumer;
  producer: Producer;
  config: KafkaConfig;
  ingestor: Ingestor;
  store: CustomerStateStore;
  metrics: Metrics;
  log: Logger;
  /** Called after a batch is applied and before its offsets are committed (crash tests). */
  afterApply?: () => void | Promise<void>;
}

interface Dead {
  m: KafkaMessage;
  code: string;
  message: string;
}

/**
 * Consumes `nbo.events` through the same validate → apply → trigger path as HTTP.
 * At-least-once with idempotent state: offsets are resolved and committed only after
 * their events are durable in the store (and their decisions produced), so a crash
 * redelivers events the store then recognises as duplicates. Anything that is not a
 * valid event goes to the DLQ with headers naming the error; the consumer moves on.
 * When the store is unavailable the partition is paused and rewound, nothing is
 * committed, and consumption resumes by itself once the store answers.
 */
export function createEventConsumer(o: EventConsumerOptions): EventConsumer {
  const { consumer, producer, config, metrics, log } = o;
  let running = false;
  const paused = new Map<string, { topic: string; partition: number }>();
  let resumeTimer: NodeJS.Timeout | null = null;

  const scheduleResume = () => {
    if (resumeTimer) return;
    resumeTimer = setInterval(() => {
      o.store.ping().then(
        () => {
          if (resumeTimer) clearInterval(resumeTimer);
          resumeTimer = null;
          const parts = [...paused.values()];
          paused.clear();
          log.info({ partitions: parts.map((p) => p.partition) }, 'store is back: resuming consumption');
          for (const p of parts) consumer.resume([{ topic: p.topic, partitions: [p.partition] }]);
        },
        () => {},
      );
    }, 500);
    resumeTimer.unref();
  };

  const deadLetter = async (topic: string, partition: number, dead: Dead[]) => {
    if (dead.length === 0) return;
    await producer.send({
      topic: config.dlqTopic,
      messages: dead.map((d) => ({
        key: d.m.key,
        value: d.m.value,
        headers: {
          ...d.m.headers,
          [DLQ_HEADERS.code]: d.code,
          [DLQ_HEADERS.message]: d.message.slice(0, 2000),
          [DLQ_HEADERS.topic]: topic,
          [DLQ_HEADERS.partition]: String(partition),
          [DLQ_HEADERS.offset]: d.m.offset,
        },
      })),
    });
    metrics.kafkaMessages.inc({ result: 'dlq' }, dead.length);
  };

  const eachBatch = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> => {
    const end = metrics.kafkaBatchDuration.startTimer();
    const { topic, partition } = batch;
    for (let i = 0; i < batch.messages.length; i += config.maxBatchEvents) {
      if (!isRunning() || isStale()) break;
      const chunk = batch.messages.slice(i, i + config.maxBatchEvents);
      const dead: Dead[] = [];
      const parsed: Array<{ m: KafkaMessage; value: unknown }> = [];
      for (const m of chunk) {
        try {
          if (!m.value) throw new Error('empty message');
          parsed.push({ m, value: JSON.parse(m.value.toString('utf8')) });
        } catch (err) {
          dead.push({ m, code: 'NBO_ERR_EVENT_INVALID', message: `not a JSON event: ${(err as Error).message}` });
        }
      }
      let res;
      try {
        res = await o.ingestor.ingest(parsed.map((p) => p.value));
        await res.decisions; // produced to nbo.decisions and pushed before the offsets move on
      } catch (err) {
        if (err instanceof NboError && err.retriable) {
          // commit nothing; come back to this chunk when the store answers again
          log.warn({ err: err.message, topic, partition, offset: chunk[0]!.offset }, 'store unavailable: pausing the partition');
          paused.set(`${topic}:${partition}`, { topic, partition });
          consumer.pause([{ topic, partitions: [partition] }]);
          consumer.seek({ topic, partition, offset: chunk[0]!.offset });
          scheduleResume();
          return;
        }
        throw err;
      }
      for (const r of res.rejected) {
        dead.push({ m: parsed[r.index]!.m, code: r.code ?? 'NBO_ERR_EVENT_INVALID', message: r.errors.map((e) => `${e.path} ${e.message}`).join('; ') });
      }
      metrics.kafkaMessages.inc({ result: 'applied' }, res.accepted);
      metrics.kafkaMessages.inc({ result: 'duplicate' }, res.duplicates);
      await deadLetter(topic, partition, dead);
      await o.afterApply?.();
      const last = chunk[chunk.length - 1]!.offset;
      resolveOffset(last);
      await consumer.commitOffsets([{ topic, partition, offset: (BigInt(last) + 1n).toString() }]);
      await heartbeat();
    }
    end();
  };

  return {
    async start() {
      await consumer.connect();
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        metrics.kafkaRebalances.inc();
        log.info({ assignment: e.payload.memberAssignment }, 'joined the consumer group');
      });
      consumer.on(consumer.events.CRASH, (e) => log.error({ err: e.payload.error?.message, restart: e.payload.restart }, 'consumer crashed'));
      await consumer.subscribe({ topic: config.eventsTopic, fromBeginning: true });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: config.partitionsConcurrently, eachBatch });
      running = true;
    },
    async stop() {
      running = false;
      if (resumeTimer) clearInterval(resumeTimer);
      await consumer.stop(); // waits for the batch in hand, which commits before it returns
      await consumer.disconnect();
    },
    ready() {
      if (!running) return { ok: false, detail: 'not running' };
      if (paused.size > 0) return { ok: false, detail: `paused ${paused.size} partition(s): store unavailable` };
      return { ok: true, detail: `consuming ${config.eventsTopic}` };
    },
  };
}

import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { ErrorCode } from '../errors/codes.js';
import { MAX_JSON_NESTING, nestedDeeperThan } from '../events/json-nesting.js';
import { classifyError } from './error-class.js';
import type { EventConsumerOptions } from './kafka-consumer.js';

/** Headers of a dead-lettered message: what was wrong, and where it came from. */
export const DLQ_HEADERS = {
  code: 'nbo-error-code',
  message: 'nbo-error-message',
  topic: 'nbo-source-topic',
  partition: 'nbo-source-partition',
  offset: 'nbo-source-offset',
} as const;

export interface BatchHandlerOptions extends Omit<EventConsumerOptions, 'newConsumer' | 'clock'> {
  /** The consumer whose batches these are (a restarted consumer gets a handler of its own). */
  consumer: Consumer;
  /** Called whenever a chunk is done (the consumer is making progress). */
  onProgress?: () => void;
}

export interface BatchHandler {
  eachBatch(payload: EachBatchPayload): Promise<void>;
  /** Partitions paused because the store is unavailable. */
  pausedCount(): number;
  /** Stops watching for the store to come back (the consumer is gone). */
  close(): void;
}

interface Dead {
  m: KafkaMessage;
  code: ErrorCode;
  message: string;
}

interface Item {
  m: KafkaMessage;
  value: unknown;
}

/**
 * Applies fetched batches through the same validate → apply → trigger path as HTTP.
 * At-least-once with idempotent state: offsets are resolved and committed only after
 * their events are durable in the store (and their decisions produced), so a crash
 * redelivers events the store then recognises as duplicates.
 *
 * A message that cannot be processed because of its content — not JSON, invalid, or
 * failing in the validator or the store in a way no retry can fix — goes to the DLQ
 * with headers naming the error and its origin, and the partition moves on. When a chunk
 * fails that way as a whole, it is split in halves (in offset order, so each customer's
 * events stay in order) until the message at fault is alone; the events already applied
 * by a failed attempt are recognised as duplicates when applied again.
 * When the store is unavailable the partition is paused and rewound, nothing is
 * committed, and consumption resumes by itself once the store answers.
 */
export function createBatchHandler(o: BatchHandlerOptions): BatchHandler {
  const { producer, config, metrics, log } = o;
  const paused = new Map<string, { topic: string; partition: number }>();
  let resumeTimer: NodeJS.Timeout | null = null;

  const stopResuming = () => {
    if (resumeTimer) clearInterval(resumeTimer);
    resumeTimer = null;
  };
  const scheduleResume = () => {
    if (resumeTimer) return;
    resumeTimer = setInterval(() => {
      o.store.ping().then(
        () => {
          stopResuming();
          const parts = [...paused.values()];
          paused.clear();
          log.info({ partitions: parts.map((p) => p.partition) }, 'store is back: resuming consumption');
          for (const p of parts) o.consumer.resume([{ topic: p.topic, partitions: [p.partition] }]);
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
    log.warn(
      { topic, partition, dead: dead.map((d) => ({ offset: d.m.offset, code: d.code })) },
      'messages dead-lettered',
    );
  };

  const parse = (chunk: KafkaMessage[], dead: Dead[]): Item[] => {
    const items: Item[] = [];
    for (const m of chunk) {
      try {
        if (!m.value) throw new Error('empty message');
        // as over HTTP: parsing such nesting alone would hold the event loop
        if (nestedDeeperThan(m.value)) throw new Error(`nested deeper than ${MAX_JSON_NESTING} levels`);
        items.push({ m, value: JSON.parse(m.value.toString('utf8')) });
      } catch (err) {
        dead.push({ m, code: 'NBO_ERR_EVENT_INVALID', message: `not a JSON event: ${(err as Error).message}` });
      }
    }
    return items;
  };

  /**
   * Applies items in order; content failures are isolated into `dead`. Returns false when
   * the store is unavailable (nothing may be committed), throws on anything else.
   */
  const apply = async (items: Item[], dead: Dead[]): Promise<boolean> => {
    if (items.length === 0) return true;
    let res: Awaited<ReturnType<typeof o.ingestor.ingest>>;
    try {
      res = await o.ingestor.ingest(items.map((p) => p.value));
      await res.decisions; // produced to nbo.decisions and pushed before the offsets move on
    } catch (err) {
      const c = classifyError(err);
      if (c.kind === 'unavailable') return false;
      if (c.kind === 'crash') throw err;
      if (items.length === 1) {
        dead.push({ m: items[0]!.m, code: c.code, message: c.message });
        return true;
      }
      const half = Math.ceil(items.length / 2);
      return (await apply(items.slice(0, half), dead)) && (await apply(items.slice(half), dead));
    }
    // rejected in the same order as the items
    for (const r of res.rejected)
      dead.push({
        m: items[r.index]!.m,
        code: r.code,
        message: r.errors.map((e) => `${e.path} ${e.message}`).join('; '),
      });
    metrics.kafkaMessages.inc({ result: 'applied' }, res.accepted);
    metrics.kafkaMessages.inc({ result: 'duplicate' }, res.duplicates);
    return true;
  };

  const byOffset = (a: Dead, b: Dead) => (BigInt(a.m.offset) < BigInt(b.m.offset) ? -1 : 1);

  const handle = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> => {
    const end = metrics.kafkaBatchDuration.startTimer();
    const { topic, partition } = batch;
    for (let i = 0; i < batch.messages.length; i += config.maxBatchEvents) {
      if (!isRunning() || isStale()) break;
      const chunk = batch.messages.slice(i, i + config.maxBatchEvents);
      const dead: Dead[] = [];
      const ok = await apply(parse(chunk, dead), dead);
      if (!ok) {
        // commit nothing; come back to this chunk when the store answers again
        log.warn({ topic, partition, offset: chunk[0]!.offset }, 'store unavailable: pausing the partition');
        paused.set(`${topic}:${partition}`, { topic, partition });
        o.consumer.pause([{ topic, partitions: [partition] }]);
        o.consumer.seek({ topic, partition, offset: chunk[0]!.offset });
        scheduleResume();
        return;
      }
      await deadLetter(topic, partition, dead.sort(byOffset));
      await o.afterApply?.();
      const last = chunk[chunk.length - 1]!.offset;
      resolveOffset(last);
      await o.consumer.commitOffsets([{ topic, partition, offset: (BigInt(last) + 1n).toString() }]);
      await heartbeat();
      o.onProgress?.();
    }
    end();
  };

  return {
    pausedCount: () => paused.size,
    close: stopResuming,
    async eachBatch(payload) {
      try {
        await handle(payload);
      } catch (err) {
        // kafkajs handles its own errors (a rebalance: rejoin); anything else crashes the consumer at once
        throw isKafkaJsError(err) ? err : crash(err);
      }
    },
  };
}

/** kafkajs's errors are all named KafkaJS… (the class is not a named ESM export of the CommonJS package). */
function isKafkaJsError(err: unknown): boolean {
  return err instanceof Error && err.name.startsWith('KafkaJS');
}

/**
 * Marks an error as one kafkajs must not retry inside the consumer: the consumer crashes at
 * once and is replaced (with backoff) by a fresh one that starts from the committed offsets.
 */
function crash(err: unknown): Error {
  const e = new Error(err instanceof Error ? err.message : String(err), { cause: err }) as Error & {
    retriable: boolean;
  };
  e.name = err instanceof Error ? err.name : 'Error';
  e.retriable = false;
  return e;
}

import type { Consumer, Producer } from 'kafkajs';
import type { Config } from '../config/config.js';
import type { Logger } from '../config/logger.js';
import type { Ingestor } from '../flow/ingest.js';
import type { Metrics } from '../metrics/metrics.js';
import type { CustomerStateStore } from '../state/types.js';
import { createBatchHandler, type BatchHandler } from './batch-handler.js';
import { restartDelayMs } from './restart-backoff.js';

export { DLQ_HEADERS } from './batch-handler.js';

type KafkaConfig = NonNullable<Config['kafka']>;

export interface EventConsumer {
  start(): Promise<void>;
  /** Stops fetching, finishes and commits the batch in hand, leaves the group. */
  stop(): Promise<void>;
  /** Whether the consumer is consuming now; `detail` names it and says why not. */
  ready(): { ok: boolean; detail?: string };
}

export interface EventConsumerOptions {
  /** Builds a fresh kafkajs consumer: one for the start and one for each restart. It must not restart itself. */
  newConsumer: () => Consumer;
  producer: Producer;
  config: KafkaConfig;
  ingestor: Ingestor;
  store: CustomerStateStore;
  metrics: Metrics;
  log: Logger;
  /** Called after a batch is applied and before its offsets are committed (crash tests). */
  afterApply?: () => void | Promise<void>;
  clock?: () => number;
}

type Phase =
  | { name: 'idle' }
  | { name: 'joining' }
  | { name: 'consuming' }
  | { name: 'crashed'; error: string; restartAt: number }
  | { name: 'stopped' };

/** A consumer that has joined answers a fetch, a heartbeat or a batch at least this often (fraction of the session timeout). */
const STALL_FRACTION = 0.5;
/** A consumer that ran this long before crashing restarts with the shortest delay again. */
const HEALTHY_RUN_MS = 30_000;

/**
 * Consumes `nbo.events` (see batch-handler.ts for what happens to each batch) and keeps
 * consuming: when the kafkajs consumer crashes — the broker unreachable past its retries,
 * a rebalance it could not rejoin, anything a batch raised that is not about one message's
 * content — it is replaced by a fresh one after a backoff (0.5 s doubling to 30 s, with
 * jitter), which resumes from the committed offsets. `ready()` is false, naming the
 * consumer and why, whenever it is not consuming: starting, crashed, stalled (no fetch,
 * heartbeat or batch answered for half the session timeout), or paused on the store.
 */
export function createEventConsumer(o: EventConsumerOptions): EventConsumer {
  const { config, metrics, log } = o;
  const clock = o.clock ?? Date.now;
  const name = `kafka consumer (group "${config.groupId}", topic "${config.eventsTopic}")`;
  const stallMs = Math.round(config.sessionTimeoutMs * STALL_FRACTION);
  let phase: Phase = { name: 'idle' };
  let current: { consumer: Consumer; handler: BatchHandler } | null = null;
  let lastProgressAt = 0;
  let joinedAt = 0;
  let attempt = 0;
  let restartTimer: NodeJS.Timeout | null = null;
  let gaugeTimer: NodeJS.Timeout | null = null;

  const progress = () => {
    lastProgressAt = clock();
  };

  const status = (): { ok: boolean; detail: string } => {
    const now = clock();
    switch (phase.name) {
      case 'idle':
        return { ok: false, detail: `${name} not started` };
      case 'stopped':
        return { ok: false, detail: `${name} stopped` };
      case 'joining':
        return { ok: false, detail: `${name} not consuming: joining the group` };
      case 'crashed': {
        const wait = Math.max(0, phase.restartAt - now);
        return {
          ok: false,
          detail: `${name} not consuming: crashed (${phase.error}); restart ${attempt} in ${(wait / 1000).toFixed(1)} s`,
        };
      }
      case 'consuming': {
        const paused = current?.handler.pausedCount() ?? 0;
        if (paused > 0) return { ok: false, detail: `${name} paused ${paused} partition(s): store unavailable` };
        if (now - lastProgressAt > stallMs)
          return {
            ok: false,
            detail: `${name} not consuming: no fetch, heartbeat or batch answered for ${((now - lastProgressAt) / 1000).toFixed(1)} s`,
          };
        return { ok: true, detail: `consuming ${config.eventsTopic}` };
      }
    }
  };
  const updateGauge = () => metrics.kafkaConsumerRunning.set(status().ok ? 1 : 0);

  const scheduleRestart = (error: string) => {
    if (phase.name === 'stopped' || restartTimer) return;
    const delay = restartDelayMs(attempt);
    attempt++;
    phase = { name: 'crashed', error, restartAt: clock() + delay };
    updateGauge();
    log.error({ err: error, attempt, restartInMs: delay }, `${name} crashed: restarting it`);
    restartTimer = setTimeout(() => {
      restartTimer = null;
      if (phase.name === 'stopped') return;
      metrics.kafkaConsumerRestarts.inc();
      launch().catch((err: unknown) => scheduleRestart(errorText(err)));
    }, delay);
  };

  const launch = async () => {
    const consumer = o.newConsumer();
    const handler = createBatchHandler({
      consumer,
      producer: o.producer,
      config,
      ingestor: o.ingestor,
      store: o.store,
      metrics,
      log,
      afterApply: o.afterApply,
      onProgress() {
        progress();
        attempt = 0; // a batch went through: the next crash restarts quickly again
      },
    });
    current = { consumer, handler };
    phase = { name: 'joining' };
    updateGauge();
    const mine = () => current?.consumer === consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      if (!mine()) return;
      metrics.kafkaRebalances.inc();
      joinedAt = clock();
      progress();
      phase = { name: 'consuming' };
      updateGauge();
      log.info({ assignment: e.payload.memberAssignment }, 'joined the consumer group');
    });
    for (const ev of [consumer.events.FETCH, consumer.events.HEARTBEAT, consumer.events.END_BATCH_PROCESS] as const)
      consumer.on(ev, () => mine() && progress());
    consumer.on(consumer.events.REBALANCING, () => {
      if (!mine() || phase.name !== 'consuming') return;
      phase = { name: 'joining' };
      updateGauge();
    });
    consumer.on(consumer.events.CRASH, (e) => {
      if (!mine() || phase.name === 'stopped') return;
      handler.close();
      if (joinedAt > 0 && clock() - joinedAt > HEALTHY_RUN_MS) attempt = 0;
      scheduleRestart(errorText(e.payload.error));
    });
    try {
      await consumer.connect();
      // stop() may have come while connecting: it disconnected this consumer; do not run it
      if (!mine()) return;
      await consumer.subscribe({ topic: config.eventsTopic, fromBeginning: true });
      if (!mine()) return;
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: config.partitionsConcurrently,
        eachBatch: handler.eachBatch,
      });
    } catch (err) {
      handler.close();
      await consumer.disconnect().catch(() => {});
      throw err;
    }
  };

  return {
    async start() {
      gaugeTimer = setInterval(updateGauge, 1000);
      gaugeTimer.unref();
      await launch();
    },
    async stop() {
      phase = { name: 'stopped' };
      if (restartTimer) clearTimeout(restartTimer);
      if (gaugeTimer) clearInterval(gaugeTimer);
      restartTimer = gaugeTimer = null;
      metrics.kafkaConsumerRunning.set(0);
      const c = current;
      current = null;
      if (!c) return;
      c.handler.close();
      await c.consumer.stop(); // waits for the batch in hand, which commits before it returns
      await c.consumer.disconnect();
    },
    ready() {
      const s = status();
      metrics.kafkaConsumerRunning.set(s.ok ? 1 : 0);
      return s;
    },
  };
}

/** The innermost cause of an error (kafkajs wraps what a batch raised), as `Name: message`. */
function errorText(err: unknown): string {
  let e = err as { name?: string; message?: string; cause?: unknown } | undefined;
  for (let depth = 0; e && typeof e === 'object' && e.cause && depth < 8; depth++) e = e.cause as typeof e;
  if (!e || typeof e !== 'object') return String(e);
  return `${e.name ?? 'Error'}: ${e.message ?? ''}`;
}

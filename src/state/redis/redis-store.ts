import { Cluster, type Redis } from 'ioredis';
import { bucketSizeFor } from '../../config/duration.js';
import type { Cap } from '../../rules/types.js';
import { DEFAULT_DEDUPE_HORIZON_MS } from '../memory-store.js';
import { emptyModel } from '../model.js';
import type { CustomerStateStore, StateModel } from '../types.js';
import type { RedisSecurity } from '../../config/redis-security.js';
import { applyEvents } from './apply.js';
import { connect } from './connect.js';
import { call, type StoreContext } from './context.js';
import { storeError } from './errors.js';
import { keyBuilder } from './keys.js';
import { createOfferedQueue } from './offered-queue.js';
import { defineScripts } from './scripts.js';
import { snapshot } from './snapshot.js';
import { createStatsCache } from './stats-cache.js';

export interface RedisStoreOptions {
  /** `redis://host:port/db` of a single node. */
  url?: string;
  /** Seed nodes of a Redis Cluster (`host:port`). */
  cluster?: string[];
  /** Key prefix (default `nbo`). */
  prefix?: string;
  clock?: () => number;
  dedupeHorizonMs?: number;
  /** A command not answered within this fails with NBO_ERR_STORE_UNAVAILABLE (default 500 ms). */
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** How often shared learning / total-cap counters are re-read (default 1000 ms). */
  statsRefreshMs?: number;
  onBackgroundError?: (err: unknown) => void;
  /** Password and TLS for every connection (readRedisSecurity: NBO_REDIS_PASSWORD_FILE, NBO_REDIS_TLS_CA_FILE). */
  security?: RedisSecurity;
}

/**
 * The Redis implementation of {@link CustomerStateStore}: the same contract as the
 * in-process store, atomic per customer (one Lua script per customer per batch), one
 * round trip per decision snapshot, and cluster-ready (every customer key shares the
 * `{customerId}` hash tag). See docs/state.md for the key layout. The parts: apply.ts
 * (applyEvents), snapshot.ts, offered-queue.ts (recordOffered); apply-protocol.ts types
 * what goes to and comes back from apply-events-n.lua.
 */
export async function createRedisStore(
  opts: RedisStoreOptions = {},
): Promise<CustomerStateStore & { client: Redis | Cluster }> {
  const keys = keyBuilder(opts.prefix ?? 'nbo');
  const onBackgroundError = opts.onBackgroundError ?? (() => {});
  const client = connect(opts);
  // surfaced per command; reconnects by itself. The last one explains a failed start: a
  // refused password or an untrusted certificate closes the connection, and connect()
  // itself only says "Connection is closed."
  let lastError: Error | null = null;
  client.on('error', (err: Error) => void (lastError = err));
  defineScripts(client);
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    const cause = lastError as Error | null; // set by the listener above
    throw storeError(
      cause && cause.message !== (err as Error).message
        ? new Error(`${(err as Error).message} (${cause.message})`, { cause })
        : err,
    );
  }
  let model: StateModel = emptyModel();
  const stats = createStatsCache(client, keys, opts.statsRefreshMs ?? 1000, onBackgroundError);
  const ctx: StoreContext = {
    client,
    isCluster: client instanceof Cluster,
    keys,
    clock: opts.clock ?? Date.now,
    dedupeHorizonMs: opts.dedupeHorizonMs ?? DEFAULT_DEDUPE_HORIZON_MS,
    stats,
    model: () => model,
    onBackgroundError,
  };
  const offered = createOfferedQueue(ctx);

  /** Decisions per policy, counted in one HINCRBY per policy per turn of the event loop. */
  const decisionCounts = new Map<string, number>();
  const flushDecisionCounts = (): void => {
    for (const [policy, n] of decisionCounts)
      client.hincrby(keys.policies(), `${policy}:d`, n).catch(onBackgroundError);
    decisionCounts.clear();
  };

  return {
    kind: 'redis',
    client,
    stats,
    setModel(m) {
      model = m;
      stats.track(m.totalCapBuckets.keys());
    },
    applyEvents: (events) => applyEvents(ctx, events),
    snapshot: (customerId, nowMs, histories) => snapshot(ctx, customerId, nowMs, histories),
    recordOffered: (rec) => offered.record(rec),
    policies: () => stats.policies(),
    countDecision(policy) {
      stats.bumpPolicy(policy, { decisions: 1 });
      if (decisionCounts.size === 0) setImmediate(flushDecisionCounts);
      decisionCounts.set(policy, (decisionCounts.get(policy) ?? 0) + 1);
    },
    async reserveOffered(offerId: string, caps: readonly Cap[], nowMs: number) {
      const offeredCaps = caps.filter((c) => c.outcome === 'offered');
      const args = offeredCaps.flatMap((c) => {
        if (c.windowMs === null) return [c.max, 0, 0];
        const size = bucketSizeFor(c.windowMs);
        return [c.max, size, Math.floor((nowMs - c.windowMs) / size)];
      });
      const ok =
        (await call(client.nbo_reserve_offered(keys.totals(offerId), nowMs, offeredCaps.length, ...args))) === 1;
      if (ok) stats.bumpTotal(offerId, 'offered', 1);
      return ok;
    },
    async ping() {
      await call(client.ping());
    },
    async close() {
      offered.flush(); // written before QUIT
      if (decisionCounts.size > 0) flushDecisionCounts();
      stats.stop();
      await client.quit().catch(() => client.disconnect());
    },
  };
}

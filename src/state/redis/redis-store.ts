import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Outcome, ValidEvent } from '../../events/types.js';
import { bucketSizeFor, MAX_WINDOW_MS } from '../../config/duration.js';
import type { Cap } from '../../rules/types.js';
import { combine } from '../aggregate-state.js';
import { DEFAULT_DEDUPE_HORIZON_MS } from '../memory-store.js';
import { emptyModel } from '../model.js';
import { unstorable } from '../storable.js';
import type { AggValue, ApplyStatus, CustomerSnapshot, CustomerStateStore, StateModel, StoreRejection } from '../types.js';
import { DECISION_TTL_MS, MAX_DECISIONS_KEPT } from '../types.js';
import { DEFAULT_POLICY, learningKeys, namespaceOf } from '../learning-counts.js';
import { NboError } from '../../errors/codes.js';
import { decodeAggState, decodeCustomer, depths, eventOps, readPacked, seenId, type DecodedCustomer } from './codec.js';
import { coalesceWrites } from './coalesce.js';
import { checkScriptResult, scriptError, storeError } from './errors.js';
import { keyBuilder } from './keys.js';
import { defineScripts, type ScriptCommands } from './scripts.js';
import type { RedisSecurity } from '../../config/redis-security.js';
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

type Client = (Redis | Cluster) & ScriptCommands;

/**
 * At most this many events per apply-events call (single node). Grouping customers saves a
 * command, a promise and a timer per customer on the client — half its CPU per event; a
 * call holds Redis for roughly 15 µs an event, so this keeps any call under about a
 * millisecond for the decisions waiting behind it.
 */
const GROUP_EVENTS = 64;

/** Reconnect with capped exponential backoff: 50 ms, 100 ms, … 2 s. */
const backoff = (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000);

function connect(opts: RedisStoreOptions): Client {
  // fail fast: no offline queue piling up while Redis is away, a command timeout, one retry
  const common: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: opts.commandTimeoutMs ?? 500,
    connectTimeout: opts.connectTimeoutMs ?? 2000,
    retryStrategy: backoff,
    ...opts.security,
  };
  // no auto-pipelining: the writes of a tick are coalesced instead (see coalesce.ts)
  if (opts.cluster && opts.cluster.length > 0) {
    const nodes = opts.cluster.map((hp) => {
      const [host, port] = hp.split(':');
      return { host: host!, port: Number(port ?? 6379) };
    });
    const cluster = new Cluster(nodes, {
      lazyConnect: true,
      enableOfflineQueue: false,
      clusterRetryStrategy: backoff,
      redisOptions: common,
    });
    cluster.on('+node', (node: Redis) => coalesceWrites(node));
    return cluster as Client;
  }
  const client = new Redis(opts.url ?? 'redis://127.0.0.1:6379', common);
  coalesceWrites(client);
  return client as Client;
}

/**
 * The Redis implementation of {@link CustomerStateStore}: the same contract as the
 * in-process store, atomic per customer (one Lua script per customer per batch), one
 * round trip per decision snapshot, and cluster-ready (every customer key shares the
 * `{customerId}` hash tag). See docs/state.md for the key layout.
 */
export async function createRedisStore(opts: RedisStoreOptions = {}): Promise<CustomerStateStore & { client: Redis | Cluster }> {
  const clock = opts.clock ?? Date.now;
  const horizon = opts.dedupeHorizonMs ?? DEFAULT_DEDUPE_HORIZON_MS;
  const keys = keyBuilder(opts.prefix ?? 'nbo');
  const onBackgroundError = opts.onBackgroundError ?? (() => {});
  const client = connect(opts);
  const isCluster = client instanceof Cluster;
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
    throw storeError(cause && cause.message !== (err as Error).message ? new Error(`${(err as Error).message} (${cause.message})`, { cause }) : err);
  }
  let model: StateModel = emptyModel();
  const stats = createStatsCache(client, keys, opts.statsRefreshMs ?? 1000, onBackgroundError);

  const call = async <T>(p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (err) {
      throw storeError(err);
    }
  };

  type EventResult = [number, ...unknown[]];
  /**
   * One apply-events call for several customers (their keys must share a slot on a
   * cluster): each customer's batch atomic, one result list per customer, or an error for
   * a customer whose stored state cannot be read (nothing of that customer is written).
   */
  const applyCustomers = async (group: ReadonlyArray<{ customerId: string; batch: unknown[][] }>, nowMs: number): Promise<Array<EventResult[] | NboError>> => {
    const batches = JSON.stringify(group.map((g) => g.batch));
    const res = await call(client.nbo_apply_events(group.length, ...group.map((g) => keys.customer(g.customerId)), nowMs, horizon, MAX_WINDOW_MS, batches, DECISION_TTL_MS, MAX_DECISIONS_KEPT));
    const out = JSON.parse(checkScriptResult<string>(res, 'apply-events')) as Array<EventResult[] | number>;
    return out.map((r, i) => (typeof r === 'number' ? scriptError(r, 'apply-events', `customer ${group[i]!.customerId}`) : r));
  };

  /**
   * Customers in call-sized groups of at most GROUP_EVENTS events. On a cluster each
   * customer is a call of its own: the keys of one call must share a slot, and customers
   * rarely do.
   */
  const groupsOf = <T extends { batch: unknown[][] }>(items: T[]): T[][] => {
    if (isCluster) return items.map((it) => [it]);
    const groups: T[][] = [];
    let cur: T[] = [];
    let n = 0;
    for (const it of items) {
      if (cur.length > 0 && n + it.batch.length > GROUP_EVENTS) {
        groups.push(cur);
        cur = [];
        n = 0;
      }
      cur.push(it);
      n += it.batch.length;
    }
    if (cur.length > 0) groups.push(cur);
    return groups;
  };

  /**
   * Shared counters after the customer scripts, summed over the whole batch: one HINCRBY
   * per learning field, one count-outcome call per offer and outcome, one SADD per household.
   */
  const afterApply = async (extras: Array<{ customerId: string; x: unknown[] }>, outcomes: Map<string, number>, nowMs: number): Promise<void> => {
    /** offer → counter prefix → [impressions, acceptances] */
    const learn = new Map<string, Map<string, [number, number]>>();
    /** policy field → amount */
    const byPolicy = new Map<string, number>();
    const addPolicy = (field: string, by: number) => byPolicy.set(field, (byPolicy.get(field) ?? 0) + by);
    const members = new Map<string, Set<string>>();
    for (const { customerId, x } of extras) {
      if (x[0] === 'h' && x[1]) {
        const set = members.get(x[1] as string) ?? new Set<string>();
        members.set(x[1] as string, set.add(customerId));
      }
      if (x[0] !== 'r') continue;
      const [, offerId, impressions, accepted, segment, policyText, featureText] = x as [string, string, number, number, string, string, string];
      const features = featureText ? featureText.split('.').map((f) => parseInt(f, 36)) : [];
      const seg = segment || null;
      const policy = policyText || DEFAULT_POLICY;
      if (!impressions && !accepted) continue;
      const value = model.learningOf(offerId)?.value ?? 0;
      stats.bumpPolicy(policy, { impressions, accepted, value: accepted * value, valueSq: accepted * value * value });
      addPolicy(`${policy}:i`, impressions);
      addPolicy(`${policy}:a`, accepted);
      if (accepted) {
        addPolicy(`${policy}:v`, accepted * value);
        addPolicy(`${policy}:v2`, accepted * value * value);
      }
      const namespace = namespaceOf(policy);
      if (namespace === null) continue;
      const keys = learningKeys(namespace, seg, features);
      stats.bumpLearning(offerId, keys, impressions, accepted, model.learningOf(offerId)?.halfLifeMs ?? null, nowMs);
      let m = learn.get(offerId);
      if (!m) learn.set(offerId, (m = new Map()));
      for (const p of keys) {
        const c = m.get(p) ?? [0, 0];
        m.set(p, [c[0] + impressions, c[1] + accepted]);
      }
    }
    const work: Array<Promise<unknown>> = [];
    for (const [offerId, prefixes] of learn) {
      const halfLifeMs = model.learningOf(offerId)?.halfLifeMs ?? null;
      work.push(client.nbo_learn(keys.learning(offerId), nowMs, halfLifeMs ?? 0, ...[...prefixes].flatMap(([p, [i, a]]) => [p, i, a])));
    }
    for (const [field, by] of byPolicy) {
      // counts are integers; value sums take fractions (and once a field holds one, HINCRBY refuses it)
      work.push(field.endsWith(':v') || field.endsWith(':v2') ? client.hincrbyfloat(keys.policies(), field, by) : client.hincrby(keys.policies(), field, by));
    }
    for (const [hid, set] of members) work.push(client.sadd(keys.household(hid), ...set));
    for (const [k, by] of outcomes) {
      const [offerId, outcome] = k.split('\u0000') as [string, Outcome];
      const buckets = model.totalCapBuckets.get(offerId)?.get(outcome) ?? [];
      const args = buckets.flatMap((b) => [b.bucketMs, Math.floor(nowMs / b.bucketMs), Math.floor((nowMs - b.windowMs) / b.bucketMs)]);
      stats.bumpTotal(offerId, outcome, by);
      work.push(client.nbo_count_outcome(keys.totals(offerId), outcome, by, buckets.length, ...args));
    }
    await call(Promise.all(work));
  };

  /**
   * "Offered" records wait for the end of the event loop turn and go to Redis together:
   * the decisions answered in one turn cost one script call, not one each. They are
   * written before any response event that arrives later (same connection, in order).
   */
  let offered: Array<{ customerId: string; event: unknown[]; resolve: () => void; reject: (e: unknown) => void }> = [];
  const flushOffered = (): void => {
    const pending = offered;
    offered = [];
    const byCustomer = new Map<string, { customerId: string; batch: unknown[][]; waiters: typeof pending }>();
    for (const p of pending) {
      const item = byCustomer.get(p.customerId);
      if (item) {
        item.batch.push(p.event);
        item.waiters.push(p);
      } else byCustomer.set(p.customerId, { customerId: p.customerId, batch: [p.event], waiters: [p] });
    }
    const nowMs = clock();
    for (const group of groupsOf([...byCustomer.values()])) {
      applyCustomers(group, nowMs).then(
        (results) =>
          results.forEach((r, i) => {
            for (const w of group[i]!.waiters) {
              if (r instanceof NboError) w.reject(r);
              else w.resolve();
            }
          }),
        (err: unknown) => {
          for (const item of group) for (const w of item.waiters) w.reject(err);
        },
      );
    }
  };

  /** Decisions per policy, counted in one HINCRBY per policy per turn of the event loop. */
  const decisionCounts = new Map<string, number>();
  const flushDecisionCounts = (): void => {
    for (const [policy, n] of decisionCounts) client.hincrby(keys.policies(), `${policy}:d`, n).catch(onBackgroundError);
    decisionCounts.clear();
  };

  const readCustomer = async (customerId: string, histories?: readonly string[]): Promise<DecodedCustomer> => {
    const raw = await call(histories ? client.nbo_snapshot(keys.customer(customerId), '+', ...histories) : client.nbo_snapshot(keys.customer(customerId)));
    try {
      return decodeCustomer(raw, model);
    } catch (err) {
      throw new NboError('NBO_ERR_STORE_DATA', `customer ${customerId}: stored state cannot be decoded: ${(err as Error).message}`, { cause: err });
    }
  };

  /** A household's aggregates: every member's buckets decoded and combined. */
  const combineMembers = (members: DecodedCustomer[], nowMs: number): Record<string, AggValue> => {
    const out: Record<string, AggValue> = {};
    model.aggregates.forEach((def, i) => {
      const states = members.flatMap((m) => (m.raw[i] === undefined ? [] : [decodeAggState(def, m.raw[i]!)]));
      out[def.name] = combine(def, states, nowMs);
    });
    return out;
  };
  /** One customer's aggregates, read straight from the stored fields. */
  const ownAggs = (me: DecodedCustomer, nowMs: number): Record<string, AggValue> => {
    const out: Record<string, AggValue> = {};
    model.aggregates.forEach((def, i) => {
      out[def.name] = readPacked(def, me.raw[i], nowMs);
    });
    return out;
  };

  return {
    kind: 'redis',
    client,
    stats,
    setModel(m) {
      model = m;
      stats.track(m.totalCapBuckets.keys());
    },
    async applyEvents(events: readonly ValidEvent[]) {
      const nowMs = clock();
      const statuses: ApplyStatus[] = new Array(events.length);
      const rejected: StoreRejection[] = [];
      const reject = (r: StoreRejection) => {
        statuses[r.index] = 'rejected';
        rejected.push(r);
      };
      // per customer, in input order; customers grouped into few script calls, written at once
      const byCustomer = new Map<string, { idx: number[]; batch: unknown[][] }>();
      events.forEach((ev, i) => {
        const why = unstorable(ev, i);
        if (why) return reject(why);
        let ops: unknown[];
        try {
          ops = [seenId(ev.id), ...eventOps(ev, model, nowMs)];
        } catch (err) {
          return reject({ index: i, code: 'NBO_ERR_EVENT_INVALID', path: '$.data', message: `cannot be stored: ${(err as Error).message}` });
        }
        const c = byCustomer.get(ev.customerId);
        if (c) {
          c.idx.push(i);
          c.batch.push(ops);
        } else byCustomer.set(ev.customerId, { idx: [i], batch: [ops] });
      });
      const items = [...byCustomer].map(([customerId, c]) => ({ customerId, ...c }));
      const attributed: Array<{ policy: string; outcome: string; value: number }> = [];
      const extras: Array<{ customerId: string; x: unknown[] }> = [];
      const outcomes = new Map<string, number>();
      const countOutcome = (offerId: string, outcome: string) => {
        const k = `${offerId}\u0000${outcome}`;
        outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
      };
      const rejectCustomer = (item: (typeof items)[number], err: NboError) => {
        for (const i of item.idx) reject({ index: i, code: 'NBO_ERR_STORE_DATA', path: '$.customerId', message: err.message });
      };
      /**
       * A group's call; when the script refuses the call as a whole (bad data, not an
       * outage), each customer again on its own, so one customer's trouble fails only its
       * own events.
       */
      const applyGroup = async (group: typeof items): Promise<void> => {
        let results: Array<EventResult[] | NboError>;
        try {
          results = await applyCustomers(group, nowMs);
        } catch (err) {
          if (!(err instanceof NboError) || err.code !== 'NBO_ERR_STORE_DATA') throw err;
          if (group.length === 1) return rejectCustomer(group[0]!, err);
          await Promise.all(group.map((item) => applyGroup([item])));
          return;
        }
        results.forEach((res, g) => {
          if (res instanceof NboError) return rejectCustomer(group[g]!, res);
          const { customerId, idx } = group[g]!;
          res.forEach(([status, ...x], k) => {
            if (status === 2) {
              // a response to a decision NBO did not issue to this customer, or naming an offer it did not return
              const d = events[idx[k]!]!.data!;
              reject({
                index: idx[k]!,
                ...(x[0] === 2
                  ? { code: 'NBO_ERR_RESPONSE_OFFER_MISMATCH' as const, path: '$.data.offerId', message: `decision "${String(d.decisionId)}" did not offer "${String(d.offerId)}"` }
                  : { code: 'NBO_ERR_RESPONSE_UNKNOWN_DECISION' as const, path: '$.data.decisionId', message: `decision "${String(d.decisionId)}" was not issued to this customer (or is older than 30 days, or more than ${MAX_DECISIONS_KEPT} decisions ago)` }),
              });
              return;
            }
            statuses[idx[k]!] = status === 1 ? 'applied' : 'duplicate';
            for (const e of x as unknown[][]) extras.push({ customerId, x: e });
            const ev = events[idx[k]!]!;
            if (status !== 1 || ev.type !== 'offer_response') return;
            const r = (x as unknown[][]).find((e) => e[0] === 'r');
            const offerId = ev.data!.offerId as string;
            if (r) attributed.push({ policy: (r[5] as string) || DEFAULT_POLICY, outcome: ev.data!.outcome as string, value: (r[3] as number) * (model.learningOf(offerId)?.value ?? 0) });
            if (r && r[2] && ev.data!.outcome !== 'impression') countOutcome(offerId, 'impression');
            countOutcome(offerId, ev.data!.outcome as string);
          });
        });
      };
      await Promise.all(groupsOf(items).map(applyGroup));
      await afterApply(extras, outcomes, nowMs);
      rejected.sort((a, b) => a.index - b.index);
      const applied = statuses.filter((s) => s === 'applied').length;
      return { applied, duplicates: statuses.filter((s) => s === 'duplicate').length, statuses, rejected, attributed };
    },
    async snapshot(customerId, nowMs, histories) {
      const me = await readCustomer(customerId, histories);
      let household: CustomerSnapshot['household'] = null;
      if (me.householdId !== null) {
        const hid = me.householdId;
        const memberIds = (await call(client.smembers(keys.household(hid)))).filter((m) => m !== customerId);
        const others = await Promise.all(memberIds.map((m) => readCustomer(m, [])));
        // a member that has moved on still listed is skipped, and dropped from the set
        const current = others.filter((o, i) => {
          if (o.householdId === hid) return true;
          client.srem(keys.household(hid), memberIds[i]!).catch(onBackgroundError);
          return false;
        });
        household = { id: hid, agg: combineMembers([me, ...current], nowMs) };
      }
      let agg: Record<string, AggValue>;
      try {
        agg = ownAggs(me, nowMs);
      } catch (err) {
        throw new NboError('NBO_ERR_STORE_DATA', `customer ${customerId}: stored state cannot be decoded: ${(err as Error).message}`, { cause: err });
      }
      return { customerId, profile: me.profile, agg, household, offers: me.offers };
    },
    recordOffered(rec) {
      return new Promise<void>((resolve, reject) => {
        if (offered.length === 0) setImmediate(flushOffered);
        // compact (state.md): seconds in base 36, the default policy as '', feature buckets in base 36
        const policy = rec.policy === undefined || rec.policy === DEFAULT_POLICY ? '' : rec.policy;
        const decision = ['D', seenId(rec.decisionId), Math.floor(rec.atMs / 1000).toString(36), rec.offerIds.join(','), policy, rec.segment ?? '', (rec.features ?? []).map((f) => f.toString(36)).join('.')];
        offered.push({ customerId: rec.customerId, event: ['', ...rec.offerIds.flatMap((o) => ['f', o, rec.decisionId, rec.segment ?? '', rec.atMs, depths(model, o)]), ...decision], resolve, reject });
      });
    },
    policies: () => stats.policies(),
    countDecision(policy) {
      stats.bumpPolicy(policy, { decisions: 1 });
      if (decisionCounts.size === 0) setImmediate(flushDecisionCounts);
      decisionCounts.set(policy, (decisionCounts.get(policy) ?? 0) + 1);
    },
    async reserveOffered(offerId: string, caps: readonly Cap[], nowMs: number) {
      const offered = caps.filter((c) => c.outcome === 'offered');
      const args = offered.flatMap((c) => {
        if (c.windowMs === null) return [c.max, 0, 0];
        const size = bucketSizeFor(c.windowMs);
        return [c.max, size, Math.floor((nowMs - c.windowMs) / size)];
      });
      const ok = (await call(client.nbo_reserve_offered(keys.totals(offerId), nowMs, offered.length, ...args))) === 1;
      if (ok) stats.bumpTotal(offerId, 'offered', 1);
      return ok;
    },
    async ping() {
      await call(client.ping());
    },
    async close() {
      if (offered.length > 0) flushOffered(); // written before QUIT
      if (decisionCounts.size > 0) flushDecisionCounts();
      stats.stop();
      await client.quit().catch(() => client.disconnect());
    },
  };
}

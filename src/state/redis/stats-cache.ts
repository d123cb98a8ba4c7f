import type { Cluster, Redis } from 'ioredis';
import type { Outcome } from '../../events/types.js';
import { bucketSizeFor } from '../../config/duration.js';
import { addCounts, learningPrefix, noCounts, noPolicyCounts } from '../learning-counts.js';
import type { GlobalStats, LearningCounts, PolicyCounts } from '../types.js';
import { sumPacked } from './codec.js';
import type { KeyBuilder } from './keys.js';

/**
 * Learning and total-cap counters shared by all customers and instances, served to the
 * decision path from memory: every offer's counters are re-read from Redis within each
 * `refreshMs` (a slice of the offers at a time), and bumped locally at once by this
 * instance's own writes. A total cap on `offered` is never decided from
 * this cache alone — reserve-offered-1.lua checks it atomically.
 */
export interface StatsCache extends GlobalStats {
  track(offerIds: Iterable<string>): void;
  refresh(): Promise<void>;
  /** Adds to the counters under each prefix (learning-counts.ts learningKeys). */
  bumpLearning(
    offerId: string,
    prefixes: readonly string[],
    impressions: number,
    accepted: number,
    halfLifeMs: number | null,
    nowMs: number,
  ): void;
  bumpPolicy(policy: string, by: Partial<PolicyCounts>): void;
  policies(): ReadonlyMap<string, PolicyCounts>;
  bumpTotal(offerId: string, field: string, by: number): void;
  stop(): void;
}

export function createStatsCache(
  client: Redis | Cluster,
  keys: KeyBuilder,
  refreshMs: number,
  onError: (err: unknown) => void,
): StatsCache {
  const known = new Set<string>();
  let version = 0;
  const learning = new Map<string, Map<string, number>>();
  const totals = new Map<string, Map<string, string>>();
  let policies = new Map<string, PolicyCounts>();
  const POLICY_FIELDS: Record<string, keyof PolicyCounts> = {
    d: 'decisions',
    i: 'impressions',
    a: 'accepted',
    v: 'value',
    v2: 'valueSq',
  };
  const readPolicies = async (): Promise<void> => {
    const raw = await client.hgetall(keys.policies());
    const next = new Map<string, PolicyCounts>();
    for (const [f, v] of Object.entries(raw)) {
      const i = f.lastIndexOf(':');
      const name = POLICY_FIELDS[f.slice(i + 1)];
      if (!name) continue;
      const policy = f.slice(0, i);
      let c = next.get(policy);
      if (!c) next.set(policy, (c = noPolicyCounts()));
      c[name] = Number(v);
    }
    policies = next;
  };
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<void> | null = null;

  /** Re-reads the counters of `ids` (two HGETALLs each). */
  const refreshIds = async (ids: string[]): Promise<void> => {
    const [l, t] = await Promise.all([
      Promise.all(ids.map((id) => client.hgetall(keys.learning(id)))),
      Promise.all(ids.map((id) => client.hgetall(keys.totals(id)))),
    ]);
    ids.forEach((id, i) => {
      const next = new Map(Object.entries(l[i]!).map(([k, v]) => [k, Number(v)]));
      const prev = learning.get(id);
      if (!prev || prev.size !== next.size || [...next].some(([k, v]) => prev.get(k) !== v)) version++;
      learning.set(id, next);
      totals.set(id, new Map(Object.entries(t[i]!)));
    });
  };
  const refresh = () => Promise.all([refreshIds([...known]), readPolicies()]).then(() => {});

  // Each tick re-reads a tenth of the offers, so every offer is fresh within refreshMs
  // without a burst of thousands of commands (and replies to parse) once a second;
  // offers seen for the first time are read at once.
  const SLICES = 10;
  let cursor = 0;
  const fresh = new Set<string>();
  const tick = () => {
    if (inFlight || known.size === 0) return;
    let ids: string[];
    if (fresh.size > 0) {
      ids = [...fresh];
      fresh.clear();
    } else {
      const all = [...known];
      if (cursor >= all.length) {
        cursor = 0;
        readPolicies().catch(onError); // once a round
      }
      ids = all.slice(cursor, cursor + Math.ceil(all.length / SLICES));
      cursor += ids.length;
    }
    inFlight = refreshIds(ids)
      .catch(onError)
      .finally(() => {
        inFlight = null;
      });
  };
  timer = setInterval(tick, Math.max(1, Math.floor(refreshMs / SLICES)));
  timer.unref();

  const track = (id: string) => {
    if (!known.has(id)) {
      known.add(id);
      fresh.add(id);
      tick();
    }
  };

  return {
    track(ids) {
      for (const id of ids) {
        if (known.has(id)) continue;
        known.add(id);
        fresh.add(id);
      }
      tick();
    },
    refresh,
    learning(offerId, segment, namespace = ''): LearningCounts {
      track(offerId);
      const m = learning.get(offerId);
      const p = learningPrefix(namespace, segment);
      if (!m?.has(`${p}:i`)) return noCounts();
      const impressions = m.get(`${p}:i`) ?? 0;
      const accepted = m.get(`${p}:a`) ?? 0;
      // counters written before decay was kept: their lifetime counts are the recent ones
      return {
        impressions,
        accepted,
        recentImpressions: m.get(`${p}:ri`) ?? impressions,
        recentAccepted: m.get(`${p}:ra`) ?? accepted,
        atMs: m.get(`${p}:t`) ?? 0,
      };
    },
    policies: () => policies,
    total(offerId: string, outcome: Outcome, windowMs: number | null, nowMs: number): number {
      track(offerId);
      const m = totals.get(offerId);
      if (!m) return 0;
      if (windowMs === null) return Number(m.get(outcome) ?? 0);
      const size = bucketSizeFor(windowMs);
      return sumPacked(m.get(`${outcome}@${size}`), Math.floor((nowMs - windowMs) / size));
    },
    version: () => version,
    bumpLearning(offerId, prefixes, impressions, accepted, halfLifeMs, nowMs) {
      version++;
      let m = learning.get(offerId);
      if (!m) learning.set(offerId, (m = new Map()));
      for (const p of prefixes) {
        const cur: LearningCounts = m.has(`${p}:i`)
          ? {
              impressions: m.get(`${p}:i`)!,
              accepted: m.get(`${p}:a`) ?? 0,
              recentImpressions: m.get(`${p}:ri`) ?? m.get(`${p}:i`)!,
              recentAccepted: m.get(`${p}:ra`) ?? m.get(`${p}:a`) ?? 0,
              atMs: m.get(`${p}:t`) ?? nowMs,
            }
          : noCounts();
        const next = addCounts(cur, impressions, accepted, halfLifeMs, nowMs);
        m.set(`${p}:i`, next.impressions);
        m.set(`${p}:a`, next.accepted);
        m.set(`${p}:ri`, next.recentImpressions!);
        m.set(`${p}:ra`, next.recentAccepted!);
        m.set(`${p}:t`, next.atMs!);
      }
    },
    bumpPolicy(policy, by) {
      let c = policies.get(policy);
      if (!c) policies.set(policy, (c = noPolicyCounts()));
      for (const [k, v] of Object.entries(by) as Array<[keyof PolicyCounts, number]>) c[k] += v;
    },
    bumpTotal(offerId, field, by) {
      let m = totals.get(offerId);
      if (!m) totals.set(offerId, (m = new Map()));
      m.set(field, String(Number(m.get(field) ?? 0) + by));
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}

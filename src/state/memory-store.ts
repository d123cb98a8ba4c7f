import type { Outcome, ResponseOutcome, ValidEvent } from '../events/types.js';
import { bucketSizeFor, MAX_WINDOW_MS } from '../config/duration.js';
import type { Cap } from '../rules/types.js';
import { combine, firstBucket, fold, read, trim, eventValue, type AggState } from './aggregate-state.js';
import {
  addCounts,
  namespaceOf,
  learningKeys,
  learningPrefix,
  noCounts,
  noPolicyCounts,
  DEFAULT_POLICY,
} from './learning-counts.js';
import { emptyHistory, recordOffered, recordResponse, trimHistory } from './offer-history.js';
import { HistoryTable } from './history-table.js';
import { checkResponse, IssuedDecisions, type IssuedDecision } from './issued-decisions.js';
import { emptyModel } from './model.js';
import { SeenIds } from './seen-ids.js';
import { unstorable } from './storable.js';
import type {
  AggValue,
  ApplyResult,
  ApplyStatus,
  CustomerSnapshot,
  CustomerStateStore,
  GlobalStats,
  LearningCounts,
  OfferedRecord,
  OfferHistory,
  PolicyCounts,
  StateModel,
  StoreRejection,
} from './types.js';
import { DECISION_TTL_MS } from './types.js';

/** How long an event id is remembered to refuse its duplicates (default 7 days). */
export const DEFAULT_DEDUPE_HORIZON_MS = 7 * 86_400_000;
/** A customer with no event for this long is forgotten (the longest window). */
export const CUSTOMER_IDLE_TTL_MS = MAX_WINDOW_MS;

export interface MemoryStoreOptions {
  clock?: () => number;
  dedupeHorizonMs?: number;
  /** How often every customer's expired buckets are swept and idle customers forgotten (a slice at a time); 0 = never (call sweep()). */
  sweepIntervalMs?: number;
}

interface CustomerRecord {
  /**
   * event id → when the id may be forgotten, in epoch seconds rounded up, as the Redis store
   * keeps it (a small integer, where milliseconds took a heap number of 16 bytes per id)
   */
  seen: SeenIds;
  /** key → value (undefined once removed) and the event time that set it */
  profile: Map<string, { v: unknown; t: number }>;
  household: { id: string | null; t: number } | null;
  aggs: Map<string, AggState>;
  /** Offer histories, flat; snapshots get copies (the table's `read`). */
  offers: HistoryTable;
  /** Decisions issued to the customer, oldest first (at most MAX_DECISIONS_KEPT, none older than DECISION_TTL_MS). */
  decisions: IssuedDecisions;
  touchedAt: number;
  /** The profile as snapshots return it (frozen, shared by every snapshot until it changes); null: rebuild. */
  profileView: Readonly<Record<string, unknown>> | null;
  /** Aggregate values last read, valid while `aggVersion` and every window's first bucket are unchanged. */
  aggCache: { version: number; firsts: number[]; values: Record<string, AggValue>; model: StateModel } | null;
  aggVersion: number;
}

interface TotalCounter {
  lifetime: number;
  /** bucket size → bucket index → count */
  buckets: Map<number, Map<number, number>>;
}

/**
 * The in-process state store: the embedded default, for a single instance. Holds the
 * same data as the Redis store with the same semantics (one contract test suite), and
 * evicts expired buckets, event ids and idle customers as it goes and on a sweep.
 */
export function createMemoryStore(
  opts: MemoryStoreOptions = {},
): CustomerStateStore & { sweep(): void; size(): MemoryStoreSize; customerCount(): number } {
  const clock = opts.clock ?? Date.now;
  const horizon = opts.dedupeHorizonMs ?? DEFAULT_DEDUPE_HORIZON_MS;
  let model: StateModel = emptyModel();
  const customers = new Map<string, CustomerRecord>();
  const households = new Map<string, Set<string>>();
  const learning = new Map<string, Map<string, LearningCounts>>();
  const totals = new Map<string, TotalCounter>();
  let closed = false;

  const record = (id: string): CustomerRecord => {
    let r = customers.get(id);
    if (!r) {
      r = {
        seen: new SeenIds(),
        profile: new Map(),
        household: null,
        aggs: new Map(),
        offers: new HistoryTable(),
        decisions: new IssuedDecisions(),
        touchedAt: 0,
        profileView: null,
        aggCache: null,
        aggVersion: 0,
      };
      customers.set(id, r);
    }
    return r;
  };

  const totalKey = (offerId: string, outcome: Outcome) => `${offerId}\u0000${outcome}`;

  const countTotal = (offerId: string, outcome: Outcome, tMs: number, extraBuckets: readonly number[] = []) => {
    const key = totalKey(offerId, outcome);
    let c = totals.get(key);
    if (!c) totals.set(key, (c = { lifetime: 0, buckets: new Map() }));
    c.lifetime += 1;
    const sizes = new Set([
      ...(model.totalCapBuckets.get(offerId)?.get(outcome) ?? []).map((b) => b.bucketMs),
      ...extraBuckets,
    ]);
    for (const size of sizes) {
      let b = c.buckets.get(size);
      if (!b) c.buckets.set(size, (b = new Map()));
      const idx = Math.floor(tMs / size);
      b.set(idx, (b.get(idx) ?? 0) + 1);
    }
  };

  const readTotal = (offerId: string, outcome: Outcome, windowMs: number | null, nowMs: number): number => {
    const c = totals.get(totalKey(offerId, outcome));
    if (!c) return 0;
    if (windowMs === null) return c.lifetime;
    const size = bucketSizeFor(windowMs);
    const b = c.buckets.get(size);
    if (!b) return 0;
    const first = Math.floor((nowMs - windowMs) / size);
    let n = 0;
    for (const [idx, v] of b) {
      if (idx >= first) n += v;
      else if (idx < Math.floor((nowMs - MAX_WINDOW_MS) / size)) b.delete(idx);
    }
    return n;
  };

  let learningVersion = 0;
  const learn = (
    offerId: string,
    namespace: string,
    segment: string | null,
    impressions: number,
    accepted: number,
    nowMs: number,
    features: readonly number[] = [],
  ) => {
    learningVersion++;
    let m = learning.get(offerId);
    if (!m) learning.set(offerId, (m = new Map()));
    const halfLifeMs = model.learningOf(offerId)?.halfLifeMs ?? null;
    for (const key of learningKeys(namespace, segment, features)) {
      m.set(key, addCounts(m.get(key) ?? noCounts(), impressions, accepted, halfLifeMs, nowMs));
    }
  };
  const policies = new Map<string, PolicyCounts>();
  const policyCounts = (policy: string): PolicyCounts => {
    let c = policies.get(policy);
    if (!c) policies.set(policy, (c = noPolicyCounts()));
    return c;
  };

  const setHousehold = (customerId: string, r: CustomerRecord, householdId: string | null, tMs: number) => {
    if (r.household && r.household.t > tMs) return; // an older link never overrides a newer one
    const previous = r.household?.id ?? null;
    if (previous !== null && previous !== householdId) {
      const members = households.get(previous);
      members?.delete(customerId);
      if (members?.size === 0) households.delete(previous);
    }
    if (householdId !== null) {
      let members = households.get(householdId);
      if (!members) households.set(householdId, (members = new Set()));
      members.add(customerId);
    }
    r.household = { id: householdId, t: tMs };
  };

  let attributed: NonNullable<ApplyResult['attributed']> = [];
  const applyOne = (ev: ValidEvent, nowMs: number, reject: (r: Omit<StoreRejection, 'index'>) => void): ApplyStatus => {
    const known = customers.get(ev.customerId);
    const seenUntil = known?.seen.get(ev.id);
    if (seenUntil !== undefined && seenUntil > Math.floor(nowMs / 1000)) return 'duplicate';
    let issued: IssuedDecision | null = null;
    if (ev.type === 'offer_response') {
      // only a decision issued to this customer with this offer counts: checked before anything is stored
      const check = checkResponse(known?.decisions, ev.data?.decisionId as string, ev.data?.offerId as string, nowMs);
      if ('code' in check) {
        reject(check);
        return 'rejected';
      }
      issued = check.decision;
    }
    const r = known ?? record(ev.customerId);
    r.seen.set(ev.id, Math.ceil((nowMs + horizon) / 1000));
    r.touchedAt = nowMs;
    const data = ev.data ?? {};
    if (ev.type === 'profile') {
      for (const [k, v] of Object.entries(data)) {
        const cur = r.profile.get(k);
        if (cur && cur.t > ev.timeMs) continue; // an older value never overwrites a newer one
        // a private, frozen copy: snapshots share it instead of copying it on every read
        r.profile.set(k, { v: v === null ? undefined : deepFreeze(structuredClone(v)), t: ev.timeMs });
        r.profileView = null;
      }
    } else if (ev.type === 'household') {
      setHousehold(ev.customerId, r, (data.householdId as string | null) ?? null, ev.timeMs);
    } else if (ev.type === 'offer_response') {
      const offerId = data.offerId as string;
      const h = r.offers.read(offerId) ?? emptyHistory();
      const delta = recordResponse(h, data.outcome as ResponseOutcome, data.decisionId as string, ev.timeMs, (o) =>
        model.recentDepth(offerId, o),
      );
      r.offers.write(offerId, h);
      const namespace = namespaceOf(issued!.policy);
      if ((delta.impressions || delta.accepted) && namespace !== null)
        learn(offerId, namespace, issued!.segment, delta.impressions, delta.accepted, nowMs, issued!.features);
      if (delta.impressions || delta.accepted) {
        const pc = policyCounts(issued!.policy);
        const value = model.learningOf(offerId)?.value ?? 0;
        pc.impressions += delta.impressions;
        pc.accepted += delta.accepted;
        pc.value += delta.accepted * value;
        pc.valueSq += delta.accepted * value * value;
      }
      attributed.push({
        policy: issued!.policy,
        outcome: data.outcome as string,
        value: delta.accepted * (model.learningOf(offerId)?.value ?? 0),
      });
      if (delta.impressions && data.outcome !== 'impression') countTotal(offerId, 'impression', ev.timeMs);
      countTotal(offerId, data.outcome as Outcome, ev.timeMs);
    }
    for (const def of model.storageByEvent.get(ev.type) ?? []) {
      const value = eventValue(def, ev, nowMs);
      if (value === undefined) continue;
      const next = fold(def, r.aggs.get(def.storageKey), value, ev.timeMs, nowMs);
      if (next) {
        r.aggs.set(def.storageKey, next);
        r.aggVersion++;
      }
    }
    return 'applied';
  };

  const trimCustomer = (id: string, r: CustomerRecord, nowMs: number): boolean => {
    const nowS = Math.floor(nowMs / 1000);
    r.seen.dropExpired(nowS);
    for (const [key, st] of r.aggs) {
      const def = model.storageByKey.get(key);
      if (!def || trim(def, st, nowMs)) r.aggs.delete(key); // gone from the model, or empty
      r.aggVersion++;
    }
    for (const offerId of r.offers.needingTrim(nowMs)) {
      const h = r.offers.read(offerId)!;
      trimHistory(h, nowMs);
      r.offers.write(offerId, h);
    }
    r.decisions.dropIssuedBy(nowMs - DECISION_TTL_MS);
    if (nowMs - r.touchedAt > CUSTOMER_IDLE_TTL_MS) {
      if (r.household?.id) setHousehold(id, r, null, Infinity);
      customers.delete(id);
      return true;
    }
    return false;
  };

  const sweep = () => {
    const nowMs = clock();
    for (const [id, r] of customers) trimCustomer(id, r, nowMs);
  };
  // The periodic sweep goes through the customers a slice at a time (a full pass per
  // interval): one pass over every customer at once stalled decisions for milliseconds.
  const SWEEP_SLICES = 60;
  let cursor: Iterator<[string, CustomerRecord]> | null = null;
  let slice = 0;
  const sweepSlice = () => {
    const nowMs = clock();
    if (cursor === null) {
      cursor = customers.entries();
      slice = Math.ceil(customers.size / SWEEP_SLICES); // fixed for the pass: forgotten customers shrink the map
    }
    let left = slice;
    while (left-- > 0) {
      const next = cursor.next();
      if (next.done) {
        cursor = null;
        return;
      }
      trimCustomer(next.value[0], next.value[1], nowMs);
    }
  };
  const timer = opts.sweepIntervalMs
    ? setInterval(sweepSlice, Math.max(1, Math.floor(opts.sweepIntervalMs / SWEEP_SLICES)))
    : null;
  timer?.unref();

  /** Reads every aggregate over one customer's states, or combines several members'. */
  const readAggs = (members: Array<Array<AggState | undefined>>, nowMs: number): Record<string, AggValue> => {
    const out: Record<string, AggValue> = {};
    model.aggregates.forEach((def, i) => {
      const list = members.map((m) => m[i]).filter((st): st is AggState => st !== undefined);
      out[def.name] = list.length <= 1 ? read(def, list[0], nowMs) : combine(def, list, nowMs);
    });
    return out;
  };
  const statesOf = (r: CustomerRecord | undefined) => model.aggregates.map((d) => r?.aggs.get(d.storageKey));
  /** One customer's aggregates (the decision path): no per-aggregate member lists. */
  const ownAggs = (r: CustomerRecord | undefined, nowMs: number): Record<string, AggValue> => {
    const defs = model.aggregates;
    // a value changes only with the customer's buckets or when a window moves to another bucket
    const firsts = defs.map((def) => (def.bucketMs === null ? 0 : firstBucket(def, nowMs)));
    const c = r?.aggCache;
    if (
      c &&
      c.version === r!.aggVersion &&
      c.firsts.length === firsts.length &&
      c.firsts.every((f, i) => f === firsts[i]) &&
      c.model === model
    )
      return { ...c.values };
    const out: Record<string, AggValue> = {};
    for (const def of defs) out[def.name] = read(def, r?.aggs.get(def.storageKey), nowMs);
    if (r) r.aggCache = { version: r.aggVersion, firsts, values: out, model };
    return { ...out };
  };
  /** The offer histories a snapshot asked for (`only`), or all of them: copies, the snapshot's own. */
  const offersOf = (
    r: CustomerRecord | undefined,
    only: readonly string[] | undefined,
  ): Record<string, OfferHistory> => {
    const out: Record<string, OfferHistory> = {};
    if (!r) return out;
    for (const id of only ?? r.offers.offerIds()) {
      const h = r.offers.read(id);
      if (h !== undefined) out[id] = h;
    }
    return out;
  };
  const profileOf = (r: CustomerRecord | undefined): Readonly<Record<string, unknown>> => {
    if (!r) return Object.freeze({});
    if (r.profileView === null) {
      const view: Record<string, unknown> = {};
      for (const [k, { v }] of r.profile) if (v !== undefined) view[k] = v;
      r.profileView = Object.freeze(view);
    }
    return r.profileView;
  };

  const stats: GlobalStats = {
    learning(offerId, segment, namespace = '') {
      const m = learning.get(offerId);
      return m?.get(learningPrefix(namespace, segment)) ?? noCounts();
    },

    version: () => learningVersion,
    total: readTotal,
  };

  const assertOpen = () => {
    if (closed) throw new Error('the in-process store is closed');
  };

  return {
    kind: 'memory',
    stats,
    setModel(m) {
      model = m;
    },
    async applyEvents(events) {
      assertOpen();
      const nowMs = clock();
      const rejected: StoreRejection[] = [];
      attributed = [];
      const statuses = events.map((ev, index): ApplyStatus => {
        const why = unstorable(ev, index);
        if (why) {
          rejected.push(why);
          return 'rejected';
        }
        return applyOne(ev, nowMs, (r) => rejected.push({ index, ...r }));
      });
      // keep memory bounded by the windows: trim what each touched customer no longer needs
      for (const id of new Set(events.map((e) => e.customerId))) {
        const r = customers.get(id);
        if (r) trimCustomer(id, r, nowMs);
      }
      const applied = statuses.filter((s) => s === 'applied').length;
      return { applied, duplicates: statuses.filter((s) => s === 'duplicate').length, statuses, rejected, attributed };
    },
    async snapshot(customerId, nowMs, histories) {
      assertOpen();
      const r = customers.get(customerId);
      // read-only (frozen): the profile is shared with the store, the rest is the snapshot's own
      const profile = profileOf(r) as Record<string, unknown>;
      let household: CustomerSnapshot['household'] = null;
      const hid = r?.household?.id ?? null;
      if (hid !== null) {
        const members = [...(households.get(hid) ?? [])].map((m) => statesOf(customers.get(m)));
        household = { id: hid, agg: readAggs(members, nowMs) };
      }
      return { customerId, profile, agg: ownAggs(r, nowMs), household, offers: offersOf(r, histories) };
    },
    async recordOffered(rec: OfferedRecord) {
      assertOpen();
      const r = record(rec.customerId);
      r.touchedAt = Math.max(r.touchedAt, clock());
      for (const offerId of rec.offerIds) {
        const h = r.offers.read(offerId) ?? emptyHistory();
        recordOffered(h, rec.decisionId, rec.segment, rec.atMs, (o) => model.recentDepth(offerId, o));
        r.offers.write(offerId, h);
      }
      const issued: IssuedDecision = {
        offerIds: rec.offerIds, // the ring keeps a shared list of the same ids
        policy: rec.policy ?? DEFAULT_POLICY,
        segment: rec.segment,
        atMs: rec.atMs,
      };
      if (rec.features?.length) issued.features = [...rec.features]; // not a spread: the literal stays one shape
      r.decisions.add(rec.decisionId, issued);
    },
    policies: () => policies,
    countDecision(policy) {
      policyCounts(policy).decisions += 1;
    },
    async reserveOffered(offerId: string, caps: readonly Cap[], nowMs: number) {
      assertOpen();
      const offeredCaps = caps.filter((c) => c.outcome === 'offered');
      for (const c of offeredCaps) if (readTotal(offerId, 'offered', c.windowMs, nowMs) >= c.max) return false;
      countTotal(
        offerId,
        'offered',
        nowMs,
        offeredCaps.flatMap((c) => (c.windowMs === null ? [] : [bucketSizeFor(c.windowMs)])),
      );
      return true;
    },
    async ping() {
      assertOpen();
    },
    async close() {
      closed = true;
      if (timer) clearInterval(timer);
    },
    sweep,
    /** How many customers it holds, at no cost (size() walks every customer). */
    customerCount: () => customers.size,
    size() {
      let buckets = 0;
      let seenIds = 0;
      for (const r of customers.values()) {
        seenIds += r.seen.size;
        for (const st of r.aggs.values())
          buckets +=
            st.kind === 'num' || st.kind === 'avg' ? st.buckets.size : st.kind === 'distinct' ? st.seen.size : 1;
      }
      return { customers: customers.size, households: households.size, buckets, seenIds };
    },
  };
}

/** Freezes a JSON value and everything in it (profile values are shared by snapshots). */
function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
    Object.freeze(v);
  }
  return v;
}

export interface MemoryStoreSize {
  customers: number;
  households: number;
  /** Buckets, distinct values and last-values held across all customers. */
  buckets: number;
  seenIds: number;
}

import type { Outcome } from '../events/types.js';
import { bucketSizeFor } from '../config/duration.js';
import type { AggregateDef, RuleSet } from '../rules/types.js';
import type { StateModel } from './types.js';

/** A model that keeps no aggregates and no windowed totals. */
export function emptyModel(): StateModel {
  return {
    aggregates: [],
    storageByEvent: new Map(),
    storageByKey: new Map(),
    totalCapBuckets: new Map(),
    recentDepth: () => 0,
    learningOf: () => undefined,
  };
}

/** What a store keeps for a rule set: its aggregates, the bucket sizes of windowed total caps, each offer's learning half-life. */
export function stateModelFrom(rules: RuleSet, opts: { halfLifeMs?: number | null } = {}): StateModel {
  const globalHalfLife = opts.halfLifeMs ?? null;
  const learning = new Map(
    rules.offers.map((o) => [
      o.id,
      { halfLifeMs: o.halfLifeMs === undefined ? globalHalfLife : o.halfLifeMs, value: o.value },
    ]),
  );
  const totalCapBuckets = new Map<string, Map<Outcome, Array<{ bucketMs: number; windowMs: number }>>>();
  for (const offer of rules.offers) {
    for (const cap of offer.totalCaps) {
      if (cap.windowMs === null) continue;
      let byOutcome = totalCapBuckets.get(offer.id);
      if (!byOutcome) totalCapBuckets.set(offer.id, (byOutcome = new Map()));
      const sizes = byOutcome.get(cap.outcome) ?? [];
      const bucketMs = bucketSizeFor(cap.windowMs);
      const same = sizes.find((s) => s.bucketMs === bucketMs);
      if (same) same.windowMs = Math.max(same.windowMs, cap.windowMs);
      else byOutcome.set(cap.outcome, [...sizes, { bucketMs, windowMs: cap.windowMs }]);
    }
  }
  const depth = new Map<string, number>();
  for (const offer of rules.offers) {
    for (const cap of offer.customerCaps) {
      if (cap.windowMs === null) continue;
      const key = `${offer.id}\u0000${cap.outcome}`;
      depth.set(key, Math.max(depth.get(key) ?? 0, cap.max));
    }
  }
  const recentDepth = (offerId: string, outcome: Outcome) => depth.get(`${offerId}\u0000${outcome}`) ?? 0;
  return {
    aggregates: rules.aggregates,
    ...storageOf(rules.aggregates),
    totalCapBuckets,
    recentDepth,
    learningOf: (id) => learning.get(id),
  };
}

/** Aggregates that keep the same buckets share them, kept at the longest of their windows. */
function storageOf(aggregates: readonly AggregateDef[]): Pick<StateModel, 'storageByEvent' | 'storageByKey'> {
  const storageByKey = new Map<string, AggregateDef>();
  for (const a of aggregates) {
    const cur = storageByKey.get(a.storageKey);
    const longer = cur === undefined || (cur.windowMs !== null && (a.windowMs === null || a.windowMs > cur.windowMs));
    if (longer) storageByKey.set(a.storageKey, a);
  }
  const storageByEvent = new Map<string, AggregateDef[]>();
  for (const keeper of storageByKey.values())
    for (const e of keeper.events) storageByEvent.set(e, [...(storageByEvent.get(e) ?? []), keeper]);
  return { storageByEvent, storageByKey };
}

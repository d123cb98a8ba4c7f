import type { Outcome } from '../events/types.js';
import { bucketSizeFor } from '../rules/duration.js';
import type { RuleSet } from '../rules/types.js';
import type { StateModel } from './types.js';

/** A model that keeps no aggregates and no windowed totals. */
export function emptyModel(): StateModel {
  return { aggregates: [], aggregatesByEvent: new Map(), totalCapBuckets: new Map() };
}

/** What a store keeps for a rule set: its aggregates and the bucket sizes of windowed total caps. */
export function stateModelFrom(rules: RuleSet): StateModel {
  const totalCapBuckets = new Map<string, Map<Outcome, number[]>>();
  for (const offer of rules.offers) {
    for (const cap of offer.totalCaps) {
      if (cap.windowMs === null) continue;
      let byOutcome = totalCapBuckets.get(offer.id);
      if (!byOutcome) totalCapBuckets.set(offer.id, (byOutcome = new Map()));
      const sizes = byOutcome.get(cap.outcome) ?? [];
      const size = bucketSizeFor(cap.windowMs);
      if (!sizes.includes(size)) byOutcome.set(cap.outcome, [...sizes, size]);
    }
  }
  return { aggregates: rules.aggregates, aggregatesByEvent: rules.aggregatesByEvent, totalCapBuckets };
}

import { assignSegments, buildContext } from '../decide/context.js';
import { OUTCOMES } from '../events/types.js';
import type { RuleSet } from '../rules/types.js';
import type { CustomerSnapshot, CustomerStateStore } from '../state/types.js';

/** GET /v1/customers/{id}: what NBO holds about a customer, and the segments the live rules put them in. */
export interface CustomerView {
  customerId: string;
  profile: CustomerSnapshot['profile'];
  agg: CustomerSnapshot['agg'];
  segments: Record<string, string | null>;
  household: CustomerSnapshot['household'];
  /** Per offer: the count of each outcome, the last outcome and when (ISO 8601). */
  offers: Record<string, unknown>;
}

/** Reads the customer's state and segments it as a decision would, at `now`. */
export async function customerView(
  store: CustomerStateStore,
  rules: RuleSet,
  customerId: string,
  now: number,
): Promise<CustomerView> {
  const snap = await store.snapshot(customerId, now);
  const ctx = buildContext(snap, '', null, {}, now);
  assignSegments(ctx, rules.segmentations, { nowMs: now });
  const offers: Record<string, unknown> = {};
  for (const [offerId, h] of Object.entries(snap.offers)) {
    offers[offerId] = {
      ...Object.fromEntries(OUTCOMES.map((o) => [o, h.counts[o]])),
      lastOutcome: h.lastOutcome,
      lastAt: h.lastOutcomeAt === null ? null : new Date(h.lastOutcomeAt).toISOString(),
    };
  }
  return {
    customerId,
    profile: snap.profile,
    agg: snap.agg,
    segments: ctx.customer.segments,
    household: snap.household,
    offers,
  };
}

import type { Offer } from '../rules/types.js';
import type { GlobalStats } from '../state/types.js';

/** Where an offer stands in the catalog right now. */
export type OfferState = 'active' | 'scheduled' | 'expired' | 'capped';

/** The cap an offer reached, when its state is `capped`. */
export interface ReachedCap {
  outcome: string;
  max: number;
  window: string | null;
  count: number;
}

/**
 * An offer's catalog state at `nowMs`: `scheduled` before its active window, `expired`
 * after it, `capped` when one of its total caps (across all customers) is reached,
 * else `active`. Customer caps and cooldowns are per customer, not a catalog state.
 */
export function offerState(offer: Offer, stats: GlobalStats, nowMs: number): { state: OfferState; cap?: ReachedCap } {
  if (offer.activeFromMs !== null && nowMs < offer.activeFromMs) return { state: 'scheduled' };
  if (offer.activeToMs !== null && nowMs > offer.activeToMs) return { state: 'expired' };
  for (const cap of offer.totalCaps) {
    const count = stats.total(offer.id, cap.outcome, cap.windowMs, nowMs);
    if (count >= cap.max)
      return { state: 'capped', cap: { outcome: cap.outcome, max: cap.max, window: cap.window, count } };
  }
  return { state: 'active' };
}

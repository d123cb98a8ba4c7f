import type { Offer } from '../rules/types.js';
import type { CustomerSnapshot } from '../state/types.js';
import { needsReservation } from './caps.js';
import type { Exploration } from './policy.js';
import type { Scored } from './rank.js';

/*
 * The fallback rule, in one place. Fallback offers are returned only when no regular offer
 * is: the regular offers are picked first, and the fallbacks only when none was chosen. A
 * degraded decision (customer state not read in time) considers fallback offers alone,
 * with an empty snapshot. The holdout's `none` control returns nothing, fallbacks neither.
 */

/** The customer state a degraded decision is made with: none. */
export function degradedSnapshot(customerId: string): CustomerSnapshot {
  return { customerId, profile: {}, agg: {}, household: null, offers: {} };
}

/** Whether a decision considers the offer at all: a degraded one (`fallbackOnly`) considers fallback offers only. */
export const considered = (offer: Offer, fallbackOnly: boolean | undefined): boolean => !fallbackOnly || offer.fallback;

/**
 * Whether the fallbacks must be ranked too: when no qualifying regular offer is certain to
 * be returned (each left needs a reservation it may lose, caps.ts).
 */
export const fallbacksNeeded = (ranked: readonly Scored[]): boolean => !ranked.some((s) => !needsReservation(s.offer));

/**
 * The offers a decision returns, and the list they came from: the regular offers picked,
 * else the fallbacks picked; nothing for the `none` control (it was evaluated for the explanation).
 */
export async function chooseOffers(
  exploration: Exploration,
  ranked: readonly Scored[],
  fallbacks: readonly Scored[],
  pickFrom: (list: readonly Scored[]) => Promise<Scored[]>,
): Promise<{ from: readonly Scored[]; chosen: Scored[] }> {
  if (exploration === 'none') return { from: ranked, chosen: [] };
  const chosen = await pickFrom(ranked);
  if (chosen.length > 0) return { from: ranked, chosen };
  return { from: fallbacks, chosen: await pickFrom(fallbacks) };
}

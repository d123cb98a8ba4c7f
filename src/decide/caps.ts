import type { Cap, Offer } from '../rules/types.js';
import type { CustomerStateStore, GlobalStats, OfferHistory } from '../state/types.js';
import type { OfferFate } from './types.js';

/** What a cap that stops an offer explains (OfferFate.cap). */
export type CapFate = { status: 'capped'; cap: NonNullable<OfferFate['cap']> };

/** Count of an outcome a cap counts: lifetime, or the recent times inside its window. */
export function capCount(h: OfferHistory | undefined, cap: Cap, nowMs: number): number {
  if (!h) return 0;
  if (cap.windowMs === null) return h.counts[cap.outcome];
  const since = nowMs - cap.windowMs;
  const recent = h.recent[cap.outcome] ?? [];
  let n = 0;
  for (let i = recent.length - 1; i >= 0 && recent[i]! > since; i--) n++;
  return n;
}

/** The first customer cap the customer's history of the offer has reached, else null. */
export function customerCapFate(offer: Offer, history: OfferHistory | undefined, nowMs: number): CapFate | null {
  for (const cap of offer.customerCaps) {
    const count = capCount(history, cap, nowMs);
    if (count >= cap.max)
      return {
        status: 'capped',
        cap: { scope: 'customer', outcome: cap.outcome, max: cap.max, window: cap.window, count },
      };
  }
  return null;
}

/** The first total cap (every customer together) the offer has reached, else null. */
export function totalCapFate(offer: Offer, stats: GlobalStats, nowMs: number): CapFate | null {
  for (const cap of offer.totalCaps) {
    const count = stats.total(offer.id, cap.outcome, cap.windowMs, nowMs);
    if (count >= cap.max)
      return {
        status: 'capped',
        cap: { scope: 'total', outcome: cap.outcome, max: cap.max, window: cap.window, count },
      };
  }
  return null;
}

/** Customer caps, then total caps: the first one reached, else null. */
export function capFate(
  offer: Offer,
  history: OfferHistory | undefined,
  stats: GlobalStats,
  nowMs: number,
): CapFate | null {
  return customerCapFate(offer, history, nowMs) ?? totalCapFate(offer, stats, nowMs);
}

/**
 * Whether returning the offer needs a reservation against its total caps on `offered`
 * (counted when returned, across instances). Until reserved it is not certain to be returned.
 */
export const needsReservation = (offer: Offer): boolean => offer.offeredTotalCaps.length > 0;

/**
 * Reserves one `offered` against the offer's total caps on `offered`: null when it may be
 * returned (nothing to reserve, or reserved), else the cap that stops it. The store is down
 * when degraded: an offer that needs a reservation is then not returned.
 */
export async function reserveOffered(
  store: CustomerStateStore,
  offer: Offer,
  nowMs: number,
  degraded: boolean,
): Promise<CapFate | null> {
  const caps = offer.offeredTotalCaps;
  if (caps.length === 0) return null;
  const reserved = !degraded && (await store.reserveOffered(offer.id, caps, nowMs).catch(() => false));
  if (reserved) return null;
  const cap = caps[0]!;
  return {
    status: 'capped',
    cap: { scope: 'total', outcome: 'offered', max: cap.max, window: cap.window, count: cap.max },
  };
}

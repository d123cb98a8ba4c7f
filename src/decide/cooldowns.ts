import type { Offer } from '../rules/types.js';
import type { OfferHistory } from '../state/types.js';
import type { OfferFate } from './types.js';

/** What a cooldown that stops an offer explains (OfferFate.cooldown). */
export type CooldownFate = { status: 'cooldown'; cooldown: NonNullable<OfferFate['cooldown']> };

/** The first of the offer's cooldowns still running for the customer (its outcome happened less than its window ago), else null. */
export function cooldownFate(offer: Offer, history: OfferHistory | undefined, nowMs: number): CooldownFate | null {
  for (const cd of offer.cooldowns) {
    const last = history?.lastAt[cd.outcome];
    if (last !== undefined && last + cd.ms > nowMs) {
      return {
        status: 'cooldown',
        cooldown: { outcome: cd.outcome, window: cd.window, until: new Date(last + cd.ms).toISOString() },
      };
    }
  }
  return null;
}

import { describe, expect, it } from 'vitest';
import {
  capCount,
  capFate,
  customerCapFate,
  needsReservation,
  reserveOffered,
  totalCapFate,
} from '../../src/decide/caps.js';
import type { Cap } from '../../src/rules/types.js';
import { createMemoryStore } from '../../src/state/memory-store.js';
import { stateModelFrom } from '../../src/state/model.js';
import type { OfferHistory } from '../../src/state/types.js';
import { DAY, T0 } from '../support/events.js';
import { offer, ruleSet } from '../support/rules.js';

/** A customer's history of one offer: lifetime counts and recent times of `redeemed`. */
function history(redeemed: number[], lifetime = redeemed.length): OfferHistory {
  return {
    counts: { offered: 0, impression: 0, accepted: 0, declined: 0, redeemed: lifetime },
    lastAt: redeemed.length > 0 ? { redeemed: redeemed[redeemed.length - 1]! } : {},
    recent: { redeemed },
    lastOutcome: redeemed.length > 0 ? 'redeemed' : null,
    lastOutcomeAt: redeemed.length > 0 ? redeemed[redeemed.length - 1]! : null,
  } as OfferHistory;
}

const lifetime: Cap = { outcome: 'redeemed', max: 3, windowMs: null, window: null };
const weekly: Cap = { outcome: 'redeemed', max: 2, windowMs: 7 * DAY, window: '7d' };

describe('caps — capCount', () => {
  it('no history counts 0', () => {
    expect(capCount(undefined, lifetime, T0)).toBe(0);
  });
  it('a lifetime cap counts the lifetime count, not the recent times', () => {
    expect(capCount(history([T0 - DAY], 5), lifetime, T0)).toBe(5);
  });
  it('a windowed cap counts the recent times strictly inside the window', () => {
    const h = history([T0 - 8 * DAY, T0 - 7 * DAY, T0 - 7 * DAY + 1, T0 - DAY], 9);
    expect(capCount(h, weekly, T0)).toBe(2);
  });
});

describe('caps — the filter', () => {
  const rules = ruleSet({
    offers: [
      offer('both', {
        caps: {
          customer: [
            { outcome: 'redeemed', max: 2, window: '7d' },
            { outcome: 'redeemed', max: 3 },
          ],
        },
      }),
      offer('scarce', { caps: { total: [{ outcome: 'offered', max: 2 }] } }),
      offer('free'),
      offer('redeemable', { caps: { total: [{ outcome: 'redeemed', max: 5 }] } }),
    ],
  });
  const byId = (id: string) => rules.offers.find((o) => o.id === id)!;
  const [both, scarce, free] = [byId('both'), byId('scarce'), byId('free')];

  it('a customer cap stops the offer once its count reaches max, and explains which cap with the count', () => {
    expect(customerCapFate(both, history([T0 - DAY]), T0)).toBeNull();
    expect(customerCapFate(both, history([T0 - 2 * DAY, T0 - DAY]), T0)).toEqual({
      status: 'capped',
      cap: { scope: 'customer', outcome: 'redeemed', max: 2, window: '7d', count: 2 },
    });
    // outside the week the windowed cap is clear; the lifetime one is reached
    expect(customerCapFate(both, history([T0 - 30 * DAY, T0 - 20 * DAY, T0 - 10 * DAY]), T0)).toEqual({
      status: 'capped',
      cap: { scope: 'customer', outcome: 'redeemed', max: 3, window: null, count: 3 },
    });
  });

  it('a total cap stops the offer for every customer once the shared count reaches max', async () => {
    const store = createMemoryStore({ clock: () => T0 });
    store.setModel(stateModelFrom(rules));
    expect(totalCapFate(scarce, store.stats, T0)).toBeNull();
    expect(await store.reserveOffered(scarce.id, scarce.offeredTotalCaps, T0)).toBe(true);
    expect(await store.reserveOffered(scarce.id, scarce.offeredTotalCaps, T0)).toBe(true);
    expect(totalCapFate(scarce, store.stats, T0)).toEqual({
      status: 'capped',
      cap: { scope: 'total', outcome: 'offered', max: 2, window: null, count: 2 },
    });
    // customer caps come first
    expect(capFate(free, undefined, store.stats, T0)).toBeNull();
    expect(capFate(scarce, undefined, store.stats, T0)?.cap.scope).toBe('total');
  });

  it('only an offer with total caps on offered needs a reservation', () => {
    expect(needsReservation(scarce)).toBe(true);
    expect(needsReservation(both)).toBe(false);
    expect(needsReservation(free)).toBe(false);
    // a total cap on a response outcome is counted from responses, not reserved
    expect(needsReservation(byId('redeemable'))).toBe(false);
  });

  it('the reservation lets the offer through until its cap is full; degraded, it never does', async () => {
    const store = createMemoryStore({ clock: () => T0 });
    store.setModel(stateModelFrom(rules));
    expect(await reserveOffered(store, free, T0, true)).toBeNull();
    const full = { status: 'capped', cap: { scope: 'total', outcome: 'offered', max: 2, window: null, count: 2 } };
    expect(await reserveOffered(store, scarce, T0, true)).toEqual(full);
    // the degraded attempt reserved nothing: both reservations are still there
    expect(await reserveOffered(store, scarce, T0, false)).toBeNull();
    expect(await reserveOffered(store, scarce, T0, false)).toBeNull();
    expect(await reserveOffered(store, scarce, T0, false)).toEqual(full);
  });

  it('a reservation the store fails to make does not let the offer through', async () => {
    const store = createMemoryStore({ clock: () => T0 });
    store.setModel(stateModelFrom(rules));
    await store.close(); // a closed store refuses every call
    const full = { status: 'capped', cap: { scope: 'total', outcome: 'offered', max: 2, window: null, count: 2 } };
    expect(await reserveOffered(store, scarce, T0, false)).toEqual(full);
    // an offer with nothing to reserve asks the store nothing
    expect(await reserveOffered(store, free, T0, false)).toBeNull();
  });
});

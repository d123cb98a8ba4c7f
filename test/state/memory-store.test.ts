import { describe, expect, it } from 'vitest';
import { stateModelFrom } from '../../src/state/model.js';
import { createMemoryStore } from '../../src/state/memory-store.js';
import { DAY, ev, HOUR, manualClock, T0 } from '../support/events.js';
import { offer, ruleSet } from '../support/rules.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('in-process', async (clock) => createMemoryStore({ clock }));

describe('in-process store — bounded memory', () => {
  it('holds at most one bucket per window slot however many events arrive', async () => {
    const clock = manualClock(T0);
    const store = createMemoryStore({ clock: clock.now, dedupeHorizonMs: DAY });
    store.setModel(
      stateModelFrom(
        ruleSet({
          aggregates: { spend_7d: { event: 'purchase', field: 'data.amount', fn: 'sum', window: '7d' } },
          offers: [offer('x')],
        }),
      ),
    );
    for (let day = 0; day < 60; day++) {
      clock.set(T0 + day * DAY);
      await store.applyEvents(
        Array.from({ length: 48 }, (_, i) => ev('c1', 'purchase', { amount: 1 }, clock.now() - i * 30 * 60_000)),
      );
    }
    const size = store.size();
    // 7 days of hourly buckets (+1 partial); 1 day of event ids (48 a day, 2 days at most)
    expect(size.buckets).toBeLessThanOrEqual(7 * 24 + 1);
    expect(size.seenIds).toBeLessThanOrEqual(2 * 48);
    expect((await store.snapshot('c1', clock.now())).agg.spend_7d).toBeGreaterThanOrEqual(7 * 48);
  });

  it('forgets a customer idle for longer than the longest window', async () => {
    const clock = manualClock(T0);
    const store = createMemoryStore({ clock: clock.now });
    await store.applyEvents([ev('gone', 'profile', { a: 1 })]);
    clock.advance(401 * DAY + HOUR);
    store.sweep();
    expect(store.size().customers).toBe(0);
  });

  it('the periodic sweep goes through every customer a slice at a time, within one interval', async () => {
    const clock = manualClock(T0);
    const store = createMemoryStore({ clock: clock.now, sweepIntervalMs: 120 });
    try {
      await store.applyEvents(Array.from({ length: 600 }, (_, i) => ev(`c${i}`, 'profile', { a: 1 })));
      clock.advance(401 * DAY + HOUR);
      await new Promise((r) => setTimeout(r, 15));
      const partway = store.size().customers;
      expect(partway).toBeGreaterThan(0); // not all at once
      expect(partway).toBeLessThan(600); // but under way
      for (let i = 0; i < 100 && store.size().customers > 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(store.size().customers).toBe(0);
    } finally {
      await store.close();
    }
  });
});

describe('in-process store — a response without a decision id', () => {
  it('is refused as naming no issued decision, and the rest of its batch applies', async () => {
    // whoever calls the store: the validator requires the id, the store does not count on it
    const store = createMemoryStore({ clock: () => T0 });
    try {
      store.setModel(stateModelFrom(ruleSet({ offers: [offer('o1')] })));
      // a decision issued with a UUID: its slot holds no id string
      await store.recordOffered({
        customerId: 'c1',
        decisionId: '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0',
        offerIds: ['o1'],
        atMs: T0,
        segment: null,
      });
      const res = await store.applyEvents([
        ev('c1', 'offer_response', { decisionId: null, offerId: 'o1', outcome: 'accepted' }),
        ev('c1', 'offer_response', { offerId: 'o1', outcome: 'accepted' }),
        ev('c1', 'profile', { tier: 'gold' }),
      ]);
      expect(res.statuses).toEqual(['rejected', 'rejected', 'applied']);
      expect(res.rejected.map((r) => r.code)).toEqual([
        'NBO_ERR_RESPONSE_UNKNOWN_DECISION',
        'NBO_ERR_RESPONSE_UNKNOWN_DECISION',
      ]);
      const snap = await store.snapshot('c1', T0);
      expect(snap.profile).toEqual({ tier: 'gold' });
      expect(snap.offers.o1?.counts.accepted).toBe(0);
    } finally {
      await store.close();
    }
  });
});

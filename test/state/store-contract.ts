import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stateModelFrom } from '../../src/state/model.js';
import { MAX_DECISIONS_KEPT, type CustomerStateStore } from '../../src/state/types.js';
import { DAY, ev, HOUR, manualClock, MIN, T0 } from '../support/events.js';
import { offer, ruleSet } from '../support/rules.js';

/** Builds a fresh, empty store whose clock is `clock`. Each call gets its own namespace. */
export type StoreFactory = (clock: () => number) => Promise<CustomerStateStore>;

const RULES = ruleSet({
  aggregates: {
    spend_30d: { event: 'purchase', field: 'data.amount', fn: 'sum', window: '30d' },
    spend_90d: { event: 'purchase', field: 'data.amount', fn: 'sum', window: '90d' },
    purchases_30d: { event: 'purchase', fn: 'count', window: '30d' },
    purchases_all: { event: 'purchase', fn: 'count' },
    visits_1h: { event: 'checkout', fn: 'count', window: '1h' },
    visits_7d: { event: 'checkout', fn: 'count', window: '7d' },
    min_basket_30d: { event: 'purchase', field: 'data.amount', fn: 'min', window: '30d' },
    max_basket_30d: { event: 'purchase', field: 'data.amount', fn: 'max', window: '30d' },
    avg_basket_30d: { event: 'purchase', field: 'data.amount', fn: 'avg', window: '30d' },
    last_store: { event: 'checkout', field: 'data.storeId', fn: 'last' },
    last_store_7d: { event: 'checkout', field: 'data.storeId', fn: 'last', window: '7d' },
    stores_30d: { event: 'checkout', field: 'data.storeId', fn: 'distinct', window: '30d', max: 5 },
    coffee_30d: {
      event: 'purchase',
      fn: 'count',
      window: '30d',
      where: { '==': [{ var: 'data.category' }, 'coffee'] },
    },
    coupons: { event: 'purchase', fn: 'count', field: 'data.coupon' },
  },
  offers: [
    offer('capped', { caps: { total: [{ outcome: 'offered', max: 5 }] } }),
    offer('o1', {
      caps: {
        customer: [
          { outcome: 'offered', max: 20, window: '30d' },
          { outcome: 'declined', max: 2, window: '30d' },
        ],
      },
    }),
    offer('daily', { caps: { total: [{ outcome: 'offered', max: 3, window: '1d' }] } }),
    offer('hl', { value: 4, propensity: { halfLife: '1d' } }),
    offer('half', { value: 2.5 }),
  ],
});

/**
 * The contract every {@link CustomerStateStore} keeps. The in-process store and the
 * Redis store (single node and cluster) run exactly these tests.
 */
export function describeStoreContract(name: string, factory: StoreFactory): void {
  describe(`CustomerStateStore contract — ${name}`, () => {
    let clock: ReturnType<typeof manualClock>;
    let store: CustomerStateStore;

    beforeEach(async () => {
      clock = manualClock();
      store = await factory(clock.now);
      store.setModel(stateModelFrom(RULES));
    });
    afterEach(async () => {
      await store.close();
    });

    const snap = (id: string) => store.snapshot(id, clock.now());

    it("a snapshot asked for some offers' histories holds exactly what a full one holds for them", async () => {
      await store.recordOffered({
        customerId: 'c1',
        decisionId: 'd1',
        offerIds: ['o1', 'o2', 'o3'],
        atMs: T0,
        segment: null,
      });
      await store.applyEvents([
        ev('c1', 'offer_response', { decisionId: 'd1', offerId: 'o2', outcome: 'declined' }, T0 + MIN),
        ev('c1', 'purchase', { amount: 7 }),
      ]);
      const full = await snap('c1');
      const some = await store.snapshot('c1', clock.now(), ['o2', 'o3', 'never-offered']);
      expect(some.offers.o2).toEqual(full.offers.o2);
      expect(some.offers.o3).toEqual(full.offers.o3);
      expect(some.offers['never-offered']).toBeUndefined();
      expect({ ...some, offers: {} }).toEqual({ ...full, offers: {} });
      expect((await store.snapshot('c1', clock.now(), [])).agg).toEqual(full.agg);
    });

    it('decision ids as NBO issues them (UUIDs) are read back exactly, and a caller changing a snapshot changes nothing stored', async () => {
      const d1 = randomUUID();
      const d2 = randomUUID();
      await store.recordOffered({ customerId: 'c1', decisionId: d1, offerIds: ['o1', 'o2'], atMs: T0, segment: null });
      await store.recordOffered({ customerId: 'c1', decisionId: d2, offerIds: ['o1'], atMs: T0 + MIN, segment: null });
      const res = await store.applyEvents([
        ev('c1', 'offer_response', { decisionId: d1, offerId: 'o2', outcome: 'accepted' }, T0 + 2 * MIN),
        // ids are compared as given: the same UUID in capitals names no decision
        ev('c1', 'offer_response', { decisionId: d2.toUpperCase(), offerId: 'o1', outcome: 'accepted' }, T0 + 2 * MIN),
      ]);
      expect(res.statuses).toEqual(['applied', 'rejected']);
      const read = await snap('c1');
      expect(read.offers.o1).toMatchObject({ lastDecisionId: d2, counts: { offered: 2, accepted: 0 } });
      expect(read.offers.o2).toMatchObject({ lastDecisionId: d1, counts: { offered: 1, impression: 1, accepted: 1 } });
      read.offers.o1!.counts.offered = 99;
      read.offers.o1!.lastDecisionId = 'changed';
      read.offers.o2!.lastAt.accepted = 0;
      const again = await snap('c1');
      expect(again.offers.o1).toMatchObject({ lastDecisionId: d2, counts: { offered: 2 } });
      expect(again.offers.o2!.lastAt.accepted).toBe(T0 + 2 * MIN);
    });

    it('a snapshot of some histories (as a decision reads them) keeps them as they were', async () => {
      await store.recordOffered({
        customerId: 'c1',
        decisionId: 'd1',
        offerIds: ['o1', 'o2'],
        atMs: T0,
        segment: null,
      });
      const partial = await store.snapshot('c1', clock.now(), ['o1']);
      const copy = structuredClone(partial);
      await store.recordOffered({
        customerId: 'c1',
        decisionId: 'd2',
        offerIds: ['o1', 'o2'],
        atMs: T0 + MIN,
        segment: null,
      });
      await store.applyEvents([
        ev('c1', 'offer_response', { decisionId: 'd2', offerId: 'o1', outcome: 'declined' }, T0 + 2 * MIN),
      ]);
      expect(partial).toEqual(copy);
      const after = await snap('c1');
      expect(after.offers.o1!.counts).toMatchObject({ offered: 2, declined: 1 });
      expect(after.offers.o2!.counts).toMatchObject({ offered: 2 });
    });

    it('a snapshot keeps what it read: later events, offered records and reads leave it as it was', async () => {
      await store.applyEvents([
        ev('c1', 'profile', { tier: 'gold', prefs: { coffee: true } }),
        ev('c1', 'purchase', { amount: 10 }),
      ]);
      await store.recordOffered({ customerId: 'c1', decisionId: 'd1', offerIds: ['o1'], atMs: T0, segment: null });
      const before = await snap('c1');
      const copy = structuredClone(before);

      await store.recordOffered({
        customerId: 'c1',
        decisionId: 'd2',
        offerIds: ['o1'],
        atMs: T0 + MIN,
        segment: null,
      });
      await store.applyEvents([
        ev('c1', 'profile', { tier: 'silver', prefs: { coffee: false } }, T0 + MIN),
        ev('c1', 'purchase', { amount: 5 }, T0 + MIN),
        ev('c1', 'offer_response', { decisionId: 'd2', offerId: 'o1', outcome: 'declined' }, T0 + 2 * MIN),
      ]);
      const after = await snap('c1');
      expect(before).toEqual(copy);
      expect(after.profile).toEqual({ tier: 'silver', prefs: { coffee: false } });
      expect(after.agg.spend_30d).toBe(15);
      expect(after.offers.o1!.counts).toMatchObject({ offered: 2, declined: 1 });
      // a read later in the window sees the window moved, whatever was read before
      clock.advance(31 * DAY);
      expect((await snap('c1')).agg.spend_30d).toBe(0);
    });

    it('an unknown customer reads as an empty state, with every aggregate at its empty value', async () => {
      const s = await snap('nobody');
      expect(s).toMatchObject({ customerId: 'nobody', profile: {}, household: null, offers: {} });
      expect(s.agg).toMatchObject({
        spend_30d: 0,
        purchases_30d: 0,
        min_basket_30d: null,
        avg_basket_30d: null,
        last_store: null,
        stores_30d: 0,
      });
    });

    describe('idempotence', () => {
      it('an event id seen again changes nothing, in the same batch or a later one', async () => {
        const e = ev('c1', 'purchase', { amount: 10 });
        const r1 = await store.applyEvents([e, e]);
        expect(r1).toMatchObject({ applied: 1, duplicates: 1, rejected: [], statuses: ['applied', 'duplicate'] });
        const r2 = await store.applyEvents([e]);
        expect(r2.statuses).toEqual(['duplicate']);
        expect((await snap('c1')).agg).toMatchObject({ spend_30d: 10, purchases_30d: 1 });
      });

      it('a duplicate is still refused 7 days after the original was applied', async () => {
        const e = ev('c1', 'purchase', { amount: 10 });
        await store.applyEvents([e]);
        clock.advance(7 * DAY - MIN);
        expect((await store.applyEvents([e])).statuses).toEqual(['duplicate']);
      });

      it('the horizon ends on the second after 7 days, rounded up, in both stores', async () => {
        clock.advance(400); // applied 400 ms into a second
        const e = ev('c1', 'purchase', { amount: 10 }, clock.now(), 'edge');
        await store.applyEvents([e]);
        clock.advance(7 * DAY); // 7 days exactly: still within the second the horizon ends in
        expect((await store.applyEvents([e])).statuses).toEqual(['duplicate']);
        clock.advance(599); // the last millisecond of it
        expect((await store.applyEvents([e])).statuses).toEqual(['duplicate']);
        clock.advance(1); // the next second
        expect((await store.applyEvents([e])).statuses).toEqual(['applied']);
      });

      it('ids past the 7-day horizon are forgotten together; an id seen since is still refused', async () => {
        const a = ev('c1', 'purchase', { amount: 1 }, T0, 'a');
        const b = ev('c1', 'purchase', { amount: 2 }, T0, 'b');
        await store.applyEvents([a]);
        await store.applyEvents([b]);
        clock.advance(2 * DAY);
        const c = ev('c1', 'purchase', { amount: 4 }, clock.now(), 'c');
        await store.applyEvents([c]);
        clock.advance(5 * DAY + HOUR); // a and b past the horizon, c not
        expect((await store.applyEvents([c])).statuses).toEqual(['duplicate']);
        expect((await store.applyEvents([b, a, c])).statuses).toEqual(['applied', 'applied', 'duplicate']);
        expect((await store.applyEvents([a, b])).statuses).toEqual(['duplicate', 'duplicate']);
      });

      it('event ids are per customer: the same id for two customers is two events', async () => {
        const r = await store.applyEvents([
          ev('c1', 'purchase', { amount: 1 }, T0, 'same'),
          ev('c2', 'purchase', { amount: 2 }, T0, 'same'),
        ]);
        expect(r.applied).toBe(2);
      });

      it('property — applying any sequence twice, in any batching, equals applying it once', async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(
              fc.record({
                c: fc.constantFrom('p1', 'p2'),
                amount: fc.integer({ min: 1, max: 50 }),
                ago: fc.integer({ min: 0, max: 40 * 24 }),
                dup: fc.boolean(),
              }),
              { minLength: 1, maxLength: 15 },
            ),
            fc.integer({ min: 1, max: 5 }),
            async (specs, batch) => {
              const prefix = `prop-${Math.random().toString(36).slice(2)}-`;
              const events = specs.map((s, i) =>
                ev(prefix + s.c, 'purchase', { amount: s.amount }, clock.now() - s.ago * HOUR, `${prefix}${i}`),
              );
              const withDups = events.flatMap((e, i) => (specs[i]!.dup ? [e, e] : [e]));
              for (let i = 0; i < withDups.length; i += batch) await store.applyEvents(withDups.slice(i, i + batch));
              const once = await Promise.all(['p1', 'p2'].map((c) => store.snapshot(prefix + c, clock.now())));
              await store.applyEvents([...withDups].reverse());
              const twice = await Promise.all(['p1', 'p2'].map((c) => store.snapshot(prefix + c, clock.now())));
              expect(twice).toEqual(once);
              // and equals the brute-force window sum of the distinct events
              for (const [k, c] of ['p1', 'p2'].entries()) {
                // documented semantics: daily buckets; a bucket counts while it overlaps the window
                const first = Math.floor((clock.now() - 30 * DAY) / DAY);
                const inWindow = specs.filter(
                  (s) => s.c === c && Math.floor((clock.now() - s.ago * HOUR) / DAY) >= first,
                );
                expect(once[k]!.agg.purchases_30d).toBe(inWindow.length);
                expect(once[k]!.agg.spend_30d).toBe(inWindow.reduce((a, s) => a + s.amount, 0));
              }
            },
          ),
          { numRuns: 40 },
        );
      });
    });

    describe('windows over time', () => {
      it('property — as the clock moves on, sum, count, min, max and avg over 30 days equal a brute-force count of the events', async () => {
        await fc.assert(
          fc.asyncProperty(
            // each step: the clock moves on, then a purchase at now, or a late one up to 40 days old
            fc.array(
              fc.record({
                advance: fc.integer({ min: 0, max: 6 * 24 }),
                amount: fc.integer({ min: 1, max: 50 }),
                late: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 40 * 24 })),
              }),
              { minLength: 1, maxLength: 25 },
            ),
            async (steps) => {
              const c = `mov-${Math.random().toString(36).slice(2)}`;
              const seen: Array<{ t: number; amount: number }> = [];
              for (const [i, st] of steps.entries()) {
                clock.advance(st.advance * HOUR);
                const t = clock.now() - st.late * HOUR;
                await store.applyEvents([ev(c, 'purchase', { amount: st.amount }, t, `${c}-${i}`)]);
                seen.push({ t, amount: st.amount });
                // daily buckets; a bucket counts while it overlaps the window
                const first = Math.floor((clock.now() - 30 * DAY) / DAY);
                const inWindow = seen.filter((e) => Math.floor(e.t / DAY) >= first).map((e) => e.amount);
                const s = await snap(c);
                expect(s.agg.purchases_30d).toBe(inWindow.length);
                expect(s.agg.spend_30d).toBe(inWindow.reduce((a, b) => a + b, 0));
                expect(s.agg.min_basket_30d).toBe(inWindow.length ? Math.min(...inWindow) : null);
                expect(s.agg.max_basket_30d).toBe(inWindow.length ? Math.max(...inWindow) : null);
                expect(s.agg.avg_basket_30d).toBe(
                  inWindow.length ? inWindow.reduce((a, b) => a + b, 0) / inWindow.length : null,
                );
              }
            },
          ),
          { numRuns: 25 },
        );
      });

      it('property — distinct over 30 days counts the values whose latest event is in the window, whatever the arrival order', async () => {
        await fc.assert(
          fc.asyncProperty(
            fc.array(
              fc.record({
                advance: fc.integer({ min: 0, max: 6 * 24 }),
                store: fc.constantFrom('s1', 's2', 's3', 's4', 's5'),
                late: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 40 * 24 })),
              }),
              { minLength: 1, maxLength: 25 },
            ),
            async (steps) => {
              const c = `dis-${Math.random().toString(36).slice(2)}`;
              const latest = new Map<string, number>();
              for (const [i, st] of steps.entries()) {
                clock.advance(st.advance * HOUR);
                const t = clock.now() - st.late * HOUR;
                await store.applyEvents([ev(c, 'checkout', { storeId: st.store }, t, `${c}-${i}`)]);
                latest.set(st.store, Math.max(latest.get(st.store) ?? -Infinity, t));
                const start = Math.floor((clock.now() - 30 * DAY) / DAY) * DAY;
                expect((await snap(c)).agg.stores_30d).toBe([...latest.values()].filter((v) => v >= start).length);
              }
            },
          ),
          { numRuns: 25 },
        );
      });
    });

    describe('profile', () => {
      it('merges data into the profile; null removes a key', async () => {
        await store.applyEvents([
          ev('c1', 'profile', { tier: 'gold', age: 40 }, T0),
          ev('c1', 'profile', { age: null, city: 'Leeds' }, T0 + MIN),
        ]);
        expect((await snap('c1')).profile).toEqual({ tier: 'gold', city: 'Leeds' });
      });

      it('an older event time never overwrites a newer value, nor removes it', async () => {
        await store.applyEvents([ev('c1', 'profile', { tier: 'gold', city: 'York' }, T0)]);
        await store.applyEvents([ev('c1', 'profile', { tier: 'bronze', city: null, pet: 'cat' }, T0 - HOUR)]);
        expect((await snap('c1')).profile).toEqual({ tier: 'gold', city: 'York', pet: 'cat' });
      });

      it('a removed key is not brought back by an older value', async () => {
        await store.applyEvents([ev('c1', 'profile', { tier: null }, T0)]);
        await store.applyEvents([ev('c1', 'profile', { tier: 'silver' }, T0 - DAY)]);
        expect((await snap('c1')).profile).toEqual({});
      });

      it('keeps nested values whole and apart from other customers', async () => {
        await store.applyEvents([
          ev('c1', 'profile', { address: { city: 'Leeds', zip: 'LS1' }, tags: ['a', 'b'] }),
          ev('c2', 'profile', { tier: 'x' }),
        ]);
        expect((await snap('c1')).profile).toEqual({ address: { city: 'Leeds', zip: 'LS1' }, tags: ['a', 'b'] });
        expect((await snap('c2')).profile).toEqual({ tier: 'x' });
      });
    });

    describe('windowed aggregates', () => {
      it('sum, count, min, max and avg over a 30-day window', async () => {
        await store.applyEvents([10, 30, 20].map((a, i) => ev('c1', 'purchase', { amount: a }, T0 - i * DAY)));
        expect((await snap('c1')).agg).toMatchObject({
          spend_30d: 60,
          purchases_30d: 3,
          min_basket_30d: 10,
          max_basket_30d: 30,
          avg_basket_30d: 20,
        });
      });

      it('an event leaves the window as the clock moves on (daily buckets for 30d)', async () => {
        await store.applyEvents([
          ev('c1', 'purchase', { amount: 10 }, T0 - 20 * DAY),
          ev('c1', 'purchase', { amount: 5 }, T0),
        ]);
        clock.advance(12 * DAY);
        expect((await snap('c1')).agg).toMatchObject({ spend_30d: 5, purchases_30d: 1, purchases_all: 2 });
      });

      it('aggregates that share buckets keep each its own window (spend_30d and spend_90d)', async () => {
        await store.applyEvents([ev('c1', 'purchase', { amount: 7 }, T0 - 60 * DAY)]);
        await store.applyEvents([ev('c1', 'purchase', { amount: 3 }, T0)]); // folding trims to the longest window only
        expect((await snap('c1')).agg).toMatchObject({ spend_30d: 3, spend_90d: 10 });
      });

      it('an event older than its window changes nothing', async () => {
        const r = await store.applyEvents([ev('c1', 'purchase', { amount: 99 }, T0 - 45 * DAY)]);
        expect(r.applied).toBe(1);
        expect((await snap('c1')).agg).toMatchObject({ spend_30d: 0, purchases_30d: 0, purchases_all: 1 });
      });

      it('a 1h window counts per minute: 61 minutes later an event is gone', async () => {
        await store.applyEvents([ev('c1', 'checkout', {}, T0), ev('c1', 'checkout', {}, T0 + 30 * MIN)]);
        clock.set(T0 + 30 * MIN);
        expect((await snap('c1')).agg.visits_1h).toBe(2);
        clock.set(T0 + 61 * MIN);
        expect((await snap('c1')).agg.visits_1h).toBe(1);
        expect((await snap('c1')).agg.visits_7d).toBe(2);
      });

      it('a 7d window is accurate to the hour at its old end', async () => {
        await store.applyEvents([ev('c1', 'checkout', {}, T0)]);
        clock.set(T0 + 7 * DAY + 30 * MIN); // the event's hour still overlaps the window
        expect((await snap('c1')).agg.visits_7d).toBe(1);
        clock.set(T0 + 7 * DAY + HOUR);
        expect((await snap('c1')).agg.visits_7d).toBe(0);
      });

      it('last keeps the value of the newest event time, whatever the arrival order', async () => {
        await store.applyEvents([
          ev('c1', 'checkout', { storeId: 's-2' }, T0),
          ev('c1', 'checkout', { storeId: 's-1' }, T0 - HOUR),
        ]);
        expect((await snap('c1')).agg.last_store).toBe('s-2');
        clock.advance(8 * DAY);
        const agg = (await snap('c1')).agg;
        expect(agg.last_store).toBe('s-2');
        expect(agg.last_store_7d).toBeNull();
      });

      it('distinct counts different values in the window, remembering at most its max', async () => {
        const stores = ['a', 'b', 'a', 'c', 'd', 'e', 'f', 'g'];
        await store.applyEvents(stores.map((s, i) => ev('c1', 'checkout', { storeId: s }, T0 - (10 - i) * HOUR)));
        expect((await snap('c1')).agg.stores_30d).toBe(5); // 7 distinct, remembers 5
        await store.applyEvents([
          ev('c2', 'checkout', { storeId: 1 }),
          ev('c2', 'checkout', { storeId: '1' }),
          ev('c2', 'checkout', { storeId: 1 }),
        ]);
        expect((await snap('c2')).agg.stores_30d).toBe(2);
      });

      it('where filters the events an aggregate counts; a field on count counts events that carry it', async () => {
        await store.applyEvents([
          ev('c1', 'purchase', { amount: 3, category: 'coffee', coupon: 'X1' }),
          ev('c1', 'purchase', { amount: 3, category: 'tea' }),
          ev('c1', 'purchase', { amount: 3, category: 'coffee' }),
        ]);
        expect((await snap('c1')).agg).toMatchObject({ coffee_30d: 2, purchases_30d: 3, coupons: 1 });
      });

      it('a value that is not a number is skipped by sum, min, max and avg', async () => {
        await store.applyEvents([ev('c1', 'purchase', { amount: 'ten' }), ev('c1', 'purchase', { amount: 4 })]);
        expect((await snap('c1')).agg).toMatchObject({
          spend_30d: 4,
          min_basket_30d: 4,
          avg_basket_30d: 4,
          purchases_30d: 2,
        });
      });
    });

    describe('households', () => {
      it('household aggregates combine the members: sum, count, max, min, avg, last, distinct', async () => {
        await store.applyEvents([
          ev('m1', 'household', { householdId: 'h1' }),
          ev('m2', 'household', { householdId: 'h1' }),
          ev('m1', 'purchase', { amount: 10 }, T0 - DAY),
          ev('m2', 'purchase', { amount: 30 }, T0 - 2 * DAY),
          ev('m1', 'checkout', { storeId: 'a' }, T0 - HOUR),
          ev('m2', 'checkout', { storeId: 'b' }, T0 - 2 * HOUR),
        ]);
        const s = await snap('m1');
        expect(s.household?.id).toBe('h1');
        expect(s.household?.agg).toMatchObject({
          spend_30d: 40,
          purchases_30d: 2,
          max_basket_30d: 30,
          min_basket_30d: 10,
          avg_basket_30d: 20,
          last_store: 'a',
          stores_30d: 2,
        });
        expect(s.agg.spend_30d).toBe(10);
      });

      it('a customer moves to a new household, and null unlinks; an older link never overrides a newer one', async () => {
        await store.applyEvents([
          ev('m1', 'household', { householdId: 'h1' }, T0),
          ev('m2', 'household', { householdId: 'h1' }, T0),
          ev('m1', 'purchase', { amount: 10 }),
          ev('m2', 'purchase', { amount: 5 }),
        ]);
        await store.applyEvents([ev('m2', 'household', { householdId: 'h2' }, T0 + MIN)]);
        expect((await snap('m1')).household?.agg.spend_30d).toBe(10);
        expect((await snap('m2')).household).toMatchObject({ id: 'h2', agg: { spend_30d: 5 } });
        await store.applyEvents([ev('m2', 'household', { householdId: 'h1' }, T0 - DAY)]); // older: ignored
        expect((await snap('m2')).household?.id).toBe('h2');
        await store.applyEvents([ev('m2', 'household', { householdId: null }, T0 + 2 * MIN)]);
        expect((await snap('m2')).household).toBeNull();
      });
    });

    describe('offer history and learning', () => {
      it('records offered and every response outcome with counts and times', async () => {
        await store.recordOffered({
          customerId: 'c1',
          decisionId: 'd1',
          offerIds: ['o1', 'o2'],
          atMs: T0,
          segment: null,
        });
        await store.applyEvents([
          ev('c1', 'offer_response', { decisionId: 'd1', offerId: 'o1', outcome: 'impression' }, T0 + MIN),
          ev('c1', 'offer_response', { decisionId: 'd1', offerId: 'o1', outcome: 'accepted' }, T0 + 2 * MIN),
          ev('c1', 'offer_response', { decisionId: 'd1', offerId: 'o1', outcome: 'redeemed' }, T0 + 3 * MIN),
          ev('c1', 'offer_response', { decisionId: 'd1', offerId: 'o2', outcome: 'declined' }, T0 + 4 * MIN),
        ]);
        const { offers } = await snap('c1');
        expect(offers.o1).toMatchObject({
          counts: { offered: 1, impression: 1, accepted: 1, declined: 0, redeemed: 1 },
          lastAt: { offered: T0, impression: T0 + MIN, accepted: T0 + 2 * MIN, redeemed: T0 + 3 * MIN },
          lastOutcome: 'redeemed',
          lastOutcomeAt: T0 + 3 * MIN,
        });
        // no impression was reported for o2: the decline implies one
        expect(offers.o2).toMatchObject({
          counts: { offered: 1, impression: 1, declined: 1 },
          lastOutcome: 'declined',
        });
      });

      it('keeps every offered record made at once, for one customer and for many, and a response right after', async () => {
        const at = (i: number) => T0 + i * MIN;
        const records = [
          store.recordOffered({ customerId: 'c1', decisionId: 'd1', offerIds: ['o1'], atMs: at(1), segment: null }),
          store.recordOffered({
            customerId: 'c2',
            decisionId: 'd2',
            offerIds: ['o1', 'o2'],
            atMs: at(2),
            segment: null,
          }),
          store.recordOffered({ customerId: 'c1', decisionId: 'd3', offerIds: ['o1'], atMs: at(3), segment: null }),
        ];
        await Promise.all(records);
        await store.applyEvents([
          ev('c1', 'offer_response', { decisionId: 'd3', offerId: 'o1', outcome: 'accepted' }, at(4)),
        ]);
        const [c1, c2] = [await snap('c1'), await snap('c2')];
        expect(c1.offers.o1).toMatchObject({
          counts: { offered: 2, accepted: 1 },
          lastAt: { offered: at(3) },
          lastDecisionId: 'd3',
        });
        expect(c2.offers.o1?.counts.offered).toBe(1);
        expect(c2.offers.o2?.counts.offered).toBe(1);
      });

      it("keeps recent times only as deep as the offer's windowed customer caps need, ascending", async () => {
        for (let i = 0; i < 25; i++)
          await store.recordOffered({
            customerId: 'c1',
            decisionId: `d${i}`,
            offerIds: ['o1', 'o2'],
            atMs: T0 + i * MIN,
            segment: null,
          });
        // answers to three of the latest decisions, out of order in time
        await store.applyEvents(
          [2, 0, 1].map((i) =>
            ev('c1', 'offer_response', { decisionId: `d${22 + i}`, offerId: 'o1', outcome: 'declined' }, T0 + i * MIN),
          ),
        );
        const { o1, o2 } = (await snap('c1')).offers;
        expect(o1!.counts.offered).toBe(25);
        expect(o1!.recent.offered).toEqual(Array.from({ length: 20 }, (_, i) => T0 + (i + 5) * MIN)); // capped at 20 per 30d
        expect(o1!.recent.declined).toEqual([T0 + MIN, T0 + 2 * MIN]); // capped at 2, out of order in
        expect(o1!.recent.impression).toBeUndefined(); // no windowed cap on it
        expect(o2!.counts.offered).toBe(25);
        expect(o2!.recent).toEqual({}); // no windowed caps at all
      });

      it('learns impressions and acceptances per offer, overall and per segment', async () => {
        await store.recordOffered({ customerId: 'c1', decisionId: 'd1', offerIds: ['o1'], atMs: T0, segment: 'gold' });
        await store.recordOffered({
          customerId: 'c2',
          decisionId: 'd2',
          offerIds: ['o1'],
          atMs: T0,
          segment: 'silver',
        });
        await store.applyEvents([
          ev('c1', 'offer_response', { decisionId: 'd1', offerId: 'o1', outcome: 'impression' }),
          ev('c1', 'offer_response', { decisionId: 'd1', offerId: 'o1', outcome: 'accepted' }),
          ev('c2', 'offer_response', { decisionId: 'd2', offerId: 'o1', outcome: 'declined' }),
          ev('c2', 'offer_response', { decisionId: 'd2', offerId: 'o1', outcome: 'impression' }), // already implied
        ]);
        await store.ping();
        const read = async (seg: string | null) => {
          // a networked store may serve global counters from a cache: allow it to catch up
          for (let i = 0; i < 50; i++) {
            const v = store.stats.learning('o1', seg);
            if (v.impressions === (seg === null ? 2 : 1)) return v;
            await new Promise((r) => setTimeout(r, 20));
          }
          return store.stats.learning('o1', seg);
        };
        expect(await read(null)).toMatchObject({ impressions: 2, accepted: 1 });
        expect(await read('gold')).toMatchObject({ impressions: 1, accepted: 1 });
        expect(await read('silver')).toMatchObject({ impressions: 1, accepted: 0 });
        // decisions cache score orders by this version: it must move with learned counts
        const v = store.stats.version();
        await store.recordOffered({ customerId: 'c1', decisionId: 'd9', offerIds: ['o1'], atMs: T0, segment: null });
        await store.applyEvents([ev('c1', 'offer_response', { decisionId: 'd9', offerId: 'o1', outcome: 'accepted' })]);
        expect(store.stats.version()).not.toBe(v);
      });
    });

    describe('responses count only for decisions NBO issued', () => {
      /** Reads a shared counter until it reads `want` (a networked store serves them from a cache), or gives up. */
      const settle = async <T>(read: () => T, want: (v: T) => boolean): Promise<T> => {
        await store.ping();
        for (let i = 0; i < 50 && !want(read()); i++) await new Promise((r) => setTimeout(r, 20));
        return read();
      };

      it('a response naming a decision never issued to that customer, or an offer the decision did not return, is refused and changes nothing', async () => {
        await store.recordOffered({ customerId: 'c1', decisionId: 'd1', offerIds: ['o1'], atMs: T0, segment: null });
        await store.recordOffered({ customerId: 'c2', decisionId: 'd2', offerIds: ['o1'], atMs: T0, segment: null });
        const before = await snap('c1');
        const forged = [
          ev('c1', 'offer_response', { decisionId: 'never-issued', offerId: 'o1', outcome: 'accepted' }),
          ev('c1', 'offer_response', { decisionId: 'd2', offerId: 'o1', outcome: 'accepted' }), // another customer's decision
          ev('c1', 'offer_response', { decisionId: 'd1', offerId: 'o2', outcome: 'accepted' }), // not in the decision
          ev('c1', 'offer_response', { decisionId: 'never', offerId: 'unknown-offer', outcome: 'accepted' }),
        ];
        const r = await store.applyEvents([ev('c1', 'profile', { a: 1 }), ...forged]);
        expect(r.statuses).toEqual(['applied', 'rejected', 'rejected', 'rejected', 'rejected']);
        expect(r).toMatchObject({ applied: 1, duplicates: 0 });
        expect(r.rejected.map((x) => [x.index, x.code])).toEqual([
          [1, 'NBO_ERR_RESPONSE_UNKNOWN_DECISION'],
          [2, 'NBO_ERR_RESPONSE_UNKNOWN_DECISION'],
          [3, 'NBO_ERR_RESPONSE_OFFER_MISMATCH'],
          [4, 'NBO_ERR_RESPONSE_UNKNOWN_DECISION'],
        ]);
        const after = await snap('c1');
        expect(after.offers).toEqual(before.offers);
        expect(store.stats.learning('o1', null)).toMatchObject({ impressions: 0, accepted: 0 });
        expect(store.stats.learning('unknown-offer', null)).toMatchObject({ impressions: 0, accepted: 0 });
        expect(store.stats.total('o1', 'accepted', null, clock.now())).toBe(0);
        // a refused event's id is not taken: the genuine response with that id still counts
        const genuine = { ...forged[0]!, data: { decisionId: 'd1', offerId: 'o1', outcome: 'accepted' } };
        expect((await store.applyEvents([genuine])).statuses).toEqual(['applied']);
        expect(
          await settle(
            () => store.stats.learning('o1', null).accepted,
            (a) => a === 1,
          ),
        ).toBe(1);
      });

      it(`keeps the newest ${MAX_DECISIONS_KEPT} decisions of a customer for 30 days; responses to older ones are refused`, async () => {
        for (let i = 0; i <= MAX_DECISIONS_KEPT; i++)
          await store.recordOffered({
            customerId: 'c1',
            decisionId: `d${i}`,
            offerIds: ['o1'],
            atMs: T0 + i,
            segment: null,
          });
        const r = await store.applyEvents(
          [0, 1].map((i) => ev('c1', 'offer_response', { decisionId: `d${i}`, offerId: 'o1', outcome: 'impression' })),
        );
        expect(r.statuses).toEqual(['rejected', 'applied']);
        clock.advance(30 * DAY + HOUR);
        const late = await store.applyEvents([
          ev('c1', 'offer_response', { decisionId: `d${MAX_DECISIONS_KEPT}`, offerId: 'o1', outcome: 'accepted' }),
        ]);
        expect(late.rejected[0]?.code).toBe('NBO_ERR_RESPONSE_UNKNOWN_DECISION');
      });

      it('a response is learned in the segment and attributed to the policy of its decision; the holdout is counted but not learned from', async () => {
        await store.recordOffered({
          customerId: 'c1',
          decisionId: 'd1',
          offerIds: ['hl'],
          atMs: T0,
          segment: 'gold',
          policy: 'arm-b',
        });
        await store.recordOffered({
          customerId: 'c2',
          decisionId: 'd2',
          offerIds: ['hl'],
          atMs: T0,
          segment: null,
          policy: 'holdout',
        });
        await store.recordOffered({
          customerId: 'c3',
          decisionId: 'd3',
          offerIds: ['hl'],
          atMs: T0,
          segment: 'silver',
        });
        for (const p of ['arm-b', 'holdout', 'default', 'default']) store.countDecision(p);
        // c1 is in silver by now: the decision's segment counts, not today's
        await store.applyEvents([
          ev('c1', 'offer_response', { decisionId: 'd1', offerId: 'hl', outcome: 'accepted' }),
          ev('c2', 'offer_response', { decisionId: 'd2', offerId: 'hl', outcome: 'accepted' }),
          ev('c3', 'offer_response', { decisionId: 'd3', offerId: 'hl', outcome: 'declined' }),
        ]);
        const arm = await settle(
          () => store.stats.learning('hl', 'gold', 'arm-b'),
          (c) => c.accepted === 1,
        );
        expect(arm).toMatchObject({ impressions: 1, accepted: 1 });
        expect(store.stats.learning('hl', null, 'arm-b')).toMatchObject({ impressions: 1, accepted: 1 });
        expect(
          await settle(
            () => store.stats.learning('hl', null),
            (c) => c.impressions === 1,
          ),
        ).toMatchObject({ impressions: 1, accepted: 0 }); // holdout not learned
        expect(store.stats.learning('hl', 'silver')).toMatchObject({ impressions: 1, accepted: 0 });
        const policies = await settle(
          () => store.policies(),
          (p) => p.get('default')?.decisions === 2 && p.get('holdout')?.accepted === 1,
        );
        expect(policies.get('arm-b')).toEqual({ decisions: 1, impressions: 1, accepted: 1, value: 4, valueSq: 16 });
        expect(policies.get('holdout')).toEqual({ decisions: 1, impressions: 1, accepted: 1, value: 4, valueSq: 16 });
        expect(policies.get('default')).toEqual({ decisions: 2, impressions: 1, accepted: 0, value: 0, valueSq: 0 });
      });

      it('a decision of the contextual model is learned per feature bucket of its context', async () => {
        await store.recordOffered({
          customerId: 'c1',
          decisionId: 'd1',
          offerIds: ['o1'],
          atMs: T0,
          segment: 'gold',
          features: [3, 200],
        });
        await store.applyEvents([ev('c1', 'offer_response', { decisionId: 'd1', offerId: 'o1', outcome: 'accepted' })]);
        const f = await settle(
          () => store.stats.learning('o1', '#200'),
          (c) => c.accepted === 1,
        );
        expect(f).toMatchObject({ impressions: 1, accepted: 1 });
        expect(store.stats.learning('o1', '#3')).toMatchObject({ impressions: 1, accepted: 1 });
        expect(store.stats.learning('o1', 'gold')).toMatchObject({ impressions: 1, accepted: 1 });
        expect(store.stats.learning('o1', '#4')).toMatchObject({ impressions: 0 });
      });

      it('sums fractional offer values per policy, batch after batch', async () => {
        for (const c of ['c1', 'c2', 'c3'])
          await store.recordOffered({
            customerId: c,
            decisionId: `d-${c}`,
            offerIds: ['half'],
            atMs: T0,
            segment: null,
          });
        await store.applyEvents([
          ev('c1', 'offer_response', { decisionId: 'd-c1', offerId: 'half', outcome: 'accepted' }),
        ]);
        // 2 × 2.5 is a whole number: it must add to a sum that is not
        await store.applyEvents(
          ['c2', 'c3'].map((c) =>
            ev(c, 'offer_response', { decisionId: `d-${c}`, offerId: 'half', outcome: 'accepted' }),
          ),
        );
        const p = await settle(
          () => store.policies().get('default'),
          (x) => x?.accepted === 3,
        );
        expect(p).toMatchObject({ accepted: 3, value: 7.5, valueSq: 18.75 });
      });

      it('learned counts decay by the offer half-life: a day later a 1d half-life counts them half', async () => {
        const respond = async (c: string, outcome: string) => {
          await store.recordOffered({
            customerId: c,
            decisionId: `d-${c}`,
            offerIds: ['hl'],
            atMs: clock.now(),
            segment: null,
          });
          await store.applyEvents([
            ev(c, 'offer_response', { decisionId: `d-${c}`, offerId: 'hl', outcome }, clock.now()),
          ]);
        };
        await respond('c1', 'accepted');
        await respond('c2', 'declined');
        clock.advance(DAY);
        await respond('c3', 'accepted');
        const c = await settle(
          () => store.stats.learning('hl', null),
          (x) => x.impressions === 3,
        );
        expect(c).toMatchObject({ impressions: 3, accepted: 2, atMs: clock.now() });
        expect(c.recentImpressions).toBeCloseTo(2 * 0.5 + 1, 9);
        expect(c.recentAccepted).toBeCloseTo(0.5 + 1, 9);
        // an offer without a half-life keeps everything
        await store.recordOffered({ customerId: 'c4', decisionId: 'd4', offerIds: ['o1'], atMs: T0, segment: null });
        await store.applyEvents([ev('c4', 'offer_response', { decisionId: 'd4', offerId: 'o1', outcome: 'accepted' })]);
        clock.advance(DAY);
        await store.recordOffered({
          customerId: 'c5',
          decisionId: 'd5',
          offerIds: ['o1'],
          atMs: clock.now(),
          segment: null,
        });
        await store.applyEvents([
          ev('c5', 'offer_response', { decisionId: 'd5', offerId: 'o1', outcome: 'accepted' }, clock.now()),
        ]);
        const o1 = await settle(
          () => store.stats.learning('o1', null),
          (x) => x.impressions === 2,
        );
        expect(o1).toMatchObject({ impressions: 2, accepted: 2, recentImpressions: 2, recentAccepted: 2 });
      });
    });

    describe('total caps', () => {
      it('reserves offered units up to the cap, then refuses', async () => {
        const caps = RULES.offerById.get('capped')!.totalCaps;
        const got = [];
        for (let i = 0; i < 7; i++) got.push(await store.reserveOffered('capped', caps, clock.now()));
        expect(got).toEqual([true, true, true, true, true, false, false]);
      });

      it('never overshoots when many decisions race for the last units', async () => {
        const caps = RULES.offerById.get('capped')!.totalCaps;
        await store.reserveOffered('capped', caps, clock.now());
        const results = await Promise.all(
          Array.from({ length: 60 }, () => store.reserveOffered('capped', caps, clock.now())),
        );
        expect(results.filter(Boolean)).toHaveLength(4);
      });

      it('a windowed total cap has room again once the window has passed', async () => {
        const caps = RULES.offerById.get('daily')!.totalCaps;
        for (let i = 0; i < 3; i++) expect(await store.reserveOffered('daily', caps, clock.now())).toBe(true);
        expect(await store.reserveOffered('daily', caps, clock.now())).toBe(false);
        clock.advance(DAY + HOUR);
        expect(await store.reserveOffered('daily', caps, clock.now())).toBe(true);
      });

      it('counts response outcomes across customers', async () => {
        for (const c of ['c1', 'c2', 'c3'])
          await store.recordOffered({ customerId: c, decisionId: `d-${c}`, offerIds: ['o9'], atMs: T0, segment: null });
        await store.applyEvents(
          ['c1', 'c2', 'c3'].map((c) =>
            ev(c, 'offer_response', { decisionId: `d-${c}`, offerId: 'o9', outcome: 'redeemed' }),
          ),
        );
        let n = 0;
        for (let i = 0; i < 50 && n !== 3; i++) {
          n = store.stats.total('o9', 'redeemed', null, clock.now());
          if (n !== 3) await new Promise((r) => setTimeout(r, 20));
        }
        expect(n).toBe(3);
      });

      it('counts the impression a response implies once: not again after an explicit one', async () => {
        for (const c of ['c1', 'c2'])
          await store.recordOffered({ customerId: c, decisionId: `d-${c}`, offerIds: ['o9'], atMs: T0, segment: null });
        await store.applyEvents([
          ev('c1', 'offer_response', { decisionId: 'd-c1', offerId: 'o9', outcome: 'impression' }),
          ev('c1', 'offer_response', { decisionId: 'd-c1', offerId: 'o9', outcome: 'accepted' }),
          ev('c2', 'offer_response', { decisionId: 'd-c2', offerId: 'o9', outcome: 'accepted' }), // implies its impression
        ]);
        const counts = () => [
          store.stats.total('o9', 'impression', null, clock.now()),
          store.stats.total('o9', 'accepted', null, clock.now()),
        ];
        for (let i = 0; i < 50 && counts().join() !== '2,2'; i++) await new Promise((r) => setTimeout(r, 20));
        expect(counts()).toEqual([2, 2]);
      });
    });

    describe('per-event isolation', () => {
      /** `{ a: { a: … } }`, `levels` objects deep, built without recursion. */
      const nested = (levels: number) => {
        let v: Record<string, unknown> = { leaf: 1 };
        for (let i = 0; i < levels; i++) v = { a: v };
        return v;
      };

      it('an event it cannot store is rejected with its index, code and path; the rest of the batch applies and nothing of it is stored', async () => {
        const batch = [
          ev('i1', 'profile', { tier: 'gold' }),
          ev('i2', 'profile', { 'ok\udc00': 1 }), // a lone surrogate in a key
          ev('i3', 'profile', { deep: nested(5000) }),
          ev('i1', 'purchase', { amount: 5 }),
          ev('i2', 'purchase', { amount: 7, note: 'a\ud800' }), // and in a value
          ev('i4', 'purchase', { amount: 9 }),
        ];
        const r = await store.applyEvents(batch);
        expect(r.statuses).toEqual(['applied', 'rejected', 'rejected', 'applied', 'rejected', 'applied']);
        expect(r.applied).toBe(3);
        expect(r.duplicates).toBe(0);
        expect(r.rejected).toEqual([
          {
            index: 1,
            code: 'NBO_ERR_EVENT_INVALID',
            path: '$.data["ok\\udc00"]',
            message: expect.stringContaining('lone UTF-16 surrogate'),
          },
          {
            index: 2,
            code: 'NBO_ERR_EVENT_INVALID',
            path: expect.stringMatching(/^\$\.data\.deep(\.a)+$/),
            message: expect.stringContaining('nested deeper than'),
          },
          {
            index: 4,
            code: 'NBO_ERR_EVENT_INVALID',
            path: '$.data.note',
            message: expect.stringContaining('lone UTF-16 surrogate'),
          },
        ]);
        expect(await snap('i1')).toMatchObject({ profile: { tier: 'gold' }, agg: { spend_30d: 5 } });
        expect((await snap('i4')).agg.spend_30d).toBe(9);
        for (const c of ['i2', 'i3'])
          expect(await snap(c)).toMatchObject({ profile: {}, agg: { spend_30d: 0, purchases_30d: 0 } });
        // a rejected event was not recorded as seen: sent again fixed, it applies
        expect((await store.applyEvents([{ ...batch[4]!, data: { amount: 7 } }])).statuses).toEqual(['applied']);
        expect((await snap('i2')).agg.spend_30d).toBe(7);
      });
    });

    it('applies a batch for many customers, each in its own order, with a status per event', async () => {
      // more events than one store call takes (the Redis store groups customers by slot)
      const events = [];
      for (let c = 0; c < 300; c++) {
        events.push(
          ev(`b${c}`, 'profile', { n: 1 }, T0),
          ev(`b${c}`, 'profile', { n: 2 }, T0),
          ev(`b${c}`, 'purchase', { amount: c }, T0),
        );
      }
      const dup = events[3 * 7 + 2]!; // b7's purchase, again at the end
      const r = await store.applyEvents([...events, dup]);
      expect(r.applied).toBe(900);
      expect(r.statuses).toEqual([...events.map(() => 'applied'), 'duplicate']);
      for (const c of [0, 7, 42, 151, 299]) {
        const s = await snap(`b${c}`);
        expect(s.profile).toEqual({ n: 2 }); // same time: the later one in the batch wins
        expect(s.agg.spend_30d).toBe(c);
      }
    });
  });
}

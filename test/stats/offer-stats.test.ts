import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createOfferStats, NO_SEGMENT } from '../../src/stats/offer-stats.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const decision = (customerId: string, offerIds: string[], segments: Record<string, string | null> = {}) => ({ customerId, offers: offerIds.map((offerId) => ({ offerId })) as never, segments });

describe('offer stats — the ring of time buckets behind GET /v1/stats/offers', () => {
  it('counts offered per offer and bucket, and responses by outcome', () => {
    const s = createOfferStats({ bucketMs: 10_000, buckets: 6 });
    s.recordDecision(decision('c1', ['a']), T0 + 1000);
    s.recordDecision(decision('c2', ['a', 'b']), T0 + 12_000);
    s.recordDecision(decision('c3', []), T0 + 13_000);
    s.recordResponse('a', 'accepted', T0 + 14_000);
    s.recordResponse('a', 'declined', T0 + 15_000);
    s.recordResponse('a', 'offered', T0 + 15_000); // not a response outcome: ignored
    s.recordResponse('a', 'bogus', T0 + 15_000);
    const w = s.read(30_000, T0 + 25_000);
    expect(w.buckets).toBe(3);
    expect(w.fromMs).toBe(T0);
    expect(w.decisions).toEqual([1, 2, 0]);
    expect(w.offers.get('a')!.offered).toEqual([1, 1, 0]);
    expect(w.offers.get('a')!.accepted).toEqual([0, 1, 0]);
    expect(w.offers.get('a')!.declined).toEqual([0, 1, 0]);
    expect(w.offers.get('b')!.offered).toEqual([0, 1, 0]);
  });

  it('forgets buckets older than the ring: a bucket reused for a later time starts from zero', () => {
    const s = createOfferStats({ bucketMs: 10_000, buckets: 3 });
    s.recordDecision(decision('c1', ['a']), T0);
    s.recordDecision(decision('c2', ['a']), T0 + 30_000); // same slot, one lap later
    const w = s.read(30_000, T0 + 30_000);
    expect(w.fromMs).toBe(T0 + 10_000);
    expect(w.offers.get('a')!.offered).toEqual([0, 0, 1]);
    // a late response for a time the ring no longer holds changes nothing
    s.recordResponse('a', 'accepted', T0 + 1);
    expect(s.read(30_000, T0 + 30_000).offers.get('a')!.accepted).toEqual([0, 0, 0]);
  });

  it('reads at most the retention however long the window asked', () => {
    const s = createOfferStats({ bucketMs: 10_000, buckets: 6 });
    expect(s.read(3_600_000, T0).buckets).toBe(6);
    expect(s.retentionMs).toBe(60_000);
  });

  it('segment sizes count each customer once, in the segments of its latest decision, within the window', () => {
    const s = createOfferStats({ bucketMs: 10_000, buckets: 6 });
    s.recordDecision(decision('c1', [], { tier: 'gold' }), T0);
    s.recordDecision(decision('c2', [], { tier: 'gold' }), T0 + 20_000);
    s.recordDecision(decision('c1', [], { tier: 'silver' }), T0 + 21_000);
    s.recordDecision(decision('c3', [], { tier: null }), T0 + 22_000);
    expect(s.read(60_000, T0 + 25_000).segments).toEqual({ tier: { gold: 1, silver: 1, [NO_SEGMENT]: 1 } });
    expect(s.read(60_000, T0 + 25_000).customers).toBe(3);
    // c2 was decided before this shorter window began
    s.recordDecision(decision('c4', [], { tier: 'gold' }), T0 + 41_000);
    expect(s.read(20_000, T0 + 45_000).segments).toEqual({ tier: { gold: 1 } });
  });

  it('remembers at most maxCustomers, forgetting the least recently decided', () => {
    const s = createOfferStats({ maxCustomers: 2 });
    s.recordDecision(decision('c1', [], { tier: 'a' }), T0);
    s.recordDecision(decision('c2', [], { tier: 'b' }), T0 + 1);
    s.recordDecision(decision('c1', [], { tier: 'a' }), T0 + 2);
    s.recordDecision(decision('c3', [], { tier: 'c' }), T0 + 3);
    expect(s.read(60_000, T0 + 4).segments).toEqual({ tier: { a: 1, c: 1 } });
  });

  it('counts at most maxOffersPerBucket offer ids per bucket (responses may name anything)', () => {
    const s = createOfferStats({ maxOffersPerBucket: 2 });
    for (const id of ['x', 'y', 'z']) s.recordResponse(id, 'accepted', T0);
    expect([...s.read(10_000, T0).offers.keys()]).toEqual(['x', 'y']);
  });

  it('property: every recorded decision inside the window is counted exactly once', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ at: fc.integer({ min: 0, max: 119_999 }), offer: fc.constantFrom('a', 'b', 'c') }), { maxLength: 200 }), (list) => {
        const s = createOfferStats({ bucketMs: 10_000, buckets: 12 });
        const sorted = [...list].sort((p, q) => p.at - q.at);
        for (const d of sorted) s.recordDecision(decision('c', [d.offer]), T0 + d.at);
        const w = s.read(120_000, T0 + 119_999);
        const counted = [...w.offers.values()].reduce((n, x) => n + x.offered.reduce((a, b) => a + b, 0), 0);
        expect(counted).toBe(list.length);
        expect(w.decisions.reduce((a, b) => a + b, 0)).toBe(list.length);
      }),
    );
  });
});

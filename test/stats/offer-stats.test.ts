import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createOfferStats, NO_SEGMENT } from '../../src/stats/offer-stats.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const decision = (customerId: string, offerIds: string[], segments: Record<string, string | null> = {}) => ({
  customerId,
  offers: offerIds.map((offerId) => ({ offerId })) as never,
  segments,
});

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

  it('segment sizes count the distinct customers decided in the window while in each segment', () => {
    const s = createOfferStats({ bucketMs: 10_000, buckets: 6 });
    s.recordDecision(decision('c1', [], { tier: 'gold' }), T0);
    s.recordDecision(decision('c2', [], { tier: 'gold' }), T0 + 20_000);
    s.recordDecision(decision('c2', [], { tier: 'gold' }), T0 + 20_500); // the same customer again
    s.recordDecision(decision('c1', [], { tier: 'silver' }), T0 + 21_000); // moved up: in both
    s.recordDecision(decision('c3', [], { tier: null }), T0 + 22_000);
    expect(s.read(60_000, T0 + 25_000).segments).toEqual({ tier: { gold: 2, silver: 1, [NO_SEGMENT]: 1 } });
    expect(s.read(60_000, T0 + 25_000).customers).toBe(3);
    // c1 in gold was decided before this shorter window began
    s.recordDecision(decision('c4', [], { tier: 'gold' }), T0 + 41_000);
    expect(s.read(30_000, T0 + 45_000).segments).toEqual({ tier: { gold: 2, silver: 1, [NO_SEGMENT]: 1 } });
    expect(s.read(20_000, T0 + 45_000).segments).toEqual({ tier: { gold: 1 } });
  });

  it('segment sizes stay within a few per cent for many customers, and memory does not grow with them', () => {
    const s = createOfferStats({ bucketMs: 10_000, buckets: 6 });
    for (let i = 0; i < 50_000; i++)
      s.recordDecision(decision(`c-${i}`, [], { tier: i % 5 === 0 ? 'gold' : 'silver' }), T0 + (i % 60_000));
    const w = s.read(60_000, T0 + 59_999);
    expect(Math.abs(w.customers / 50_000 - 1)).toBeLessThan(0.1);
    expect(Math.abs(w.segments.tier!.gold! / 10_000 - 1)).toBeLessThan(0.1);
    expect(Math.abs(w.segments.tier!.silver! / 40_000 - 1)).toBeLessThan(0.1);
  });

  it('sizes at most maxSegmentsPerBucket segments per bucket', () => {
    const s = createOfferStats({ maxSegmentsPerBucket: 2 });
    s.recordDecision(decision('c1', [], { a: 'x', b: 'y', c: 'z' }), T0);
    expect(s.read(10_000, T0).segments).toEqual({ a: { x: 1 }, b: { y: 1 }, c: {} });
  });

  it('counts at most maxOffersPerBucket offer ids per bucket (responses may name anything)', () => {
    const s = createOfferStats({ maxOffersPerBucket: 2 });
    for (const id of ['x', 'y', 'z']) s.recordResponse(id, 'accepted', T0);
    expect([...s.read(10_000, T0).offers.keys()]).toEqual(['x', 'y']);
  });

  it('property: every recorded decision inside the window is counted exactly once', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 119_999 }), offer: fc.constantFrom('a', 'b', 'c') }), {
          maxLength: 200,
        }),
        (list) => {
          const s = createOfferStats({ bucketMs: 10_000, buckets: 12 });
          const sorted = [...list].sort((p, q) => p.at - q.at);
          for (const d of sorted) s.recordDecision(decision('c', [d.offer]), T0 + d.at);
          const w = s.read(120_000, T0 + 119_999);
          const counted = [...w.offers.values()].reduce((n, x) => n + x.offered.reduce((a, b) => a + b, 0), 0);
          expect(counted).toBe(list.length);
          expect(w.decisions.reduce((a, b) => a + b, 0)).toBe(list.length);
        },
      ),
    );
  });
});

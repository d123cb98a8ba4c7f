import type { Decision } from '../decide/types.js';

/** Per-offer counts kept in one time bucket. */
export interface OfferCounts {
  offered: number;
  impression: number;
  accepted: number;
  declined: number;
  redeemed: number;
}

/** What `GET /v1/stats/offers` reads: counts per bucket over a window, and segment sizes. */
export interface StatsWindow {
  bucketMs: number;
  /** Start of the first bucket (epoch ms); bucket i starts at `fromMs + i × bucketMs`. */
  fromMs: number;
  buckets: number;
  /** Decisions per bucket (with or without offers). */
  decisions: number[];
  offers: Map<string, { [K in keyof OfferCounts]: number[] }>;
  /** segmentation → segment ({@link NO_SEGMENT} = none matched) → distinct customers decided in the window. */
  segments: Record<string, Record<string, number>>;
  customers: number;
}

export interface OfferStats {
  /** Counts a decision's offers as offered and its customer's segments (after the answer). */
  recordDecision(d: Pick<Decision, 'customerId' | 'offers' | 'segments'>, atMs: number): void;
  /** Counts an applied `offer_response` outcome. */
  recordResponse(offerId: string, outcome: string, atMs: number): void;
  /** The last `windowMs` (at most the retention), ending with the bucket holding `nowMs`. */
  read(windowMs: number, nowMs: number): StatsWindow;
  readonly bucketMs: number;
  readonly retentionMs: number;
}

export interface OfferStatsOptions {
  /** Bucket width (default 10 s). */
  bucketMs?: number;
  /** Buckets kept (default 360: one hour of 10 s buckets). */
  buckets?: number;
  /** Most customers remembered for segment sizes; the least recently decided are forgotten first (default 100,000). */
  maxCustomers?: number;
  /** Most distinct offer ids counted per bucket (responses may name unknown offers; default 1,000). */
  maxOffersPerBucket?: number;
}

interface Bucket {
  startMs: number;
  decisions: number;
  offers: Map<string, OfferCounts>;
}

/** The key counting customers who matched no segment of a segmentation. */
export const NO_SEGMENT = '\u0000none';

const OUTCOME_KEYS = ['offered', 'impression', 'accepted', 'declined', 'redeemed'] as const;
const zero = (): OfferCounts => ({ offered: 0, impression: 0, accepted: 0, declined: 0, redeemed: 0 });

/**
 * In-process counters for the page's plots: a ring of fixed time buckets of per-offer
 * outcome counts, and the latest segments of the customers decided recently. Memory is
 * bounded by buckets × offers and by `maxCustomers`, never by traffic. Each instance
 * counts what it saw itself: behind a load balancer every instance holds its share.
 */
export function createOfferStats(opts: OfferStatsOptions = {}): OfferStats {
  const bucketMs = opts.bucketMs ?? 10_000;
  const size = opts.buckets ?? 360;
  const maxCustomers = opts.maxCustomers ?? 100_000;
  const maxOffers = opts.maxOffersPerBucket ?? 1000;
  const ring: Array<Bucket | null> = new Array(size).fill(null);
  // customer → when last decided and its segments; Map order = least recently decided first
  const seen = new Map<string, { atMs: number; segments: Record<string, string | null> }>();

  const bucketAt = (atMs: number): Bucket | null => {
    const start = Math.floor(atMs / bucketMs) * bucketMs;
    const slot = Math.floor(atMs / bucketMs) % size;
    let b = ring[slot];
    if (!b || b.startMs !== start) {
      // an older time than the bucket now in this slot is past the retention: dropped
      if (b && b.startMs > start) return null;
      b = { startMs: start, decisions: 0, offers: new Map() };
      ring[slot] = b;
    }
    return b;
  };
  const countsOf = (b: Bucket, offerId: string): OfferCounts | null => {
    let c = b.offers.get(offerId);
    if (!c) {
      if (b.offers.size >= maxOffers) return null;
      c = zero();
      b.offers.set(offerId, c);
    }
    return c;
  };

  return {
    bucketMs,
    retentionMs: bucketMs * size,
    recordDecision(d, atMs) {
      const b = bucketAt(atMs);
      if (b) {
        b.decisions++;
        for (const o of d.offers) {
          const c = countsOf(b, o.offerId);
          if (c) c.offered++;
        }
      }
      seen.delete(d.customerId);
      seen.set(d.customerId, { atMs, segments: d.segments });
      if (seen.size > maxCustomers) seen.delete(seen.keys().next().value!);
    },
    recordResponse(offerId, outcome, atMs) {
      if (!(OUTCOME_KEYS as readonly string[]).includes(outcome) || outcome === 'offered') return;
      const b = bucketAt(atMs);
      const c = b && countsOf(b, offerId);
      if (c) c[outcome as keyof OfferCounts]++;
    },
    read(windowMs, nowMs) {
      const n = Math.max(1, Math.min(size, Math.ceil(windowMs / bucketMs)));
      const lastStart = Math.floor(nowMs / bucketMs) * bucketMs;
      const fromMs = lastStart - (n - 1) * bucketMs;
      const decisions = new Array<number>(n).fill(0);
      const offers: StatsWindow['offers'] = new Map();
      for (let i = 0; i < n; i++) {
        const start = fromMs + i * bucketMs;
        const b = ring[Math.floor(start / bucketMs) % size];
        if (!b || b.startMs !== start) continue;
        decisions[i] = b.decisions;
        for (const [offerId, c] of b.offers) {
          let s = offers.get(offerId);
          if (!s) {
            s = { offered: new Array<number>(n).fill(0), impression: new Array<number>(n).fill(0), accepted: new Array<number>(n).fill(0), declined: new Array<number>(n).fill(0), redeemed: new Array<number>(n).fill(0) };
            offers.set(offerId, s);
          }
          for (const k of OUTCOME_KEYS) s[k][i] = c[k];
        }
      }
      // forget customers older than the retention, then count those inside the window
      for (const [id, v] of seen) {
        if (v.atMs >= nowMs - size * bucketMs) break;
        seen.delete(id);
      }
      const segments: StatsWindow['segments'] = {};
      let customers = 0;
      for (const v of seen.values()) {
        if (v.atMs < fromMs) continue;
        customers++;
        for (const [seg, id] of Object.entries(v.segments)) {
          const bySeg = (segments[seg] ??= {});
          const key = id ?? NO_SEGMENT;
          bySeg[key] = (bySeg[key] ?? 0) + 1;
        }
      }
      return { bucketMs, fromMs, buckets: n, decisions, offers, segments, customers };
    },
  };
}

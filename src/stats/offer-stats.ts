import type { Decision } from '../decide/types.js';
import { addHash, estimate, hash32, mergeInto, newSketch, type Sketch } from './hyperloglog.js';

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
  /**
   * segmentation → segment ({@link NO_SEGMENT} = none matched) → distinct customers decided
   * in the window while in that segment (estimated: see hyperloglog.ts).
   */
  segments: Record<string, Record<string, number>>;
  /** Distinct customers decided in the window (estimated). */
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
  /** Most segments (over all segmentations) sized per bucket, at most 1 KiB each (default 64). */
  maxSegmentsPerBucket?: number;
  /** Most distinct offer ids counted per bucket (responses may name unknown offers; default 1,000). */
  maxOffersPerBucket?: number;
}

interface Bucket {
  startMs: number;
  decisions: number;
  offers: Map<string, OfferCounts>;
  /** Distinct customers decided in the bucket, overall and by segmentation → segment. */
  customers: Sketch | null;
  segments: Map<string, Map<string, Sketch>>;
  segmentCount: number;
}

/** The key counting customers who matched no segment of a segmentation. */
export const NO_SEGMENT = '\u0000none';

const OUTCOME_KEYS = ['offered', 'impression', 'accepted', 'declined', 'redeemed'] as const;
const zero = (): OfferCounts => ({ offered: 0, impression: 0, accepted: 0, declined: 0, redeemed: 0 });

/**
 * In-process counters for the page's plots: a ring of fixed time buckets, each with
 * per-offer outcome counts and distinct-customer sketches (overall and per segment).
 * Recording is a few map lookups; memory is bounded by buckets × (offers + segments),
 * never by traffic. Each instance counts what it saw itself: behind a load balancer
 * every instance holds its share.
 */
export function createOfferStats(opts: OfferStatsOptions = {}): OfferStats {
  const bucketMs = opts.bucketMs ?? 10_000;
  const size = opts.buckets ?? 360;
  const maxOffers = opts.maxOffersPerBucket ?? 1000;
  const maxSegments = opts.maxSegmentsPerBucket ?? 64;
  const ring: Array<Bucket | null> = new Array(size).fill(null);

  const bucketAt = (atMs: number): Bucket | null => {
    const start = Math.floor(atMs / bucketMs) * bucketMs;
    const slot = Math.floor(atMs / bucketMs) % size;
    let b = ring[slot];
    if (!b || b.startMs !== start) {
      // an older time than the bucket now in this slot is past the retention: dropped
      if (b && b.startMs > start) return null;
      b = { startMs: start, decisions: 0, offers: new Map(), customers: null, segments: new Map(), segmentCount: 0 };
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
      if (!b) return;
      b.decisions++;
      for (const o of d.offers) {
        const c = countsOf(b, o.offerId);
        if (c) c.offered++;
      }
      const h = hash32(d.customerId);
      addHash((b.customers ??= newSketch()), h);
      for (const name in d.segments) {
        let bySeg = b.segments.get(name);
        if (!bySeg) b.segments.set(name, (bySeg = new Map()));
        const seg = d.segments[name] ?? NO_SEGMENT;
        let sk = bySeg.get(seg);
        if (!sk) {
          if (b.segmentCount >= maxSegments) continue;
          b.segmentCount++;
          bySeg.set(seg, (sk = newSketch()));
        }
        addHash(sk, h);
      }
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
      const customers = newSketch();
      const bySegment = new Map<string, Map<string, Sketch>>();
      for (let i = 0; i < n; i++) {
        const start = fromMs + i * bucketMs;
        const b = ring[Math.floor(start / bucketMs) % size];
        if (!b || b.startMs !== start) continue;
        decisions[i] = b.decisions;
        if (b.customers) mergeInto(customers, b.customers);
        for (const [name, segs] of b.segments) {
          let into = bySegment.get(name);
          if (!into) bySegment.set(name, (into = new Map()));
          for (const [seg, sk] of segs) {
            let acc = into.get(seg);
            if (!acc) into.set(seg, (acc = newSketch()));
            mergeInto(acc, sk);
          }
        }
        for (const [offerId, c] of b.offers) {
          let s = offers.get(offerId);
          if (!s) {
            s = {
              offered: new Array<number>(n).fill(0),
              impression: new Array<number>(n).fill(0),
              accepted: new Array<number>(n).fill(0),
              declined: new Array<number>(n).fill(0),
              redeemed: new Array<number>(n).fill(0),
            };
            offers.set(offerId, s);
          }
          for (const k of OUTCOME_KEYS) s[k][i] = c[k];
        }
      }
      const segments: StatsWindow['segments'] = {};
      for (const [name, segs] of bySegment)
        segments[name] = Object.fromEntries([...segs].map(([seg, sk]) => [seg, estimate(sk)]));
      return { bucketMs, fromMs, buckets: n, decisions, offers, segments, customers: estimate(customers) };
    },
  };
}

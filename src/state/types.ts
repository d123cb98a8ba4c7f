import type { Outcome, ValidEvent } from '../events/types.js';
import type { AggregateDef, Cap } from '../rules/types.js';

/** A customer's offer history for one offer. Times are epoch milliseconds. */
export interface OfferHistory {
  /** Lifetime count per outcome. */
  counts: Record<Outcome, number>;
  /** Latest time of each outcome seen. */
  lastAt: Partial<Record<Outcome, number>>;
  /**
   * Times of the most recent outcomes, ascending, none older than 400 days: what windowed
   * caps count. Kept per outcome only as deep as the offer's largest windowed customer cap
   * on it (see {@link StateModel.recentDepth}).
   */
  recent: Partial<Record<Outcome, number[]>>;
  lastOutcome: Outcome | null;
  lastOutcomeAt: number | null;
  /** The last decision that offered it, and the learning segment it was offered in. */
  lastDecisionId: string | null;
  segment: string | null;
  /** The decision whose impression was counted (explicitly or implied by a response). */
  impressedDecisionId: string | null;
}


export type AggValue = number | string | boolean | null;

/** What a decision reads about one customer, in one store call. */
export interface CustomerSnapshot {
  customerId: string;
  profile: Record<string, unknown>;
  /** Every aggregate of the model, read at the snapshot's clock. */
  agg: Record<string, AggValue>;
  household: { id: string; agg: Record<string, AggValue> } | null;
  offers: Record<string, OfferHistory>;
}

/** What the store keeps: derived from the rule set, replaced on every reload. */
export interface StateModel {
  /** Every aggregate, read by name. */
  aggregates: readonly AggregateDef[];
  /**
   * One definition per storage key — of the aggregates sharing it, the one with the
   * longest window, which folds and trims the shared buckets — by event type.
   */
  storageByEvent: ReadonlyMap<string, readonly AggregateDef[]>;
  /** The same keepers, by storage key. */
  storageByKey: ReadonlyMap<string, AggregateDef>;
  /** How many recent times of each outcome an offer's history keeps: its largest windowed customer cap (0 when none). */
  recentDepth(offerId: string, outcome: Outcome): number;
  /** For each offer and outcome with a windowed total cap: bucket sizes kept, each with the longest window read at it. */
  totalCapBuckets: ReadonlyMap<string, ReadonlyMap<Outcome, ReadonlyArray<{ bucketMs: number; windowMs: number }>>>;
}

export type ApplyStatus = 'applied' | 'duplicate';

export interface ApplyResult {
  applied: number;
  duplicates: number;
  /** One status per input event, in input order. */
  statuses: ApplyStatus[];
}

/** Offers a decision returned, recorded as `offered` for the customer. */
export interface OfferedRecord {
  customerId: string;
  decisionId: string;
  offerIds: readonly string[];
  atMs: number;
  /** The customer's segment in the learning segmentation, if one is configured. */
  segment: string | null;
}

/** Learned acceptance counts for an offer (per segment, or `null` for all). */
export interface LearningCounts {
  impressions: number;
  accepted: number;
}

/**
 * Counters shared by all customers: learning and total caps. Read synchronously on
 * the decision path; a networked store serves them from a cache it keeps fresh.
 */
export interface GlobalStats {
  learning(offerId: string, segment: string | null): LearningCounts;
  /** Changes whenever a learned count may have changed (decisions cache score orders by it). */
  version(): number;
  /** Count of an outcome across all customers, over a window (null = lifetime). */
  total(offerId: string, outcome: Outcome, windowMs: number | null, nowMs: number): number;
}

/**
 * Where customer state lives. Two implementations pass one contract test suite:
 * the in-process store (the embedded default) and Redis.
 */
export interface CustomerStateStore {
  readonly kind: string;
  /** Which aggregates and total caps to keep; called at start and on every rules reload. */
  setModel(model: StateModel): void;
  /**
   * Applies a batch of validated events (many customers), each exactly once by event
   * id: a duplicate changes nothing. Per customer, events apply in input order.
   */
  applyEvents(events: readonly ValidEvent[]): Promise<ApplyResult>;
  /**
   * Everything a decision needs about one customer, in one call (one round trip).
   * `histories`: the offers whose history the caller reads (absent: every offer's); a
   * store may leave the others out of `offers`. The snapshot is read-only: it may share
   * objects with the store.
   */
  snapshot(customerId: string, nowMs: number, histories?: readonly string[]): Promise<CustomerSnapshot>;
  /** Records the offers a decision returned as `offered`. */
  recordOffered(rec: OfferedRecord): Promise<void>;
  /**
   * Atomically checks an offer's total caps on `offered` and counts one more when all
   * have room: never overshoots under concurrent decisions. True when reserved.
   */
  reserveOffered(offerId: string, caps: readonly Cap[], nowMs: number): Promise<boolean>;
  readonly stats: GlobalStats;
  /** Resolves when the store answers; rejects with a retriable error when it does not. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

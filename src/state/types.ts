import type { Outcome, ValidEvent } from '../events/types.js';
import type { ErrorCode } from '../errors/codes.js';
import type { AggregateDef, Cap } from '../rules/types.js';

/** A customer's issued decisions are kept for responses this long (then a response to one is refused). */
export const DECISION_TTL_MS = 30 * 86_400_000;
/**
 * At most this many issued decisions are kept per customer (the newest): about 45 bytes
 * each in Redis, so a customer's hash stays within `hash-max-listpack-value 512` (state.md).
 */
export const MAX_DECISIONS_KEPT = 8;

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
  /** The last decision that offered it, and the learning segment it was offered in (kept for reads; responses use the decision record). */
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
  /** An offer's half-life for learning (ms; null = never forget), and its value (for policy results); undefined for an offer not in the rules. */
  learningOf(offerId: string): { halfLifeMs: number | null; value: number } | undefined;
  /** For each offer and outcome with a windowed total cap: bucket sizes kept, each with the longest window read at it. */
  totalCapBuckets: ReadonlyMap<string, ReadonlyMap<Outcome, ReadonlyArray<{ bucketMs: number; windowMs: number }>>>;
}

export type ApplyStatus = 'applied' | 'duplicate' | 'rejected';

/** An event the store could not apply: nothing of it was stored. */
export interface StoreRejection {
  /** Its index in the batch. */
  index: number;
  /**
   * NBO_ERR_EVENT_INVALID: the event cannot be stored; NBO_ERR_STORE_DATA: the customer's
   * stored state cannot be read; NBO_ERR_RESPONSE_*: a response to a decision NBO did not
   * issue to that customer, or naming an offer that decision did not return.
   */
  code: ErrorCode;
  path: string;
  message: string;
}

export interface ApplyResult {
  applied: number;
  duplicates: number;
  /** One status per input event, in input order. */
  statuses: ApplyStatus[];
  /** The events with status `rejected`, with why. */
  rejected: StoreRejection[];
  /** Each applied response's policy and outcome, and the value it counted (an acceptance's offer value), for metrics. */
  attributed?: Array<{ policy: string; outcome: string; value: number }>;
}

/** Offers a decision returned, recorded as `offered` for the customer. */
export interface OfferedRecord {
  customerId: string;
  decisionId: string;
  offerIds: readonly string[];
  atMs: number;
  /** The customer's segment in the learning segmentation, if one is configured. */
  segment: string | null;
  /**
   * The policy (holdout or experiment arm) that made the decision; responses to it are
   * attributed to it. Its learning namespace: `default` learns in the main counters, the
   * `holdout` learns nothing, any other arm in counters of its own. Default `default`.
   */
  policy?: string;
  /** The context's feature buckets (contextual model): its responses are learned per feature too. */
  features?: readonly number[];
}

/** Learned acceptance counts for an offer (per segment, or `null` for all). */
export interface LearningCounts {
  /** Lifetime counts. */
  impressions: number;
  accepted: number;
  /**
   * The same counts with older evidence decayed by the offer's half-life, as of `atMs`
   * (absent: equal to the lifetime counts). Read them at a later time with `decayedAt`
   * (learning-counts.ts).
   */
  recentImpressions?: number;
  recentAccepted?: number;
  atMs?: number;
}

/** Counts of one policy (holdout, experiment arm, or `default`) across all customers. */
export interface PolicyCounts {
  decisions: number;
  impressions: number;
  accepted: number;
  /** Sum of the value of accepted offers, and of its square (for the variance). */
  value: number;
  valueSq: number;
}

/**
 * Counters shared by all customers: learning and total caps. Read synchronously on
 * the decision path; a networked store serves them from a cache it keeps fresh.
 */
export interface GlobalStats {
  /** An offer's learned counts, overall (`segment` null) or in a segment, in a learning namespace ('' = the main one). */
  learning(offerId: string, segment: string | null, namespace?: string): LearningCounts;

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
   * id: a duplicate changes nothing. Per customer, events apply in input order. An event
   * the store cannot apply (a value it cannot store, a customer whose stored state cannot
   * be read) is `rejected` on its own, with nothing of it stored; the others still apply.
   * Rejects as a whole only when the store is unavailable (retriable).
   */
  applyEvents(events: readonly ValidEvent[]): Promise<ApplyResult>;
  /**
   * Everything a decision needs about one customer, in one call (one round trip).
   * `histories`: the offers whose history the caller reads (absent: every offer's); a
   * store may leave the others out of `offers`. The snapshot is read-only: it may share
   * objects with the store.
   */
  snapshot(customerId: string, nowMs: number, histories?: readonly string[]): Promise<CustomerSnapshot>;
  /**
   * Records the offers a decision returned as `offered`, and the decision itself: only a
   * response naming a recorded decision of that customer with one of its offers counts
   * (see {@link MAX_DECISIONS_KEPT}, {@link DECISION_TTL_MS}).
   */
  recordOffered(rec: OfferedRecord): Promise<void>;
  /** Counts a decision made by a policy (batched; for the policy's results). */
  countDecision(policy: string): void;
  /** Every policy's counts across all customers (and instances), by policy name; a networked store serves them from a cache. */
  policies(): ReadonlyMap<string, PolicyCounts>;
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

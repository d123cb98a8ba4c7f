import type { Outcome } from '../events/types.js';
import type { CompiledPredicate } from '../jsonlogic/index.js';

/** One problem in a rules directory: which file, which offer/segment/aggregate, where. */
export interface RuleIssue {
  /** File path relative to the rules directory, e.g. `offers/coffee.yaml`. */
  file: string;
  /** The offer, segment (`segmentation/segment`) or aggregate id, when known. */
  id?: string;
  /** JSON path inside the file's document, e.g. `$.eligibility.and[0]`. */
  path: string;
  message: string;
}

export type AggregateFn = 'count' | 'sum' | 'min' | 'max' | 'avg' | 'last' | 'distinct';

/** A rolling aggregate from aggregates.yaml, resolved. */
export interface AggregateDef {
  name: string;
  /** Event types it counts. */
  events: readonly string[];
  fn: AggregateFn;
  /** Dotted path into the event (`data.amount`, `time`), split; null for count without field. */
  field: readonly string[] | null;
  /** Window length; null means all time. */
  windowMs: number | null;
  /** Bucket size the window is kept at (equal to windowMs's granularity), or null for all time. */
  bucketMs: number | null;
  /** Optional filter over the event. */
  where: CompiledPredicate | null;
  /** `distinct` remembers at most this many values. */
  maxDistinct: number;
  /**
   * Identifies how the state is kept (events, fn, field, bucket, filter): aggregates with
   * the same key share their buckets, and a definition whose storage changes starts from
   * empty rather than misreading old buckets.
   */
  storageKey: string;
}

export interface Segment {
  id: string;
  when: CompiledPredicate | null;
  whenSource: unknown;
}

export interface Segmentation {
  name: string;
  segments: readonly Segment[];
}

export interface Cap {
  outcome: Outcome;
  max: number;
  windowMs: number | null;
  /** The window as written (`7d`), for explanations. */
  window: string | null;
}

export interface Prior {
  accepted: number;
  impressions: number;
}

export const DEFAULT_PRIOR: Prior = Object.freeze({ accepted: 1, impressions: 10 });

/** A windowed customer cap counts at most this many recent outcomes. */
export const MAX_WINDOWED_CUSTOMER_CAP = 20;

export interface Offer {
  id: string;
  name: string;
  channels: ReadonlySet<string>;
  /** null: answers every trigger, and /v1/decide without one. */
  triggers: ReadonlySet<string> | null;
  activeFromMs: number | null;
  activeToMs: number | null;
  eligibility: CompiledPredicate | null;
  eligibilitySource: unknown;
  value: number;
  weight: number;
  prior: Prior;
  /** Learning half-life (ms) from `propensity.halfLife`; null = never forget ("none"); undefined = the global NBO_LEARNING_HALF_LIFE. */
  halfLifeMs?: number | null;
  /** `propensity.model`: per segment or contextual; undefined = the global NBO_LEARNING_MODEL. */
  model?: 'segment' | 'contextual';
  customerCaps: readonly Cap[];
  totalCaps: readonly Cap[];
  /** The total caps on `offered`: returning the offer needs an atomic reservation. */
  offeredTotalCaps: readonly Cap[];
  cooldowns: ReadonlyArray<{ outcome: Outcome; ms: number; window: string }>;
  fallback: boolean;
  payload: Record<string, unknown>;
  /** The file it came from, relative to the rules directory. */
  file: string;
  /** The offer as written (for GET /v1/offers and tools). */
  source: Record<string, unknown>;
}

/** A loaded, validated, compiled rules directory. Immutable once built. */
export interface RuleSet {
  /** Content hash of every file; every decision carries it. */
  version: string;
  offers: readonly Offer[];
  offerById: ReadonlyMap<string, Offer>;
  aggregates: readonly AggregateDef[];
  segmentations: readonly Segmentation[];
  /** Every channel some offer is made for. */
  channels: ReadonlySet<string>;
  /** Every event type the rules name (aggregates' events). */
  eventTypes: ReadonlySet<string>;
  /**
   * Shared sub-expressions of the offers' eligibility (compiled together): a decision
   * passes a fresh `new Array(memoSlots)` as `rt.memo`. 0 or absent: none.
   */
  memoSlots?: number;
  /**
   * Offers whose customer history a decision reads (those with customer caps or cooldowns):
   * a decision asks the store for these histories only.
   */
  historyOffers?: readonly string[];
  /** Offers that answer this channel and trigger, by ascending id (indexed, cached). */
  candidates(channel: string, trigger: string | null): readonly Offer[];
}

import type { TraceFailure } from '../jsonlogic/index.js';
import type { Outcome } from '../events/types.js';

/** What a caller asks for: `/v1/decide`, a stream trigger, or `nbo decide`. */
export interface DecideRequest {
  customerId: string;
  channel: string;
  /** The trigger (`checkout`, `claim`…) or null for an untriggered /v1/decide. */
  trigger: string | null;
  /** The caller's context, or the trigger event's data. */
  context: Record<string, unknown>;
  /** How many offers to return (default 1). */
  limit?: number;
  explain?: boolean;
  /** The trigger event's id, for stream-triggered decisions. */
  eventId?: string;
  /** Who asked (for metrics): the HTTP API, the event stream, or the CLI. */
  source?: 'http' | 'stream' | 'cli';
}

export interface DecisionOffer {
  offerId: string;
  name: string;
  score: number;
  propensity: number;
  value: number;
  payload: Record<string, unknown>;
  /**
   * The probability that the policy returns this offer here, given the qualifying offers:
   * first among them for the first offer, first among the rest for the next (1 for a
   * deterministic ranking; 1/n for a random control; Thompson: see choice-probability.ts).
   */
  probability: number;
}

/** A qualifying offer and the score it was ranked by (off-policy logging). */
export interface Candidate {
  offerId: string;
  score: number;
  propensity: number;
}

export type OfferStatus =
  | 'selected'
  | 'eligible'
  | 'inactive'
  | 'channel'
  | 'trigger'
  | 'ineligible'
  | 'capped'
  | 'cooldown';

/** Why an offer was or was not chosen. */
export interface OfferFate {
  offerId: string;
  status: OfferStatus;
  fallback?: boolean;
  score?: number;
  propensity?: number;
  /** ineligible: the sub-condition that failed and the values it saw. */
  condition?: TraceFailure;
  /** ineligible because the rule raised an error. */
  error?: string;
  /** capped: which cap, and the count that reached it. */
  cap?: { scope: 'customer' | 'total'; outcome: Outcome; max: number; window: string | null; count: number };
  /** eligible/selected: what has been learned about it (the learning segment's counts when one applies) and the posterior mean. */
  learning?: { impressions: number; accepted: number; estimate: number; segment: string | null };
  /** cooldown: the outcome that started it and when it ends. */
  cooldown?: { outcome: Outcome; window: string; until: string };
  /** inactive: the offer's active window. */
  active?: { from: string | null; to: string | null };
}

export interface Explanation {
  segments: Record<string, string | null>;
  offers: OfferFate[];
}

export interface Decision {
  decisionId: string;
  customerId: string;
  channel: string;
  trigger: string | null;
  rulesVersion: string;
  offers: DecisionOffer[];
  /** True when the answer was made without fresh customer state, from fallback offers. */
  degraded: boolean;
  /** ISO time the decision was made at. */
  time: string;
  segments: Record<string, string | null>;
  explanation?: Explanation;
  /** Rules (eligibility or segment) that raised an error and counted as false. */
  ruleErrors: number;
  /** The policy that made it: `default`, `holdout`, or an experiment arm. */
  policy: string;
  /**
   * The qualifying offers and their scores, best first. With a deterministic ranking
   * (`mean`, `static`) and no `explain`, the walk stops at the winners and lists only
   * the offers it checked.
   */
  candidates: Candidate[];
}

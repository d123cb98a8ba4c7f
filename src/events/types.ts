/** The one event shape NBO takes in, over Kafka and HTTP (see docs/events.md). */
export interface NboEvent {
  /** Unique; an id seen again for the same customer is a duplicate and changes nothing. */
  id: string;
  type: string;
  customerId: string;
  /** ISO-8601 event time; windows use it. */
  time: string;
  channel?: string;
  data?: Record<string, unknown>;
}

/** An event that passed validation, with its time parsed once. */
export interface ValidEvent extends NboEvent {
  timeMs: number;
}

/** What a customer did with an offer, as `offer_response` events report it. */
export const RESPONSE_OUTCOMES = ['impression', 'accepted', 'declined', 'redeemed'] as const;
/** Every outcome an offer's history counts: `offered` is recorded by decisions. */
export const OUTCOMES = ['offered', ...RESPONSE_OUTCOMES] as const;

export type ResponseOutcome = (typeof RESPONSE_OUTCOMES)[number];
export type Outcome = (typeof OUTCOMES)[number];

export function isOutcome(v: unknown): v is Outcome {
  return typeof v === 'string' && (OUTCOMES as readonly string[]).includes(v);
}

/** Event types with a meaning of their own; any other type only feeds aggregates. */
export const BUILTIN_TYPES = ['profile', 'checkout', 'claim', 'offer_response', 'household'] as const;
/** Event types that trigger a decision unless configured otherwise. */
export const DEFAULT_TRIGGERS = ['checkout', 'claim'] as const;

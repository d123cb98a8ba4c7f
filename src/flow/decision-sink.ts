import type { Candidate, DecisionOffer } from '../decide/types.js';

/** A decision the event stream triggered, as pushed to channels and produced to Kafka. */
export interface StreamDecision {
  type: 'decision';
  decisionId: string;
  customerId: string;
  channel: string;
  trigger: string;
  eventId: string;
  offers: DecisionOffer[];
  rulesVersion: string;
  degraded: boolean;
  time: string;
  /** The `X-Request-Id` of the HTTP request that carried the trigger event (absent from Kafka). */
  requestId?: string;
  /** W3C trace context of that request (NBO's span), to join the decision to the caller's trace. */
  traceparent?: string;
  /** The policy that made it (default, holdout, experiment arm). */
  policy: string;
  /** The qualifying offers and their scores (off-policy logging; see Decision.candidates). */
  candidates: Candidate[];
}

/**
 * Where stream-triggered decisions go: WebSocket subscribers on this instance
 * (serve/fanout.ts `localFanout`), on every instance through Redis pub/sub (`redisFanout`),
 * and the decisions topic (stream/kafka-service.ts). The ingestor hands every decision to
 * every sink (flow/ingest.ts); test/flow/decision-sink-contract.ts holds each to this:
 * - every published decision reaches each subscriber exactly once, in publish order per customer;
 * - `publish` resolves only once the decision is handed off (delivered locally, queued on
 *   the Redis connection, acknowledged by the broker), so a Kafka offset committed after it
 *   cannot get ahead of its decision;
 * - `close` releases the sink's connections; nothing is published after it.
 */
export interface DecisionSink {
  publish(d: StreamDecision): void | Promise<void>;
  close?(): Promise<void>;
}

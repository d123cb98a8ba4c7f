import type { Ingestor } from './ingest.js';

/** A part's readiness, as /readyz reports it. */
export interface Readiness {
  ok: boolean;
  detail?: string;
}

/**
 * How events enter NBO: POST /v1/events (serve/http-events.ts) and the events topic
 * (stream/kafka-service.ts). Every source hands its events to the one ingestor
 * (flow/ingest.ts): validate → apply → decide → publish. The service starts every source
 * it built from config and stops them when it drains. test/flow/event-source-contract.ts
 * holds each to this:
 * - valid events are applied through the ingestor, once each; a trigger yields a decision;
 * - invalid events are reported where the source reports them (the HTTP answer's
 *   `rejected`, the DLQ) and change no state;
 * - `ready()` is false before `start` and after `stop`, true while taking events;
 * - `stop()` stops taking events and resolves only after the work in hand finished
 *   (events applied and their decisions published).
 */
export interface EventSource {
  /** The name /readyz reports the source under. */
  readonly name: string;
  start(ingestor: Ingestor): Promise<void>;
  stop(): Promise<void>;
  ready(): Readiness;
}

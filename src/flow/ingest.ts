import type { Decider } from '../decide/decider.js';
import type { ErrorCode } from '../errors/codes.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ApplyResult, CustomerStateStore } from '../state/types.js';
import type { ValidEvent } from '../events/types.js';
import type { EventCheck, EventError } from '../events/validate.js';
import type { DecisionSink, StreamDecision } from './decision-sink.js';

export type { DecisionSink, StreamDecision } from './decision-sink.js';

/** An event that was not applied: its index in the input, why (a code of src/errors/codes.ts), and every offending path. */
export interface RejectedEvent {
  index: number;
  /** NBO_ERR_EVENT_INVALID (invalid or unstorable), NBO_ERR_FORBIDDEN (a channel the key may not use), NBO_ERR_STORE_DATA (the customer's stored state cannot be read). */
  code: ErrorCode;
  errors: EventError[];
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
  /** In input order. */
  rejected: RejectedEvent[];
  /** Per input index: applied, duplicate, or rejected. */
  statuses: Array<'applied' | 'duplicate' | 'rejected'>;
  /** Resolves once the triggered decisions are made and handed to every sink. */
  decisions: Promise<StreamDecision[]>;
}

/** The one path every event takes, whichever way it came in (HTTP, Kafka). */
export interface Ingestor {
  ingest(raw: readonly unknown[], opts?: IngestOptions): Promise<IngestResult>;
}

export interface IngestOptions {
  /**
   * The channels the sender may use (an API key's `channels`); an event with a channel
   * outside them is rejected (NBO_ERR_FORBIDDEN). Null or absent: any channel.
   */
  channels?: ReadonlySet<string> | null;
  /** The request the events came with (X-Request-Id, traceparent): carried by the decisions they trigger. */
  requestId?: string;
  traceparent?: string;
}

/**
 * Watches every ingest (the page's counts, the event recorder): called once per ingest,
 * after its events are applied and before its decisions are made, with every argument.
 * Observers hook in here rather than by wrapping the ingestor, so none can drop an argument.
 */
export type IngestObserver = (raw: readonly unknown[], result: IngestResult, opts: IngestOptions) => void;

export interface IngestorOptions {
  store: CustomerStateStore;
  decider: Decider;
  validate: (input: unknown) => EventCheck;
  triggers: Iterable<string>;
  sinks: () => readonly DecisionSink[];
  metrics?: Metrics;
  /** Event types the metrics name (others are "other"). */
  knownTypes?: () => ReadonlySet<string>;
  /** Offer ids the metrics name (others are "other"). */
  knownOffers?: () => ReadonlySet<string>;
  onSinkError?: (err: unknown) => void;
  /** Called in order after each ingest (see IngestObserver). */
  observers?: readonly IngestObserver[];
}

/** Longest stretch of validation before the event loop gets a turn. */
const SLICE_MS = 10;
/** Stream-triggered decisions made at once; the next ones wait for the event loop's next turn. */
const DECIDE_SLICE = 32;

/**
 * Validates every event, applies the valid ones to the store in one batch (each exactly
 * once), then decides for each newly applied trigger event in its channel and hands the
 * decision to the sinks. A duplicate trigger decides nothing. Nothing invalid touches state.
 */
export function createIngestor(opts: IngestorOptions): Ingestor {
  const triggers = new Set(opts.triggers);
  const onSinkError = opts.onSinkError ?? (() => {});
  const noTypes: ReadonlySet<string> = new Set();
  return {
    async ingest(raw, ingestOpts = {}) {
      const valid: ValidEvent[] = [];
      const validIndex: number[] = [];
      const rejected: IngestResult['rejected'] = [];
      const statuses: IngestResult['statuses'] = new Array(raw.length);
      const known = opts.knownTypes?.() ?? noTypes;
      const channels = ingestOpts.channels ?? null;
      const refuse = (index: number, code: ErrorCode, errors: EventError[], type: unknown) => {
        rejected.push({ index, code, errors });
        statuses[index] = 'rejected';
        opts.metrics?.events.inc({
          type: opts.metrics.bounded(known, typeof type === 'string' ? type : null),
          result: 'rejected',
        });
      };
      let sliceStart = performance.now();
      for (let index = 0; index < raw.length; index++) {
        // a large batch is validated in slices, so other requests are served in between
        if (performance.now() - sliceStart > SLICE_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          sliceStart = performance.now();
        }
        const r = raw[index];
        const c = opts.validate(r);
        if (!c.ok) {
          refuse(index, 'NBO_ERR_EVENT_INVALID', c.errors, (r as { type?: unknown } | null)?.type);
          continue;
        }
        if (channels && c.event.channel !== undefined && !channels.has(c.event.channel)) {
          refuse(
            index,
            'NBO_ERR_FORBIDDEN',
            [{ path: '$.channel', message: `the key may not use channel "${c.event.channel}"` }],
            c.event.type,
          );
          continue;
        }
        valid.push(c.event);
        validIndex.push(index);
      }
      const applied: ApplyResult =
        valid.length > 0
          ? await opts.store.applyEvents(valid)
          : { applied: 0, duplicates: 0, statuses: [], rejected: [] };
      for (const x of applied.rejected ?? [])
        refuse(validIndex[x.index]!, x.code, [{ path: x.path, message: x.message }], valid[x.index]!.type);
      rejected.sort((a, b) => a.index - b.index);
      for (const a of applied.attributed ?? []) {
        // policies are few and named by configuration: bounded labels
        opts.metrics?.policyOutcomes.inc({ policy: a.policy, outcome: a.outcome });
        if (a.value > 0) opts.metrics?.policyValue.inc({ policy: a.policy }, a.value);
      }
      const fired: ValidEvent[] = [];
      // counted per type and result once per batch: a labelled inc per event was a visible share of ingestion
      const counts = new Map<string, number>();
      applied.statuses.forEach((s, k) => {
        if (s === 'rejected') return;
        statuses[validIndex[k]!] = s;
        const ev = valid[k]!;
        const key = `${ev.type}\u0000${s}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
        if (s === 'applied' && triggers.has(ev.type) && ev.channel !== undefined) fired.push(ev);
        if (s === 'applied' && ev.type === 'offer_response' && opts.metrics) {
          const r = ev.data as { offerId: string; outcome: string };
          opts.metrics.offerOutcomes.inc({
            offer: opts.metrics.bounded(opts.knownOffers?.() ?? noTypes, r.offerId),
            outcome: r.outcome,
          });
        }
      });
      if (opts.metrics) {
        for (const [key, n] of counts) {
          const [type, result] = key.split('\u0000') as [string, string];
          opts.metrics.events.inc({ type: opts.metrics.bounded(known, type), result }, n);
        }
      }
      const decideOne = async (ev: ValidEvent): Promise<StreamDecision> => {
        const d = await opts.decider.decide({
          customerId: ev.customerId,
          channel: ev.channel!,
          trigger: ev.type,
          context: ev.data ?? {},
          eventId: ev.id,
          source: 'stream',
        });
        const msg: StreamDecision = {
          type: 'decision',
          decisionId: d.decisionId,
          customerId: d.customerId,
          channel: d.channel,
          trigger: ev.type,
          eventId: ev.id,
          offers: d.offers,
          rulesVersion: d.rulesVersion,
          degraded: d.degraded,
          time: d.time,
          policy: d.policy,
          candidates: d.candidates,
          ...(ingestOpts.requestId ? { requestId: ingestOpts.requestId } : {}),
          ...(ingestOpts.traceparent ? { traceparent: ingestOpts.traceparent } : {}),
        };
        await Promise.all(opts.sinks().map(async (s) => s.publish(msg))).catch(onSinkError);
        return msg;
      };
      // a few decisions at a time, the event loop free in between: a batch of 1,000 triggers
      // decided at once held it for hundreds of milliseconds (their state arrives together)
      const decisions = (async () => {
        const out: StreamDecision[] = [];
        for (let i = 0; i < fired.length; i += DECIDE_SLICE) {
          if (i > 0) await new Promise((resolve) => setImmediate(resolve));
          out.push(...(await Promise.all(fired.slice(i, i + DECIDE_SLICE).map(decideOne))));
        }
        return out;
      })();
      const result: IngestResult = {
        accepted: applied.applied,
        duplicates: applied.duplicates,
        rejected,
        statuses,
        decisions,
      };
      for (const observe of opts.observers ?? []) observe(raw, result, ingestOpts);
      return result;
    },
  };
}

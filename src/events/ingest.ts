import type { Decider } from '../decide/decider.js';
import type { DecisionOffer } from '../decide/types.js';
import type { Metrics } from '../metrics/metrics.js';
import type { CustomerStateStore } from '../state/types.js';
import type { ValidEvent } from './types.js';
import type { EventCheck, EventError } from './validate.js';

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
}

/** Where stream-triggered decisions go: WebSocket subscribers, the decisions topic. */
export interface DecisionSink {
  publish(d: StreamDecision): void | Promise<void>;
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: Array<{ index: number; errors: EventError[] }>;
  /** Per input index: applied, duplicate, or rejected. */
  statuses: Array<'applied' | 'duplicate' | 'rejected'>;
  /** Resolves once the triggered decisions are made and handed to every sink. */
  decisions: Promise<StreamDecision[]>;
}

/** The one path every event takes, whichever way it came in (HTTP, Kafka). */
export interface Ingestor {
  ingest(raw: readonly unknown[]): Promise<IngestResult>;
}

export interface IngestorOptions {
  store: CustomerStateStore;
  decider: Decider;
  validate: (input: unknown) => EventCheck;
  triggers: Iterable<string>;
  sinks: () => readonly DecisionSink[];
  metrics?: Metrics;
  /** Event types the metrics name (others are "other"). */
  knownTypes?: () => ReadonlySet<string>;
  onSinkError?: (err: unknown) => void;
}

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
    async ingest(raw) {
      const valid: ValidEvent[] = [];
      const validIndex: number[] = [];
      const rejected: IngestResult['rejected'] = [];
      const statuses: IngestResult['statuses'] = new Array(raw.length);
      raw.forEach((r, index) => {
        const c = opts.validate(r);
        if (c.ok) {
          valid.push(c.event);
          validIndex.push(index);
        } else {
          rejected.push({ index, errors: c.errors });
          statuses[index] = 'rejected';
          const type = typeof (r as { type?: unknown })?.type === 'string' ? (r as { type: string }).type : null;
          opts.metrics?.events.inc({ type: opts.metrics.bounded(opts.knownTypes?.() ?? noTypes, type), result: 'rejected' });
        }
      });
      const applied = valid.length > 0 ? await opts.store.applyEvents(valid) : { applied: 0, duplicates: 0, statuses: [] };
      const fired: ValidEvent[] = [];
      const known = opts.knownTypes?.() ?? noTypes;
      // counted per type and result once per batch: a labelled inc per event was a visible share of ingestion
      const counts = new Map<string, number>();
      applied.statuses.forEach((s, k) => {
        statuses[validIndex[k]!] = s;
        const ev = valid[k]!;
        const key = `${ev.type}\u0000${s}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
        if (s === 'applied' && triggers.has(ev.type) && ev.channel !== undefined) fired.push(ev);
      });
      if (opts.metrics) {
        for (const [key, n] of counts) {
          const [type, result] = key.split('\u0000') as [string, string];
          opts.metrics.events.inc({ type: opts.metrics.bounded(known, type), result }, n);
        }
      }
      const decisions = Promise.all(
        fired.map(async (ev): Promise<StreamDecision> => {
          const d = await opts.decider.decide({ customerId: ev.customerId, channel: ev.channel!, trigger: ev.type, context: ev.data ?? {}, eventId: ev.id, source: 'stream' });
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
          };
          await Promise.all(opts.sinks().map(async (s) => s.publish(msg))).catch(onSinkError);
          return msg;
        }),
      );
      return { accepted: applied.applied, duplicates: applied.duplicates, rejected, statuses, decisions };
    },
  };
}

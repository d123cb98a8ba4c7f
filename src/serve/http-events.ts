import { NboError } from '../errors/codes.js';
import type { EventSource, Readiness } from '../flow/event-source.js';
import type { IngestResult, Ingestor } from '../flow/ingest.js';

/**
 * POST /v1/events as an EventSource: the events route (routes.ts) ingests through it. It
 * forwards each batch with its options (the key's channels, the request's ids) to the
 * ingestor, and keeps each batch in view until its decisions are published, so `stop()`
 * waits for them. Stopped, it refuses new batches (the server refuses new requests first).
 */
export interface HttpEventSource extends EventSource, Ingestor {}

export function createHttpEventSource(): HttpEventSource {
  let ingestor: Ingestor | null = null;
  let stopped = false;
  const inFlight = new Set<Promise<unknown>>();
  const keep = (p: Promise<unknown>) => {
    const held: Promise<unknown> = p.catch(() => {}).finally(() => inFlight.delete(held));
    inFlight.add(held);
  };
  return {
    name: 'http',
    async start(i) {
      ingestor = i;
      stopped = false;
    },
    async ingest(raw, opts) {
      if (!ingestor || stopped) throw new NboError('NBO_ERR_NOT_READY', 'the server is not taking events');
      const work: Promise<IngestResult> = ingestor.ingest(raw, opts);
      keep(work.then((r) => r.decisions));
      return work;
    },
    async stop() {
      stopped = true;
      // a batch may still be applying: wait for it and for the decisions it triggers
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    ready(): Readiness {
      if (!ingestor) return { ok: false, detail: 'POST /v1/events not started' };
      if (stopped) return { ok: false, detail: 'POST /v1/events stopped' };
      return { ok: true };
    },
  };
}

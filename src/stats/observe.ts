import type { Decider } from '../decide/decider.js';
import type { IngestObserver } from '../flow/ingest.js';
import type { OfferStats } from './offer-stats.js';

/** A decider that counts every decision it makes (HTTP, stream, CLI) in `stats`, after deciding. */
export function observeDecider(inner: Decider, stats: OfferStats, clock: () => number): Decider {
  return {
    async decide(req) {
      const d = await inner.decide(req);
      stats.recordDecision(d, clock());
      return d;
    },
  };
}

/**
 * Counts the `offer_response` outcomes an ingest applied (a duplicate or a rejected event
 * counts nothing), whichever way the events came in (HTTP, Kafka).
 */
export function offerStatsObserver(stats: OfferStats, clock: () => number): IngestObserver {
  return (raw, res) => {
    const now = clock();
    res.statuses.forEach((s, i) => {
      if (s !== 'applied') return;
      const ev = raw[i] as { type?: unknown; data?: { offerId?: unknown; outcome?: unknown } };
      if (ev.type !== 'offer_response' || typeof ev.data?.offerId !== 'string' || typeof ev.data.outcome !== 'string')
        return;
      stats.recordResponse(ev.data.offerId, ev.data.outcome, now);
    });
  };
}

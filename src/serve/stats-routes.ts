import { hostname } from 'node:os';
import { parseDuration } from '../config/duration.js';
import type { RuleSet } from '../rules/types.js';
import type { CustomerStateStore } from '../state/types.js';
import { NO_SEGMENT, type OfferStats } from '../stats/offer-stats.js';
import { offerState, type OfferState, type ReachedCap } from '../stats/offer-state.js';
import { problem } from './http.js';
import type { Route } from './routes.js';

export interface StatsRouteDeps {
  stats: OfferStats;
  rules: () => RuleSet;
  store: CustomerStateStore;
  clock: () => number;
  /** This instance's name in the answer (default host:pid). */
  instance?: string;
}

interface CatalogEntry {
  offerId: string;
  name: string;
  channels: string[];
  fallback: boolean;
  active: { from: string | null; to: string | null };
  /** `removed`: counted in the window, but no longer in the live rules. */
  state: OfferState | 'removed';
  cap?: ReachedCap;
}

/** The window read when the query names none. */
export const DEFAULT_STATS_WINDOW = '15m';

const rate = (accepted: number, offered: number): number | null => (offered > 0 ? accepted / offered : null);
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/**
 * `GET /v1/stats/offers?window=15m`: what this instance decided and heard back, per offer
 * and time bucket, for the page's plots; every offer's catalog state; and the segment
 * sizes among the customers decided in the window.
 */
export function statsRoutes(d: StatsRouteDeps): Route[] {
  const instance = d.instance ?? `${hostname()}:${process.pid}`;
  const startedAt = new Date(d.clock()).toISOString();
  return [
    {
      method: 'GET',
      path: '/v1/stats/offers',
      scope: 'read',
      name: 'stats-offers',
      handler({ facts }) {
        const w = parseDuration(facts.query.get('window') ?? DEFAULT_STATS_WINDOW);
        if ('error' in w)
          return problem('NBO_ERR_BODY_INVALID', 'invalid query', [{ path: '$.query.window', message: w.error }]);
        if (w.ms > d.stats.retentionMs) {
          return problem('NBO_ERR_BODY_INVALID', 'invalid query', [
            {
              path: '$.query.window',
              message: `is longer than the ${d.stats.retentionMs / 60_000}m this instance keeps`,
            },
          ]);
        }
        const now = d.clock();
        const rules = d.rules();
        const win = d.stats.read(w.ms, now);
        const offers: CatalogEntry[] = rules.offers.map((o) => {
          const st = offerState(o, d.store.stats, now);
          return {
            offerId: o.id,
            name: o.name,
            channels: [...o.channels],
            fallback: o.fallback,
            active: { from: iso(o.activeFromMs), to: iso(o.activeToMs) },
            ...st,
          };
        });
        // offers counted in the window that the live rules no longer hold
        for (const id of win.offers.keys()) {
          if (!rules.offerById.has(id))
            offers.push({
              offerId: id,
              name: id,
              channels: [],
              fallback: false,
              active: { from: null, to: null },
              state: 'removed',
            });
        }
        const empty = new Array<number>(win.buckets).fill(0);
        return {
          status: 200,
          body: {
            instance,
            startedAt,
            rulesVersion: rules.version,
            time: new Date(now).toISOString(),
            window: w.ms / 1000,
            bucketSeconds: win.bucketMs / 1000,
            from: new Date(win.fromMs).toISOString(),
            buckets: win.buckets,
            channels: [...rules.channels].sort(),
            decisions: win.decisions,
            customers: win.customers,
            offers: offers.map((o) => {
              const s = win.offers.get(o.offerId);
              const series = {
                offered: s?.offered ?? empty,
                impression: s?.impression ?? empty,
                accepted: s?.accepted ?? empty,
                declined: s?.declined ?? empty,
                redeemed: s?.redeemed ?? empty,
              };
              const totals = {
                offered: sum(series.offered),
                impression: sum(series.impression),
                accepted: sum(series.accepted),
                declined: sum(series.declined),
                redeemed: sum(series.redeemed),
              };
              return { ...o, totals: { ...totals, acceptanceRate: rate(totals.accepted, totals.offered) }, series };
            }),
            segments: rules.segmentations.map((sg) => {
              const counts = win.segments[sg.name] ?? {};
              const sizes = sg.segments.map((s) => ({ segment: s.id as string | null, customers: counts[s.id] ?? 0 }));
              if (counts[NO_SEGMENT]) sizes.push({ segment: null, customers: counts[NO_SEGMENT] });
              return { segmentation: sg.name, sizes };
            }),
          },
        };
      },
    },
  ];
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

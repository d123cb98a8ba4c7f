import type { Offer } from '../rules/types.js';
import type { GlobalStats } from '../state/types.js';
import { needsReservation } from './caps.js';
import { posteriorOf, type LearningSettings, type Posterior } from './estimate.js';
import { considered } from './fallback.js';
import { betaSample } from './propensity.js';

/** A candidate with its posterior and the range its score can take. */
export interface Bounded {
  offer: Offer;
  posterior: Posterior;
  multiplier: number;
  mean: number;
  /** multiplier × (mean + 8 sd), capped at 1: a sample above it has a chance under 1e-6 */
  upper: number;
}

/** Sampled scores, per candidate, as the walk returns them. */
export interface Drawn {
  offer: Offer;
  posterior: Posterior;
  multiplier: number;
  propensity: number;
  score: number;
}

function bounded(offer: Offer, p: Posterior, multiplier: number): Bounded {
  const n = p.alpha + p.beta;
  const mean = p.alpha / n;
  const sd = Math.sqrt((p.alpha * p.beta) / (n * n * (n + 1)));
  return { offer, posterior: p, multiplier, mean, upper: multiplier * Math.min(1, mean + 8 * sd) };
}

/** Candidates by descending upper bound, per learning segment; rebuilt when learned counts change (or decay moves them). */
const ORDERS = new WeakMap<readonly Offer[], Map<string, { version: string; order: Bounded[] }>>();

export function boundOrder(
  candidates: readonly Offer[],
  stats: GlobalStats,
  segment: string | null,
  learning: LearningSettings,
  weights: ReadonlyMap<string, number> | null | undefined,
  version: string,
  nowMs: number,
): Bounded[] {
  let cache = ORDERS.get(candidates);
  if (!cache) ORDERS.set(candidates, (cache = new Map()));
  const key = `${learning.namespace}\u0001${learning.priorMaxImpressions}\u0001${learning.halfLifeMs}\u0001${segment ?? '\u0000'}`;
  let entry = weights ? undefined : cache.get(key);
  if (!entry || entry.version !== version) {
    const order = candidates.map((offer) =>
      bounded(
        offer,
        posteriorOf(offer, stats, segment, learning, nowMs),
        offer.value * (weights?.get(offer.id) ?? offer.weight),
      ),
    );
    order.sort((a, b) => b.upper - a.upper || (a.offer.id < b.offer.id ? -1 : 1));
    entry = { version, order };
    if (!weights) cache.set(key, entry);
  }
  return entry.order;
}

/**
 * Thompson sampling without evaluating every offer: candidates are visited by the highest
 * score each could draw (mean + 8 sd); each that qualifies draws its sample. The walk
 * stops once `want` offers (that need no total-cap reservation) have qualified and no
 * offer left could draw above the `want`-th best sample: it could not have been chosen
 * (a chance under 1e-6). The choice is a Thompson draw over every qualifying offer; the
 * offers it never reached are not in `candidates`, and the choice probability is computed
 * over the ones it did (they could only have won had the winner drawn lower). Cost grows
 * with how uncertain the offers are, not with the catalog: a learned catalog stops early.
 */
export function thompsonWalk(
  order: readonly Bounded[],
  want: number,
  qualifies: (o: Offer) => boolean,
  rand: () => number,
  fallback: boolean,
  fallbackOnly: boolean,
): Drawn[] {
  const drawn: Drawn[] = [];
  /** the `want` best plain samples so far, best first */
  const top: number[] = [];
  let plain = 0;
  for (const b of order) {
    if (b.offer.fallback !== fallback || !considered(b.offer, fallbackOnly)) continue;
    if (plain >= want && b.upper < top[top.length - 1]!) break;
    if (!qualifies(b.offer)) continue;
    const propensity = betaSample(b.posterior.alpha, b.posterior.beta, rand);
    const score = propensity * b.multiplier;
    drawn.push({ offer: b.offer, posterior: b.posterior, multiplier: b.multiplier, propensity, score });
    if (needsReservation(b.offer)) continue;
    plain++;
    // kept sorted by insertion (a sort call per qualifying offer cost more than the rule it follows)
    if (top.length < want) top.push(score);
    else if (score <= top[want - 1]!) continue;
    else top[want - 1] = score;
    for (let k = top.length - 1; k > 0 && top[k]! > top[k - 1]!; k--) {
      const t = top[k]!;
      top[k] = top[k - 1]!;
      top[k - 1] = t;
    }
  }
  return drawn;
}

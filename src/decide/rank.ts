import type { Offer } from '../rules/types.js';
import { needsReservation, type CapFate } from './caps.js';
import { probabilityFirst, type ScoreDistribution } from './choice-probability.js';
import type { Posterior } from './estimate.js';
import type { Exploration } from './policy.js';

/** The most offers one decision returns. */
export const MAX_LIMIT = 20;

/** An offer that passed every filter, with its score. */
export interface Scored {
  offer: Offer;
  score: number;
  propensity: number;
  /** value × weight (the policy's weight). */
  multiplier: number;
  /** The posterior the propensity came from (learning policies). */
  posterior?: Posterior;
  /** What ranks it when that is not the score (a random control's draw). */
  key?: number;
}

/** Ranking order: higher score (or key) first; ties by ascending offer id, so decisions are reproducible. */
export function byScore(a: Scored, b: Scored): number {
  return (b.key ?? b.score) - (a.key ?? a.score) || (a.offer.id < b.offer.id ? -1 : a.offer.id > b.offer.id ? 1 : 0);
}

/**
 * Sorts in place by {@link byScore}: by insertion for the short lists a decision ranks (a
 * few candidates; Array.prototype.sort's set-up costs more there), by `sort` above that.
 */
export function sortByScore<T extends Scored>(xs: T[]): T[] {
  if (xs.length > 24) return xs.sort(byScore);
  for (let i = 1; i < xs.length; i++) {
    const x = xs[i]!;
    let j = i - 1;
    while (j >= 0 && byScore(xs[j]!, x) > 0) {
      xs[j + 1] = xs[j]!;
      j--;
    }
    xs[j + 1] = x;
  }
  return xs;
}

/** How many offers a decision returns: the request's limit, a whole number from 1 to {@link MAX_LIMIT} (default 1). */
export const limitOf = (requested: number | undefined): number =>
  Math.min(Math.max(1, Math.floor(requested ?? 1)), MAX_LIMIT);

/** How many certain offers (no reservation needed) a score-ordered walk looks for before it stops (at least 1). */
export const wantOf = (requested: number | undefined): number => Math.max(1, requested ?? 1);

/**
 * Selection: the first `limit` offers of a best-first list whose total caps on `offered`
 * let them through (`reserve`, caps.ts). An offer refused its reservation is given the
 * cap's fate and skipped; the next one takes its place.
 */
export async function pick(
  list: readonly Scored[],
  limit: number,
  reserve: (offer: Offer) => Promise<CapFate | null>,
  onCapped: (offer: Offer, fate: CapFate) => void,
): Promise<Scored[]> {
  const chosen: Scored[] = [];
  for (const s of list) {
    if (chosen.length >= limit) break;
    const capped = await reserve(s.offer);
    if (capped) {
      onCapped(s.offer, capped);
      continue;
    }
    chosen.push(s);
  }
  return chosen;
}

/**
 * The probability the policy returns each chosen offer where it stands (DecisionOffer.probability):
 * 1 for deterministic policies; for Thompson sampling and the random control, the chance
 * it comes first among the offers still in the running (the chosen ones, and those that
 * need no reservation), each chosen one removed before the next.
 */
export function selectionProbabilities(
  exploration: Exploration,
  list: readonly Scored[],
  chosen: readonly Scored[],
): number[] {
  if (exploration !== 'thompson' && exploration !== 'random') return chosen.map(() => 1);
  let rest = list.filter((s) => !needsReservation(s.offer) || chosen.includes(s));
  return chosen.map((c) => {
    // a Thompson candidate carries its posterior and multiplier: it is the distribution itself
    const p =
      exploration === 'random' ? 1 / rest.length : probabilityFirst(rest.indexOf(c), rest as ScoreDistribution[]);
    rest = rest.filter((s) => s !== c);
    return p;
  });
}

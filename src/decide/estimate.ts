import type { Offer } from '../rules/types.js';
import { decayedAt } from '../state/learning-counts.js';
import type { GlobalStats } from '../state/types.js';

/** How a policy learns: its namespace of counters, the bound on a prior's weight, the default half-life. */
export interface LearningSettings {
  /** Learning namespace ('' = the main counters; an experiment arm has its own). */
  namespace: string;
  /** A prior (or older evidence) weighs at most this many pseudo-impressions. */
  priorMaxImpressions: number;
  /** Half-life of learned evidence (ms) for offers that set none; null = never forget. */
  halfLifeMs: number | null;
  /** The model for offers that choose none: per segment (`segment`, the default) or `contextual`. */
  model?: LearningModel;
  /** The least pseudo-acceptances and pseudo-declines a prior holds (default ½: Jeffreys); 0 = a prior may rule an outcome out. */
  priorFloor?: number;
}

/** Beta posteriors per offer and segment of the learning segmentation, or the contextual model over features. */
export type LearningModel = 'segment' | 'contextual';

/** The model that applies to an offer: its own (`propensity.model`), else the policy's. */
export function modelOf(offer: Offer, s: LearningSettings): LearningModel {
  return offer.model ?? s.model ?? 'segment';
}

/** A Beta posterior of an offer's acceptance probability. */
export interface Posterior {
  alpha: number;
  beta: number;
  /** Lifetime impressions and acceptances it learned from (overall, or in the segment). */
  impressions: number;
  accepted: number;
}

/** The least pseudo-acceptances (and pseudo-declines) a prior holds. */
const PRIOR_FLOOR = 0.5;

export const posteriorMeanOf = (p: Posterior): number => p.alpha / (p.alpha + p.beta);

/** The half-life that applies to an offer: its own (`propensity.halfLife`), else the policy's. */
export function halfLifeOf(offer: Offer, s: LearningSettings): number | null {
  return offer.halfLifeMs === undefined ? s.halfLifeMs : offer.halfLifeMs;
}

/**
 * An offer's acceptance posterior, built in layers so that each starts from the one
 * below it rather than from the author's prior alone:
 *
 * 1. the author's prior, weighing at most `priorMaxImpressions` (and holding at least
 *    half a pseudo-acceptance and half a pseudo-decline);
 * 2. the evidence the half-life has forgotten, folded into that prior (its weight again
 *    bounded): what is forgotten falls back toward older evidence, not the prior;
 * 3. the recent (decayed) evidence of the offer across all customers;
 * 4. with a segment: the segment's recent evidence on a prior at the offer's overall
 *    estimate (hierarchical shrinkage), so a segment never pays for a bad prior alone.
 *
 * Without a half-life and within the bound this is the classic
 * `(prior.accepted + accepted) / (prior.impressions + impressions)`.
 */
export function posteriorOf(
  offer: Offer,
  stats: GlobalStats,
  segment: string | null,
  s: LearningSettings,
  nowMs: number,
): Posterior {
  const k = s.priorMaxImpressions;
  const halfLife = halfLifeOf(offer, s);
  const w0 = Math.min(offer.prior.impressions, k);
  const a0 = (offer.prior.accepted / offer.prior.impressions) * w0;
  const all = stats.learning(offer.id, null, s.namespace);
  const recent = decayedAt(all, halfLife, nowMs);
  const forgottenI = Math.max(0, all.impressions - recent.impressions);
  const forgottenA = Math.min(forgottenI, Math.max(0, all.accepted - recent.accepted));
  const oldMean = (a0 + forgottenA) / (w0 + forgottenI);
  const oldWeight = Math.min(k, w0 + forgottenI);
  // a prior never rules an outcome out: at least half a pseudo-acceptance and half a
  // pseudo-decline (Jeffreys' Beta(½, ½)), so an offer written off as "2 in 1,000" still
  // gets tried now and then (bench learning scenario: 0.59 → 0.75 of the oracle in a world
  // where the written-off offer is the best for most customers)
  const floor = s.priorFloor ?? PRIOR_FLOOR;
  const alpha = Math.max(floor, oldMean * oldWeight) + recent.accepted;
  const beta = Math.max(floor, (1 - oldMean) * oldWeight) + Math.max(0, recent.impressions - recent.accepted);
  if (segment === null) return { alpha, beta, impressions: all.impressions, accepted: all.accepted };
  const seg = stats.learning(offer.id, segment, s.namespace);
  const segRecent = decayedAt(seg, halfLife, nowMs);
  const mean = alpha / (alpha + beta);
  const weight = Math.min(k, alpha + beta);
  return {
    alpha: mean * weight + segRecent.accepted,
    beta: (1 - mean) * weight + Math.max(0, segRecent.impressions - segRecent.accepted),
    impressions: seg.impressions,
    accepted: seg.accepted,
  };
}

const logit = (p: number): number => Math.log(p / (1 - p));
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const clampP = (p: number): number => Math.min(1 - 1e-6, Math.max(1e-6, p));

/** The contextual model's estimate for one offer and context. */
export interface ContextualEstimate {
  /** The offer's overall posterior (what exploration samples). */
  base: Posterior;
  /** How far the context moves the offer's log-odds (shrunk estimates, summed). */
  shift: number;
}

/**
 * The contextual model: the offer's overall posterior, its log-odds shifted by what each
 * feature of the context (segments, profile attributes, basket categories: features.ts)
 * has shown — per feature, the acceptance rate among the offer's impressions with that
 * feature, on a prior at the overall estimate weighing `priorMaxImpressions`, as a log-odds
 * difference; the differences add up (naive Bayes: features taken as independent).
 * Feature counts decay with the offer's half-life like every other count.
 */
export function contextualOf(
  offer: Offer,
  stats: GlobalStats,
  featureSegments: readonly string[],
  s: LearningSettings,
  nowMs: number,
): ContextualEstimate {
  const base = posteriorOf(offer, stats, null, s, nowMs);
  const m0 = clampP(base.alpha / (base.alpha + base.beta));
  const k = s.priorMaxImpressions;
  const halfLife = halfLifeOf(offer, s);
  let shift = 0;
  for (const f of featureSegments) {
    const c = stats.learning(offer.id, f, s.namespace);
    if (c.impressions === 0) continue;
    const r = decayedAt(c, halfLife, nowMs);
    shift += logit(clampP((m0 * k + r.accepted) / (k + r.impressions))) - logit(m0);
  }
  return { base, shift };
}

/** A propensity from the contextual estimate and a sample (or the mean) of its base. */
export function contextualPropensity(e: ContextualEstimate, baseDraw: number): number {
  return e.shift === 0 ? baseDraw : sigmoid(logit(clampP(baseDraw)) + e.shift);
}

/** The Beta the choice probability works with: the base's weight, at the contextual mean. */
export function contextualPosterior(e: ContextualEstimate): Posterior {
  const n = e.base.alpha + e.base.beta;
  const mean = contextualPropensity(e, e.base.alpha / n);
  return { alpha: mean * n, beta: (1 - mean) * n, impressions: e.base.impressions, accepted: e.base.accepted };
}

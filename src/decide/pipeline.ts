import { traceLogic, type RuleRuntime } from '../jsonlogic/index.js';
import type { Offer, RuleSet } from '../rules/types.js';
import type { CustomerSnapshot, GlobalStats } from '../state/types.js';
import { capFate, needsReservation } from './caps.js';
import { assignSegments, buildContext, type DecisionContext } from './context.js';
import { cooldownFate } from './cooldowns.js';
import {
  contextualOf,
  contextualPosterior,
  contextualPropensity,
  modelOf,
  posteriorOf,
  posteriorMeanOf,
  type LearningSettings,
} from './estimate.js';
import { considered, fallbacksNeeded } from './fallback.js';
import { contextFeatures, featureSegment } from './features.js';
import { boundOrder, thompsonWalk } from './thompson-walk.js';
import type { Exploration } from './policy.js';
import { betaSample, seededRandom } from './propensity.js';
import { byScore, sortByScore, wantOf, type Scored } from './rank.js';
import type { DecideRequest, OfferFate } from './types.js';

export type { Exploration } from './policy.js';

/** Learning settings when none are given: main counters, a prior weighs at most 20 impressions, nothing forgotten. */
export const DEFAULT_LEARNING: LearningSettings = Object.freeze({
  namespace: '',
  priorMaxImpressions: 20,
  halfLifeMs: null,
});

export interface PipelineInput {
  rules: RuleSet;
  snap: CustomerSnapshot;
  request: DecideRequest;
  nowMs: number;
  stats: GlobalStats;
  decisionId: string;
  /** The segmentation propensity is learned per (null: one propensity per offer). */
  learningSegmentation: string | null;
  exploration: Exploration;
  /** Namespace, prior bound and half-life of the policy's learning (default {@link DEFAULT_LEARNING}). */
  learning?: LearningSettings;
  /** Offer id → weight used instead of the catalog's (an experiment arm's). */
  weights?: ReadonlyMap<string, number> | null;
  /** Only fallback offers are considered (a degraded decision). */
  fallbackOnly?: boolean;
}

export interface PipelineResult {
  ctx: DecisionContext;
  /** Qualifying regular offers, best first (score desc, then offer id asc). */
  ranked: Scored[];
  /** Qualifying fallback offers, best first. */
  fallbacks: Scored[];
  /** With `explain`: every offer's fate so far, by offer id. */
  fates: Map<string, OfferFate> | null;
  ruleErrors: number;
  /** The customer's segment in the learning segmentation. */
  learningSegment: string | null;
  /** The context's feature buckets, when an offer used the contextual model (recorded with the decision, learned from its responses). */
  features: number[] | null;
}

/** Whether any offer of a rule set learns with the contextual model (then scores depend on the context: no cached order). */
const CONTEXTUAL = new WeakMap<readonly Offer[], boolean>();
function anyContextual(offers: readonly Offer[], learning: LearningSettings): boolean {
  if (learning.model === 'contextual') return true;
  let v = CONTEXTUAL.get(offers);
  if (v === undefined) CONTEXTUAL.set(offers, (v = offers.some((o) => o.model === 'contextual')));
  return v;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The author's prior mean: what the static ranking scores by. */
const priorMean = (offer: Offer): number => offer.prior.accepted / offer.prior.impressions;

/** How long a cached score order may stay when counters decay (decay moves estimates without new counts). */
const DECAY_TICK_MS = 10_000;

type Fate = Omit<OfferFate, 'offerId'>;

/** The fate of an ineligible offer when nothing is explained: one object, not one per offer and decision. */
const INELIGIBLE: Fate = Object.freeze({ status: 'ineligible' });

/** Candidates in score order, per learning segment, rebuilt when learned counts change. */
const ORDERS = new WeakMap<readonly Offer[], Map<string, { version: string; order: Scored[] }>>();

function scoreOrder(
  candidates: readonly Offer[],
  stats: GlobalStats,
  segment: string | null,
  input: PipelineInput,
  learning: LearningSettings,
): Scored[] {
  let bySegment = ORDERS.get(candidates);
  if (!bySegment) ORDERS.set(candidates, (bySegment = new Map()));
  const fixed = input.exploration !== 'mean';
  const key = `${input.exploration}\u0001${learning.namespace}\u0001${learning.priorMaxImpressions}\u0001${learning.halfLifeMs}\u0001${segment ?? '\u0000'}`;
  const version = fixed ? 'static' : `${stats.version()}@${Math.floor(input.nowMs / DECAY_TICK_MS)}`;
  let entry = input.weights ? undefined : bySegment.get(key);
  if (!entry || entry.version !== version) {
    const order = candidates.map((offer): Scored => {
      const multiplier = offer.value * (input.weights?.get(offer.id) ?? offer.weight);
      if (fixed) return { offer, propensity: priorMean(offer), score: priorMean(offer) * multiplier, multiplier };
      const posterior = posteriorOf(offer, stats, segment, learning, input.nowMs);
      const propensity = posteriorMeanOf(posterior);
      return { offer, propensity, score: propensity * multiplier, multiplier, posterior };
    });
    order.sort(byScore);
    entry = { version, order };
    if (!input.weights) bySegment.set(key, entry);
  }
  return entry.order;
}

/**
 * The pure part of a decision: context → segments → filters (active, channel, trigger)
 * → eligibility → caps (caps.ts) → cooldowns (cooldowns.ts) → propensity × value × weight
 * → rank (rank.ts), fallbacks under the fallback rule (fallback.ts). Deterministic
 * for the same snapshot, rules, clock and decision id. Never throws on a rule error.
 *
 * A score does not depend on eligibility, so without `explain` (and without Thompson
 * sampling) candidates are checked in score order and the walk stops once `limit` offers
 * qualify: the cost of a decision follows how deep the winners are, not the catalog size.
 * With `explain`, every offer is evaluated and given its fate.
 */
export function evaluate(input: PipelineInput): PipelineResult {
  const { rules, snap, request, nowMs, stats } = input;
  // one memo per decision: eligibility sub-expressions several offers share are computed once
  const rt: RuleRuntime = { nowMs, memo: rules.memoSlots ? new Array<unknown>(rules.memoSlots) : undefined };
  const ctx = buildContext(snap, request.channel, request.trigger, request.context, nowMs);
  let ruleErrors = assignSegments(ctx, rules.segmentations, rt).errors;
  const explain = request.explain === true;
  const fates = explain ? new Map<string, OfferFate>() : null;
  const learningSegment =
    input.learningSegmentation === null ? null : (ctx.customer.segments[input.learningSegmentation] ?? null);
  const learning = input.learning ?? DEFAULT_LEARNING;
  const rand =
    input.exploration === 'thompson' || input.exploration === 'random' ? seededRandom(input.decisionId) : null;
  const ranked: Scored[] = [];
  const fallbacks: Scored[] = [];
  const candidates = rules.candidates(request.channel, request.trigger);

  /** Null when the offer qualifies (active, eligible, within caps, not cooling down), else its fate. */
  const check = (offer: Offer): Fate | null => {
    if (
      (offer.activeFromMs !== null && nowMs < offer.activeFromMs) ||
      (offer.activeToMs !== null && nowMs > offer.activeToMs)
    ) {
      return { status: 'inactive', active: { from: iso(offer.activeFromMs), to: iso(offer.activeToMs) } };
    }
    if (offer.eligibility !== null) {
      let ok = false;
      let error: string | null = null;
      try {
        ok = offer.eligibility(ctx, rt);
      } catch (err) {
        error = (err as Error).message;
        ruleErrors++;
      }
      if (!ok) {
        if (!fates) return INELIGIBLE;
        const trace = traceLogic(offer.eligibilitySource, ctx, rt, '$.eligibility');
        return {
          status: 'ineligible',
          ...(trace.failure ? { condition: trace.failure } : {}),
          ...(error ? { error } : {}),
        };
      }
    }
    // caps.ts, then cooldowns.ts (most offers have neither: nothing to look up)
    if (offer.customerCaps.length === 0 && offer.totalCaps.length === 0 && offer.cooldowns.length === 0) return null;
    const history = snap.offers[offer.id];
    return capFate(offer, history, stats, nowMs) ?? cooldownFate(offer, history, nowMs);
  };

  let features: number[] | null = null;
  let featureSegments: string[] = [];
  const contextual =
    anyContextual(rules.offers, learning) &&
    input.exploration !== 'static' &&
    input.exploration !== 'random' &&
    input.exploration !== 'none';

  if (!fates && !rand && !contextual) {
    // score-ordered walk: stop once `limit` offers qualify that need no total-cap reservation
    const want = wantOf(request.limit);
    const order = scoreOrder(candidates, stats, learningSegment, input, learning);
    const walk = (fallback: boolean, into: Scored[]): void => {
      let plain = 0;
      for (const s of order) {
        if (s.offer.fallback !== fallback || !considered(s.offer, input.fallbackOnly)) continue;
        if (check(s.offer) !== null) continue;
        into.push(s);
        if (!needsReservation(s.offer) && ++plain >= want) break;
      }
    };
    // fallback.ts: fallbacks matter when no regular offer is certain (the rest may lose their reservations)
    walk(false, ranked);
    if (fallbacksNeeded(ranked)) walk(true, fallbacks);
    return { ctx, ranked, fallbacks, fates, ruleErrors, learningSegment, features };
  }

  if (!fates && input.exploration === 'thompson' && !contextual) {
    // Thompson sampling that visits offers by the best score each could draw (thompson-walk.ts)
    const want = wantOf(request.limit);
    const version = `${stats.version()}@${Math.floor(nowMs / DECAY_TICK_MS)}`;
    const order = boundOrder(candidates, stats, learningSegment, learning, input.weights, version, nowMs);
    const qualifies = (o: Offer) => check(o) === null;
    // a draw is scored as it is (Drawn has every field of Scored)
    const drawn: Scored[] = sortByScore(
      thompsonWalk(order, want, qualifies, rand!, false, input.fallbackOnly === true),
    );
    for (const s of drawn) ranked.push(s);
    if (fallbacksNeeded(ranked)) {
      const more: Scored[] = thompsonWalk(order, want, qualifies, rand!, true, false);
      for (const s of sortByScore(more)) fallbacks.push(s);
    }
    return { ctx, ranked, fallbacks, fates, ruleErrors, learningSegment, features };
  }

  if (fates) {
    const inIndex = new Set(candidates);
    for (const o of rules.offers) {
      if (!inIndex.has(o))
        fates.set(o.id, { offerId: o.id, status: o.channels.has(request.channel) ? 'trigger' : 'channel' });
    }
  }
  for (const offer of candidates) {
    if (!considered(offer, input.fallbackOnly)) continue;
    const withFallback = (f: Fate): OfferFate => ({
      offerId: offer.id,
      ...f,
      ...(offer.fallback ? { fallback: true } : {}),
    });
    const failed = check(offer);
    if (failed) {
      fates?.set(offer.id, withFallback(failed));
      continue;
    }
    const multiplier = offer.value * (input.weights?.get(offer.id) ?? offer.weight);
    let scored: Scored;
    if (input.exploration === 'static' || input.exploration === 'none' || input.exploration === 'random') {
      const propensity = priorMean(offer);
      scored = {
        offer,
        propensity,
        score: propensity * multiplier,
        multiplier,
        ...(input.exploration === 'random' ? { key: rand!() } : {}),
      };
    } else if (modelOf(offer, learning) === 'contextual') {
      if (features === null) {
        features = contextFeatures(ctx);
        featureSegments = features.map(featureSegment);
      }
      const e = contextualOf(offer, stats, featureSegments, learning, nowMs);
      const draw =
        input.exploration === 'thompson' ? betaSample(e.base.alpha, e.base.beta, rand!) : posteriorMeanOf(e.base);
      const propensity = contextualPropensity(e, draw);
      scored = { offer, propensity, score: propensity * multiplier, multiplier, posterior: contextualPosterior(e) };
    } else {
      const posterior = posteriorOf(offer, stats, learningSegment, learning, nowMs);
      const propensity =
        input.exploration === 'thompson'
          ? betaSample(posterior.alpha, posterior.beta, rand!)
          : posteriorMeanOf(posterior);
      scored = { offer, propensity, score: propensity * multiplier, multiplier, posterior };
    }
    (offer.fallback ? fallbacks : ranked).push(scored);
    if (fates) {
      const p = scored.posterior;
      const learned = p
        ? {
            learning: {
              impressions: p.impressions,
              accepted: p.accepted,
              estimate: posteriorMeanOf(p),
              segment: learningSegment,
            },
          }
        : {};
      fates.set(
        offer.id,
        withFallback({ status: 'eligible', score: scored.score, propensity: scored.propensity, ...learned }),
      );
    }
  }
  sortByScore(ranked);
  sortByScore(fallbacks);
  return { ctx, ranked, fallbacks, fates, ruleErrors, learningSegment, features };
}

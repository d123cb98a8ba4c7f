import { randomUUID } from 'node:crypto';
import type { Metrics } from '../metrics/metrics.js';
import type { RuleSet } from '../rules/types.js';
import type { CustomerSnapshot, CustomerStateStore } from '../state/types.js';
import { reserveOffered } from './caps.js';
import { createDeadlines } from './deadline.js';
import type { LearningSettings } from './estimate.js';
import { chooseOffers, degradedSnapshot } from './fallback.js';
import { DEFAULT_LEARNING, evaluate } from './pipeline.js';
import { armOf, singlePolicyPlan, type Exploration, type PolicyPlan } from './policy.js';
import { limitOf, pick, selectionProbabilities } from './rank.js';
import type { Candidate, DecideRequest, Decision, DecisionOffer, OfferFate } from './types.js';

export interface DeciderOptions {
  store: CustomerStateStore;
  /** The live rule set (it changes on reload; each decision reads it once). */
  rules: () => RuleSet;
  clock?: () => number;
  newId?: () => string;
  /** Learn propensity per segment of this segmentation (null: per offer only). */
  learningSegmentation?: string | null;
  /** `thompson` (default): a Thompson sample, to explore; `mean`: the posterior mean, deterministic. */
  exploration?: Exploration;
  /** Namespace, prior bound and half-life of learning (default: main counters, 20 impressions, never forget). */
  learning?: LearningSettings;
  /** Holdout and experiment arms; without it every decision is the default policy's (the options above). */
  policies?: PolicyPlan;
  /** How long to wait for customer state before answering degraded (default 50 ms). */
  snapshotTimeoutMs?: number;
  /** Called with errors of work done after the answer (recording `offered`). */
  onBackgroundError?: (err: unknown) => void;
  metrics?: Metrics;
}

export interface Decider {
  decide(req: DecideRequest): Promise<Decision>;
}

/** The snapshot's series of the store-duration histogram. */
const SNAPSHOT_OP = Object.freeze({ op: 'snapshot' });

/**
 * Decides the best offers for a customer in a channel: reads the customer's state in
 * one store call, runs the pipeline, picks the offers (rank.ts) reserving total caps on
 * `offered` for those it returns (caps.ts), and records them as offered after answering.
 * When state cannot be read in time, answers `degraded` from fallback offers instead of
 * failing (fallback.ts).
 */
export function createDecider(opts: DeciderOptions): Decider {
  const clock = opts.clock ?? Date.now;
  const newId = opts.newId ?? randomUUID;
  const timeoutMs = opts.snapshotTimeoutMs ?? 50;
  const onBackgroundError = opts.onBackgroundError ?? (() => {});
  const { store } = opts;
  const plan: PolicyPlan =
    opts.policies ??
    singlePolicyPlan({
      exploration: opts.exploration ?? 'thompson',
      segmentation: opts.learningSegmentation ?? null,
      learning: opts.learning ?? DEFAULT_LEARNING,
    });

  // one timer for every decision waiting on customer state, not one each (deadline.ts)
  const deadlines = createDeadlines(timeoutMs, () => new Error(`customer state took longer than ${timeoutMs} ms`));

  return {
    async decide(req) {
      const started = process.hrtime.bigint();
      const nowMs = clock();
      const decisionId = newId();
      const rules = opts.rules();
      let snap: CustomerSnapshot;
      let degraded = false;
      const m = opts.metrics;
      const snapAt = m ? process.hrtime.bigint() : 0n;
      try {
        // only the histories caps and cooldowns read (with explain too: fates need no more)
        snap = await deadlines.wrap(store.snapshot(req.customerId, nowMs, rules.historyOffers));
        m?.storeDuration.observe(SNAPSHOT_OP, Number(process.hrtime.bigint() - snapAt) / 1e9);
      } catch (err) {
        m?.storeErrors.inc({ op: 'snapshot', code: (err as { code?: string }).code ?? 'NBO_ERR_STORE_UNAVAILABLE' });
        snap = degradedSnapshot(req.customerId);
        degraded = true;
      }
      const arm = armOf(plan, req.customerId);
      const res = evaluate({
        rules,
        snap,
        request: req,
        nowMs,
        stats: store.stats,
        decisionId,
        learningSegmentation: arm.segmentation,
        exploration: arm.exploration,
        learning: arm.learning,
        weights: arm.weights,
        fallbackOnly: degraded,
      });
      // selection (rank.ts) with the total-cap reservation on `offered` (caps.ts), under the fallback rule (fallback.ts)
      const limit = limitOf(req.limit);
      const { from, chosen } = await chooseOffers(arm.exploration, res.ranked, res.fallbacks, (list) =>
        pick(
          list,
          limit,
          (offer) => reserveOffered(store, offer, nowMs, degraded),
          (offer, capped) => res.fates?.set(offer.id, { offerId: offer.id, ...capped }),
        ),
      );
      const chance = selectionProbabilities(arm.exploration, from, chosen);

      const offers: DecisionOffer[] = chosen.map((s, i) => {
        res.fates?.set(s.offer.id, { ...res.fates.get(s.offer.id)!, status: 'selected' });
        return {
          offerId: s.offer.id,
          name: s.offer.name,
          score: s.score,
          propensity: s.propensity,
          value: s.offer.value,
          payload: s.offer.payload,
          probability: chance[i]!,
        };
      });
      const candidates: Candidate[] = [...res.ranked, ...res.fallbacks].map((s) => ({
        offerId: s.offer.id,
        score: s.score,
        propensity: s.propensity,
      }));

      if (!degraded) {
        store.countDecision(arm.policy);
        // after the answer: not on the decision's critical path
        if (offers.length > 0) {
          store
            .recordOffered({
              customerId: req.customerId,
              decisionId,
              offerIds: offers.map((o) => o.offerId),
              atMs: nowMs,
              segment: res.learningSegment,
              policy: arm.policy,
              ...(res.features ? { features: res.features } : {}),
            })
            .catch(onBackgroundError);
        }
      }

      const decision: Decision = {
        decisionId,
        customerId: req.customerId,
        channel: req.channel,
        trigger: req.trigger,
        rulesVersion: rules.version,
        offers,
        degraded,
        time: res.ctx.now.iso, // the context's: built once per clock millisecond (toISOString was 0.8 % of the loop)
        segments: res.ctx.customer.segments,
        ruleErrors: res.ruleErrors,
        policy: arm.policy,
        candidates,
      };
      if (m) {
        m.decisionDuration.observe({ source: req.source ?? 'http' }, Number(process.hrtime.bigint() - started) / 1e9);
        m.decisions.inc({
          channel: m.bounded(rules.channels, req.channel),
          result: degraded ? 'degraded' : offers.length > 0 ? 'offers' : 'empty',
        });
        for (const o of offers) m.offersSelected.inc({ offer: o.offerId });
        m.policyDecisions.inc({ policy: arm.policy });
        if (res.ruleErrors > 0) m.ruleErrors.inc({ kind: 'eligibility' }, res.ruleErrors);
      }
      if (res.fates) {
        const fates: OfferFate[] = [];
        for (const o of rules.offers) {
          const f = res.fates.get(o.id);
          if (f) fates.push(f);
        }
        decision.explanation = { segments: res.ctx.customer.segments, offers: fates };
      }
      return decision;
    },
  };
}

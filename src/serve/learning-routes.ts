import { posteriorMeanOf, posteriorOf, type LearningSettings } from '../decide/estimate.js';
import type { Arm, PolicyPlan } from '../decide/policy.js';
import type { RuleSet } from '../rules/types.js';
import { HOLDOUT_POLICY, noPolicyCounts } from '../state/learning-counts.js';
import type { CustomerStateStore, PolicyCounts } from '../state/types.js';
import type { Route } from './routes.js';

export interface LearningRouteDeps {
  rules: () => RuleSet;
  store: CustomerStateStore;
  policies: PolicyPlan;
  clock: () => number;
}

const round = (x: number, digits = 6) => Math.round(x * 10 ** digits) / 10 ** digits;

/** What has been learned about one offer under one policy's settings, overall or in a segment. */
function learned(
  d: LearningRouteDeps,
  rules: RuleSet,
  offerId: string,
  segment: string | null,
  s: LearningSettings,
  now: number,
) {
  const offer = rules.offerById.get(offerId)!;
  const p = posteriorOf(offer, d.store.stats, segment, s, now);
  return { impressions: p.impressions, accepted: p.accepted, estimate: round(posteriorMeanOf(p)) };
}

/** Value per decision and its variance from a policy's counts (each decision's value: its accepted offer's, else 0). */
function perDecision(c: PolicyCounts): { mean: number; variance: number } {
  if (c.decisions === 0) return { mean: 0, variance: 0 };
  const mean = c.value / c.decisions;
  return { mean, variance: Math.max(0, c.valueSq / c.decisions - mean * mean) };
}

/** GET /v1/learning and GET /v1/experiments (docs/learning.md). */
export function learningRoutes(d: LearningRouteDeps): Route[] {
  const learningArms = (): Arm[] => [d.policies.default, ...d.policies.arms.filter((a) => a.policy !== HOLDOUT_POLICY)];
  return [
    {
      method: 'GET',
      path: '/v1/learning',
      scope: 'read',
      name: 'learning',
      handler() {
        const rules = d.rules();
        const now = d.clock();
        const def = d.policies.default;
        const arms = learningArms().filter((a) => a !== def);
        const offers = rules.offers.map((o) => {
          const seg =
            def.segmentation === null ? undefined : rules.segmentations.find((s) => s.name === def.segmentation);
          const halfLifeMs = o.halfLifeMs === undefined ? def.learning.halfLifeMs : o.halfLifeMs;
          return {
            offerId: o.id,
            ...learned(d, rules, o.id, null, def.learning, now),
            prior: o.prior,
            halfLife: halfLifeMs === null ? null : `${round(halfLifeMs / 3_600_000, 3)}h`,
            ...(seg
              ? {
                  segmentation: seg.name,
                  bySegment: Object.fromEntries(
                    seg.segments.map((s) => [s.id, learned(d, rules, o.id, s.id, def.learning, now)]),
                  ),
                }
              : {}),
            ...(arms.length > 0
              ? {
                  byArm: Object.fromEntries(
                    arms.map((a) => [a.policy, learned(d, rules, o.id, null, a.learning, now)]),
                  ),
                }
              : {}),
          };
        });
        return { status: 200, body: { rulesVersion: rules.version, offers } };
      },
    },
    {
      method: 'GET',
      path: '/v1/experiments',
      scope: 'read',
      name: 'experiments',
      handler() {
        const counts = d.store.policies();
        const all = [...d.policies.arms, d.policies.default];
        const baseline = all.find((a) => a.policy === HOLDOUT_POLICY) ?? (all.length > 1 ? d.policies.default : null);
        const base = baseline ? perDecision(counts.get(baseline.policy) ?? noPolicyCounts()) : null;
        const baseN = baseline ? (counts.get(baseline.policy)?.decisions ?? 0) : 0;
        const arms = all.map((a) => {
          const c = counts.get(a.policy) ?? noPolicyCounts();
          const me = perDecision(c);
          let uplift: { estimate: number; ci95: [number, number] } | undefined;
          if (base && baseline !== a && c.decisions > 1 && baseN > 1) {
            const estimate = me.mean - base.mean;
            const se = Math.sqrt(me.variance / c.decisions + base.variance / baseN);
            uplift = { estimate: round(estimate), ci95: [round(estimate - 1.96 * se), round(estimate + 1.96 * se)] };
          }
          return {
            policy: a.policy,
            share: round(a.share),
            exploration: a.exploration,
            segmentation: a.segmentation,
            decisions: c.decisions,
            impressions: c.impressions,
            accepted: c.accepted,
            acceptanceRate: c.impressions > 0 ? round(c.accepted / c.impressions) : null,
            value: round(c.value),
            valuePerDecision: round(me.mean),
            ...(uplift ? { uplift } : {}),
          };
        });
        return { status: 200, body: { baseline: baseline?.policy ?? null, arms } };
      },
    },
  ];
}

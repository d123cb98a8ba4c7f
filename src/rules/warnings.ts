import type { RuleIssue, RuleSet } from './types.js';

/**
 * What is worth a warning but does not refuse the rules: a prior written with more
 * pseudo-impressions than NBO_PRIOR_MAX_IMPRESSIONS (it keeps its mean and weighs only
 * that many). `nbo rules check` prints them; the service logs them on load.
 */
export function ruleWarnings(rules: RuleSet, priorMaxImpressions: number): RuleIssue[] {
  return rules.offers
    .filter((o) => o.prior.impressions > priorMaxImpressions)
    .map((o) => ({
      file: o.file,
      id: o.id,
      path: '$.propensity.prior.impressions',
      message: `warning: a prior of ${o.prior.impressions} impressions weighs only ${priorMaxImpressions} (NBO_PRIOR_MAX_IMPRESSIONS): its mean ${+(o.prior.accepted / o.prior.impressions).toFixed(4)} is kept, learned evidence outweighs it after about ${priorMaxImpressions} impressions`,
    }));
}

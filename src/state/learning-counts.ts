import type { LearningCounts, PolicyCounts } from './types.js';

/** The policy of decisions made outside any holdout or experiment. */
export const DEFAULT_POLICY = 'default';
/** The holdout (control group) policy: its responses are counted for results, never learned from. */
export const HOLDOUT_POLICY = 'holdout';

/** The learning namespace of a policy: '' for the default, none for the holdout, else its own. */
export function namespaceOf(policy: string): string | null {
  if (policy === DEFAULT_POLICY) return '';
  if (policy === HOLDOUT_POLICY) return null;
  return policy;
}

/** The counter prefix of a namespace and segment inside an offer's learning counters: `*`, `s:gold`, `arm-b/*`, `arm-b/s:gold`. */
export function learningPrefix(namespace: string, segment: string | null): string {
  return `${namespace === '' ? '' : `${namespace}/`}${segment === null ? '*' : `s:${segment}`}`;
}

/** Every counter prefix a response updates: overall, its segment, and each feature bucket of its context (`s:#12`, see decide/features.ts). */
export function learningKeys(namespace: string, segment: string | null, features: readonly number[] = []): string[] {
  const keys = [learningPrefix(namespace, null)];
  if (segment !== null) keys.push(learningPrefix(namespace, segment));
  for (const f of features) keys.push(learningPrefix(namespace, `#${f}`));
  return keys;
}

/** Nothing learned. */
export function noCounts(): LearningCounts {
  return { impressions: 0, accepted: 0, recentImpressions: 0, recentAccepted: 0, atMs: 0 };
}

export function noPolicyCounts(): PolicyCounts {
  return { decisions: 0, impressions: 0, accepted: 0, value: 0, valueSq: 0 };
}

/** How much of a count made at `fromMs` is left at `toMs` with half-life `halfLifeMs` (null: all of it). */
export function decayFactor(halfLifeMs: number | null, fromMs: number, toMs: number): number {
  if (halfLifeMs === null || toMs <= fromMs) return 1;
  return 2 ** (-(toMs - fromMs) / halfLifeMs);
}

/** The decayed counts as of `nowMs`. */
export function decayedAt(
  c: LearningCounts,
  halfLifeMs: number | null,
  nowMs: number,
): { impressions: number; accepted: number } {
  const f = decayFactor(halfLifeMs, c.atMs ?? nowMs, nowMs);
  return { impressions: (c.recentImpressions ?? c.impressions) * f, accepted: (c.recentAccepted ?? c.accepted) * f };
}

/** Adds impressions and acceptances at `nowMs`: lifetime counts grow, decayed counts are decayed to now first. */
export function addCounts(
  c: LearningCounts,
  impressions: number,
  accepted: number,
  halfLifeMs: number | null,
  nowMs: number,
): LearningCounts {
  const now = decayedAt(c, halfLifeMs, nowMs);
  return {
    impressions: c.impressions + impressions,
    accepted: c.accepted + accepted,
    recentImpressions: now.impressions + impressions,
    recentAccepted: now.accepted + accepted,
    atMs: Math.max(c.atMs ?? nowMs, nowMs),
  };
}

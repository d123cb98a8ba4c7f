import type { Outcome } from '../../events/types.js';
import { DEFAULT_POLICY, learningKeys, namespaceOf } from '../learning-counts.js';
import type { ResponseCounts } from './apply-protocol.js';
import { call, type StoreContext } from './context.js';

/** What one applied (or duplicate) event reports for the shared counters. */
export interface TakenEvent {
  customerId: string;
  household: string | null;
  response: ResponseCounts | null;
}

/** `offerId \0 outcome` → how many responses to count (outcomeKey builds the key). */
export type OutcomeCounts = Map<string, number>;

export const outcomeKey = (offerId: string, outcome: string): string => `${offerId}\u0000${outcome}`;

/**
 * Shared counters after the customer scripts, summed over the whole batch: one HINCRBY
 * per learning field, one count-outcome call per offer and outcome, one SADD per household.
 */
export async function updateSharedCounters(
  ctx: StoreContext,
  taken: readonly TakenEvent[],
  outcomes: OutcomeCounts,
  nowMs: number,
): Promise<void> {
  const { client, keys, stats } = ctx;
  const model = ctx.model();
  /** offer → counter prefix → [impressions, acceptances] */
  const learn = new Map<string, Map<string, [number, number]>>();
  /** policy field → amount */
  const byPolicy = new Map<string, number>();
  const addPolicy = (field: string, by: number) => byPolicy.set(field, (byPolicy.get(field) ?? 0) + by);
  const members = new Map<string, Set<string>>();
  for (const { customerId, household, response } of taken) {
    if (household) {
      const set = members.get(household) ?? new Set<string>();
      members.set(household, set.add(customerId));
    }
    if (!response) continue;
    const { offerId, impressions, accepted, segment, policy: policyText, features: featureText } = response;
    const features = featureText ? featureText.split('.').map((f) => parseInt(f, 36)) : [];
    const seg = segment || null;
    const policy = policyText || DEFAULT_POLICY;
    if (!impressions && !accepted) continue;
    const value = model.learningOf(offerId)?.value ?? 0;
    stats.bumpPolicy(policy, { impressions, accepted, value: accepted * value, valueSq: accepted * value * value });
    addPolicy(`${policy}:i`, impressions);
    addPolicy(`${policy}:a`, accepted);
    if (accepted) {
      addPolicy(`${policy}:v`, accepted * value);
      addPolicy(`${policy}:v2`, accepted * value * value);
    }
    const namespace = namespaceOf(policy);
    if (namespace === null) continue;
    const prefixes = learningKeys(namespace, seg, features);
    stats.bumpLearning(offerId, prefixes, impressions, accepted, model.learningOf(offerId)?.halfLifeMs ?? null, nowMs);
    let m = learn.get(offerId);
    if (!m) learn.set(offerId, (m = new Map()));
    for (const p of prefixes) {
      const c = m.get(p) ?? [0, 0];
      m.set(p, [c[0] + impressions, c[1] + accepted]);
    }
  }
  const work: Array<Promise<unknown>> = [];
  for (const [offerId, prefixes] of learn) {
    const halfLifeMs = model.learningOf(offerId)?.halfLifeMs ?? null;
    work.push(
      client.nbo_learn(
        keys.learning(offerId),
        nowMs,
        halfLifeMs ?? 0,
        ...[...prefixes].flatMap(([p, [i, a]]) => [p, i, a]),
      ),
    );
  }
  for (const [field, by] of byPolicy) {
    // counts are integers; value sums take fractions (and once a field holds one, HINCRBY refuses it)
    work.push(
      field.endsWith(':v') || field.endsWith(':v2')
        ? client.hincrbyfloat(keys.policies(), field, by)
        : client.hincrby(keys.policies(), field, by),
    );
  }
  for (const [hid, set] of members) work.push(client.sadd(keys.household(hid), ...set));
  for (const [k, by] of outcomes) {
    const [offerId, outcome] = k.split('\u0000') as [string, Outcome];
    const buckets = model.totalCapBuckets.get(offerId)?.get(outcome) ?? [];
    const args = buckets.flatMap((b) => [
      b.bucketMs,
      Math.floor(nowMs / b.bucketMs),
      Math.floor((nowMs - b.windowMs) / b.bucketMs),
    ]);
    stats.bumpTotal(offerId, outcome, by);
    work.push(client.nbo_count_outcome(keys.totals(offerId), outcome, by, buckets.length, ...args));
  }
  await call(Promise.all(work));
}

import { describe, expect, it } from 'vitest';
import { createDecider } from '../../src/decide/decider.js';
import type { DecideRequest } from '../../src/decide/types.js';
import { createMetrics, type Metrics } from '../../src/metrics/metrics.js';
import { createMemoryStore } from '../../src/state/memory-store.js';
import { stateModelFrom } from '../../src/state/model.js';
import { offer, ruleSet } from '../support/rules.js';

const valuesOf = async (m: Metrics, name: keyof Metrics) =>
  (
    await (
      m[name] as {
        get(): Promise<{ values: Array<{ labels: Record<string, unknown>; value: number; metricName?: string }> }>;
      }
    ).get()
  ).values;

function setup() {
  const rules = ruleSet({
    offers: [
      offer('pos-only'),
      offer('broken', { eligibility: { '*': [] } }),
      offer('web-only', { channels: ['web'], eligibility: false }),
    ],
  });
  const store = createMemoryStore();
  store.setModel(stateModelFrom(rules));
  const metrics = createMetrics({ defaultMetrics: false });
  const decider = createDecider({ store, rules: () => rules, metrics, exploration: 'mean' });
  const decide = (over: Partial<DecideRequest> = {}) =>
    decider.decide({ customerId: 'm-1', channel: 'pos', trigger: null, context: {}, ...over });
  return { store, metrics, decide };
}

describe('decision metrics', () => {
  it('count each decision by channel and result, the offers returned, the policy and the rules that raised', async () => {
    const { store, metrics, decide } = setup();
    await decide();
    await decide({ channel: 'web' });
    await decide({ channel: 'kiosk' });
    const decisions = (await valuesOf(metrics, 'decisions')).map((v) => [v.labels.channel, v.labels.result, v.value]);
    expect(decisions).toEqual(
      expect.arrayContaining([
        ['pos', 'offers', 1],
        ['web', 'empty', 1],
        ['other', 'empty', 1],
      ]),
    );
    expect(decisions).toHaveLength(3);
    expect((await valuesOf(metrics, 'offersSelected')).map((v) => [v.labels.offer, v.value])).toEqual([
      ['pos-only', 1],
    ]);
    expect((await valuesOf(metrics, 'policyDecisions')).map((v) => [v.labels.policy, v.value])).toEqual([
      ['default', 3],
    ]);
    // the broken rule is evaluated for the pos decision only (its channel)
    expect((await valuesOf(metrics, 'ruleErrors')).map((v) => [v.labels.kind, v.value])).toEqual([['eligibility', 1]]);
    const timed = (await valuesOf(metrics, 'decisionDuration')).filter((v) => v.metricName?.endsWith('_count'));
    expect(timed.map((v) => [v.labels.source, v.value])).toEqual([['http', 3]]);
    await store.close();
  });

  it('a decision made without the customer state is counted as degraded, and the store error by its code', async () => {
    const { store, metrics, decide } = setup();
    await store.close(); // a closed store refuses the read
    const d = await decide();
    expect(d.degraded).toBe(true);
    expect((await valuesOf(metrics, 'decisions')).map((v) => [v.labels.channel, v.labels.result, v.value])).toEqual([
      ['pos', 'degraded', 1],
    ]);
    expect((await valuesOf(metrics, 'storeErrors')).map((v) => [v.labels.op, v.labels.code, v.value])).toEqual([
      ['snapshot', 'NBO_ERR_STORE_UNAVAILABLE', 1],
    ]);
    // no rule was evaluated: no rule error series at all
    expect(await valuesOf(metrics, 'ruleErrors')).toEqual([]);
  });

  it('the time a decision took is in seconds', async () => {
    const { store, metrics, decide } = setup();
    const started = performance.now();
    await decide();
    const took = (performance.now() - started) / 1000;
    const sum = (await valuesOf(metrics, 'decisionDuration')).find((v) => v.metricName?.endsWith('_sum'))!.value;
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThanOrEqual(took);
    await store.close();
  });
});

import { describe, expect, it } from 'vitest';
import { probabilityFirst } from '../../src/decide/choice-probability.js';
import { createDecider, type DeciderOptions } from '../../src/decide/decider.js';
import { posteriorMeanOf, posteriorOf } from '../../src/decide/estimate.js';
import { buildPolicyPlan } from '../../src/decide/experiments-file.js';
import { armOf, customerPosition } from '../../src/decide/policy.js';
import { betaSample, seededRandom } from '../../src/decide/propensity.js';
import type { DecideRequest } from '../../src/decide/types.js';
import { NboError } from '../../src/errors/codes.js';
import { createMemoryStore } from '../../src/state/memory-store.js';
import { stateModelFrom } from '../../src/state/model.js';
import { DAY, ev, manualClock, T0 } from '../support/events.js';
import { offer, ruleSet, type RulesSpec } from '../support/rules.js';

function setup(spec: RulesSpec, opts: Partial<DeciderOptions> = {}, halfLifeMs: number | null = null) {
  const rules = ruleSet(spec);
  const clock = manualClock(T0);
  const store = createMemoryStore({ clock: clock.now });
  store.setModel(stateModelFrom(rules, { halfLifeMs }));
  let n = 0;
  let responders = 0;
  const decider = createDecider({
    store,
    rules: () => rules,
    clock: clock.now,
    newId: () => `d${++n}`,
    exploration: 'mean',
    ...opts,
  });
  const decide = (over: Partial<DecideRequest> = {}) =>
    decider.decide({ customerId: 'c1', channel: 'pos', trigger: 'checkout', context: {}, ...over });
  /** Decides for a fresh customer and answers each returned offer with `outcome`. */
  const respond = async (offerId: string, outcome: string, count = 1) => {
    for (let i = 0; i < count; i++) {
      const customerId = `r-${++responders}`;
      await store.recordOffered({
        customerId,
        decisionId: `fake-${customerId}`,
        offerIds: [offerId],
        atMs: clock.now(),
        segment: null,
      });
      const r = await store.applyEvents([
        ev(customerId, 'offer_response', { decisionId: `fake-${customerId}`, offerId, outcome }, clock.now()),
      ]);
      expect(r.applied).toBe(1);
    }
  };
  const estimate = (offerId: string, settings = { namespace: '', priorMaxImpressions: 20, halfLifeMs }) =>
    posteriorMeanOf(posteriorOf(rules.offerById.get(offerId)!, store.stats, null, settings, clock.now()));
  return { rules, clock, store, decide, respond, estimate };
}

describe('learning — bounded priors, forgetting, shrinkage', () => {
  it('a prior weighs at most NBO_PRIOR_MAX_IMPRESSIONS: 20 declines halve a 0.9 prior written as 1,000 impressions', async () => {
    const { respond, estimate } = setup({
      offers: [offer('loud', { propensity: { prior: { accepted: 900, impressions: 1000 } } })],
    });
    expect(estimate('loud')).toBeCloseTo(0.9, 12);
    await respond('loud', 'declined', 20);
    // (0.9 × 20) / (20 + 20), where the prior taken at its word would still say 900 / 1020
    expect(estimate('loud')).toBeCloseTo(0.45, 12);
  });

  it('forgetting — evidence decays by the half-life and what is forgotten falls back toward older evidence, not the prior', async () => {
    const { respond, estimate, clock } = setup({ offers: [offer('o')] }, {}, DAY);
    await respond('o', 'accepted', 10);
    expect(estimate('o')).toBeCloseTo(11 / 20, 12); // nothing forgotten yet: (1 + 10) / (10 + 10)
    clock.advance(30 * DAY);
    // all but a billionth forgotten: the older evidence (11 of 20) is the prior now, not 1 of 10
    expect(estimate('o')).toBeCloseTo(11 / 20, 6);
    // the truth changed: 20 declines now outweigh the old evidence at once
    await respond('o', 'declined', 20);
    expect(estimate('o')).toBeCloseTo((0.55 * 20) / 40, 6);
  });

  it('forgetting relearns a changed truth; without a half-life the old evidence holds on', async () => {
    const run = async (halfLifeMs: number | null) => {
      const { respond, estimate, clock } = setup({ offers: [offer('o')] }, {}, halfLifeMs);
      await respond('o', 'accepted', 300);
      await respond('o', 'declined', 300);
      clock.advance(7 * DAY);
      await respond('o', 'declined', 60);
      return estimate('o');
    };
    expect(await run(null)).toBeGreaterThan(0.4);
    expect(await run(DAY)).toBeLessThan(0.2);
  });

  it('an offer may set its own half-life, or none', async () => {
    const { respond, clock, store } = setup(
      {
        offers: [
          offer('fast', { propensity: { halfLife: '1h' } }),
          offer('never', { propensity: { halfLife: 'none' } }),
        ],
      },
      {},
      DAY,
    );
    await respond('fast', 'accepted');
    await respond('never', 'accepted');
    clock.advance(2 * 3_600_000);
    await respond('fast', 'accepted');
    await respond('never', 'accepted');
    expect(store.stats.learning('fast', null).recentAccepted).toBeCloseTo(1.25, 12);
    expect(store.stats.learning('never', null).recentAccepted).toBe(2);
  });
});

describe('policies — holdout and experiment arms', () => {
  const defaults = {
    exploration: 'thompson' as const,
    segmentation: null,
    learning: { priorMaxImpressions: 20, halfLifeMs: null },
    holdout: { share: 0.2, policy: 'none' as const },
  };

  it('customers are split by a hash of their id: stable, and close to the configured shares', () => {
    const plan = buildPolicyPlan(defaults, {
      file: 'exp.yaml',
      text: 'name: t1\narms:\n  - { id: mean-arm, share: 0.3, exploration: mean }\n',
    });
    const counts = new Map<string, number>();
    for (let i = 0; i < 20_000; i++) {
      const arm = armOf(plan, `c-${i}`);
      counts.set(arm.policy, (counts.get(arm.policy) ?? 0) + 1);
      if (i < 100) expect(armOf(plan, `c-${i}`)).toBe(arm);
    }
    expect(counts.get('holdout')! / 20_000).toBeCloseTo(0.2, 1);
    expect(counts.get('mean-arm')! / 20_000).toBeCloseTo(0.3, 1);
    expect(counts.get('default')! / 20_000).toBeCloseTo(0.5, 1);
    expect(customerPosition('c-1', 't1')).not.toBe(customerPosition('c-1', 't2')); // a new experiment reshuffles
  });

  it('an invalid experiments file names every problem by path', () => {
    const text =
      'arms:\n  - { id: default, share: 0.5 }\n  - { id: b, share: 0.9, exploration: greedy, halfLife: soon, colour: red }\n';
    let err: unknown;
    try {
      buildPolicyPlan(defaults, { file: 'exp.yaml', text });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NboError);
    expect((err as NboError).code).toBe('NBO_ERR_EXPERIMENTS_INVALID');
    const problems = (err as NboError).details as string[];
    for (const p of [
      '$.arms[0].id: "default" is reserved',
      '$.arms[1].colour',
      '$.arms[1].exploration',
      '$.arms[1].halfLife',
      'add up to 1.600',
    ]) {
      expect(
        problems.some((x) => x.includes(p)),
        p,
      ).toBe(true);
    }
  });

  it('every decision carries its policy; the holdout gets its control: none, random or static', async () => {
    const spec = {
      offers: [
        offer('a', { value: 1 }),
        offer('b', { value: 2 }),
        offer('c', { value: 3, propensity: { prior: { accepted: 1, impressions: 100 } } }),
      ],
    };
    const plan = (policy: 'none' | 'random' | 'static') =>
      buildPolicyPlan({ ...defaults, holdout: { share: 0.5, policy } }, null);
    const inHoldout = Array.from({ length: 200 }, (_, i) => `c-${i}`).filter(
      (c) => armOf(plan('none'), c).policy === 'holdout',
    );
    const outside = Array.from({ length: 200 }, (_, i) => `c-${i}`).find(
      (c) => armOf(plan('none'), c).policy === 'default',
    )!;

    const none = setup(spec, { policies: plan('none') });
    const d0 = await none.decide({ customerId: inHoldout[0]! });
    expect(d0).toMatchObject({ policy: 'holdout', offers: [] });
    expect((await none.decide({ customerId: outside })).policy).toBe('default');

    const stat = setup(spec, { policies: plan('static') });
    const d1 = await stat.decide({ customerId: inHoldout[0]!, limit: 3 });
    // prior means 0.1, 0.1, 0.01 × values 1, 2, 3: the prior ranking, each certain
    expect(d1.offers.map((o) => [o.offerId, o.probability])).toEqual([
      ['b', 1],
      ['a', 1],
      ['c', 1],
    ]);

    const rand = setup(spec, { policies: plan('random') });
    const firsts = new Set<string>();
    for (const c of inHoldout.slice(0, 40)) {
      const d = await rand.decide({ customerId: c });
      expect(d.policy).toBe('holdout');
      expect(d.offers[0]!.probability).toBeCloseTo(1 / 3, 12);
      firsts.add(d.offers[0]!.offerId);
    }
    expect(firsts).toEqual(new Set(['a', 'b', 'c']));
  });

  it('a control explains the same scores it ranks by: prior mean × value × weight', async () => {
    const spec = {
      offers: [
        offer('a', { value: 1 }),
        offer('b', { value: 2, weight: 3 }),
        offer('c', { value: 3, propensity: { prior: { accepted: 1, impressions: 100 } } }),
      ],
    };
    for (const control of ['static', 'random'] as const) {
      const plan = buildPolicyPlan({ ...defaults, holdout: { share: 1, policy: control } }, null);
      const { decide } = setup(spec, { policies: plan });
      const d = await decide({ explain: true });
      expect(d.policy).toBe('holdout');
      const scores = Object.fromEntries(d.explanation!.offers.map((f) => [f.offerId, [f.propensity, f.score]]));
      expect(scores).toEqual({ a: [0.1, 0.1], b: [0.1, expect.closeTo(0.6, 12)], c: [0.01, expect.closeTo(0.03, 12)] });
    }
  });

  it('an arm learns in its own namespace, with its own weights; responses are attributed to the policy that decided', async () => {
    const plan = buildPolicyPlan(
      { ...defaults, exploration: 'mean', holdout: { share: 0, policy: 'none' } },
      { file: 'exp.yaml', text: 'arms:\n  - { id: heavy-b, share: 0.5, weights: { b: 10 } }\n' },
    );
    const { decide, store } = setup(
      { offers: [offer('a', { value: 2 }), offer('b', { value: 1 })] },
      { policies: plan },
    );
    const ids = Array.from({ length: 100 }, (_, i) => `c-${i}`);
    const armCustomer = ids.find((c) => armOf(plan, c).policy === 'heavy-b')!;
    const defCustomer = ids.find((c) => armOf(plan, c).policy === 'default')!;
    const dArm = await decide({ customerId: armCustomer });
    expect(dArm).toMatchObject({ policy: 'heavy-b', offers: [{ offerId: 'b' }] });
    const dDef = await decide({ customerId: defCustomer });
    expect(dDef).toMatchObject({ policy: 'default', offers: [{ offerId: 'a' }] });
    await store.applyEvents([
      ev(armCustomer, 'offer_response', { decisionId: dArm.decisionId, offerId: 'b', outcome: 'accepted' }),
    ]);
    expect(store.stats.learning('b', null, 'heavy-b')).toMatchObject({ impressions: 1, accepted: 1 });
    expect(store.stats.learning('b', null)).toMatchObject({ impressions: 0, accepted: 0 });
    expect(store.policies().get('heavy-b')).toMatchObject({ decisions: 1, accepted: 1, value: 1 });
    expect(store.policies().get('default')).toMatchObject({ decisions: 1, accepted: 0 });
  });
});

describe('off-policy logging — the probability a Thompson decision had', () => {
  it('matches how often Thompson sampling actually returns each offer (within 0.03)', async () => {
    const { decide, respond } = setup(
      { offers: [offer('a', { value: 1 }), offer('b', { value: 1.2 }), offer('c', { value: 0.9 })] },
      { exploration: 'thompson' },
    );
    await respond('a', 'accepted', 6);
    await respond('a', 'declined', 20);
    await respond('b', 'accepted', 4);
    await respond('b', 'declined', 20);
    await respond('c', 'accepted', 5);
    await respond('c', 'declined', 15);
    const seen = new Map<string, number>();
    let logged = new Map<string, number>();
    const N = 4000;
    for (let i = 0; i < N; i++) {
      const d = await decide({ customerId: `x${i}` });
      const o = d.offers[0]!;
      seen.set(o.offerId, (seen.get(o.offerId) ?? 0) + 1);
      logged.set(o.offerId, o.probability);
      expect(d.candidates.map((c) => c.offerId).sort()).toEqual(['a', 'b', 'c']);
    }
    logged = new Map(logged);
    for (const id of ['a', 'b', 'c'])
      expect(Math.abs((seen.get(id) ?? 0) / N - logged.get(id)!), id).toBeLessThan(0.03);
  });

  it('Thompson sampling stops at the offers that could still win: a learned catalog is not evaluated whole', async () => {
    const offers = [
      offer('star', { value: 10 }),
      ...Array.from({ length: 30 }, (_, i) => offer(`small-${i}`, { value: 1 })),
    ];
    const { decide, respond } = setup({ offers }, { exploration: 'thompson' });
    await respond('star', 'accepted', 60);
    await respond('star', 'declined', 140);
    for (let i = 0; i < 30; i++) await respond(`small-${i}`, 'declined', 40);
    const d = await decide({ customerId: 'someone' });
    expect(d.offers[0]!.offerId).toBe('star');
    expect(d.candidates.map((c) => c.offerId)).toEqual(['star']); // no small offer could draw above the star's sample
    expect(d.offers[0]!.probability).toBeCloseTo(1, 6);
    const full = await decide({ customerId: 'someone', explain: true });
    expect(full.candidates).toHaveLength(31);
  });

  it('property — the probabilities of every candidate ranking first add up to 1', () => {
    const rand = seededRandom('p');
    for (let t = 0; t < 200; t++) {
      const n = 1 + Math.floor(rand() * 8);
      const all = Array.from({ length: n }, () => ({
        posterior: { alpha: 1 + rand() * 50, beta: 5 + rand() * 500, impressions: 0, accepted: 0 },
        multiplier: 0.5 + rand() * 20,
      }));
      const sum = all.reduce((s, _, i) => s + probabilityFirst(i, all), 0);
      expect(sum).toBeGreaterThan(0.97);
      expect(sum).toBeLessThan(1.03);
    }
    expect(betaSample(2, 3, rand)).toBeGreaterThan(0);
  });
});

describe('the contextual model', () => {
  it('learns who accepts from profile attributes no segmentation names', async () => {
    const { decide, store } = setup(
      {
        offers: [
          offer('cat-food', { value: 1 }),
          offer('steady', { value: 1, propensity: { prior: { accepted: 3, impressions: 20 } } }),
        ],
      },
      {
        exploration: 'mean',
        learning: { namespace: '', priorMaxImpressions: 20, halfLifeMs: null, model: 'contextual' },
      },
    );
    // cat owners accept cat food, dog owners never do; one in five accepts the steady offer
    for (let i = 0; i < 200; i++) {
      const pet = i % 2 === 0 ? 'cat' : 'dog';
      const customerId = `${pet}-${i}`;
      await store.applyEvents([ev(customerId, 'profile', { pet })]);
      const d = await decide({ customerId, limit: 2 });
      const accepted = pet === 'cat' ? 'accepted' : 'declined';
      await store.applyEvents(
        d.offers.map((o) =>
          ev(customerId, 'offer_response', {
            decisionId: d.decisionId,
            offerId: o.offerId,
            outcome: o.offerId === 'cat-food' ? accepted : i % 5 === 0 ? 'accepted' : 'declined',
          }),
        ),
      );
    }
    await store.applyEvents([ev('new-cat', 'profile', { pet: 'cat' }), ev('new-dog', 'profile', { pet: 'dog' })]);
    const cat = await decide({ customerId: 'new-cat' });
    const dog = await decide({ customerId: 'new-dog' });
    expect(cat.offers[0]!.offerId).toBe('cat-food');
    expect(cat.offers[0]!.propensity).toBeGreaterThan(0.6);
    expect(dog.offers[0]!.offerId).toBe('steady');
  });
});

describe('explanations show what was learned', () => {
  it('each eligible offer carries its counts and current estimate', async () => {
    const { decide, respond } = setup({ offers: [offer('o')] });
    await respond('o', 'accepted', 3);
    const d = await decide({ explain: true });
    expect(d.explanation!.offers[0]).toMatchObject({
      offerId: 'o',
      status: 'selected',
      learning: { impressions: 3, accepted: 3, estimate: 4 / 13, segment: null },
    });
  });
});

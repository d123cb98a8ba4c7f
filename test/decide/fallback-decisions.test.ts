import { describe, expect, it } from 'vitest';
import { createDecider } from '../../src/decide/decider.js';
import type { DecideRequest } from '../../src/decide/types.js';
import { createMemoryStore } from '../../src/state/memory-store.js';
import { stateModelFrom } from '../../src/state/model.js';
import { manualClock, T0 } from '../support/events.js';
import { offer, ruleSet, type RulesSpec } from '../support/rules.js';

/** The fallback rule (fallback.ts) as the decider and the pipeline compose it. */
function setup(spec: RulesSpec, exploration: 'mean' | 'thompson') {
  const rules = ruleSet(spec);
  const clock = manualClock(T0);
  const store = createMemoryStore({ clock: clock.now });
  store.setModel(stateModelFrom(rules));
  let n = 0;
  const decider = createDecider({ store, rules: () => rules, clock: clock.now, newId: () => `d${++n}`, exploration });
  const decide = (over: Partial<DecideRequest> = {}) =>
    decider.decide({ customerId: 'c1', channel: 'pos', trigger: null, context: {}, ...over });
  return { store, decide };
}

const reserved = (id: string, max = 5) => offer(id, { value: 10, caps: { total: [{ outcome: 'offered', max }] } });

describe.each(['mean', 'thompson'] as const)('the fallback rule in decisions — %s', (exploration) => {
  it('a certain regular offer: fallbacks are not even ranked', async () => {
    const { decide } = setup({ offers: [offer('real'), offer('thanks', { fallback: true })] }, exploration);
    const d = await decide();
    expect(d.offers.map((o) => o.offerId)).toEqual(['real']);
    expect(d.candidates.map((c) => c.offerId)).toEqual(['real']);
  });

  it('only regular offers that need a reservation: fallbacks are ranked too, in case every reservation fails', async () => {
    const { decide } = setup({ offers: [reserved('scarce'), offer('thanks', { fallback: true })] }, exploration);
    const d = await decide();
    expect(d.offers.map((o) => o.offerId)).toEqual(['scarce']);
    expect(d.candidates.map((c) => c.offerId).sort()).toEqual(['scarce', 'thanks']);
  });

  it("the regular offer's total cap reached: the fallback is returned instead", async () => {
    const { decide } = setup({ offers: [reserved('scarce', 1), offer('thanks', { fallback: true })] }, exploration);
    expect((await decide({ customerId: 'c1' })).offers.map((o) => o.offerId)).toEqual(['scarce']);
    expect((await decide({ customerId: 'c2' })).offers.map((o) => o.offerId)).toEqual(['thanks']);
  });

  it('degraded: a fallback that needs a reservation is not returned (the store is down), with its cap explained', async () => {
    const { decide, store } = setup(
      {
        offers: [
          offer('real'),
          offer('thanks-scarce', { fallback: true, value: 10, caps: { total: [{ outcome: 'offered', max: 5 }] } }),
          offer('thanks', { fallback: true, value: 0.1 }),
        ],
      },
      exploration,
    );
    await store.close();
    const d = await decide({ explain: true });
    expect(d.degraded).toBe(true);
    expect(d.offers.map((o) => o.offerId)).toEqual(['thanks']);
    expect(d.explanation!.offers.find((f) => f.offerId === 'thanks-scarce')).toMatchObject({
      status: 'capped',
      cap: { scope: 'total', outcome: 'offered', max: 5 },
    });
  });
});

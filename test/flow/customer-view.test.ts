import { describe, expect, it } from 'vitest';
import { createDecider } from '../../src/decide/decider.js';
import { customerView } from '../../src/flow/customer-view.js';
import { createMemoryStore } from '../../src/state/memory-store.js';
import { stateModelFrom } from '../../src/state/model.js';
import { ev, T0 } from '../support/events.js';
import { offer, ruleSet } from '../support/rules.js';

describe('the customer view (GET /v1/customers/{id})', () => {
  const rules = ruleSet({
    aggregates: { spend: { event: 'purchase', field: 'data.amount', fn: 'sum' } },
    segments: { tier: [{ id: 'big', when: { '>': [{ var: 'customer.agg.spend' }, 100] } }, { id: 'small' }] },
    offers: [offer('o1'), offer('o2')],
  });

  it('shows the profile, aggregates, segments and, per offer, each outcome count with the last outcome and when', async () => {
    const store = createMemoryStore({ clock: () => T0 });
    store.setModel(stateModelFrom(rules));
    const decider = createDecider({ store, rules: () => rules, clock: () => T0 });
    await store.applyEvents([ev('cv-1', 'purchase', { amount: 150 }), ev('cv-1', 'profile', { tier: 'gold' })]);
    const d = await decider.decide({ customerId: 'cv-1', channel: 'pos', trigger: 'checkout', context: {} });
    const offered = d.offers[0]!.offerId;
    await store.applyEvents([
      ev('cv-1', 'offer_response', { decisionId: d.decisionId, offerId: offered, outcome: 'accepted' }, T0 + 1000),
    ]);

    const view = await customerView(store, rules, 'cv-1', T0 + 2000);
    expect(view).toEqual({
      customerId: 'cv-1',
      profile: { tier: 'gold' },
      agg: { spend: 150 },
      segments: { tier: 'big' },
      household: null,
      offers: {
        // an acceptance implies the offer was seen
        [offered]: {
          offered: 1,
          impression: 1,
          accepted: 1,
          declined: 0,
          redeemed: 0,
          lastOutcome: 'accepted',
          lastAt: new Date(T0 + 1000).toISOString(),
        },
      },
    });
    await store.close();
  });

  it('an offer not yet answered shows being offered as its last outcome; an unknown customer is an empty state in the default segment', async () => {
    const store = createMemoryStore({ clock: () => T0 });
    store.setModel(stateModelFrom(rules));
    const decider = createDecider({ store, rules: () => rules, clock: () => T0 });
    const d = await decider.decide({ customerId: 'cv-2', channel: 'pos', trigger: 'checkout', context: {} });
    const view = await customerView(store, rules, 'cv-2', T0);
    expect(view.offers).toEqual({
      [d.offers[0]!.offerId]: {
        offered: 1,
        impression: 0,
        accepted: 0,
        declined: 0,
        redeemed: 0,
        lastOutcome: 'offered',
        lastAt: new Date(T0).toISOString(),
      },
    });
    expect(await customerView(store, rules, 'nobody', T0)).toEqual({
      customerId: 'nobody',
      profile: {},
      agg: { spend: 0 },
      segments: { tier: 'small' },
      household: null,
      offers: {},
    });
    await store.close();
  });
});

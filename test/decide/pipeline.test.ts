import { describe, expect, it } from 'vitest';
import { createDecider } from '../../src/decide/decider.js';
import type { DecideRequest, OfferFate } from '../../src/decide/types.js';
import type { RuleSet } from '../../src/rules/types.js';
import { createMemoryStore } from '../../src/state/memory-store.js';
import { stateModelFrom } from '../../src/state/model.js';
import { DAY, ev, manualClock, T0 } from '../support/events.js';
import { offer, ruleSet, type RulesSpec } from '../support/rules.js';

function setup(spec: RulesSpec, opts: { learningSegmentation?: string; exploration?: 'mean' | 'thompson' } = {}) {
  const rules: RuleSet = ruleSet(spec);
  const clock = manualClock(T0);
  const store = createMemoryStore({ clock: clock.now });
  store.setModel(stateModelFrom(rules));
  let n = 0;
  // the deterministic ranking unless a test asks for exploration
  const decider = createDecider({
    store,
    rules: () => rules,
    clock: clock.now,
    newId: () => `d${++n}`,
    exploration: 'mean',
    ...opts,
  });
  const decide = (over: Partial<DecideRequest> = {}) =>
    decider.decide({ customerId: 'c1', channel: 'pos', trigger: 'checkout', context: {}, explain: true, ...over });
  const fate = async (offerId: string, over: Partial<DecideRequest> = {}): Promise<OfferFate> =>
    (await decide(over)).explanation!.offers.find((f) => f.offerId === offerId)!;
  return { rules, clock, store, decide, fate };
}

describe('decision pipeline', () => {
  it('selected — the best-scoring offer is returned and the others explained as eligible', async () => {
    const { decide } = setup({ offers: [offer('low', { value: 1 }), offer('high', { value: 5 })] });
    const d = await decide();
    expect(d.offers.map((o) => o.offerId)).toEqual(['high']);
    expect(d.offers[0]).toMatchObject({ name: 'Offer high', value: 5, propensity: 0.1, score: 0.5 });
    expect(d.explanation!.offers).toEqual([
      {
        offerId: 'high',
        status: 'selected',
        score: 0.5,
        propensity: 0.1,
        learning: { impressions: 0, accepted: 0, estimate: 0.1, segment: null },
      },
      {
        offerId: 'low',
        status: 'eligible',
        score: 0.1,
        propensity: 0.1,
        learning: { impressions: 0, accepted: 0, estimate: 0.1, segment: null },
      },
    ]);
    expect(d.rulesVersion).toMatch(/^[0-9a-f]{12}$/);
  });

  it('inactive — an offer outside its active window is dropped, and comes in when it opens', async () => {
    const { fate, clock } = setup({
      offers: [offer('xmas', { active: { from: '2026-12-01T00:00:00Z', to: '2026-12-26T23:59:59Z' } })],
    });
    expect(await fate('xmas')).toEqual({
      offerId: 'xmas',
      status: 'inactive',
      active: { from: '2026-12-01T00:00:00.000Z', to: '2026-12-26T23:59:59.000Z' },
    });
    clock.set(Date.parse('2026-12-10T10:00:00Z'));
    expect((await fate('xmas')).status).toBe('selected');
    clock.set(Date.parse('2026-12-27T00:00:00Z'));
    expect((await fate('xmas')).status).toBe('inactive');
  });

  it('inactive — the active window includes both its ends, to the millisecond', async () => {
    const { fate, clock } = setup({
      offers: [offer('xmas', { active: { from: '2026-12-01T00:00:00Z', to: '2026-12-26T23:59:59Z' } })],
    });
    const from = Date.parse('2026-12-01T00:00:00Z');
    const to = Date.parse('2026-12-26T23:59:59Z');
    for (const [t, status] of [
      [from - 1, 'inactive'],
      [from, 'selected'],
      [to, 'selected'],
      [to + 1, 'inactive'],
    ] as const) {
      clock.set(t);
      expect((await fate('xmas')).status, new Date(t).toISOString()).toBe(status);
    }
  });

  it('inactive — an offer with only a start or only an end is open on the other side', async () => {
    const { fate, clock } = setup({
      offers: [
        offer('from', { active: { from: '2026-12-01T00:00:00Z' } }),
        offer('until', { active: { to: '2026-12-01T00:00:00Z' } }),
      ],
    });
    clock.set(Date.parse('2030-01-01T00:00:00Z'));
    expect(await fate('from')).toMatchObject({ status: 'selected' });
    expect(await fate('until')).toEqual({
      offerId: 'until',
      status: 'inactive',
      active: { from: null, to: '2026-12-01T00:00:00.000Z' },
    });
    clock.set(Date.parse('2020-01-01T00:00:00Z'));
    expect(await fate('from')).toEqual({
      offerId: 'from',
      status: 'inactive',
      active: { from: '2026-12-01T00:00:00.000Z', to: null },
    });
  });

  it('channel — an offer not made for the channel is dropped', async () => {
    const { fate } = setup({ offers: [offer('app-only', { channels: ['app'] })] });
    expect(await fate('app-only')).toEqual({ offerId: 'app-only', status: 'channel' });
    expect((await fate('app-only', { channel: 'app' })).status).toBe('selected');
  });

  it('trigger — an offer answers its triggers only; one without triggers answers any, and untriggered decisions', async () => {
    const { fate } = setup({ offers: [offer('claims', { triggers: ['claim'], value: 2 }), offer('any')] });
    expect(await fate('claims')).toEqual({ offerId: 'claims', status: 'trigger' });
    expect((await fate('claims', { trigger: 'claim' })).status).toBe('selected');
    expect(await fate('claims', { trigger: null })).toEqual({ offerId: 'claims', status: 'trigger' });
    expect((await fate('any', { trigger: null })).status).toBe('selected');
  });

  it('ineligible — names the failing condition and the values it saw', async () => {
    const { fate, store } = setup({
      aggregates: { spend_30d: { event: 'purchase', field: 'data.amount', fn: 'sum', window: '30d' } },
      offers: [
        offer('pastry', {
          eligibility: {
            and: [
              { '>=': [{ var: 'customer.agg.spend_30d' }, 50] },
              { in: ['coffee', { var: 'event.data.basket.categories' }] },
            ],
          },
        }),
      ],
    });
    const basket = { total: 9, items: [{ sku: 'a', category: 'tea', price: 3, qty: 1 }] };
    await store.applyEvents([ev('c1', 'purchase', { amount: 20 })]);
    expect(await fate('pastry', { context: { basket } })).toEqual({
      offerId: 'pastry',
      status: 'ineligible',
      condition: {
        path: '$.eligibility.and[0]',
        rule: { '>=': [{ var: 'customer.agg.spend_30d' }, 50] },
        values: [20, 50],
      },
    });
    await store.applyEvents([ev('c1', 'purchase', { amount: 40 })]);
    // basket.categories is derived from the items
    expect((await fate('pastry', { context: { basket } })).condition).toEqual({
      path: '$.eligibility.and[1]',
      rule: { in: ['coffee', { var: 'event.data.basket.categories' }] },
      values: ['coffee', ['tea']],
    });
    basket.items.push({ sku: 'b', category: 'coffee', price: 2, qty: 1 });
    expect((await fate('pastry', { context: { basket } })).status).toBe('selected');
  });

  it('a rule that raises counts as not eligible, is counted, and never fails the decision', async () => {
    const { decide } = setup({ offers: [offer('broken', { eligibility: { '*': [] } }), offer('fine')] });
    const d = await decide();
    expect(d.offers.map((o) => o.offerId)).toEqual(['fine']);
    expect(d.ruleErrors).toBe(1);
    expect(d.explanation!.offers[0]).toMatchObject({
      offerId: 'broken',
      status: 'ineligible',
      error: expect.stringContaining('*'),
    });
  });

  it('capped — an offer capped at 3 per 7 days is dropped on the 4th, and back after the window', async () => {
    const { decide, fate, clock } = setup({
      offers: [offer('weekly', { caps: { customer: [{ outcome: 'offered', max: 3, window: '7d' }] } })],
    });
    for (let i = 0; i < 3; i++) {
      expect((await decide()).offers).toHaveLength(1);
      clock.advance(DAY);
    }
    expect(await fate('weekly')).toEqual({
      offerId: 'weekly',
      status: 'capped',
      cap: { scope: 'customer', outcome: 'offered', max: 3, window: '7d', count: 3 },
    });
    clock.advance(4 * DAY + 1);
    expect((await fate('weekly')).status).toBe('selected');
  });

  it('capped — a lifetime customer cap on redeemed counts the responses', async () => {
    const { decide, fate, store } = setup({
      offers: [offer('once', { caps: { customer: [{ outcome: 'redeemed', max: 1 }] } })],
    });
    const d = await decide();
    await store.applyEvents([
      ev('c1', 'offer_response', { decisionId: d.decisionId, offerId: 'once', outcome: 'redeemed' }),
    ]);
    expect((await fate('once')).cap).toEqual({
      scope: 'customer',
      outcome: 'redeemed',
      max: 1,
      window: null,
      count: 1,
    });
  });

  it('capped — a total cap across customers stops the offer for everyone once reached', async () => {
    const { decide, fate } = setup({
      offers: [
        offer('scarce', { caps: { total: [{ outcome: 'offered', max: 2 }] } }),
        offer('fallback-x', { fallback: true }),
      ],
    });
    expect((await decide({ customerId: 'a' })).offers[0]!.offerId).toBe('scarce');
    expect((await decide({ customerId: 'b' })).offers[0]!.offerId).toBe('scarce');
    const f = await fate('scarce', { customerId: 'c' });
    expect(f).toMatchObject({ status: 'capped', cap: { scope: 'total', outcome: 'offered', max: 2, count: 2 } });
  });

  it('cooldown — after a decline the offer rests for its cooldown, with the time it ends', async () => {
    const { decide, fate, store, clock } = setup({ offers: [offer('rest', { cooldown: { declined: '30d' } })] });
    const d = await decide();
    await store.applyEvents([
      ev('c1', 'offer_response', { decisionId: d.decisionId, offerId: 'rest', outcome: 'declined' }, T0),
    ]);
    expect(await fate('rest')).toEqual({
      offerId: 'rest',
      status: 'cooldown',
      cooldown: { outcome: 'declined', window: '30d', until: new Date(T0 + 30 * DAY).toISOString() },
    });
    clock.advance(30 * DAY + 1);
    expect((await fate('rest')).status).toBe('selected');
  });

  it('propensity — the posterior mean on the offer prior (default 1/10) learns from impressions and acceptances', async () => {
    const { decide, store } = setup({
      offers: [
        offer('learn', { value: 10, weight: 2 }),
        offer('primed', { value: 10, propensity: { prior: { accepted: 3, impressions: 10 } } }),
      ],
    });
    let d = await decide({ limit: 2 });
    expect(d.offers.map((o) => [o.offerId, o.propensity, o.score])).toEqual([
      ['primed', 0.3, 3],
      ['learn', 0.1, 2],
    ]);
    const events = [];
    for (let i = 0; i < 10; i++) {
      const c = `l${i}`;
      const di = await decide({ customerId: c, limit: 2 });
      events.push(
        ev(c, 'offer_response', {
          decisionId: di.decisionId,
          offerId: 'learn',
          outcome: i < 7 ? 'accepted' : 'declined',
        }),
      );
    }
    await store.applyEvents(events);
    d = await decide({ limit: 2 });
    // (1 + 7) / (10 + 10) = 0.4; score 0.4 × 10 × 2
    expect(d.offers[0]).toMatchObject({ offerId: 'learn', propensity: 0.4, score: 8 });
  });

  it("propensity per segment — learned in the segment the offer was made in, starting from the offer's overall estimate", async () => {
    const { decide, store } = setup(
      {
        aggregates: { spend: { event: 'purchase', field: 'data.amount', fn: 'sum' } },
        segments: { tier: [{ id: 'big', when: { '>': [{ var: 'customer.agg.spend' }, 100] } }, { id: 'small' }] },
        offers: [offer('o')],
      },
      { learningSegmentation: 'tier' },
    );
    await store.applyEvents([ev('rich', 'purchase', { amount: 500 })]);
    const d = await decide({ customerId: 'rich' });
    await store.applyEvents([
      ev('rich', 'offer_response', { decisionId: d.decisionId, offerId: 'o', outcome: 'accepted' }),
    ]);
    // overall: (1 + 1) / (10 + 1); the segment starts there (weight 11) and adds its own: (2 + 1) / (11 + 1)
    expect((await decide({ customerId: 'rich' })).offers[0]!.propensity).toBeCloseTo(3 / 12, 12);
    // a segment without evidence has the offer's overall estimate, not the prior
    expect((await decide({ customerId: 'poor' })).offers[0]!.propensity).toBeCloseTo(2 / 11, 12);
  });

  it('exploration — a Thompson sample, reproducible for the same decision id', async () => {
    const a = setup({ offers: [offer('o')] }, { exploration: 'thompson' });
    const b = setup({ offers: [offer('o')] }, { exploration: 'thompson' });
    const pa = (await a.decide()).offers[0]!.propensity;
    expect((await b.decide()).offers[0]!.propensity).toBe(pa);
    expect(pa).not.toBe(0.1);
    expect(pa).toBeGreaterThan(0);
    expect(pa).toBeLessThan(1);
  });

  it('ranking — equal scores break ties by ascending offer id; limit returns the best N in order', async () => {
    const { decide } = setup({
      offers: [offer('b-tie', { value: 2 }), offer('a-tie', { value: 2 }), offer('top', { value: 9 }), offer('c-low')],
    });
    expect((await decide({ limit: 3 })).offers.map((o) => o.offerId)).toEqual(['top', 'a-tie', 'b-tie']);
    expect((await decide({ limit: 1 })).offers.map((o) => o.offerId)).toEqual(['top']);
  });

  it('fallback — offered only when nothing else qualifies, never alongside', async () => {
    const { decide } = setup({
      offers: [
        offer('thanks', { fallback: true, value: 100 }),
        offer('real', { eligibility: { '==': [{ var: 'context.vip' }, true] } }),
      ],
    });
    expect((await decide({ limit: 3, context: { vip: true } })).offers.map((o) => o.offerId)).toEqual(['real']);
    const d = await decide({ limit: 3 });
    expect(d.offers.map((o) => o.offerId)).toEqual(['thanks']);
    expect(d.explanation!.offers.find((f) => f.offerId === 'thanks')).toMatchObject({
      status: 'selected',
      fallback: true,
    });
  });

  it('no offer qualifying is an empty list, not an error', async () => {
    const { decide } = setup({ offers: [offer('never', { eligibility: false })] });
    const d = await decide();
    expect(d.offers).toEqual([]);
    expect(d.degraded).toBe(false);
  });

  it('returned offers are recorded as offered for the customer', async () => {
    const { decide, store } = setup({ offers: [offer('o1'), offer('o2', { value: 2 })] });
    const d = await decide({ limit: 2 });
    const h = (await store.snapshot('c1', T0)).offers;
    expect(h.o1).toMatchObject({ counts: { offered: 1 }, lastDecisionId: d.decisionId, lastAt: { offered: T0 } });
    expect(h.o2?.counts.offered).toBe(1);
  });

  it('segments — first match per segmentation in file order; later ones read earlier ones; none matching is null', async () => {
    const { decide, store } = setup({
      aggregates: { spend: { event: 'purchase', field: 'data.amount', fn: 'sum' } },
      segments: {
        tier: [
          { id: 'gold', when: { '>=': [{ var: 'customer.agg.spend' }, 100] } },
          { id: 'silver', when: { '>=': [{ var: 'customer.agg.spend' }, 10] } },
        ],
        perk: [{ id: 'lounge', when: { '==': [{ var: 'customer.segments.tier' }, 'gold'] } }, { id: 'none' }],
      },
      offers: [offer('o')],
    });
    expect((await decide()).segments).toEqual({ tier: null, perk: 'none' });
    await store.applyEvents([ev('c1', 'purchase', { amount: 150 })]);
    expect((await decide()).segments).toEqual({ tier: 'gold', perk: 'lounge' });
  });

  it('is deterministic for the same state, clock and decision id', async () => {
    const spec = {
      offers: [
        offer('x', { value: 3 }),
        offer('y', { value: 3 }),
        offer('z', { eligibility: { '>': [{ var: 'now.hour' }, 8] } }),
      ],
    };
    const a = await setup(spec).decide({ limit: 3 });
    const b = await setup(spec).decide({ limit: 3 });
    expect(a).toEqual(b);
  });

  it('degraded — without customer state it answers from fallback offers, inside the budget', async () => {
    const { decide, store } = setup({ offers: [offer('real'), offer('thanks', { fallback: true })] });
    await store.close(); // the store no longer answers
    const d = await decide();
    expect(d).toMatchObject({ degraded: true, offers: [{ offerId: 'thanks' }] });
  });
});

describe('decision pipeline — the score-ordered walk', () => {
  it('property — without explain it picks exactly the offers a full evaluation ranks first', async () => {
    const { generateCatalog, catalogFiles, contexts } = await import('../../bench/lib/catalog.js');
    const { buildRuleSet } = await import('../../src/rules/load.js');
    const { evaluate } = await import('../../src/decide/pipeline.js');
    const fc = (await import('fast-check')).default;
    const res = buildRuleSet(catalogFiles(generateCatalog(150, 9)));
    if (!res.ok) throw new Error('catalog');
    const rules = res.rules;
    const ctxs = contexts(40, 4);
    const learned = new Map<string, { impressions: number; accepted: number }>();
    let version = 0; // like the stores: changes with every learned count
    const stats = {
      learning: (id: string) => learned.get(id) ?? { impressions: 0, accepted: 0 },
      total: () => 0,
      version: () => version,
    };
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 39 }),
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom('pos', 'app', 'web'),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 149 }), fc.integer({ min: 0, max: 40 })), { maxLength: 5 }),
        (k, limit, channel, learn) => {
          for (const [i, a] of learn) {
            learned.set(rules.offers[i]!.id, { impressions: 50, accepted: a });
            version++;
          }
          const c = ctxs[k]!;
          const snap = {
            customerId: 'c',
            profile: c.customer.profile,
            agg: c.customer.agg,
            household: null,
            offers: {},
          };
          const base = {
            rules,
            snap,
            nowMs: T0,
            stats,
            decisionId: 'd',
            learningSegmentation: null,
            exploration: 'mean' as const,
          };
          const req = { customerId: 'c', channel, trigger: 'checkout', context: c.event.data, limit };
          const walked = evaluate({ ...base, request: req })
            .ranked.slice(0, limit)
            .map((s) => s.offer.id);
          const full = evaluate({ ...base, request: { ...req, explain: true } })
            .ranked.slice(0, limit)
            .map((s) => s.offer.id);
          expect(walked).toEqual(full);
        },
      ),
      { numRuns: 200 },
    );
  });
});

import { describe, expect, it } from 'vitest';
import { chooseOffers, considered, degradedSnapshot, fallbacksNeeded } from '../../src/decide/fallback.js';
import type { Scored } from '../../src/decide/rank.js';
import type { Offer } from '../../src/rules/types.js';
import { offer, ruleSet } from '../support/rules.js';

const { offers } = ruleSet({
  offers: [
    offer('regular'),
    offer('reserved', { caps: { total: [{ outcome: 'offered', max: 1 }] } }),
    offer('thanks', { fallback: true }),
  ],
});
const byId = (id: string): Offer => offers.find((o) => o.id === id)!;
const scored = (id: string): Scored => ({ offer: byId(id), score: 1, propensity: 1, multiplier: 1 });
const ids = (list: readonly Scored[]) => list.map((s) => s.offer.id);

describe('fallback — the rule', () => {
  it('a degraded decision considers fallback offers only; a normal one every offer', () => {
    expect([considered(byId('regular'), true), considered(byId('thanks'), true)]).toEqual([false, true]);
    expect([
      considered(byId('regular'), false),
      considered(byId('regular'), undefined),
      considered(byId('thanks'), false),
    ]).toEqual([true, true, true]);
  });

  it('fallbacks are needed unless a qualifying regular offer is certain (needs no reservation)', () => {
    expect(fallbacksNeeded([])).toBe(true);
    expect(fallbacksNeeded([scored('reserved')])).toBe(true);
    expect(fallbacksNeeded([scored('reserved'), scored('regular')])).toBe(false);
  });

  it('returns the regular offers picked, never alongside fallbacks', async () => {
    const asked: string[][] = [];
    const res = await chooseOffers('mean', [scored('regular')], [scored('thanks')], async (l) => {
      asked.push(ids(l));
      return [...l];
    });
    expect(ids(res.chosen)).toEqual(['regular']);
    expect(ids(res.from)).toEqual(['regular']);
    expect(asked).toEqual([['regular']]);
  });

  it('returns the fallbacks when no regular offer was picked (none qualified, or each lost its reservation)', async () => {
    const pickFrom = async (l: readonly Scored[]) => l.filter((s) => s.offer.id !== 'reserved');
    const res = await chooseOffers('thompson', [scored('reserved')], [scored('thanks')], pickFrom);
    expect(ids(res.chosen)).toEqual(['thanks']);
    expect(ids(res.from)).toEqual(['thanks']);
    expect(ids((await chooseOffers('mean', [], [scored('thanks')], pickFrom)).chosen)).toEqual(['thanks']);
  });

  it("the holdout's none control returns nothing, fallbacks neither, and reserves nothing", async () => {
    const res = await chooseOffers('none', [scored('regular')], [scored('thanks')], () => expect.unreachable());
    expect(res.chosen).toEqual([]);
  });

  it('a degraded decision reads no customer state', () => {
    expect(degradedSnapshot('c1')).toEqual({ customerId: 'c1', profile: {}, agg: {}, household: null, offers: {} });
  });
});

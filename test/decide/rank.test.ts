import { describe, expect, it } from 'vitest';
import type { CapFate } from '../../src/decide/caps.js';
import {
  byScore,
  limitOf,
  MAX_LIMIT,
  pick,
  selectionProbabilities,
  sortByScore,
  wantOf,
  type Scored,
} from '../../src/decide/rank.js';
import type { Offer } from '../../src/rules/types.js';
import { offer, ruleSet } from '../support/rules.js';

const { offers } = ruleSet({
  offers: [
    offer('a'),
    offer('b'),
    offer('c'),
    offer('d'),
    offer('reserved', { caps: { total: [{ outcome: 'offered', max: 1 }] } }),
  ],
});
const byId = (id: string): Offer => offers.find((o) => o.id === id)!;
const scored = (id: string, score: number, key?: number): Scored => ({
  offer: byId(id),
  score,
  propensity: score,
  multiplier: 1,
  ...(key === undefined ? {} : { key }),
});
const ids = (list: readonly Scored[]) => list.map((s) => s.offer.id);
const full: CapFate = { status: 'capped', cap: { scope: 'total', outcome: 'offered', max: 1, window: null, count: 1 } };

describe('rank — order', () => {
  it('higher score first; equal scores by ascending offer id', () => {
    expect(ids([scored('b', 0.5), scored('c', 0.9), scored('a', 0.5), scored('d', 0.1)].sort(byScore))).toEqual([
      'c',
      'a',
      'b',
      'd',
    ]);
  });
  it('equal scores come out by ascending offer id whatever order they come in', () => {
    const orders = [
      ['a', 'b', 'c', 'd'],
      ['d', 'c', 'b', 'a'],
      ['c', 'a', 'd', 'b'],
      ['b', 'd', 'a', 'c'],
    ];
    for (const order of orders)
      expect(ids(order.map((id) => scored(id, 0.5)).sort(byScore))).toEqual(['a', 'b', 'c', 'd']);
    expect(byScore(scored('b', 0.5), scored('a', 0.5))).toBe(1);
    expect(byScore(scored('a', 0.5), scored('b', 0.5))).toBe(-1);
    expect(byScore(scored('a', 0.5), scored('a', 0.5))).toBe(0);
  });
  it("a key (the random control's draw) ranks instead of the score", () => {
    expect(ids([scored('a', 0.9, 0.1), scored('b', 0.1, 0.7)].sort(byScore))).toEqual(['b', 'a']);
  });
  it('property — sortByScore orders as sort(byScore) does, short lists and long', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let t = 0; t < 300; t++) {
      const n = Math.floor(rand() * 40);
      // few distinct scores: ties broken by id are part of what is compared
      const xs = Array.from({ length: n }, () => scored('abcd'[Math.floor(rand() * 4)]!, Math.floor(rand() * 5) / 4));
      expect(ids(sortByScore([...xs]))).toEqual(ids([...xs].sort(byScore)));
    }
  });
});

describe('rank — limit', () => {
  it('a whole number from 1 to MAX_LIMIT, 1 by default', () => {
    expect([limitOf(undefined), limitOf(0), limitOf(-3), limitOf(2.7), limitOf(5), limitOf(MAX_LIMIT + 1)]).toEqual([
      1,
      1,
      1,
      2,
      5,
      MAX_LIMIT,
    ]);
  });
  it('the walk wants at least one certain offer, and as many as asked', () => {
    expect([wantOf(undefined), wantOf(0), wantOf(3)]).toEqual([1, 1, 3]);
  });
});

describe('rank — selection', () => {
  const list = [scored('a', 0.9), scored('reserved', 0.8), scored('b', 0.7), scored('c', 0.6)];

  it('takes the best `limit` offers in order', async () => {
    const chosen = await pick(
      list,
      2,
      async () => null,
      () => expect.unreachable(),
    );
    expect(ids(chosen)).toEqual(['a', 'reserved']);
  });

  it('an offer refused its reservation is explained and the next takes its place', async () => {
    const capped: [string, CapFate][] = [];
    const reserve = async (o: Offer) => (o.id === 'reserved' ? full : null);
    const chosen = await pick(list, 2, reserve, (o, f) => capped.push([o.id, f]));
    expect(ids(chosen)).toEqual(['a', 'b']);
    expect(capped).toEqual([['reserved', full]]);
  });

  it('stops asking for reservations once `limit` offers are chosen', async () => {
    const asked: string[] = [];
    await pick(
      list,
      1,
      async (o) => {
        asked.push(o.id);
        return null;
      },
      () => {},
    );
    expect(asked).toEqual(['a']);
  });
});

describe('rank — selection probabilities', () => {
  const list = [scored('a', 0.9), scored('reserved', 0.8), scored('b', 0.7), scored('c', 0.6)];

  it('deterministic policies return their choice for certain', () => {
    for (const e of ['mean', 'static', 'none'] as const)
      expect(selectionProbabilities(e, list, [list[0]!, list[2]!])).toEqual([1, 1]);
  });

  it('the random control: uniform over the offers still in the running, an unchosen reserved one not counted', () => {
    expect(selectionProbabilities('random', list, [list[0]!, list[2]!])).toEqual([1 / 3, 1 / 2]);
    expect(selectionProbabilities('random', list, [list[1]!])).toEqual([1 / 4]);
  });
});

import { describe, expect, it } from 'vitest';
import { betaSample, seededRandom } from '../../src/decide/propensity.js';
import { thompsonWalk, type Bounded } from '../../src/decide/thompson-walk.js';
import type { Offer } from '../../src/rules/types.js';

/** The walk as specified, written plainly: the `want` best plain samples kept by sorting. */
function reference(order: readonly Bounded[], want: number, qualifies: (o: Offer) => boolean, rand: () => number) {
  const drawn: Array<{ id: string; score: number }> = [];
  const top: number[] = [];
  for (const b of order) {
    if (b.offer.fallback) continue;
    if (top.length >= want && b.upper < top[want - 1]!) break;
    if (!qualifies(b.offer)) continue;
    const score = betaSample(b.posterior.alpha, b.posterior.beta, rand) * b.multiplier;
    drawn.push({ id: b.offer.id, score });
    if (b.offer.offeredTotalCaps.length > 0) continue;
    top.push(score);
    top.sort((x, y) => y - x);
    top.length = Math.min(top.length, want);
  }
  return drawn;
}

describe('thompsonWalk', () => {
  it('property — visits, draws and stops exactly as the plain specification does', () => {
    const gen = seededRandom('walk');
    for (let t = 0; t < 300; t++) {
      const n = 1 + Math.floor(gen() * 60);
      const want = 1 + Math.floor(gen() * 4);
      const order: Bounded[] = Array.from({ length: n }, (_, i) => {
        const alpha = 1 + gen() * 30;
        const beta = 1 + gen() * 200;
        const multiplier = 0.5 + gen() * 15;
        const offer = {
          id: `o${i}`,
          fallback: gen() < 0.1,
          offeredTotalCaps: gen() < 0.1 ? [{}] : [],
        } as unknown as Offer;
        return { offer, posterior: { alpha, beta, impressions: 0, accepted: 0 }, multiplier, mean: 0, upper: 0 };
      });
      // any bound order will do for the comparison: descending, as boundOrder sorts them
      for (const b of order) b.upper = b.multiplier * (0.2 + gen() * 0.8);
      order.sort((a, b) => b.upper - a.upper);
      const eligible = new Set(order.filter(() => gen() < 0.4).map((b) => b.offer));
      const qualifies = (o: Offer) => eligible.has(o);
      const got = thompsonWalk(order, want, qualifies, seededRandom(`d${t}`), false, false);
      const want_ = reference(order, want, qualifies, seededRandom(`d${t}`));
      expect(got.map((d) => [d.offer.id, d.score])).toEqual(want_.map((d) => [d.id, d.score]));
    }
  });
});

import { describe, expect, it } from 'vitest';
import { phi, phiExact, probabilityFirst, type ScoreDistribution } from '../../src/decide/choice-probability.js';
import { betaSample, seededRandom } from '../../src/decide/propensity.js';

describe('the probability that Thompson sampling ranks an offer first', () => {
  it('the tabulated normal CDF stays within 1e-5 of the formula, and is 0 or 1 outside the table', () => {
    let worst = 0;
    for (let z = -9; z <= 9; z += 0.0037) worst = Math.max(worst, Math.abs(phi(z) - phiExact(z)));
    expect(worst).toBeLessThan(1e-5);
    expect(phi(-20)).toBe(0);
    expect(phi(20)).toBe(1);
    expect(phi(0)).toBeCloseTo(0.5, 7);
    expect(phi(Number.NaN)).toBe(0);
  });

  it('matches how often each candidate wins when the scores are drawn (±0.02)', () => {
    const rand = seededRandom('choice-probability');
    for (let t = 0; t < 12; t++) {
      const n = 2 + Math.floor(rand() * 6);
      const all: ScoreDistribution[] = Array.from({ length: n }, () => ({
        posterior: { alpha: 10 + rand() * 40, beta: 20 + rand() * 200, impressions: 0, accepted: 0 },
        multiplier: 0.5 + rand() * 3,
      }));
      const draws = 20_000;
      const wins = new Array<number>(n).fill(0);
      for (let d = 0; d < draws; d++) {
        let best = -1;
        let bestScore = -Infinity;
        for (let i = 0; i < n; i++) {
          const s = betaSample(all[i]!.posterior.alpha, all[i]!.posterior.beta, rand) * all[i]!.multiplier;
          if (s > bestScore) {
            bestScore = s;
            best = i;
          }
        }
        wins[best]!++;
      }
      for (let i = 0; i < n; i++) expect(Math.abs(probabilityFirst(i, all) - wins[i]! / draws)).toBeLessThan(0.02);
    }
  });
});

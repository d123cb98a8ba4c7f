import type { Posterior } from './estimate.js';

/** One candidate as the probability sees it: its score is `multiplier × p`, p ~ Beta(alpha, beta). */
export interface ScoreDistribution {
  posterior: Posterior;
  /** value × weight */
  multiplier: number;
}

const SQRT2 = Math.SQRT2;

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 erf, |error| < 1.5e-7). */
function phi(z: number): number {
  const x = Math.abs(z) / SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

function moments(d: ScoreDistribution): { mu: number; sd: number } {
  const { alpha: a, beta: b } = d.posterior;
  const n = a + b;
  const mean = a / n;
  const variance = (a * b) / (n * n * (n + 1));
  return { mu: d.multiplier * mean, sd: Math.max(1e-12, d.multiplier * Math.sqrt(variance)) };
}

const GRID = 64;

/**
 * The probability that Thompson sampling ranks candidate `chosen` first among `all`
 * (which holds it): ∫ f_chosen(s) · Π_others F_other(s) ds, each score's posterior taken
 * as a normal with the Beta's mean and variance, integrated on a 64-point grid over the
 * chosen one's ±5 sd. Others that cannot reach that range are skipped (their F is 1).
 * Accurate to about ±0.02 against sampling for posteriors of 10 or more pseudo-impressions.
 */
export function probabilityFirst(chosen: number, all: readonly ScoreDistribution[]): number {
  if (all.length <= 1) return 1;
  const me = moments(all[chosen]!);
  const lo = me.mu - 5 * me.sd;
  const hi = me.mu + 5 * me.sd;
  const rivals: Array<{ mu: number; sd: number }> = [];
  for (let j = 0; j < all.length; j++) {
    if (j === chosen) continue;
    const m = moments(all[j]!);
    if (m.mu + 6 * m.sd > lo) rivals.push(m);
  }
  if (rivals.length === 0) return 1;
  const step = (hi - lo) / GRID;
  let p = 0;
  for (let g = 0; g < GRID; g++) {
    const s = lo + (g + 0.5) * step;
    const z = (s - me.mu) / me.sd;
    let w = (Math.exp(-0.5 * z * z) / (me.sd * Math.sqrt(2 * Math.PI))) * step;
    for (const r of rivals) {
      w *= phi((s - r.mu) / r.sd);
      if (w < 1e-15) break;
    }
    p += w;
  }
  return Math.min(1, Math.max(0, p));
}

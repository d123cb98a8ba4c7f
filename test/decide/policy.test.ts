import { describe, expect, it } from 'vitest';
import { armOf, customerPosition, type Arm, type PolicyPlan } from '../../src/decide/policy.js';
import { DEFAULT_LEARNING } from '../../src/decide/pipeline.js';

/** The documented hash, written out again: FNV-1a over the UTF-16 units of salt, NUL, id; then murmur3's fmix32. */
function reference(customerId: string, salt: string): number {
  let h = 2166136261;
  for (const unit of `${salt}\u0000${customerId}`.split('').map((c) => c.charCodeAt(0)))
    h = Math.imul(h ^ unit, 16777619);
  h = Math.imul(h ^ (h >>> 16), 2246822507);
  h = Math.imul(h ^ (h >>> 13), 3266489909);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

const arm = (policy: string, share: number): Arm => ({
  policy,
  share,
  exploration: 'mean',
  segmentation: null,
  learning: DEFAULT_LEARNING,
  weights: null,
});

describe("policies — a customer's position", () => {
  it('is the same hash on every instance and in every version (arms keep their customers across upgrades)', () => {
    for (const [id, salt] of [
      ['c-1', ''],
      ['c-1', 'spring-test'],
      ['', ''],
      ['ü-kunde-7', 'x'],
      ['a much longer customer id 0123456789', 'exp'],
    ] as const) {
      expect(customerPosition(id, salt)).toBe(reference(id, salt));
    }
  });

  it('lies in [0, 1) and spreads evenly', () => {
    const tenths = new Array<number>(10).fill(0);
    for (let i = 0; i < 10_000; i++) {
      const u = customerPosition(`c-${i}`, 'spread');
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      tenths[Math.floor(u * 10)]!++;
    }
    for (const n of tenths) expect(n).toBeGreaterThan(900);
  });
});

describe('policies — the arm of a customer', () => {
  it('the arms take their shares of the positions in order, the default the rest', () => {
    const plan: PolicyPlan = { salt: 's', arms: [arm('holdout', 0.25), arm('b', 0.25)], default: arm('default', 0.5) };
    for (let i = 0; i < 300; i++) {
      const id = `c-${i}`;
      const u = customerPosition(id, 's');
      expect(armOf(plan, id).policy).toBe(u < 0.25 ? 'holdout' : u < 0.5 ? 'b' : 'default');
    }
  });

  it('with no arms every customer gets the default', () => {
    const plan: PolicyPlan = { salt: '', arms: [], default: arm('default', 1) };
    expect(armOf(plan, 'anyone')).toBe(plan.default);
  });
});

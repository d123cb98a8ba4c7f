import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addHash, estimate, hash32, mergeInto, newSketch, SPARSE_MAX } from '../../src/stats/hyperloglog.js';

const sketchOf = (values: Iterable<string>) => {
  const sk = newSketch();
  for (const v of values) addHash(sk, hash32(v));
  return sk;
};
const ids = (n: number, prefix = 'c') => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('distinct-count sketches', () => {
  it(`are exact up to ${SPARSE_MAX} values, duplicates counting once`, () => {
    for (let n = 0; n <= SPARSE_MAX; n++) expect(estimate(sketchOf([...ids(n), ...ids(n)]))).toBe(n);
  });

  it('stay within 10 % from a hundred to a million values', () => {
    for (const n of [100, 1000, 20_000, 1_000_000])
      expect(Math.abs(estimate(sketchOf(ids(n))) / n - 1), String(n)).toBeLessThan(0.1);
  });

  it('property: merging counts the union, sparse or dense, and leaves the source as it was', () => {
    fc.assert(
      fc.property(fc.nat({ max: 3000 }), fc.nat({ max: 3000 }), fc.nat({ max: 3000 }), (a, b, overlap) => {
        const left = ids(a, 'l');
        const right = [...ids(b, 'r'), ...left.slice(0, overlap)];
        const into = sketchOf(left);
        const from = sketchOf(right);
        const before = estimate(from);
        mergeInto(into, from);
        const union = new Set([...left, ...right]).size;
        expect(estimate(from)).toBe(before);
        if (union <= SPARSE_MAX) expect(estimate(into)).toBe(union);
        else expect(Math.abs(estimate(into) - union)).toBeLessThanOrEqual(Math.max(3, union * 0.1));
      }),
      { numRuns: 60 },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { idHash, SeenIds } from '../../src/state/seen-ids.js';

// ids over a tiny alphabet, so that the same ids come back and one often contains another
const ids = fc.oneof(
  { arbitrary: fc.stringMatching(/^[ab]{0,4}$/), weight: 8 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 3 }), weight: 1 },
);

describe('a customer’s seen event ids', () => {
  it('property — any sequence of ids kept, looked up and expired answers as a Map of id → second does', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            { arbitrary: fc.record({ set: ids, until: fc.integer({ min: 0, max: 20 }) }), weight: 5 },
            { arbitrary: fc.record({ get: ids }), weight: 3 },
            { arbitrary: fc.record({ drop: fc.integer({ min: 0, max: 20 }) }), weight: 1 },
          ),
          { maxLength: 80, size: 'max' },
        ),
        fc.constantFrom(256, 4, 1),
        (steps, limit) => {
          // the default limit, and small ones that move the ids to a Map and back within a run
          const seen = new SeenIds(limit);
          const spec = new Map<string, number>();
          for (const step of steps) {
            if ('set' in step) {
              seen.set(step.set, step.until);
              spec.set(step.set, step.until);
            } else if ('get' in step) {
              expect(seen.get(step.get)).toBe(spec.get(step.get));
            } else {
              seen.dropExpired(step.drop);
              for (const [id, until] of spec) if (until <= step.drop) spec.delete(id);
            }
            expect(seen.size).toBe(spec.size);
          }
          for (const id of spec.keys()) expect(seen.get(id)).toBe(spec.get(id));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('tells apart ids that contain one another', () => {
    const seen = new SeenIds();
    seen.set('ab', 10);
    seen.set('ba', 11);
    seen.set('b', 12);
    for (const id of ['bb', 'a', 'bab', 'abb', 'abbab', '']) expect(seen.get(id)).toBeUndefined();
    expect([seen.get('ab'), seen.get('ba'), seen.get('b')]).toEqual([10, 11, 12]);
    seen.dropExpired(10);
    expect([seen.get('ab'), seen.get('ba'), seen.get('b'), seen.size]).toEqual([undefined, 11, 12, 2]);
    seen.set('ab', 13);
    expect(seen.get('ab')).toBe(13);
    seen.dropExpired(12);
    expect([seen.get('ba'), seen.get('b'), seen.get('ab'), seen.size]).toEqual([undefined, undefined, 13, 1]);
  });

  it('hashes ids to distinct integers below 2^53: none shared among 200,000 ids of the shapes events carry', () => {
    const hashes = new Set<number>();
    let outOfRange = 0;
    for (let k = 0; k < 50_000; k++) {
      for (const id of [`u-${k}-${k % 90}`, `evt-${k.toString(36)}`, `${k}`, `0000-${k}-é`]) {
        const h = idHash(id);
        if (!Number.isSafeInteger(h) || h < 0) outOfRange++;
        hashes.add(h);
      }
    }
    expect([hashes.size, outOfRange]).toEqual([200_000, 0]);
  });

  it('hashes with the process’s seed: another seed gives other hashes', () => {
    const ids = Array.from({ length: 1000 }, (_, k) => `evt-${k}`);
    expect(ids.filter((id) => idHash(id, 1) === idHash(id, 2)).length).toBe(0);
    expect(ids.filter((id) => idHash(id) === idHash(id, 1)).length).toBeLessThan(1000);
  });

  it('moves past its limit to a Map and back once expiries leave half of it, every id and second kept', () => {
    const seen = new SeenIds(2);
    seen.set('a', 2);
    seen.set('b', 4);
    seen.set('c', 3); // the third: a Map from here
    expect([seen.get('a'), seen.get('b'), seen.get('c'), seen.size]).toEqual([2, 4, 3, 3]);
    seen.dropExpired(2);
    expect([seen.get('a'), seen.get('b'), seen.get('c'), seen.size]).toEqual([undefined, 4, 3, 2]);
    seen.dropExpired(3); // one left: back end to end
    expect([seen.get('b'), seen.get('c'), seen.size]).toEqual([4, undefined, 1]);
    seen.set('bb', 6);
    expect([seen.get('b'), seen.get('bb'), seen.get('bbb'), seen.size]).toEqual([4, 6, undefined, 2]);
  });
});

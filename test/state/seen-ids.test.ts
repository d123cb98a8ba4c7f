import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeenIds } from '../../src/state/seen-ids.js';

// ids over a tiny alphabet, so that one id often contains another or spans two of them end to end
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
        (steps) => {
          const seen = new SeenIds();
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

  it('finds an id only as a whole entry, not inside or across others', () => {
    const seen = new SeenIds();
    seen.set('ab', 10);
    seen.set('ba', 11);
    seen.set('b', 12);
    // the text is "abbab": "bb", "a", "bab" and "abb" occur in it but were never kept
    for (const id of ['bb', 'a', 'bab', 'abb', 'abbab', '']) expect(seen.get(id)).toBeUndefined();
    expect([seen.get('ab'), seen.get('ba'), seen.get('b')]).toEqual([10, 11, 12]);
    seen.dropExpired(10);
    expect([seen.get('ab'), seen.get('ba'), seen.get('b'), seen.size]).toEqual([undefined, 11, 12, 2]);
    seen.set('ab', 13);
    expect(seen.get('ab')).toBe(13);
    seen.dropExpired(12);
    expect([seen.get('ba'), seen.get('b'), seen.get('ab'), seen.size]).toEqual([undefined, undefined, 13, 1]);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type IssuedDecision, IssuedDecisions } from '../../src/state/issued-decisions.js';
import { MAX_DECISIONS_KEPT } from '../../src/state/types.js';

/** The specification: a Map in insertion order, an id issued again moved to the end, the oldest dropped past the limit. */
class Spec {
  m = new Map<string, IssuedDecision>();
  add(id: string, d: IssuedDecision) {
    this.m.delete(id);
    this.m.set(id, d);
    while (this.m.size > MAX_DECISIONS_KEPT) this.m.delete(this.m.keys().next().value!);
  }
  dropIssuedBy(cutoff: number) {
    for (const [id, d] of this.m) {
      if (d.atMs > cutoff) break;
      this.m.delete(id);
    }
  }
}

/** Decision ids: the store keeps a UUID (what NBO issues) as four words, any other id as it is — both kinds in one ring. */
const ID = (k: number): string =>
  k % 2 === 0
    ? `d${k}`
    : `${k.toString(16).padStart(8, '0')}-0000-4000-8000-${(k * 7919).toString(16).padStart(12, 'f')}`;

describe('a customer’s issued decisions', () => {
  it('property — any sequence of decisions and expiries keeps what the insertion-ordered map keeps', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            {
              arbitrary: fc.record({
                add: fc.integer({ min: 0, max: 14 }),
                at: fc.integer({ min: 0, max: 100 }),
                // one offer or several; ids with a space or empty ones, which a joined list could not keep
                offers: fc.array(fc.constantFrom('o1', 'o-2', 'o3', 'has space', ''), { maxLength: 3 }),
                policy: fc.constantFrom('default', 'holdout', 'arm-b'),
                segment: fc.constantFrom(null, 'vip'),
                features: fc.option(fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 3 }), {
                  nil: undefined,
                }),
              }),
              weight: 6,
            },
            { arbitrary: fc.record({ drop: fc.integer({ min: 0, max: 100 }) }), weight: 1 },
          ),
          { maxLength: 60, size: 'max' },
        ),
        (steps) => {
          const list = new IssuedDecisions();
          const spec = new Spec();
          for (const st of steps) {
            if ('add' in st) {
              const d: IssuedDecision = { offerIds: st.offers, policy: st.policy, segment: st.segment, atMs: st.at };
              if (st.features !== undefined) d.features = st.features;
              list.add(ID(st.add), d);
              spec.add(ID(st.add), structuredClone(d));
            } else {
              list.dropIssuedBy(st.drop);
              spec.dropIssuedBy(st.drop);
            }
            for (let k = 0; k <= 14; k++) expect(list.get(ID(k))).toStrictEqual(spec.m.get(ID(k)));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

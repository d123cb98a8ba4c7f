import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import jsonLogic from 'json-logic-js';
import { describe, expect, it } from 'vitest';
import { canonicalKey, compileCatalog } from '../../src/jsonlogic/compile.js';
import { compilePredicate, truthy } from '../../src/jsonlogic/index.js';

const NOW = Date.UTC(2026, 10, 23, 9, 15);

const scalar = fc.oneof(
  fc.integer({ min: -5, max: 30 }),
  fc.constantFrom(0, -0, 1.5, 'a', 'coffee', 'tea', '', '10'),
  fc.boolean(),
  fc.constant(null),
);
const data = fc.record({
  n: fc.integer({ min: -3, max: 50 }),
  s: fc.constantFrom('s1', 's2', 's3', 's9', '', 'coffee'),
  a: fc.oneof(scalar, fc.array(scalar, { maxLength: 4 })),
  items: fc.oneof(
    {
      weight: 5,
      arbitrary: fc.array(
        fc.record({ price: fc.integer({ min: 0, max: 30 }), cat: fc.constantFrom('coffee', 'tea', 'cake') }),
        { maxLength: 5 },
      ),
    },
    { weight: 1, arbitrary: scalar },
  ),
});

/** Sub-expressions the rules draw from: costly ones repeat across rules, so they get shared. */
const piece: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('coffee', 'tea', 'cake').chain((cat) =>
    fc.integer({ min: 0, max: 20 }).map((min) => ({
      some: [{ var: 'items' }, { and: [{ '==': [{ var: 'cat' }, cat] }, { '>=': [{ var: 'price' }, min] }] }],
    })),
  ),
  fc
    .constantFrom(['s1', 's2', 's3', 's4', 's5'], ['s2', 's9', 's7', 's8', 's6', 's1'], 'coffee shop')
    .map((list) => ({ in: [{ var: 's' }, list] })),
  fc
    .tuple(fc.constantFrom('>=', '<', '==', '!='), fc.integer({ min: 0, max: 40 }))
    .map(([op, t]) => ({ [op]: [{ var: 'n' }, t] })),
  fc.constantFrom(
    { filter: [{ var: 'items' }, { '>': [{ var: 'price' }, 10] }] },
    { map: [{ var: 'items' }, { var: 'price' }] },
    { reduce: [{ var: 'items' }, { '+': [{ var: 'accumulator' }, { var: 'current.price' }] }, 0] },
  ),
  fc.constantFrom(
    { '*': [] },
    { missing_some: [1, { var: 'a' }] },
    { in: [{ var: 'a' }, { var: 'a' }] },
    { '!!': { var: 'a' } },
    { var: 'a' },
    { cat: [{ var: 'a' }, 'x'] },
  ),
  scalar,
);
const rule: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.array(piece, { minLength: 1, maxLength: 6 }).map((xs) => ({ and: xs })) },
  { weight: 1, arbitrary: fc.array(piece, { minLength: 0, maxLength: 4 }).map((xs) => ({ or: xs })) },
  { weight: 1, arbitrary: fc.tuple(piece, piece, piece).map(([c, x, y]) => ({ if: [c, x, y] })) },
  { weight: 1, arbitrary: piece.map((x) => ({ '!': x })) },
  { weight: 1, arbitrary: piece },
);

type Run = { ok: true; value: unknown } | { ok: false };
const run = (f: () => unknown): Run => {
  try {
    return { ok: true, value: f() };
  } catch {
    return { ok: false };
  }
};
/** What a decision makes of a rule: eligible only when it holds without raising. */
const eligible = (r: Run) => r.ok && r.value === true;

describe('compileCatalog — rules compiled together, against json-logic-js', () => {
  const SUITE = new URL('../../../shared/conformance/jsonlogic-tests.json', import.meta.url);
  it.runIf(existsSync(SUITE))(
    'the official JsonLogic suite compiled as one catalog: each rule holds exactly when its expected value is truthy',
    () => {
      const suite = JSON.parse(readFileSync(SUITE, 'utf8')) as unknown[];
      const cases = suite.filter((e): e is [unknown, unknown, unknown] => Array.isArray(e) && e.length >= 3);
      const cat = compileCatalog(cases.map((c) => c[0]));
      expect(cat.memoSlots).toBeGreaterThan(0);
      cases.forEach(([, d, expected], i) => {
        // one memo per data object: each case has its own data
        const got = run(() => cat.predicates[i]!(d, { nowMs: NOW, memo: new Array<unknown>(cat.memoSlots) }));
        expect(eligible(got), JSON.stringify(cases[i])).toBe(truthy(expected));
      });
    },
  );

  it('property — every rule of a catalog, evaluated in turn with one memo per data object, is eligible exactly when json-logic-js says it holds', () => {
    fc.assert(
      fc.property(
        fc.array(rule, { minLength: 1, maxLength: 12 }),
        fc.array(data, { minLength: 1, maxLength: 4 }),
        (rules, datas) => {
          const cat = compileCatalog(rules);
          for (const d of datas) {
            const rt = { nowMs: NOW, memo: new Array<unknown>(cat.memoSlots) };
            rules.forEach((r, i) => {
              const want = eligible(run(() => truthy(jsonLogic.apply(r, d))));
              expect(eligible(run(() => cat.predicates[i]!(d, rt)))).toBe(want);
            });
          }
          return true;
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('property — sharing alone (no reordering) gives exactly what each rule compiled on its own gives, raising included', () => {
    fc.assert(
      fc.property(fc.array(rule, { minLength: 1, maxLength: 12 }), data, fc.boolean(), (rules, d, withMemo) => {
        const cat = compileCatalog(rules, { reorder: false });
        const rt = { nowMs: NOW, memo: withMemo ? new Array<unknown>(cat.memoSlots) : undefined };
        rules.forEach((r, i) => {
          const alone = run(() => compilePredicate(r)(d, { nowMs: NOW }));
          const together = run(() => cat.predicates[i]!(d, rt));
          expect(together).toEqual(alone);
        });
        return true;
      }),
      { numRuns: 1500 },
    );
  });

  it('a basket condition that ten rules share is evaluated once per memo, and again for a new one', () => {
    const some = { some: [{ var: 'items' }, { '>=': [{ var: 'price' }, 5] }] };
    const rules = Array.from({ length: 10 }, (_, i) => ({ and: [some, { '>=': [{ var: 'n' }, i] }] }));
    const cat = compileCatalog(rules);
    expect(cat.memoSlots).toBe(1);
    let reads = 0;
    const d = {
      n: 5,
      get items() {
        reads++;
        return [{ price: 1 }, { price: 7 }];
      },
    };
    const rt = { nowMs: NOW, memo: new Array<unknown>(cat.memoSlots) };
    expect(rules.map((_, i) => cat.predicates[i]!(d, rt))).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
      false,
      false,
      false,
      false,
    ]);
    expect(reads).toBe(1);
    cat.predicates[0]!(d, { nowMs: NOW, memo: new Array<unknown>(cat.memoSlots) });
    expect(reads).toBe(2);
    // without a memo every rule computes it itself
    cat.predicates[0]!(d, { nowMs: NOW });
    cat.predicates[1]!(d, { nowMs: NOW });
    expect(reads).toBe(4);
  });

  it('a top-level and checks its cheap conditions first: a failing comparison spares the basket loop', () => {
    const rules = [
      { and: [{ some: [{ var: 'items' }, { '>=': [{ var: 'price' }, 5] }] }, { '>=': [{ var: 'n' }, 100] }] },
    ];
    let reads = 0;
    const d = {
      n: 5,
      get items() {
        reads++;
        return [{ price: 7 }];
      },
    };
    expect(compileCatalog(rules).predicates[0]!(d, { nowMs: NOW })).toBe(false);
    expect(reads).toBe(0);
    expect(compileCatalog(rules, { reorder: false }).predicates[0]!(d, { nowMs: NOW })).toBe(false);
    expect(reads).toBe(1);
  });

  it('a sub-expression inside a loop body reads the item, not the context: it is never shared with the same text outside', () => {
    const inner = { '>=': [{ var: 'price' }, 5] };
    const costly = { some: [{ var: 'xs' }, inner] };
    // the same `some` text at the top and inside another loop's body means different data
    const rules = [{ and: [costly, { '!!': 1 }] }, { some: [{ var: 'groups' }, costly] }, costly];
    const cat = compileCatalog(rules);
    const d = { xs: [{ price: 1 }], groups: [{ xs: [{ price: 9 }] }] };
    const rt = { nowMs: NOW, memo: new Array<unknown>(cat.memoSlots) };
    expect(cat.predicates.map((p) => p(d, rt))).toEqual(rules.map((r) => truthy(jsonLogic.apply(r, d))));
    expect(cat.predicates.map((p) => p(d, rt))).toEqual([false, true, false]);
  });

  it('canonical keys tell -0 from 0 and sort object keys', () => {
    expect(canonicalKey({ '/': [1, -0] })).not.toBe(canonicalKey({ '/': [1, 0] }));
    expect(canonicalKey({ b: 1, a: [null, 'x'] })).toBe(canonicalKey({ a: [null, 'x'], b: 1 }));
    const cat = compileCatalog([{ and: [{ '/': [1, -0] }, 1] }, { and: [{ '/': [1, 0] }, 1] }]);
    expect(cat.predicates.map((p) => p({}, { nowMs: NOW, memo: new Array<unknown>(cat.memoSlots) }))).toEqual([
      true,
      true,
    ]);
    const sum = compileCatalog([{ '<': [{ '/': [1, -0] }, 0] }, { '<': [{ '/': [1, 0] }, 0] }]);
    const rt = { nowMs: NOW, memo: new Array<unknown>(sum.memoSlots) };
    expect(sum.predicates.map((p) => p({}, rt))).toEqual([true, false]);
  });
});

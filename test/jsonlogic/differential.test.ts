import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import jsonLogic from 'json-logic-js';
import { describe, expect, it } from 'vitest';
import { compileLogic, compilePredicate, truthy } from '../../src/jsonlogic/index.js';

const rt = { nowMs: Date.UTC(2026, 10, 23, 9, 15) };

const scalar = fc.oneof(
  fc.integer({ min: -5, max: 20 }),
  fc.constantFrom(0, -0, 1.5, 0.1, 100),
  fc.constantFrom('', 'a', 'b', 'coffee', '1', '10', 'x.y', '0'),
  fc.boolean(),
  fc.constant(null),
);
const value = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.record({ x: scalar, y: fc.array(scalar, { maxLength: 3 }) }) },
);
const data = fc.record({
  a: value,
  b: value,
  n: fc.integer({ min: -3, max: 50 }),
  s: fc.constantFrom('coffee', 'tea', '', '42'),
  items: fc.array(
    fc.record({ price: fc.integer({ min: 0, max: 30 }), cat: fc.constantFrom('coffee', 'tea', 'cake') }),
    { maxLength: 4 },
  ),
  nums: fc.array(fc.integer({ min: -5, max: 5 }), { maxLength: 5 }),
});

const varPath = fc.constantFrom(
  'a',
  'b',
  'n',
  's',
  'items',
  'nums',
  'a.x',
  'a.y',
  'a.0',
  'b.y.1',
  'items.0.price',
  'nope',
  'nope.deeper',
  '',
  'price',
  'cat',
);

const rule: fc.Arbitrary<unknown> = fc.letrec<{ rule: unknown; inner: unknown }>((tie) => ({
  rule: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 3, arbitrary: scalar },
    { weight: 4, arbitrary: varPath.map((p) => ({ var: p })) },
    { weight: 1, arbitrary: fc.tuple(varPath, scalar).map(([p, d]) => ({ var: [p, d] })) },
    { weight: 1, arbitrary: varPath.map((p) => ({ var: [p] })) },
    {
      weight: 4,
      arbitrary: fc
        .tuple(
          fc.constantFrom('==', '===', '!=', '!==', '>', '>=', '<', '<=', '%', '/', '-', 'in', 'substr'),
          tie('rule'),
          tie('rule'),
        )
        .map(([op, x, y]) => ({ [op]: [x, y] })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('<', '<=', 'substr'), tie('rule'), tie('rule'), tie('rule'))
        .map(([op, x, y, z]) => ({ [op]: [x, y, z] })),
    },
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          fc.constantFrom('and', 'or', 'if', '?:', '+', '*', 'min', 'max', 'cat', 'merge', 'missing'),
          fc.array(tie('rule'), { minLength: 0, maxLength: 4 }),
        )
        .map(([op, xs]) => ({ [op]: xs })),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.constantFrom('!', '!!', '-', '+'), tie('rule')).map(([op, x]) => ({ [op]: x })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: 0, max: 3 }), fc.array(varPath, { maxLength: 3 }))
        .map(([n, ks]) => ({ missing_some: [n, ks] })),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.constantFrom('filter', 'map', 'all', 'none', 'some'),
          fc.constantFrom({ var: 'items' }, { var: 'nums' }, { var: 'a' }, { var: 'a.y' }),
          tie('inner'),
        )
        .map(([op, arr, body]) => ({ [op]: [arr, body] })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom({ var: 'nums' }, { var: 'items' }, { var: 'a' }),
          tie('inner'),
          fc.option(scalar, { nil: undefined }),
        )
        .map(([arr, body, init]) => (init === undefined ? { reduce: [arr, body] } : { reduce: [arr, body, init] })),
    },
  ),
  inner: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(
      { var: '' },
      { var: 'price' },
      { var: 'cat' },
      { var: 'current' },
      { var: 'accumulator' },
      { var: 'current.price' },
    ),
    fc
      .tuple(fc.constantFrom('>', '==', '+', '*', 'in', 'cat', 'and'), tie('inner'), tie('rule'))
      .map(([op, x, y]) => ({ [op]: [x, y] })),
    fc.constant({ '+': [{ var: 'accumulator' }, { var: 'current' }] }),
    fc.constant({ '+': [{ var: 'accumulator' }, { var: 'current.price' }] }),
  ),
})).rule;

function run(f: () => unknown): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: f() };
  } catch {
    return { ok: false };
  }
}

describe('json-logic compiler — differential against json-logic-js', () => {
  it('any random rule on any random data gives exactly what json-logic-js gives', () => {
    fc.assert(
      fc.property(rule, data, (r, d) => {
        const expected = run(() => jsonLogic.apply(r, d));
        const fn = compileLogic(r);
        const actual = run(() => fn(d, rt));
        if (!expected.ok) {
          // the reference throws (e.g. "*" without operands): so must the compiled rule
          expect(actual.ok).toBe(false);
          return true;
        }
        expect(actual.ok).toBe(true);
        // strict deep equality: tells 0 from -0 and compares NaN to NaN
        if (!isDeepStrictEqual((actual as { value: unknown }).value, expected.value)) {
          expect((actual as { value: unknown }).value).toStrictEqual(expected.value);
        }
        return true;
      }),
      { numRuns: 4000 },
    );
  });

  it('an and / or / if of hundreds of operands (compiled to statements) gives what json-logic-js gives, at the top and inside some / reduce', () => {
    const wide = fc
      .tuple(
        fc.constantFrom('and', 'or', 'if'),
        fc.array(rule, { minLength: 65, maxLength: 160 }),
        fc.constantFrom('top', 'some', 'reduce'),
      )
      .map(([op, xs, at]) => {
        const w = { [op]: xs };
        return at === 'top'
          ? w
          : at === 'some'
            ? { some: [{ var: 'items' }, w] }
            : { reduce: [{ var: 'nums' }, { or: [w, { var: 'accumulator' }] }, 0] };
      });
    fc.assert(
      fc.property(wide, data, (r, d) => {
        const expected = run(() => jsonLogic.apply(r, d));
        const actual = run(() => compileLogic(r)(d, rt));
        expect(actual.ok).toBe(expected.ok);
        if (expected.ok && !isDeepStrictEqual((actual as { value: unknown }).value, expected.value)) {
          expect((actual as { value: unknown }).value).toStrictEqual(expected.value);
        }
        const pred = run(() => compilePredicate(r)(d, rt));
        if (expected.ok) expect((pred as { value: unknown }).value).toBe(truthy(expected.value));
        return true;
      }),
      { numRuns: 300 },
    );
  });

  it('a rule compiled as a predicate gives the JsonLogic truthiness of what json-logic-js gives', () => {
    fc.assert(
      fc.property(rule, data, (r, d) => {
        const expected = run(() => truthy(jsonLogic.apply(r, d)));
        const actual = run(() => compilePredicate(r)(d, rt));
        expect(actual.ok).toBe(expected.ok);
        if (expected.ok) expect((actual as { value: unknown }).value).toBe(expected.value);
        return true;
      }),
      { numRuns: 2000 },
    );
  });
});

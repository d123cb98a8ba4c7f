import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { NboError } from '../../src/errors/codes.js';
import { nestedDeeperThan } from '../../src/events/json-nesting.js';
import { checkPayload, DEFAULT_LIMITS, isWellFormed, limitErrors, withinLimits } from '../../src/events/limits.js';
import { createEventValidator } from '../../src/events/validate.js';
import { T0 } from '../support/events.js';

const base = { id: 'e-1', type: 'purchase', customerId: 'c-42', time: '2026-11-23T09:15:00Z' };
/** `{ a: { a: … } }`: `levels` objects, the outermost included. */
const nested = (levels: number): Record<string, unknown> => {
  let v: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < levels; i++) v = { a: v };
  return v;
};
const errorsOf = (validate: ReturnType<typeof createEventValidator>, e: unknown) => {
  const r = validate(e);
  return r.ok ? [] : r.errors;
};

describe('input limits — the one validator of HTTP and Kafka events', () => {
  const validate = createEventValidator({ clock: () => T0 });

  it('data is level 1: 32 levels pass, 33 are refused at the path of the 33rd', () => {
    expect(validate({ ...base, data: nested(32) }).ok).toBe(true);
    const errs = errorsOf(validate, { ...base, data: nested(33) });
    expect(errs).toEqual([{ path: `$.data${'.a'.repeat(32)}`, message: 'is nested deeper than 32 levels' }]);
  });

  it('arrays count as levels, and paths show their indexes', () => {
    const errs = errorsOf(validate, { ...base, data: { xs: [1, [2, [3]]] } });
    expect(errs).toEqual([]);
    const tight = createEventValidator({ clock: () => T0, limits: { ...DEFAULT_LIMITS, maxDepth: 2 } });
    expect(errorsOf(tight, { ...base, data: { xs: [1, [2]] } })).toEqual([
      { path: '$.data.xs[1]', message: 'is nested deeper than 2 levels' },
    ]);
  });

  it('string and key lengths, lone surrogates in keys, values and the id', () => {
    const errs = errorsOf(validate, {
      ...base,
      id: 'e-\ud800',
      data: { s: 'x'.repeat(4097), ['k'.repeat(129)]: 1, 'a\udfffb': 1, ok: ['\ud83d\ude00', 'fine'] },
    });
    expect(errs).toHaveLength(4);
    expect(errs).toEqual(
      expect.arrayContaining([
        { path: '$.id', message: 'holds a lone UTF-16 surrogate (not valid Unicode)' },
        { path: '$.data.s', message: 'is a string longer than 4096 characters' },
        { path: `$.data.${'k'.repeat(64)}…`, message: 'is a key longer than 128 characters' },
        { path: '$.data["a\\udfffb"]', message: 'is a key holding a lone UTF-16 surrogate (not valid Unicode)' },
      ]),
    );
  });

  it('reports at most 10 paths, however many fields are over', () => {
    const data = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, 'x'.repeat(5000)]));
    expect(errorsOf(validate, { ...base, data })).toHaveLength(10);
  });

  it('baskets: items and distinct categories, in any event type and in a decide context', () => {
    const basket = (n: number, cats: number) => ({
      total: 1,
      items: Array.from({ length: n }, (_, i) => ({ sku: `s${i}`, category: `c${i % cats}`, price: 1, qty: 1 })),
    });
    expect(validate({ ...base, type: 'checkout', channel: 'pos', data: { basket: basket(500, 100) } }).ok).toBe(true);
    expect(errorsOf(validate, { ...base, type: 'quote', data: { basket: basket(10, 10), n: 1 } })).toEqual([]);
    expect(
      errorsOf(validate, {
        ...base,
        type: 'quote',
        data: { basket: { categories: Array.from({ length: 150 }, (_, i) => `c${i % 101}`) } },
      }),
    ).toEqual([{ path: '$.data.basket.categories', message: 'has more than 100 distinct categories' }]);
    expect(checkPayload({ basket: basket(501, 1) }, '$.context', DEFAULT_LIMITS)).toEqual([
      { path: '$.context.basket.items', message: 'has more than 500 items' },
    ]);
  });

  it('property — isWellFormed agrees with a round trip through UTF-8', () => {
    const units = fc
      .array(fc.oneof(fc.integer({ min: 0xd7f0, max: 0xe010 }), fc.integer({ min: 0x20, max: 0x7e })), { maxLength: 8 })
      .map((cs) => String.fromCharCode(...cs));
    fc.assert(
      fc.property(units, (s) => {
        expect(isWellFormed(s)).toBe(Buffer.from(s, 'utf8').toString('utf8') === s);
      }),
      { numRuns: 2000 },
    );
  });

  it('property — the allocation-free check passes exactly the values the reporting walk finds nothing in', () => {
    // small limits, so that every one of them is often crossed
    const limits = { ...DEFAULT_LIMITS, maxDepth: 3, maxStringLength: 5, maxKeyLength: 3 };
    const text = fc.string({ unit: fc.constantFrom('a', 'b', '\ud800', '\udc00', '\u{1f600}'), maxLength: 7 });
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        text,
        fc.integer(),
        fc.constant(null),
        fc.boolean(),
        tie('list'),
        tie('object'),
      ),
      list: fc.array(tie('value'), { maxLength: 4 }),
      object: fc.dictionary(text, tie('value'), { maxKeys: 4 }),
    }));
    let refused = 0;
    fc.assert(
      fc.property(value, fc.integer({ min: 1, max: 4 }), (v, depth) => {
        const clean = limitErrors(v, '$', limits, depth).length === 0;
        if (!clean) refused++;
        expect(withinLimits(v, depth, limits)).toBe(clean);
      }),
      { numRuns: 3000 },
    );
    expect(refused).toBeGreaterThan(300); // both answers were exercised
  });

  it('a 200,000-level-deep value is checked without overflowing the stack', () => {
    let v: unknown = 1;
    for (let i = 0; i < 200_000; i++) v = [v];
    expect(checkPayload({ v }, '$.data', DEFAULT_LIMITS)[0]!.message).toBe('is nested deeper than 32 levels');
  });
});

describe('JSON nesting before parsing', () => {
  it('counts brackets outside strings only', () => {
    const enc = (s: string) => Buffer.from(s);
    expect(nestedDeeperThan(enc('[[[]]]'), 3)).toBe(false);
    expect(nestedDeeperThan(enc('[[[[]]]]'), 3)).toBe(true);
    // a text no longer than the limit is not read (it cannot be deeper); one byte more is
    expect(nestedDeeperThan(enc('[[['), 3)).toBe(false);
    expect(nestedDeeperThan(enc('[[[['), 3)).toBe(true);
    expect(nestedDeeperThan(enc('{"a":"[[[[[[\\"[[[[","b":[1]}'), 2)).toBe(false);
    expect(nestedDeeperThan(enc(`{"k":${'['.repeat(20_001)}${']'.repeat(20_001)}}`))).toBe(true);
  });
});

describe('input limits — configuration', () => {
  it('defaults, overrides and bounds', () => {
    expect(loadConfig({}).limits).toEqual(DEFAULT_LIMITS);
    expect(loadConfig({ NBO_MAX_DEPTH: '8', NBO_MAX_BASKET_CATEGORIES: '1000' }).limits).toMatchObject({
      maxDepth: 8,
      maxBasketCategories: 1000,
    });
    let err: unknown;
    try {
      loadConfig({ NBO_MAX_DEPTH: '1000', NBO_MAX_STRING_LENGTH: '0' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NboError);
    expect((err as NboError).details).toEqual([
      'NBO_MAX_DEPTH="1000" must be an integer from 1 to 256',
      'NBO_MAX_STRING_LENGTH="0" must be an integer from 1 to 67108864',
    ]);
  });
});

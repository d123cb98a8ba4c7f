import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkLogic, compileLogic, LogicError, traceLogic } from '../../src/jsonlogic/index.js';
import { runConformance } from '../../src/jsonlogic/conformance.js';

const rt = { nowMs: Date.parse('2026-11-23T09:15:00Z') };
const SUITE = new URL('../../../shared/conformance/jsonlogic-tests.json', import.meta.url);

describe('json-logic compiler', () => {
  it.runIf(existsSync(SUITE))('passes the official JsonLogic suite', () => {
    const res = runConformance(JSON.parse(readFileSync(SUITE, 'utf8')));
    expect(res.failures).toEqual([]);
    expect(res.passed).toBe(280);
  });

  it('compiles the comparison-heavy shape of an offer rule', () => {
    const fn = compileLogic({
      and: [
        { '>=': [{ var: 'customer.agg.spend_30d' }, 50] },
        { in: ['coffee', { var: 'event.data.basket.categories' }] },
      ],
    });
    const ctx = (spend: number, cats: string[]) => ({
      customer: { agg: { spend_30d: spend } },
      event: { data: { basket: { categories: cats } } },
    });
    expect(fn(ctx(60, ['coffee', 'tea']), rt)).toBe(true);
    expect(fn(ctx(40, ['coffee']), rt)).toBe(false);
    expect(fn(ctx(60, ['tea']), rt)).toBe(false);
    expect(fn({}, rt)).toBe(false);
  });

  it('treats rule strings as data, never as code', () => {
    const evil = '"); globalThis["pwned"] = 1; ("'; // no dot: var splits paths on dots
    const fn = compileLogic({ '==': [{ var: evil }, evil] });
    expect(fn({ [evil]: evil }, rt)).toBe(true);
    expect((globalThis as Record<string, unknown>).pwned).toBeUndefined();
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal that must not become a template
    expect(compileLogic({ cat: ['a', '\u2028', "'`${x}`"] })({}, rt)).toBe("a\u2028'`${x}`");
  });

  it('refuses unknown operators, all of them, with their JSON paths', () => {
    const issues = checkLogic(
      { and: [{ frobnicate: [1] }, { or: [{ method: ['x', 'toUpperCase'] }] }] },
      '$.eligibility',
    );
    expect(issues.map((i) => [i.code, i.path])).toEqual([
      ['unknown_operator', '$.eligibility.and[0].frobnicate'],
      ['unknown_operator', '$.eligibility.and[1].or[0].method'],
    ]);
    expect(() => compileLogic({ log: 1 })).toThrow(LogicError);
  });

  it('refuses var paths through __proto__, constructor and prototype', () => {
    for (const p of ['__proto__.polluted', 'a.constructor', 'x.prototype.y']) {
      const issues = checkLogic({ '==': [{ var: p }, 1] });
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatchObject({ code: 'forbidden_path', path: '$["=="][0].var' });
    }
    // computed at run time: refused then, reading as "not found"
    const fn = compileLogic({ var: [{ cat: ['__proto__', '.x'] }, 'nf'] });
    expect(fn({}, rt)).toBe('nf');
  });

  it('checks the arity of custom operators', () => {
    expect(checkLogic({ days_since: [] })[0]).toMatchObject({ code: 'arity', path: '$.days_since' });
    expect(checkLogic({ sum_by: [[1], 'a', 'b'] })[0]).toMatchObject({ code: 'arity' });
  });
});

describe('custom operators', () => {
  it('days_since, hours_since, days_until measure against the decision clock', () => {
    expect(compileLogic({ days_since: '2026-11-13T09:15:00Z' })({}, rt)).toBe(10);
    expect(compileLogic({ hours_since: '2026-11-23T06:15:00Z' })({}, rt)).toBe(3);
    expect(compileLogic({ days_until: '2026-11-30T09:15:00Z' })({}, rt)).toBe(7);
    expect(compileLogic({ days_since: { var: 'missing' } })({}, rt)).toBeNull();
    expect(compileLogic({ days_since: 'not a date' })({}, rt)).toBeNull();
  });

  it('count and sum_by read arrays and skip what is not a number', () => {
    const items = [{ qty: 2, price: 3 }, { qty: 1, price: 'x' }, { price: 4 }];
    expect(compileLogic({ count: { var: 'items' } })({ items }, rt)).toBe(3);
    expect(compileLogic({ count: { var: 'nope' } })({}, rt)).toBe(0);
    expect(compileLogic({ sum_by: [{ var: 'items' }, 'price'] })({ items }, rt)).toBe(7);
    expect(compileLogic({ sum_by: [{ var: 'n' }] })({ n: [1, 2, 'x', 4] }, rt)).toBe(7);
  });
});

describe('trace mode', () => {
  const rule = {
    and: [
      { '>=': [{ var: 'customer.agg.spend_30d' }, 50] },
      { if: [{ var: 'customer.profile.vip' }, true, { in: ['coffee', { var: 'event.data.basket.categories' }] }] },
    ],
  };

  it('names the failing sub-condition of an and, with the values it saw', () => {
    const res = traceLogic(rule, { customer: { agg: { spend_30d: 12 } } }, rt, '$.eligibility');
    expect(res.passed).toBe(false);
    expect(res.failure).toEqual({ path: '$.eligibility.and[0]', rule: rule.and[0], values: [12, 50] });
  });

  it('follows the branch an if took', () => {
    const res = traceLogic(
      rule,
      { customer: { agg: { spend_30d: 80 }, profile: {} }, event: { data: { basket: { categories: ['tea'] } } } },
      rt,
      '$.eligibility',
    );
    expect(res.failure).toMatchObject({ path: '$.eligibility.and[1].if[2]', values: ['coffee', ['tea']] });
  });

  it('reports nothing failed when the rule holds', () => {
    const res = traceLogic(rule, { customer: { agg: { spend_30d: 80 }, profile: { vip: true } } }, rt);
    expect(res).toEqual({ value: true, passed: true });
  });
});

import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { buildContext, withBasketCategories } from '../../src/decide/context.js';
import { createDecider } from '../../src/decide/decider.js';
import { createMemoryStore } from '../../src/state/memory-store.js';
import { stateModelFrom } from '../../src/state/model.js';
import { offer, ruleSet } from '../support/rules.js';

describe('withBasketCategories', () => {
  it.each([3, 32, 33, 5000])('lists the distinct categories in first-seen order for %i items', (n) => {
    const items = Array.from({ length: n }, (_, i) => ({ sku: `s${i}`, category: `c${(i * 7) % 11}` }));
    items.push({ sku: 'x', category: 42 as unknown as string }, null as unknown as { sku: string; category: string });
    const data = { basket: { items } };
    const out = withBasketCategories(data) as { basket: { categories: string[] } };
    const expected: string[] = [];
    for (const it of items)
      if (typeof it?.category === 'string' && !expected.includes(it.category)) expected.push(it.category);
    expect(out.basket.categories).toEqual(expected);
    expect(data.basket).not.toHaveProperty('categories'); // the caller's object is not changed
  });

  it('copies a "__proto__" key as an own property, as a spread does, never as the prototype', () => {
    const data = JSON.parse(
      '{"__proto__": {"tier": "gold"}, "basket": {"__proto__": {"x": 1}, "items": [{"category": "a"}]}}',
    );
    const out = withBasketCategories(data) as Record<string, unknown> & { basket: Record<string, unknown> };
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(out.basket)).toBe(Object.prototype);
    expect(out.tier).toBeUndefined();
    expect(Object.keys(out)).toEqual(['__proto__', 'basket']);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ tier: 'gold' });
    expect(out.basket.categories).toEqual(['a']);
  });

  it('leaves nothing in the old generation: the copies die in young-generation collections', () => {
    // a spread literal's copies of the context went to the old generation (about 170 bytes a
    // call), garbage that brought full collections sooner at thousands of decisions a second
    setFlagsFromString('--expose_gc');
    const gc = runInNewContext('gc') as (opts?: { type: 'minor' | 'major' }) => void;
    const old = () => getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')!.space_used_size;
    const bodies = Array.from({ length: 50 }, (_, k) =>
      JSON.stringify({
        store: `s${k}`,
        basket: {
          total: k * 3.5,
          items: [
            { sku: `a${k}`, category: `c${k % 7}`, price: k },
            { sku: 'b', category: 'c1' },
          ],
        },
      }),
    );
    let kept = 0;
    const run = (n: number) => {
      for (let i = 0; i < n; i++) {
        kept += Object.keys(withBasketCategories(JSON.parse(bodies[i % bodies.length]!))).length;
        if (i % 500 === 499) gc({ type: 'minor' });
      }
    };
    run(20_000); // warmed up: the code optimized
    gc();
    const before = old();
    run(50_000);
    expect(kept).toBe(70_000 * 2);
    expect((old() - before) / 50_000).toBeLessThan(16);
  });

  it('keeps categories the sender gave, and data without a basket as it is', () => {
    const given = { basket: { items: [{ category: 'a' }], categories: ['z'] } };
    expect(withBasketCategories(given)).toBe(given);
    const none = { store: 's1' };
    expect(withBasketCategories(none)).toBe(none);
  });
});

describe('buildContext — now', () => {
  it('follows the clock from one decision to the next', () => {
    const snap = { customerId: 'c', profile: {}, agg: {}, household: null, offers: {} };
    const at = (iso: string) => buildContext(snap, 'pos', null, {}, Date.parse(iso)).now;
    expect(at('2026-03-01T23:59:59.999Z')).toEqual({ iso: '2026-03-01T23:59:59.999Z', hour: 23, dow: 0 });
    expect(at('2026-03-02T08:00:00.000Z')).toEqual({ iso: '2026-03-02T08:00:00.000Z', hour: 8, dow: 1 });
    expect(at('2026-03-02T08:00:00.000Z')).toEqual({ iso: '2026-03-02T08:00:00.000Z', hour: 8, dow: 1 });
    expect(at('2026-03-01T23:59:59.999Z').hour).toBe(23);
  });
});

describe('a decision’s time', () => {
  it('is the clock’s reading of that decision, to the millisecond', async () => {
    let now = Date.parse('2026-11-23T09:15:00.000Z');
    const rules = ruleSet({ offers: [offer('o1')] });
    const store = createMemoryStore({ clock: () => now });
    store.setModel(stateModelFrom(rules));
    const decider = createDecider({ store, rules: () => rules, clock: () => now, exploration: 'mean' });
    const decide = () => decider.decide({ customerId: 'c1', channel: 'pos', trigger: null, context: {} });
    for (const step of [0, 1, 0, 86_400_000, 1]) {
      now += step;
      expect((await decide()).time).toBe(new Date(now).toISOString());
    }
  });
});

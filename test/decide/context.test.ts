import { describe, expect, it } from 'vitest';
import { withBasketCategories } from '../../src/decide/context.js';

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

  it('keeps categories the sender gave, and data without a basket as it is', () => {
    const given = { basket: { items: [{ category: 'a' }], categories: ['z'] } };
    expect(withBasketCategories(given)).toBe(given);
    const none = { store: 's1' };
    expect(withBasketCategories(none)).toBe(none);
  });
});

import { describe, expect, it } from 'vitest';
import { changedPaths, diffRuleSets, isEmptyDiff } from '../../src/rules/diff.js';
import { offer, ruleSet } from '../support/rules.js';

describe('rules diff', () => {
  it('names offers added, removed and changed, with the JSON paths of the changed fields', () => {
    const a = ruleSet({
      offers: [
        offer('keep'),
        offer('gone'),
        offer('edit', { value: 1, caps: { customer: [{ outcome: 'offered', max: 3, window: '7d' }] } }),
      ],
    });
    const b = ruleSet({
      offers: [
        offer('keep'),
        offer('new'),
        offer('edit', { value: 2, caps: { customer: [{ outcome: 'offered', max: 5, window: '7d' }] }, weight: 2 }),
      ],
    });
    const d = diffRuleSets(a, b);
    expect(d).toMatchObject({
      from: a.version,
      to: b.version,
      added: ['new'],
      removed: ['gone'],
      changed: [{ id: 'edit', fields: ['$.caps.customer[0].max', '$.value', '$.weight'] }],
    });
    expect(isEmptyDiff(d)).toBe(false);
    expect(isEmptyDiff(diffRuleSets(a, a))).toBe(true);
  });

  it('names aggregates and segmentations added, removed or redefined', () => {
    const a = ruleSet({
      aggregates: {
        spend_30d: { event: 'purchase', field: 'data.amount', fn: 'sum', window: '30d' },
        visits: { event: 'checkout', fn: 'count', window: '7d' },
      },
      segments: { tier: [{ id: 'all' }] },
      offers: [offer('x')],
    });
    const b = ruleSet({
      aggregates: {
        spend_30d: { event: 'purchase', field: 'data.amount', fn: 'sum', window: '60d' },
        claims: { event: 'claim', fn: 'count' },
      },
      segments: { tier: [{ id: 'all' }], life: [{ id: 'any' }] },
      offers: [offer('x')],
    });
    const d = diffRuleSets(a, b);
    expect(d.aggregates).toEqual({ added: ['claims'], removed: ['visits'], changed: ['spend_30d'] });
    expect(d.segmentations).toEqual({ added: ['life'], removed: [], changed: [] });
    expect(d.changed).toEqual([]);
  });

  it('changedPaths: array length and key changes, odd keys quoted', () => {
    expect(changedPaths({ a: [1, 2], 'b-c': 1 }, { a: [1], 'b-c': 2 })).toEqual(['$.a[1]', '$["b-c"]']);
    expect(changedPaths({ x: { y: 1 } }, { x: { y: 1 } })).toEqual([]);
    expect(changedPaths(1, '1')).toEqual(['$']);
  });
});

import { describe, expect, it } from 'vitest';
import { buildRuleSet, buildRuleSetSliced } from '../../src/rules/load.js';
import { readRuleFiles } from '../../src/rules/read-files.js';
import { filesOf, offer } from '../support/rules.js';
import { SAMPLE_RULES } from '../support/service.js';

describe('compiling a rule set in slices (a running instance swapping in a published set)', () => {
  it('gives what buildRuleSet gives: the same version and offers, or the same issues', async () => {
    const sample = readRuleFiles(SAMPLE_RULES);
    const a = buildRuleSet(sample);
    const b = await buildRuleSetSliced(sample);
    expect(a.ok && b.ok && b.rules.version).toBe(a.ok && a.rules.version);
    expect(b.ok && b.rules.offers.map((o) => o.id)).toEqual(a.ok && a.rules.offers.map((o) => o.id));
    const bad = filesOf({
      offers: [offer('x', { cooldown: { declined: '3w' } }), offer('x'), offer('y', { eligibility: { '≥': [1, 2] } })],
    });
    const c = buildRuleSet(bad);
    const d = await buildRuleSetSliced(bad);
    expect(c.ok).toBe(false);
    expect(d).toEqual(c);
  });

  it('lets other work run while it compiles a large catalog', async () => {
    const offers = Array.from({ length: 400 }, (_, i) =>
      offer(`o-${String(i).padStart(4, '0')}`, {
        eligibility: { and: [{ '>=': [{ var: 'customer.agg.x' }, i] }, { in: ['a', { var: 'event.data.tags' }] }] },
      }),
    );
    const files = filesOf({ aggregates: { x: { event: 'purchase', fn: 'count', window: '7d' } }, offers });
    // turns of the event loop other work got (counted, not timed: the machine may be busy)
    let turns = 0;
    let running = true;
    const other = () => {
      if (!running) return;
      turns++;
      setImmediate(other);
    };
    setImmediate(other);
    const res = await buildRuleSetSliced(files, 0); // a slice per offer
    running = false;
    expect(res.ok).toBe(true);
    expect(turns).toBeGreaterThan(100);
  });
});

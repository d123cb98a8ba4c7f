import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ownCopy } from '../../src/events/json-copy.js';
import { createEventValidator } from '../../src/events/validate.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as (opts?: { type: 'minor' | 'major' }) => void;
const oldSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')!.space_used_size;

/** Old-generation bytes per call of `fn` over fresh JSON objects, young-generation collections forced between. */
function oldGrowthPerCall(bodies: string[], fn: (o: Record<string, unknown>) => unknown): number {
  const run = (n: number) => {
    for (let i = 0; i < n; i++) {
      fn(JSON.parse(bodies[i % bodies.length]!));
      if (i % 500 === 499) gc({ type: 'minor' });
    }
  };
  run(20_000); // the code optimized
  gc();
  const before = oldSpace();
  run(50_000);
  return (oldSpace() - before) / 50_000;
}

const events = Array.from({ length: 50 }, (_, k) =>
  JSON.stringify({
    id: `e-${k}`,
    type: 'purchase',
    customerId: `c-${k % 7}`,
    time: '2026-11-23T09:15:00Z',
    ...(k % 3 === 0 ? { channel: 'pos' } : {}),
    data: { amount: k * 1.5, store: `s${k % 5}` },
  }),
);

describe('ownCopy', () => {
  it('copies own properties in order; a "__proto__" key stays an own property and the prototype is Object’s', () => {
    const o = JSON.parse('{"a": 1, "__proto__": {"tier": "gold"}, "b": [2]}') as Record<string, unknown>;
    const c = ownCopy(o);
    expect(Object.keys(c)).toEqual(['a', '__proto__', 'b']);
    expect(Object.getPrototypeOf(c)).toBe(Object.prototype);
    expect(c.tier).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(c, '__proto__')?.value).toEqual({ tier: 'gold' });
    expect(c.b).toBe(o.b);
    c.a = 9;
    expect(o.a).toBe(1);
  });

  it('a copy given a property the original lacks leaves nothing in the old generation', () => {
    // `{ ...o, timeMs: 1 }` left about 140 bytes a call there on Node 20 (a hidden class per copy)
    const copied = oldGrowthPerCall(events, (o) => {
      const c = ownCopy(o);
      c.timeMs = 1;
      return c;
    });
    expect(copied).toBeLessThan(16);
  });

  it('a validated event leaves nothing in the old generation', () => {
    const validate = createEventValidator({ clock: () => Date.parse('2026-11-23T10:00:00Z') });
    let valid = 0;
    const perEvent = oldGrowthPerCall(events, (o) => {
      if (validate(o).ok) valid++;
    });
    expect(valid).toBe(70_000);
    expect(perEvent).toBeLessThan(16);
  });
});

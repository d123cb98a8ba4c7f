import { describe, expect, it } from 'vitest';
import { createEventValidator } from '../../src/events/validate.js';
import { T0 } from '../support/events.js';

const validate = createEventValidator({ clock: () => T0 });
const base = { id: 'e-1', type: 'purchase', customerId: 'c-42', time: '2026-11-23T09:15:00Z', data: { amount: 23.5 } };
const errorsOf = (e: unknown) => {
  const r = validate(e);
  return r.ok ? [] : r.errors;
};

describe('event validation', () => {
  it('accepts the contract example and parses its time once', () => {
    const r = validate(base);
    expect(r).toEqual({ ok: true, event: { ...base, timeMs: Date.parse(base.time) } });
  });

  it('reports every missing field and unknown field with its path', () => {
    expect(errorsOf({ type: 'purchase', colour: 1 })).toEqual(
      expect.arrayContaining([
        { path: '$.id', message: 'is required' },
        { path: '$.customerId', message: 'is required' },
        { path: '$.time', message: 'is required' },
        { path: '$.colour', message: 'is not a field of an event' },
      ]),
    );
  });

  it('needs an ISO-8601 time with a zone, and not a day in the future', () => {
    expect(errorsOf({ ...base, time: '2026-11-23 09:15' })).toEqual([
      { path: '$.time', message: expect.stringContaining('ISO-8601') },
    ]);
    expect(errorsOf({ ...base, time: '2026-11-23T09:15:00' })).toHaveLength(1);
    expect(errorsOf({ ...base, time: '2026-11-25T09:15:00Z' })).toEqual([
      { path: '$.time', message: 'is more than 24 h in the future' },
    ]);
    expect(errorsOf({ ...base, time: '2026-11-23T10:15:00+01:00' })).toEqual([]);
  });

  it('a trigger event must carry its channel', () => {
    const checkout = { ...base, type: 'checkout', data: { basket: { total: 3 } } };
    expect(errorsOf(checkout)).toEqual([
      { path: '$.channel', message: expect.stringContaining('triggers a decision') },
    ]);
    expect(errorsOf({ ...checkout, channel: 'pos' })).toEqual([]);
  });

  it("checks the built-in types' data shapes", () => {
    expect(errorsOf({ ...base, type: 'claim', channel: 'app', data: { claimId: 'k1', amount: -5 } })).toEqual(
      expect.arrayContaining([
        { path: '$.data.kind', message: 'is required' },
        { path: '$.data.amount', message: 'must be >= 0' },
      ]),
    );
    expect(
      errorsOf({ ...base, type: 'offer_response', data: { decisionId: 'd', offerId: 'o', outcome: 'clicked' } }),
    ).toEqual([{ path: '$.data.outcome', message: 'must be one of: impression, accepted, declined, redeemed' }]);
    expect(
      errorsOf({
        ...base,
        type: 'checkout',
        channel: 'pos',
        data: { basket: { total: 5, items: [{ sku: 'a', price: 'x', qty: 1 }] } },
      }),
    ).toEqual([{ path: '$.data.basket.items[0].price', message: 'must be number' }]);
    expect(errorsOf({ ...base, type: 'household', data: { householdId: null } })).toEqual([]);
    expect(errorsOf({ ...base, type: 'profile', data: { __proto__x: 1, constructor: 2 } })).toEqual([
      { path: '$.data', message: '"constructor" is not an allowed key' },
    ]);
  });

  it('refuses customer ids with braces or spaces (they would break the Redis hash tag)', () => {
    expect(errorsOf({ ...base, customerId: 'c}42' })).toHaveLength(1);
    expect(errorsOf({ ...base, customerId: 'c 42' })).toHaveLength(1);
    expect(errorsOf({ ...base, customerId: 'ACME:c-42@eu' })).toEqual([]);
  });

  it('refuses what is not an object', () => {
    expect(validate('nope').ok).toBe(false);
    expect(validate(null).ok).toBe(false);
    expect(validate([base]).ok).toBe(false);
  });
});

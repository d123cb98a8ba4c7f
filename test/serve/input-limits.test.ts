import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { get, post, startTestService } from '../support/service.js';

const modes = [
  ['embedded', () => ({})],
  [
    'Redis',
    () => ({
      NBO_REDIS_URL: inject('redisUrl'),
      NBO_REDIS_PREFIX: `t${randomBytes(4).toString('hex')}`,
      NBO_STATS_REFRESH_MS: '50',
    }),
  ],
] as const;

/** `{ a: { a: … 1 } }`, `levels` objects deep, as a JSON text (built without recursion). */
function deepJson(levels: number): string {
  return `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
}

const cid = () => `c-${randomBytes(4).toString('hex')}`;
const event = (customerId: string, type: string, data: unknown) => ({
  id: `e-${randomBytes(6).toString('hex')}`,
  type,
  customerId,
  time: new Date().toISOString(),
  data,
});

describe.each(modes)('input limits and per-event isolation — %s', (_mode, env) => {
  let svc: Awaited<ReturnType<typeof startTestService>>;
  beforeAll(async () => {
    svc = await startTestService(env());
  });
  afterAll(async () => {
    await svc.stop();
  });

  it('a profile nested 10,000 deep is rejected by index with its path; the other events of the batch are applied, nothing of it is stored', async () => {
    const [bad, good] = [cid(), cid()];
    const goodEvent = event(good, 'profile', { tier: 'gold' });
    const body = `[${JSON.stringify(goodEvent)},{"id":"e-deep-${bad}","type":"profile","customerId":"${bad}","time":"${new Date().toISOString()}","data":{"x":${deepJson(10_000)}}}]`;
    const r = await post(`${svc.url}/v1/events`, body);
    expect(r.status).toBe(202);
    expect(r.body.accepted).toBe(1);
    expect(r.body.rejected).toHaveLength(1);
    expect(r.body.rejected[0]).toMatchObject({ index: 1, code: 'NBO_ERR_EVENT_INVALID' });
    expect(r.body.rejected[0].errors[0].path).toMatch(/^\$\.data\.x(\.a)+$/);
    expect(r.body.rejected[0].errors[0].message).toMatch(/nested deeper than 32/);
    const read = await get(`${svc.url}/v1/customers/${bad}`);
    expect(read.status).toBe(200);
    expect(read.body.profile).toEqual({});
    expect((await get(`${svc.url}/v1/customers/${good}`)).body.profile).toEqual({ tier: 'gold' });
    const d = await post(`${svc.url}/v1/decide`, { customerId: bad, channel: 'pos' });
    expect(d.status).toBe(200);
    expect(d.body.degraded).toBe(false);
  });

  it('a lone surrogate in a profile key or value is rejected with its path; the others are applied', async () => {
    const [bad1, bad2, good] = [cid(), cid(), cid()];
    // JSON escapes: the body is valid JSON holding strings that are not valid Unicode
    const body =
      `[${JSON.stringify(event(good, 'profile', { tier: 'gold' }))},` +
      `{"id":"e-s1-${bad1}","type":"profile","customerId":"${bad1}","time":"${new Date().toISOString()}","data":{"ok\\udc00":1}},` +
      `{"id":"e-s2-${bad2}","type":"profile","customerId":"${bad2}","time":"${new Date().toISOString()}","data":{"name":["x","a\\ud800b"]}}]`;
    const r = await post(`${svc.url}/v1/events`, body);
    expect(r.status).toBe(202);
    expect(r.body.accepted).toBe(1);
    expect(r.body.rejected.map((x: { index: number }) => x.index)).toEqual([1, 2]);
    expect(r.body.rejected[0].errors[0]).toMatchObject({
      path: '$.data["ok\\udc00"]',
      message: expect.stringMatching(/lone UTF-16 surrogate/),
    });
    expect(r.body.rejected[1].errors[0]).toMatchObject({
      path: '$.data.name[1]',
      message: expect.stringMatching(/lone UTF-16 surrogate/),
    });
    for (const c of [bad1, bad2]) expect((await get(`${svc.url}/v1/customers/${c}`)).body.profile).toEqual({});
    expect((await get(`${svc.url}/v1/customers/${good}`)).body.profile).toEqual({ tier: 'gold' });
  });

  it('strings and keys over their length limits are rejected with their paths', async () => {
    const c = cid();
    const r = await post(`${svc.url}/v1/events`, [
      event(c, 'profile', { note: 'x'.repeat(4097) }),
      event(c, 'purchase', { meta: { ['k'.repeat(129)]: 1 } }),
      event(c, 'profile', { ok: 'y'.repeat(4096) }),
    ]);
    expect(r.status).toBe(202);
    expect(r.body.rejected.map((x: { index: number }) => x.index)).toEqual([0, 1]);
    expect(r.body.rejected[0].errors[0]).toMatchObject({
      path: '$.data.note',
      message: expect.stringMatching(/longer than 4096/),
    });
    expect(r.body.rejected[1].errors[0].message).toMatch(/key longer than 128/);
  });

  it('a checkout basket over the item or distinct-category limit is rejected with its path', async () => {
    const c = cid();
    const items = (n: number, cats: number) =>
      Array.from({ length: n }, (_, i) => ({ sku: `s${i}`, category: `cat-${i % cats}`, price: 1, qty: 1 }));
    const checkoutOf = (its: unknown[]) => ({
      ...event(c, 'checkout', { storeId: 's1', basket: { total: 1, items: its } }),
      channel: 'pos',
    });
    const r = await post(`${svc.url}/v1/events`, [
      checkoutOf(items(501, 10)),
      checkoutOf(items(300, 101)),
      checkoutOf(items(500, 100)),
    ]);
    expect(r.status).toBe(202);
    expect(r.body.accepted).toBe(1);
    expect(r.body.rejected).toEqual([
      {
        index: 0,
        code: 'NBO_ERR_EVENT_INVALID',
        errors: [{ path: '$.data.basket.items', message: 'has more than 500 items' }],
      },
      {
        index: 1,
        code: 'NBO_ERR_EVENT_INVALID',
        errors: [{ path: '$.data.basket.items', message: 'has more than 100 distinct categories' }],
      },
    ]);
  });

  it('POST /v1/decide: a context too deep, with a lone surrogate or too many basket categories is a 400 naming the path', async () => {
    const deep = await post(
      `${svc.url}/v1/decide`,
      `{"customerId":"c1","channel":"pos","context":{"k":${deepJson(5000)}}}`,
    );
    expect(deep.status).toBe(400);
    expect(deep.body.code).toBe('NBO_ERR_BODY_INVALID');
    expect(deep.body.errors[0].path).toMatch(/^\$\.context\.k(\.a)+$/);
    const lone = await post(
      `${svc.url}/v1/decide`,
      '{"customerId":"c1","channel":"pos","context":{"store":"\\udfff"}}',
    );
    expect(lone.status).toBe(400);
    expect(lone.body.errors[0]).toMatchObject({
      path: '$.context.store',
      message: expect.stringMatching(/lone UTF-16 surrogate/),
    });
    const cats = await post(`${svc.url}/v1/decide`, {
      customerId: 'c1',
      channel: 'pos',
      context: { basket: { total: 1, categories: Array.from({ length: 101 }, (_, i) => `c${i}`) } },
    });
    expect(cats.status).toBe(400);
    expect(cats.body.errors[0]).toEqual({
      path: '$.context.basket.categories',
      message: 'has more than 100 distinct categories',
    });
  });
});

describe('input limits are configurable', () => {
  it('NBO_MAX_DEPTH and NBO_MAX_STRING_LENGTH reach events and the decide context', async () => {
    const svc = await startTestService({ NBO_MAX_DEPTH: '2', NBO_MAX_STRING_LENGTH: '5' });
    try {
      const c = cid();
      const r = await post(`${svc.url}/v1/events`, [
        event(c, 'profile', { a: { b: 1 } }),
        event(c, 'profile', { a: { b: { c: 1 } } }),
        event(c, 'profile', { s: 'sixsix' }),
      ]);
      expect(r.body.accepted).toBe(1);
      expect(r.body.rejected).toEqual([
        {
          index: 1,
          code: 'NBO_ERR_EVENT_INVALID',
          errors: [{ path: '$.data.a.b', message: 'is nested deeper than 2 levels' }],
        },
        {
          index: 2,
          code: 'NBO_ERR_EVENT_INVALID',
          errors: [{ path: '$.data.s', message: 'is a string longer than 5 characters' }],
        },
      ]);
      const d = await post(`${svc.url}/v1/decide`, {
        customerId: c,
        channel: 'pos',
        context: { store: { id: { x: 1 } } },
      });
      expect(d.status).toBe(400);
      expect(d.body.errors).toEqual([{ path: '$.context.store.id', message: 'is nested deeper than 2 levels' }]);
    } finally {
      await svc.stop();
    }
  });
});

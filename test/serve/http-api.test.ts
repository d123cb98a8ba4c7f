import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { checkout, get, post, startTestService } from '../support/service.js';

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

describe.each(modes)('HTTP API — %s', (_mode, env) => {
  let svc: Awaited<ReturnType<typeof startTestService>>;
  beforeAll(async () => {
    svc = await startTestService(env());
  });
  afterAll(async () => {
    await svc.stop();
  });
  const cid = () => `c-${randomBytes(4).toString('hex')}`;

  it('POST /v1/decide answers 200 with the contract fields', async () => {
    const r = await post(`${svc.url}/v1/decide`, {
      customerId: cid(),
      channel: 'pos',
      trigger: 'checkout',
      context: { basket: { total: 50 } },
      limit: 2,
      explain: true,
    });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual([
      'candidates',
      'channel',
      'customerId',
      'decisionId',
      'degraded',
      'explanation',
      'offers',
      'policy',
      'rulesVersion',
    ]);
    expect(r.body.offers.length).toBeGreaterThan(0);
    expect(r.body.offers[0]).toEqual({
      offerId: expect.any(String),
      name: expect.any(String),
      score: expect.any(Number),
      propensity: expect.any(Number),
      value: expect.any(Number),
      payload: expect.any(Object),
      probability: expect.any(Number),
    });
    expect(r.body.policy).toBe('default');
    expect(r.body.candidates.map((c: { offerId: string }) => c.offerId)).toEqual(
      expect.arrayContaining(r.body.offers.map((o: { offerId: string }) => o.offerId)),
    );
    expect(r.body.explanation.offers.length).toBe(21);
  });

  it('an invalid decide body is a 400 problem listing every offending path', async () => {
    const r = await post(`${svc.url}/v1/decide`, { channel: 'POS!', limit: 99, extra: 1 });
    expect(r.status).toBe(400);
    expect(r.type).toBe('application/problem+json');
    expect(r.body).toMatchObject({ type: 'urn:nbo:error:NBO_ERR_BODY_INVALID', status: 400 });
    expect(r.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      '$.channel',
      '$.customerId',
      '$.extra',
      '$.limit',
    ]);
  });

  it('malformed JSON is 400, an oversized body 413, an unknown route 404, a wrong method 405 with Allow', async () => {
    expect((await post(`${svc.url}/v1/decide`, '{"customerId":')).body.code).toBe('NBO_ERR_BODY_MALFORMED');
    const big = await post(`${svc.url}/v1/events`, 'x'.repeat(1_100_000));
    expect(big.status).toBe(413);
    expect((await get(`${svc.url}/v1/nope`)).status).toBe(404);
    const wrong = await fetch(`${svc.url}/v1/decide`, { method: 'GET' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
  });

  it('POST /v1/events applies the valid events, reports the rejected ones by index, and counts duplicates', async () => {
    const c = cid();
    const purchase = {
      id: `p-${c}`,
      type: 'purchase',
      customerId: c,
      time: new Date().toISOString(),
      data: { amount: 30 },
    };
    const r = await post(`${svc.url}/v1/events`, [purchase, { type: 'purchase' }, checkout(c)]);
    expect(r.status).toBe(202);
    expect(r.body.accepted).toBe(2);
    expect(r.body.duplicates).toBe(0);
    expect(r.body.rejected).toEqual([
      {
        index: 1,
        code: 'NBO_ERR_EVENT_INVALID',
        errors: expect.arrayContaining([{ path: '$.id', message: 'is required' }]),
      },
    ]);
    const again = await post(`${svc.url}/v1/events`, purchase); // one event, not a list
    expect(again.body).toEqual({ accepted: 0, duplicates: 1, rejected: [] });
    const state = await get(`${svc.url}/v1/customers/${c}`);
    expect(state.body.agg.spend_30d).toBe(30);
    expect(state.body.agg.visits_7d).toBe(1);
  });

  it('POST /v1/events with nothing valid is 400; a batch over the limit 413', async () => {
    const r = await post(`${svc.url}/v1/events`, [{ type: 'x' }]);
    expect(r.status).toBe(400);
    expect(r.body.rejected[0].index).toBe(0);
    const many = Array.from({ length: 1001 }, () => checkout(cid()));
    expect((await post(`${svc.url}/v1/events`, many)).status).toBe(413);
  });

  it('GET /v1/customers/{id}: an unknown customer is an empty state, not a 404', async () => {
    const r = await get(`${svc.url}/v1/customers/${cid()}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      profile: {},
      household: null,
      offers: {},
      segments: { value_tier: 'bronze', lifecycle: 'new' },
    });
    expect(r.body.agg.spend_30d).toBe(0);
  });

  it('GET /v1/customers/{id} with a malformed or invalid id is a 400 problem, never a 500', async () => {
    for (const bad of ['%E0%A4%A', 'a%7Db', '%20']) {
      const r = await get(`${svc.url}/v1/customers/${bad}`);
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('NBO_ERR_BODY_INVALID');
    }
  });

  it('GET /v1/customers/{id} shows offer history after a decision and a response', async () => {
    const c = cid();
    const d = await post(`${svc.url}/v1/decide`, {
      customerId: c,
      channel: 'pos',
      trigger: 'checkout',
      context: { basket: { total: 50 } },
    });
    const offerId = d.body.offers[0].offerId;
    await post(`${svc.url}/v1/events`, {
      id: `r-${c}`,
      type: 'offer_response',
      customerId: c,
      time: new Date().toISOString(),
      data: { decisionId: d.body.decisionId, offerId, outcome: 'accepted' },
    });
    const r = await get(`${svc.url}/v1/customers/${c}`);
    expect(r.body.offers[offerId]).toMatchObject({
      offered: 1,
      impression: 1,
      accepted: 1,
      declined: 0,
      redeemed: 0,
      lastOutcome: 'accepted',
    });
  });

  it('GET /v1/offers lists the active offers and the rules version', async () => {
    const r = await get(`${svc.url}/v1/offers`);
    expect(r.status).toBe(200);
    expect(r.body.rulesVersion).toMatch(/^[0-9a-f]{12}$/);
    expect(r.body.offers.map((o: { id: string }) => o.id)).toContain('winback-15pct');
  });

  it('/healthz and /readyz answer; /metrics exposes nbo_ metrics without customer ids', async () => {
    expect((await get(`${svc.url}/healthz`)).body).toEqual({ status: 'ok' });
    expect((await get(`${svc.url}/readyz`)).body).toMatchObject({
      ready: true,
      checks: { rules: { ok: true }, store: { ok: true }, draining: { ok: true } },
    });
    const c = cid();
    await post(`${svc.url}/v1/decide`, { customerId: c, channel: 'pos' });
    const m = await get(`${svc.url}/metrics`);
    expect(m.type).toContain('text/plain');
    for (const name of [
      'nbo_decision_duration_seconds_bucket',
      'nbo_decisions_total',
      'nbo_offers_selected_total',
      'nbo_events_total',
      'nbo_store_duration_seconds',
      'nbo_rules_info',
      'nbo_ws_connections',
      'nbo_nodejs_eventloop_lag_seconds',
      'nbo_http_requests_total',
    ]) {
      expect(m.body).toContain(name);
    }
    expect(m.body).toContain('le="0.0005"');
    expect(m.body).not.toContain(c);
  });

  it('/metrics counts the customers the in-process store holds (0 in Redis mode)', async () => {
    const held = async () =>
      Number(/^nbo_memory_store_customers (\d+)$/m.exec((await get(`${svc.url}/metrics`)).body)?.[1]);
    const before = await held();
    const ids = [cid(), cid(), cid()];
    const r = await post(
      `${svc.url}/v1/events`,
      ids.map((c) => checkout(c)),
    );
    expect(r.body).toMatchObject({ accepted: 3 });
    // applied once the customers can be read back
    for (const c of ids)
      await expect.poll(async () => (await get(`${svc.url}/v1/customers/${c}`)).body.agg?.visits_7d).toBe(1);
    expect(await held()).toBe(_mode === 'embedded' ? before + 3 : 0);
  });

  it('a channel no offer names is counted as "other", keeping label values bounded', async () => {
    await post(`${svc.url}/v1/decide`, { customerId: cid(), channel: 'kiosk-x1' });
    const m = await get(`${svc.url}/metrics`);
    expect(m.body).not.toContain('kiosk-x1');
    expect(m.body).toMatch(/nbo_decisions_total\{channel="other",result="empty"\} \d/);
  });
});

describe('keep-alive', () => {
  it('tells clients to retire idle connections before the server closes them', async () => {
    const svc = await startTestService();
    const r = await fetch(`${svc.url}/healthz`);
    expect(r.headers.get('keep-alive')).toBe('timeout=5');
    await svc.stop();
  });
});

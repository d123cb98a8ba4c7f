import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesOf, offer } from '../support/rules.js';
import { get, keysFile, post, startTestService } from '../support/service.js';

function rulesDir(spec: Parameters<typeof filesOf>[0]): string {
  const dir = mkdtempSync(join(tmpdir(), 'nbo-rules-'));
  for (const f of filesOf(spec)) {
    mkdirSync(dirname(join(dir, f.file)), { recursive: true });
    writeFileSync(join(dir, f.file), f.text);
  }
  return dir;
}

const now = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();
const DAY = 86_400_000;

describe('GET /v1/stats/offers', () => {
  let svc: Awaited<ReturnType<typeof startTestService>>;
  beforeAll(async () => {
    const dir = rulesDir({
      aggregates: { spend_30d: { event: 'purchase', field: 'data.amount', fn: 'sum', window: '30d' } },
      segments: { tier: [{ id: 'big', when: { '>=': [{ var: 'customer.agg.spend_30d' }, 100] } }, { id: 'small' }] },
      offers: [
        offer('aa-always', { weight: 0.5 }),
        offer('bb-once', { value: 10, caps: { total: [{ outcome: 'offered', max: 1 }] } }),
        offer('cc-later', { active: { from: iso(now + DAY) } }),
        offer('dd-gone', { active: { from: iso(now - 2 * DAY), to: iso(now - DAY) } }),
      ],
    });
    // ranked by the posterior mean: the test counts what was offered, so each decision must
    // pick as written below; a Thompson draw ranks aa-always (weight 0.5) above bb-once
    // (value 10) in a few decisions out of a hundred
    svc = await startTestService({ NBO_RULES_DIR: dir, NBO_EXPLORATION: 'mean' });
  });
  afterAll(async () => {
    await svc.stop();
  });

  it('counts what was offered and accepted per offer over time, with each offer’s catalog state', async () => {
    const before = await get(`${svc.url}/v1/stats/offers`);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ bucketSeconds: 10, window: 900, buckets: 90, channels: ['pos'], customers: 0 });
    const state = (b: any) => Object.fromEntries(b.offers.map((o: any) => [o.offerId, o.state]));
    expect(state(before.body)).toEqual({
      'aa-always': 'active',
      'bb-once': 'active',
      'cc-later': 'scheduled',
      'dd-gone': 'expired',
    });

    await post(`${svc.url}/v1/events`, {
      id: 'p1',
      type: 'purchase',
      customerId: 'c1',
      time: iso(now),
      data: { amount: 150 },
    });
    const d1 = await post(`${svc.url}/v1/decide`, { customerId: 'c1', channel: 'pos' });
    const d2 = await post(`${svc.url}/v1/decide`, { customerId: 'c2', channel: 'pos' });
    expect(d1.body.offers.map((o: any) => o.offerId)).toEqual(['bb-once']);
    expect(d2.body.offers.map((o: any) => o.offerId)).toEqual(['aa-always']);
    const response = (id: string, d: any, outcome: string) => ({
      id,
      type: 'offer_response',
      customerId: d.customerId,
      time: iso(Date.now()),
      data: { decisionId: d.decisionId, offerId: d.offers[0].offerId, outcome },
    });
    await post(`${svc.url}/v1/events`, [response('r1', d1.body, 'accepted'), response('r2', d2.body, 'declined')]);
    await post(`${svc.url}/v1/events`, response('r1', d1.body, 'accepted')); // a duplicate counts nothing

    const after = await get(`${svc.url}/v1/stats/offers?window=5m`);
    expect(after.body.buckets).toBe(30);
    expect(after.body.decisions.reduce((a: number, b: number) => a + b, 0)).toBe(2);
    const byId = Object.fromEntries(after.body.offers.map((o: any) => [o.offerId, o]));
    expect(byId['bb-once'].totals).toEqual({
      offered: 1,
      impression: 0,
      accepted: 1,
      declined: 0,
      redeemed: 0,
      acceptanceRate: 1,
    });
    expect(byId['aa-always'].totals).toMatchObject({ offered: 1, accepted: 0, declined: 1, acceptanceRate: 0 });
    expect(byId['cc-later'].totals.acceptanceRate).toBeNull();
    expect(byId['bb-once'].series.offered).toHaveLength(30);
    expect(byId['bb-once'].series.offered.reduce((a: number, b: number) => a + b, 0)).toBe(1);
    // its total cap on offered is reached: capped, with the cap named
    expect(byId['bb-once']).toMatchObject({
      state: 'capped',
      cap: { outcome: 'offered', max: 1, count: 1, window: null },
    });
    expect(after.body.segments).toEqual([
      {
        segmentation: 'tier',
        sizes: [
          { segment: 'big', customers: 1 },
          { segment: 'small', customers: 1 },
        ],
      },
    ]);
    expect(after.body.customers).toBe(2);
    expect(after.body.instance).toEqual(expect.any(String));
  });

  it('refuses a window it cannot read, naming the query parameter', async () => {
    for (const w of ['2h', 'soon', '0m']) {
      const r = await get(`${svc.url}/v1/stats/offers?window=${w}`);
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('NBO_ERR_BODY_INVALID');
      expect(r.body.errors[0].path).toBe('$.query.window');
    }
  });
});

describe('GET /v1/stats/offers with API keys', () => {
  it('needs the read scope', async () => {
    const { file, secrets } = keysFile([
      { id: 'r', scopes: ['read'] },
      { id: 'd', scopes: ['decide'] },
    ]);
    const svc = await startTestService({ NBO_API_KEYS_FILE: file });
    try {
      expect((await get(`${svc.url}/v1/stats/offers`)).status).toBe(401);
      expect((await get(`${svc.url}/v1/stats/offers`, { authorization: `Bearer ${secrets.d}` })).status).toBe(403);
      expect((await get(`${svc.url}/v1/stats/offers`, { authorization: `Bearer ${secrets.r}` })).status).toBe(200);
    } finally {
      await svc.stop();
    }
  });
});

import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { get, post, startTestService } from '../support/service.js';

/** Two offers: `b` wins on value until `a` is learned to be accepted far more often. */
function rulesDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nbo-forged-'));
  mkdirSync(join(dir, 'offers'));
  writeFileSync(
    join(dir, 'offers', 'two.json'),
    JSON.stringify([
      { id: 'a', name: 'A', channels: ['pos'], value: 1 },
      { id: 'b', name: 'B', channels: ['pos'], value: 1.5 },
    ]),
  );
  return dir;
}

const modes = [
  ['embedded', () => ({})],
  [
    'Redis',
    () => ({
      NBO_REDIS_URL: inject('redisUrl'),
      NBO_REDIS_PREFIX: `t${randomBytes(4).toString('hex')}`,
      NBO_STATS_REFRESH_MS: '20',
    }),
  ],
] as const;

describe.each(modes)('forged responses change nothing — %s', (_mode, env) => {
  let svc: Awaited<ReturnType<typeof startTestService>>;
  beforeAll(async () => {
    svc = await startTestService({ NBO_RULES_DIR: rulesDir(), NBO_EXPLORATION: 'mean', ...env() });
  });
  afterAll(async () => {
    await svc.stop();
  });
  const response = (customerId: string, decisionId: string, offerId: string, outcome = 'accepted') => ({
    id: `r-${randomBytes(6).toString('hex')}`,
    type: 'offer_response',
    customerId,
    time: new Date().toISOString(),
    data: { decisionId, offerId, outcome },
  });

  it('25 accepted responses naming decisions NBO never issued are refused and the winner stays', async () => {
    const before = await post(`${svc.url}/v1/decide`, { customerId: 'new-1', channel: 'pos' });
    expect(before.body.offers[0].offerId).toBe('b');
    const forged = Array.from({ length: 25 }, (_, i) => response(`attacker-${i % 3}`, `forged-${i}`, 'a'));
    // another customer's real decision, and a real decision named with an offer it did not return
    forged.push(response('attacker-0', before.body.decisionId, 'b'), response('new-1', before.body.decisionId, 'a'));
    const r = await post(`${svc.url}/v1/events`, forged);
    expect(r.status).toBe(400);
    expect(r.body.rejected).toHaveLength(27);
    expect(
      r.body.rejected.slice(0, 26).every((x: { code: string }) => x.code === 'NBO_ERR_RESPONSE_UNKNOWN_DECISION'),
    ).toBe(true);
    expect(r.body.rejected[26]).toMatchObject({
      index: 26,
      code: 'NBO_ERR_RESPONSE_OFFER_MISMATCH',
      errors: [{ path: '$.data.offerId' }],
    });
    await new Promise((res) => setTimeout(res, 100)); // a networked store's counters settle
    const after = await post(`${svc.url}/v1/decide`, { customerId: 'new-2', channel: 'pos' });
    expect(after.body.offers[0].offerId).toBe('b');
    const learning = await get(`${svc.url}/v1/learning`);
    expect(learning.body.offers.find((o: { offerId: string }) => o.offerId === 'a')).toMatchObject({
      impressions: 0,
      accepted: 0,
    });
    const attacker = await get(`${svc.url}/v1/customers/attacker-0`);
    expect(attacker.body.offers).toEqual({});
  });

  it('genuine responses to issued decisions count and are attributed to the policy', async () => {
    const events = [];
    for (let i = 0; i < 5; i++) {
      const d = await post(`${svc.url}/v1/decide`, { customerId: `real-${i}`, channel: 'pos' });
      events.push(response(`real-${i}`, d.body.decisionId, d.body.offers[0].offerId));
    }
    const r = await post(`${svc.url}/v1/events`, events);
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ accepted: 5, rejected: [] });
    let exp: Awaited<ReturnType<typeof get>> | null = null;
    for (let i = 0; i < 50; i++) {
      exp = await get(`${svc.url}/v1/experiments`);
      if (exp.body.arms[0]?.accepted === 5) break;
      await new Promise((res) => setTimeout(res, 20));
    }
    expect(exp!.body.arms).toEqual([
      expect.objectContaining({ policy: 'default', accepted: 5, impressions: 5, value: 7.5 }),
    ]);
    const metrics = (await get(`${svc.url}/metrics`)).body as string;
    expect(metrics).toMatch(/nbo_policy_outcomes_total\{policy="default",outcome="accepted"\} 5/);
    expect(metrics).toMatch(/nbo_policy_value_total\{policy="default"\} 7.5/);
  });
});

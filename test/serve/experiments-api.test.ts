import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NboError } from '../../src/errors/codes.js';
import { get, post, startTestService } from '../support/service.js';

function experimentsFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'nbo-exp-')), 'experiments.yaml');
  writeFileSync(file, text);
  return file;
}

describe('holdout and experiments over HTTP', () => {
  let svc: Awaited<ReturnType<typeof startTestService>>;
  beforeAll(async () => {
    svc = await startTestService({
      NBO_HOLDOUT_SHARE: '0.3',
      NBO_HOLDOUT_POLICY: 'none',
      NBO_LEARNING_SEGMENTATION: 'value_tier',
      NBO_EXPERIMENTS_FILE: experimentsFile(
        'name: t\narms:\n  - { id: mean-arm, share: 0.3, exploration: mean, halfLife: none }\n',
      ),
    });
  });
  afterAll(async () => {
    await svc.stop();
  });

  it('splits customers between holdout, arm and default; each decision carries its policy; results and uplift are readable', async () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 60; i++) {
      const customerId = `x-${i}`;
      const d = await post(`${svc.url}/v1/decide`, {
        customerId,
        channel: 'pos',
        trigger: 'checkout',
        context: { basket: { total: 30, categories: ['coffee'] } },
      });
      seen.set(d.body.policy, (seen.get(d.body.policy) ?? 0) + 1);
      if (d.body.policy === 'holdout') expect(d.body.offers).toEqual([]);
      else if (d.body.offers.length > 0) {
        // the same customer always gets the same policy
        expect((await post(`${svc.url}/v1/decide`, { customerId, channel: 'app' })).body.policy).toBe(d.body.policy);
        const r = await post(`${svc.url}/v1/events`, {
          id: `r-${i}`,
          type: 'offer_response',
          customerId,
          time: new Date().toISOString(),
          data: { decisionId: d.body.decisionId, offerId: d.body.offers[0].offerId, outcome: 'accepted' },
        });
        expect(r.status).toBe(202);
      }
    }
    expect([...seen.keys()].sort()).toEqual(['default', 'holdout', 'mean-arm']);
    const exp = await get(`${svc.url}/v1/experiments`);
    expect(exp.status).toBe(200);
    expect(exp.body.baseline).toBe('holdout');
    const arms = Object.fromEntries(exp.body.arms.map((a: { policy: string }) => [a.policy, a]));
    expect(arms.holdout).toMatchObject({ share: 0.3, exploration: 'none', accepted: 0, value: 0 });
    expect(arms['mean-arm']).toMatchObject({ share: 0.3, exploration: 'mean' });
    expect(arms.default).toMatchObject({ share: 0.4, exploration: 'thompson', segmentation: 'value_tier' });
    expect(arms.default.decisions + arms['mean-arm'].decisions + arms.holdout.decisions).toBeGreaterThanOrEqual(60);
    expect(arms.default.uplift.estimate).toBeGreaterThan(0);
    expect(arms.default.uplift.ci95[0]).toBeLessThanOrEqual(arms.default.uplift.estimate);
    expect(arms.holdout.uplift).toBeUndefined();

    const learning = await get(`${svc.url}/v1/learning`);
    const one = learning.body.offers.find((o: { impressions: number }) => o.impressions > 0);
    expect(one).toMatchObject({
      segmentation: 'value_tier',
      bySegment: expect.any(Object),
      byArm: { 'mean-arm': expect.any(Object) },
      halfLife: '336h',
    });
    const metrics = (await get(`${svc.url}/metrics`)).body as string;
    expect(metrics).toMatch(/nbo_policy_decisions_total\{policy="holdout"\} \d+/);
  });

  it('an invalid experiments file stops the start, naming each problem', async () => {
    const err = await startTestService({
      NBO_EXPERIMENTS_FILE: experimentsFile('arms:\n  - { id: holdout, share: 2 }\n'),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NboError);
    expect((err as NboError).code).toBe('NBO_ERR_EXPERIMENTS_INVALID');
    expect((err as Error).message).toContain('$.arms[0].id: "holdout" is reserved');
    expect((err as Error).message).toContain('$.arms[0].share');
  });
});

import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { post, startTestService } from '../support/service.js';

/** A catalog whose best offer may be redeemed twice a day across all customers. */
function rulesDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nbo-total-caps-'));
  mkdirSync(join(dir, 'offers'));
  writeFileSync(
    join(dir, 'offers', 'offers.json'),
    JSON.stringify([
      {
        id: 'two-a-day',
        name: 'Two a day',
        channels: ['pos'],
        value: 100,
        caps: { total: [{ outcome: 'redeemed', max: 2, window: '1d' }] },
      },
      { id: 'plain', name: 'Plain', channels: ['pos'], value: 1, fallback: true },
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
      NBO_STATS_REFRESH_MS: '50',
    }),
  ],
] as const;

describe.each(modes)('windowed total caps on a response outcome — %s', (_mode, env) => {
  it('redemptions reported by responses fill the cap: the offer stops being offered once the window holds max', async () => {
    const svc = await startTestService({ ...env(), NBO_RULES_DIR: rulesDir(), NBO_EXPLORATION: 'mean' });
    try {
      const decide = (customerId: string) => post(`${svc.url}/v1/decide`, { customerId, channel: 'pos' });
      for (const c of ['tc-1', 'tc-2']) {
        const d = await decide(c);
        expect(d.body.offers.map((o: { offerId: string }) => o.offerId)).toEqual(['two-a-day']);
        const r = await post(`${svc.url}/v1/events`, {
          id: `resp-${c}`,
          type: 'offer_response',
          customerId: c,
          time: new Date().toISOString(),
          data: { decisionId: d.body.decisionId, offerId: 'two-a-day', outcome: 'redeemed' },
        });
        expect(r.status).toBe(202);
        expect(r.body.accepted).toBe(1);
      }
      // the shared counters reach every instance within the stats refresh interval
      let offers: string[] = [];
      for (let i = 0; i < 50; i++) {
        offers = (await decide(`tc-3-${i}`)).body.offers.map((o: { offerId: string }) => o.offerId);
        if (offers[0] !== 'two-a-day') break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(offers).toEqual(['plain']);
    } finally {
      await svc.stop();
    }
  });
});

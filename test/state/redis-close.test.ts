import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { stateModelFrom } from '../../src/state/model.js';
import { createRedisStore } from '../../src/state/redis/redis-store.js';
import { deleteByPrefix } from '../support/redis-keys.js';
import { offer, ruleSet } from '../support/rules.js';

const T0 = Date.parse('2026-11-20T10:00:00Z');
const RULES = ruleSet({ offers: [offer('o1'), offer('o2')] });

describe('Redis store close', () => {
  it('writes the "offered" records still waiting for the end of the turn before it quits', async () => {
    const prefix = `t${randomBytes(4).toString('hex')}`;
    const open = () => createRedisStore({ url: inject('redisUrl'), prefix, clock: () => T0, statsRefreshMs: 60_000 });
    const store = await open();
    store.setModel(stateModelFrom(RULES));
    // queued for the end of this turn; close() comes first, in the same turn
    const recorded = Array.from({ length: 20 }, (_, i) =>
      store.recordOffered({
        customerId: `c${i}`,
        decisionId: `d${i}`,
        offerIds: ['o1', 'o2'],
        atMs: T0,
        segment: null,
      }),
    );
    await store.close();
    await Promise.all(recorded);

    const again = await open();
    again.setModel(stateModelFrom(RULES));
    try {
      for (let i = 0; i < 20; i++) {
        const snap = await again.snapshot(`c${i}`, T0);
        expect(snap.offers.o1?.counts.offered, `c${i}`).toBe(1);
        expect(snap.offers.o2?.counts.offered, `c${i}`).toBe(1);
      }
    } finally {
      await deleteByPrefix(again.client, prefix);
      await again.close();
    }
  });
});

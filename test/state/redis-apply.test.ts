import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { stateModelFrom } from '../../src/state/model.js';
import { keyBuilder } from '../../src/state/redis/keys.js';
import { createRedisStore } from '../../src/state/redis/redis-store.js';
import { ev, T0 } from '../support/events.js';
import { deleteByPrefix } from '../support/redis-keys.js';
import { offer, ruleSet } from '../support/rules.js';

const RULES = ruleSet({ offers: [offer('o1')] });

describe('Redis store apply', () => {
  it('repairs household membership from a redelivered (duplicate) household event', async () => {
    const prefix = `t${randomBytes(4).toString('hex')}`;
    const store = await createRedisStore({ url: inject('redisUrl'), prefix, clock: () => T0, statsRefreshMs: 60_000 });
    store.setModel(stateModelFrom(RULES));
    const members = keyBuilder(prefix).household('hh1');
    try {
      const joined = ev('c1', 'household', { householdId: 'hh1' });
      expect((await store.applyEvents([joined])).applied).toBe(1);
      expect(await store.client.smembers(members)).toEqual(['c1']);
      // the SADD after the customer's script lost (a crash between the two): the event is
      // redelivered, a duplicate now, and still brings the membership back
      await store.client.del(members);
      const again = await store.applyEvents([joined]);
      expect(again.duplicates).toBe(1);
      expect(await store.client.smembers(members)).toEqual(['c1']);
    } finally {
      await deleteByPrefix(store.client, prefix);
      await store.close();
    }
  });

  it('fails only the events of a customer whose key is not a hash (the call refused as a whole, then retried per customer)', async () => {
    const prefix = `t${randomBytes(4).toString('hex')}`;
    const store = await createRedisStore({ url: inject('redisUrl'), prefix, clock: () => T0, statsRefreshMs: 60_000 });
    store.setModel(stateModelFrom(RULES));
    try {
      await store.client.set(keyBuilder(prefix).customer('c2'), 'not a hash');
      const res = await store.applyEvents([
        ev('c1', 'profile', { tier: 'gold' }),
        ev('c2', 'profile', { tier: 'gold' }),
        ev('c3', 'profile', { tier: 'gold' }),
      ]);
      // c1 comes before c2 in the refused call: Redis keeps a script's writes made before
      // its error, so the retry finds c1's event already recorded
      expect(res.statuses).toEqual(['duplicate', 'rejected', 'applied']);
      expect(res.rejected).toEqual([
        expect.objectContaining({ index: 1, code: 'NBO_ERR_STORE_DATA', path: '$.customerId' }),
      ]);
      for (const c of ['c1', 'c3']) expect((await store.snapshot(c, T0)).profile).toEqual({ tier: 'gold' });
    } finally {
      await deleteByPrefix(store.client, prefix);
      await store.close();
    }
  });

  it("refuses a recorded decision whose customer's offer history cannot be read; the others of the turn are written", async () => {
    const prefix = `t${randomBytes(4).toString('hex')}`;
    const store = await createRedisStore({ url: inject('redisUrl'), prefix, clock: () => T0, statsRefreshMs: 60_000 });
    store.setModel(stateModelFrom(RULES));
    try {
      await store.client.hset(keyBuilder(prefix).customer('c2'), 'o:o1', 'not json');
      const record = (c: string) =>
        store.recordOffered({ customerId: c, decisionId: `d-${c}`, offerIds: ['o1'], atMs: T0, segment: null });
      const [c1, c2] = await Promise.allSettled([record('c1'), record('c2')]);
      expect(c1.status).toBe('fulfilled');
      expect(c2.status).toBe('rejected');
      expect((c2 as PromiseRejectedResult).reason).toMatchObject({ code: 'NBO_ERR_STORE_DATA' });
      expect((await store.snapshot('c1', T0)).offers.o1?.counts.offered).toBe(1);
    } finally {
      await deleteByPrefix(store.client, prefix);
      await store.close();
    }
  });
});

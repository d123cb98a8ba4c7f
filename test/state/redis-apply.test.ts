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
});

import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { describe, expect, it } from 'vitest';
import { stateModelFrom } from '../../src/state/model.js';
import { createRedisStore } from '../../src/state/redis/redis-store.js';
import { MAX_DECISIONS_KEPT } from '../../src/state/types.js';
import { ev, T0 } from '../support/events.js';
import { deleteByPrefix } from '../support/redis-keys.js';
import { offer, ruleSet } from '../support/rules.js';

const RULES = ruleSet({ offers: [offer('o1'), offer('o2')] });

async function keysUnder(
  client: { scan: (...a: Array<string | number>) => Promise<[string, string[]]> },
  prefix: string,
): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    out.push(...keys);
  } while (cursor !== '0');
  return out.sort();
}

describe('Redis store — hostile responses leave nothing behind', () => {
  it('5,000 responses naming unknown offers and decisions create no key; a customer keeps at most 8 decisions (its hash stays a listpack)', async () => {
    const p = `t${randomBytes(4).toString('hex')}`;
    const store = await createRedisStore({
      url: inject('redisUrl'),
      prefix: p,
      clock: () => T0,
      statsRefreshMs: 60_000,
    });
    store.setModel(stateModelFrom(RULES));
    try {
      await store.recordOffered({ customerId: 'c1', decisionId: 'd1', offerIds: ['o1'], atMs: T0, segment: null });
      await store.applyEvents([ev('c1', 'offer_response', { decisionId: 'd1', offerId: 'o1', outcome: 'accepted' })]);
      const before = await keysUnder(store.client as never, p);
      expect(before).toEqual([`${p}:learn:{o1}`, `${p}:policies`, `${p}:tot:{o1}`, `${p}:{c1}`].sort());

      const forged = Array.from({ length: 5000 }, (_, i) =>
        ev(i % 2 === 0 ? 'c1' : `stranger-${i}`, 'offer_response', {
          decisionId: i % 3 === 0 ? 'd1' : `forged-${i}`,
          offerId: `ghost-${i}`,
          outcome: 'accepted',
        }),
      );
      const r = await store.applyEvents(forged);
      expect(r.applied).toBe(0);
      expect(r.rejected).toHaveLength(5000);
      expect(await keysUnder(store.client as never, p)).toEqual(before);
      const c1 = await store.client.hgetall(`${p}:{c1}`);
      expect(Object.keys(c1).sort()).toEqual(['d', 'o:o1', 's']);

      for (let i = 0; i < 200; i++) {
        await store.recordOffered({
          customerId: 'c1',
          decisionId: `x-${i}-${randomBytes(8).toString('hex')}`,
          offerIds: ['o1', 'o2'],
          atMs: T0 + i,
          segment: 'silver',
          policy: 'arm-b',
        });
      }
      const d = (await store.client.hget(`${p}:{c1}`, 'd'))!;
      expect(d.split(';').filter(Boolean)).toHaveLength(MAX_DECISIONS_KEPT);
      // compact enough that the customer's hash stays a listpack (hash-max-listpack-value 512)
      expect(d.length).toBeLessThan(512);
      expect(await store.client.object('ENCODING', `${p}:{c1}`)).toBe('listpack');
      expect(Object.keys(await store.client.hgetall(`${p}:{c1}`)).sort()).toEqual(['d', 'o:o1', 'o:o2', 's']);
    } finally {
      await deleteByPrefix(store.client, p);
      await store.close();
    }
  });
});

// What bench/offered-cost.ts and bench/ingest-cost.ts share: their own redis-server, a Redis
// store on the un-prunable catalog with its clock stopped, `customers` seeded with their 90
// days of history (u-0, u-1, …), and a plain client to read Redis's counters.
import { Redis } from 'ioredis';
import type { ValidEvent } from '../../src/events/types.js';
import { buildRuleSet } from '../../src/rules/load.js';
import type { RuleSet } from '../../src/rules/types.js';
import { stateModelFrom } from '../../src/state/model.js';
import { createRedisStore } from '../../src/state/redis/redis-store.js';
import { startRedis } from '../../test/support/servers.js';
import { rng } from './synthetic.js';
import { generateUnprunable, unprunableFiles, unprunableHistory } from './unprunable-catalog.js';

export async function seededRedisStore(customers: number) {
  const redis = await startRedis();
  const built = buildRuleSet(unprunableFiles(generateUnprunable(200)));
  if (!built.ok) throw new Error('un-prunable rules invalid');
  const rules: RuleSet = built.rules;
  const now = Date.now();
  const store = await createRedisStore({ url: redis.url, prefix: 'x', clock: () => now });
  store.setModel(stateModelFrom(rules));
  /** The generator that seeded the customers, for what the bench draws next. */
  const rand = rng(21);
  for (let c = 0; c < customers; c += 100) {
    const evs: ValidEvent[] = [];
    for (let k = c; k < Math.min(customers, c + 100); k++) evs.push(...unprunableHistory(`u-${k}`, now, rand));
    await store.applyEvents(evs);
  }
  const cli = new Redis(redis.url);
  return {
    rules,
    now,
    store,
    rand,
    cli,
    async close() {
      await store.close();
      cli.disconnect();
      await redis.stop();
    },
  };
}

import { Redis } from 'ioredis';
import { loadRulesDir } from '../../src/rules/load.js';
import { stateModelFrom } from '../../src/state/model.js';
import { createRedisStore } from '../../src/state/redis/redis-store.js';
import { customerHistory, rng } from '../lib/synthetic.js';
import type { Scenario } from '../lib/types.js';

/** Redis bytes per customer after 90 days of synthetic events for the sample catalog. */
export const scenario: Scenario = {
  name: 'memory',
  async run(ctx) {
    const rules = loadRulesDir('rules');
    if (!rules.ok) throw new Error('sample rules invalid');
    const n = ctx.quick ? 100 : 300;
    const end = Date.parse('2026-11-23T09:00:00Z');
    const rand = rng(7);
    const events = [];
    for (let c = 0; c < n; c++) events.push(...customerHistory(`mem-${c}`, end, rand, 90));
    events.sort((a, b) => a.timeMs - b.timeMs);
    const prefix = `bm${Date.now()}`;
    let now = events[0]!.timeMs;
    // replayed at event time, as a stream would deliver them
    const store = await createRedisStore({ url: ctx.redisUrl, prefix, clock: () => now });
    store.setModel(stateModelFrom(rules.rules));
    for (let i = 0; i < events.length; i += 500) {
      const b = events.slice(i, i + 500);
      now = b[b.length - 1]!.timeMs;
      // a response answers a decision NBO issued (and recorded) a minute before it
      await Promise.all(
        b
          .filter((e) => e.type === 'offer_response')
          .map((e) =>
            store.recordOffered({
              customerId: e.customerId,
              decisionId: e.data!.decisionId as string,
              offerIds: [e.data!.offerId as string],
              atMs: e.timeMs - 60_000,
              segment: null,
            }),
          ),
      );
      await store.applyEvents(b);
    }
    const raw = new Redis(ctx.redisUrl);
    let bytes = 0;
    for (let c = 0; c < n; c++) bytes += ((await raw.memory('USAGE', `${prefix}:{mem-${c}}`)) as number | null) ?? 0;
    const listpack = (await raw.config('GET', 'hash-max-listpack-value')) as string[];
    raw.disconnect();
    await store.close();
    const perCustomer = bytes / n;
    ctx.log(
      `  ${perCustomer.toFixed(0)} bytes/customer (${(events.length / n).toFixed(0)} events each over 90 days; hash-max-listpack-value ${listpack[1]})`,
    );
    return [
      {
        name: 'memory: Redis bytes per customer after 90 days',
        value: perCustomer,
        unit: 'bytes',
        baseline: null,
        baselineValue: null,
        ratio: null,
        // 2,048 until responses had to name a decision NBO issued: the decisions (8 at most, 30 days) and their offered history now count too
        budget: '≤ 2,560 bytes',
        met: perCustomer <= 2560,
        note: `${(events.length / n).toFixed(0)} events per customer, each response answering a decision recorded a minute before it; MEMORY USAGE; hash-max-listpack-value ${listpack[1]}`,
      },
    ];
  },
};

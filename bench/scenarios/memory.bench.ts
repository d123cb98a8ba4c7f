import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Redis } from 'ioredis';
import type { ValidEvent } from '../../src/events/types.js';
import { loadRulesDir } from '../../src/rules/load.js';
import { createMemoryStore } from '../../src/state/memory-store.js';
import { stateModelFrom } from '../../src/state/model.js';
import { createRedisStore } from '../../src/state/redis/redis-store.js';
import type { CustomerStateStore } from '../../src/state/types.js';
import { customerHistory, rng } from '../lib/synthetic.js';
import type { Scenario } from '../lib/types.js';

/**
 * Replays the events at event time into `store`, as a stream would deliver them: each
 * response answers a decision NBO issued (and recorded) a minute before it.
 */
async function replay(store: CustomerStateStore, events: readonly ValidEvent[], setNow: (t: number) => void) {
  for (let i = 0; i < events.length; i += 500) {
    const b = events.slice(i, i + 500);
    setNow(b[b.length - 1]!.timeMs);
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
}

/** The heap in use after full collections (the runner is not started with --expose-gc). */
function heapUsedAfterGc(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

/**
 * Redis bytes per customer after 90 days of synthetic events for the sample catalog, and
 * the heap the in-process store holds for the same customers.
 */
export const scenario: Scenario = {
  name: 'memory',
  async run(ctx) {
    const rules = loadRulesDir('rules');
    if (!rules.ok) throw new Error('sample rules invalid');
    const n = ctx.quick ? 100 : 300;
    const end = Date.parse('2026-11-23T09:00:00Z');
    const population = (customers: number): ValidEvent[] => {
      const rand = rng(7);
      const out: ValidEvent[] = [];
      for (let c = 0; c < customers; c++) out.push(...customerHistory(`mem-${c}`, end, rand, 90));
      return out.sort((a, b) => a.timeMs - b.timeMs);
    };
    const events = population(n);
    const prefix = `bm${Date.now()}`;
    let now = events[0]!.timeMs;
    const store = await createRedisStore({ url: ctx.redisUrl, prefix, clock: () => now });
    store.setModel(stateModelFrom(rules.rules));
    await replay(store, events, (t) => (now = t));
    const raw = new Redis(ctx.redisUrl);
    let bytes = 0;
    for (let c = 0; c < n; c++) bytes += ((await raw.memory('USAGE', `${prefix}:{mem-${c}}`)) as number | null) ?? 0;
    const listpack = (await raw.config('GET', 'hash-max-listpack-value')) as string[];
    raw.disconnect();
    await store.close();
    const perCustomer = bytes / n;

    // The same kind of customers in an in-process store, more of them (the heap's own drift
    // is about a megabyte): the heap the store holds once every collection has run. A first
    // replay, dropped, compiles the code on the way before the measured one; each batch is a
    // copy made during the replay, as a server parses its events, so the ids and values the
    // store keeps count as its own.
    const inProcess = async (evs: readonly ValidEvent[]) => {
      let memNow = evs[0]!.timeMs;
      const mem = createMemoryStore({ clock: () => memNow });
      mem.setModel(stateModelFrom(rules.rules));
      for (let i = 0; i < evs.length; i += 5000)
        await replay(mem, structuredClone(evs.slice(i, i + 5000)), (t) => (memNow = t));
      return mem;
    };
    await (await inProcess(events)).close();
    const memN = ctx.quick ? 1000 : 5000;
    const memEvents = population(memN);
    const before = heapUsedAfterGc();
    const mem = await inProcess(memEvents);
    const heapPerCustomer = (heapUsedAfterGc() - before) / memN;
    if (mem.size().customers !== memN)
      throw new Error(`in-process store holds ${mem.size().customers} customers, not ${memN}`);
    await mem.close();
    ctx.log(`  in-process store: ${heapPerCustomer.toFixed(0)} heap bytes/customer`);
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
      {
        name: 'memory: in-process store heap bytes per customer after 90 days',
        value: heapPerCustomer,
        unit: 'bytes',
        baseline: 'Redis bytes per customer',
        baselineValue: perCustomer,
        ratio: heapPerCustomer / perCustomer,
        budget: null,
        met: null,
        note: `${memN.toLocaleString('en')} customers of the same history replayed into createMemoryStore(); V8 heap in use after full collections, minus before. Sizes the heap of an instance without Redis; a young-generation collection also takes longer the larger the old generation (bench/README.md, seventh pass)`,
      },
    ];
  },
};

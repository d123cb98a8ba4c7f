// Redis's time per ingested purchase on customers seeded as the un-prunable catalog's, with
// the mixed-load scenario's events (100 a batch, random customers, up to an hour late; ids
// as NBO sees them): 10 rounds to grow the customers' fields, then five windows of 5 rounds
// each, measured with INFO commandstats. Starts its own redis-server.
//   npx tsx bench/ingest-cost.ts [--customers=2000] [--late-ms=3600000]
import { parseArgs } from 'node:util';
import type { ValidEvent } from '../src/events/types.js';
import { seededRedisStore } from './lib/redis-cost.js';

const { values: args } = parseArgs({
  options: { customers: { type: 'string', default: '2000' }, 'late-ms': { type: 'string', default: '3600000' } },
});
const N = Number(args.customers);
const lateMs = Number(args['late-ms']);
const { now, store, rand, cli, close } = await seededRedisStore(N);
const PER_ROUND = 2000;
let n = 0;
/** 20 batches of 100 purchases, 4 in flight. */
const round = async () => {
  const inFlight: Array<Promise<unknown>> = [];
  for (let r = 0; r < PER_ROUND / 100; r++) {
    const evs = Array.from({ length: 100 }, (): ValidEvent => {
      const t = now - Math.floor(rand() * lateMs);
      return {
        id: `mx-${now}-${n++}`,
        type: 'purchase',
        customerId: `u-${Math.floor(rand() * N)}`,
        time: new Date(t).toISOString(),
        timeMs: t,
        channel: 'pos',
        data: { amount: Math.round(rand() * 6000) / 100 },
      };
    });
    inFlight.push(store.applyEvents(evs));
    if (inFlight.length === 4) await Promise.all(inFlight.splice(0));
  }
  await Promise.all(inFlight);
};
for (let r = 0; r < 10; r++) await round();
const ROUNDS = 5;
const windows: string[] = [];
for (let w = 0; w < 5; w++) {
  await cli.config('RESETSTAT');
  for (let r = 0; r < ROUNDS; r++) await round();
  const m = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(String(await cli.info('commandstats')));
  windows.push((Number(m![2]) / (ROUNDS * PER_ROUND)).toFixed(1));
}
console.log(`apply-events: ${windows.join(', ')} µs per event (five windows)`);
const h = await cli.hgetall('x:{u-1}');
console.log(
  `a customer's hash after: ${Object.keys(h).length} fields, seen ids ${h.s?.length ?? 0} bytes, longest aggregate ${Math.max(
    ...Object.entries(h)
      .filter(([k]) => k.startsWith('a:'))
      .map(([, v]) => v.length),
  )} bytes`,
);
await close();

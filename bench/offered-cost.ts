// Redis's time per "offered" record (a decision's offers and the decision as issued) on
// customers seeded as the un-prunable catalog's: records are written the way the decider
// writes them (batched per turn, 30 customers a call), histories grown by 10 rounds first,
// then 5 rounds measured with INFO commandstats. Starts its own redis-server.
//   npx tsx bench/offered-cost.ts
import { seededRedisStore } from './lib/redis-cost.js';

const N = 600;
const { rules, now, store, cli, close } = await seededRedisStore(N);
const offers = rules.offers.map((o) => o.id);
let d = 0;
const round = async () => {
  const ps = [];
  for (let k = 0; k < N; k++) {
    ps.push(
      store.recordOffered({
        customerId: `u-${k}`,
        decisionId: `dec-${d++}-xxxxxxxxxxxxxxxxxxxxxxxxxx`,
        offerIds: [offers[(k * 7 + d) % 200]!, offers[(k * 13 + d) % 200]!],
        atMs: now,
        segment: null,
      }),
    );
    if (ps.length === 30) {
      await Promise.all(ps.splice(0));
    }
  }
  await Promise.all(ps);
};
for (let r = 0; r < 10; r++) await round(); // histories grow like the bench's
await cli.config('RESETSTAT');
for (let r = 0; r < 5; r++) await round();
const st = String(await cli.info('commandstats'));
const m = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(st)!;
console.log(`apply: ${m[1]} calls, ${(Number(m[2]) / (5 * N)).toFixed(1)} µs per customer record`);
const h = await cli.hgetall('x:{u-1}');
console.log(
  `a customer's hash after: ${Object.keys(h).length} fields, seen ids ${h.s?.length ?? 0} bytes, issued decisions ${h.d?.length ?? 0} bytes`,
);
await close();

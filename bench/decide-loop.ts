// The decision path in one process, without sockets: the decide route's handler (body
// validation, the decider with metrics, the store, the reply serialized) called for `n`
// requests on the un-prunable catalog, one after another. Run under callgrind twice with
// different `n` (bench/instructions.sh): the difference divided by the extra requests is
// the instructions one request costs, free of start-up, seeding and of other work on the
// machine. Run on its own it prints the CPU time per decision of the loop alone
// (process.cpuUsage: steadier than the wall clock on a shared machine; compare builds by
// running them alternately).
//   npx tsx bench/decide-loop.ts [--mode=memory|redis --redis=URL] [--n=3000] [--customers=300]
//                                [--exploration=thompson|mean]
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/config/logger.js';
import { createDecider } from '../src/decide/decider.js';
import { createMetrics } from '../src/metrics/metrics.js';
import { buildRuleSet } from '../src/rules/load.js';
import { buildRoutes, type RouteDeps } from '../src/serve/routes.js';
import { createMemoryStore } from '../src/state/memory-store.js';
import { stateModelFrom } from '../src/state/model.js';
import { createRedisStore } from '../src/state/redis/redis-store.js';
import type { CustomerStateStore } from '../src/state/types.js';
import { rng } from './lib/synthetic.js';
import { generateUnprunable, unprunableBodies, unprunableFiles, unprunableHistory } from './lib/unprunable-catalog.js';
import { arg } from './lib/args.js';

const mode = arg('mode', 'memory');
const n = Number(arg('n', '3000'));
const customers = Number(arg('customers', '300'));
const exploration = arg('exploration', 'thompson') as 'thompson' | 'mean';

const built = buildRuleSet(unprunableFiles(generateUnprunable(200)));
if (!built.ok) throw new Error('rules invalid');
const rules = built.rules;
const now = Date.now();
const store: CustomerStateStore =
  mode === 'redis'
    ? await createRedisStore({ url: arg('redis', 'redis://127.0.0.1:6379'), prefix: `dl${now}` })
    : createMemoryStore();
store.setModel(stateModelFrom(rules));
const rand = rng(21);
for (let c = 0; c < customers; c += 50) {
  const evs = [];
  for (let k = c; k < Math.min(customers, c + 50); k++) evs.push(...unprunableHistory(`u-${k}`, now, rand));
  await store.applyEvents(evs);
}
const metrics = createMetrics({ defaultMetrics: false });
const decider = createDecider({ store, rules: () => rules, metrics, exploration });
const route = buildRoutes({
  config: loadConfig({}),
  rules: () => rules,
  store,
  decider,
  metrics,
} as unknown as RouteDeps).find((r) => r.path === '/v1/decide')!;
const bodies = unprunableBodies(1000, customers);
const trace = {
  requestId: 'bench',
  traceparent: '00-00000000000000000000000000000001-0000000000000001-01',
  traceId: '00000000000000000000000000000001',
  spanId: '0000000000000001',
} as never;
const log = createLogger('silent');
let offers = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < n; i++) {
  const body = JSON.parse(bodies[i % bodies.length]!) as unknown;
  const reply = await route.handler({ facts: {} as never, key: null, body, params: {}, trace, log, debug: false });
  offers += JSON.stringify(reply.body).length > 0 ? ((reply.body as { offers: unknown[] }).offers?.length ?? 0) : 0;
}
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(
  `${mode}, ${exploration}: ${n} decisions, ${(offers / n).toFixed(2)} offers each, ${((cpu.user + cpu.system) / n).toFixed(1)} µs of CPU each (${((ms * 1000) / n).toFixed(1)} µs wall clock)\n`,
);
await store.close();
process.exit(0);

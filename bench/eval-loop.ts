// The decision pipeline alone (evaluate(): context, segments, the offer walk) on the
// un-prunable catalog, for counting instructions per decision under callgrind with
// eligibility compiled in different ways (bench/README.md, "Profiles"):
//   npx tsx bench/eval-loop.ts --n=20000 [--share=0] [--reorder=0] [--exploration=thompson]
import { compileCatalog, compilePredicate } from '../src/jsonlogic/index.js';
import { evaluate } from '../src/decide/pipeline.js';
import { buildRuleSet } from '../src/rules/load.js';
import type { Offer } from '../src/rules/types.js';
import type { CustomerSnapshot, GlobalStats } from '../src/state/types.js';
import { rng } from './lib/synthetic.js';
import { generateUnprunable, unprunableBodies, unprunableFiles, unprunableHistory } from './lib/unprunable-catalog.js';
import { arg } from './lib/args.js';

const n = Number(arg('n', '20000'));
const share = arg('share', '1') === '1';
const reorder = arg('reorder', '1') === '1';
const separate = arg('separate', '0') === '1';
const exploration = arg('exploration', 'mean') as 'mean' | 'thompson';

const built = buildRuleSet(unprunableFiles(generateUnprunable(200)));
if (!built.ok) throw new Error('rules invalid');
let rules = built.rules;
const offers = rules.offers as Offer[];
if (separate) {
  // each rule compiled on its own, as before catalogs were compiled together
  for (const o of offers)
    (o as { eligibility: Offer['eligibility'] }).eligibility = compilePredicate(o.eligibilitySource);
  rules = { ...rules, memoSlots: 0, candidates: rules.candidates };
} else {
  const cat = compileCatalog(
    offers.map((o) => o.eligibilitySource),
    { share, reorder },
  );
  offers.forEach((o, i) => {
    (o as { eligibility: Offer['eligibility'] }).eligibility = cat.predicates[i]!;
  });
  rules = { ...rules, memoSlots: cat.memoSlots, candidates: rules.candidates };
}
const now = Date.now();
const rand = rng(3);
const snaps: CustomerSnapshot[] = Array.from({ length: 200 }, (_, k) => {
  const evs = unprunableHistory(`u-${k}`, now, rand);
  const p = evs[0]!.data!;
  const sum = (d: number) =>
    evs
      .filter((e) => e.type === 'purchase' && e.timeMs >= now - d * 86_400_000)
      .reduce((s, e) => s + (e.data!.amount as number), 0);
  return {
    customerId: `u-${k}`,
    profile: p,
    agg: { spend_7d: sum(7), spend_30d: sum(30), spend_90d: sum(90), purchases_90d: evs.length - 1 },
    household: null,
    offers: {},
  };
});
const reqs = unprunableBodies(500, 200).map(
  (b) =>
    JSON.parse(b) as {
      customerId: string;
      channel: string;
      trigger: string;
      context: Record<string, unknown>;
      limit: number;
    },
);
const stats: GlobalStats = { learning: () => ({ impressions: 0, accepted: 0 }), total: () => 0, version: () => 0 };
let picked = 0;
const t0 = performance.now();
for (let i = 0; i < n; i++) {
  const r = reqs[i % reqs.length]!;
  const res = evaluate({
    rules,
    snap: snaps[Number(r.customerId.slice(2))]!,
    request: r,
    nowMs: now,
    stats,
    decisionId: `d${i}`,
    learningSegmentation: null,
    exploration,
  });
  picked += res.ranked.length;
}
process.stdout.write(
  `share=${share} reorder=${reorder} separate=${separate} ${exploration}: ${(picked / n).toFixed(2)} ranked each, ${(((performance.now() - t0) * 1000) / n).toFixed(2)} µs each (wall clock, noisy)\n`,
);

import { buildRuleSet, buildRuleSetSliced } from '../../src/rules/load.js';
import { catalogFiles, generateCatalog } from '../lib/catalog.js';
import { percentile, type BenchResult, type Scenario } from '../lib/types.js';

/** The longest the event loop was held (a 1 ms ticker stands in for decisions waiting) while `work` ran. */
async function longestStall(work: () => unknown): Promise<number> {
  let worst = 0;
  let last = performance.now();
  const t = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 1);
  await new Promise((r) => setTimeout(r, 10));
  worst = 0;
  last = performance.now();
  await work();
  await new Promise((r) => setTimeout(r, 5));
  clearInterval(t);
  return worst;
}

/**
 * Swapping in a published rule set: a running instance compiles it in slices
 * (buildRuleSetSliced, as the Redis rules source does), so decisions in flight wait at most
 * a slice, not the whole compile. Measured as the longest event-loop stall during the
 * compile, against compiling in one go (buildRuleSet) in the same run; median of runs.
 */
export const scenario: Scenario = {
  name: 'rules-swap',
  async run(ctx) {
    const out: BenchResult[] = [];
    for (const n of ctx.quick ? [200] : [200, 2000]) {
      const files = catalogFiles(generateCatalog(n));
      buildRuleSet(files); // warm: schemas and the compiler
      await buildRuleSetSliced(files);
      const runs = ctx.quick ? 5 : 15;
      const sync: number[] = [];
      const sliced: number[] = [];
      for (let i = 0; i < runs; i++) {
        sync.push(await longestStall(() => buildRuleSet(files)));
        sliced.push(await longestStall(() => buildRuleSetSliced(files)));
      }
      const med = (a: number[]) =>
        percentile(
          a.sort((x, y) => x - y),
          0.5,
        );
      const s = med(sliced);
      const b = med(sync);
      ctx.log(
        `  ${n} offers: longest stall ${s.toFixed(1)} ms sliced, ${b.toFixed(1)} ms in one go (median of ${runs})`,
      );
      out.push({
        name: `rules swap: longest event-loop stall compiling ${n} offers`,
        value: s,
        unit: 'ms',
        baseline: 'compiled in one go',
        baselineValue: b,
        ratio: b / s,
        budget: null,
        met: null,
        note: `median of ${runs} compiles; ratio = stall in one go / stall sliced (higher is better). Decisions made meanwhile use the old set whole.`,
      });
    }
    return out;
  },
};

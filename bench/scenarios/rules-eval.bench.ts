import jsonLogic from 'json-logic-js';
import { LogicEngine } from 'json-logic-engine';
import { evaluate } from '../../src/decide/pipeline.js';
import { compileCatalog, compilePredicate, truthy } from '../../src/jsonlogic/index.js';
import { buildRuleSet } from '../../src/rules/load.js';
import type { CustomerSnapshot, GlobalStats } from '../../src/state/types.js';
import { catalogFiles, contexts, generateCatalog } from '../lib/catalog.js';
import { generateUnprunable, unprunableContexts } from '../lib/unprunable-catalog.js';
import { ratioResult, steadyOpsPerSecond, type BenchResult, type Scenario } from '../lib/types.js';

/**
 * Evaluating a whole catalog against one context, four ways on the same rules and
 * contexts: NBO's compiled rules, json-logic-js, json-logic-engine's build(), and
 * generated hand-written JavaScript (the ceiling). Then the whole pipeline on 200 and
 * 2,000 offers, to see how cost grows.
 */
export const scenario: Scenario = {
  name: 'rules-eval',
  async run(ctx) {
    const ms = ctx.quick ? 600 : 2000;
    const maxMs = ctx.quick ? 1500 : 15_000;
    const out: BenchResult[] = [];
    const ctxs = contexts(64);
    const rt = { nowMs: Date.parse('2026-11-23T09:15:00Z') };
    for (const n of ctx.quick ? [200] : [200, 2000]) {
      const catalog = generateCatalog(n);
      // as the product compiles eligibility: a predicate, its truthiness generated into the rule
      const nbo = catalog.map((o) => compilePredicate(o.logic));
      // eslint-disable-next-line @typescript-eslint/no-implied-eval
      const hand = catalog.map((o) => new Function('c', `return ${o.js};`) as (c: unknown) => boolean);
      const engine = new LogicEngine();
      const jle = catalog.map((o) => engine.build(o.logic as never) as (c: unknown) => unknown);
      // the engines agree before they race
      for (const c of ctxs) {
        for (let i = 0; i < n; i++) {
          const want = hand[i]!(c);
          if (
            nbo[i]!(c, rt) !== want ||
            truthy(jsonLogic.apply(catalog[i]!.logic, c)) !== want ||
            truthy(jle[i]!(c)) !== want
          ) {
            throw new Error(`engines disagree on offer ${catalog[i]!.id}`);
          }
        }
      }
      const run = (f: (i: number, c: unknown) => unknown) => (k: number) => {
        const c = ctxs[k & 63];
        let hits = 0;
        for (let i = 0; i < n; i++) if (f(i, c)) hits++;
        return hits;
      };
      // each engine measured once its rate has settled: every rule function run some
      // thousands of times first, then windows until two agree (steadyOpsPerSecond)
      const warm = ctx.quick ? 500 : 4000;
      const handRate = steadyOpsPerSecond(
        run((i, c) => hand[i]!(c)),
        ms,
        maxMs,
        warm,
      );
      const nboRate = steadyOpsPerSecond(
        run((i, c) => nbo[i]!(c, rt)),
        ms,
        maxMs,
        warm,
      );
      const jleRate = steadyOpsPerSecond(
        run((i, c) => truthy(jle[i]!(c))),
        ms,
        maxMs,
        warm,
      );
      const jlRate = steadyOpsPerSecond(
        run((i, c) => truthy(jsonLogic.apply(catalog[i]!.logic, c))),
        Math.min(ms, 800),
        maxMs / 3,
        warm,
      );
      ctx.log(
        `  ${n} offers: hand ${handRate.toFixed(0)}/s, nbo ${nboRate.toFixed(0)}/s, json-logic-engine ${jleRate.toFixed(0)}/s, json-logic-js ${jlRate.toFixed(0)}/s`,
      );
      out.push(
        ratioResult(`rules-eval: NBO compiled, ${n} offers`, nboRate, 'catalogs/s', 'hand-written JS', handRate, 0.5),
      );
      out.push(
        ratioResult(
          `rules-eval: json-logic-engine build(), ${n} offers`,
          jleRate,
          'catalogs/s',
          'hand-written JS',
          handRate,
          null,
        ),
      );
      out.push(
        ratioResult(
          `rules-eval: json-logic-js apply, ${n} offers`,
          jlRate,
          'catalogs/s',
          'hand-written JS',
          handRate,
          null,
        ),
      );
    }

    // the un-prunable catalog (every offer applies): NBO compiles it as one catalog, so the
    // conditions many offers share are evaluated once per context (a fresh memo per context)
    {
      const catalog = generateUnprunable(200);
      const uctx = unprunableContexts(64);
      const cat = compileCatalog(catalog.map((o) => o.logic));
      const alone = catalog.map((o) => compilePredicate(o.logic));
      // eslint-disable-next-line @typescript-eslint/no-implied-eval
      const hand = catalog.map((o) => new Function('c', `return ${o.js};`) as (c: unknown) => boolean);
      const engine = new LogicEngine();
      const jle = catalog.map((o) => engine.build(o.logic as never) as (c: unknown) => unknown);
      for (const c of uctx) {
        const memo = { nowMs: rt.nowMs, memo: new Array<unknown>(cat.memoSlots) };
        for (let i = 0; i < catalog.length; i++) {
          const want = hand[i]!(c);
          if (cat.predicates[i]!(c, memo) !== want || alone[i]!(c, rt) !== want || truthy(jle[i]!(c)) !== want)
            throw new Error(`engines disagree on offer ${catalog[i]!.id}`);
        }
      }
      const all =
        (f: (i: number, c: unknown, r: { nowMs: number; memo?: unknown[] }) => unknown, memoSlots = 0) =>
        (k: number) => {
          const c = uctx[k & 63];
          const r = memoSlots > 0 ? { nowMs: rt.nowMs, memo: new Array<unknown>(memoSlots) } : rt;
          let hits = 0;
          for (let i = 0; i < catalog.length; i++) if (f(i, c, r)) hits++;
          return hits;
        };
      const warm = ctx.quick ? 500 : 4000;
      const handRate = steadyOpsPerSecond(
        all((i, c) => hand[i]!(c)),
        ms,
        maxMs,
        warm,
      );
      const catRate = steadyOpsPerSecond(
        all((i, c, r) => cat.predicates[i]!(c, r), cat.memoSlots),
        ms,
        maxMs,
        warm,
      );
      const aloneRate = steadyOpsPerSecond(
        all((i, c) => alone[i]!(c, rt)),
        ms,
        maxMs,
        warm,
      );
      const jleRate = steadyOpsPerSecond(
        all((i, c) => truthy(jle[i]!(c))),
        ms,
        maxMs,
        warm,
      );
      ctx.log(
        `  un-prunable 200: hand ${handRate.toFixed(0)}/s, nbo catalog ${catRate.toFixed(0)}/s (${cat.memoSlots} shared), nbo rule by rule ${aloneRate.toFixed(0)}/s, json-logic-engine ${jleRate.toFixed(0)}/s`,
      );
      out.push(
        ratioResult(
          'rules-eval: NBO catalog, un-prunable 200',
          catRate,
          'catalogs/s',
          'hand-written JS',
          handRate,
          0.5,
          `all 200 rules against each context; ${cat.memoSlots} sub-expressions shared across offers, evaluated once per context; each rule compiled on its own: ${(aloneRate / handRate).toFixed(2)}× hand-written`,
        ),
      );
      out.push(
        ratioResult(
          'rules-eval: json-logic-engine build(), un-prunable 200',
          jleRate,
          'catalogs/s',
          'NBO catalog',
          catRate,
          null,
        ),
      );
    }

    // the decision pipeline (segments, channel/trigger index, eligibility, caps, scoring) as the catalog grows
    const stats: GlobalStats = { learning: () => ({ impressions: 0, accepted: 0 }), total: () => 0, version: () => 0 };
    const snaps: CustomerSnapshot[] = ctxs.map((c, i) => ({
      customerId: `c${i}`,
      profile: c.customer.profile,
      agg: c.customer.agg,
      household: null,
      offers: {},
    }));
    const decisionsPerSecond = (n: number) => {
      const res = buildRuleSet(catalogFiles(generateCatalog(n)));
      if (!res.ok) throw new Error(JSON.stringify(res.issues.slice(0, 3)));
      const rules = res.rules;
      return steadyOpsPerSecond(
        (k) => {
          const c = ctxs[k & 63]!;
          return evaluate({
            rules,
            snap: snaps[k & 63]!,
            request: { customerId: 'c', channel: 'pos', trigger: 'checkout', context: c.event.data },
            nowMs: rt.nowMs,
            stats,
            decisionId: 'd',
            learningSegmentation: null,
            exploration: 'mean',
          }).ranked.length;
        },
        ms,
        maxMs,
      );
    };
    const d200 = decisionsPerSecond(200);
    const d2000 = decisionsPerSecond(2000);
    const growth = d200 / d2000;
    ctx.log(
      `  pipeline: ${d200.toFixed(0)} decisions/s at 200 offers, ${d2000.toFixed(0)} at 2,000 (cost × ${growth.toFixed(2)})`,
    );
    out.push({
      name: 'decision pipeline: 200 offers',
      value: d200,
      unit: 'decisions/s',
      baseline: null,
      baselineValue: null,
      ratio: null,
      budget: null,
      met: null,
    });
    out.push({
      name: 'decision pipeline: cost growth 200 → 2,000 offers',
      value: growth,
      unit: '× time per decision',
      baseline: 'the same pipeline at 200 offers',
      baselineValue: d200,
      ratio: growth,
      budget: 'growth ≤ 3×',
      met: growth <= 3,
      note: 'offers indexed by channel and trigger',
    });
    return out;
  },
};

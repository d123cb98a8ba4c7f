import { DEFAULT_HALF_LIFE_MS } from '../../src/config/config.js';
import { generateWorld, runWorld, type RunConfig, type RunResult } from '../lib/ground-truth.js';
import type { BenchResult, Scenario } from '../lib/types.js';

/**
 * Decision quality against ground truth (bench/lib/ground-truth.ts): share of the oracle's
 * expected value, at checkpoints, against a static prior ranking and random picks on the
 * same decisions; a drift scenario (two offers' truths swapped halfway), a new offer
 * published halfway, and a 10 % holdout whose measured uplift is checked against the true
 * one. Traffic: one decision per simulated minute (1,440 a day), so the default half-life
 * (14 days) is about 20,000 decisions.
 */
const STEP_MS = 60_000;
const DEFAULTS: RunConfig = {
  label: 'default: Thompson, per value tier, prior ≤ 20, half-life 14d',
  exploration: 'thompson',
  segmentation: 'value_tier',
  priorMaxImpressions: 20,
  halfLifeMs: DEFAULT_HALF_LIFE_MS,
};

const pct = (x: number) => x.toFixed(2);

export const scenario: Scenario = {
  name: 'learning',
  async run(ctx) {
    const n = ctx.quick ? 10_000 : 50_000;
    const half = n / 2;
    const window = ctx.quick ? 1000 : 2500;
    const world = generateWorld(42);
    const run = (cfg: RunConfig, extra: { swapAt?: number; swap?: [string, string]; world?: typeof world } = {}) => {
      ctx.log(`  ${cfg.label}${extra.swapAt ? ' — truth swapped' : ''}${extra.world ? ' — new offer' : ''}`);
      return runWorld(extra.world ?? world, cfg, {
        decisions: n,
        stepMs: STEP_MS,
        window,
        seed: 1,
        ...(extra.swapAt ? { swapAt: extra.swapAt } : {}),
        ...(extra.swap ? { swap: extra.swap } : {}),
      });
    };
    /** Share of the oracle over the `span` decisions ending at `end`. */
    const at = (r: RunResult, end: number, span = 5000) => {
      const ws = r.windows.filter((w) => w.end > end - Math.min(span, end) && w.end <= end);
      return ws.reduce((s, w) => s + w.nbo, 0) / ws.length;
    };

    const stationary: Array<[RunConfig, RunResult]> = [];
    const configs: RunConfig[] = ctx.quick
      ? [DEFAULTS]
      : [
          DEFAULTS,
          {
            ...DEFAULTS,
            label: 'before: posterior mean, prior at its word, no forgetting',
            exploration: 'mean',
            priorMaxImpressions: 1e9,
            halfLifeMs: null,
            priorFloor: 0,
          },
          { ...DEFAULTS, label: 'Thompson, one propensity per offer', segmentation: null },
          { ...DEFAULTS, label: 'Thompson, segmented by region (a wrong segmentation)', segmentation: 'region' },
          {
            ...DEFAULTS,
            label: 'Thompson, contextual model (profile, aggregates, basket)',
            segmentation: 'region',
            model: 'contextual',
          },
          { ...DEFAULTS, label: 'Thompson, per value tier, no forgetting', halfLifeMs: null },
        ];
    for (const cfg of configs) stationary.push([cfg, await run(cfg)]);
    const drift = await run(DEFAULTS, { swapAt: half });
    const driftNoForget = ctx.quick
      ? null
      : await run({ ...DEFAULTS, label: 'no forgetting', halfLifeMs: null }, { swapAt: half });
    const collapse = ctx.quick ? null : await run(DEFAULTS, { swapAt: half, swap: world.collapse });
    const newOffer = await run(DEFAULTS, { world: generateWorld(42, { newOfferAt: half }) });
    const holdout = await run({
      ...DEFAULTS,
      label: `${DEFAULTS.label}, 10 % holdout (no offer)`,
      holdout: { share: 0.1, policy: 'none' },
    });

    // drift: the level before the swap, then how many decisions until a window is back within 0.05 of it
    const recovery = (r: RunResult) => {
      const before = at(r, half, 2 * window);
      const back = r.windows.find((w) => w.end > half && w.nbo >= before - 0.05);
      const next = r.windows
        .filter((w) => w.end > half)
        .slice(0, 3)
        .map((w) => pct(w.nbo));
      return { before, decisions: back ? back.end - half : Infinity, after: at(r, n, half / 2), next };
    };
    const rec = recovery(drift);
    const recNo = driftNoForget ? recovery(driftNoForget) : null;

    const def = stationary[0]![1];
    const at50 = at(def, n);
    const checkpoints = ctx.quick ? [n / 2, n] : [10_000, 25_000, 50_000];
    const rows = stationary.map(
      ([cfg, r]) =>
        `| ${cfg.label} | ${checkpoints.map((c) => pct(at(r, c))).join(' | ')} | ${pct(r.total.nbo)} | ${(r.total.nbo / r.total.static).toFixed(1)}× | ${(r.total.nbo / r.total.random).toFixed(1)}× |`,
    );
    const up = holdout.uplift!;
    const upliftInCi = up.truth >= up.ci95[0] && up.truth <= up.ci95[1];
    const detail = [
      `World: 12 offers (values 0.5–20), 20,000 customers in three value tiers, acceptance also driven by an attribute no segmentation uses; two priors deliberately wrong; one decision per simulated minute; responses fed back through the events path in batches of 20. Share of the oracle's expected value over the 5,000 decisions before each checkpoint (the whole run in the last columns); the best any policy knowing only the value tier could reach is ${pct(def.total.segmentOracle)}.`,
      '',
      `| configuration | ${checkpoints.map((c) => `at ${c / 1000}k`).join(' | ')} | whole run | vs static ranking | vs random |`,
      `| --- | ${checkpoints.map(() => '---').join(' | ')} | --- | --- | --- |`,
      ...rows,
      '',
      `Static prior ranking: ${pct(def.total.static)} of the oracle; random eligible offer: ${pct(def.total.random)}.`,
      '',
      `- **Drift** (two offers' truths swapped at ${half / 1000}k): ${pct(rec.before)} before; back within 0.05 of it after ${Number.isFinite(rec.decisions) ? rec.decisions.toLocaleString('en-US') : 'never'} decisions (windows of ${window.toLocaleString('en-US')} after the swap: ${rec.next.join(', ')}); ${pct(rec.after)} over the last ${(half / 2000).toFixed(1)}k.${recNo ? ` Without forgetting: back after ${Number.isFinite(recNo.decisions) ? recNo.decisions.toLocaleString('en-US') : 'never'} decisions (${recNo.next.join(', ')}), ${pct(recNo.after)} over the last ${(half / 2000).toFixed(1)}k.` : ''}`,
      ...(collapse
        ? [
            `- **A favourite collapses** (the favourite of most customers, ${world.collapse[0]}, and the least accepted offer, ${world.collapse[1]}, swap truths at ${half / 1000}k): ${pct(at(collapse, half, 2 * window))} before, windows of ${window.toLocaleString('en-US')} after: ${collapse.windows
              .filter((w) => w.end > half)
              .map((w) => pct(w.nbo))
              .join(
                ', ',
              )} — ${Number.isFinite(recovery(collapse).decisions) ? `back within 0.05 after ${recovery(collapse).decisions.toLocaleString('en-US')} decisions` : `not back within 0.05 in ${(half / 1000).toFixed(0)}k decisions`}, while the best a policy knowing only the value tier could do went from ${pct(
              collapse.windows
                .filter((w) => w.end <= half)
                .slice(-2)
                .reduce((s2, w) => s2 + w.segmentOracle, 0) / 2,
            )} to ${pct(collapse.windows.filter((w) => w.end > half).reduce((s2, w) => s2 + w.segmentOracle, 0) / collapse.windows.filter((w) => w.end > half).length)}.`,
          ]
        : []),
      `- **New offer** (published at ${half / 1000}k, good for everyone, neutral prior): returned in ${pct(newOffer.newOfferHitRate ?? 0)} of the decisions where it was the best; ${pct(at(newOffer, n, half))} of the oracle after it arrived.`,
      `- **Holdout** (10 %, no offer): uplift per decision measured ${up.estimate.toFixed(3)} (95 % CI ${up.ci95[0].toFixed(3)} … ${up.ci95[1].toFixed(3)}), true ${up.truth.toFixed(3)}: ${upliftInCi ? 'inside' : '**outside**'} the interval.`,
    ].join('\n');
    for (const [cfg, r] of stationary)
      ctx.log(`  ${cfg.label}: ${checkpoints.map((c) => pct(at(r, c))).join(' ')} (${r.rate.toFixed(0)} decisions/s)`);
    ctx.log(
      `  drift: ${pct(rec.before)} before, back after ${rec.decisions}; holdout uplift ${up.estimate.toFixed(3)} [${up.ci95.join(', ')}] true ${up.truth.toFixed(3)}`,
    );

    const results: BenchResult[] = [
      {
        name: `learning: default, share of oracle at ${n / 1000}k (stationary)`,
        value: at50,
        unit: '',
        baseline: 'static prior ranking',
        baselineValue: def.total.static,
        ratio: at50 / def.total.static,
        budget: ctx.quick ? null : '≥ 0.80 of oracle',
        met: ctx.quick ? null : at50 >= 0.8,
        note: 'share of the oracle’s expected value over the last 5,000 decisions; see the learning section',
        detail: `## Learning against ground truth\n\n${detail}\n`,
      },
      {
        name: 'learning: decisions to relearn a swapped truth (within 0.05)',
        value: rec.decisions,
        unit: 'decisions',
        baseline: recNo ? 'no forgetting' : null,
        baselineValue: recNo?.decisions ?? null,
        ratio: null,
        budget: ctx.quick ? null : '≤ 7,500',
        met: ctx.quick ? null : rec.decisions <= 7500,
      },
      {
        name: 'learning: holdout uplift, true value inside the 95 % CI',
        value: up.estimate,
        unit: 'per decision',
        baseline: 'true uplift',
        baselineValue: up.truth,
        ratio: null,
        // a 95 % interval misses one run in twenty: judged on the full run only, like the other budgets here
        budget: ctx.quick ? null : 'truth inside CI',
        met: ctx.quick ? null : upliftInCi,
        note: `95 % CI ${up.ci95[0].toFixed(3)} … ${up.ci95[1].toFixed(3)}`,
      },
    ];
    return results;
  },
};

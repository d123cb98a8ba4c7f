import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, has } from '../../test/support/servers.js';
import { closedLoop, majorGcs, median, spread, writeBodies, type LoadResult } from '../lib/http-load.js';
import { buildNbo, nboServe, pinned, startChild, stopChild } from '../lib/processes.js';
import type { BenchResult, Scenario } from '../lib/types.js';
import { unprunableBodies } from '../lib/unprunable-catalog.js';
import { postEvents, unprunableEnv, unprunableSetup } from '../lib/unprunable-setup.js';

/**
 * POST /v1/decide on a catalog that indexing cannot prune (lib/unprunable-catalog.ts: 200
 * offers, every one on every channel and trigger, each an `and` of 3–6 conditions; 10,000
 * seeded customers; limit 2). NBO in both store modes against the stronger baseline (uWS +
 * ioredis HGETALL + json-logic-engine compiled, all 200 rules) and the uWS echo ceiling,
 * in interleaved rounds (each round runs every server once, the order rotated, the other
 * servers stopped with SIGSTOP while one is measured: they all share core 0), medians
 * reported with their spread, and NBO in-process ranking by the posterior mean
 * (NBO_EXPLORATION=mean) beside the default Thompson sampling. Then NBO at 4, 50 and 200
 * connections, and its client-side p99 at 4 connections over a longer window, with the full
 * garbage collections that fell in it.
 */
export const scenario: Scenario = {
  name: 'decide-unprunable',
  async run(ctx) {
    const customers = ctx.quick ? 2000 : 10_000;
    const seconds = ctx.quick ? 2 : 8;
    const rounds = ctx.quick ? 1 : 3;
    const setup = await unprunableSetup(ctx.redisUrl, customers);
    const work = mkdtempSync(join(tmpdir(), 'nbo-bench-unprunable-load-'));
    const bodies = writeBodies(work, 'decide', '/v1/decide', unprunableBodies(2000, customers));

    buildNbo();
    const [pRedis, pMem, pEcho, pBase, pMean] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const base = (p: number) => `http://127.0.0.1:${p}`;
    const children = [
      await startChild(pinned(0, nboServe()), unprunableEnv(setup, pRedis, ctx.redisUrl), `${base(pRedis)}/readyz`),
      await startChild(pinned(0, nboServe()), unprunableEnv(setup, pMem), `${base(pMem)}/readyz`),
      // the same in-process store, ranking by the posterior mean instead of Thompson sampling:
      // what exploring costs on a catalog where nothing has been learned yet
      await startChild(
        pinned(0, nboServe()),
        { ...unprunableEnv(setup, pMean), NBO_EXPLORATION: 'mean' },
        `${base(pMean)}/readyz`,
      ),
      await startChild(
        pinned(0, [process.execPath, '--import', 'tsx', 'bench/baselines/uws-echo.ts']),
        { PORT: String(pEcho) },
        null,
      ),
      await startChild(
        pinned(0, [process.execPath, '--import', 'tsx', 'bench/baselines/uws-engine-service.ts']),
        { PORT: String(pBase), RULES_DIR: setup.rulesDir, REDIS_URL: ctx.redisUrl },
        null,
      ),
    ];
    try {
      // the in-process store holds the same customers: the same events, over HTTP
      await postEvents(base(pMem), setup.events());
      await postEvents(base(pMean), setup.events());
      const servers = [
        { key: 'echo', port: pEcho, child: children[3]! },
        { key: 'baseline', port: pBase, child: children[4]! },
        { key: 'redis', port: pRedis, child: children[0]! },
        { key: 'memory', port: pMem, child: children[1]! },
        { key: 'memory-mean', port: pMean, child: children[2]! },
      ];
      for (const s of servers) closedLoop(base(s.port), 20, ctx.quick ? 1 : 3, bodies); // warm-up: JIT, connections
      // every server shares core 0: the others are stopped (SIGSTOP) while one is measured, so
      // their timers and collections (an idle in-process store still sweeps and collects its
      // customers) do not land in its latency
      const alone = <T>(s: (typeof servers)[number], measure: () => T): T => {
        const others = servers.filter((o) => o !== s);
        for (const o of others) o.child.kill('SIGSTOP');
        try {
          return measure();
        } finally {
          for (const o of others) o.child.kill('SIGCONT');
        }
      };
      const runs = new Map<string, LoadResult[]>(servers.map((s) => [s.key, []]));
      for (let r = 0; r < rounds; r++) {
        for (let k = 0; k < servers.length; k++) {
          const s = servers[(k + r) % servers.length]!;
          runs.get(s.key)!.push(alone(s, () => closedLoop(base(s.port), 50, seconds, bodies)));
        }
      }
      const rps = (key: string) => runs.get(key)!.map((x) => x.rps);
      const med = (key: string) => median(rps(key));
      // per round, NBO against the baseline measured in the same round: the spread of the ratio
      const ratios = (key: string) => runs.get(key)!.map((x, i) => x.rps / runs.get('baseline')![i]!.rps);
      ctx.log(
        `  50 connections, ${rounds} round(s): echo ${spread(rps('echo'))}, baseline ${spread(rps('baseline'))}, NBO redis ${spread(rps('redis'))}, NBO in-process ${spread(rps('memory'))} req/s`,
      );

      // connections 4 → 50 → 200, and the client-side p99 at 4: over a longer window, with the
      // full collections that fell in it (wrk corrects for coordinated omission, so one pause of
      // 20 ms counts as every request that would have been sent meanwhile: a window with a full
      // collection and one without read several times apart at the p99)
      const p99Seconds = ctx.quick ? 2 : 15;
      const sweep = new Map<string, Map<number, LoadResult>>();
      const gcAt4 = new Map<string, { count: number; seconds: number }>();
      for (const s of servers.filter((x) => x.key === 'redis' || x.key === 'memory')) {
        const byConns = new Map<number, LoadResult>();
        const gcBefore = await majorGcs(base(s.port));
        byConns.set(
          4,
          alone(s, () => closedLoop(base(s.port), 4, p99Seconds, bodies)),
        );
        const gcAfter = await majorGcs(base(s.port));
        gcAt4.set(s.key, { count: gcAfter.count - gcBefore.count, seconds: gcAfter.seconds - gcBefore.seconds });
        for (const c of [50, 200])
          byConns.set(
            c,
            alone(s, () => closedLoop(base(s.port), c, ctx.quick ? 2 : 5, bodies)),
          );
        sweep.set(s.key, byConns);
        ctx.log(
          `  NBO ${s.key}: ${[...byConns].map(([c, x]) => `${c} conns ${x.rps.toFixed(0)} req/s p99 ${x.p99.toFixed(2)} ms`).join('; ')}`,
        );
      }
      const errors = [...runs.values()].flat().reduce((n, x) => n + x.errors, 0);
      const gen = has('wrk') ? 'wrk, 1 thread, core 1' : 'Node generator, core 1';
      const shape = `${customers} customers, 200 offers on every channel and trigger, limit 2; ${rounds} interleaved round(s) of ${seconds} s, the other servers stopped while one is measured, ${gen}`;
      const mode = (key: string, label: string): BenchResult[] => {
        const s = sweep.get(key)!;
        const fall = s.get(200)!.rps / s.get(4)!.rps;
        return [
          {
            name: `decide-unprunable: NBO ${label} vs baseline`,
            value: med(key),
            unit: 'req/s',
            baseline: 'uWS + ioredis HGETALL + json-logic-engine (all 200 rules)',
            baselineValue: med('baseline'),
            ratio: med(key) / med('baseline'),
            budget: 'ratio ≥ 2.5',
            met: med(key) / med('baseline') >= 2.5,
            note: `50 connections; ${shape}; ratio per round ${spread(ratios(key), 2)}; NBO/echo ${(med(key) / med('echo')).toFixed(2)}`,
          },
          {
            name: `decide-unprunable: NBO ${label}, 200 vs 4 connections`,
            value: s.get(200)!.rps,
            unit: 'req/s',
            baseline: '4 connections',
            baselineValue: s.get(4)!.rps,
            ratio: fall,
            budget: 'ratio ≥ 0.9 (does not fall)',
            met: fall >= 0.9,
            note: `4: ${s.get(4)!.rps.toFixed(0)}, 50: ${s.get(50)!.rps.toFixed(0)}, 200: ${s.get(200)!.rps.toFixed(0)} req/s (one run each)`,
          },
          {
            name: `decide-unprunable: NBO ${label}, client p99 at 4 connections`,
            value: s.get(4)!.p99,
            unit: 'ms',
            baseline: null,
            baselineValue: null,
            ratio: null,
            budget: 'p99 ≤ 2 ms',
            met: s.get(4)!.p99 <= 2,
            note: `closed loop, ${p99Seconds} s, ${gen}; p50 ${s.get(4)!.p50.toFixed(2)} ms; full collections in the window: ${gcAt4.get(key)!.count} (pauses ${(gcAt4.get(key)!.seconds * 1000).toFixed(1)} ms in all)`,
          },
        ];
      };
      const out: BenchResult[] = [
        ...mode('redis', 'Redis'),
        ...mode('memory', 'in-process'),
        {
          name: 'decide-unprunable: NBO in-process vs Redis',
          value: med('memory'),
          unit: 'req/s',
          baseline: 'NBO Redis',
          baselineValue: med('redis'),
          ratio: med('memory') / med('redis'),
          budget: 'ratio ≥ 1',
          met: med('memory') >= med('redis'),
          note: `per round ${spread(
            runs.get('memory')!.map((x, i) => x.rps / runs.get('redis')![i]!.rps),
            2,
          )}`,
        },
        {
          name: 'decide-unprunable: NBO in-process, posterior-mean ranking, vs baseline',
          value: med('memory-mean'),
          unit: 'req/s',
          baseline: 'uWS + ioredis HGETALL + json-logic-engine (all 200 rules)',
          baselineValue: med('baseline'),
          ratio: med('memory-mean') / med('baseline'),
          budget: null,
          met: null,
          note: `NBO_EXPLORATION=mean (the default is Thompson sampling); against the default in the same rounds: ${spread(
            runs.get('memory-mean')!.map((x, i) => x.rps / runs.get('memory')![i]!.rps),
            2,
          )}`,
        },
        {
          name: 'decide-unprunable: baseline vs echo',
          value: med('baseline'),
          unit: 'req/s',
          baseline: 'uWS echo server (no work)',
          baselineValue: med('echo'),
          ratio: med('baseline') / med('echo'),
          budget: null,
          met: null,
          note: errors > 0 ? `${errors} non-2xx answers` : 'no errors',
        },
      ];
      return out;
    } finally {
      await Promise.all(children.map(stopChild));
    }
  },
};

import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import type { ValidEvent } from '../../src/events/types.js';
import { loadRulesDir } from '../../src/rules/load.js';
import { stateModelFrom } from '../../src/state/model.js';
import { createRedisStore } from '../../src/state/redis/redis-store.js';
import { scriptSource } from '../../src/state/redis/scripts.js';
import { freePort } from '../../test/support/servers.js';
import { buildNbo, nboServe, pinned, pinSelf, startChild, stopChild } from '../lib/processes.js';
import { customerHistory, rng } from '../lib/synthetic.js';

/** A stable small hash of a customer id (FNV-1a), to split events into lanes. */
function hashOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
import type { BenchResult, Scenario } from '../lib/types.js';

/**
 * Events applied to Redis through the batched path, directly and over HTTP, on the sample
 * catalog's aggregates, as a time-ordered stream of many customers. Baseline: redis-benchmark
 * running the same apply script with a typical purchase, which bounds what Redis itself can do.
 */
export const scenario: Scenario = {
  name: 'ingest',
  async run(ctx) {
    const rules = loadRulesDir('rules');
    if (!rules.ok) throw new Error('sample rules invalid');
    const customers = ctx.quick ? 800 : 3000;
    const rand = rng(5);
    const end = Date.parse('2026-11-23T09:00:00Z');
    const events: ValidEvent[] = [];
    for (let c = 0; c < customers; c++) events.push(...customerHistory(`ing-${c}`, end, rand, 30));
    events.sort((a, b) => a.timeMs - b.timeMs);
    const out: BenchResult[] = [];

    // events split by customer into lanes, as Kafka partitions split them: each lane applies
    // its batches in order; lanes run at once, as the consumer runs assigned partitions
    // (NBO_KAFKA_PARTITIONS_CONCURRENTLY, default 4)
    const lanesOf = <T extends { customerId: string }>(list: T[], n: number): T[][] => {
      const lanes: T[][] = Array.from({ length: n }, () => []);
      for (const e of list) lanes[hashOf(e.customerId) % n]!.push(e);
      return lanes;
    };
    const prefix = `bi${Date.now()}`;
    const direct = async (laneCount: number) => {
      let now = events[0]!.timeMs;
      const store = await createRedisStore({ url: ctx.redisUrl, prefix: `${prefix}l${laneCount}`, clock: () => now });
      store.setModel(stateModelFrom(rules.rules));
      const t0 = performance.now();
      await Promise.all(
        lanesOf(events, laneCount).map(async (lane) => {
          for (let i = 0; i < lane.length; i += 1000) {
            const b = lane.slice(i, i + 1000);
            now = Math.max(now, b[b.length - 1]!.timeMs);
            await store.applyEvents(b);
          }
        }),
      );
      const rate = events.length / ((performance.now() - t0) / 1000);
      await store.close();
      return rate;
    };
    // this process is the server here: core 0, as every server in the run (Redis is on core 1)
    pinSelf('0');
    let oneLane: number, fourLanes: number;
    try {
      oneLane = await direct(1);
      fourLanes = await direct(4);
    } finally {
      pinSelf('0,1');
    }

    // over HTTP: NBO (compiled, core 0) and the same stream posted in batches of 500 by 4
    // clients in this process (core 1, with Redis), bodies serialized beforehand
    buildNbo();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const svc = await startChild(
      pinned(0, nboServe()),
      {
        NBO_PORT: String(port),
        NBO_REDIS_URL: ctx.redisUrl,
        NBO_REDIS_PREFIX: `${prefix}h`,
        NBO_TRIGGERS: 'none',
        NBO_RULES_WATCH: 'false',
        NBO_LOG_LEVEL: 'warn',
        NBO_LAME_DUCK_MS: '0',
      },
      `${url}/readyz`,
    );
    const overHttp = (list: ValidEvent[]) =>
      list.map((e) => {
        const { timeMs: _t, ...rest } = e;
        return { ...rest, time: new Date(Date.now() - (end - e.timeMs)).toISOString() };
      });
    const bodiesOf = (list: ReturnType<typeof overHttp>) =>
      lanesOf(list, 4).map((lane) => {
        const bodies: string[] = [];
        for (let i = 0; i < lane.length; i += 500) bodies.push(JSON.stringify(lane.slice(i, i + 500)));
        return bodies;
      });
    const post = (lanes: string[][]) =>
      Promise.all(
        lanes.map(async (list) => {
          for (const body of list) {
            const r = await fetch(`${url}/v1/events`, { method: 'POST', body });
            if (r.status !== 202) throw new Error(`POST /v1/events: ${r.status} ${await r.text()}`);
          }
        }),
      );
    const httpEvents = overHttp(events.slice(0, Math.min(events.length, ctx.quick ? 20_000 : 60_000)));
    const bodies = bodiesOf(httpEvents);
    // a warm-up first, as the decision scenarios have (JIT, connections, Redis's scripts):
    // 10,000 events of other customers, not timed
    const warmRand = rng(6);
    const warm: ValidEvent[] = [];
    for (let c = 0; warm.length < 10_000; c++) warm.push(...customerHistory(`ingw-${c}`, end, warmRand, 30));
    warm.sort((a, b) => a.timeMs - b.timeMs);
    const warmBodies = bodiesOf(overHttp(warm.slice(0, 10_000)));
    pinSelf('1');
    let http: number;
    try {
      await post(warmBodies);
      const t1 = performance.now();
      await post(bodies);
      http = httpEvents.length / ((performance.now() - t1) / 1000);
    } finally {
      pinSelf('0,1');
      await stopChild(svc);
    }

    // redis-benchmark: the apply script on random customers, one purchase each
    let baseline: number | null = null;
    try {
      const r = new Redis(ctx.redisUrl);
      const sha = (await r.script('LOAD', scriptSource('apply-events-n.lua'))) as string;
      r.disconnect();
      const port = new URL(ctx.redisUrl).port;
      const batch = JSON.stringify([
        [
          [
            '__rand_int__',
            'b',
            's1',
            's',
            '20780',
            12.5,
            20700,
            'b',
            's2',
            'c',
            '2968',
            0,
            2960,
            'b',
            's3',
            'mx',
            '20780',
            12.5,
            20700,
            'b',
            's4',
            'a',
            '20780',
            12.5,
            20700,
            'l',
            's5',
            1795400000000,
            '"x"',
          ],
        ],
      ]);
      const csv = execFileSync(
        'redis-benchmark',
        [
          '-p',
          port,
          '-n',
          ctx.quick ? '20000' : '100000',
          '-c',
          '20',
          '-P',
          '16',
          '-r',
          '100000',
          '--csv',
          'evalsha',
          sha,
          '1',
          'rb:{__rand_int__}',
          '1795400000000',
          '604800000',
          '34560000000',
          batch,
        ],
        { encoding: 'utf8' },
      );
      // the test name holds the quoted batch; rps is the first number after it
      baseline = Number(/","([\d.]+)","[\d.]+","[\d.]+","/.exec(csv.split('\n')[1] ?? '')?.[1] ?? NaN);
    } catch (err) {
      ctx.log(`  redis-benchmark unavailable: ${(err as Error).message.split('\n')[0]}`);
    }
    const purchaseShare = events.filter((e) => e.type === 'purchase').length / events.length;
    ctx.log(
      `  direct ${fourLanes.toFixed(0)} events/s (one lane ${oneLane.toFixed(0)}), HTTP ${http.toFixed(0)} events/s, redis-benchmark apply script ${baseline?.toFixed(0)} calls/s`,
    );
    const budget = (v: number): Pick<BenchResult, 'budget' | 'met'> => ({
      budget: '≥ 50,000 events/s',
      met: v >= 50_000,
    });
    const mix = `sample catalog (14 aggregates), ${customers} customers, time-ordered, ${(purchaseShare * 100).toFixed(0)}% purchases`;
    out.push({
      name: 'ingest: batched path into Redis',
      value: fourLanes,
      unit: 'events/s',
      baseline: 'redis-benchmark EVALSHA of the apply script (one purchase)',
      baselineValue: baseline,
      ratio: baseline ? fourLanes / baseline : null,
      ...budget(fourLanes),
      note: `${mix}; batches of 1,000 in 4 lanes split by customer, as the Kafka consumer applies 4 partitions at once; the store on core 0, Redis on core 1`,
    });
    out.push({
      name: 'ingest: batched path, one lane',
      value: oneLane,
      unit: 'events/s',
      baseline: 'four lanes',
      baselineValue: fourLanes,
      ratio: oneLane / fourLanes,
      budget: null,
      met: null,
      note: 'one batch in flight at a time: the event loop and Redis take turns',
    });
    out.push({
      name: 'ingest: POST /v1/events into Redis',
      value: http,
      unit: 'events/s',
      baseline: 'the batched path',
      baselineValue: fourLanes,
      ratio: http / fourLanes,
      ...budget(http),
      note: 'NBO compiled, on core 0; batches of 500 from 4 concurrent clients on core 1, bodies serialized beforehand; after a warm-up of 10,000 events of other customers',
    });
    return out;
  },
};

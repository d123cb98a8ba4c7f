import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../test/support/servers.js';
import { buckets, nodeLoad, nodeLoadAsync, serverP99, writeBodies } from '../lib/http-load.js';
import { buildNbo, nboServe, pinned, startChild, stopChild } from '../lib/processes.js';
import { rng } from '../lib/synthetic.js';
import type { BenchResult, Scenario } from '../lib/types.js';
import { unprunableBodies } from '../lib/unprunable-catalog.js';
import { unprunableSetup } from '../lib/unprunable-setup.js';

/**
 * Decisions while events stream into the same Redis: NBO (Redis mode, the un-prunable
 * catalog) answers POST /v1/decide open loop at 5,000/s while POST /v1/events brings
 * 20,000 events/s (200 requests of 100 purchases a second) into the same instance and
 * Redis. Decision p99 with and without the stream, side by side with the ingest rate; then
 * the same on a fresh instance ranking by the posterior mean (NBO_EXPLORATION=mean).
 */
export const scenario: Scenario = {
  name: 'mixed-load',
  async run(ctx) {
    const customers = ctx.quick ? 2000 : 10_000;
    const seconds = ctx.quick ? 3 : 10;
    const decideRate = 5000;
    const eventsPerRequest = 100;
    const eventRate = ctx.quick ? 10_000 : 20_000;
    const setup = await unprunableSetup(ctx.redisUrl, customers);
    const work = mkdtempSync(join(tmpdir(), 'nbo-bench-mixed-'));
    const decide = writeBodies(work, 'decide', '/v1/decide', unprunableBodies(4000, customers, 31));
    const rand = rng(32);
    const now = Date.now();
    let n = 0;
    // one set of events per server measured (ids differ: a second server must not see duplicates)
    const eventSet = (tag: string) =>
      writeBodies(
        work,
        `events-${tag}`,
        '/v1/events',
        Array.from({ length: Math.ceil((eventRate / eventsPerRequest) * seconds) + 50 }, () =>
          JSON.stringify(
            Array.from({ length: eventsPerRequest }, () => ({
              id: `mx-${tag}-${now}-${n++}`,
              type: 'purchase',
              customerId: `u-${Math.floor(rand() * customers)}`,
              time: new Date(now - Math.floor(rand() * 3_600_000)).toISOString(),
              channel: 'pos',
              data: { amount: Math.round(rand() * 6000) / 100 },
            })),
          ),
        ),
      );

    buildNbo();
    /** Decisions alone, then with the event stream, on a fresh NBO (Redis mode) with `env` added. */
    const measure = async (tag: string, env: Record<string, string>) => {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const nbo = await startChild(
        pinned(0, nboServe()),
        {
          NBO_PORT: String(port),
          NBO_RULES_DIR: setup.rulesDir,
          NBO_RULES_WATCH: 'false',
          NBO_LOG_LEVEL: 'warn',
          NBO_REDIS_URL: ctx.redisUrl,
          NBO_REDIS_PREFIX: setup.prefix,
          ...env,
        },
        `${base}/readyz`,
      );
      try {
        const events = eventSet(tag);
        nodeLoad('open', base, decideRate, ctx.quick ? 1 : 3, decide); // warm-up
        let before = await buckets(base);
        const alone = nodeLoad('open', base, decideRate, seconds, decide);
        const aloneServer = await serverP99(base, before);
        before = await buckets(base);
        const [mixed, ingest] = await Promise.all([
          nodeLoadAsync('open', base, decideRate, seconds, decide),
          nodeLoadAsync('open', base, eventRate / eventsPerRequest, seconds, events),
        ]);
        const mixedServer = await serverP99(base, before);
        const ingestRate = ingest.rps * eventsPerRequest;
        ctx.log(
          `  ${tag}: decisions alone: p99 ${alone.p99.toFixed(2)} ms (server ${aloneServer.p99}); with ${ingestRate.toFixed(0)} events/s: p99 ${mixed.p99.toFixed(2)} ms (server ${mixedServer.p99}), ${mixed.rps.toFixed(0)} decisions/s, errors ${mixed.errors + ingest.errors}`,
        );
        return { alone, aloneServer, mixed, mixedServer, ingest, ingestRate };
      } finally {
        await stopChild(nbo);
      }
    };
    {
      const { alone, aloneServer, mixed, mixedServer, ingest, ingestRate } = await measure('default', {});
      // the same with the posterior-mean ranking: what Thompson sampling's extra offers cost here
      const mean = await measure('mean', { NBO_EXPLORATION: 'mean' });
      const out: BenchResult[] = [
        {
          name: 'mixed-load: decision p99 while ingesting',
          value: mixed.p99,
          unit: 'ms',
          baseline: 'decision p99 without the event stream',
          baselineValue: alone.p99,
          ratio: mixed.p99 / alone.p99,
          budget: 'p99 ≤ 5 ms',
          met: mixed.p99 <= 5,
          note: `client side, open loop at ${decideRate}/s (achieved ${mixed.rps.toFixed(0)}/s, p50 ${mixed.p50.toFixed(2)} ms, ${mixed.errors} errors); server side ${mixedServer.p99} (${(mixedServer.under2ms * 100).toFixed(1)} % ≤ 2 ms); without the stream ${alone.p99.toFixed(2)} ms client, ${aloneServer.p99} server; un-prunable catalog, Redis mode; generators on core 1 with Redis`,
        },
        {
          name: 'mixed-load: events ingested meanwhile',
          value: ingestRate,
          unit: 'events/s',
          baseline: 'rate offered',
          baselineValue: eventRate,
          ratio: ingestRate / eventRate,
          budget: null,
          met: null,
          note: `POST /v1/events, ${eventsPerRequest} purchases a request, open loop; p99 per request ${ingest.p99.toFixed(1)} ms; ${ingest.errors} errors`,
        },
        {
          name: 'mixed-load: decision p99 while ingesting, posterior-mean ranking',
          value: mean.mixed.p99,
          unit: 'ms',
          baseline: 'the default (Thompson sampling), same load',
          baselineValue: mixed.p99,
          ratio: mean.mixed.p99 / mixed.p99,
          budget: null,
          met: null,
          note: `NBO_EXPLORATION=mean; achieved ${mean.mixed.rps.toFixed(0)} decisions/s and ${mean.ingestRate.toFixed(0)} events/s; server side ${mean.mixedServer.p99}; without the stream ${mean.alone.p99.toFixed(2)} ms client, ${mean.aloneServer.p99} server`,
        },
      ];
      return out;
    }
  },
};

// Two builds of NBO side by side on the un-prunable catalog, in alternated rounds under wrk:
// this checkout's and another's (a git worktree of an earlier commit, built there with
// `npm run build`). What a change did, measured in one run on a shared machine.
//   git worktree add ../nbo-base <commit> && (cd ../nbo-base && npm ci && npm run build)
//   npx tsx bench/ab.ts --other=../nbo-base [--mode=redis|memory] [--conns=50] [--rounds=3] [--seconds=5]
//                       [--customers=2000] [--other-flags='--max-semi-space-size=4']
// --other-flags gives the other build Node flags (--other=. compares flags alone).
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, startRedis } from '../test/support/servers.js';
import { closedLoop, ensureWrk, writeBodies } from './lib/http-load.js';
import { buildNbo, nboServe, pinned, startChild, stopChild } from './lib/processes.js';
import { unprunableBodies } from './lib/unprunable-catalog.js';
import { postEvents, unprunableEnv, unprunableSetup } from './lib/unprunable-setup.js';
import { arg } from './lib/args.js';

const other = resolve(arg('other', ''));
const mode = arg('mode', 'redis');
const conns = Number(arg('conns', '50'));
const rounds = Number(arg('rounds', '3'));
const seconds = Number(arg('seconds', '5'));
const customers = Number(arg('customers', '2000'));
const flagsArg = process.argv.find((a) => a.startsWith('--other-flags='))?.slice('--other-flags='.length);
if (!existsSync(join(other, 'dist/cli/main.js')))
  throw new Error(`--other=${other}: no dist/cli/main.js (build it there)`);

const otherFlags = (flagsArg ?? '').split(' ').filter(Boolean);
ensureWrk();
const redis = await startRedis();
try {
  const setup = await unprunableSetup(redis.url, customers);
  const bodies = writeBodies(
    mkdtempSync(join(tmpdir(), 'nbo-ab-')),
    'decide',
    '/v1/decide',
    unprunableBodies(2000, customers),
  );
  buildNbo();
  const builds: Array<[string, string[]]> = [
    ['this', nboServe()],
    ['other', [process.execPath, ...otherFlags, join(other, 'dist/cli/main.js'), 'serve']],
  ];
  const servers: Array<{ name: string; base: string }> = [];
  const children = [];
  for (const [name, cmd] of builds) {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = unprunableEnv(setup, port, mode === 'redis' ? redis.url : undefined);
    children.push(await startChild(pinned(0, cmd), env, `${base}/readyz`));
    if (mode === 'memory') await postEvents(base, setup.events());
    servers.push({ name, base });
  }
  try {
    for (const s of servers) closedLoop(s.base, 20, 2, bodies); // warm-up
    const rps = new Map<string, number[]>(servers.map((s) => [s.name, []]));
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < servers.length; k++) {
        const s = servers[(k + r) % servers.length]!;
        const x = closedLoop(s.base, conns, seconds, bodies);
        rps.get(s.name)!.push(x.rps);
        process.stdout.write(
          `${s.name}: ${x.rps.toFixed(0)} req/s, p50 ${x.p50.toFixed(2)} ms, p99 ${x.p99.toFixed(2)} ms\n`,
        );
      }
    }
    const ratios = rps.get('this')!.map((v, i) => v / rps.get('other')![i]!);
    process.stdout.write(
      `this / other per round (${mode}, ${conns} connections): ${ratios.map((x) => x.toFixed(2)).join(', ')}\n`,
    );
  } finally {
    await Promise.all(children.map(stopChild));
  }
} finally {
  await redis.stop();
}

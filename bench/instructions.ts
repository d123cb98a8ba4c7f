// Instructions per decision, counted by callgrind: unlike wall-clock time on a shared
// machine, the count repeats within a percent or two, so A/B comparisons of small changes
// are possible while others load the machine. NBO (compiled) runs under valgrind; after
// seeding and a warm-up the counters are zeroed, a closed loop of requests runs, and the
// total is divided by the requests answered.
//   npx tsx bench/instructions.ts [--mode=memory|redis] [--customers=500] [--warm=4000] [--seconds=20] [--conns=8]
// Needs valgrind (apt-get install valgrind).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startRedis } from '../test/support/servers.js';
import { nodeLoad, writeBodies } from './lib/http-load.js';
import { buildNbo, pinned, startChild, stopChild } from './lib/processes.js';
import { unprunableBodies } from './lib/unprunable-catalog.js';
import { postEvents, unprunableSetup } from './lib/unprunable-setup.js';

const arg = (name: string, def: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? def;
const mode = arg('mode', 'memory');
const customers = Number(arg('customers', '500'));
const warm = Number(arg('warm', '20'));
const seconds = Number(arg('seconds', '20'));
const conns = Number(arg('conns', '8'));
const path = arg('path', '/v1/decide');

const redis = await startRedis();
try {
  const setup = await unprunableSetup(redis.url, customers);
  const work = mkdtempSync(join(tmpdir(), 'nbo-instructions-'));
  const bodies = writeBodies(work, 'decide', path, unprunableBodies(2000, customers));
  buildNbo();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = { NBO_PORT: String(port), NBO_RULES_DIR: setup.rulesDir, NBO_RULES_WATCH: 'false', NBO_LOG_LEVEL: 'warn', NBO_DECIDE_TIMEOUT_MS: '60000' };
  if (mode === 'redis') Object.assign(env, { NBO_REDIS_URL: redis.url, NBO_REDIS_PREFIX: setup.prefix, NBO_REDIS_TIMEOUT_MS: '60000' });
  const out = join(work, 'cg.out');
  const nbo = await startChild(
    pinned(0, ['valgrind', '--tool=callgrind', '--smc-check=all-non-file', `--callgrind-out-file=${out}`, process.execPath, 'dist/cli/main.js', 'serve']),
    env,
    `${base}/readyz`,
    300_000,
  );
  try {
    if (mode === 'memory') await postEvents(base, setup.events());
    nodeLoad('closed', base, conns, warm, bodies);
    execFileSync('callgrind_control', ['-z', String(nbo.pid)], { stdio: 'ignore' });
    const r = nodeLoad('closed', base, conns, seconds, bodies) as { ok?: number; errors: number };
    execFileSync('callgrind_control', ['-d', String(nbo.pid)], { stdio: 'ignore' });
    const dump = readdirSync(work).filter((f) => f.startsWith('cg.out.')).sort().pop()!;
    const text = readFileSync(join(work, dump), 'utf8');
    const total = Number(/^(?:summary|totals): (\d+)/m.exec(text)?.[1]);
    process.stdout.write(`${mode}: ${r.ok} requests, ${r.errors} errors; ${(total / 1e6).toFixed(1)} M instructions; ${Math.round(total / (r.ok ?? 1)).toLocaleString('en-US')} instructions per request\n`);
  } finally {
    await stopChild(nbo);
  }
} finally {
  await redis.stop();
}

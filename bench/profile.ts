// Where a decision's time goes on the un-prunable catalog: NBO (compiled, core 0) under wrk
// with --cpu-prof, then self time summed per function and per part of the code.
//   npx tsx bench/profile.ts [--mode=memory|redis] [--seconds=10] [--customers=2000] [--conns=50]
// Writes the .cpuprofile under bench/results/ (untracked) for Chrome DevTools.
import { readdirSync, readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startRedis } from '../test/support/servers.js';
import { closedLoop, writeBodies } from './lib/http-load.js';
import { buildNbo, pinned, startChild, stopChild } from './lib/processes.js';
import { unprunableBodies } from './lib/unprunable-catalog.js';
import { postEvents, unprunableSetup } from './lib/unprunable-setup.js';

const arg = (name: string, def: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? def;
const mode = arg('mode', 'memory');
const seconds = Number(arg('seconds', '10'));
const customers = Number(arg('customers', '2000'));
const conns = Number(arg('conns', '50'));

const redis = await startRedis();
try {
  const setup = await unprunableSetup(redis.url, customers);
  const work = mkdtempSync(join(tmpdir(), 'nbo-profile-'));
  const bodies = writeBodies(work, 'decide', '/v1/decide', unprunableBodies(2000, customers));
  buildNbo();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const profDir = new URL('./results/', import.meta.url).pathname;
  const env: Record<string, string> = {
    NBO_PORT: String(port),
    NBO_RULES_DIR: setup.rulesDir,
    NBO_RULES_WATCH: 'false',
    NBO_LOG_LEVEL: 'warn',
  };
  if (mode === 'redis') Object.assign(env, { NBO_REDIS_URL: redis.url, NBO_REDIS_PREFIX: setup.prefix });
  const before = new Set(readdirSync(profDir));
  const nbo = await startChild(
    pinned(0, [process.execPath, '--cpu-prof', `--cpu-prof-dir=${profDir}`, 'dist/cli/main.js', 'serve']),
    env,
    `${base}/readyz`,
  );
  if (mode === 'memory') await postEvents(base, setup.events());
  closedLoop(base, conns, 2, bodies);
  const r = closedLoop(base, conns, seconds, bodies);
  process.stdout.write(
    `${mode}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ${r.errors} errors\n`,
  );
  await stopChild(nbo);
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile') && !before.has(f));
  if (!file) throw new Error('no profile written');
  summarize(join(profDir, file), r.rps * seconds);
} finally {
  await redis.stop();
}

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
  children?: number[];
}

function summarize(path: string, requests: number): void {
  const prof = JSON.parse(readFileSync(path, 'utf8')) as {
    nodes: Node[];
    samples: number[];
    timeDeltas: number[];
    startTime: number;
    endTime: number;
  };
  const total = prof.samples.length;
  const self = new Map<string, number>();
  for (const n of prof.nodes) {
    const f = n.callFrame;
    const where = f.url.replace(/^.*\/(dist|node_modules)\//, '$1/');
    const key = `${f.functionName || '(anonymous)'} ${where}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + n.hitCount);
  }
  const idle = [...self].filter(([k]) => k.startsWith('(idle)')).reduce((s, [, v]) => s + v, 0);
  const busyMs = ((prof.endTime - prof.startTime) / 1000) * (1 - idle / total);
  process.stdout.write(
    `\n${path}\n${total} samples, idle ${((idle / total) * 100).toFixed(1)} %; about ${((busyMs * 1000) / Math.max(1, requests)).toFixed(1)} µs of CPU per request (whole profile)\n\n`,
  );
  const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 45);
  for (const [k, v] of top) process.stdout.write(`${((v / total) * 100).toFixed(1).padStart(5)} %  ${k}\n`);
}

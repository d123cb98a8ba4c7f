// `npm run bench` (full) and `npm run bench:quick`: runs every scenario in bench/scenarios,
// each against baselines in the same run, prints the machine first, writes
// bench/results/latest.json and regenerates docs/benchmarks.md (a full run only: a quick run
// writes bench/results/quick.tmp.json). A slow number never fails the run; a broken bench does.
import { execSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { ensureInstalled, startKafkaMock, startRedis } from '../test/support/servers.js';
import type { BenchResult, Scenario } from './lib/types.js';
import { renderTable, writeDocs, type BenchRun } from './lib/report.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.find((a) => a.startsWith('--only='))?.slice(7);

const sh = (cmd: string) => {
  try {
    return execSync(cmd, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
};

ensureInstalled();
// wrk drives the closed-loop HTTP load; without it the Node generator does (slower, noted in the results)
if (!sh('command -v wrk') && process.getuid?.() === 0) sh('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk');

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  redis: sh('redis-server --version')?.match(/v=(\S+)/)?.[1] ?? 'unknown',
  loadGenerator: sh('command -v wrk') ? 'wrk (closed loop), bench/lib/load.ts (open loop)' : 'bench/lib/load.ts',
  pinning: sh('command -v taskset') ? 'servers on core 0; load generator and Redis on core 1 (taskset)' : 'none (taskset missing)',
  mode: quick ? ('quick' as const) : ('full' as const),
  date: new Date().toISOString(),
};
process.stdout.write(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, Redis ${machine.redis}\n`);
process.stdout.write(`load: ${machine.loadGenerator}; pinning: ${machine.pinning}; mode: ${machine.mode}\n\n`);

const redis = await startRedis();
const redisPid = sh(`pgrep -f "redis-server 127.0.0.1:${redis.port}"`);
if (redisPid && sh('command -v taskset')) sh(`taskset -pc 1 ${redisPid}`);
const kafka = await startKafkaMock();
const ctx = { quick, redisUrl: redis.url, kafkaBrokers: kafka.brokers, log: (l: string) => process.stdout.write(`${l}\n`) };

const files = readdirSync(new URL('./scenarios', import.meta.url)).filter((f) => f.endsWith('.bench.ts')).sort();
const order = ['rules-eval', 'decide-http', 'rules-swap', 'ingest', 'kafka-to-ws', 'ws-fanout', 'memory', 'learning'];
const scenarios: Scenario[] = [];
for (const f of files) scenarios.push(((await import(`./scenarios/${f}`)) as { scenario: Scenario }).scenario);
scenarios.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));

const results: BenchResult[] = [];
let broken = 0;
for (const s of scenarios) {
  if (only && s.name !== only) continue;
  process.stdout.write(`▶ ${s.name}\n`);
  const t0 = Date.now();
  try {
    results.push(...(await s.run(ctx)));
  } catch (err) {
    broken++;
    process.stdout.write(`  BROKEN: ${(err as Error).stack ?? err}\n`);
  }
  process.stdout.write(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
}
await redis.stop();
await kafka.stop();

process.stdout.write(`\n${renderTable(results)}\n`);

// A full run replaces bench/results/latest.json and docs/benchmarks.md; a quick or partial run
// writes only its own untracked file, so CI (which runs bench:quick) never rewrites the tree.
const run: BenchRun = { machine, results };
mkdirSync(new URL('./results', import.meta.url), { recursive: true });
const file = quick || only ? `./results/${quick ? 'quick' : `only-${only}`}.tmp.json` : './results/latest.json';
writeFileSync(new URL(file, import.meta.url), `${JSON.stringify(run, null, 2)}\n`);
process.stdout.write(`results: bench/${file.slice(2)}\n`);
if (!quick && !only) writeDocs(run);
for (const r of results) if (r.detail && (quick || only)) process.stdout.write(`\n${r.detail}`);
if (broken > 0) process.stdout.write(`\n${broken} scenario(s) broken\n`);
// clients of the finished scenarios may still hold sockets open: leave now
process.exit(broken > 0 ? 1 : 0);

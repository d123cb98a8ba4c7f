// `npm run bench` (full) and `npm run bench:quick`: runs every scenario in bench/scenarios,
// each against baselines in the same run, prints the machine first. A full run records its
// scenarios in bench/results/latest.json and regenerates docs/benchmarks.md from it
// (`--only=a,b` replaces just those scenarios there); a quick run writes only the untracked
// bench/results/quick.json, so CI never rewrites tracked files. A slow number never fails
// the run; a broken bench does.
import { execSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { ensureWrk } from './lib/http-load.js';
import { readLatest, renderDocs, withReadmeTable, type Latest } from './lib/report.js';
import { ensureInstalled, startKafkaMock, startRedis } from '../test/support/servers.js';
import type { BenchResult, Scenario } from './lib/types.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');

const sh = (cmd: string) => {
  try {
    return execSync(cmd, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
};

ensureInstalled();
// wrk drives the closed-loop HTTP load; without it the Node generator does (slower, noted in the results)
const wrk = ensureWrk();

const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  redis: sh('redis-server --version')?.match(/v=(\S+)/)?.[1] ?? 'unknown',
  loadGenerator: wrk ? 'wrk (closed loop), bench/lib/load.ts (open loop)' : 'bench/lib/load.ts',
  pinning: sh('command -v taskset')
    ? 'servers on core 0; load generator and Redis on core 1 (taskset)'
    : 'none (taskset missing)',
  mode: quick ? 'quick' : 'full',
  date: new Date().toISOString(),
};
process.stdout.write(
  `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, Redis ${machine.redis}\n`,
);
process.stdout.write(`load: ${machine.loadGenerator}; pinning: ${machine.pinning}; mode: ${machine.mode}\n\n`);

const redis = await startRedis();
const redisPid = sh(`pgrep -f "redis-server 127.0.0.1:${redis.port}"`);
if (redisPid && sh('command -v taskset')) sh(`taskset -pc 1 ${redisPid}`);
let kafka = await startKafkaMock();
const ctx = {
  quick,
  redisUrl: redis.url,
  kafkaBrokers: kafka.brokers,
  log: (l: string) => process.stdout.write(`${l}\n`),
};

const files = readdirSync(new URL('./scenarios', import.meta.url))
  .filter((f) => f.endsWith('.bench.ts'))
  .sort();
const order = [
  'rules-eval',
  'decide-http',
  'decide-unprunable',
  'mixed-load',
  'rules-swap',
  'ingest',
  'kafka-to-ws',
  'ws-fanout',
  'memory',
  'learning',
];
const scenarios: Scenario[] = [];
for (const f of files) scenarios.push(((await import(`./scenarios/${f}`)) as { scenario: Scenario }).scenario);
scenarios.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));

const results: BenchResult[] = [];
const byScenario = new Map<string, BenchResult[]>();
let broken = 0;
for (const s of scenarios) {
  if (only && !only.includes(s.name)) continue;
  process.stdout.write(`▶ ${s.name}\n`);
  const ended = kafka.exited();
  if (ended !== null) {
    // a full run outlives kcat's mock cluster now and then: a scenario that needs it gets a new one
    process.stdout.write(`  the mock Kafka cluster had stopped (${ended}); starting another\n`);
    kafka = await startKafkaMock();
    ctx.kafkaBrokers = kafka.brokers;
  }
  const t0 = Date.now();
  try {
    const got = await s.run(ctx);
    byScenario.set(s.name, got);
    results.push(...got);
  } catch (err) {
    broken++;
    process.stdout.write(`  BROKEN: ${(err as Error).stack ?? err}\n`);
  }
  process.stdout.write(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
}
await redis.stop();
await kafka.stop();

const fmt = (v: number | null, unit = '') => {
  if (v === null || Number.isNaN(v)) return '—';
  const s =
    Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
  return unit ? `${s} ${unit}` : s;
};
for (const r of results) {
  process.stdout.write(
    `${r.name}: ${fmt(r.value, r.unit)}${r.ratio === null ? '' : ` (× ${fmt(r.ratio)} ${r.baseline})`}${r.budget ? ` — ${r.budget}: ${r.met ? 'met' : 'NOT met'}` : ''}\n`,
  );
}

const resultsDir = new URL('./results/', import.meta.url);
mkdirSync(resultsDir, { recursive: true });
if (quick) {
  // untracked (.gitignore): CI proves the benches run without rewriting tracked files
  writeFileSync(new URL('quick.json', resultsDir), `${JSON.stringify({ machine, results }, null, 2)}\n`);
  for (const r of results) if (r.detail) process.stdout.write(`\n${r.detail}`);
} else {
  const latest: Latest = readLatest();
  latest.machine = machine;
  for (const [name, list] of byScenario) latest.scenarios[name] = { date: machine.date, results: list };
  latest.order = order;
  writeFileSync(new URL('latest.json', resultsDir), `${JSON.stringify(latest, null, 2)}\n`);
  writeFileSync(new URL('../docs/benchmarks.md', import.meta.url), renderDocs(latest));
  const readme = new URL('../README.md', import.meta.url);
  writeFileSync(readme, withReadmeTable(readFileSync(readme, 'utf8'), latest));
}
if (broken > 0) process.stdout.write(`\n${broken} scenario(s) broken\n`);
// clients of the finished scenarios may still hold sockets open: leave now
process.exit(broken > 0 ? 1 : 0);

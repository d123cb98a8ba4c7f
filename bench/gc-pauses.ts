// NBO's garbage-collection pauses under closed-loop load on the un-prunable catalog: the
// server (compiled, core 0) runs with --trace-gc-nvp, wrk (core 1) drives it after seeding
// and a warm-up, and what the collector did during the load is summed from its trace —
// scavenges and mark-compacts (count, median and largest pause), the scavenge's phases and
// bytes promoted on average, the old generation's size — beside the client's throughput and
// p50/p99. A client p99 a little above the scavenge pause says the pauses set it.
// --windows=N measures N windows of --seconds one after another and prints each with the
// full collections that fell in it; --preload=S runs 50 connections for S seconds first (the
// old generation a heavier load leaves); --helpers-core=1 moves every thread of NBO but the
// event loop's (V8's garbage-collection helpers among them) to that core.
//   npx tsx bench/gc-pauses.ts [--mode=memory|redis] [--conns=4] [--seconds=10] [--customers=10000]
//                              [--node-flags='--max-semi-space-size=32 …'] [--windows=1]
//                              [--preload=0] [--helpers-core=1]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startRedis } from '../test/support/servers.js';
import { closedLoop, ensureWrk, scrapeMetrics, writeBodies } from './lib/http-load.js';
import { buildNbo, nboServe, pinned, startChild, stopChild } from './lib/processes.js';
import { unprunableBodies } from './lib/unprunable-catalog.js';
import { postEvents, unprunableEnv, unprunableSetup } from './lib/unprunable-setup.js';
import { arg } from './lib/args.js';

const mode = arg('mode', 'memory');
const conns = Number(arg('conns', '4'));
const seconds = Number(arg('seconds', '10'));
const customers = Number(arg('customers', '10000'));
const nodeFlags = arg('node-flags', '').split(' ').filter(Boolean);
const windows = Number(arg('windows', '1'));
const preload = Number(arg('preload', '0'));
const helpersCore = arg('helpers-core', '');
if (mode !== 'memory' && mode !== 'redis') throw new Error(`--mode is memory or redis, not ${mode}`);
for (const [name, v] of Object.entries({ conns, seconds, customers, windows }))
  if (!(Number.isInteger(v) && v > 0)) throw new Error(`--${name} is a positive whole number`);
if (!(Number.isInteger(preload) && preload >= 0)) throw new Error('--preload is a whole number of seconds');
if (helpersCore !== '' && !/^\d+$/.test(helpersCore)) throw new Error('--helpers-core is a core number');
ensureWrk();

/** One collection from a --trace-gc-nvp line: its kind (s, mc, ms, …) and its name=value pairs. */
function parse(line: string): { kind: string; fields: Map<string, number> } | null {
  const kind = line.match(/\bgc=(\w+)/)?.[1];
  if (kind === undefined) return null;
  const fields = new Map<string, number>();
  for (const m of line.matchAll(/([\w.]+)=([\d.]+)%?(?=\s|$)/g)) fields.set(m[1]!, Number(m[2]));
  return { kind, fields };
}

const redis = await startRedis();
try {
  const setup = await unprunableSetup(redis.url, customers);
  const work = mkdtempSync(join(tmpdir(), 'nbo-gc-'));
  const bodies = writeBodies(work, 'decide', '/v1/decide', unprunableBodies(2000, customers));
  const trace = join(work, 'gc.log');
  buildNbo();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = unprunableEnv(setup, port, mode === 'redis' ? redis.url : undefined);
  const [node = process.execPath, ...serveArgs] = nboServe();
  const cmd = pinned(0, [node, '--trace-gc-nvp', ...nodeFlags, ...serveArgs]);
  // V8 writes the trace to stdout: into a file, read after the load
  const quote = (a: string) => `'${a.replaceAll("'", `'\\''`)}'`;
  const nbo = await startChild(
    ['sh', '-c', `exec ${cmd.map(quote).join(' ')} > ${quote(trace)}`],
    env,
    `${base}/readyz`,
  );
  try {
    if (helpersCore !== '') {
      // the event loop's thread is the process's own id; V8's helpers, libuv's pool and the
      // inspector's thread are the others
      for (const tid of readdirSync(`/proc/${nbo.pid}/task`))
        if (tid !== String(nbo.pid)) execFileSync('taskset', ['-pc', helpersCore, tid], { stdio: 'ignore' });
    }
    if (mode === 'memory') await postEvents(base, setup.events());
    closedLoop(base, conns, 3, bodies); // warm-up
    if (preload > 0) closedLoop(base, 50, preload, bodies);
    const from = readFileSync(trace, 'utf8').length;
    let r = closedLoop(base, conns, seconds, bodies);
    // more than one window: each printed with the full collections the trace gained during it
    for (let w = 1, at = from; windows > 1; w++) {
      const text = readFileSync(trace, 'utf8');
      const full = text
        .slice(at)
        .split('\n')
        .map(parse)
        .filter((g) => g !== null && (g.kind === 'mc' || g.kind === 'ms'))
        .map((g) => g!.fields.get('pause') ?? 0);
      at = text.length;
      process.stdout.write(
        `window ${w}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms; full collections: ${full.length === 0 ? 'none' : `${full.length} (pauses ${full.join(', ')} ms)`}\n`,
      );
      if (w === windows) break;
      r = closedLoop(base, conns, seconds, bodies);
    }
    // the old generation's size (its spaces: old, code, large objects): a scavenge visits
    // every one of its pages (the time in no named phase)
    const exposition = await scrapeMetrics(base);
    let oldSpace = 0;
    for (const space of ['old', 'code', 'large_object', 'code_large_object']) {
      const m = new RegExp(`_heap_space_size_total_bytes\\{space="${space}"\\} (\\d+)`).exec(exposition);
      if (!m) throw new Error(`/metrics has no heap space size for "${space}"`);
      oldSpace += Number(m[1]);
    }
    const gcs = readFileSync(trace, 'utf8')
      .slice(from)
      .split('\n')
      .map(parse)
      .filter((g) => g !== null);
    const pauses = (kinds: string[]) =>
      gcs
        .filter((g) => kinds.includes(g.kind))
        .map((g) => g.fields.get('pause') ?? 0)
        .sort((a, b) => a - b);
    const show = (xs: number[]) =>
      xs.length === 0 ? 'none' : `${xs.length}, median ${xs[xs.length >> 1]} ms, largest ${xs[xs.length - 1]} ms`;
    const scavenges = gcs.filter((g) => g.kind === 's');
    const mean = (key: string) => scavenges.reduce((n, g) => n + (g.fields.get(key) ?? 0), 0) / (scavenges.length || 1);
    // the scavenge's time that none of its named phases (every `scavenge.*` field) accounts for
    const phases = new Set(scavenges.flatMap((g) => [...g.fields.keys()].filter((k) => k.startsWith('scavenge.'))));
    const unnamed = mean('scavenge') - [...phases].reduce((n, k) => n + mean(k), 0);
    process.stdout.write(
      `${[
        `${mode}, ${conns} connections, ${windows > 1 ? `${windows} windows of ` : ''}${seconds} s${nodeFlags.length ? `, ${nodeFlags.join(' ')}` : ''}${preload > 0 ? `, after ${preload} s at 50 connections` : ''}${helpersCore !== '' ? `, helper threads on core ${helpersCore}` : ''}: ${windows > 1 ? 'the collections of all the windows' : `${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ${r.errors} errors`}`,
        `  scavenges: ${show(pauses(['s']))}`,
        `  mark-compacts: ${show(pauses(['mc', 'ms']))}`,
        `  old generation after the load: ${(oldSpace / 2 ** 20).toFixed(0)} MiB (about ${(oldSpace / 2 ** 18).toFixed(0)} pages of 256 KiB)`,
        ...(gcs.some((g) => g.kind === 'mmc' || g.kind === 'mms')
          ? [`  minor mark-compacts (instead of scavenges): ${show(pauses(['mmc', 'mms']))}`]
          : []),
        `  a scavenge on average: ${mean('scavenge').toFixed(2)} ms, of which ${mean('scavenge.parallel').toFixed(2)} copying (parallel), ${mean('scavenge.roots').toFixed(2)} roots, ${mean('scavenge.sweep_array_buffers').toFixed(2)} array buffers, ${unnamed.toFixed(2)} in no named phase; ${(mean('new_space_survived') / 1024).toFixed(0)} KB survived, ${(mean('promoted') / 1024).toFixed(0)} KB promoted`,
      ].join('\n')}\n`,
    );
  } finally {
    await stopChild(nbo);
  }
} finally {
  await redis.stop();
}

// Where a decision's time goes on the un-prunable catalog: NBO (compiled, core 0) under wrk,
// profiled through the inspector from after seeding and warm-up to the end of the load (so
// the profile holds the decisions only), then self time summed per function.
//   npx tsx bench/profile.ts [--mode=memory|redis] [--seconds=10] [--customers=2000] [--conns=50]
// PROFILE_NODE_FLAGS='--trace-gc …' passes Node flags to the profiled server.
// Writes the .cpuprofile under bench/results/ (untracked) for Chrome DevTools.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { freePort, startRedis } from '../test/support/servers.js';
import { closedLoop, ensureWrk, writeBodies } from './lib/http-load.js';
import { buildNbo, nboServe, pinned, startChild, stopChild } from './lib/processes.js';
import { unprunableBodies } from './lib/unprunable-catalog.js';
import { postEvents, unprunableEnv, unprunableSetup } from './lib/unprunable-setup.js';
import { arg } from './lib/args.js';

const mode = arg('mode', 'memory');
const seconds = Number(arg('seconds', '10'));
const customers = Number(arg('customers', '2000'));
const conns = Number(arg('conns', '50'));

ensureWrk();
const redis = await startRedis();
try {
  const setup = await unprunableSetup(redis.url, customers);
  const work = mkdtempSync(join(tmpdir(), 'nbo-profile-'));
  const bodies = writeBodies(work, 'decide', '/v1/decide', unprunableBodies(2000, customers));
  buildNbo();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const profDir = new URL('./results/', import.meta.url).pathname;
  const env = unprunableEnv(setup, port, mode === 'redis' ? redis.url : undefined);
  const inspectPort = await freePort();
  const [node = process.execPath, ...serveArgs] = nboServe();
  const nbo = await startChild(
    pinned(0, [
      node,
      `--inspect=127.0.0.1:${inspectPort}`,
      ...serveArgs.slice(0, -2),
      ...(process.env.PROFILE_NODE_FLAGS ?? '').split(' ').filter(Boolean),
      ...serveArgs.slice(-2),
    ]),
    env,
    `${base}/readyz`,
  );
  if (mode === 'memory') await postEvents(base, setup.events());
  closedLoop(base, conns, 2, bodies);
  const profiler = await inspect(inspectPort);
  await profiler.send('Profiler.enable');
  const redisCli = new Redis(redis.url);
  await redisCli.config('RESETSTAT');
  await redisCli.config('SET', 'slowlog-log-slower-than', '0');
  await redisCli.config('SET', 'slowlog-max-len', '2000');
  await profiler.send('Profiler.start');
  const r = closedLoop(base, conns, seconds, bodies);
  const { profile } = (await profiler.send('Profiler.stop')) as { profile: unknown };
  profiler.close();
  process.stdout.write(
    `${mode}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ${r.errors} errors\n`,
  );
  // Redis's own time per decision, by command (the scripts show as evalsha)
  const stats = String(await redisCli.info('commandstats'));
  // each script's time per call, from the last 2,000 commands (the slow log at threshold 0)
  const slow = (await redisCli.slowlog('GET', 2000)) as Array<[number, number, number, string[]]>;
  const byScript = new Map<string, { n: number; us: number; example: string }>();
  for (const [, , us, args] of slow) {
    if (args[0]?.toLowerCase() !== 'evalsha') continue;
    const k = `${args[1]!.slice(0, 8)} (${args[2]} keys)`;
    const e = byScript.get(k) ?? { n: 0, us: 0, example: args.slice(3, 6).join(' ').slice(0, 80) };
    e.n++;
    e.us += us;
    byScript.set(k, e);
  }
  for (const [k, e] of byScript)
    process.stdout.write(`script ${k}: ${e.n} calls, ${(e.us / e.n).toFixed(1)} µs each — ${e.example}\n`);
  redisCli.disconnect();
  for (const m of stats.matchAll(/^cmdstat_(\w+):calls=(\d+),usec=(\d+),usec_per_call=([\d.]+)/gm)) {
    const [, cmd, calls, usec, perCall] = m;
    if (cmd === 'config' || cmd === 'info') continue;
    process.stdout.write(
      `redis ${cmd}: ${calls} calls, ${perCall} µs each, ${(Number(usec) / (r.rps * seconds)).toFixed(1)} µs per decision\n`,
    );
  }
  await stopChild(nbo);
  const file = join(profDir, `decide-${mode}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  summarize(file, r.rps * seconds);
} finally {
  await redis.stop();
}

/** A Chrome DevTools protocol session with the child's inspector. */
async function inspect(port: number): Promise<{ send(method: string): Promise<unknown>; close(): void }> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{
    webSocketDebuggerUrl: string;
  }>;
  const ws = new WebSocket(targets[0]!.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let next = 0;
  const waiting = new Map<number, (result: unknown) => void>();
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as { id?: number; result?: unknown };
    if (msg.id !== undefined) waiting.get(msg.id)?.(msg.result);
  });
  return {
    send: (method) =>
      new Promise((resolve) => {
        const id = ++next;
        waiting.set(id, resolve);
        ws.send(JSON.stringify({ id, method }));
      }),
    close: () => ws.close(),
  };
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
    `\n${path}\n${total} samples, idle ${((idle / total) * 100).toFixed(1)} %; about ${((busyMs * 1000) / Math.max(1, requests)).toFixed(1)} µs of CPU per request (the load's seconds)\n\n`,
  );
  const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 45);
  for (const [k, v] of top) process.stdout.write(`${((v / total) * 100).toFixed(1).padStart(5)} %  ${k}\n`);
}

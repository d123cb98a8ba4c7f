// Load against an HTTP server from core 1: closed loop with wrk (C, cheap per request) when
// installed, else the Node generator; open loop with the Node generator (lib/load.ts).
// And the server-side latency read from NBO's decision-duration histogram.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import { has } from '../../test/support/servers.js';
import { pinned } from './processes.js';

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/** Request bodies for both generators, written once: `{ json, lua }` file paths. */
export function writeBodies(
  dir: string,
  name: string,
  path: string,
  bodies: string[],
): { json: string; lua: string; path: string } {
  const json = join(dir, `${name}.json`);
  writeFileSync(json, JSON.stringify(bodies));
  const lua = join(dir, `${name}.lua`);
  const list = bodies
    .slice(0, 300)
    .map((b) => `[==[${b}]==]`)
    .join(',\n');
  writeFileSync(
    lua,
    `local bodies = {\n${list}\n}\nlocal i = 0\nrequest = function()\n  i = i + 1\n  return wrk.format("POST", "${path}", { ["Content-Type"] = "application/json" }, bodies[(i % #bodies) + 1])\nend\n`,
  );
  return { json, lua, path };
}

/** What wrk printed (with --latency): requests/s, p50 and p99 in ms, non-2xx answers. */
export function parseWrk(out: string): LoadResult {
  const ms = (s: string | undefined) =>
    s === undefined
      ? NaN
      : s.endsWith('us')
        ? parseFloat(s) / 1000
        : s.endsWith('ms')
          ? parseFloat(s)
          : parseFloat(s) * 1000;
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
    p50: ms(/^\s+50%\s+(\S+)/m.exec(out)?.[1]),
    p99: ms(/^\s+99%\s+(\S+)/m.exec(out)?.[1]),
    errors: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
  };
}

let wrkChecked: boolean | null = null;

/**
 * Whether wrk is there, installed first when missing and running as root. Without it the
 * closed loop falls back to the Node generator, which spends core 1 on itself and gives other
 * throughput and latency than wrk: said once on stderr, so a profile or an A/B run on a
 * machine without wrk is not read as wrk's.
 */
export function ensureWrk(): boolean {
  if (wrkChecked !== null) return wrkChecked;
  if (!has('wrk') && process.getuid?.() === 0) {
    try {
      execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk'], {
        stdio: 'ignore',
        timeout: 300_000,
      });
    } catch {
      // reported below
    }
  }
  wrkChecked = has('wrk');
  if (!wrkChecked)
    process.stderr.write('wrk is not installed: closed-loop load comes from the Node generator (bench/lib/load.ts)\n');
  return wrkChecked;
}

/** Closed loop: `conns` connections, each sending its next request when the last one answers. */
export function closedLoop(
  base: string,
  conns: number,
  seconds: number,
  bodies: { json: string; lua: string; path: string },
): LoadResult {
  if (ensureWrk()) {
    const cmd = pinned(1, [
      'wrk',
      '-t1',
      `-c${conns}`,
      `-d${seconds}s`,
      '--latency',
      '-s',
      bodies.lua,
      `${base}${bodies.path}`,
    ]);
    return parseWrk(execFileSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8' }));
  }
  return nodeLoad('closed', base, conns, seconds, bodies);
}

/** The Node generator's command line (lib/load.ts on core 1). */
const loadCommand = (
  mode: 'open' | 'closed',
  base: string,
  arg: number,
  seconds: number,
  bodies: { json: string; path: string },
): string[] =>
  pinned(1, [
    process.execPath,
    '--import',
    'tsx',
    'bench/lib/load.ts',
    `${base}${bodies.path}`,
    mode,
    String(arg),
    String(seconds),
    bodies.json,
  ]);

/** The Node generator (lib/load.ts) pinned to core 1: open loop at `arg` req/s, or closed with `arg` connections. */
export function nodeLoad(
  mode: 'open' | 'closed',
  base: string,
  arg: number,
  seconds: number,
  bodies: { json: string; path: string },
): LoadResult {
  const cmd = loadCommand(mode, base, arg, seconds, bodies);
  const out = execFileSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as LoadResult;
}

/** The same, started in the background (for two loads at once); resolves with its result. */
export function nodeLoadAsync(
  mode: 'open' | 'closed',
  base: string,
  arg: number,
  seconds: number,
  bodies: { json: string; path: string },
): Promise<LoadResult> {
  const cmd = loadCommand(mode, base, arg, seconds, bodies);
  return import('node:child_process').then(
    ({ execFile }) =>
      new Promise<LoadResult>((resolve, reject) => {
        execFile(cmd[0]!, cmd.slice(1), { encoding: 'utf8', maxBuffer: 1 << 20 }, (err, out) =>
          err ? reject(err) : resolve(JSON.parse(out.trim().split('\n').pop()!) as LoadResult),
        );
      }),
  );
}

/** NBO's /metrics exposition, on a fresh connection (the load runs leave the server busy closing theirs). */
export function scrapeMetrics(base: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    httpGet(`${base}/metrics`, { agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

/** Full (major) garbage collections so far and their pauses in all, from NBO's gc-duration histogram. */
export async function majorGcs(base: string): Promise<{ count: number; seconds: number }> {
  const text = await scrapeMetrics(base);
  const read = (series: string) =>
    Number(new RegExp(`^nbo_nodejs_gc_duration_seconds_${series}\\{kind="major"\\} (\\S+)`, 'm').exec(text)?.[1] ?? 0);
  return { count: read('count'), seconds: read('sum') };
}

/** The decision-duration histogram's buckets (source="http") now. */
export async function buckets(base: string): Promise<Map<string, number>> {
  const text = await scrapeMetrics(base);
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    const b = /^nbo_decision_duration_seconds_bucket\{le="([^"]+)",source="http"\} (\d+)/.exec(line);
    if (b) m.set(b[1]!, Number(b[2]));
  }
  return m;
}

/** Server-side p99 since `before` (the smallest bucket holding 99 %), and the share within 2 ms. */
export async function serverP99(
  base: string,
  before: Map<string, number>,
): Promise<{ p99: string; p99Ms: number; under2ms: number }> {
  const now = await buckets(base);
  const diff = [...now].map(([le, c]) => [le, c - (before.get(le) ?? 0)] as const);
  const total = diff.find(([le]) => le === '+Inf')?.[1] ?? 0;
  const within = (le: string) => (diff.find(([l]) => l === le)?.[1] ?? 0) / Math.max(1, total);
  const p99 = diff.find(([, c]) => c / Math.max(1, total) >= 0.99)?.[0] ?? '+Inf';
  return {
    p99: p99 === '+Inf' ? '> 2.5 s' : `≤ ${Number(p99) * 1000} ms`,
    p99Ms: p99 === '+Inf' ? Infinity : Number(p99) * 1000,
    under2ms: within('0.002'),
  };
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** "12,300–14,100" over rounds: the spread a reader should see beside a median. */
export const spread = (xs: number[], digits = 0): string =>
  `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;

// A load generator in its own process (pin it with taskset). Open loop: requests at a
// fixed rate, latency measured from each request's scheduled time, so a stall counts
// against every request it delays (no coordinated omission). Closed loop: N connections
// each sending its next request when the last one answers.
//   node --import tsx bench/lib/load.ts URL MODE(open|closed) RATE_OR_CONNECTIONS SECONDS BODIES_FILE
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';

const [url, mode, arg, seconds, bodiesFile] = process.argv.slice(2) as [string, 'open' | 'closed', string, string, string];
const bodies = JSON.parse(readFileSync(bodiesFile, 'utf8')) as string[];
const agent = new Agent({ keepAlive: true, maxSockets: mode === 'open' ? 256 : Number(arg) });
const u = new URL(url);
const lat: number[] = [];
let errors = 0;
let n = 0;

function send(scheduled: number): Promise<void> {
  const body = bodies[n++ % bodies.length]!;
  return new Promise((resolve) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode === 200) lat.push(performance.now() - scheduled);
        else errors++;
        resolve();
      });
    });
    req.on('error', () => {
      errors++;
      resolve();
    });
    req.end(body);
  });
}

const durationMs = Number(seconds) * 1000;
const start = performance.now();
if (mode === 'open') {
  const rate = Number(arg);
  const pending: Promise<void>[] = [];
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.floor(((now - start) / 1000) * rate);
      while (sent < due) pending.push(send(start + (sent++ * 1000) / rate));
      if (now - start < durationMs) setImmediate(tick);
      else resolve();
    };
    tick();
  });
  await Promise.all(pending);
} else {
  const conns = Number(arg);
  await Promise.all(
    Array.from({ length: conns }, async () => {
      while (performance.now() - start < durationMs) await send(performance.now());
    }),
  );
}
const secs = (performance.now() - start) / 1000;
lat.sort((a, b) => a - b);
const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
process.stdout.write(`${JSON.stringify({ ok: lat.length, errors, rps: lat.length / secs, p50: q(0.5), p99: q(0.99), max: lat[lat.length - 1] ?? NaN })}\n`);
agent.destroy();

// A load generator in its own process (pin it with taskset). Open loop: requests at a
// fixed rate, latency measured from each request's scheduled time, so a stall counts
// against every request it delays (no coordinated omission). Closed loop: N connections
// each sending its next request when the last one answers.
//   node --import tsx bench/lib/load.ts URL MODE(open|closed) RATE_OR_CONNECTIONS SECONDS BODIES_FILE
//
// It speaks HTTP/1.1 over raw keep-alive sockets with every request encoded beforehand and
// reads only status lines and Content-Length: node:http's client costs several times more
// CPU per request, and on a small machine the generator's CPU is taken from what it measures.
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';

const [url, mode, arg, seconds, bodiesFile] = process.argv.slice(2) as [
  string,
  'open' | 'closed',
  string,
  string,
  string,
];
const bodies = JSON.parse(readFileSync(bodiesFile, 'utf8')) as string[];
const u = new URL(url);
const requests = bodies.map((b) =>
  Buffer.from(
    `POST ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(b)}\r\n\r\n${b}`,
  ),
);
const lat: number[] = [];
let errors = 0;
let n = 0;

/** One keep-alive connection, one request at a time; calls done(latency | null) per answer. */
class Conn {
  private socket: Socket;
  private buf: Buffer = Buffer.alloc(0);
  private started = 0;
  private done: ((ok: boolean) => void) | null = null;
  busy = false;
  constructor(onClose: () => void) {
    this.socket = connect({ host: u.hostname, port: Number(u.port), noDelay: true });
    this.socket.on('data', (d: Buffer) => this.onData(d));
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      if (this.done) this.finish(false);
      onClose();
    });
  }
  ready(): Promise<void> {
    return new Promise((r) => this.socket.once('connect', () => r()));
  }
  get usable(): boolean {
    return !this.busy && !this.socket.destroyed;
  }
  send(scheduled: number, done: (ok: boolean) => void): void {
    if (this.socket.destroyed) {
      errors++;
      setTimeout(() => done(false), 10);
      return;
    }
    this.busy = true;
    this.started = scheduled;
    this.done = done;
    this.socket.write(requests[n++ % requests.length]!);
  }
  private finish(ok: boolean): void {
    const done = this.done!;
    this.done = null;
    this.busy = false;
    if (ok) lat.push(performance.now() - this.started);
    else errors++;
    done(ok);
  }
  private onData(d: Buffer): void {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = this.buf.toString('latin1', 0, end);
      const len = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (this.buf.length < end + 4 + len) return;
      this.buf = this.buf.subarray(end + 4 + len);
      if (this.done) this.finish(head.startsWith('HTTP/1.1 2'));
    }
  }
  close(): void {
    this.socket.destroy();
  }
}

const durationMs = Number(seconds) * 1000;
const conns: Conn[] = [];
const open = (count: number) =>
  Promise.all(
    Array.from({ length: count }, () => {
      const c = new Conn(() => {});
      conns.push(c);
      return c.ready();
    }),
  );
let start = 0;
if (mode === 'open') {
  // enough connections that one is idle when a request is due; more are opened on demand
  await open(64);
  const rate = Number(arg);
  let sent = 0;
  let inFlight = 0;
  // round robin over the idle ones, so none sits idle long enough to be closed
  let next = 0;
  const idle = (): Conn => {
    for (let k = 0; k < conns.length; k++) {
      const c = conns[(next + k) % conns.length]!;
      if (c.usable) {
        next = (next + k + 1) % conns.length;
        return c;
      }
    }
    const c = new Conn(() => {});
    conns.push(c);
    return c;
  };
  start = performance.now();
  await new Promise<void>((resolve) => {
    let finished = false;
    const maybeEnd = () => {
      if (finished && inFlight === 0) resolve();
    };
    const tick = () => {
      const now = performance.now();
      const due = Math.min(Math.floor(((now - start) / 1000) * rate), Math.floor((durationMs / 1000) * rate));
      while (sent < due) {
        inFlight++;
        idle().send(start + (sent++ * 1000) / rate, () => {
          inFlight--;
          maybeEnd();
        });
      }
      if (now - start < durationMs) setTimeout(tick, 1);
      else {
        finished = true;
        maybeEnd();
      }
    };
    tick();
  });
} else {
  await open(Number(arg));
  start = performance.now();
  await Promise.all(
    conns.map(
      (c) =>
        new Promise<void>((resolve) => {
          const next = () => (performance.now() - start < durationMs ? c.send(performance.now(), next) : resolve());
          next();
        }),
    ),
  );
}
const secs = (performance.now() - start) / 1000;
lat.sort((a, b) => a - b);
const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
process.stdout.write(
  `${JSON.stringify({ ok: lat.length, errors, rps: lat.length / secs, p50: q(0.5), p99: q(0.99), max: lat[lat.length - 1] ?? NaN })}\n`,
);
for (const c of conns) c.close();

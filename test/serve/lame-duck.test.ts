import { Agent, request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { spawnNbo } from '../support/process.js';

const LAME_DUCK_MS = 2000;

interface Sample {
  start: number;
  end: number;
  status: number;
}

/** Sends decide requests back to back on `lanes` keep-alive connections until `stop()`. */
function stream(url: string, lanes: number) {
  const samples: Sample[] = [];
  let running = true;
  const lane = async () => {
    while (running) {
      const start = Date.now();
      const status = await fetch(`${url}/v1/decide`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ customerId: `c-${start % 97}`, channel: 'pos' }),
      }).then(
        async (r) => {
          await r.arrayBuffer();
          return r.status;
        },
        () => 0, // reset or refused
      );
      samples.push({ start, end: Date.now(), status });
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const done = Promise.all(Array.from({ length: lanes }, lane));
  return {
    samples,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

/** One GET on a keep-alive agent: the status, the Connection header, and whether the server closed the socket after it. */
function keepAliveGet(
  url: string,
  waitCloseMs = 300,
): Promise<{ status: number; connection: string | undefined; closedByServer: boolean }> {
  const agent = new Agent({ keepAlive: true });
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => {
        const sock = req.socket!;
        const done = (closedByServer: boolean) => {
          agent.destroy();
          resolve({ status: res.statusCode!, connection: res.headers.connection, closedByServer });
        };
        if (sock.destroyed || sock.readableEnded) return done(true);
        const t = setTimeout(() => done(false), waitCloseMs);
        sock.once('close', () => {
          clearTimeout(t);
          done(true);
        });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('SIGTERM lame duck', () => {
  it('keeps answering every request for NBO_LAME_DUCK_MS with /readyz failing, then drains and exits 0', async () => {
    const nbo = await spawnNbo({ NBO_LAME_DUCK_MS: String(LAME_DUCK_MS), NBO_SHUTDOWN_TIMEOUT_MS: '3000' });
    const load = stream(nbo.url, 4);
    await new Promise((r) => setTimeout(r, 300));
    const before = await keepAliveGet(`${nbo.url}/v1/offers`);
    const t0 = Date.now();
    nbo.child.kill('SIGTERM');

    const ready: number[] = [];
    // once the signal is handled (readiness fails), replies close their keep-alive connections
    while (
      (await fetch(`${nbo.url}/readyz`).then(
        (r) => r.status,
        () => 0,
      )) !== 503 &&
      Date.now() - t0 < 1000
    )
      await new Promise((r) => setTimeout(r, 10));
    const duringLameDuck = await keepAliveGet(`${nbo.url}/v1/offers`, 1000);
    while (Date.now() - t0 < LAME_DUCK_MS - 500) {
      ready.push(
        await fetch(`${nbo.url}/readyz`).then(
          (r) => r.status,
          () => 0,
        ),
      );
      await new Promise((r) => setTimeout(r, 100));
    }
    const code = await nbo.exited;
    await load.stop();

    // requests sent in the delay (minus a margin for a slow machine), each answered
    const during = load.samples.filter((s) => s.start >= t0 && s.end <= t0 + LAME_DUCK_MS - 300);
    expect(during.length).toBeGreaterThan(20);
    expect(during.filter((s) => s.status < 200 || s.status > 299)).toEqual([]);
    expect(ready.length).toBeGreaterThan(3);
    expect(ready.every((s) => s === 503)).toBe(true);
    // after the delay it drained: new work refused, the process gone
    expect(load.samples.some((s) => s.start > t0 + LAME_DUCK_MS && s.status !== 200)).toBe(true);
    expect(code).toBe(0);
    // keep-alive connections are kept before, and closed after each reply in the lame duck,
    // so clients reconnect through the load balancer to an instance that stays
    expect(before).toMatchObject({ status: 200, closedByServer: false });
    expect(before.connection).not.toBe('close');
    expect(duringLameDuck).toEqual({ status: 200, connection: 'close', closedByServer: true });
  }, 30_000);

  it('SIGINT (Ctrl-C) skips the delay: the process drains and exits at once', async () => {
    const nbo = await spawnNbo({ NBO_LAME_DUCK_MS: '20000', NBO_SHUTDOWN_TIMEOUT_MS: '3000' });
    const t0 = Date.now();
    nbo.child.kill('SIGINT');
    expect(await nbo.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
  }, 30_000);
});

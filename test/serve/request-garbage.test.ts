import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnNbo, type NboProcess } from '../support/process.js';
import { SAMPLE_RULES } from '../support/service.js';

/** Sends `n` GET requests over `conns` keep-alive connections, one at a time on each; resolves when all are answered. */
async function hammer(port: number, path: string, n: number, conns: number): Promise<number> {
  const request = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  const ok = Buffer.from('HTTP/1.1 200');
  let sent = 0;
  let answered = 0;
  await Promise.all(
    Array.from(
      { length: conns },
      () =>
        new Promise<void>((resolve, reject) => {
          const s: Socket = connect({ port, host: '127.0.0.1', noDelay: true }, () => {
            sent++;
            s.write(request);
          });
          s.on('error', reject);
          s.on('data', (d: Buffer) => {
            // one answer per request (the body is short: it arrives with its head)
            for (let i = d.indexOf(ok); i >= 0; i = d.indexOf(ok, i + 1)) answered++;
            if (sent < n) {
              sent++;
              s.write(request);
            } else {
              s.end();
              resolve();
            }
          });
        }),
    ),
  );
  return answered;
}

describe('what a request leaves behind', () => {
  let nbo: NboProcess;
  beforeAll(async () => {
    nbo = await spawnNbo(
      { NBO_RULES_DIR: SAMPLE_RULES },
      // V8 prints each GC with what it promoted to the old generation
      { command: [process.execPath, '--trace-gc', '--trace-gc-nvp', '--import', 'tsx', 'src/cli/main.ts', 'serve'] },
    );
  });
  afterAll(async () => {
    nbo.child.kill('SIGTERM');
    await nbo.exited;
  });

  it("nothing of a request outlives young-generation GCs: the server's state per request is not promoted", async () => {
    await hammer(nbo.port, '/healthz', 5_000, 4); // warm up: the code optimized, the young generation at its size
    const before = nbo.output().length;
    expect(await hammer(nbo.port, '/healthz', 60_000, 4)).toBe(60_000);
    const scavenges = [
      ...nbo
        .output()
        .slice(before)
        .matchAll(/gc=s\b.*?promoted=(\d+)/g),
    ].map((m) => Number(m[1]));
    expect(scavenges.length).toBeGreaterThan(3);
    // a handful of requests are in flight at each GC (a few KB); a request context that
    // outlived them (an object literal with a getter did) was about 1.4 MB per scavenge
    const mean = scavenges.reduce((s, x) => s + x, 0) / scavenges.length;
    expect(mean).toBeLessThan(100_000);
  }, 120_000);
});

import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/servers.js';
import { get } from '../support/service.js';

const SHUTDOWN_TIMEOUT_MS = 20_000;

/** Sends the headers and part of a body, then drops the connection. */
function abortedUpload(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => {
      s.write(
        `POST /v1/events HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n[{"id":"e-1","type":"purchase",`,
      );
      setTimeout(() => {
        s.destroy();
        resolve();
      }, 50);
    });
    s.on('error', reject);
  });
}

describe('drain after aborted uploads', () => {
  it('uploads dropped mid-body are not counted as in flight: SIGTERM drains at once (inFlight 0), not after the shutdown timeout', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
      env: {
        ...process.env,
        NBO_PORT: String(port),
        NBO_LOG_LEVEL: 'info',
        NBO_RULES_WATCH: 'false',
        NBO_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 20_000;
    while ((await get(`${url}/healthz`).catch(() => ({ status: 0 }))).status !== 200) {
      if (Date.now() > deadline) throw new Error(`service did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    for (let i = 0; i < 5; i++) await abortedUpload(port);
    // a complete request still works after them
    expect((await get(`${url}/healthz`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));

    const t0 = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const draining = output
      .split('\n')
      .filter((l) => l.includes('"msg":"draining"'))
      .map((l) => JSON.parse(l));
    expect(draining).toHaveLength(1);
    expect(draining[0].inFlight).toBe(0);
    // far below the shutdown timeout it would otherwise wait out
    expect(Date.now() - t0).toBeLessThan(SHUTDOWN_TIMEOUT_MS / 2);
  }, 60_000);
});

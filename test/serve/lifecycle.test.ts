import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/servers.js';
import { checkout, get, SAMPLE_RULES, startTestService, subscribe, until } from '../support/service.js';

describe('SIGTERM', () => {
  it('drains: readiness fails, new work is refused, in-flight work finishes, WebSockets close with 1001, the process exits 0', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
      env: {
        ...process.env,
        NBO_PORT: String(port),
        NBO_LOG_LEVEL: 'warn',
        NBO_RULES_WATCH: 'false',
        NBO_SHUTDOWN_TIMEOUT_MS: '5000',
        NBO_LAME_DUCK_MS: '0',
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
    const sub = subscribe(`ws://127.0.0.1:${port}/v1/stream?channel=pos`);
    await sub.opened;

    // an in-flight request: headers and half a body sent before the signal
    const body = JSON.stringify([checkout('c-drain')]);
    let inflightStatus = 0;
    const inflight = new Promise<void>((resolve, reject) => {
      const req = request(
        `${url}/v1/events`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
        },
        (res) => {
          inflightStatus = res.statusCode ?? 0;
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 10));
      setTimeout(() => req.end(body.slice(10)), 700);
    });
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    child.kill('SIGTERM');

    await until(() => sub.closed() !== null, 3000);
    expect(sub.closed()!.code).toBe(1001);
    const ready = await get(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.body.checks.draining.ok).toBe(false);
    const refused = await fetch(`${url}/v1/decide`, {
      method: 'POST',
      body: JSON.stringify({ customerId: 'c', channel: 'pos' }),
    });
    expect(refused.status).toBe(503);

    await inflight;
    expect(inflightStatus).toBe(202);
    expect(await exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe('rules hot reload', () => {
  it('publishes a changed catalog without a restart, and refuses an invalid one (the last good stays live)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nbo-rules-'));
    cpSync(SAMPLE_RULES, dir, { recursive: true });
    const svc = await startTestService({ NBO_RULES_DIR: dir, NBO_RULES_WATCH: 'true' });
    const v1 = (await get(`${svc.url}/v1/offers`)).body.rulesVersion;
    writeFileSync(join(dir, 'offers', 'new-one.yaml'), 'id: new-one\nname: New\nchannels: [pos]\nvalue: 1\n');
    let v2 = v1;
    const deadline = Date.now() + 5000;
    while (v2 === v1 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      v2 = (await get(`${svc.url}/v1/offers`)).body.rulesVersion;
    }
    expect(v2).not.toBe(v1);
    expect((await get(`${svc.url}/v1/offers`)).body.offers.map((o: { id: string }) => o.id)).toContain('new-one');

    writeFileSync(join(dir, 'offers', 'broken.yaml'), 'id: Broken!\n');
    let m = '';
    const refusedBy = Date.now() + 5000;
    while (!/nbo_rules_reloads_total\{result="invalid"\} [1-9]/.test(m) && Date.now() < refusedBy) {
      await new Promise((r) => setTimeout(r, 100));
      m = (await get(`${svc.url}/metrics`)).body as string;
    }
    expect((await get(`${svc.url}/v1/offers`)).body.rulesVersion).toBe(v2);
    expect(m).toMatch(/nbo_rules_reloads_total\{result="invalid"\} [1-9]/);
    expect(m).toContain(`nbo_rules_info{version="${v2}"} 1`);
    await svc.stop();
  });
});

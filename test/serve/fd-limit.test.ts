import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/servers.js';
import { get } from '../support/service.js';

const FD_LIMIT = 80;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU time (user + system) of a process, in clock ticks (100 a second on Linux). */
function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]);
}

describe('at the file-descriptor limit', () => {
  it.runIf(process.platform === 'linux')(
    'stops accepting instead of spinning a core, says so in /readyz, and accepts again once descriptors are free',
    async () => {
      const port = await freePort();
      const child = spawn(
        'sh',
        ['-c', `ulimit -n ${FD_LIMIT} && exec "${process.execPath}" --import tsx src/cli/main.ts serve`],
        {
          env: { ...process.env, NBO_PORT: String(port), NBO_LOG_LEVEL: 'info', NBO_RULES_WATCH: 'false' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const url = `http://127.0.0.1:${port}`;
      try {
        const deadline = Date.now() + 20_000;
        while ((await get(`${url}/healthz`).catch(() => ({ status: 0 }))).status !== 200) {
          if (Date.now() > deadline) throw new Error(`service did not start:\n${output}`);
          await sleep(100);
        }
        // one keep-alive connection opened before, to ask /readyz on while new ones are refused
        const probe = await new Promise<Socket>((resolve) => {
          const s = connect(port, '127.0.0.1', () => resolve(s));
        });
        const readyz = () =>
          new Promise<string>((resolve) => {
            let got = '';
            const onData = (d: Buffer) => {
              got += d;
              if (got.includes('}}')) {
                probe.off('data', onData);
                resolve(got);
              }
            };
            probe.on('data', onData);
            probe.write(`GET /readyz HTTP/1.1\r\nhost: x\r\n\r\n`);
          });

        // more connections than descriptors
        const socks = Array.from({ length: FD_LIMIT + 40 }, () => connect(port, '127.0.0.1').on('error', () => {}));
        await sleep(1500);
        const c0 = cpuTicks(child.pid!);
        const t0 = Date.now();
        await sleep(2000);
        const percentOfACore = (cpuTicks(child.pid!) - c0) / ((Date.now() - t0) / 1000);
        // spinning on failing accepts takes most of a core; idle, it is about 1 %
        expect(percentOfACore).toBeLessThan(10);
        const ready = await readyz();
        expect(ready).toContain('503 Service Unavailable');
        expect(ready).toContain('at the file-descriptor limit');
        expect(output).toContain('near the file-descriptor limit: not accepting connections');

        for (const s of socks) s.destroy();
        const back = Date.now() + 10_000;
        while ((await get(`${url}/readyz`).catch(() => ({ status: 0 }))).status !== 200) {
          if (Date.now() > back) throw new Error(`not accepting again:\n${output}`);
          await sleep(100);
        }
        expect(child.exitCode).toBeNull();
        probe.destroy();
      } finally {
        child.kill('SIGKILL');
      }
    },
    60_000,
  );
});

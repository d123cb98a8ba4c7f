import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { get } from '../support/service.js';

const ROOT = new URL('../..', import.meta.url).pathname;

describe('npm run demo', () => {
  it('prints the page URL, shows decisions and answers on /v1/stats/offers within seconds, and stops cleanly on Ctrl-C', async () => {
    // its own process group, as in a terminal: Ctrl-C signals npm and the demo together
    const child = spawn('npm', ['run', '--silent', 'demo', '--', '--rate', '40'], {
      cwd: ROOT,
      env: { ...process.env, NBO_PORT: '0' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal })),
    );
    try {
      const deadline = Date.now() + 30_000;
      let url: string | null = null;
      while (!url && Date.now() < deadline) {
        url = /the page: +(http:\/\/\S+)\/ui/.exec(out)?.[1] ?? null;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(url, out).not.toBeNull();
      expect((await get(`${url}/ui`)).status).toBe(200);
      let stats: any = null;
      const offered = () => stats.offers.reduce((n: number, o: any) => n + o.totals.offered, 0);
      const accepted = () => stats.offers.reduce((n: number, o: any) => n + o.totals.accepted, 0);
      const started = Date.now();
      do {
        await new Promise((r) => setTimeout(r, 250));
        stats = (await get(`${url}/v1/stats/offers`)).body;
      } while ((offered() === 0 || accepted() === 0) && Date.now() - started < 15_000);
      expect(offered()).toBeGreaterThan(0);
      expect(accepted()).toBeGreaterThan(0);
      expect(stats.customers).toBeGreaterThan(0);
      expect(stats.segments.some((s: any) => s.sizes.filter((z: any) => z.customers > 0).length > 1)).toBe(true);
    } finally {
      process.kill(-child.pid!, 'SIGINT');
    }
    // npm passes Ctrl-C on by dying of it itself; the demo under it drained and exited 0
    const end = await exited;
    expect(end.code === 0 || end.signal === 'SIGINT', JSON.stringify(end)).toBe(true);
    expect(out).toMatch(/SIGINT: stopping the demo after [1-9]\d* decisions\nstopped\n/);
  }, 60_000);
});

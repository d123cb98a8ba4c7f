import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/servers.js';
import { get, keysFile, post, SAMPLE_RULES, startTestService } from '../support/service.js';

/** Rule files that made the loader throw: deep nesting, and a YAML alias bomb. */
const HOSTILE: Record<string, string> = {
  'deep.json': `{"id":"deep","name":"Deep","channels":["pos"],"value":1,"eligibility":${'{"!":['.repeat(3000)}true${']}'.repeat(3000)}}`,
  'bomb.yaml': [
    'id: bomb',
    'name: Bomb',
    'channels: [pos]',
    'value: 1',
    'payload:',
    '  a: &a [x, x, x, x, x, x, x, x, x]',
    '  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
    '  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
    '  d: [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
    '',
  ].join('\n'),
};

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function rulesCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nbo-rules-'));
  dirs.push(dir);
  cpSync(SAMPLE_RULES, dir, { recursive: true });
  return dir;
}

describe.each(Object.keys(HOSTILE))(
  'a hostile rules file (%s) is refused on every reload path; the last good set stays live',
  (name) => {
    it('the file watcher', async () => {
      const dir = rulesCopy();
      const svc = await startTestService({ NBO_RULES_DIR: dir, NBO_RULES_WATCH: 'true' });
      try {
        const v1 = (await get(`${svc.url}/v1/offers`)).body.rulesVersion;
        writeFileSync(join(dir, 'offers', name), HOSTILE[name]!);
        const deadline = Date.now() + 5000;
        let metrics = '';
        while (!/nbo_rules_reloads_total\{result="invalid"\} [1-9]/.test(metrics) && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
          metrics = (await get(`${svc.url}/metrics`)).body as string;
        }
        expect(metrics).toMatch(/nbo_rules_reloads_total\{result="invalid"\} [1-9]/);
        expect((await get(`${svc.url}/v1/offers`)).body.rulesVersion).toBe(v1);
        expect((await post(`${svc.url}/v1/decide`, { customerId: 'c1', channel: 'pos' })).status).toBe(200);
      } finally {
        await svc.stop();
      }
    });

    it('POST /v1/admin/rules/reload: 422 listing the issue with file, offer and path', async () => {
      const dir = rulesCopy();
      const { file, secrets } = keysFile([{ id: 'ops', scopes: ['admin', 'read'] }]);
      const auth = { authorization: `Bearer ${secrets.ops}` };
      const svc = await startTestService({ NBO_RULES_DIR: dir, NBO_API_KEYS_FILE: file });
      try {
        const v1 = (await get(`${svc.url}/v1/offers`, auth)).body.rulesVersion;
        writeFileSync(join(dir, 'offers', name), HOSTILE[name]!);
        const r = await post(`${svc.url}/v1/admin/rules/reload`, {}, auth);
        expect(r.status).toBe(422);
        expect(r.body).toMatchObject({ code: 'NBO_ERR_RULES_INVALID', rulesVersion: v1 });
        expect(r.body.issues[0]).toMatchObject({
          file: `offers/${name}`,
          id: name.replace(/\..*$/, ''),
          path: expect.stringMatching(/^\$\./),
        });
        expect((await get(`${svc.url}/v1/offers`, auth)).body.rulesVersion).toBe(v1);
      } finally {
        await svc.stop();
      }
    });

    it('SIGHUP: the process keeps running and serving the last good set', async () => {
      const dir = rulesCopy();
      const port = await freePort();
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
        env: {
          ...process.env,
          NBO_PORT: String(port),
          NBO_RULES_DIR: dir,
          NBO_LOG_LEVEL: 'info',
          NBO_RULES_WATCH: 'false',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      let exitCode: number | null | undefined;
      child.on('exit', (c) => (exitCode = c));
      try {
        const url = `http://127.0.0.1:${port}`;
        const deadline = Date.now() + 20_000;
        while ((await get(`${url}/healthz`).catch(() => ({ status: 0 }))).status !== 200) {
          if (Date.now() > deadline || exitCode !== undefined) throw new Error(`service did not start:\n${output}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        const v1 = (await get(`${url}/v1/offers`)).body.rulesVersion;
        writeFileSync(join(dir, 'offers', name), HOSTILE[name]!);
        child.kill('SIGHUP');
        const until = Date.now() + 5000;
        while (!output.includes('rules reload refused') && exitCode === undefined && Date.now() < until)
          await new Promise((r) => setTimeout(r, 50));
        expect(exitCode).toBeUndefined();
        expect(output).toContain('rules reload refused');
        expect((await get(`${url}/v1/offers`)).body.rulesVersion).toBe(v1);
        expect((await get(`${url}/readyz`)).status).toBe(200);
      } finally {
        child.kill('SIGKILL');
      }
    });
  },
);

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { loadRulesDir } from '../../src/rules/load.js';
import { deleteByPrefix } from '../support/redis-keys.js';
import { get, keysFile, SAMPLE_RULES, startTestService } from '../support/service.js';

function capture() {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  });
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => text };
}

async function run(...argv: string[]) {
  const out = capture();
  const err = capture();
  const code = await main(argv, out.stream, err.stream);
  return { code, out: out.text(), err: err.text() };
}

const tmp = mkdtempSync(join(tmpdir(), 'nbo-cli-pub-'));
function rulesWith(name: string, value: number, extra?: (dir: string) => void): string {
  const dir = join(tmp, name);
  cpSync(SAMPLE_RULES, dir, { recursive: true });
  const f = join(dir, 'offers', 'pastry-with-coffee.yaml');
  writeFileSync(f, readFileSync(f, 'utf8').replace(/^value: .*$/m, `value: ${value}`));
  extra?.(dir);
  return dir;
}
const versionOf = (dir: string) => (loadRulesDir(dir) as { rules: { version: string } }).rules.version;

describe('nbo rules publish / history / rollback / diff against a running NBO', () => {
  const prefix = `cli-${randomBytes(4).toString('hex')}`;
  const keys = keysFile([
    { id: 'release-bot', scopes: ['admin'] },
    { id: 'viewer', scopes: ['read'] },
  ]);
  let svc: Awaited<ReturnType<typeof startTestService>>;
  let redis: Redis;
  const key = () => keys.secrets['release-bot']!;
  const read = () => ({ authorization: `Bearer ${keys.secrets.viewer}` });
  const v2dir = rulesWith('v2', 3.5, (dir) => rmSync(join(dir, 'offers', 'vip-early-access.json')));

  beforeAll(async () => {
    redis = new Redis(inject('redisUrl'));
    svc = await startTestService({
      NBO_REDIS_URL: inject('redisUrl'),
      NBO_REDIS_PREFIX: prefix,
      NBO_API_KEYS_FILE: keys.file,
    });
  });
  afterAll(async () => {
    await svc.stop();
    await deleteByPrefix(redis, prefix);
    redis.disconnect();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('publish prints the new version and exits 0; the service serves it', async () => {
    const r = await run(
      'rules',
      'publish',
      v2dir,
      '--url',
      svc.url,
      '--key',
      key(),
      '--message',
      'drop the VIP preview',
    );
    expect(r.code).toBe(0);
    expect(r.out).toBe(`${versionOf(v2dir)}\n`);
    expect(r.err).toMatch(/published [0-9a-f]{12} \(was [0-9a-f]{12}\): 0 added, 1 removed, 1 changed/);
    expect((await get(`${svc.url}/v1/offers`, read())).body.rulesVersion).toBe(versionOf(v2dir));
  });

  it('publish of an invalid set exits 1 with the same issue lines as `nbo rules check`, and nothing changes', async () => {
    const bad = rulesWith('bad', 5, (dir) =>
      writeFileSync(
        join(dir, 'offers', 'zz-bad.yaml'),
        'id: zz-bad\nname: Bad\nchannels: [pos]\nvalue: 1\neligibility: { "≥": [1, 2] }\n',
      ),
    );
    const check = await run('rules', 'check', bad);
    const r = await run('rules', 'publish', bad, '--url', svc.url, '--key', key());
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain(check.err); // identical listing and summary line
    expect(r.err).toContain(`version ${versionOf(v2dir)} stays live`);
    expect((await get(`${svc.url}/v1/offers`, read())).body.rulesVersion).toBe(versionOf(v2dir));
  });

  it('history lists versions newest first with time, key id, message and the offers added/removed/changed', async () => {
    const r = await run('rules', 'history', '--url', svc.url, '--key', key());
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toBe(`source: redis; live: ${versionOf(v2dir)}`);
    expect(lines[1]).toMatch(
      new RegExp(
        `^\\* ${versionOf(v2dir)}  \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z  release-bot  publish  drop the VIP preview$`,
      ),
    );
    expect(lines[2]).toBe('    0 added, 1 removed, 1 changed — removed: vip-early-access; changed: pastry-with-coffee');
    expect(lines[3]).toMatch(new RegExp(`^  ${versionOf(SAMPLE_RULES)} .* - {2}seed {2}seeded from `));
    const json = JSON.parse((await run('rules', 'history', '--url', svc.url, '--key', key(), '--json')).out);
    expect(json.versions.map((v: { version: string }) => v.version)).toEqual([
      versionOf(v2dir),
      versionOf(SAMPLE_RULES),
    ]);
  });

  it('diff compares directories and published versions offer by offer', async () => {
    const dirs = await run('rules', 'diff', SAMPLE_RULES, v2dir);
    expect(dirs.code).toBe(0);
    expect(dirs.out).toContain('- vip-early-access');
    expect(dirs.out).toContain('~ pastry-with-coffee: $.value');
    const versions = await run(
      'rules',
      'diff',
      versionOf(SAMPLE_RULES),
      versionOf(v2dir),
      '--url',
      svc.url,
      '--key',
      key(),
    );
    expect(versions.code).toBe(0);
    expect(versions.out.split('\n').slice(1)).toEqual(dirs.out.split('\n').slice(1));
    const mixed = JSON.parse(
      (await run('rules', 'diff', versionOf(v2dir), SAMPLE_RULES, '--url', svc.url, '--key', key(), '--json')).out,
    );
    expect(mixed).toMatchObject({
      added: ['vip-early-access'],
      removed: [],
      changed: [{ id: 'pastry-with-coffee', fields: ['$.value'] }],
    });
    expect((await run('rules', 'diff', SAMPLE_RULES, SAMPLE_RULES)).out).toContain('no changes');
    const noUrl = await run('rules', 'diff', versionOf(v2dir), SAMPLE_RULES);
    expect(noUrl.code).toBe(1);
    expect(noUrl.err).toContain('give --url');
    const unknown = await run('rules', 'diff', 'abcdefabcdef', SAMPLE_RULES, '--url', svc.url, '--key', key());
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('NBO_ERR_RULES_VERSION_UNKNOWN');
  });

  it('rollback makes a version live again; the key may come from NBO_API_KEY', async () => {
    process.env.NBO_API_KEY = key();
    try {
      const r = await run('rules', 'rollback', versionOf(SAMPLE_RULES), '--url', svc.url);
      expect(r.code).toBe(0);
      expect(r.out).toBe(`${versionOf(SAMPLE_RULES)}\n`);
      expect((await get(`${svc.url}/v1/offers`, read())).body.rulesVersion).toBe(versionOf(SAMPLE_RULES));
      const audit = (await get(`${svc.url}/v1/admin/audit`, { authorization: `Bearer ${key()}` })).body.entries;
      expect(audit[0]).toMatchObject({
        keyId: 'release-bot',
        action: 'rollback',
        result: 'published',
        version: versionOf(SAMPLE_RULES),
      });
    } finally {
      delete process.env.NBO_API_KEY;
    }
  });

  it('exits 1 naming the error on a bad key, a missing scope or an unreachable URL; 2 on usage errors', async () => {
    const noKey = await run('rules', 'history', '--url', svc.url);
    expect(noKey).toMatchObject({ code: 1 });
    expect(noKey.err).toContain('NBO_ERR_UNAUTHENTICATED');
    const reader = await run('rules', 'publish', v2dir, '--url', svc.url, '--key', keys.secrets.viewer!);
    expect(reader.code).toBe(1);
    expect(reader.err).toContain('NBO_ERR_FORBIDDEN');
    const down = await run('rules', 'history', '--url', 'http://127.0.0.1:1', '--key', key());
    expect(down.code).toBe(1);
    expect(down.err).toContain('cannot reach http://127.0.0.1:1');
    expect((await run('rules', 'publish', v2dir)).code).toBe(2);
    expect((await run('rules', 'rollback', '--url', svc.url)).code).toBe(2);
    expect((await run('rules', 'publish', v2dir, '--url', svc.url, '--nope')).code).toBe(2);
  });

  it('as a process: exit codes 0 and 1 through the real binary', async () => {
    // asynchronous: the service it talks to runs in this process
    const nbo = (args: string[]) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        const p = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
          env: { ...process.env, NBO_API_KEY: key() },
        });
        let stdout = '';
        let stderr = '';
        p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        p.on('close', (status) => resolve({ status, stdout, stderr }));
      });
    const ok = await nbo(['rules', 'publish', v2dir, '--url', svc.url]);
    expect(ok.status).toBe(0);
    expect(ok.stdout.trim()).toBe(versionOf(v2dir));
    const refused = await nbo(['rules', 'rollback', 'abcdefabcdef', '--url', svc.url]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('NBO_ERR_RULES_VERSION_UNKNOWN');
  });
});

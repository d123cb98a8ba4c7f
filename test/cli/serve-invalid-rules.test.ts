import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { rulesCheck } from '../../src/cli/rules-check.js';
import { freePort } from '../support/servers.js';
import { SAMPLE_RULES } from '../support/service.js';

/** A copy of the sample rules with one offer using an unknown operator. */
function brokenRules(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nbo-rules-'));
  cpSync(SAMPLE_RULES, dir, { recursive: true });
  writeFileSync(
    join(dir, 'offers', 'typo.yaml'),
    'id: typo\nname: Typo\nchannels: [pos]\nvalue: 1\neligibility: { "greater_than": [ { "var": "customer.agg.spend_30d" }, 5 ] }\n',
  );
  return dir;
}

/** Runs `nbo serve`; resolves with its exit code and output, or null after `ms` (then kills it). */
async function serve(
  env: Record<string, string>,
  ms: number,
): Promise<{ code: number | null; output: string; ms: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    env: {
      ...process.env,
      NBO_PORT: String(await freePort()),
      NBO_LOG_LEVEL: 'warn',
      NBO_RULES_WATCH: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const t0 = Date.now();
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(null);
    }, ms);
    child.on('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  return { code, output, ms: Date.now() - t0 };
}

describe.each([
  ['in-process store', () => ({})],
  ['Redis', () => ({ NBO_REDIS_URL: inject('redisUrl') })],
] as const)('nbo serve with invalid rules — %s', (_mode, env) => {
  it('prints every issue as `nbo rules check` does (file, offer, path, the unknown operator) and exits 1 within seconds', async () => {
    const dir = brokenRules();
    const r = await serve({ NBO_RULES_DIR: dir, ...env() }, 15_000);
    expect(r.code).toBe(1);
    expect(r.ms).toBeLessThan(10_000);
    expect(r.output).toContain('NBO_ERR_RULES_INVALID');
    expect(r.output).toContain('offers/typo.yaml [typo] $.eligibility.greater_than: unknown operator "greater_than"');
    // every line `nbo rules check` prints for the same directory
    let checkOutput = '';
    const sink = {
      write: (s: string) => {
        checkOutput += s;
        return true;
      },
    } as unknown as NodeJS.WritableStream;
    expect(rulesCheck(dir, sink, sink)).toBe(1);
    for (const line of checkOutput.trim().split('\n').slice(0, -1)) expect(r.output).toContain(line);
  });
});

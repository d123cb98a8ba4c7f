import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { freePort } from '../support/servers.js';
import { buildDockerfile, workdirOf, type BuiltStage } from '../support/dockerfile.js';

/**
 * The container image without a Docker engine: the Dockerfile's own steps (npm ci, build,
 * prune) run into a scratch folder, and NBO starts from the result the way the image's
 * ENTRYPOINT and CMD start it — as the image's unprivileged USER, with every file of the
 * app read-only — and answers /healthz, /readyz and a decision.
 */
const ROOT = new URL('../..', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'nbo-image-'));
let stages: BuiltStage[] = [];
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

beforeAll(() => {
  stages = buildDockerfile(ROOT, scratch, { npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' });
}, 300_000);

/** Every path under `dir` with its size and mtime, to see that nothing was written. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      const st = statSync(p);
      out.push(`${p} ${st.size} ${st.mtimeMs}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

describe('the container image (Dockerfile)', () => {
  it('builds in two stages from a pinned Node 20 base, with npm ci, and ships no dev dependencies or sources', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/ARG NODE_IMAGE=node:20\.\d+\.\d+-bookworm-slim/);
    expect(stages).toHaveLength(2);
    expect(stages[0]!.ran.some((r) => r.startsWith('npm ci'))).toBe(true);
    const app = workdirOf(stages[1]!);
    expect(existsSync(join(app, 'dist/cli/bin.js'))).toBe(true);
    expect(existsSync(join(app, 'dist/state/redis/scripts/apply-events-n.lua'))).toBe(true);
    expect(existsSync(join(app, 'node_modules/ioredis'))).toBe(true);
    for (const dev of ['typescript', 'vitest', 'tsx'])
      expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);
    expect(existsSync(join(app, 'src'))).toBe(false);
  });

  it('runs as a numeric non-root user', () => {
    expect(stages[1]!.user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
  });

  const asRoot = process.getuid?.() === 0;
  if (!asRoot)
    console.warn(
      "[image test] not root: skipping the start as the image's unprivileged user (setpriv needs root); run the tests as root (CI does) to check it",
    );
  it.skipIf(!asRoot)(
    'starts as that user from a read-only app folder, writes nothing, and serves /healthz, /readyz and decisions',
    async () => {
      const final = stages[1]!;
      const app = workdirOf(final);
      const [uid, gid] = final.user!.split(':');
      // the user must reach the folder (mkdtemp makes it 0700), and must not be able to write any of it
      for (let d = app; d.startsWith(scratch); d = join(d, '..')) chmodSync(d, 0o755);
      execFileSync('chmod', ['-R', 'a-w', app]);
      const before = tree(app);
      const port = await freePort();
      const [cmd, ...args] = [...final.entrypoint, ...final.cmd];
      expect(cmd).toBe('node');
      const child = spawn(
        'setpriv',
        [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', process.execPath, ...args],
        {
          cwd: app,
          env: {
            PATH: process.env.PATH!,
            HOME: '/nonexistent',
            ...final.env,
            NBO_PORT: String(port),
            NBO_LOG_LEVEL: 'info',
            NBO_LAME_DUCK_MS: '0',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      try {
        const url = `http://127.0.0.1:${port}`;
        const deadline = Date.now() + 20_000;
        while (
          (await fetch(`${url}/healthz`).then(
            (r) => r.status,
            () => 0,
          )) !== 200
        ) {
          if (child.exitCode !== null || Date.now() > deadline)
            throw new Error(`NBO did not start from the image:\n${output}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        expect((await fetch(`${url}/readyz`)).status).toBe(200);
        const res = await fetch(`${url}/v1/decide`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ customerId: 'c-image', channel: 'pos', trigger: 'checkout' }),
        });
        expect(res.status).toBe(200);
        const body = (await res.json()) as { offers: unknown[]; rulesVersion: string };
        expect(body.offers.length).toBeGreaterThan(0);
        expect(output).toContain('NBO listening');
        // the real, effective, saved and filesystem uids of the server process
        const uids = /^Uid:\s+(.*)$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]!.split(/\s+/);
        expect(uids).toEqual([uid, uid, uid, uid]);
      } finally {
        child.kill('SIGINT');
      }
      expect(await exited).toBe(0);
      expect(tree(app)).toEqual(before);
    },
    60_000,
  );
});

describe('compose.yaml (the local stack)', () => {
  const compose = YAML.parse(readFileSync(join(ROOT, 'compose.yaml'), 'utf8')) as { services: Record<string, any> };

  it('runs Redis, a single-node KRaft Kafka and NBO built from this Dockerfile, hardened', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['kafka', 'nbo', 'redis']);
    const nbo = compose.services.nbo;
    expect(nbo.build).toBe('.');
    expect(nbo.read_only).toBe(true);
    expect(nbo.cap_drop).toEqual(['ALL']);
    expect(compose.services.kafka.environment.KAFKA_PROCESS_ROLES).toBe('broker,controller');
  });

  it('configures NBO with variables it accepts, files that exist, and hosts of the stack', () => {
    const nbo = compose.services.nbo;
    const c = loadConfig(nbo.environment);
    expect(c.redis?.url).toBe('redis://redis:6379');
    expect(c.kafka?.brokers).toEqual(['kafka:9092']);
    for (const v of nbo.volumes as string[]) expect(existsSync(join(ROOT, v.split(':')[0]!))).toBe(true);
    const keys = (nbo.volumes as string[]).find((v) => v.endsWith(`${c.apiKeysFile}:ro`))!;
    expect(keys).toBeDefined();
    // the lame duck and the drain fit in the stop grace period
    expect(c.lameDuckMs + c.shutdownTimeoutMs).toBeLessThan(parseInt(nbo.stop_grace_period, 10) * 1000);
  });
});

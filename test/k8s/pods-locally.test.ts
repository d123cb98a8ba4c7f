import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/config/logger.js';
import { startService } from '../../src/service/service.js';
import { ensureTool, k8sCopy, objects, renderers, ROOT } from '../support/k8s.js';
import { freePort } from '../support/servers.js';
import { checkout, get, keysFile, post } from '../support/service.js';

// The rendered pods, run here as the kubelet would run them: each volume of the pod spec
// becomes a directory under a scratch root (ConfigMaps and Secrets written as files, the
// rest empty), the mount paths in commands, scripts and variables point there, and the
// port is a free one. Redis starts through the ConfigMap's start.sh with the overlay's
// arguments, its probe script must answer, and NBO starts with the Deployment's variables
// and the rules from the generated ConfigMaps, and works against that Redis.

const find = (objs: any[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name);
const password = randomBytes(24).toString('hex'); // as `openssl rand -hex 24` in k8s/README.md
let k8s: string;
let tlsDir: string;
const procs: ChildProcess[] = [];

beforeAll(() => {
  ensureTool('openssl');
  k8s = k8sCopy();
  tlsDir = join(mkdtempSync(join(tmpdir(), 'nbo-tls-')), 'redis-tls');
  execFileSync('sh', [join(ROOT, 'k8s/redis-tls-cert.sh'), tlsDir], { stdio: 'pipe' });
});
afterEach(() => {
  for (const p of procs.splice(0)) if (p.exitCode === null) p.kill('SIGKILL');
});

/** The Secrets the walkthrough creates, by name and key. */
const secrets = (keys: string): Record<string, Record<string, string>> => ({
  'nbo-redis': { password },
  'nbo-redis-tls': {
    'ca.crt': readFileSync(join(tlsDir, 'ca.crt'), 'utf8'),
    'tls.crt': readFileSync(join(tlsDir, 'tls.crt'), 'utf8'),
    'tls.key': readFileSync(join(tlsDir, 'tls.key'), 'utf8'),
  },
  'nbo-api-keys': { 'keys.yaml': keys },
});

/** Lays out a container's mounts under `root`; returns a rewrite of mount paths to there. */
function mount(
  objs: any[],
  spec: any,
  container: any,
  root: string,
  secretData: Record<string, Record<string, string>>,
): (s: string) => string {
  for (const m of container.volumeMounts) {
    const dir = join(root, m.mountPath);
    mkdirSync(dir, { recursive: true });
    const vol = spec.volumes?.find((v: any) => v.name === m.name);
    const source = vol?.configMap
      ? find(objs, 'ConfigMap', vol.configMap.name).data
      : vol?.secret
        ? secretData[vol.secret.secretName]
        : {};
    expect(source, `volume ${m.name}`).toBeDefined();
    const items: Array<{ key: string; path: string }> =
      vol?.secret?.items ?? vol?.configMap?.items ?? Object.keys(source).map((k) => ({ key: k, path: k }));
    for (const { key, path } of items) {
      expect(source[key], `${m.name} has no key ${key}`).toBeDefined();
      writeFileSync(join(dir, path), source[key]);
    }
  }
  const paths = container.volumeMounts.map((m: any) => m.mountPath).sort((a: string, b: string) => b.length - a.length);
  const re = new RegExp(
    `(?<![\\w/.-])(${paths.map((p: string) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})(?=/|\\s|$|")`,
    'g',
  );
  return (s) => s.replace(re, (p) => join(root, p));
}

async function startRedisPod(objs: any[], root: string, port: number) {
  const sts = find(objs, 'StatefulSet', 'nbo-redis');
  const spec = sts.spec.template.spec;
  const c = spec.containers[0];
  for (const t of sts.spec.volumeClaimTemplates ?? []) spec.volumes.push({ name: t.metadata.name, emptyDir: {} });
  const local = mount(objs, spec, c, root, secrets(''));
  // the scripts and redis.conf as mounted, with the paths rewritten
  for (const f of ['start.sh', 'ping.sh', 'redis.conf']) {
    const file = join(root, '/etc/redis', f);
    let text = local(readFileSync(file, 'utf8'));
    if (f === 'ping.sh') text = text.replace('redis-cli ', `redis-cli -p ${port} `);
    writeFileSync(file, text);
  }
  const args: string[] = (c.args ?? []).map(local);
  const tlsAt = args.indexOf('--tls-port');
  if (tlsAt >= 0) args[tlsAt + 1] = String(port);
  else args.push('--port', String(port));
  const [cmd, ...cmdArgs] = c.command.map(local);
  const proc = spawn(cmd, [...cmdArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(proc);
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis did not start:\n${out}`)), 10_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`redis exited (${code}):\n${out}`)));
  });
  const probe = c.readinessProbe.exec.command.map(local);
  return { proc, probe: () => execFileSync(probe[0], probe.slice(1), { stdio: 'pipe' }) };
}

describe.each(['dev', 'prod'])('the %s overlay, run locally', (overlay) => {
  it('Redis starts from the ConfigMap scripts with the Secret password (in a file on the emptyDir, not the command line), its probe answers, and NBO works against it', async () => {
    const objs = objects(renderers()[0]!.render(join(k8s, 'overlays', overlay)));
    const root = mkdtempSync(join(tmpdir(), `nbo-pod-${overlay}-`));
    const port = await freePort();
    const redis = await startRedisPod(objs, join(root, 'redis'), port);

    // the password went from the Secret into a file on the /tmp emptyDir, not onto argv
    expect(readFileSync(join(root, 'redis/tmp/auth.conf'), 'utf8')).toBe(`requirepass ${password}\n`);
    expect(JSON.stringify(find(objs, 'StatefulSet', 'nbo-redis'))).not.toContain('requirepass');
    expect(() => redis.probe()).not.toThrow();
    // prod serves TLS only: a plain connection gets no answer, a TLS one with the CA does
    const cli = (...a: string[]) =>
      execFileSync('redis-cli', ['-p', String(port), '--no-auth-warning', '-a', password, ...a], {
        encoding: 'utf8',
        stdio: 'pipe',
        timeout: 5000,
      }).trim();
    const tls = ['--tls', '--cacert', join(tlsDir, 'ca.crt')];
    if (overlay === 'prod') {
      expect(cli(...tls, 'ping')).toBe('PONG');
      expect(() => cli('ping')).toThrow();
    } else {
      expect(cli('ping')).toBe('PONG');
    }

    // NBO, as the Deployment runs it
    const dep = find(objs, 'Deployment', 'nbo');
    const spec = dep.spec.template.spec;
    const c = spec.containers[0];
    const { file: keys, secrets: keySecrets } = keysFile([{ id: 'pos', scopes: ['decide', 'events'] }]);
    const local = mount(objs, spec, c, join(root, 'nbo'), secrets(readFileSync(keys, 'utf8')));
    const env: Record<string, string> = Object.fromEntries(c.env.map((e: any) => [e.name, local(e.value)]));
    env.NBO_REDIS_URL = env.NBO_REDIS_URL!.replace('//nbo-redis:6379', `//localhost:${port}`);
    Object.assign(env, { NBO_PORT: '0', NBO_HOST: '127.0.0.1', NBO_LOG_LEVEL: 'silent', NBO_RULES_WATCH: 'false' });
    const service = await startService(loadConfig(env), { log: createLogger('silent') });
    try {
      const url = `http://127.0.0.1:${service.port}`;
      expect((await get(`${url}/readyz`)).status).toBe(200);
      const auth = { authorization: `Bearer ${keySecrets.pos}` };
      expect((await post(`${url}/v1/events`, [checkout('c-pod')], auth)).status).toBe(202);
      const decided = await post(`${url}/v1/decide`, { customerId: 'c-pod', channel: 'pos' }, auth);
      expect(decided.status).toBe(200);
      expect(decided.body.degraded ?? false).toBe(false);
      // the rules NBO loaded are the generated ConfigMaps' files, offers included
      expect(readFileSync(join(env.NBO_RULES_DIR!, 'offers', 'fallbacks.yaml'), 'utf8')).toBe(
        readFileSync(join(ROOT, 'rules/offers/fallbacks.yaml'), 'utf8'),
      );
    } finally {
      await service.stop();
    }

    // a wrong password in the Redis Secret: the probe fails
    writeFileSync(join(root, 'redis/etc/redis-auth/password'), 'wrong');
    expect(() => redis.probe()).toThrow();
  });
});

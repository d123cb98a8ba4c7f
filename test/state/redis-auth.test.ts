import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { readRedisSecurity } from '../../src/config/redis-security.js';
import { checkout, get, post, startTestService } from '../support/service.js';
import { ensureTool } from '../support/k8s.js';
import { freePort, startClusterNode, startRedis, type RedisServer } from '../support/servers.js';

// Redis with a password (requirepass) and TLS, as k8s/ runs it from a Secret: NBO reads
// NBO_REDIS_PASSWORD_FILE and NBO_REDIS_TLS_CA_FILE and every connection it opens uses them.
const dir = mkdtempSync(join(tmpdir(), 'nbo-redis-auth-'));
const password = `pw-${randomBytes(12).toString('hex')}`;
const file = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};
// `kubectl create secret --from-file` of a file written with echo: a trailing newline
const passwordFile = file('password', `${password}\n`);

/** A CA and a server certificate for 127.0.0.1 it signed, made with openssl. */
function makeCerts(): { ca: string; cert: string; key: string } {
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ossl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=nbo-test-ca');
  ossl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ossl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'san.ext',
  );
  return { ca: join(dir, 'ca.crt'), cert: join(dir, 'server.crt'), key: join(dir, 'server.key') };
}

let plain: RedisServer;
let tls: RedisServer & { tlsPort: number };
let certs: ReturnType<typeof makeCerts>;

beforeAll(async () => {
  ensureTool('openssl');
  certs = makeCerts();
  plain = await startRedis(['--requirepass', password]);
  const tlsPort = await freePort();
  // TLS only (the plain port closed), clients not asked for certificates, and a password
  const server = await startRedis([
    '--port',
    '0',
    '--tls-port',
    String(tlsPort),
    '--tls-cert-file',
    certs.cert,
    '--tls-key-file',
    certs.key,
    '--tls-ca-cert-file',
    certs.ca,
    '--tls-auth-clients',
    'no',
    '--requirepass',
    password,
  ]);
  tls = Object.assign(server, { tlsPort });
});
afterAll(async () => {
  await plain?.stop();
  await tls?.stop();
});

/** Starts NBO on this Redis, sends an event and checks it landed in Redis under the prefix. */
async function roundTrip(env: Record<string, string>, check: Redis) {
  const prefix = `auth${randomBytes(3).toString('hex')}`;
  const service = await startTestService({ NBO_REDIS_PREFIX: prefix, ...env });
  try {
    expect((await get(`${service.url}/readyz`)).status).toBe(200);
    const res = await post(`${service.url}/v1/events`, [checkout('cust-auth')]);
    expect(res.status).toBe(202);
    const decided = await post(`${service.url}/v1/decide`, { customerId: 'cust-auth', channel: 'pos' });
    expect(decided.status).toBe(200);
    expect(decided.body.degraded ?? false).toBe(false);
    expect((await check.keys(`${prefix}:*`)).length).toBeGreaterThan(0);
  } finally {
    await service.stop();
  }
}

describe('Redis password from NBO_REDIS_PASSWORD_FILE', () => {
  it('NBO authenticates with the password in the file (its trailing newline not part of it)', async () => {
    const check = new Redis(plain.port, '127.0.0.1', { password });
    try {
      await roundTrip({ NBO_REDIS_URL: plain.url, NBO_REDIS_PASSWORD_FILE: passwordFile }, check);
    } finally {
      check.disconnect();
    }
  });

  it('without the password, or with a wrong one, NBO does not start and says why', async () => {
    await expect(startTestService({ NBO_REDIS_URL: plain.url })).rejects.toThrow(/NOAUTH|auth/i);
    const wrong = file('wrong', 'not-the-password\n');
    await expect(startTestService({ NBO_REDIS_URL: plain.url, NBO_REDIS_PASSWORD_FILE: wrong })).rejects.toThrow(
      /WRONGPASS|invalid password|auth/i,
    );
  });

  it('a password file that cannot be read or is empty is a configuration error naming the variable, never the password', () => {
    const missing = join(dir, 'nope');
    expect(() => readRedisSecurity({ passwordFile: missing })).toThrow(
      /NBO_REDIS_PASSWORD_FILE=".*nope" cannot be read \(ENOENT\)/,
    );
    expect(() => readRedisSecurity({ passwordFile: file('empty', '\n') })).toThrow(
      /NBO_REDIS_PASSWORD_FILE=.* is empty/,
    );
    expect(() => readRedisSecurity({ tlsCaFile: file('notpem', 'hello') })).toThrow(
      /NBO_REDIS_TLS_CA_FILE=.* holds no PEM certificate/,
    );
    expect(readRedisSecurity({ passwordFile })).toEqual({ password });
  });
});

describe('Redis Cluster with a password', () => {
  it('NBO authenticates to every node of the cluster with the password in the file', async () => {
    const auth = ['--requirepass', password, '--masterauth', password];
    const nodes: RedisServer[] = [];
    try {
      for (let i = 0; i < 3; i++) nodes.push(await startClusterNode(auth));
      const seeds = nodes.map((n) => `127.0.0.1:${n.port}`);
      const cli = (...a: string[]) =>
        execFileSync('redis-cli', ['--no-auth-warning', '-a', password, ...a], { encoding: 'utf8', stdio: 'pipe' });
      cli('--cluster', 'create', ...seeds, '--cluster-replicas', '0', '--cluster-yes');
      const deadline = Date.now() + 20_000;
      while (!nodes.every((n) => cli('-p', String(n.port), 'cluster', 'info').includes('cluster_state:ok'))) {
        if (Date.now() > deadline) throw new Error('redis cluster did not become ready');
        await new Promise((r) => setTimeout(r, 100));
      }
      const prefix = `auth${randomBytes(3).toString('hex')}`;
      const service = await startTestService({
        NBO_REDIS_CLUSTER: seeds.join(','),
        NBO_REDIS_PASSWORD_FILE: passwordFile,
        NBO_REDIS_PREFIX: prefix,
      });
      try {
        expect((await get(`${service.url}/readyz`)).status).toBe(200);
        // customers on every node: each gets its events over an authenticated connection
        const events = Array.from({ length: 30 }, (_, i) => checkout(`cust-${i}`));
        expect((await post(`${service.url}/v1/events`, events)).status).toBe(202);
        const keys = nodes.map((n) =>
          Number(cli('-p', String(n.port), 'eval', `return #redis.call('keys', '${prefix}:*')`, '0').trim()),
        );
        expect(
          keys.every((k) => k > 0),
          `keys per node: ${keys}`,
        ).toBe(true);
      } finally {
        await service.stop();
      }
      await expect(
        startTestService({ NBO_REDIS_CLUSTER: seeds.join(','), NBO_REDIS_PREFIX: prefix }),
      ).rejects.toThrow();
    } finally {
      await Promise.all(nodes.map((n) => n.stop()));
    }
  }, 60_000);
});

describe('Redis TLS (rediss://) with NBO_REDIS_TLS_CA_FILE', () => {
  it('NBO connects over TLS, trusting the CA in the file, and authenticates', async () => {
    const check = new Redis(`rediss://127.0.0.1:${tls.tlsPort}`, {
      password,
      tls: { ca: execFileSync('cat', [certs.ca]).toString() },
    });
    try {
      await roundTrip(
        {
          NBO_REDIS_URL: `rediss://127.0.0.1:${tls.tlsPort}`,
          NBO_REDIS_PASSWORD_FILE: passwordFile,
          NBO_REDIS_TLS_CA_FILE: certs.ca,
        },
        check,
      );
    } finally {
      check.disconnect();
    }
  });

  it('without the CA the server certificate is not trusted and NBO does not start', async () => {
    await expect(
      startTestService({ NBO_REDIS_URL: `rediss://127.0.0.1:${tls.tlsPort}`, NBO_REDIS_PASSWORD_FILE: passwordFile }),
    ).rejects.toThrow(/certificate/i);
  });

  it('the configuration refuses a CA file without TLS, a password given twice, and either file without Redis', () => {
    const base = { NBO_RULES_DIR: '.' };
    expect(() => loadConfig({ ...base, NBO_REDIS_URL: plain.url, NBO_REDIS_TLS_CA_FILE: certs.ca })).toThrow(
      /NBO_REDIS_TLS_CA_FILE needs a rediss:\/\/ NBO_REDIS_URL/,
    );
    expect(() =>
      loadConfig({
        ...base,
        NBO_REDIS_URL: `redis://:secret@127.0.0.1:${plain.port}`,
        NBO_REDIS_PASSWORD_FILE: passwordFile,
      }),
    ).toThrow(/give the password once/);
    expect(() => loadConfig({ ...base, NBO_REDIS_PASSWORD_FILE: passwordFile })).toThrow(
      /need NBO_REDIS_URL or NBO_REDIS_CLUSTER/,
    );
    const ok = loadConfig({
      ...base,
      NBO_REDIS_URL: `rediss://127.0.0.1:${tls.tlsPort}`,
      NBO_REDIS_PASSWORD_FILE: passwordFile,
      NBO_REDIS_TLS_CA_FILE: certs.ca,
    });
    expect(ok.redis).toMatchObject({ passwordFile, tlsCaFile: certs.ca });
  });
});

import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Cluster, Redis } from 'ioredis';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildRuleSet, loadRulesDir } from '../../src/rules/load.js';
import { rulesKeys } from '../../src/rules/redis-source.js';
import { readRuleFiles } from '../../src/rules/read-files.js';
import { deleteByPrefix } from '../support/redis-keys.js';
import { startRedis } from '../support/servers.js';
import { get, keysFile, post, SAMPLE_RULES, startTestService } from '../support/service.js';

type Svc = Awaited<ReturnType<typeof startTestService>>;

const tmp = mkdtempSync(join(tmpdir(), 'nbo-publish-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of the sample rules with pastry-with-coffee's value set to `value`. */
function rulesWith(name: string, value: number, extra?: (dir: string) => void): string {
  const dir = join(tmp, name);
  cpSync(SAMPLE_RULES, dir, { recursive: true });
  const f = join(dir, 'offers', 'pastry-with-coffee.yaml');
  writeFileSync(f, readFileSync(f, 'utf8').replace(/^value: .*$/m, `value: ${value}`));
  extra?.(dir);
  return dir;
}
const filesOf = (dir: string) => readRuleFiles(dir);
const versionOf = (dir: string) => {
  const r = loadRulesDir(dir);
  if (!r.ok) throw new Error('invalid');
  return r.rules.version;
};

const keys = keysFile([
  { id: 'author', scopes: ['admin'] },
  { id: 'viewer', scopes: ['read', 'decide'] },
]);
const admin = { authorization: `Bearer ${keys.secrets.author}` };
const reader = { authorization: `Bearer ${keys.secrets.viewer}` };
const live = async (s: Svc) => (await get(`${s.url}/v1/offers`, reader)).body.rulesVersion as string;

describe('publishing rules to every instance (Redis)', () => {
  const prefix = `pub-${randomBytes(4).toString('hex')}`;
  let redis: Redis;
  const env = () => ({
    NBO_REDIS_URL: inject('redisUrl'),
    NBO_REDIS_PREFIX: prefix,
    NBO_API_KEYS_FILE: keys.file,
    NBO_RULES_RECHECK_MS: '300',
    NBO_RULES_HISTORY: '4',
  });
  const svcs: Svc[] = [];
  let a: Svc;
  let b: Svc;
  const seed = versionOf(SAMPLE_RULES);
  const v1dir = rulesWith('v1', 3.5);
  const v1 = versionOf(v1dir);

  beforeAll(async () => {
    redis = new Redis(inject('redisUrl'));
    a = await startTestService(env());
    b = await startTestService({ ...env(), NBO_RULES_DIR: rulesWith('b-own', 9) }); // its own directory is not what it serves
    svcs.push(a, b);
  });
  afterAll(async () => {
    await Promise.all(svcs.map((s) => s.stop()));
    await deleteByPrefix(redis, prefix);
    redis.disconnect();
  });

  it("seeds from the first instance's directory when nothing is published; later instances serve that", async () => {
    expect(await live(a)).toBe(seed);
    expect(await live(b)).toBe(seed);
    const h = await get(`${a.url}/v1/rules/versions`, reader);
    expect(h.body).toMatchObject({
      live: seed,
      source: 'redis',
      versions: [{ version: seed, action: 'seed', keyId: null }],
    });
  });

  it('a publish on one instance is served by both within seconds, with the diff in the history', async () => {
    // an instance whose timer would not fire during the test: only the pub/sub notice can reach it
    const notified = await startTestService({ ...env(), NBO_RULES_RECHECK_MS: '600000' });
    svcs.push(notified);
    const r = await post(
      `${a.url}/v1/admin/rules/publish`,
      { files: filesOf(v1dir), message: 'pastry worth more' },
      admin,
    );
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      version: v1,
      previous: seed,
      changed: true,
      entry: {
        version: v1,
        keyId: 'author',
        message: 'pastry worth more',
        action: 'publish',
        added: [],
        removed: [],
        changed: ['pastry-with-coffee'],
      },
    });
    expect(await live(a)).toBe(v1); // the instance that took the publish serves it before answering
    await untilAsync(async () => (await live(b)) === v1, 5000);
    expect(await live(b)).toBe(v1);
    await untilAsync(async () => (await live(notified)) === v1, 5000);
    expect(await live(notified)).toBe(v1);
    await notified.stop();
    svcs.splice(svcs.indexOf(notified), 1);
    const dec = await post(`${b.url}/v1/decide`, { customerId: 'c-pub-1', channel: 'pos' }, reader);
    expect(dec.body.rulesVersion).toBe(v1);
    // publishing what is live already changes nothing
    const again = await post(`${b.url}/v1/admin/rules/publish`, { files: filesOf(v1dir) }, admin);
    expect(again.body).toMatchObject({ version: v1, changed: false });
  });

  it('a missed notice is healed by the re-check timer (version written to Redis without a pub/sub message)', async () => {
    const dir = rulesWith('silent', 4.5);
    const v = versionOf(dir);
    const k = rulesKeys(prefix);
    await redis.set(k.set(v), JSON.stringify({ files: filesOf(dir) }));
    await redis.set(k.live, v); // no PUBLISH: only the timer can find it
    await untilAsync(async () => (await live(a)) === v && (await live(b)) === v, 5000);
    expect([await live(a), await live(b)]).toEqual([v, v]);
    // back to v1 through the API for the tests that follow
    await post(`${a.url}/v1/admin/rules/rollback`, { version: v1 }, admin);
  });

  it('an instance started later serves the latest published version, not its directory', async () => {
    await untilAsync(async () => (await live(b)) === v1, 5000);
    const c = await startTestService({ ...env(), NBO_RULES_DIR: SAMPLE_RULES });
    svcs.push(c);
    expect(await live(c)).toBe(v1);
    const inst = await get(`${c.url}/v1/instances`, reader);
    expect(inst.status).toBe(200);
    expect(inst.body.instances).toHaveLength(3);
    for (const i of inst.body.instances)
      expect(i).toEqual({
        id: expect.any(String),
        rulesVersion: v1,
        startedAt: expect.any(String),
        seenAt: expect.any(String),
      });
    await c.stop();
    svcs.pop();
    expect((await get(`${a.url}/v1/instances`, reader)).body.instances).toHaveLength(2);
  });

  it('an invalid set is refused with the issues `nbo rules check` lists, and nothing changes anywhere', async () => {
    const bad = rulesWith('bad', 5, (dir) =>
      writeFileSync(
        join(dir, 'offers', 'zz-bad.yaml'),
        'id: zz-bad\nname: Bad\nchannels: [pos]\nvalue: 1\neligibility: { "≥": [1, 2] }\ncooldown: { declined: 3w }\n',
      ),
    );
    const before = (await get(`${a.url}/v1/admin/rules/history`, admin)).body;
    const r = await post(`${a.url}/v1/admin/rules/publish`, { files: filesOf(bad), message: 'broken' }, admin);
    expect(r.status).toBe(422);
    expect(r.type).toContain('application/problem+json');
    expect(r.body.code).toBe('NBO_ERR_RULES_INVALID');
    const check = loadRulesDir(bad);
    expect(check.ok).toBe(false);
    expect(r.body.issues).toEqual(!check.ok && check.issues);
    expect(r.body.issues.length).toBeGreaterThanOrEqual(2);
    expect(r.body.rulesVersion).toBe(v1);
    await new Promise((res) => setTimeout(res, 700)); // two re-check periods
    expect([await live(a), await live(b)]).toEqual([v1, v1]);
    expect((await get(`${a.url}/v1/admin/rules/history`, admin)).body).toEqual(before);
    const audit = (await get(`${b.url}/v1/admin/audit`, admin)).body.entries;
    expect(audit[0]).toMatchObject({
      keyId: 'author',
      action: 'publish',
      result: 'refused',
      version: null,
      previous: v1,
      message: 'broken',
      reason: expect.stringMatching(/issues?/),
    });
  });

  it('rollback makes an earlier version live everywhere; every publish and rollback is audited (who, when, what)', async () => {
    const r = await post(`${b.url}/v1/admin/rules/rollback`, { version: seed, message: 'back to the seed' }, admin);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      version: seed,
      previous: v1,
      changed: true,
      entry: { action: 'rollback', keyId: 'author', changed: ['pastry-with-coffee'] },
    });
    await untilAsync(async () => (await live(a)) === seed, 5000);
    expect([await live(a), await live(b)]).toEqual([seed, seed]);
    const audit = (await get(`${a.url}/v1/admin/audit`, admin)).body.entries as Array<Record<string, unknown>>;
    expect(audit[0]).toMatchObject({
      keyId: 'author',
      action: 'rollback',
      result: 'published',
      version: seed,
      previous: v1,
      message: 'back to the seed',
    });
    expect(Date.now() - Date.parse(audit[0]!.time as string)).toBeLessThan(60_000);
    expect(audit.map((e) => `${e.action}:${e.result}`)).toEqual(
      expect.arrayContaining([
        'publish:published',
        'publish:unchanged',
        'publish:refused',
        'rollback:published',
        'seed:published',
      ]),
    );
    const metrics = (await get(`${b.url}/metrics`)).body as string;
    expect(metrics).toMatch(/^nbo_rules_publishes_total\{action="rollback",result="published"\} 1$/m);
    expect(metrics).toMatch(/^nbo_rules_info\{version="[0-9a-f]{12}"\} 1$/m);
    const unknown = await post(`${a.url}/v1/admin/rules/rollback`, { version: 'abcdefabcdef' }, admin);
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('NBO_ERR_RULES_VERSION_UNKNOWN');
  });

  it('keeps a bounded history (NBO_RULES_HISTORY) and drops the files of versions that fell out of it', async () => {
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      const dir = rulesWith(`bound-${i}`, 10 + i);
      const r = await post(`${a.url}/v1/admin/rules/publish`, { files: filesOf(dir) }, admin);
      expect(r.status).toBe(200);
      made.push(r.body.version);
    }
    const h = (await get(`${a.url}/v1/rules/versions`, reader)).body;
    expect(h.versions.map((v: { version: string }) => v.version)).toEqual(made.slice(1).reverse());
    const stored = await redis.smembers(rulesKeys(prefix).sets);
    expect(stored.sort()).toEqual(made.slice(1).sort());
    const gone = await post(`${a.url}/v1/admin/rules/rollback`, { version: made[0] }, admin);
    expect(gone.body.code).toBe('NBO_ERR_RULES_VERSION_UNKNOWN');
    const files = await get(`${a.url}/v1/admin/rules/versions/${made[4]}`, admin);
    expect(buildRuleSet(files.body.files)).toMatchObject({ ok: true, rules: { version: made[4] } });
  });

  it('answers validate against openapi.yaml', async () => {
    const spec = YAML.parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8'));
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema({ $id: 'nbo-openapi', components: spec.components });
    const check = (name: string, body: unknown) => {
      const v = ajv.getSchema(`nbo-openapi#/components/schemas/${name}`)!;
      expect(v(body), `${name}: ${JSON.stringify(v.errors)}`).toBe(true);
    };
    check('RulesVersions', (await get(`${a.url}/v1/rules/versions`, reader)).body);
    check('Instances', (await get(`${a.url}/v1/instances`, reader)).body);
    check(
      'PublishResult',
      (await post(`${a.url}/v1/admin/rules/publish`, { files: filesOf(rulesWith('doc', 7)), message: 'doc' }, admin))
        .body,
    );
    check(
      'PublishResult',
      (await post(`${a.url}/v1/admin/rules/publish`, { files: filesOf(rulesWith('doc', 7)) }, admin)).body,
    );
    for (const e of (await get(`${a.url}/v1/admin/audit`, admin)).body.entries) check('AuditEntry', e);
    const refusal = await post(
      `${a.url}/v1/admin/rules/publish`,
      { files: [{ file: 'offers/x.yaml', text: 'id: X' }] },
      admin,
    );
    const schema = spec.components.responses.RulesRefused.content['application/problem+json'].schema;
    const v = ajv.compile({
      $id: 'refused',
      ...schema,
      allOf: schema.allOf.map((s: { $ref?: string }) => (s.$ref ? { $ref: `nbo-openapi${s.$ref}` } : s)),
    });
    expect(v(refusal.body), JSON.stringify(v.errors)).toBe(true);
  });

  it('admin routes need the admin scope; the read views need read', async () => {
    expect((await post(`${a.url}/v1/admin/rules/publish`, { files: filesOf(v1dir) }, reader)).status).toBe(403);
    expect((await get(`${a.url}/v1/admin/audit`, reader)).status).toBe(403);
    expect((await get(`${a.url}/v1/admin/audit`)).status).toBe(401);
    expect((await get(`${a.url}/v1/rules/versions`, admin)).status).toBe(403);
    const badBody = await post(
      `${a.url}/v1/admin/rules/publish`,
      { files: [{ file: '../etc/passwd', text: '' }] },
      admin,
    );
    expect(badBody.status).toBe(400);
    expect(badBody.body.errors[0].path).toBe('$.files[0].file');
  });

  it('a decision is made against one whole rule set while versions swap under load', async () => {
    // two sets whose only offer differs: a decision's offer must belong to its rulesVersion
    const mk = (id: string) => [
      { file: 'offers/o.json', text: JSON.stringify([{ id, name: id, channels: ['pos'], value: 1 }]) },
    ];
    const setA = mk('only-alpha');
    const setB = mk('only-beta');
    const va = (buildRuleSet(setA) as { rules: { version: string } }).rules.version;
    const vb = (buildRuleSet(setB) as { rules: { version: string } }).rules.version;
    let stop = false;
    const flips = (async () => {
      for (let i = 0; !stop; i++) await post(`${a.url}/v1/admin/rules/publish`, { files: i % 2 ? setA : setB }, admin);
    })();
    const seen = new Set<string>();
    for (let i = 0; i < 150; i++) {
      const s = i % 2 ? a : b;
      const d = await post(`${s.url}/v1/decide`, { customerId: `c-mix-${i}`, channel: 'pos' }, reader);
      // a degraded answer (the store slow under load) holds fallback offers only: none here
      const offers = d.body.offers.map((o: { offerId: string }) => o.offerId);
      if (d.body.rulesVersion === va) expect(offers).toEqual(d.body.degraded ? [] : ['only-alpha']);
      else if (d.body.rulesVersion === vb) expect(offers).toEqual(d.body.degraded ? [] : ['only-beta']);
      seen.add(d.body.rulesVersion);
    }
    stop = true;
    await flips;
    expect(seen.has(va) || seen.has(vb)).toBe(true);
  });
});

describe('seeding', () => {
  it('instances starting at once on an empty Redis agree on one seed version, whatever their directories hold', async () => {
    const prefix = `seed-${randomBytes(4).toString('hex')}`;
    const env = { NBO_REDIS_URL: inject('redisUrl'), NBO_REDIS_PREFIX: prefix, NBO_API_KEYS_FILE: keys.file };
    const svcs = await Promise.all(
      [1, 2, 3].map((i) => startTestService({ ...env, NBO_RULES_DIR: rulesWith(`seed-${i}`, 20 + i) })),
    );
    const redis = new Redis(inject('redisUrl'));
    try {
      const versions = await Promise.all(svcs.map(live));
      expect(new Set(versions).size).toBe(1);
      const h = (await get(`${svcs[0]!.url}/v1/rules/versions`, reader)).body;
      expect(h.versions).toHaveLength(1);
      expect(h.versions[0]).toMatchObject({ action: 'seed', version: versions[0] });
    } finally {
      await Promise.all(svcs.map((s) => s.stop()));
      await deleteByPrefix(redis, prefix);
      redis.disconnect();
    }
  });
});

describe('Redis restarts', () => {
  it('instances keep serving their rules while Redis is down; an emptied Redis is re-seeded with what they serve; the next publish reaches all', async () => {
    const server = await startRedis();
    const env = { NBO_REDIS_URL: server.url, NBO_API_KEYS_FILE: keys.file, NBO_RULES_RECHECK_MS: '200' };
    const a = await startTestService(env);
    const b = await startTestService(env);
    try {
      const published = rulesWith('before-restart', 7);
      await post(`${a.url}/v1/admin/rules/publish`, { files: filesOf(published) }, admin);
      const v0 = versionOf(published);
      await untilAsync(async () => (await live(b)) === v0, 5000);
      await server.stop();
      await new Promise((r) => setTimeout(r, 500));
      expect([await live(a), await live(b)]).toEqual([v0, v0]); // the rules are in memory
      await server.start(); // empty: no persistence
      await untilAsync(async () => (await get(`${a.url}/v1/rules/versions`, reader)).body.versions?.length > 0, 5000);
      const h = (await get(`${a.url}/v1/rules/versions`, reader)).body;
      expect(h.live).toBe(v0);
      expect(h.versions).toEqual([
        expect.objectContaining({ version: v0, action: 'seed', message: expect.stringContaining('re-seeded') }),
      ]);
      const dir = rulesWith('after-restart', 8);
      const r = await post(`${a.url}/v1/admin/rules/publish`, { files: filesOf(dir), message: 'after restart' }, admin);
      expect(r.status).toBe(200);
      await untilAsync(async () => (await live(b)) === versionOf(dir), 5000);
      expect([await live(a), await live(b)]).toEqual([versionOf(dir), versionOf(dir)]);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await server.stop();
    }
  }, 30_000);
});

describe('publishing on a Redis Cluster', () => {
  it('publishes and serves the version (every rules key in one slot)', async () => {
    const prefix = `pubc-${randomBytes(4).toString('hex')}`;
    const env = {
      NBO_REDIS_CLUSTER: inject('redisCluster').join(','),
      NBO_REDIS_PREFIX: prefix,
      NBO_API_KEYS_FILE: keys.file,
      NBO_RULES_RECHECK_MS: '300',
    };
    const a = await startTestService(env);
    const b = await startTestService(env);
    try {
      const dir = rulesWith('cluster', 6);
      const r = await post(`${a.url}/v1/admin/rules/publish`, { files: filesOf(dir) }, admin);
      expect(r.status).toBe(200);
      await untilAsync(async () => (await live(b)) === versionOf(dir), 5000);
      expect(await live(b)).toBe(versionOf(dir));
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      const c = new Cluster(
        inject('redisCluster').map((hp) => ({ host: hp.split(':')[0]!, port: Number(hp.split(':')[1]) })),
      );
      await deleteByPrefix(c, prefix);
      c.disconnect();
    }
  });
});

describe('without Redis: the directory stays the source', () => {
  it('serves the directory, lists itself as the only instance, and refuses publish and rollback with NBO_ERR_RULES_SOURCE', async () => {
    const svc = await startTestService();
    try {
      const v = (await get(`${svc.url}/v1/rules/versions`)).body;
      expect(v).toMatchObject({
        live: versionOf(SAMPLE_RULES),
        source: 'directory',
        versions: [{ version: versionOf(SAMPLE_RULES), action: 'directory' }],
      });
      const inst = (await get(`${svc.url}/v1/instances`)).body;
      expect(inst.instances).toEqual([
        {
          id: expect.any(String),
          rulesVersion: versionOf(SAMPLE_RULES),
          startedAt: expect.any(String),
          seenAt: expect.any(String),
        },
      ]);
      const r = await post(`${svc.url}/v1/admin/rules/publish`, { files: filesOf(SAMPLE_RULES) });
      expect(r.status).toBe(409);
      expect(r.body.code).toBe('NBO_ERR_RULES_SOURCE');
      expect((await post(`${svc.url}/v1/admin/rules/rollback`, { version: 'abcdefabcdef' })).body.code).toBe(
        'NBO_ERR_RULES_SOURCE',
      );
    } finally {
      await svc.stop();
    }
  });
});

async function untilAsync(cond: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

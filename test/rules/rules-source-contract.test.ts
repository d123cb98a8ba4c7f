import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { directoryAdmin } from '../../src/rules/directory-admin.js';
import { buildRuleSet, loadRulesDir } from '../../src/rules/load.js';
import type { AdminRulesSource } from '../../src/rules/rules-admin.js';
import { createRedisRulesSource } from '../../src/rules/redis-source.js';
import { createRulesSource } from '../../src/rules/source.js';
import { deleteByPrefix } from '../support/redis-keys.js';
import { SAMPLE_RULES } from '../support/service.js';

/** What every rules source answers alike: the read verbs the routes and the page use. */
function contract(name: string, make: () => Promise<AdminRulesSource>) {
  describe(`rules source contract — ${name}`, () => {
    const made: AdminRulesSource[] = [];
    const open = async () => {
      const s = await make();
      made.push(s);
      return s;
    };
    afterAll(async () => {
      await Promise.all(made.map((s) => s.stop()));
    });

    it('serves the sample rules at start, and the history names the live version first', async () => {
      const s = await open();
      const expected = loadRulesDir(SAMPLE_RULES);
      expect(expected.ok && s.current().version).toBe(expected.ok && expected.rules.version);
      const h = await s.history();
      expect(h[0]).toMatchObject({ version: s.current().version, added: expect.any(Array), removed: [], changed: [] });
    });

    it('lists itself among the instances with the version it serves', async () => {
      const s = await open();
      const me = (await s.instances()).find((i) => i.id === s.instanceId);
      expect(me).toMatchObject({ rulesVersion: s.current().version });
      expect(Date.parse(me!.seenAt)).toBeGreaterThanOrEqual(Date.parse(me!.startedAt));
    });

    it('gives back the files of the live version, which build to the same version; none for an unknown one', async () => {
      const s = await open();
      const files = await s.files(s.current().version);
      expect(files && buildRuleSet(files)).toMatchObject({ ok: true, rules: { version: s.current().version } });
      expect(await s.files('000000000000')).toBeNull();
    });

    it('a refresh with nothing new keeps the live set', async () => {
      const s = await open();
      const before = s.current();
      expect(await s.refresh()).toMatchObject({ ok: true, version: before.version, changed: false });
      expect(s.current()).toBe(before);
    });
  });
}

contract('directory', async () =>
  directoryAdmin(createRulesSource(SAMPLE_RULES), SAMPLE_RULES, `dir-${randomBytes(3).toString('hex')}`),
);

const prefixes: string[] = [];
contract('redis', async () => {
  const prefix = `contract-${randomBytes(4).toString('hex')}`;
  prefixes.push(prefix);
  return createRedisRulesSource({
    redis: { url: inject('redisUrl'), cluster: null, prefix },
    dir: SAMPLE_RULES,
    recheckMs: 60_000,
    history: 10,
    auditLimit: 10,
  });
});
afterAll(async () => {
  const r = new Redis(inject('redisUrl'));
  for (const p of prefixes) await deleteByPrefix(r, p);
  r.disconnect();
});

describe('redis source at start', () => {
  it('says so when its directory holds another version than the published one it serves', async () => {
    const prefix = `ignored-${randomBytes(4).toString('hex')}`;
    prefixes.push(prefix);
    const opts = {
      redis: { url: inject('redisUrl'), cluster: null, prefix },
      recheckMs: 60_000,
      history: 10,
      auditLimit: 10,
    };
    const first = await createRedisRulesSource({ ...opts, dir: SAMPLE_RULES });
    const seen: unknown[] = [];
    const other = new URL('../../docs/examples', import.meta.url).pathname; // not a rules directory: never read as one
    const second = await createRedisRulesSource({ ...opts, dir: other, onDirectoryIgnored: (i) => seen.push(i) });
    const same = await createRedisRulesSource({ ...opts, dir: SAMPLE_RULES, onDirectoryIgnored: (i) => seen.push(i) });
    try {
      expect(second.current().version).toBe(first.current().version);
      expect(seen).toEqual([
        { dir: other, dirVersion: expect.stringMatching(/^[0-9a-f]{12}$/), liveVersion: first.current().version },
      ]);
    } finally {
      await Promise.all([first.stop(), second.stop(), same.stop()]);
    }
  });
});

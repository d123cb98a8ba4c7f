import {
  cpSync,
  mkdtempSync,
  renameSync,
  rmSync,
  writeFileSync,
  appendFileSync,
  readdirSync,
  lstatSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRulesDir } from '../../src/rules/load.js';
import { createRulesSource } from '../../src/rules/source.js';
import { kubeletVolume, payloadOf } from '../support/kubelet.js';
import { get, SAMPLE_RULES, startTestService } from '../support/service.js';

const tmp = mkdtempSync(join(tmpdir(), 'nbo-reload-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const offer = (id: string) => `id: ${id}\nname: ${id}\nchannels: [pos]\nvalue: 1\n`;
const versionOf = (dir: string) => {
  const r = loadRulesDir(dir);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.rules.version;
};

/** A rules payload split as the manifests mount it: offers/ in one ConfigMap (flat keys), the rest in another. */
function splitOffers(payload: Record<string, string>) {
  const offers: Record<string, string> = {};
  const rest: Record<string, string> = {};
  for (const [k, v] of Object.entries(payload)) {
    if (k.startsWith('offers/')) offers[k.slice('offers/'.length)] = v;
    else rest[k] = v;
  }
  return { offers, rest };
}

async function liveWithin(current: () => string, want: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (current() === want) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return current() === want;
}

describe('rules in a kubelet ConfigMap volume', () => {
  it('are read from the snapshot ..data points at, not from the ..<timestamp> folders beside it', () => {
    const vol = join(tmp, 'vol-read');
    kubeletVolume(vol).write(payloadOf(SAMPLE_RULES));
    expect(readdirSync(vol).some((n) => n.startsWith('..2'))).toBe(true);
    expect(lstatSync(join(vol, 'offers')).isSymbolicLink()).toBe(true);
    const r = loadRulesDir(vol);
    expect(r.ok ? [] : r.issues).toEqual([]);
    expect(r.ok && r.rules.version).toBe(versionOf(SAMPLE_RULES));
  });

  it('are read with the offers in a second ConfigMap mounted inside the first (k8s/deployment.yaml), each swapped on its own', () => {
    const vol = join(tmp, 'vol-nested');
    const mirror = join(tmp, 'mirror-nested');
    cpSync(SAMPLE_RULES, mirror, { recursive: true });
    const { offers, rest } = splitOffers(payloadOf(mirror));
    const rules = kubeletVolume(vol);
    rules.write(rest);
    const offersVol = kubeletVolume(join(vol, 'offers'));
    offersVol.write(offers);
    expect(loadRulesDir(vol).ok && (loadRulesDir(vol) as { rules: { version: string } }).rules.version).toBe(
      versionOf(mirror),
    );
    writeFileSync(join(mirror, 'offers', 'nested-new.yaml'), offer('nested-new'));
    offersVol.write(splitOffers(payloadOf(mirror)).offers);
    appendFileSync(join(mirror, 'aggregates.yaml'), '# edited\n');
    rules.write(splitOffers(payloadOf(mirror)).rest);
    const r = loadRulesDir(vol);
    expect(r.ok ? r.rules.version : r.issues).toBe(versionOf(mirror));
  });

  it('an atomic ..data swap with a new key goes live in the service', async () => {
    const vol = join(tmp, 'vol-svc');
    const mirror = join(tmp, 'mirror-svc');
    cpSync(SAMPLE_RULES, mirror, { recursive: true });
    const k = kubeletVolume(vol);
    k.write(payloadOf(mirror));
    const svc = await startTestService({ NBO_RULES_DIR: vol, NBO_RULES_WATCH: 'true' });
    try {
      const live = async () =>
        (await get(`${svc.url}/v1/offers`)).body as { rulesVersion: string; offers: Array<{ id: string }> };
      expect((await live()).rulesVersion).toBe(versionOf(mirror));

      writeFileSync(join(mirror, 'offers', 'swapped-in.yaml'), offer('swapped-in'));
      k.write(payloadOf(mirror));
      const want = versionOf(mirror);
      const deadline = Date.now() + 3000;
      while ((await live()).rulesVersion !== want && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect((await live()).rulesVersion).toBe(want);
      expect((await live()).offers.map((o) => o.id)).toContain('swapped-in');
    } finally {
      await svc.stop();
    }
  });
});

describe('rules reload by content', () => {
  it('every edit goes live within 3 s, 20 of 20: in-place writes, rename-replace, files added and removed', async () => {
    const dir = join(tmp, 'plain');
    cpSync(SAMPLE_RULES, dir, { recursive: true });
    const src = createRulesSource(dir, { watch: true }); // the default poll interval
    const live: boolean[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const target = join(dir, 'offers', 'pastry-with-coffee.yaml');
        if (i % 4 === 0) appendFileSync(target, `# in-place edit ${i}\n`);
        else if (i % 4 === 1) {
          const staged = join(tmp, `staged-${i}.yaml`);
          cpSync(target, staged);
          appendFileSync(staged, `# replaced ${i}\n`);
          renameSync(staged, target);
        } else if (i % 4 === 2) writeFileSync(join(dir, 'offers', `added-${i}.yaml`), offer(`added-${i}`));
        else rmSync(join(dir, 'offers', `added-${i - 1}.yaml`));
        live.push(await liveWithin(() => src.current().version, versionOf(dir), 3000));
      }
    } finally {
      src.close();
    }
    expect(live.filter(Boolean)).toHaveLength(20);
  }, 120_000);

  it('every ConfigMap ..data swap goes live within 3 s, keys added and removed included', async () => {
    const vol = join(tmp, 'vol-swaps');
    const mirror = join(tmp, 'mirror-swaps');
    cpSync(SAMPLE_RULES, mirror, { recursive: true });
    const k = kubeletVolume(vol);
    k.write(payloadOf(mirror));
    const src = createRulesSource(vol, { watch: true });
    const live: boolean[] = [];
    try {
      for (let i = 0; i < 6; i++) {
        if (i % 3 === 0) writeFileSync(join(mirror, 'offers', `cm-${i}.yaml`), offer(`cm-${i}`));
        else if (i % 3 === 1) appendFileSync(join(mirror, 'segments.yaml'), `# edit ${i}\n`);
        else rmSync(join(mirror, 'offers', `cm-${i - 2}.yaml`));
        k.write(payloadOf(mirror));
        live.push(await liveWithin(() => src.current().version, versionOf(mirror), 3000));
      }
    } finally {
      src.close();
    }
    expect(live.filter(Boolean)).toHaveLength(6);
  }, 60_000);

  it('a refused set is reported once, not on every poll, and the next good edit goes live', async () => {
    const dir = join(tmp, 'refused');
    cpSync(SAMPLE_RULES, dir, { recursive: true });
    const results: boolean[] = [];
    const src = createRulesSource(dir, { watch: true, pollMs: 100, onReload: (r) => results.push(r.ok) });
    try {
      const before = src.current().version;
      writeFileSync(join(dir, 'offers', 'broken.yaml'), 'id: Broken!\n');
      await new Promise((r) => setTimeout(r, 1000));
      expect(src.current().version).toBe(before);
      expect(results).toEqual([false]);
      rmSync(join(dir, 'offers', 'broken.yaml'));
      writeFileSync(join(dir, 'offers', 'fixed.yaml'), offer('fixed'));
      expect(await liveWithin(() => src.current().version, versionOf(dir), 3000)).toBe(true);
    } finally {
      src.close();
    }
  });
});

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { k8sCopy, objects, overlays, renderers, ROOT } from '../support/k8s.js';

// The deployment docs point at files, scripts and sections that exist: a walkthrough whose
// paths moved does not work as written.
const DOCS = ['k8s/README.md', 'docs/operations.md'];

/** GitHub's anchor for a heading. */
const anchor = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\w\- ]/g, '')
    .replace(/ /g, '-');
const anchors = (file: string) =>
  new Set([...readFileSync(file, 'utf8').matchAll(/^#+ (.+)$/gm)].map((m) => anchor(m[1]!)));

describe('deployment docs', () => {
  for (const doc of DOCS) {
    it(`${doc}: every link and every repository path it names exists`, () => {
      const text = readFileSync(join(ROOT, doc), 'utf8');
      const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((l) => !/^https?:/.test(l));
      expect(links.length).toBeGreaterThan(0);
      for (const link of links) {
        const [path, hash] = link.split('#');
        const file = path ? join(ROOT, dirname(doc), path) : join(ROOT, doc);
        expect(existsSync(file), `${doc}: ${link}`).toBe(true);
        if (hash) expect(anchors(file).has(hash), `${doc}: ${link} (no such section)`).toBe(true);
      }
      // paths in commands and prose: k8s/…, docs/…, test/… (k8s/rules/ is made by sync-rules.sh)
      const paths = [...text.matchAll(/(?<![\w/.$-])((?:k8s|docs|test)\/[\w./-]*[\w/])/g)].map((m) => m[1]!);
      for (const p of paths) {
        if (p.startsWith('k8s/rules')) continue;
        const rel = existsSync(join(ROOT, p)) || existsSync(join(ROOT, 'k8s', p));
        expect(rel, `${doc} names ${p}`).toBe(true);
      }
    });
  }
});

describe('the walkthrough creates the Secrets the manifests mount', () => {
  it('every Secret an overlay mounts is created in k8s/README.md, with the keys the pods read', () => {
    const text = readFileSync(join(ROOT, 'k8s/README.md'), 'utf8').replace(/\\\n\s*/g, ' ');
    const created = new Map<string, Set<string>>();
    for (const m of text.matchAll(/kubectl -n nbo create secret generic (\S+)([^\n]*)/g)) {
      const keys = new Set<string>();
      for (const f of m[2]!.matchAll(/--from-(?:literal|file)=("?)([^=\s"]+)/g))
        keys.add(
          f[2]!
            .split('/')
            .pop()!
            .replace(/^\$S\//, ''),
        );
      created.set(m[1]!, keys);
    }
    expect([...created.keys()].sort()).toEqual(['nbo-api-keys', 'nbo-redis', 'nbo-redis-tls']);
    const k8s = k8sCopy();
    const render = renderers()[0]!;
    for (const o of overlays(k8s)) {
      for (const obj of objects(render.render(join(k8s, 'overlays', o)))) {
        for (const v of obj.spec?.template?.spec?.volumes ?? []) {
          if (!v.secret) continue;
          const keys = created.get(v.secret.secretName);
          expect(keys, `${o}: ${obj.kind}/${obj.metadata.name} mounts Secret ${v.secret.secretName}`).toBeDefined();
          const needed =
            v.secret.items?.map((i: { key: string }) => i.key) ??
            (v.secret.secretName === 'nbo-redis-tls' ? ['ca.crt', 'tls.crt', 'tls.key'] : []);
          for (const k of needed) expect([...keys!], `${o}: Secret ${v.secret.secretName} key ${k}`).toContain(k);
        }
      }
    }
  });
});

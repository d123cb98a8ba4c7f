import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { schemaErrors } from '../support/k8s-schema.js';
import { k8sCopy, objects, overlays, renderers, ROOT } from '../support/k8s.js';
import { restrictedViolations } from './pss.js';

// Every overlay rendered by every kustomize at hand, each object checked against the
// Kubernetes schemas and the Restricted Pod Security Standard: what `kubectl apply -k`
// would send, checked offline.
const WORKLOADS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Pod'];
const podSpecOf = (o: any) =>
  o.kind === 'Pod' ? o.spec : o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template.spec : o.spec.template.spec;
const find = (objs: any[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name);
const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

let k8s: string;
const rendered: Array<{ overlay: string; renderer: string; objs: any[] }> = [];

beforeAll(() => {
  k8s = k8sCopy();
  for (const r of renderers())
    for (const o of overlays(k8s))
      rendered.push({ overlay: o, renderer: r.name, objs: objects(r.render(join(k8s, 'overlays', o))) });
});

describe('k8s overlays render and validate', () => {
  it('there are overlays (dev, prod), each rendered by each kustomize to the same objects', () => {
    expect(overlays(k8s)).toEqual(expect.arrayContaining(['dev', 'prod']));
    expect(rendered.length).toBeGreaterThanOrEqual(2);
    for (const o of overlays(k8s)) {
      const outs = rendered.filter((r) => r.overlay === o).map((r) => JSON.stringify(r.objs));
      expect(new Set(outs).size, `${o}: renderers disagree`).toBe(1);
    }
  });

  it('every rendered object is valid against its Kubernetes schema, with no unknown fields', () => {
    for (const { overlay, renderer, objs } of rendered) {
      expect(objs.length).toBeGreaterThan(10);
      for (const o of objs)
        expect(schemaErrors(o), `${overlay} (${renderer}) ${o.kind}/${o.metadata?.name}`).toEqual([]);
    }
  });

  it('the schema check catches a wrong type, a missing field and a misspelt one (it can fail)', () => {
    const dep = structuredClone(find(rendered[0]!.objs, 'Deployment', 'nbo'));
    expect(schemaErrors(dep)).toEqual([]);
    const typo = structuredClone(dep);
    typo.spec.template.spec.containers[0].securityContex = typo.spec.template.spec.containers[0].securityContext;
    expect(schemaErrors(typo)).toEqual(['/spec/template/spec/containers/0/securityContex: not a field of Deployment']);
    const wrong = structuredClone(dep);
    wrong.spec.template.spec.terminationGracePeriodSeconds = '40';
    expect(schemaErrors(wrong).join()).toMatch(/terminationGracePeriodSeconds must be integer/);
    const missing = structuredClone(dep);
    delete missing.spec.template.spec.containers[0].name;
    expect(schemaErrors(missing).join()).toMatch(/containers\/0 must have required property name/);
  });

  it('every pod (NBO and Redis) meets the Restricted Pod Security Standard, and the namespace enforces it', () => {
    for (const { overlay, objs } of rendered) {
      const workloads = objs.filter((o) => WORKLOADS.includes(o.kind));
      expect(workloads.map((w) => w.metadata.name).sort()).toEqual(['nbo', 'nbo-redis']);
      for (const w of workloads) {
        expect(restrictedViolations(podSpecOf(w), `${overlay} ${w.kind}/${w.metadata.name}`)).toEqual([]);
        expect(podSpecOf(w).enableServiceLinks, `${w.metadata.name}: service links would set NBO_* variables`).toBe(
          false,
        );
        expect(podSpecOf(w).automountServiceAccountToken).toBe(false);
      }
      const ns = objs.find((o) => o.kind === 'Namespace');
      expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
      for (const o of objs)
        if (o.kind !== 'Namespace') expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(ns.metadata.name);
    }
  });

  it('the PSS check finds a root container, a kept capability and a writable root filesystem (it can fail)', () => {
    const spec = structuredClone(podSpecOf(find(rendered[0]!.objs, 'StatefulSet', 'nbo-redis')));
    expect(restrictedViolations(spec, 'redis')).toEqual([]);
    spec.securityContext.runAsUser = 0;
    spec.containers[0].securityContext.capabilities = { drop: ['NET_RAW'] };
    spec.containers[0].securityContext.readOnlyRootFilesystem = false;
    spec.volumes.push({ name: 'host', hostPath: { path: '/' } });
    expect(restrictedViolations(spec, 'redis')).toEqual([
      'redis: volume host is of type hostPath',
      'redis: pod runAsUser is 0',
      "redis: container redis: runAsUser is 0 (a non-zero uid, so the image's user does not matter)",
      'redis: container redis: capabilities do not drop ALL',
      'redis: container redis: readOnlyRootFilesystem is not true',
    ]);
  });

  it('the HPA alone sets the replica count; the PDB and topology spread select the NBO pods', () => {
    for (const { overlay, objs } of rendered) {
      const dep = find(objs, 'Deployment', 'nbo');
      const labels = dep.spec.template.metadata.labels;
      expect(dep.spec.replicas, `${overlay}: a fixed replicas fights the HPA`).toBeUndefined();
      const hpa = objs.find((o) => o.kind === 'HorizontalPodAutoscaler');
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'nbo' });
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(1);
      expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
      const pdb = objs.find((o) => o.kind === 'PodDisruptionBudget');
      expect(matches(pdb.spec.selector.matchLabels, labels)).toBe(true);
      const spread = podSpecOf(dep).topologySpreadConstraints;
      expect(spread.map((t: any) => t.topologyKey)).toEqual(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
      for (const t of spread) expect(matches(t.labelSelector.matchLabels, labels)).toBe(true);
    }
    const prod = rendered.find((r) => r.overlay === 'prod')!.objs;
    expect(prod.find((x) => x.kind === 'HorizontalPodAutoscaler').spec.minReplicas).toBeGreaterThanOrEqual(3);
  });

  it('NetworkPolicy: default deny; NBO reachable on its port only, out to Redis, DNS and Kafka; Redis only from NBO', () => {
    for (const { objs } of rendered) {
      const pols = objs.filter((o) => o.kind === 'NetworkPolicy');
      const deny = pols.find((p) => Object.keys(p.spec.podSelector).length === 0);
      expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
      const nboLabels = find(objs, 'Deployment', 'nbo').spec.template.metadata.labels;
      const redisLabels = find(objs, 'StatefulSet', 'nbo-redis').spec.template.metadata.labels;
      const nbo = pols.find(
        (p) => matches(p.spec.podSelector.matchLabels ?? {}, nboLabels) && Object.keys(p.spec.podSelector).length > 0,
      );
      const redis = pols.find(
        (p) => matches(p.spec.podSelector.matchLabels ?? {}, redisLabels) && Object.keys(p.spec.podSelector).length > 0,
      );
      // ingress to NBO: its http port, which is the container's
      const nboPorts = find(objs, 'Deployment', 'nbo').spec.template.spec.containers[0].ports.map((p: any) => p.name);
      expect(nbo.spec.ingress).toHaveLength(1);
      expect(nbo.spec.ingress[0].ports.map((p: any) => p.port)).toEqual(['http']);
      expect(nboPorts).toContain('http');
      // egress from NBO: Redis's port on the Redis pods, DNS, Kafka
      const redisPort = find(objs, 'Service', 'nbo-redis').spec.ports[0].port;
      const toRedis = nbo.spec.egress.find((e: any) =>
        e.to?.some((t: any) => t.podSelector && matches(t.podSelector.matchLabels, redisLabels)),
      );
      expect(toRedis.ports).toEqual([{ port: redisPort, protocol: 'TCP' }]);
      expect(nbo.spec.egress.flatMap((e: any) => e.ports.map((p: any) => p.port))).toEqual(
        expect.arrayContaining([53, 9092, 9093]),
      );
      // Redis: from NBO pods only, to its port; no egress rule at all
      expect(redis.spec.policyTypes).toEqual(['Ingress', 'Egress']);
      expect(redis.spec.egress).toBeUndefined();
      expect(redis.spec.ingress).toEqual([
        { from: [{ podSelector: { matchLabels: nboLabels } }], ports: [{ port: redisPort, protocol: 'TCP' }] },
      ]);
    }
  });

  it('every file NBO is told to read is on a mounted volume, with the Secret key it names', () => {
    for (const { overlay, objs } of rendered) {
      const spec = podSpecOf(find(objs, 'Deployment', 'nbo'));
      const c = spec.containers[0];
      const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
      for (const [k, path] of Object.entries(env) as Array<[string, string]>) {
        if (!/_(FILE|DIR)$/.test(k)) continue;
        const mount = c.volumeMounts
          .filter((m: any) => path === m.mountPath || path.startsWith(`${m.mountPath}/`))
          .sort((a: any, b: any) => b.mountPath.length - a.mountPath.length)[0];
        expect(mount, `${overlay}: ${k}=${path} is on no volume`).toBeDefined();
        const vol = spec.volumes.find((v: any) => v.name === mount.name);
        const file = path.slice(mount.mountPath.length + 1);
        if (vol.secret?.items)
          expect(
            vol.secret.items.map((i: any) => i.path),
            `${overlay}: ${k}`,
          ).toContain(file);
      }
      expect(env.NBO_REDIS_PASSWORD_FILE).toBeDefined();
      expect(() => loadConfig(env), overlay).not.toThrow();
    }
    const prod = rendered.find((r) => r.overlay === 'prod')!.objs;
    const env = Object.fromEntries(
      podSpecOf(find(prod, 'Deployment', 'nbo')).containers[0].env.map((e: any) => [e.name, e.value]),
    );
    expect(env.NBO_REDIS_URL).toMatch(/^rediss:\/\/nbo-redis:/);
    expect(env.NBO_REDIS_TLS_CA_FILE).toBeDefined();
  });

  it('the rules ConfigMaps hold every rules file as it is, under fixed names (updates reload without a rollout)', () => {
    const { objs } = rendered[0]!;
    const rules = find(objs, 'ConfigMap', 'nbo-rules');
    const offers = find(objs, 'ConfigMap', 'nbo-offers');
    expect(Object.keys(rules.data).sort()).toEqual(['aggregates.yaml', 'segments.yaml']);
    expect(rules.data['segments.yaml']).toBe(readFileSync(join(ROOT, 'rules/segments.yaml'), 'utf8'));
    const files = readdirSync(join(ROOT, 'rules/offers')).sort();
    expect(Object.keys(offers.data).sort()).toEqual(files);
    for (const f of files) expect(offers.data[f]).toBe(readFileSync(join(ROOT, 'rules/offers', f), 'utf8'));
    const dep = podSpecOf(find(objs, 'Deployment', 'nbo'));
    expect(dep.volumes.filter((v: any) => v.configMap).map((v: any) => v.configMap.name)).toEqual([
      'nbo-rules',
      'nbo-offers',
    ]);
  });

  it('sync-rules.sh refuses what a ConfigMap cannot hold, with the file named', () => {
    const run = (dir: string) => {
      try {
        execFileSync('sh', [join(ROOT, 'k8s/sync-rules.sh'), dir, join(dir, '..', 'out')], { stdio: 'pipe' });
        return '';
      } catch (err) {
        return String((err as { stderr: Buffer }).stderr);
      }
    };
    const make = (files: Record<string, string>) => {
      const dir = join(mkdtempSync(join(tmpdir(), 'nbo-sync-')), 'rules');
      for (const [f, text] of Object.entries(files)) {
        mkdirSync(join(dir, f, '..'), { recursive: true });
        writeFileSync(join(dir, f), text);
      }
      return dir;
    };
    expect(run(make({ 'offers/a.yaml': 'x', 'aggregates.yaml': 'y' }))).toBe('');
    expect(run(make({ 'offers/team/a.yaml': 'x' }))).toMatch(
      /offers\/team: offers in subdirectories cannot go into a ConfigMap/,
    );
    expect(run(make({ 'offers/a b.yaml': 'x' }))).toMatch(/'.*a b.yaml' cannot be a ConfigMap key/);
    expect(run(make({ 'aggregates.yaml': 'x', 'offers/README': 'x' }))).toMatch(/has no offer files/);
  });
});

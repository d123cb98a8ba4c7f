import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { buildRoutes } from '../../src/serve/routes.js';

const doc = (f: string) =>
  YAML.parseAllDocuments(readFileSync(new URL(`../../k8s/base/${f}`, import.meta.url), 'utf8')).map((d) => d.toJS());

describe('k8s manifests', () => {
  const deployment = doc('deployment.yaml')[0];
  const container = deployment.spec.template.spec.containers[0];

  const env: Record<string, string> = Object.fromEntries(
    container.env.map((e: { name: string; value: string }) => [e.name, e.value]),
  );

  it('configure NBO with variables it accepts', () => {
    const known = { ...env };
    expect(() => loadConfig(known)).not.toThrow();
    expect(loadConfig(known).host).toBe('0.0.0.0'); // with API keys it listens beyond loopback
  });

  it('probe routes the server has, on the port it listens on, and drain within the grace period', () => {
    const paths = buildRoutes({} as never).map((r) => r.path);
    expect(paths).toContain(container.readinessProbe.httpGet.path);
    expect(paths).toContain(container.livenessProbe.httpGet.path);
    expect(container.ports[0].containerPort).toBe(
      Number(container.env.find((e: { name: string }) => e.name === 'NBO_PORT').value),
    );
    // SIGTERM: serve for the lame-duck delay, then drain; all of it before the kubelet's SIGKILL
    const lameDuckMs = Number(env.NBO_LAME_DUCK_MS);
    const drainMs = Number(env.NBO_SHUTDOWN_TIMEOUT_MS);
    expect(lameDuckMs).toBeGreaterThan(0);
    expect(lameDuckMs + drainMs).toBeLessThan(deployment.spec.template.spec.terminationGracePeriodSeconds * 1000);
    // the lame duck outlasts readiness noticing: the probe fails it within period × threshold
    expect(lameDuckMs).toBeGreaterThan(
      container.readinessProbe.periodSeconds * container.readinessProbe.failureThreshold * 1000,
    );
  });

  it('run Redis with the setting docs/state.md recommends', () => {
    expect(doc('redis.yaml')[0].data['redis.conf']).toContain('hash-max-listpack-value 512');
  });
});

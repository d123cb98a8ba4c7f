import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { buildRoutes } from '../../src/serve/routes.js';

const doc = (f: string) => YAML.parseAllDocuments(readFileSync(new URL(`../../k8s/${f}`, import.meta.url), 'utf8')).map((d) => d.toJS());

describe('k8s manifests', () => {
  const deployment = doc('deployment.yaml')[0];
  const container = deployment.spec.template.spec.containers[0];

  it('configure NBO with variables it accepts', () => {
    const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(() => loadConfig(env)).not.toThrow();
    expect(loadConfig(env).host).toBe('0.0.0.0'); // with API keys it listens beyond loopback
  });

  it('probe routes the server has, on the port it listens on, and drain within the grace period', () => {
    const paths = buildRoutes({} as never).map((r) => r.path);
    expect(paths).toContain(container.readinessProbe.httpGet.path);
    expect(paths).toContain(container.livenessProbe.httpGet.path);
    expect(container.ports[0].containerPort).toBe(Number(container.env.find((e: { name: string }) => e.name === 'NBO_PORT').value));
    const drainMs = Number(container.env.find((e: { name: string }) => e.name === 'NBO_SHUTDOWN_TIMEOUT_MS').value);
    expect(drainMs).toBeLessThan(deployment.spec.template.spec.terminationGracePeriodSeconds * 1000);
  });

  it('run Redis with the setting docs/state.md recommends', () => {
    expect(doc('redis.yaml')[0].data['redis.conf']).toContain('hash-max-listpack-value 512');
  });
});

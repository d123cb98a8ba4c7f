import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { NboError } from '../../src/errors/codes.js';

/** What the kubelet injects for Services named `nbo` and `nbo-redis` when service links are on. */
const LINKS = {
  NBO_SERVICE_HOST: '10.96.0.7',
  NBO_SERVICE_PORT: '8080',
  NBO_SERVICE_PORT_HTTP: '8080',
  NBO_PORT_8080_TCP: 'tcp://10.96.0.7:8080',
  NBO_PORT_8080_TCP_PROTO: 'tcp',
  NBO_PORT_8080_TCP_PORT: '8080',
  NBO_PORT_8080_TCP_ADDR: '10.96.0.7',
  NBO_REDIS_SERVICE_HOST: '10.96.0.9',
  NBO_REDIS_SERVICE_PORT: '6379',
  NBO_REDIS_PORT: 'tcp://10.96.0.9:6379',
  NBO_REDIS_PORT_6379_TCP: 'tcp://10.96.0.9:6379',
  NBO_REDIS_PORT_6379_TCP_PROTO: 'tcp',
  NBO_REDIS_PORT_6379_TCP_PORT: '6379',
  NBO_REDIS_PORT_6379_TCP_ADDR: '10.96.0.9',
};

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (e) {
    expect(e).toBeInstanceOf(NboError);
    return (e as NboError).details as string[];
  }
}

describe('configuration under Kubernetes service links', () => {
  it('ignores the link variables of other Services (NBO_*_SERVICE_HOST, NBO_*_PORT_*, NBO_REDIS_PORT=tcp://…)', () => {
    const c = loadConfig({ ...LINKS, NBO_PORT: '8080', NBO_REDIS_URL: 'redis://nbo-redis:6379' });
    expect(c.port).toBe(8080);
    expect(c.redis?.url).toBe('redis://nbo-redis:6379');
  });

  it('refuses NBO_PORT=tcp://… (a Service named nbo) naming the variable and enableServiceLinks: false', () => {
    const p = problems({ ...LINKS, NBO_PORT: 'tcp://10.96.0.7:8080' });
    expect(p).toHaveLength(1);
    expect(p[0]).toContain(
      'NBO_PORT="tcp://10.96.0.7:8080" is a Kubernetes service link (injected for a Service named "nbo")',
    );
    expect(p[0]).toContain('enableServiceLinks: false');
  });

  it('refuses a service link in any real variable, once, without also calling it a bad value', () => {
    const p = problems({ NBO_KAFKA_BROKERS: 'tcp://10.96.0.3:9092', NBO_REDIS_TIMEOUT_MS: 'tcp://10.96.0.4:6379' });
    expect(p).toHaveLength(2);
    expect(p.every((x) => x.includes('is a Kubernetes service link') && x.includes('enableServiceLinks: false'))).toBe(
      true,
    );
  });

  it('still refuses an unknown NBO_ variable that is not link-shaped', () => {
    expect(problems({ NBO_REDIS_PORT: '6379' })).toEqual(['NBO_REDIS_PORT is not a known variable']);
    expect(problems({ NBO_SERVICEHOST: 'x' })).toEqual(['NBO_SERVICEHOST is not a known variable']);
  });
});

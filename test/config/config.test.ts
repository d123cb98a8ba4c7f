import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig, VARIABLES } from '../../src/config/config.js';
import { NboError } from '../../src/errors/codes.js';

describe('configuration', () => {
  it('defaults to the embedded store, HTTP events only, no auth, loopback, port 8080', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      rulesDir: './rules',
      redis: null,
      kafka: null,
      apiKeysFile: null,
      triggers: ['checkout', 'claim'],
      exploration: 'thompson',
    });
    expect(c).toMatchObject({
      learning: { priorMaxImpressions: 20, halfLifeMs: 14 * 86_400_000, model: 'segment' },
      holdout: { share: 0, policy: 'none' },
      experimentsFile: null,
    });
    expect(Object.isFrozen(c) && Object.isFrozen(c.ws)).toBe(true);
  });

  it('reports every problem at once, and refuses unknown NBO_ variables', () => {
    let err: unknown;
    try {
      loadConfig({
        NBO_PORT: 'eighty',
        NBO_EXPLORATION: 'greedy',
        NBO_REDIS_URL: 'localhost:6379',
        NBO_HOST: '0.0.0.0',
        NBO_KAFKA_BROKERS: 'nope',
        NBO_TYPO: '1',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NboError);
    const problems = (err as NboError).details as string[];
    expect(problems).toHaveLength(6);
    for (const part of [
      'NBO_PORT="eighty"',
      'NBO_EXPLORATION="greedy"',
      'NBO_REDIS_URL="localhost:6379"',
      'NBO_HOST="0.0.0.0" needs NBO_API_KEYS_FILE',
      'NBO_KAFKA_BROKERS: "nope"',
    ]) {
      expect(problems.some((p) => p.includes(part))).toBe(true);
    }
    expect(problems).toContain('NBO_TYPO is not a known variable');
  });

  it('reads and checks the learning settings', () => {
    const c = loadConfig({
      NBO_EXPLORATION: 'mean',
      NBO_PRIOR_MAX_IMPRESSIONS: '50',
      NBO_LEARNING_HALF_LIFE: '12h',
      NBO_HOLDOUT_SHARE: '0.1',
      NBO_HOLDOUT_POLICY: 'random',
      NBO_EXPERIMENTS_FILE: '/etc/nbo/exp.yaml',
    });
    expect(c).toMatchObject({
      exploration: 'mean',
      learning: { priorMaxImpressions: 50, halfLifeMs: 12 * 3_600_000 },
      holdout: { share: 0.1, policy: 'random' },
      experimentsFile: '/etc/nbo/exp.yaml',
    });
    expect(loadConfig({ NBO_LEARNING_HALF_LIFE: 'none' }).learning.halfLifeMs).toBeNull();
    let err: unknown;
    try {
      loadConfig({
        NBO_PRIOR_MAX_IMPRESSIONS: '0',
        NBO_LEARNING_HALF_LIFE: 'a week',
        NBO_HOLDOUT_SHARE: '0.9',
        NBO_HOLDOUT_POLICY: 'nothing',
      });
    } catch (e) {
      err = e;
    }
    const problems = (err as NboError).details as string[];
    expect(problems.map((p) => p.split(/[=:]/)[0])).toEqual([
      'NBO_PRIOR_MAX_IMPRESSIONS',
      'NBO_LEARNING_HALF_LIFE',
      'NBO_HOLDOUT_SHARE',
      'NBO_HOLDOUT_POLICY',
    ]);
  });

  it('reads Redis, Kafka and auth settings', () => {
    const c = loadConfig({
      NBO_REDIS_CLUSTER: 'r1:7000,r2:7001',
      NBO_KAFKA_BROKERS: 'k1:9092',
      NBO_KAFKA_FETCH_MAX_WAIT_MS: '5',
      NBO_API_KEYS_FILE: '/etc/nbo/keys.yaml',
      NBO_TRIGGERS: 'checkout,claim,app_open',
    });
    expect(c.redis).toMatchObject({ url: null, cluster: ['r1:7000', 'r2:7001'], prefix: 'nbo' });
    expect(c.kafka).toMatchObject({
      brokers: ['k1:9092'],
      groupId: 'nbo',
      eventsTopic: 'nbo.events',
      decisionsTopic: 'nbo.decisions',
      dlqTopic: 'nbo.events.dlq',
      fetchMaxWaitMs: 5,
    });
    expect(c.host).toBe('0.0.0.0');
    expect(c.triggers).toEqual(['checkout', 'claim', 'app_open']);
  });

  it('chooses the rules source: redis when Redis is configured, else the directory; redis needs Redis', () => {
    expect(loadConfig({}).rulesSource).toBe('directory');
    expect(loadConfig({ NBO_REDIS_URL: 'redis://r:6379' })).toMatchObject({
      rulesSource: 'redis',
      rulesPublish: { recheckMs: 5000, history: 50, auditLimit: 1000 },
    });
    expect(loadConfig({ NBO_REDIS_URL: 'redis://r:6379', NBO_RULES_SOURCE: 'directory' }).rulesSource).toBe(
      'directory',
    );
    expect(() => loadConfig({ NBO_RULES_SOURCE: 'redis' })).toThrow(
      'NBO_RULES_SOURCE=redis needs NBO_REDIS_URL or NBO_REDIS_CLUSTER',
    );
    expect(() => loadConfig({ NBO_RULES_SOURCE: 'git', NBO_RULES_HISTORY: '0' })).toThrow(
      /NBO_RULES_SOURCE="git"[\s\S]*NBO_RULES_HISTORY="0"/,
    );
    expect(loadConfig({ NBO_API_KEY: 'nbo_secret' }).rulesSource).toBe('directory'); // the CLI's key does not stop the service
  });

  it('docs/configuration.md documents every variable', () => {
    const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    for (const k of Object.keys(VARIABLES)) expect(doc).toContain(`\`${k}\``);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HALF_LIFE_MS, loadConfig, VARIABLES } from '../../src/config/config.js';

describe('config defaults come from one table (VARIABLES)', () => {
  it('docs/configuration.md lists every variable with the default of the table', () => {
    const rows = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8').split('\n');
    for (const [k, v] of Object.entries(VARIABLES)) {
      const row = rows.find((l) => l.startsWith(`| \`${k}\` |`));
      expect({ k, default: row?.split(' | ')[1] }).toEqual({ k, default: v.default });
    }
  });

  it('the parse takes its defaults from the table', () => {
    const c = loadConfig({ NBO_REDIS_URL: 'redis://r:6379', NBO_KAFKA_BROKERS: 'k:9092' });
    const n = (k: keyof typeof VARIABLES) => Number(VARIABLES[k].default.split(' ')[0]);
    expect(c.port).toBe(n('NBO_PORT'));
    expect(c.rulesDir).toBe(VARIABLES.NBO_RULES_DIR.default);
    expect(c.triggers.join(',')).toBe(VARIABLES.NBO_TRIGGERS.default);
    expect(c.exploration).toBe(VARIABLES.NBO_EXPLORATION.default);
    expect(c.logLevel).toBe(VARIABLES.NBO_LOG_LEVEL.default);
    expect(c.bodyLimitBytes).toBe(n('NBO_BODY_LIMIT_BYTES'));
    expect(c.redis?.prefix).toBe(VARIABLES.NBO_REDIS_PREFIX.default);
    expect(c.kafka?.dlqTopic).toBe(VARIABLES.NBO_KAFKA_DLQ_TOPIC.default);
    expect(c.kafka?.ssl).toBe((VARIABLES.NBO_KAFKA_SSL.default as string) === 'true');
    expect(c.learning.halfLifeMs).toBe(DEFAULT_HALF_LIFE_MS);
  });

  it('the defaults are what they were', () => {
    const c = loadConfig({ NBO_REDIS_URL: 'redis://r:6379', NBO_KAFKA_BROKERS: 'k:9092' });
    expect({
      port: c.port,
      rulesWatch: c.rulesWatch,
      rulesPollMs: c.rulesPollMs,
      decideTimeoutMs: c.decideTimeoutMs,
      maxBatch: c.maxBatch,
      shutdownTimeoutMs: c.shutdownTimeoutMs,
      lameDuckMs: c.lameDuckMs,
      ws: c.ws,
      holdout: c.holdout,
      learning: c.learning,
      rulesPublish: c.rulesPublish,
    }).toEqual({
      port: 8080,
      rulesWatch: true,
      rulesPollMs: 1000,
      decideTimeoutMs: 50,
      maxBatch: 1000,
      shutdownTimeoutMs: 10_000,
      lameDuckMs: 5000,
      ws: { maxBackpressureBytes: 1_048_576, idleTimeoutS: 120, maxPayloadBytes: 16 * 1024 },
      holdout: { share: 0, policy: 'none' },
      learning: { priorMaxImpressions: 20, halfLifeMs: 14 * 86_400_000, model: 'segment' },
      rulesPublish: { recheckMs: 5000, history: 50, auditLimit: 1000 },
    });
    expect({ prefix: c.redis?.prefix, timeoutMs: c.redis?.timeoutMs, statsRefreshMs: c.redis?.statsRefreshMs }).toEqual(
      { prefix: 'nbo', timeoutMs: 500, statsRefreshMs: 1000 },
    );
    const k = c.kafka!;
    expect([
      k.clientId,
      k.groupId,
      k.eventsTopic,
      k.decisionsTopic,
      k.dlqTopic,
      k.fetchMaxWaitMs,
      k.sessionTimeoutMs,
      k.requestTimeoutMs,
      k.maxBatchEvents,
      k.partitionsConcurrently,
      k.ssl,
    ]).toEqual(['nbo', 'nbo', 'nbo.events', 'nbo.decisions', 'nbo.events.dlq', 100, 30_000, 30_000, 2000, 4, false]);
  });
});

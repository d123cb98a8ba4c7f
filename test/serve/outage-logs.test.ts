import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/config.js';
import { startService } from '../../src/service/service.js';
import { startRedis, type RedisServer } from '../support/servers.js';
import { get, post, SAMPLE_RULES } from '../support/service.js';

describe('logs during a Redis outage', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('expected 503s are logged once with a count, not once per request with a stack trace', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
    const config = loadConfig({
      NBO_PORT: '0',
      NBO_HOST: '127.0.0.1',
      NBO_RULES_DIR: SAMPLE_RULES,
      NBO_RULES_WATCH: 'false',
      NBO_REDIS_URL: redis.url,
      NBO_REDIS_PREFIX: `t${Date.now()}`,
      NBO_REDIS_TIMEOUT_MS: '100',
    });
    const svc = await startService(config, { log });
    const url = `http://127.0.0.1:${svc.port}`;
    expect((await get(`${url}/v1/customers/c-1`)).status).toBe(200);
    const before = lines.length;

    await redis.stop();
    let unavailable = 0;
    for (let i = 0; i < 40; i++) {
      const ev = await post(`${url}/v1/events`, {
        id: `e-${i}`,
        type: 'purchase',
        customerId: 'c-1',
        time: new Date().toISOString(),
        data: { amount: 1 },
      });
      const read = await get(`${url}/v1/customers/c-1`);
      for (const r of [ev, read]) if (r.status === 503 && r.body.code === 'NBO_ERR_STORE_UNAVAILABLE') unavailable++;
    }
    expect(unavailable).toBe(80);
    await redis.start();
    await svc.stop(); // flushes the counts not yet logged

    const during = lines.slice(before).filter((l) => JSON.stringify(l).includes('NBO_ERR_STORE_UNAVAILABLE'));
    // no stack traces; a handful of lines, not one per request
    expect(during.filter((l) => JSON.stringify(l).includes('"stack"'))).toEqual([]);
    expect(during.length).toBeLessThanOrEqual(4);
    // and every failed request is counted in them
    expect(during.reduce((a, l) => a + Number(l.count ?? 0), 0)).toBe(80);
  }, 60_000);
});

// Seeds the un-prunable catalog's customers once per run and writes its rules directory:
// NBO's keys in Redis (through the store, as ingestion writes them), the flat hashes the
// baselines read, and the same events for seeding an in-process store over HTTP.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Redis } from 'ioredis';
import type { ValidEvent } from '../../src/events/types.js';
import { buildRuleSet } from '../../src/rules/load.js';
import { stateModelFrom } from '../../src/state/model.js';
import { createRedisStore } from '../../src/state/redis/redis-store.js';
import { rng } from './synthetic.js';
import { generateUnprunable, unprunableFiles, unprunableHistory } from './unprunable-catalog.js';

export interface UnprunableSetup {
  rulesDir: string;
  /** NBO's Redis key prefix holding the customers. */
  prefix: string;
  customers: number;
  /** Every seeding event, oldest first, as JSON for POST /v1/events (times relative to now). */
  events: () => object[];
}

/**
 * The environment of an NBO serving the seeded catalog on `port`: the customers in Redis
 * (`redisUrl` given) or, without it, an in-process store to seed with {@link postEvents}.
 */
export function unprunableEnv(setup: UnprunableSetup, port: number, redisUrl?: string): Record<string, string> {
  return {
    NBO_PORT: String(port),
    NBO_RULES_DIR: setup.rulesDir,
    NBO_RULES_WATCH: 'false',
    NBO_LOG_LEVEL: 'warn',
    ...(redisUrl === undefined ? {} : { NBO_REDIS_URL: redisUrl, NBO_REDIS_PREFIX: setup.prefix }),
  };
}

let cached: Promise<UnprunableSetup> | null = null;

export function unprunableSetup(redisUrl: string, customers: number): Promise<UnprunableSetup> {
  cached ??= seed(redisUrl, customers);
  return cached;
}

async function seed(redisUrl: string, customers: number): Promise<UnprunableSetup> {
  const files = unprunableFiles(generateUnprunable(200));
  const rulesDir = mkdtempSync(join(tmpdir(), 'nbo-bench-unprunable-'));
  for (const f of files) {
    mkdirSync(dirname(join(rulesDir, f.file)), { recursive: true });
    writeFileSync(join(rulesDir, f.file), f.text);
  }
  const rules = buildRuleSet(files);
  if (!rules.ok) throw new Error(`un-prunable rules invalid: ${JSON.stringify(rules.issues.slice(0, 3))}`);
  const end = Date.now();
  const rand = rng(21);
  const all: ValidEvent[][] = Array.from({ length: customers }, (_, k) => unprunableHistory(`u-${k}`, end, rand));

  const prefix = `bu${end}`;
  const store = await createRedisStore({ url: redisUrl, prefix, clock: () => end });
  store.setModel(stateModelFrom(rules.rules));
  for (let c = 0; c < customers; c += 100) await store.applyEvents(all.slice(c, c + 100).flat());
  const raw = new Redis(redisUrl);
  for (let c = 0; c < customers; c += 500) {
    const pipe = raw.pipeline();
    for (let k = c; k < Math.min(customers, c + 500); k++) {
      const s = await store.snapshot(`u-${k}`, end);
      const spend = Number(s.agg.spend_90d ?? 0);
      const fields: Record<string, string> = { value_tier: spend >= 800 ? 'high' : spend >= 300 ? 'mid' : 'low' };
      for (const [a, v] of Object.entries(s.agg)) fields[`agg.${a}`] = String(v ?? 0);
      for (const [p, v] of Object.entries(s.profile)) fields[`profile.${p}`] = JSON.stringify(v);
      pipe.hset(`naive:{u-${k}}`, fields);
    }
    await pipe.exec();
  }
  raw.disconnect();
  await store.close();
  return {
    rulesDir,
    prefix,
    customers,
    events: () => {
      const shift = Date.now() - end;
      return all
        .flat()
        .sort((a, b) => a.timeMs - b.timeMs)
        .map(({ timeMs, ...e }) => ({ ...e, time: new Date(timeMs + shift).toISOString() }));
    },
  };
}

/** Posts events to NBO in batches of 1,000 from 4 concurrent clients. */
export async function postEvents(base: string, events: object[]): Promise<void> {
  const batches: string[] = [];
  for (let i = 0; i < events.length; i += 1000) batches.push(JSON.stringify(events.slice(i, i + 1000)));
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < batches.length) {
        const body = batches[next++]!;
        const r = await fetch(`${base}/v1/events`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json' },
        });
        if (r.status !== 202) throw new Error(`seeding POST /v1/events: ${r.status} ${await r.text()}`);
      }
    }),
  );
}

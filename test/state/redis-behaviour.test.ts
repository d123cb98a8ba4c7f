import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createDecider } from '../../src/decide/decider.js';
import { NboError } from '../../src/errors/codes.js';
import { stateModelFrom } from '../../src/state/model.js';
import { createRedisStore } from '../../src/state/redis/redis-store.js';
import { ev, T0 } from '../support/events.js';
import { deleteByPrefix } from '../support/redis-keys.js';
import { offer, ruleSet } from '../support/rules.js';
import { startRedis, type RedisServer } from '../support/servers.js';

const RULES = ruleSet({
  aggregates: {
    spend_30d: { event: 'purchase', field: 'data.amount', fn: 'sum', window: '30d' },
    stores: { event: 'checkout', field: 'data.storeId', fn: 'distinct', window: '30d' },
  },
  offers: [offer('o1'), offer('thanks', { fallback: true })],
});
const prefix = () => `t${randomBytes(4).toString('hex')}`;

/** A Redis store under a fresh prefix for the rules above. */
async function newStore(p: string) {
  const store = await createRedisStore({ url: inject('redisUrl'), prefix: p, clock: () => T0, statsRefreshMs: 60_000 });
  store.setModel(stateModelFrom(RULES));
  return store;
}

/** The commands `fn` sends Redis as round trips (MONITOR; commands a script runs inside Redis show as "lua"). */
async function roundTrips<T>(fn: () => Promise<T>): Promise<{ result: T; seen: string[][] }> {
  const monitor = await new Redis(inject('redisUrl')).monitor();
  const seen: string[][] = [];
  monitor.on('monitor', (_t: string, args: string[], source: string) => {
    if (source !== 'lua') seen.push(args);
  });
  await new Promise((r) => setTimeout(r, 50));
  seen.length = 0;
  const result = await fn();
  await new Promise((r) => setTimeout(r, 50));
  monitor.disconnect();
  return { result, seen };
}

describe('Redis store — one round trip per decision snapshot', () => {
  it('a snapshot is a single EVALSHA, whatever the customer holds', async () => {
    const p = prefix();
    const store = await newStore(p);
    await store.recordOffered({ customerId: 'c1', decisionId: 'd0', offerIds: ['o1'], atMs: T0, segment: null });
    await store.applyEvents([
      ev('c1', 'profile', { age: 30 }),
      ev('c1', 'purchase', { amount: 5 }),
      ev('c1', 'checkout', { storeId: 's1' }),
      ev('c1', 'offer_response', { decisionId: 'd0', offerId: 'o1', outcome: 'declined' }),
    ]);
    await store.snapshot('c1', T0); // scripts loaded (EVALSHA succeeds from here on)
    const { result: snap, seen } = await roundTrips(() => store.snapshot('c1', T0));
    expect(snap.agg).toMatchObject({ spend_30d: 5, stores: 1 });
    expect(snap.offers.o1?.counts.declined).toBe(1);
    expect(seen.map((a) => a[0]!.toLowerCase())).toEqual(['evalsha']);
    expect(seen[0]).toContain(`${p}:{c1}`);
    await deleteByPrefix(store.client, p);
    await store.close();
  });
});

describe('Redis store — shared counters', () => {
  it("another instance's learning reaches every offer in this instance's cache (refreshed a slice at a time)", async () => {
    const p = prefix();
    const offers = Array.from({ length: 40 }, (_, i) => offer(`o${i}`));
    const rules = ruleSet({ offers: [...offers, offer('thanks', { fallback: true })] });
    const [a, b] = await Promise.all(
      [0, 1].map(() => createRedisStore({ url: inject('redisUrl'), prefix: p, clock: () => T0, statsRefreshMs: 200 })),
    );
    for (const s of [a!, b!]) s.setModel(stateModelFrom(rules));
    // b reads every offer once (as decisions do), then a learns an acceptance of each
    for (let i = 0; i < 40; i++) b!.stats.learning(`o${i}`, null);
    await new Promise((r) => setTimeout(r, 100)); // b's first reads of new offers are done: from here on only its slices refresh
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        a!.recordOffered({ customerId: `c${i}`, decisionId: `d${i}`, offerIds: [`o${i}`], atMs: T0, segment: null }),
      ),
    );
    await a!.applyEvents(
      Array.from({ length: 40 }, (_, i) =>
        ev(`c${i}`, 'offer_response', { decisionId: `d${i}`, offerId: `o${i}`, outcome: 'accepted' }),
      ),
    );
    const seen = () =>
      Array.from({ length: 40 }, (_, i) => b!.stats.learning(`o${i}`, null).accepted).filter((n) => n === 1).length;
    const t0 = Date.now();
    while (seen() < 40 && Date.now() - t0 < 2000) await new Promise((r) => setTimeout(r, 10));
    expect(seen()).toBe(40);
    await deleteByPrefix(a!.client, p);
    await Promise.all([a!.close(), b!.close()]);
  });
});

describe('Redis store — failure behaviour', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('fails fast while Redis is down — retriable "unavailable", decisions degrade — and recovers by itself', async () => {
    const store = await createRedisStore({
      url: server.url,
      prefix: prefix(),
      clock: () => T0,
      commandTimeoutMs: 200,
      statsRefreshMs: 60_000,
    });
    store.setModel(stateModelFrom(RULES));
    await store.applyEvents([ev('c1', 'purchase', { amount: 5 })]);
    const decider = createDecider({ store, rules: () => RULES, clock: () => T0, snapshotTimeoutMs: 100 });

    await server.stop();
    for (const attempt of [
      () => store.snapshot('c1', T0),
      () => store.applyEvents([ev('c1', 'purchase', { amount: 1 })]),
      () => store.ping(),
    ]) {
      const t = Date.now();
      const err = await attempt().then(
        () => null,
        (e: unknown) => e,
      );
      expect(Date.now() - t).toBeLessThan(1500);
      expect(err).toBeInstanceOf(NboError);
      expect(err).toMatchObject({ code: 'NBO_ERR_STORE_UNAVAILABLE', retriable: true });
    }
    const d = await decider.decide({ customerId: 'c1', channel: 'pos', trigger: null, context: {} });
    expect(d).toMatchObject({ degraded: true, offers: [{ offerId: 'thanks' }] });

    await server.start(); // same port, empty (no persistence)
    const deadline = Date.now() + 10_000;
    let up = false;
    while (!up && Date.now() < deadline) {
      up = await store.ping().then(
        () => true,
        () => false,
      );
      if (!up) await new Promise((r) => setTimeout(r, 100));
    }
    expect(up).toBe(true);
    expect((await store.applyEvents([ev('c1', 'purchase', { amount: 2 })])).applied).toBe(1);
    expect((await decider.decide({ customerId: 'c1', channel: 'pos', trigger: null, context: {} })).degraded).toBe(
      false,
    );
    await store.close();
  });

  it("tells bad stored data from an outage: NBO_ERR_STORE_DATA, not retriable; only that customer's events are rejected", async () => {
    const p = prefix();
    const store = await createRedisStore({ url: server.url, prefix: p, clock: () => T0 });
    store.setModel(stateModelFrom(RULES));
    const raw = new Redis(server.url);
    await store.recordOffered({ customerId: 'c9', decisionId: 'd', offerIds: ['o1'], atMs: T0, segment: null });
    await raw.hset(`${p}:{c9}`, 'o:o1', 'not json');
    // c9 shares the batch (and a script call) with others: they are applied, c9's events are rejected, c9 is not touched
    const batch = [
      ev('c8', 'purchase', { amount: 3 }),
      ev('c9', 'purchase', { amount: 4 }),
      ev('c9', 'offer_response', { decisionId: 'd', offerId: 'o1', outcome: 'accepted' }),
      ev('c10', 'purchase', { amount: 5 }),
    ];
    const res = await store.applyEvents(batch);
    expect(res.statuses).toEqual(['applied', 'rejected', 'rejected', 'applied']);
    expect(res.rejected).toEqual(
      [1, 2].map((index) => ({
        index,
        code: 'NBO_ERR_STORE_DATA',
        path: '$.customerId',
        message: expect.stringContaining('customer c9'),
      })),
    );
    expect((await store.snapshot('c8', T0)).agg.spend_30d).toBe(3);
    expect((await store.snapshot('c10', T0)).agg.spend_30d).toBe(5);
    expect(await raw.hget(`${p}:{c9}`, `a:${stateModelFrom(RULES).aggregates[0]!.storageKey}`)).toBeNull();
    const err2 = await store.snapshot('c9', T0).catch((e: unknown) => e);
    expect(err2).toMatchObject({ code: 'NBO_ERR_STORE_DATA', retriable: false });
    // a mangled aggregate field: an error, not a hang or a NaN
    await raw.hset(`${p}:{c11}`, `a:${stateModelFrom(RULES).aggregates[0]!.storageKey}`, '20000;20000');
    const err3 = await store.snapshot('c11', T0).catch((e: unknown) => e);
    expect(err3).toMatchObject({ code: 'NBO_ERR_STORE_DATA', retriable: false });
    raw.disconnect();
    await store.close();
  });
});

describe('Redis store — a decision reads only the histories it needs', () => {
  it('histories not asked for stay in Redis: the reply carries only the asked ones', async () => {
    const p = prefix();
    const store = await createRedisStore({
      url: inject('redisUrl'),
      prefix: p,
      clock: () => T0,
      statsRefreshMs: 60_000,
    });
    store.setModel(stateModelFrom(RULES));
    await store.recordOffered({
      customerId: 'c1',
      decisionId: 'd1',
      offerIds: ['o1', 'o2', 'o3'],
      atMs: T0,
      segment: null,
    });
    await store.applyEvents([ev('c1', 'purchase', { amount: 5 })]);
    const raw = new Redis(inject('redisUrl'));
    try {
      await new Promise((r) => setTimeout(r, 20)); // the offered records are written at the end of the loop turn
      const fields = async (ids: string[] | null) => {
        const flat = await (
          store.client as unknown as { nbo_snapshot(k: string, ...a: string[]): Promise<string[]> }
        ).nbo_snapshot(`${p}:{c1}`, ...(ids ? ['+', ...ids] : []));
        return flat.filter((_, i) => i % 2 === 0);
      };
      expect((await fields(null)).filter((f) => f.startsWith('o:')).sort()).toEqual(['o:o1', 'o:o2', 'o:o3']);
      expect((await fields(['o2'])).filter((f) => f.startsWith('o:'))).toEqual(['o:o2']);
      expect((await fields([])).filter((f) => f.startsWith('o:'))).toEqual([]);
      expect(await fields([])).not.toContain('s'); // the seen ids never leave Redis
      expect(Object.keys((await store.snapshot('c1', T0, ['o3'])).offers)).toEqual(['o3']);
      expect((await store.snapshot('c1', T0, [])).agg.spend_30d).toBe(5);
    } finally {
      await deleteByPrefix(raw, p);
      raw.disconnect();
      await store.close();
    }
  });

  it('a decision reads with one HSCAN (profile, aggregates, household) and an HMGET of the histories it asks for', async () => {
    const p = prefix();
    const store = await newStore(p);
    await store.recordOffered({ customerId: 'c1', decisionId: 'd0', offerIds: ['o1'], atMs: T0, segment: null });
    await store.applyEvents([
      ev('c1', 'profile', { age: 30, tier: 'gold' }),
      ev('c1', 'purchase', { amount: 5 }),
      ev('c1', 'household', { householdId: 'hh1' }),
    ]);
    const { result: snap, seen } = await roundTrips(() => store.snapshot('c1', T0, []));
    expect(snap.profile).toEqual({ age: 30, tier: 'gold' });
    expect(snap.agg).toMatchObject({ spend_30d: 5 });
    expect(snap.household?.id).toBe('hh1');
    expect(snap.offers).toEqual({}); // the history of o1 stays in Redis
    const own = seen.filter((a) => a.includes(`${p}:{c1}`));
    expect(own.map((a) => a[0]!.toLowerCase())).toEqual(['hscan']);
    // with histories asked for: an HMGET of exactly those beside the HSCAN, in the same write;
    // an offer the customer has no history of is simply absent
    const asked = await roundTrips(() => store.snapshot('c1', T0, ['o1', 'thanks']));
    expect(asked.result.offers.o1?.counts.offered).toBe(1);
    expect(Object.keys(asked.result.offers)).toEqual(['o1']);
    expect(asked.result.profile).toEqual({ age: 30, tier: 'gold' });
    const mine = asked.seen.filter((a) => a.includes(`${p}:{c1}`));
    expect(mine.map((a) => a[0]!.toLowerCase())).toEqual(['hscan', 'hmget']);
    expect(mine[1]!.slice(2)).toEqual(['o:o1', 'o:thanks']);
    await deleteByPrefix(store.client, p);
    await store.close();
  });

  it('a hash too large for one HSCAN is read by the snapshot script instead, whole and right, histories too', async () => {
    const p = prefix();
    const store = await newStore(p);
    await store.recordOffered({ customerId: 'c1', decisionId: 'd0', offerIds: ['o1'], atMs: T0, segment: null });
    await store.applyEvents([ev('c1', 'profile', { age: 30 }), ev('c1', 'purchase', { amount: 7 })]);
    // 30,000 fields no decision reads: HSCAN with its COUNT cannot finish in one call
    const filler: string[] = [];
    for (let i = 0; i < 30_000; i++) filler.push(`x${i}`, '1');
    await store.client.hset(`${p}:{c1}`, ...filler);
    const snap = await store.snapshot('c1', T0, []);
    expect(snap.profile).toEqual({ age: 30 });
    expect(snap.agg).toMatchObject({ spend_30d: 7 });
    expect(snap.offers).toEqual({});
    const withHistory = await store.snapshot('c1', T0, ['o1']);
    expect(withHistory.profile).toEqual({ age: 30 });
    expect(withHistory.offers.o1?.counts.offered).toBe(1);
    await deleteByPrefix(store.client, p);
    await store.close();
  });
});

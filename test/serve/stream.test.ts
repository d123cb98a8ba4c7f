import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { checkout, post, SAMPLE_RULES, startTestService, subscribe, until } from '../support/service.js';

describe('WebSocket stream', () => {
  let svc: Awaited<ReturnType<typeof startTestService>>;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(async () => {
    await svc.stop();
  });

  it('pushes stream-triggered decisions to subscribers of the channel, or of the channel and customer', async () => {
    const pos = subscribe(`${svc.ws}/v1/stream?channel=pos`);
    const mine = subscribe(`${svc.ws}/v1/stream?channel=pos&customerId=c-ws-1`);
    const app = subscribe(`${svc.ws}/v1/stream?channel=app`);
    await Promise.all([pos.opened, mine.opened, app.opened]);
    const e1 = checkout('c-ws-1');
    await post(`${svc.url}/v1/events`, [e1, checkout('c-ws-2')]);
    await until(() => pos.messages.length === 2 && mine.messages.length === 1);
    expect(mine.messages[0]).toEqual({
      type: 'decision',
      decisionId: expect.any(String),
      customerId: 'c-ws-1',
      channel: 'pos',
      trigger: 'checkout',
      eventId: e1.id,
      offers: expect.any(Array),
      rulesVersion: expect.any(String),
      degraded: false,
      time: expect.any(String),
      requestId: expect.any(String),
      traceparent: expect.any(String),
      policy: 'default',
      candidates: expect.any(Array),
    });
    expect(pos.messages.map((m) => m.customerId).sort()).toEqual(['c-ws-1', 'c-ws-2']);
    await new Promise((r) => setTimeout(r, 100));
    expect(app.messages).toEqual([]);
    // a duplicate trigger decides nothing
    await post(`${svc.url}/v1/events`, e1);
    await new Promise((r) => setTimeout(r, 100));
    expect(mine.messages).toHaveLength(1);
    for (const s of [pos, mine, app]) s.ws.close();
  });

  it('needs a valid channel to subscribe', async () => {
    await expect(subscribe(`${svc.ws}/v1/stream`).opened).rejects.toThrow('HTTP 400');
    await expect(subscribe(`${svc.ws}/v1/stream?channel=POS!`).opened).rejects.toThrow('HTTP 400');
  });
});

describe('WebSocket stream — a slow subscriber', () => {
  it('is closed with 1008 instead of growing memory; a reading one keeps receiving', async () => {
    // an offer with a 60 KB payload fills socket buffers quickly
    const dir = mkdtempSync(join(tmpdir(), 'nbo-rules-'));
    cpSync(SAMPLE_RULES, dir, { recursive: true });
    writeFileSync(
      join(dir, 'offers', 'big.json'),
      JSON.stringify({
        id: 'aaa-big',
        name: 'Big',
        channels: ['pos'],
        triggers: ['checkout'],
        value: 1000,
        payload: { blob: 'x'.repeat(60_000) },
      }),
    );
    const svc = await startTestService({ NBO_RULES_DIR: dir, NBO_WS_MAX_BACKPRESSURE_BYTES: '262144' });
    const slow = subscribe(`${svc.ws}/v1/stream?channel=pos`);
    const fast = subscribe(`${svc.ws}/v1/stream?channel=pos`);
    await Promise.all([slow.opened, fast.opened]);
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause(); // stops reading
    for (let i = 0; i < 30 && slow.closed() === null; i++) {
      await post(
        `${svc.url}/v1/events`,
        Array.from({ length: 20 }, (_, k) => checkout(`c-slow-${i}-${k}`)),
      );
      await new Promise((r) => setTimeout(r, 20));
    }
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const closed = await slow.done;
    expect(closed.code).toBe(1008);
    expect(closed.reason).toContain('slow subscriber');
    expect(fast.closed()).toBeNull();
    expect(fast.messages.length).toBeGreaterThan(20);
    const m = await (await fetch(`${svc.url}/metrics`)).text();
    expect(m).toMatch(/nbo_ws_messages_dropped_total\{reason="slow_subscriber"\} [1-9]/);
    fast.ws.close();
    await svc.stop();
  });
});

describe('WebSocket stream — across instances', () => {
  it('a decision made on one instance reaches subscribers on every instance (Redis pub/sub)', async () => {
    const env = { NBO_REDIS_URL: inject('redisUrl'), NBO_REDIS_PREFIX: `t${randomBytes(4).toString('hex')}` };
    const a = await startTestService(env);
    const b = await startTestService(env);
    const onA = subscribe(`${a.ws}/v1/stream?channel=pos&customerId=c-x`);
    const onB = subscribe(`${b.ws}/v1/stream?channel=pos&customerId=c-x`);
    await Promise.all([onA.opened, onB.opened]);
    await post(`${a.url}/v1/events`, checkout('c-x'));
    await until(() => onA.messages.length === 1 && onB.messages.length === 1);
    expect(onB.messages[0].decisionId).toBe(onA.messages[0].decisionId);
    await new Promise((r) => setTimeout(r, 100));
    expect(onA.messages).toHaveLength(1); // its own message is not delivered twice
    onA.ws.close();
    onB.ws.close();
    await a.stop();
    await b.stop();
  });
});

describe('POST /v1/decide — store round trips', () => {
  it('reads the customer in one round trip before answering; recording offered follows it', async () => {
    const prefix = `t${randomBytes(4).toString('hex')}`;
    const svc = await startTestService({
      NBO_REDIS_URL: inject('redisUrl'),
      NBO_REDIS_PREFIX: prefix,
      NBO_STATS_REFRESH_MS: '600000',
    });
    await post(`${svc.url}/v1/decide`, { customerId: 'warm', channel: 'pos' }); // scripts loaded
    const monitor = await new Redis(inject('redisUrl')).monitor();
    const seen: string[][] = [];
    monitor.on('monitor', (_t: string, args: string[], source: string) => {
      if (source !== 'lua' && args.some((a) => a.startsWith(`${prefix}:`))) seen.push(args);
    });
    await new Promise((r) => setTimeout(r, 50));
    const none = await post(`${svc.url}/v1/decide`, { customerId: 'c-rt', channel: 'nowhere' }); // nothing qualifies
    await new Promise((r) => setTimeout(r, 50));
    expect(none.body.offers).toEqual([]);
    // the snapshot (HSCAN and, the sample catalog having caps, an HMGET of the histories they
    // read, sent in one write); then, after the answer, the decision counted for its policy
    expect(seen.map((a) => a[0]!.toLowerCase())).toEqual(['hscan', 'hmget', 'hincrby']);
    expect(seen[2]).toEqual(['hincrby', `${prefix}:policies`, 'default:d', '1']);
    seen.length = 0;
    const some = await post(`${svc.url}/v1/decide`, {
      customerId: 'c-rt',
      channel: 'pos',
      trigger: 'checkout',
      context: { basket: { total: 10 } },
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(some.body.offers.length).toBe(1);
    // commands on the customer: the snapshot, then "offered" recorded after the answer;
    // anything else is the background refresh of shared counters (never awaited by a decision)
    const onCustomer = seen.filter((a) => a.includes(`${prefix}:{c-rt}`));
    // (the apply script's first use in this process goes as EVAL, later ones as EVALSHA)
    expect(onCustomer.map((a) => a[0]!.toLowerCase().replace(/^evalsha$/, 'eval'))).toEqual(['hscan', 'hmget', 'eval']);
    for (const other of seen.filter((a) => !a.includes(`${prefix}:{c-rt}`))) {
      if (other[0]!.toLowerCase() === 'hincrby')
        expect(other[1]).toBe(`${prefix}:policies`); // the decision counted
      else {
        expect(other[0]!.toLowerCase()).toBe('hgetall');
        expect(other[1]).toMatch(new RegExp(`^${prefix}:(learn|tot|policies)`));
      }
    }
    monitor.disconnect();
    await svc.stop();
  });
});

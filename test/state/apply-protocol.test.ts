import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { NboError } from '../../src/errors/codes.js';
import { groupsOf } from '../../src/state/redis/apply-call.js';
import {
  applyArgs,
  bucketOp,
  decodeApplyResult,
  distinctOp,
  householdOp,
  lastOp,
  profileOp,
  responseOp,
  wireEvent,
  type EventResult,
} from '../../src/state/redis/apply-protocol.js';
import { OUTCOME_INDEX, seenId } from '../../src/state/redis/codec.js';
import type { Client } from '../../src/state/redis/connect.js';
import { keyBuilder } from '../../src/state/redis/keys.js';
import { offeredArgs } from '../../src/state/redis/offered-queue.js';
import { createRedisStore } from '../../src/state/redis/redis-store.js';
import { scriptSource } from '../../src/state/redis/scripts.js';
import { deleteByPrefix } from '../support/redis-keys.js';

const T0 = Date.parse('2026-11-20T10:00:00Z');
const DEPTHS = [0, 0, 0, 0, 0];

describe('apply-events protocol: op builders', () => {
  // one of each op, as apply-events-n.lua's header documents them
  const ops = [
    profileOp('tier', T0, '"gold"'),
    householdOp(T0, 'hh1'),
    bucketOp('spend', 's', '42', 9.5, 40),
    lastOp('last_city', T0, '"Oslo"'),
    distinctOp('stores', 'k1', T0, T0 - 1000, 50),
    responseOp('o1', OUTCOME_INDEX.accepted, 'dk', T0, DEPTHS),
  ];

  it('puts each argument where the script reads it', () => {
    expect(ops).toEqual([
      ['p', 'tier', T0, '"gold"'],
      ['h', T0, 'hh1'],
      ['b', 'spend', 's', '42', 9.5, 40],
      ['l', 'last_city', T0, '"Oslo"'],
      ['d', 'stores', 'k1', T0, T0 - 1000, 50],
      ['r', 'o1', 3, 'dk', T0, DEPTHS],
    ]);
  });

  it('builds every kind the script knows, each as wide as the script steps over it', () => {
    // the script walks a flat event by its SLOTS table: a builder one argument short or
    // long would shift every op after it
    const m = /local SLOTS = \{([^}]*)\}/.exec(scriptSource('apply-events-n.lua'));
    const slots = Object.fromEntries([...m![1]!.matchAll(/(\w+) = (\d+)/g)].map(([, k, n]) => [k!, Number(n)]));
    expect(Object.keys(slots).sort()).toEqual(ops.map((op) => op[0]).sort());
    for (const op of ops) expect(op.length, op[0]).toBe(slots[op[0]]);
  });

  it('flattens an event to its key and its ops, one after another', () => {
    expect(wireEvent('e1', [householdOp(T0, ''), lastOp('x', T0, '1')])).toEqual([
      'e1',
      'h',
      T0,
      '',
      'l',
      'x',
      T0,
      '1',
    ]);
    expect(wireEvent('', [])).toEqual(['']);
  });

  it('records a decision as its offers (each with its depth), its id, segment and time, then the decision as issued', () => {
    const args = offeredArgs(
      {
        customerId: 'c1',
        decisionId: 'd-1',
        offerIds: ['o1', 'o2'],
        atMs: T0 + 999,
        segment: 'vip',
        policy: 'p1',
        features: [12, 40],
      },
      (o) => (o === 'o1' ? 1 : 0),
    );
    const at = Math.floor((T0 + 999) / 1000).toString(36);
    expect(args).toEqual([2, 'o1', 1, 'o2', 0, 'd-1', 'vip', T0 + 999, `${seenId('d-1')}|${at}|o1,o2|p1|vip|c.14`]);
    // the default policy and no segment or features are written empty
    const plain = offeredArgs(
      { customerId: 'c1', decisionId: 'd-2', offerIds: ['o1'], atMs: T0, segment: null },
      () => 0,
    );
    expect(plain.at(-1)).toBe(`${seenId('d-2')}|${Math.floor(T0 / 1000).toString(36)}|o1|||`);
  });

  it('passes the call arguments in the order of the script header', () => {
    const args = applyArgs(['k1', 'k2'], [[['e']], [['f']]], {
      nowMs: 1,
      horizonMs: 2,
      stateTtlMs: 3,
      decisionTtlMs: 5,
    });
    expect(args).toEqual([2, 'k1', 'k2', 1, 2, 3, JSON.stringify([[['e']], [['f']]]), 5]);
  });

  it('groups customers up to 64 events a call on a single node, one a call on a cluster', () => {
    const items = [30, 30, 4, 1, 64, 2].map((n, i) => ({ id: i, batch: new Array(n).fill(0) }));
    expect(groupsOf(items, false).map((g) => g.map((it) => it.id))).toEqual([[0, 1, 2], [3], [4], [5]]);
    expect(groupsOf(items, true).map((g) => g.map((it) => it.id))).toEqual([[0], [1], [2], [3], [4], [5]]);
  });
});

describe('apply-events protocol: decoder', () => {
  it('decodes statuses, the household link and the response counts', () => {
    const raw = JSON.stringify([
      [
        [1, ['r', 'o1', 1, 0, 'vip', 'p1', 'c']],
        [0, ['h', 'hh1']],
        [1, ['h', '']],
        [2, 1],
        [2, 2],
      ],
      [[1]],
    ]);
    expect(decodeApplyResult(raw, ['c1', 'c2'])).toEqual([
      [
        {
          status: 'applied',
          household: null,
          response: { offerId: 'o1', impressions: 1, accepted: 0, segment: 'vip', policy: 'p1', features: 'c' },
        },
        { status: 'duplicate', household: 'hh1', response: null },
        { status: 'applied', household: null, response: null },
        { status: 'refused', reason: 'unknown-decision' },
        { status: 'refused', reason: 'offer-mismatch' },
      ],
      [{ status: 'applied', household: null, response: null }],
    ] satisfies EventResult[][]);
  });

  it("turns one customer's unreadable state into that customer's error, the others decoded", () => {
    const [c1, c2] = decodeApplyResult(JSON.stringify([-2, [[1]]]), ['c1', 'c2']);
    expect(c1).toBeInstanceOf(NboError);
    expect((c1 as NboError).code).toBe('NBO_ERR_STORE_DATA');
    expect((c1 as NboError).message).toMatch(/customer c1: stored offer history cannot be decoded/);
    expect(c2).toEqual([{ status: 'applied', household: null, response: null }]);
  });

  it('refuses a call refused as a whole, and answers it does not understand', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return (err as NboError).code;
      }
      return 'no error';
    };
    expect(code(() => decodeApplyResult(-1, ['c1']))).toBe('NBO_ERR_STORE_DATA');
    expect(code(() => decodeApplyResult(JSON.stringify([[[7]]]), ['c1']))).toBe('NBO_ERR_STORE_DATA');
    expect(code(() => decodeApplyResult(JSON.stringify([[[1]]]), ['c1', 'c2']))).toBe('NBO_ERR_STORE_DATA');
    expect(code(() => decodeApplyResult(JSON.stringify([['x']]), ['c1']))).toBe('NBO_ERR_STORE_DATA');
  });
});

describe('apply-events protocol against the script', () => {
  it('round-trips built ops through apply-events-n.lua and decodes what it answers', async () => {
    const prefix = `t${randomBytes(4).toString('hex')}`;
    const store = await createRedisStore({ url: inject('redisUrl'), prefix, statsRefreshMs: 60_000 });
    const client = store.client as Client;
    const keys = keyBuilder(prefix);
    const settings = {
      nowMs: T0 + 5000,
      horizonMs: 60_000,
      stateTtlMs: 86_400_000,
      decisionTtlMs: 86_400_000,
    };
    const run = async (batches: Array<[string, unknown[][]]>) =>
      decodeApplyResult(
        await client.nbo_apply_events(
          ...applyArgs(
            batches.map(([c]) => keys.customer(c)),
            batches.map(([, b]) => b),
            settings,
          ),
        ),
        batches.map(([c]) => c),
      );
    try {
      const decision = offeredArgs(
        {
          customerId: 'c1',
          decisionId: 'd-1',
          offerIds: ['o1', 'o2'],
          atMs: T0,
          segment: 'vip',
          policy: 'p1',
          features: [12, 40],
        },
        () => 0,
      );
      const again = offeredArgs(
        { customerId: 'c1', decisionId: 'd-0', offerIds: ['o2'], atMs: T0, segment: null },
        () => 2,
      );
      const other = offeredArgs(
        { customerId: 'c2', decisionId: 'd-2', offerIds: ['o1'], atMs: T0, segment: null },
        () => 0,
      );
      // c2's offer history is not JSON: its records fail alone, nothing of c2 written
      await client.hset(keys.customer('c2'), 'o:o1', 'not json');
      const recorded = await client.nbo_record_offered(
        2,
        keys.customer('c1'),
        keys.customer('c2'),
        settings.nowMs,
        settings.stateTtlMs,
        settings.decisionTtlMs,
        8,
        2,
        ...again,
        ...decision,
        1,
        ...other,
      );
      expect(recorded).toEqual([1, -2]);
      expect(await client.hget(keys.customer('c2'), 'd')).toBeNull();
      // two records of one customer in one call: o2 counted twice, the later decision last
      const o2 = JSON.parse((await client.hget(keys.customer('c1'), 'o:o2'))!);
      expect(o2).toMatchObject({ di: 'd-1', sg: 'vip' });
      expect(o2.c[0]).toBe(2);
      expect(await client.hget(keys.customer('c1'), 'd')).toMatch(
        new RegExp(`^;${seenId('d-0')}\\|.*;${seenId('d-1')}\\|`),
      );
      // arguments that run short refuse the whole call
      expect(await client.nbo_record_offered(1, keys.customer('c3'), settings.nowMs, 1, 1, 8, 1, 2, 'o1', 0)).toBe(-1);

      const accepted = (offerId: string, decisionId: string) =>
        responseOp(offerId, OUTCOME_INDEX.accepted, seenId(decisionId), T0 + 1000, DEPTHS);
      const [res] = await run([
        [
          'c1',
          [
            wireEvent(seenId('e1'), [accepted('o1', 'd-1')]),
            wireEvent(seenId('e1'), [accepted('o1', 'd-1')]),
            wireEvent(seenId('e2'), [accepted('o3', 'd-1')]),
            wireEvent(seenId('e3'), [accepted('o1', 'nope')]),
            wireEvent(seenId('e4'), [householdOp(T0, 'hh1')]),
          ],
        ],
      ]);
      expect(res).toEqual([
        // the first response to a decision also counts its impression
        {
          status: 'applied',
          household: null,
          response: { offerId: 'o1', impressions: 1, accepted: 1, segment: 'vip', policy: 'p1', features: 'c.14' },
        },
        { status: 'duplicate', household: null, response: null },
        { status: 'refused', reason: 'offer-mismatch' },
        { status: 'refused', reason: 'unknown-decision' },
        { status: 'applied', household: 'hh1', response: null },
      ] satisfies EventResult[]);
    } finally {
      await deleteByPrefix(store.client, prefix);
      await store.close();
    }
  });
});

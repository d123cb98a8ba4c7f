import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AggregateDef } from '../../src/rules/types.js';
import { read } from '../../src/state/aggregate-state.js';
import { decodeAggState, distinctHash, readPacked, seenId } from '../../src/state/redis/codec.js';

describe('Redis codec — ids stored before an upgrade still match', () => {
  it('seen ids and distinct keys are the SHA-1 prefixes they always were (dedupe across versions)', () => {
    for (const id of ['e-1', 'a much longer event id with spaces and ünïcode', '']) {
      expect(seenId(id)).toBe(createHash('sha1').update(id).digest('base64url').slice(0, 10));
    }
    expect(distinctHash('s-1')).toBe(createHash('sha1').update('s:s-1').digest('base64url').slice(0, 8));
    expect(distinctHash(1)).not.toBe(distinctHash('1'));
  });
});

describe('Redis codec — a household member’s packed buckets', () => {
  const DAY = 86_400_000;
  const def = (fn: 'sum' | 'max' | 'avg'): AggregateDef => ({
    name: `x_${fn}`,
    events: ['purchase'],
    fn,
    field: ['data', 'amount'],
    windowMs: 3 * DAY,
    bucketMs: DAY,
    where: null,
    maxDistinct: 0,
    storageKey: `k_${fn}`,
  });
  const fields = {
    sum: '20010;20000=1.5,3=2.25,4=0.1,3=0.2',
    max: '20010;20000=1.5,3=2.25,4=0.1,3=0.2',
    avg: '20010;20000=1.5/2,3=2.25/3,4=0.1/1,3=0.2/4',
  } as const;

  it('decode to the buckets in ascending order, and read as the packed field reads, to the last bit', () => {
    for (const fn of ['sum', 'max', 'avg'] as const) {
      const st = decodeAggState(def(fn), fields[fn]);
      expect(st.kind === 'num' || st.kind === 'avg' ? [...st.buckets.entries()].map((e) => e[0]) : []).toEqual([
        20000, 20003, 20007, 20010,
      ]);
      for (let day = 20000; day <= 20014; day++) {
        const now = day * DAY + 3_600_000;
        expect(read(def(fn), st, now)).toBe(readPacked(def(fn), fields[fn], now));
      }
    }
    expect(read(def('sum'), decodeAggState(def('sum'), fields.sum), 20010 * DAY)).toBe(0.1 + 0.2);
  });
});

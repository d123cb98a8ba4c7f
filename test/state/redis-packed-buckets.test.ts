import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

// The packed-bucket folds of the apply script, run in Redis's own Lua: the paths that
// change only part of the field (a newer bucket, the newest, an older one inside the
// window) against the reference that parses and re-encodes the whole field.
const INCLUDES = join(dirname(fileURLToPath(import.meta.url)), '../../src/state/redis/scripts/includes');
const SCRIPT = `${readFileSync(join(INCLUDES, 'format.lua'), 'utf8')}
${readFileSync(join(INCLUDES, 'packed-buckets.lua'), 'utf8')}
local packed, fn, idx, value, first = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
if packed == '' then packed = nil end
return { nbo_fold_bucket(packed, fn, idx, value, first), nbo_fold_bucket_slow(packed, fn, tonumber(idx), value, first) }
`;

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(() => {
  redis.disconnect();
});

const fold = (packed: string, fn: string, idx: number, value: number, first: number) =>
  redis.eval(SCRIPT, 0, packed, fn, String(idx), String(value), String(first)) as Promise<[string, string]>;

/** A field as the script writes it: "last;first=v,delta=v,…". */
function encode(buckets: Array<[number, string]>): string {
  if (buckets.length === 0) return '';
  const body = buckets.map(([i, v], k) => `${k === 0 ? i : i - buckets[k - 1]![0]}=${v}`).join(',');
  return `${buckets[buckets.length - 1]![0]};${body}`;
}

const FNS = ['c', 's', 'mn', 'mx', 'a'] as const;
const bucketValue = (fn: string, n: number) =>
  fn === 'c' ? String(Math.max(1, Math.round(n))) : fn === 'a' ? `${n}/3` : String(n);

describe('packed buckets in Lua', () => {
  it('property — folding any event into any field equals the full re-encoding', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...FNS),
        fc.uniqueArray(fc.integer({ min: 1000, max: 1120 }), { maxLength: 40 }),
        fc.array(fc.double({ min: -50, max: 500, noNaN: true }), { minLength: 40, maxLength: 40 }),
        fc.integer({ min: 990, max: 1130 }), // the event's bucket: before, inside, past the field
        fc.double({ min: -50, max: 500, noNaN: true }),
        fc.integer({ min: 990, max: 1060 }), // the window's first bucket
        async (fn, idxs, vals, idx, value, first) => {
          const sorted = [...idxs].sort((a, b) => a - b);
          const field = encode(sorted.map((i, k) => [i, bucketValue(fn, Math.round(vals[k]! * 100) / 100)]));
          const v = Math.round(value * 100) / 100;
          const [fast, slow] = await fold(field, fn, idx, v, first);
          expect(fast, `${fn} ${idx} into ${field} from ${first}`).toBe(slow);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('a late event changes its bucket or adds one between its neighbours, the rest of the field as it was', async () => {
    const field = '1010;1000=5,4=7,6=1'; // buckets 1000, 1004, 1010
    expect((await fold(field, 's', 1009, 2, 990))[0]).toBe('1010;1000=5,4=7,5=2,1=1');
    expect((await fold(field, 's', 1004, 2, 990))[0]).toBe('1010;1000=5,4=9,6=1');
    expect((await fold(field, 's', 1001, 2, 990))[0]).toBe('1010;1000=5,1=2,3=7,6=1');
    expect((await fold(field, 's', 995, 2, 990))[0]).toBe('1010;995=2,5=5,4=7,6=1');
  });
});

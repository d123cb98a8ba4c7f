import fc from 'fast-check';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { AvgBuckets, combine, fold, NumBuckets, read, trim, type AggState } from '../../src/state/aggregate-state.js';
import type { AggregateDef } from '../../src/rules/types.js';

const HOUR = 3_600_000;

type Fn = 'count' | 'sum' | 'min' | 'max' | 'avg';

/** A 24-hour window of hourly buckets, or all time (one bucket). */
const def = (fn: Fn, allTime = false): AggregateDef => ({
  name: `x_${fn}`,
  events: ['purchase'],
  fn,
  field: fn === 'count' ? null : ['data', 'amount'],
  windowMs: allTime ? null : 24 * HOUR,
  bucketMs: allTime ? null : HOUR,
  where: null,
  maxDistinct: 0,
  storageKey: `k_${fn}`,
});

/**
 * The specification the buckets replaced: one number per bucket in a Map (avg: a sum and a
 * count), read by summing (or taking the extreme of) the buckets in the window in
 * ascending bucket order.
 */
class Spec {
  readonly m = new Map<number, number>();
  readonly avg = new Map<number, [number, number]>();
  constructor(private readonly d: AggregateDef) {}
  static first(d: AggregateDef, nowMs: number): number {
    return d.windowMs === null ? -Infinity : Math.floor((nowMs - d.windowMs) / HOUR);
  }
  fold(v: number, tMs: number, nowMs: number): void {
    const first = Spec.first(this.d, nowMs);
    const idx = this.d.bucketMs === null ? 0 : Math.floor(tMs / HOUR);
    if (idx < first) return;
    if (this.d.fn === 'avg') {
      const [sum, n] = this.avg.get(idx) ?? [0, 0];
      this.avg.set(idx, [sum + v, n + 1]);
      return;
    }
    const prev = this.m.get(idx);
    const fn = this.d.fn;
    this.m.set(
      idx,
      fn === 'count'
        ? (prev ?? 0) + 1
        : fn === 'sum'
          ? (prev ?? 0) + v
          : fn === 'min'
            ? Math.min(prev ?? v, v)
            : Math.max(prev ?? v, v),
    );
  }
  trim(nowMs: number): void {
    const first = Spec.first(this.d, nowMs);
    for (const idx of this.m.keys()) if (idx < first) this.m.delete(idx);
    for (const idx of this.avg.keys()) if (idx < first) this.avg.delete(idx);
  }
  /** The buckets, ascending: [index, value] (avg: [index, sum, count]). */
  rows(): number[][] {
    const rows = this.d.fn === 'avg' ? [...this.avg].map(([i, [s, n]]) => [i, s, n]) : [...this.m];
    return rows.sort((a, b) => a[0]! - b[0]!);
  }
  static read(d: AggregateDef, specs: readonly Spec[], nowMs: number): number | null {
    const first = Spec.first(d, nowMs);
    if (d.fn === 'avg') {
      let sum = 0;
      let n = 0;
      for (const s of specs)
        for (const idx of [...s.avg.keys()].sort((a, b) => a - b)) {
          if (idx < first) continue;
          sum += s.avg.get(idx)![0];
          n += s.avg.get(idx)![1];
        }
      return n === 0 ? null : sum / n;
    }
    let acc: number | null = null;
    for (const s of specs)
      for (const idx of [...s.m.keys()].sort((a, b) => a - b)) {
        if (idx < first) continue;
        const v = s.m.get(idx)!;
        acc = acc === null ? v : d.fn === 'min' ? Math.min(acc, v) : d.fn === 'max' ? Math.max(acc, v) : acc + v;
      }
    return acc ?? (d.fn === 'count' || d.fn === 'sum' ? 0 : null);
  }
}

describe('count/sum/min/max/avg buckets', () => {
  it('property — events in any order, trims and reads (one customer and a household), windowed or all-time, agree with the Map specification to the last bit', () => {
    const T0 = 1_800_000 * HOUR;
    fc.assert(
      fc.property(
        fc.constantFrom<Fn>('count', 'sum', 'min', 'max', 'avg'),
        fc.boolean(),
        fc.array(
          fc.oneof(
            {
              arbitrary: fc.record({
                member: fc.integer({ min: 0, max: 2 }),
                // up to 30 hours late, fractions that do not add up exactly in binary
                lateMs: fc.integer({ min: 0, max: 30 * HOUR }),
                v: fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constantFrom(0.1, 0.2, 0.3, 1e-9)),
              }),
              weight: 8,
            },
            { arbitrary: fc.record({ trimMember: fc.integer({ min: 0, max: 2 }) }), weight: 1 },
            { arbitrary: fc.record({ advanceMs: fc.integer({ min: 0, max: 6 * HOUR }) }), weight: 2 },
          ),
          { maxLength: 80 },
        ),
        (fn, allTime, steps) => {
          const d = def(fn, allTime);
          let now = T0;
          const states: Array<AggState | undefined> = [undefined, undefined, undefined];
          const specs = [new Spec(d), new Spec(d), new Spec(d)];
          for (const st of steps) {
            if ('advanceMs' in st) now += st.advanceMs;
            else if ('trimMember' in st) {
              const s = states[st.trimMember];
              if (s && trim(d, s, now)) states[st.trimMember] = undefined;
              specs[st.trimMember]!.trim(now);
            } else {
              const next = fold(d, states[st.member], fn === 'count' ? null : st.v, now - st.lateMs, now);
              if (next) states[st.member] = next;
              specs[st.member]!.fold(st.v, now - st.lateMs, now);
            }
            for (let k = 0; k < 3; k++) {
              expect(read(d, states[k], now)).toBe(Spec.read(d, [specs[k]!], now));
              const s = states[k];
              expect(s?.kind === 'num' || s?.kind === 'avg' ? [...s.buckets.entries()] : []).toEqual(specs[k]!.rows());
            }
            const present = states.filter((s): s is AggState => s !== undefined);
            expect(combine(d, present, now)).toBe(
              Spec.read(
                d,
                specs.filter((_, k) => states[k] !== undefined),
                now,
              ),
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('from() takes pairs in any order and keeps them ascending', () => {
    const b = NumBuckets.from([
      [5, 0.5],
      [2, 0.2],
      [9, 0.9],
    ]);
    expect([...b.entries()]).toEqual([
      [2, 0.2],
      [5, 0.5],
      [9, 0.9],
    ]);
    b.set(3, 0.3);
    b.set(9, 1.9);
    b.set(1, 0.1);
    b.set(10, 1);
    expect([...b.entries()]).toEqual([
      [1, 0.1],
      [2, 0.2],
      [3, 0.3],
      [5, 0.5],
      [9, 1.9],
      [10, 1],
    ]);
    expect(b.get(4)).toBeUndefined();
    b.dropBefore(5);
    expect([...b.entries()]).toEqual([
      [5, 0.5],
      [9, 1.9],
      [10, 1],
    ]);
    expect(b.combineFrom(9, 'sum', null)).toBe(2.9);
    expect(b.combineFrom(11, 'sum', null)).toBeNull();
  });

  it('keeps bucket values unboxed: the arrays never become generic, whatever the first value was', () => {
    // V8's own check of an array's elements kind; a generic array keeps each fractional value as a heap number
    setFlagsFromString('--allow-natives-syntax');
    const generic = new Function('a', 'return %HasObjectElements(a)') as (a: unknown) => boolean;
    const arrays = (b: NumBuckets | AvgBuckets) => Object.values(b as unknown as Record<string, number[]>);
    const sums = new NumBuckets();
    const avgs = new AvgBuckets();
    // an integral first amount (12.00), then fractional ones, in new buckets before, after and between
    for (const [i, v] of [
      [10, 12],
      [12, 0.25],
      [11, 3.5],
      [9, 7],
      [12, 1.125],
    ] as const) {
      sums.set(i, (sums.get(i) ?? 0) + v);
      avgs.add(i, v);
    }
    expect([...sums.entries()]).toEqual([
      [9, 7],
      [10, 12],
      [11, 3.5],
      [12, 1.375],
    ]);
    for (const arr of [...arrays(sums), ...arrays(avgs)]) expect(generic(arr)).toBe(false);
    const counts = NumBuckets.from([[4, 1]]);
    counts.set(6, 1);
    counts.set(5, 2);
    for (const arr of arrays(counts)) expect(generic(arr)).toBe(false);
  });

  it('avg buckets: from() in any order, added to in place, totals from a bucket on', () => {
    const b = AvgBuckets.from([
      [7, 1.5, 2],
      [3, 0.5, 1],
    ]);
    b.add(5, 2);
    b.add(7, 0.25);
    b.add(1, 4);
    expect([...b.entries()]).toEqual([
      [1, 4, 1],
      [3, 0.5, 1],
      [5, 2, 1],
      [7, 1.75, 3],
    ]);
    const acc = { sum: 0, n: 0 };
    b.totalsFrom(4, acc);
    expect(acc).toEqual({ sum: 3.75, n: 4 });
    b.dropBefore(5);
    expect(b.size).toBe(2);
  });
});

import type { ValidEvent } from '../events/types.js';
import type { AggregateDef } from '../rules/types.js';
import type { AggValue } from './types.js';

/**
 * The state of one aggregate for one customer, and the pure functions over it.
 * count/sum/min/max/avg keep one number (avg: sum and count) per time bucket;
 * `last` keeps the newest (time, value); `distinct` keeps each value's last-seen time,
 * at most `maxDistinct` of them. Memory is bounded by the window, never by event count.
 */
export type AggState =
  | { kind: 'num'; buckets: NumBuckets }
  | { kind: 'avg'; buckets: AvgBuckets }
  | { kind: 'last'; t: number; v: AggValue }
  | { kind: 'distinct'; seen: Map<string, number> };

/**
 * A count/sum/min/max aggregate's buckets, ascending by index: the indexes and the values
 * side by side in two arrays of exactly their length (small integers and unboxed doubles):
 * about 160 bytes for one bucket and 770 for 39, where a Map took 200 bytes and 2.5 KB —
 * its hash table sized for 64 entries and every fractional sum a heap number of its own.
 * The in-process store keeps several per customer, and a young-generation collection's
 * time grows with the old generation the store fills (bench/README.md, seventh pass). A
 * new bucket copies the arrays (push would reserve room for 16 more): buckets are added
 * once per bucket period, not per event. Reads sum in ascending order, as the Redis
 * store's packed fields do, so both stores give the same doubles.
 */
export class NumBuckets {
  private idx: number[] = NONE;
  private val: number[] = NONE;

  /** From (index, value) pairs in any order, one per index. */
  static from(pairs: Iterable<readonly [number, number]>): NumBuckets {
    const b = new NumBuckets();
    const sorted = [...pairs].sort((x, y) => x[0] - y[0]);
    b.idx = sorted.map((p) => p[0]);
    b.val = sorted.map((p) => p[1]);
    return b;
  }

  get size(): number {
    return this.idx.length;
  }

  get(i: number): number | undefined {
    const k = position(this.idx, i);
    return k >= 0 ? this.val[k] : undefined;
  }

  set(i: number, v: number): void {
    const k = position(this.idx, i);
    if (k >= 0) {
      this.val[k] = v;
    } else {
      this.idx = inserted(this.idx, -k - 1, i);
      this.val = inserted(this.val, -k - 1, v);
    }
  }

  /** Drops the buckets before `first`. */
  dropBefore(first: number): void {
    const k = countBefore(this.idx, first);
    if (k === 0) return;
    this.idx.splice(0, k);
    this.val.splice(0, k);
  }

  /** The buckets at or after `first`, folded in ascending order; null when there are none. */
  combineFrom(first: number, fn: 'count' | 'sum' | 'min' | 'max', acc: number | null): number | null {
    const idx = this.idx;
    const val = this.val;
    for (let k = countBefore(idx, first); k < idx.length; k++) {
      const v = val[k]!;
      acc = acc === null ? v : fn === 'min' ? Math.min(acc, v) : fn === 'max' ? Math.max(acc, v) : acc + v;
    }
    return acc;
  }

  /** (index, value) pairs, ascending. */
  *entries(): IterableIterator<[number, number]> {
    for (let k = 0; k < this.idx.length; k++) yield [this.idx[k]!, this.val[k]!];
  }
}

/** Where bucket `i` is in the ascending `idx`, or where it would go (as `-(position) - 1`); searched from the newest end, where events land. */
function position(idx: readonly number[], i: number): number {
  let k = idx.length - 1;
  while (k >= 0 && idx[k]! > i) k--;
  return k >= 0 && idx[k] === i ? k : -(k + 1) - 1;
}

/**
 * The arrays of a state with no buckets, shared (an empty array of its own is about 30
 * bytes). Never written: a bucket is added by {@link inserted}'s copy, and only an
 * existing bucket's value is written in place.
 */
const NONE: number[] = [];

/**
 * A copy of `arr`, exactly one longer, with `v` at `at`. Written element by element into
 * an array of that length: it holds small integers, and unboxed doubles from the first
 * fractional value on. `concat` with a number argument returns a generic array instead, in
 * which every fractional value written later is a heap number of its own (16 bytes, and
 * one more object for every full collection to mark: 36 per customer on the un-prunable
 * catalog's history).
 */
function inserted(arr: readonly number[], at: number, v: number): number[] {
  const out = new Array<number>(arr.length + 1);
  for (let k = 0; k < at; k++) out[k] = arr[k]!;
  out[at] = v;
  for (let k = at; k < arr.length; k++) out[k + 1] = arr[k]!;
  return out;
}

/** How many of the ascending `idx` are before `first`. */
function countBefore(idx: readonly number[], first: number): number {
  let k = 0;
  while (k < idx.length && idx[k]! < first) k++;
  return k;
}

/** An avg aggregate's buckets, ascending by index: each bucket's sum and count beside its index, as {@link NumBuckets} keeps one value. */
export class AvgBuckets {
  private idx: number[] = NONE;
  private sums: number[] = NONE;
  private counts: number[] = NONE;

  /** From (index, sum, count) in any order, one per index. */
  static from(rows: Iterable<readonly [number, number, number]>): AvgBuckets {
    const b = new AvgBuckets();
    const sorted = [...rows].sort((x, y) => x[0] - y[0]);
    b.idx = sorted.map((r) => r[0]);
    b.sums = sorted.map((r) => r[1]);
    b.counts = sorted.map((r) => r[2]);
    return b;
  }

  get size(): number {
    return this.idx.length;
  }

  /** Counts `v` into bucket `i`. */
  add(i: number, v: number): void {
    const k = position(this.idx, i);
    if (k >= 0) {
      this.sums[k] = this.sums[k]! + v;
      this.counts[k] = this.counts[k]! + 1;
      return;
    }
    this.idx = inserted(this.idx, -k - 1, i);
    this.sums = inserted(this.sums, -k - 1, 0 + v);
    this.counts = inserted(this.counts, -k - 1, 1);
  }

  /** Drops the buckets before `first`. */
  dropBefore(first: number): void {
    const k = countBefore(this.idx, first);
    if (k === 0) return;
    this.idx.splice(0, k);
    this.sums.splice(0, k);
    this.counts.splice(0, k);
  }

  /** Adds the sums and counts of the buckets at or after `first`, in ascending order, to `acc`. */
  totalsFrom(first: number, acc: { sum: number; n: number }): void {
    for (let k = countBefore(this.idx, first); k < this.idx.length; k++) {
      acc.sum += this.sums[k]!;
      acc.n += this.counts[k]!;
    }
  }

  /** (index, sum, count), ascending. */
  *entries(): IterableIterator<[number, number, number]> {
    for (let k = 0; k < this.idx.length; k++) yield [this.idx[k]!, this.sums[k]!, this.counts[k]!];
  }
}

/** The bucket an event time falls in (0 for all-time aggregates). */
export function bucketIndex(def: AggregateDef, tMs: number): number {
  return def.bucketMs === null ? 0 : Math.floor(tMs / def.bucketMs);
}

/** The oldest bucket a window read at `nowMs` includes. */
export function firstBucket(def: AggregateDef, nowMs: number): number {
  return def.bucketMs === null || def.windowMs === null ? -Infinity : Math.floor((nowMs - def.windowMs) / def.bucketMs);
}

/** Start time of the oldest included bucket: events from then on count. */
export function windowStartMs(def: AggregateDef, nowMs: number): number {
  return def.bucketMs === null ? -Infinity : firstBucket(def, nowMs) * def.bucketMs;
}

/** The value an aggregate takes from an event, or undefined when the event does not count. */
export function eventValue(def: AggregateDef, ev: ValidEvent, nowMs: number): AggValue | undefined {
  if (def.where !== null) {
    let pass: boolean;
    try {
      pass = def.where(ev, { nowMs });
    } catch {
      return undefined;
    }
    if (!pass) return undefined;
  }
  if (def.field === null) return null;
  let cur: unknown = ev;
  for (const seg of def.field) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  // count with a field counts the events that carry it
  if (def.fn === 'count') return cur === undefined || cur === null ? undefined : null;
  if (def.fn === 'last')
    return cur === undefined || (typeof cur === 'object' && cur !== null) ? undefined : (cur as AggValue);
  if (def.fn === 'distinct')
    return typeof cur === 'string' || typeof cur === 'number' || typeof cur === 'boolean' ? cur : undefined;
  return typeof cur === 'number' && Number.isFinite(cur) ? cur : undefined;
}

/**
 * Folds one event (its value and time) into the state. Returns the new state, or
 * null when the event is older than the window and changes nothing.
 */
export function fold(
  def: AggregateDef,
  st: AggState | undefined,
  value: AggValue,
  tMs: number,
  nowMs: number,
): AggState | null {
  if (tMs < windowStartMs(def, nowMs)) return null;
  const idx = bucketIndex(def, tMs);
  switch (def.fn) {
    case 'count':
    case 'sum':
    case 'min':
    case 'max': {
      const s = st?.kind === 'num' ? st : { kind: 'num' as const, buckets: new NumBuckets() };
      const prev = s.buckets.get(idx);
      const v = value as number;
      const next =
        def.fn === 'count'
          ? (prev ?? 0) + 1
          : def.fn === 'sum'
            ? (prev ?? 0) + v
            : def.fn === 'min'
              ? Math.min(prev ?? v, v)
              : Math.max(prev ?? v, v);
      s.buckets.set(idx, next);
      return s;
    }
    case 'avg': {
      const s = st?.kind === 'avg' ? st : { kind: 'avg' as const, buckets: new AvgBuckets() };
      s.buckets.add(idx, value as number);
      return s;
    }
    case 'last':
      // the newest event time wins; on a tie, the one applied later
      if (st?.kind === 'last' && st.t > tMs) return st;
      return { kind: 'last', t: tMs, v: value };
    case 'distinct': {
      const s = st?.kind === 'distinct' ? st : { kind: 'distinct' as const, seen: new Map<string, number>() };
      const key = distinctKey(value);
      s.seen.set(key, Math.max(s.seen.get(key) ?? -Infinity, tMs));
      if (s.seen.size > def.maxDistinct) {
        let oldestKey: string | null = null;
        let oldest = Infinity;
        for (const [k, t] of s.seen) if (t < oldest) [oldest, oldestKey] = [t, k];
        if (oldestKey !== null) s.seen.delete(oldestKey);
      }
      return s;
    }
  }
}

/** How a distinct value is remembered: its type and text, so 1 and "1" stay apart. */
export function distinctKey(v: AggValue): string {
  return `${typeof v === 'string' ? 's' : typeof v === 'number' ? 'n' : 'b'}:${String(v)}`;
}

/** Drops what has left the window; true when nothing is left. */
export function trim(def: AggregateDef, st: AggState, nowMs: number): boolean {
  if (def.windowMs === null) return false;
  const first = firstBucket(def, nowMs);
  const start = windowStartMs(def, nowMs);
  switch (st.kind) {
    case 'num':
    case 'avg':
      st.buckets.dropBefore(first);
      return st.buckets.size === 0;
    case 'last':
      return st.t < start;
    case 'distinct':
      for (const [k, t] of st.seen) if (t < start) st.seen.delete(k);
      return st.seen.size === 0;
  }
}

/** The value of an aggregate read at `nowMs`: count/sum 0 and the others null when empty. */
export function read(def: AggregateDef, st: AggState | undefined, nowMs: number): AggValue {
  return combine(def, st ? [st] : [], nowMs);
}

/**
 * Combines the states of several customers (a household): count and sum add up, min
 * and max take the extreme, avg divides total sum by total count, last takes the
 * newest, distinct counts the union.
 */
export function combine(def: AggregateDef, states: readonly AggState[], nowMs: number): AggValue {
  const first = firstBucket(def, nowMs);
  const start = windowStartMs(def, nowMs);
  switch (def.fn) {
    case 'count':
    case 'sum':
    case 'min':
    case 'max': {
      // each member's buckets in ascending order: floating-point sums identical across stores
      let acc: number | null = null;
      for (const st of states) if (st.kind === 'num') acc = st.buckets.combineFrom(first, def.fn, acc);
      return acc ?? (def.fn === 'count' || def.fn === 'sum' ? 0 : null);
    }
    case 'avg': {
      // each member's buckets in ascending order, as the Redis store adds them
      const acc = { sum: 0, n: 0 };
      for (const st of states) if (st.kind === 'avg') st.buckets.totalsFrom(first, acc);
      return acc.n === 0 ? null : acc.sum / acc.n;
    }
    case 'last': {
      let best: { t: number; v: AggValue } | null = null;
      for (const st of states) if (st.kind === 'last' && st.t >= start && (best === null || st.t > best.t)) best = st;
      return best === null ? null : best.v;
    }
    case 'distinct': {
      const union = new Set<string>();
      for (const st of states) if (st.kind === 'distinct') for (const [k, t] of st.seen) if (t >= start) union.add(k);
      return union.size;
    }
  }
}

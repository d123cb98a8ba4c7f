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
  | { kind: 'num'; buckets: Map<number, number> }
  | { kind: 'avg'; buckets: Map<number, [sum: number, count: number]> }
  | { kind: 'last'; t: number; v: AggValue }
  | { kind: 'distinct'; seen: Map<string, number> };

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
      const s = st?.kind === 'num' ? st : { kind: 'num' as const, buckets: new Map<number, number>() };
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
      const s = st?.kind === 'avg' ? st : { kind: 'avg' as const, buckets: new Map<number, [number, number]>() };
      const prev = s.buckets.get(idx) ?? [0, 0];
      s.buckets.set(idx, [prev[0] + (value as number), prev[1] + 1]);
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
      for (const idx of st.buckets.keys()) if (idx < first) st.buckets.delete(idx);
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
 * One customer's buckets at or after `first`, combined in ascending bucket order without
 * sorting, when the map already holds them in that order (events mostly arrive in time
 * order, and a Map iterates in insertion order); undefined when it does not. Null: none.
 */
function ascendingSum(
  fn: 'count' | 'sum' | 'min' | 'max',
  buckets: Map<number, number>,
  first: number,
): number | null | undefined {
  let acc: number | null = null;
  let prev = -Infinity;
  for (const [idx, v] of buckets) {
    if (idx < prev) return undefined;
    prev = idx;
    if (idx < first) continue;
    acc = acc === null ? v : fn === 'min' ? Math.min(acc, v) : fn === 'max' ? Math.max(acc, v) : acc + v;
  }
  return acc;
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
      let acc: number | null = null;
      if (states.length === 1 && states[0]!.kind === 'num') {
        const ordered = ascendingSum(def.fn, states[0]!.buckets, first);
        if (ordered !== undefined) return ordered ?? (def.fn === 'count' || def.fn === 'sum' ? 0 : null);
      }
      // sorted bucket order keeps floating-point sums identical across stores
      for (const st of states) {
        if (st.kind !== 'num') continue;
        for (const idx of [...st.buckets.keys()].sort((a, b) => a - b)) {
          if (idx < first) continue;
          const v = st.buckets.get(idx)!;
          acc = acc === null ? v : def.fn === 'min' ? Math.min(acc, v) : def.fn === 'max' ? Math.max(acc, v) : acc + v;
        }
      }
      return acc ?? (def.fn === 'count' || def.fn === 'sum' ? 0 : null);
    }
    case 'avg': {
      let sum = 0;
      let n = 0;
      for (const st of states) {
        if (st.kind !== 'avg') continue;
        for (const idx of [...st.buckets.keys()].sort((a, b) => a - b)) {
          if (idx < first) continue;
          const [s, c] = st.buckets.get(idx)!;
          sum += s;
          n += c;
        }
      }
      return n === 0 ? null : sum / n;
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

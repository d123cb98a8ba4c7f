import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';
import { OUTCOMES, type Outcome, type ValidEvent } from '../../events/types.js';
import type { AggregateDef } from '../../rules/types.js';
import {
  bucketIndex,
  distinctKey,
  firstBucket,
  eventValue,
  NumBuckets,
  AvgBuckets,
  windowStartMs,
  type AggState,
} from '../aggregate-state.js';
import { emptyHistory, setRecent } from '../offer-history.js';
import type { AggValue, OfferHistory, StateModel } from '../types.js';
import { FIELD } from './keys.js';
import { bucketOp, distinctOp, householdOp, lastOp, profileOp, responseOp, type Op } from './apply-protocol.js';

/** Stands for "no lower bound" in scripts (JSON has no -Infinity). */
export const NO_FLOOR = -9e15;

const FN_CODE = { count: 'c', sum: 's', min: 'mn', max: 'mx', avg: 'a' } as const;
/** Outcome → its index in offer-history.lua (1-based, in OUTCOMES order). */
export const OUTCOME_INDEX: Record<Outcome, number> = Object.fromEntries(OUTCOMES.map((o, i) => [o, i + 1])) as Record<
  Outcome,
  number
>;

/** The recent-times depth of each outcome of an offer, in offer-history.lua's order. */
export function depths(model: StateModel, offerId: string): number[] {
  return OUTCOMES.map((o) => model.recentDepth(offerId, o));
}

const floor = (n: number) => (Number.isFinite(n) ? n : NO_FLOOR);

/** An event id as a short, fixed-size member of the seen set, however long the id. */
export function seenId(id: string): string {
  // 60 bits: a collision among one customer's ids within the dedupe horizon is negligible
  return sha1(id).slice(0, 10);
}

// crypto.hash (Node ≥ 20.12): one call, no Hash object per event; the same digest as createHash
const oneShot = (crypto as { hash?: (alg: string, data: string, enc: 'base64url') => string }).hash;
const sha1 = (s: string): string =>
  oneShot ? oneShot('sha1', s, 'base64url') : createHash('sha1').update(s).digest('base64url');

/** A distinct value as a short, fixed-size key (the packed format has no escaping). */
export function distinctHash(v: AggValue): string {
  return sha1(distinctKey(v)).slice(0, 8);
}

/**
 * The ops apply-events-n.lua runs for one event (apply-protocol.ts): the rule model applied
 * here, in the same pure functions the in-process store uses, so the script stays model-free.
 */
export function eventOps(ev: ValidEvent, model: StateModel, nowMs: number): Op[] {
  const ops: Op[] = [];
  const data = ev.data ?? {};
  if (ev.type === 'profile') {
    for (const [k, v] of Object.entries(data)) ops.push(profileOp(k, ev.timeMs, v === null ? '' : JSON.stringify(v)));
  } else if (ev.type === 'household') {
    ops.push(householdOp(ev.timeMs, (data.householdId as string | null) ?? ''));
  } else if (ev.type === 'offer_response') {
    ops.push(
      responseOp(
        data.offerId as string,
        OUTCOME_INDEX[data.outcome as Outcome],
        seenId(data.decisionId as string),
        ev.timeMs,
        depths(model, data.offerId as string),
      ),
    );
  }
  for (const def of model.storageByEvent.get(ev.type) ?? []) {
    const value = eventValue(def, ev, nowMs);
    if (value === undefined || ev.timeMs < windowStartMs(def, nowMs)) continue;
    switch (def.fn) {
      case 'last':
        ops.push(lastOp(def.storageKey, ev.timeMs, JSON.stringify(value)));
        break;
      case 'distinct':
        ops.push(
          distinctOp(def.storageKey, distinctHash(value), ev.timeMs, floor(windowStartMs(def, nowMs)), def.maxDistinct),
        );
        break;
      default:
        ops.push(
          bucketOp(
            def.storageKey,
            FN_CODE[def.fn],
            String(bucketIndex(def, ev.timeMs)),
            value ?? 0,
            floor(firstBucket(def, nowMs)),
          ),
        );
    }
  }
  return ops;
}

function stamped(raw: string): { t: number; rest: string } {
  const i = raw.indexOf('|');
  return { t: Number(raw.slice(0, i)), rest: raw.slice(i + 1) };
}

function* pairs(packed: string): Generator<[string, string]> {
  if (packed === '') return;
  for (const part of packed.split(',')) {
    const i = part.indexOf('=');
    yield [part.slice(0, i), part.slice(i + 1)];
  }
}

/** Numeric buckets "last;first=v,delta=v,…" (packed-buckets.lua). */
function* buckets(packed: string): Generator<[number, string]> {
  let prev: number | null = null;
  for (const [k, v] of pairs(packed.slice(packed.indexOf(';') + 1))) {
    const idx: number = prev === null ? Number(k) : prev + Number(k);
    prev = idx;
    yield [idx, v];
  }
}

/** Sum of packed buckets at or after `firstIdx` (the totals hash's windowed counts). */
export function sumPacked(packed: string | undefined, firstIdx: number): number {
  let n = 0;
  if (packed) for (const [idx, v] of buckets(packed)) if (idx >= firstIdx) n += Number(v);
  return n;
}

/** An aggregate's stored field → the state aggregate-state.ts reads. */
export function decodeAggState(def: AggregateDef, raw: string): AggState {
  switch (def.fn) {
    case 'last': {
      const { t, rest } = stamped(raw);
      return { kind: 'last', t, v: JSON.parse(rest) as AggValue };
    }
    case 'distinct': {
      const seen = new Map<string, number>();
      for (const [k, v] of pairs(raw)) seen.set(k, Number(v));
      return { kind: 'distinct', seen };
    }
    case 'avg': {
      const out: Array<[number, number, number]> = [];
      for (const [idx, v] of buckets(raw)) {
        const [s, c] = v.split('/');
        out.push([idx, Number(s), Number(c)]);
      }
      return { kind: 'avg', buckets: AvgBuckets.from(out) };
    }
    default: {
      const out: Array<[number, number]> = [];
      for (const [idx, v] of buckets(raw)) out.push([idx, Number(v)]);
      return { kind: 'num', buckets: NumBuckets.from(out) };
    }
  }
}

interface StoredHistory {
  c: number[];
  l: number[];
  r: number[][] | Record<string, number[]>;
  lo: number;
  la: number;
  di: string;
  sg: string;
  im: string;
}

/** offer-history.lua's JSON → an OfferHistory. */
export function decodeHistory(raw: string): OfferHistory {
  const s = JSON.parse(raw) as StoredHistory;
  const h = emptyHistory();
  const recent = (i: number): number[] => {
    const r = Array.isArray(s.r) ? s.r[i] : s.r[String(i + 1)];
    return Array.isArray(r) ? r : []; // cjson writes an empty array as {}
  };
  OUTCOMES.forEach((o, i) => {
    h.counts[o] = s.c[i] ?? 0;
    if ((s.l[i] ?? 0) > 0) h.lastAt[o] = s.l[i]!;
    const r = recent(i);
    setRecent(h, o, r);
  });
  h.lastOutcome = s.lo > 0 ? OUTCOMES[s.lo - 1]! : null;
  h.lastOutcomeAt = s.lo > 0 ? s.la : null;
  h.lastDecisionId = s.di || null;
  h.segment = s.sg || null;
  h.impressedDecisionId = s.im || null;
  return h;
}

/**
 * An aggregate's value straight from its stored field, at `nowMs`, without building
 * bucket maps: the decision path's read. Buckets are stored ascending, so sums add up in
 * the same order as the in-process store's (sorted) read.
 */
export function readPacked(def: AggregateDef, raw: string | undefined, nowMs: number): AggValue {
  const empty = def.fn === 'count' || def.fn === 'sum' || def.fn === 'distinct' ? 0 : null;
  if (raw === undefined || raw === '') return empty;
  if (def.fn === 'last') {
    const { t, rest } = stamped(raw);
    return t >= windowStartMs(def, nowMs) ? (JSON.parse(rest) as AggValue) : null;
  }
  if (def.fn === 'distinct') {
    const start = windowStartMs(def, nowMs);
    let n = 0;
    for (const part of raw.split(',')) if (Number(part.slice(part.indexOf('=') + 1)) >= start) n++;
    return n;
  }
  const first = firstBucket(def, nowMs);
  const n = raw.length;
  let pos = raw.indexOf(';') + 1;
  let idx = 0;
  let acc: number | null = null;
  let count = 0;
  for (let i = 0; pos < n; i++) {
    // the index (or its distance from the previous one): an integer, read digit by digit
    let k = 0;
    const neg = raw.charCodeAt(pos) === 45; // '-'
    if (neg) pos++;
    for (let c = raw.charCodeAt(pos); c !== 61; c = raw.charCodeAt(++pos)) {
      if (!(c >= 48 && c <= 57)) throw new Error(`aggregate ${def.name}: malformed buckets`); // also past the end (NaN)
      k = k * 10 + (c - 48);
    }
    idx = i === 0 ? (neg ? -k : k) : idx + (neg ? -k : k);
    const start = pos + 1;
    let end = raw.indexOf(',', start);
    if (end < 0) end = n;
    pos = end + 1;
    if (idx < first) continue;
    if (def.fn === 'avg') {
      const slash = raw.indexOf('/', start);
      acc = (acc ?? 0) + Number(raw.slice(start, slash));
      count += Number(raw.slice(slash + 1, end));
      continue;
    }
    const v = Number(raw.slice(start, end));
    acc = acc === null ? v : def.fn === 'min' ? Math.min(acc, v) : def.fn === 'max' ? Math.max(acc, v) : acc + v;
  }
  if (def.fn === 'avg') return count === 0 ? null : acc! / count;
  return acc ?? empty;
}

/** A customer's hash as snapshot-1.lua returns it, decoded. */
export interface DecodedCustomer {
  profile: Record<string, unknown>;
  householdId: string | null;
  /** Each aggregate's stored field, in model order (undefined: nothing kept). */
  raw: Array<string | undefined>;
  offers: Record<string, OfferHistory>;
}

/** Each model's aggregate field names, built once (the decision path decodes a customer per request). */
const FIELD_NAMES = new WeakMap<StateModel, string[]>();
const fieldNames = (model: StateModel): string[] => {
  let names = FIELD_NAMES.get(model);
  if (!names) FIELD_NAMES.set(model, (names = model.aggregates.map((def) => FIELD.aggregate(def.storageKey))));
  return names;
};

/** snapshot-1.lua's reply (fields and values, flat) → what the decision path reads. */
export function decodeCustomer(flat: readonly string[], model: StateModel): DecodedCustomer {
  const out: DecodedCustomer = { profile: {}, householdId: null, raw: [], offers: {} };
  if (flat.length === 0) return out;
  const agg = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const f = flat[i]!;
    const v = flat[i + 1]!;
    const c0 = f.charCodeAt(0);
    if (c0 === 97 /* a */ && f.charCodeAt(1) === 58) agg.set(f, v);
    else if (c0 === 112 /* p */ && f.charCodeAt(1) === 58) {
      const rest = v.slice(v.indexOf('|') + 1);
      if (rest !== '') out.profile[f.slice(2)] = JSON.parse(rest);
    } else if (c0 === 111 /* o */ && f.charCodeAt(1) === 58) {
      out.offers[f.slice(2)] = decodeHistory(v);
    } else if (f === FIELD.household) {
      out.householdId = v.slice(v.indexOf('|') + 1) || null;
    }
  }
  out.raw = fieldNames(model).map((name) => agg.get(name));
  return out;
}

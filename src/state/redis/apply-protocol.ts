import { NboError } from '../../errors/codes.js';
import { checkScriptResult, scriptError } from './errors.js';

/**
 * The wire protocol of apply-events-n.lua, typed: one builder per op the script runs, the
 * call's arguments, and one decoder for what it answers. The kinds and the order of each
 * op's arguments are the script's (its header documents them); nothing here is stored, so
 * the names on this side can change freely — the letters and positions cannot.
 */

/** `depths`: how many recent times the offer keeps per outcome (offer-history.lua's order). */
export type Depths = readonly number[];

/** Profile key set (`json` '' removes it); an older `t` never wins. */
export const profileOp = (key: string, t: number, json: string) => ['p', key, t, json] as const;
/** Household link (`householdId` '' = none); an older `t` never wins. */
export const householdOp = (t: number, householdId: string) => ['h', t, householdId] as const;
/** Folds `value` into packed bucket `idx` (as text) of `fn` ('c', 's', 'mn', 'mx', 'a'), dropping buckets before `firstIdx`. */
export const bucketOp = (field: string, fn: string, idx: string, value: unknown, firstIdx: number) =>
  ['b', field, fn, idx, value, firstIdx] as const;
/** `last`: keeps the value of the newest `t`. */
export const lastOp = (field: string, t: number, json: string) => ['l', field, t, json] as const;
/** `distinct`: `key` last seen at `t`; entries before `start` dropped, at most `max` kept. */
export const distinctOp = (field: string, key: string, t: number, start: number, max: number) =>
  ['d', field, key, t, start, max] as const;
/** An offer response (`outcome`: OUTCOME_INDEX); counts only for a decision issued to the customer with that offer. */
export const responseOp = (offerId: string, outcome: number, decisionKey: string, t: number, depths: Depths) =>
  ['r', offerId, outcome, decisionKey, t, depths] as const;

export type Op = ReturnType<
  typeof profileOp | typeof householdOp | typeof bucketOp | typeof lastOp | typeof distinctOp | typeof responseOp
>;

/** One event on the wire: its dedupe key ('' = none) and its ops, flat. */
export type WireEvent = unknown[];

/** An event's entry in a batch: `[eventKey, ...op, ...op]` (flat: fewer tables for cjson to build). */
export function wireEvent(eventKey: string, ops: readonly Op[]): WireEvent {
  const out: unknown[] = [eventKey];
  for (const op of ops) for (const a of op) out.push(a);
  return out;
}

/** The script's fixed arguments besides the batches. */
export interface ApplySettings {
  nowMs: number;
  horizonMs: number;
  stateTtlMs: number;
  decisionTtlMs: number;
}

/** nbo_apply_events's arguments: key count, the keys, then ARGV in the script's order. */
export function applyArgs(
  stateKeys: readonly string[],
  batches: ReadonlyArray<readonly WireEvent[]>,
  s: ApplySettings,
): [number, ...Array<string | number>] {
  return [stateKeys.length, ...stateKeys, s.nowMs, s.horizonMs, s.stateTtlMs, JSON.stringify(batches), s.decisionTtlMs];
}

/** What a counted offer response reports, for the shared counters. */
export interface ResponseCounts {
  offerId: string;
  impressions: number;
  accepted: number;
  /** '' = none */
  segment: string;
  /** '' = the default policy */
  policy: string;
  /** feature buckets, base 36 joined with '.' ('' = none) */
  features: string;
}

export type EventResult =
  | {
      status: 'applied' | 'duplicate';
      /** The customer's current household link when the event carried one (also for a duplicate); null for none or no link. */
      household: string | null;
      /** Present when the event was a response the script took. */
      response: ResponseCounts | null;
    }
  | { status: 'refused'; reason: 'unknown-decision' | 'offer-mismatch' };

const bad = (what: string) => new NboError('NBO_ERR_STORE_DATA', `apply-events: unexpected result: ${what}`);

function decodeEvent(raw: unknown): EventResult {
  if (!Array.isArray(raw) || typeof raw[0] !== 'number') throw bad(JSON.stringify(raw));
  const [status, ...extras] = raw as [number, ...unknown[]];
  if (status === 2) return { status: 'refused', reason: extras[0] === 2 ? 'offer-mismatch' : 'unknown-decision' };
  if (status !== 0 && status !== 1) throw bad(`status ${status}`);
  let household: string | null = null;
  let response: ResponseCounts | null = null;
  for (const x of extras as unknown[][]) {
    if (x[0] === 'h') household = (x[1] as string) || null;
    else if (x[0] === 'r') {
      const [, offerId, impressions, accepted, segment, policy, features] = x as [
        string,
        string,
        number,
        number,
        string,
        string,
        string,
      ];
      response = { offerId, impressions, accepted, segment, policy, features };
    }
  }
  return { status: status === 1 ? 'applied' : 'duplicate', household, response };
}

/**
 * The script's answer decoded: per customer (in KEYS order) its events' results, or an
 * error for a customer whose stored state cannot be read. A negative answer as a whole
 * (the call refused) throws NBO_ERR_STORE_DATA.
 */
export function decodeApplyResult(
  res: string | number,
  customerIds: readonly string[],
): Array<EventResult[] | NboError> {
  const out = JSON.parse(checkScriptResult<string>(res, 'apply-events')) as unknown[];
  if (!Array.isArray(out) || out.length !== customerIds.length)
    throw bad(`${Array.isArray(out) ? out.length : typeof out} entries for ${customerIds.length} customers`);
  return out.map((r, i) => {
    if (typeof r === 'number') return scriptError(r, 'apply-events', `customer ${customerIds[i]!}`);
    // cjson encodes an empty table as {}: a customer with an empty batch
    if (!Array.isArray(r)) return [];
    return r.map(decodeEvent);
  });
}

import { NboError } from '../../errors/codes.js';
import { combine } from '../aggregate-state.js';
import type { AggValue, CustomerSnapshot } from '../types.js';
import { decodeAggState, decodeCustomer, readPacked, type DecodedCustomer } from './codec.js';
import { call, type StoreContext } from './context.js';
import { FIELD } from './keys.js';

const undecodable = (customerId: string, err: unknown) =>
  new NboError(
    'NBO_ERR_STORE_DATA',
    `customer ${customerId}: stored state cannot be decoded: ${(err as Error).message}`,
    { cause: err },
  );

/**
 * The fields every decision reads: profile (`p:`), aggregates (`a:`) and the household link
 * (`h`), matched by Redis itself. The seen ids (`s`) and issued decisions (`d`) never leave
 * Redis; the offer histories (`o:`) only those asked for.
 */
export const DECISION_FIELDS_MATCH = '[pah]*';
/** HSCAN's COUNT: a customer's hash holds far fewer fields, so one call returns them all. */
const SCAN_COUNT = 10_000;

/** The hash fields of a list of offer histories, built once per list (a rule set's `historyOffers`). */
const HISTORY_FIELDS = new WeakMap<readonly string[], string[]>();
function historyFields(histories: readonly string[]): string[] {
  let fields = HISTORY_FIELDS.get(histories);
  if (!fields) HISTORY_FIELDS.set(histories, (fields = histories.map((id) => FIELD.offer(id))));
  return fields;
}

/**
 * A decision's read: one HSCAN with MATCH (Redis filters the fields) and, when offer
 * histories are asked for, one HMGET of exactly those — sent together in one write, one
 * round trip. On a 37-field customer hash that is 5.7 µs of Redis time against 17.5 µs for
 * the snapshot script, which moves every field into Lua and back. The two commands are not
 * one atomic read: an event applied between them is seen by the second only, as if the
 * decision had come a moment later. Null when the scan did not finish in one call (a hash of
 * more than about 10,000 fields): then the script reads.
 */
async function scanDecisionFields(
  ctx: StoreContext,
  key: string,
  histories: readonly string[],
): Promise<string[] | null> {
  const { client } = ctx;
  const [[cursor, flat], values] = await Promise.all([
    call(client.hscan(key, '0', 'MATCH', DECISION_FIELDS_MATCH, 'COUNT', SCAN_COUNT)),
    histories.length === 0 ? [] : call(client.hmget(key, ...historyFields(histories))),
  ]);
  if (cursor !== '0') return null;
  const fields = values.length > 0 ? historyFields(histories) : [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== null && v !== undefined) flat.push(fields[i]!, v);
  }
  return flat;
}

/** A customer's stored state in one round trip (only the offer histories asked for, when given; all without). */
async function readCustomer(
  ctx: StoreContext,
  customerId: string,
  histories?: readonly string[],
): Promise<DecodedCustomer> {
  const { client, keys } = ctx;
  const key = keys.customer(customerId);
  const scanned = histories ? await scanDecisionFields(ctx, key, histories) : null;
  const raw =
    scanned ?? (await call(histories ? client.nbo_snapshot(key, '+', ...histories) : client.nbo_snapshot(key)));
  try {
    return decodeCustomer(raw, ctx.model());
  } catch (err) {
    throw undecodable(customerId, err);
  }
}

/** A household's aggregates: every member's buckets decoded and combined. */
function combineMembers(ctx: StoreContext, members: DecodedCustomer[], nowMs: number): Record<string, AggValue> {
  const out: Record<string, AggValue> = {};
  ctx.model().aggregates.forEach((def, i) => {
    const states = members.flatMap((m) => (m.raw[i] === undefined ? [] : [decodeAggState(def, m.raw[i]!)]));
    out[def.name] = combine(def, states, nowMs);
  });
  return out;
}

/** One customer's aggregates, read straight from the stored fields. */
function ownAggs(ctx: StoreContext, me: DecodedCustomer, nowMs: number): Record<string, AggValue> {
  const out: Record<string, AggValue> = {};
  ctx.model().aggregates.forEach((def, i) => {
    out[def.name] = readPacked(def, me.raw[i], nowMs);
  });
  return out;
}

/**
 * The Redis store's snapshot: one script call for the customer; for a household member,
 * the members (one SMEMBERS, then their hashes) combined at read time.
 */
export async function snapshot(
  ctx: StoreContext,
  customerId: string,
  nowMs: number,
  histories?: readonly string[],
): Promise<CustomerSnapshot> {
  const { client, keys } = ctx;
  const me = await readCustomer(ctx, customerId, histories);
  let household: CustomerSnapshot['household'] = null;
  if (me.householdId !== null) {
    const hid = me.householdId;
    const memberIds = (await call(client.smembers(keys.household(hid)))).filter((m) => m !== customerId);
    const others = await Promise.all(memberIds.map((m) => readCustomer(ctx, m, [])));
    // a member that has moved on still listed is skipped, and dropped from the set
    const current = others.filter((o, i) => {
      if (o.householdId === hid) return true;
      client.srem(keys.household(hid), memberIds[i]!).catch(ctx.onBackgroundError);
      return false;
    });
    household = { id: hid, agg: combineMembers(ctx, [me, ...current], nowMs) };
  }
  let agg: Record<string, AggValue>;
  try {
    agg = ownAggs(ctx, me, nowMs);
  } catch (err) {
    throw undecodable(customerId, err);
  }
  return { customerId, profile: me.profile, agg, household, offers: me.offers };
}

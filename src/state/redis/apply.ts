import type { ValidEvent } from '../../events/types.js';
import { NboError } from '../../errors/codes.js';
import { DEFAULT_POLICY } from '../learning-counts.js';
import { unstorable } from '../storable.js';
import type { ApplyResult, ApplyStatus, StoreRejection } from '../types.js';
import { MAX_DECISIONS_KEPT } from '../types.js';
import { applyCustomers, groupsOf, type CustomerBatch } from './apply-call.js';
import { wireEvent, type EventResult, type WireEvent } from './apply-protocol.js';
import { eventOps, seenId } from './codec.js';
import type { StoreContext } from './context.js';
import { outcomeKey, updateSharedCounters, type OutcomeCounts, type TakenEvent } from './shared-counters.js';

/** A customer's events: their wire form and their indexes in the input. */
interface Item extends CustomerBatch {
  idx: number[];
}

/**
 * The Redis store's applyEvents: events per customer, in input order; customers grouped
 * into few script calls, written at once; then the shared counters for the whole batch.
 */
export async function applyEvents(ctx: StoreContext, events: readonly ValidEvent[]): Promise<ApplyResult> {
  const nowMs = ctx.clock();
  const model = ctx.model();
  const statuses: ApplyStatus[] = new Array(events.length);
  const rejected: StoreRejection[] = [];
  const reject = (r: StoreRejection) => {
    statuses[r.index] = 'rejected';
    rejected.push(r);
  };
  const byCustomer = new Map<string, { idx: number[]; batch: WireEvent[] }>();
  events.forEach((ev, i) => {
    const why = unstorable(ev, i);
    if (why) {
      reject(why);
      return;
    }
    let wire: WireEvent;
    try {
      wire = wireEvent(seenId(ev.id), eventOps(ev, model, nowMs));
    } catch (err) {
      reject({
        index: i,
        code: 'NBO_ERR_EVENT_INVALID',
        path: '$.data',
        message: `cannot be stored: ${(err as Error).message}`,
      });
      return;
    }
    const c = byCustomer.get(ev.customerId);
    if (c) {
      c.idx.push(i);
      c.batch.push(wire);
    } else byCustomer.set(ev.customerId, { idx: [i], batch: [wire] });
  });
  const items: Item[] = [...byCustomer].map(([customerId, c]) => ({ customerId, ...c }));
  const attributed: NonNullable<ApplyResult['attributed']> = [];
  const taken: TakenEvent[] = [];
  const outcomes: OutcomeCounts = new Map();
  const countOutcome = (offerId: string, outcome: string) => {
    const k = outcomeKey(offerId, outcome);
    outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
  };
  const rejectCustomer = (item: Item, err: NboError) => {
    for (const i of item.idx)
      reject({ index: i, code: 'NBO_ERR_STORE_DATA', path: '$.customerId', message: err.message });
  };
  /** One event's result from the script. */
  const take = (customerId: string, index: number, res: EventResult) => {
    const ev = events[index]!;
    if (res.status === 'refused') {
      // a response to a decision NBO did not issue to this customer, or naming an offer it did not return
      const d = ev.data!;
      reject({
        index,
        ...(res.reason === 'offer-mismatch'
          ? {
              code: 'NBO_ERR_RESPONSE_OFFER_MISMATCH' as const,
              path: '$.data.offerId',
              message: `decision "${String(d.decisionId)}" did not offer "${String(d.offerId)}"`,
            }
          : {
              code: 'NBO_ERR_RESPONSE_UNKNOWN_DECISION' as const,
              path: '$.data.decisionId',
              message: `decision "${String(d.decisionId)}" was not issued to this customer (or is older than 30 days, or more than ${MAX_DECISIONS_KEPT} decisions ago)`,
            }),
      });
      return;
    }
    statuses[index] = res.status;
    taken.push({ customerId, household: res.household, response: res.response });
    if (res.status !== 'applied' || ev.type !== 'offer_response') return;
    const r = res.response;
    const offerId = ev.data!.offerId as string;
    if (r)
      attributed.push({
        policy: r.policy || DEFAULT_POLICY,
        outcome: ev.data!.outcome as string,
        value: r.accepted * (ctx.model().learningOf(offerId)?.value ?? 0),
      });
    if (r?.impressions && ev.data!.outcome !== 'impression') countOutcome(offerId, 'impression');
    countOutcome(offerId, ev.data!.outcome as string);
  };
  /**
   * A group's call; when the script refuses the call as a whole (bad data, not an
   * outage), each customer again on its own, so one customer's trouble fails only its
   * own events.
   */
  const applyGroup = async (group: Item[]): Promise<void> => {
    let results: Array<EventResult[] | NboError>;
    try {
      results = await applyCustomers(ctx, group, nowMs);
    } catch (err) {
      if (!(err instanceof NboError) || err.code !== 'NBO_ERR_STORE_DATA') throw err;
      if (group.length === 1) return rejectCustomer(group[0]!, err);
      await Promise.all(group.map((item) => applyGroup([item])));
      return;
    }
    results.forEach((res, g) => {
      const item = group[g]!;
      if (res instanceof NboError) rejectCustomer(item, res);
      else
        res.forEach((r, k) => {
          take(item.customerId, item.idx[k]!, r);
        });
    });
  };
  await Promise.all(groupsOf(items, ctx.isCluster).map(applyGroup));
  await updateSharedCounters(ctx, taken, outcomes, nowMs);
  rejected.sort((a, b) => a.index - b.index);
  const applied = statuses.filter((s) => s === 'applied').length;
  return { applied, duplicates: statuses.filter((s) => s === 'duplicate').length, statuses, rejected, attributed };
}

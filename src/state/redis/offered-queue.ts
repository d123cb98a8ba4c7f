import { NboError } from '../../errors/codes.js';
import { DEFAULT_POLICY } from '../learning-counts.js';
import type { OfferedRecord } from '../types.js';
import { applyCustomers, groupsOf } from './apply-call.js';
import { decisionOp, offeredOp, wireEvent, type WireEvent } from './apply-protocol.js';
import { depths, seenId } from './codec.js';
import type { StoreContext } from './context.js';

/** A decision's record on the wire: each offer as offered, then the decision as issued; no dedupe key. */
export function offeredEvent(rec: OfferedRecord, offerDepths: (offerId: string) => readonly number[]): WireEvent {
  // compact (state.md): seconds in base 36, the default policy as '', feature buckets in base 36
  const policy = rec.policy === undefined || rec.policy === DEFAULT_POLICY ? '' : rec.policy;
  const decisionKey = seenId(rec.decisionId);
  const decision = decisionOp(
    decisionKey,
    Math.floor(rec.atMs / 1000).toString(36),
    rec.offerIds.join(','),
    policy,
    rec.segment ?? '',
    (rec.features ?? []).map((f) => f.toString(36)).join('.'),
  );
  // the offered ops name the decision by its id as given, as they always have (offer history's "di")
  return wireEvent('', [
    ...rec.offerIds.map((o) => offeredOp(o, rec.decisionId, rec.segment ?? '', rec.atMs, offerDepths(o))),
    decision,
  ]);
}

interface Waiter {
  customerId: string;
  event: WireEvent;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export interface OfferedQueue {
  /** Queues a record; settles once it is written (or refused). */
  record(rec: OfferedRecord): Promise<void>;
  /** Sends what is queued now (close: written before QUIT). */
  flush(): void;
}

/**
 * "Offered" records wait for the end of the event loop turn and go to Redis together:
 * the decisions answered in one turn cost one script call, not one each. They are
 * written before any response event that arrives later (same connection, in order).
 */
export function createOfferedQueue(ctx: StoreContext): OfferedQueue {
  let offered: Waiter[] = [];
  const flush = (): void => {
    if (offered.length === 0) return;
    const pending = offered;
    offered = [];
    const byCustomer = new Map<string, { customerId: string; batch: WireEvent[]; waiters: Waiter[] }>();
    for (const p of pending) {
      const item = byCustomer.get(p.customerId);
      if (item) {
        item.batch.push(p.event);
        item.waiters.push(p);
      } else byCustomer.set(p.customerId, { customerId: p.customerId, batch: [p.event], waiters: [p] });
    }
    const nowMs = ctx.clock();
    for (const group of groupsOf([...byCustomer.values()], ctx.isCluster)) {
      applyCustomers(ctx, group, nowMs).then(
        (results) =>
          results.forEach((r, i) => {
            for (const w of group[i]!.waiters) {
              if (r instanceof NboError) w.reject(r);
              else w.resolve();
            }
          }),
        (err: unknown) => {
          for (const item of group) for (const w of item.waiters) w.reject(err);
        },
      );
    }
  };
  return {
    record(rec) {
      return new Promise<void>((resolve, reject) => {
        if (offered.length === 0) setImmediate(flush);
        const model = ctx.model();
        offered.push({
          customerId: rec.customerId,
          event: offeredEvent(rec, (o) => depths(model, o)),
          resolve,
          reject,
        });
      });
    },
    flush,
  };
}

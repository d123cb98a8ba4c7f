import { MAX_WINDOW_MS } from '../../config/duration.js';
import { DEFAULT_POLICY } from '../learning-counts.js';
import { DECISION_TTL_MS, MAX_DECISIONS_KEPT, type OfferedRecord } from '../types.js';
import { groupsOf } from './apply-call.js';
import { seenId } from './codec.js';
import { call, type StoreContext } from './context.js';
import { checkScriptResult, scriptError } from './errors.js';

interface Waiter {
  customerId: string;
  /** The record's arguments for record-offered-n.lua (from its offer count to its issued entry). */
  args: Array<string | number>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** A record's arguments for record-offered-n.lua: n, (offerId, depth)…, decisionId, segment, t, issued entry. */
export function offeredArgs(rec: OfferedRecord, offeredDepth: (offerId: string) => number): Array<string | number> {
  // the issued entry as field "d" keeps it (compact, state.md): seconds in base 36, the
  // default policy as '', feature buckets in base 36
  const policy = rec.policy === undefined || rec.policy === DEFAULT_POLICY ? '' : rec.policy;
  const entry = [
    seenId(rec.decisionId),
    Math.floor(rec.atMs / 1000).toString(36),
    rec.offerIds.join(','),
    policy,
    rec.segment ?? '',
    (rec.features ?? []).map((f) => f.toString(36)).join('.'),
  ].join('|');
  const out: Array<string | number> = [rec.offerIds.length];
  for (const o of rec.offerIds) out.push(o, offeredDepth(o));
  // the offer histories name the decision by its id as given, as they always have ("di")
  out.push(rec.decisionId, rec.segment ?? '', rec.atMs, entry);
  return out;
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
    const byCustomer = new Map<string, { customerId: string; batch: Waiter[] }>();
    for (const p of pending) {
      const item = byCustomer.get(p.customerId);
      if (item) item.batch.push(p);
      else byCustomer.set(p.customerId, { customerId: p.customerId, batch: [p] });
    }
    const nowMs = ctx.clock();
    for (const group of groupsOf([...byCustomer.values()], ctx.isCluster)) {
      const args: Array<string | number> = [
        ...group.map((g) => ctx.keys.customer(g.customerId)),
        nowMs,
        MAX_WINDOW_MS,
        DECISION_TTL_MS,
        MAX_DECISIONS_KEPT,
      ];
      for (const g of group) {
        args.push(g.batch.length);
        for (const w of g.batch) for (const a of w.args) args.push(a);
      }
      call(ctx.client.nbo_record_offered(group.length, ...args)).then(
        (res) => {
          const out = checkScriptResult(res, 'record-offered');
          group.forEach((g, i) => {
            const r = out[i];
            const err =
              r === 1 ? null : scriptError(typeof r === 'number' ? r : 0, 'record-offered', `customer ${g.customerId}`);
            for (const w of g.batch) {
              if (err) w.reject(err);
              else w.resolve();
            }
          });
        },
        (err: unknown) => {
          for (const g of group) for (const w of g.batch) w.reject(err);
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
          args: offeredArgs(rec, (o) => model.recentDepth(o, 'offered')),
          resolve,
          reject,
        });
      });
    },
    flush,
  };
}

import type { ErrorCode } from '../errors/codes.js';
import { DECISION_TTL_MS, MAX_DECISIONS_KEPT } from './types.js';

/** A decision NBO issued to a customer, kept so that responses to it can be verified and attributed. */
export interface IssuedDecision {
  offerIds: readonly string[];
  /** The policy (holdout, experiment arm, `default`) that made it. */
  policy: string;
  /** The customer's learning segment at the time. */
  segment: string | null;
  atMs: number;
  /** The context's feature buckets when the contextual model decided (learned per feature). */
  features?: readonly number[];
}

/**
 * A customer's issued decisions, oldest first, at most MAX_DECISIONS_KEPT: an array
 * searched by id rather than a Map, because every decision adds one and drops the oldest —
 * in a Map that is a hash of a fresh id, an insertion and a deletion per decision, and a
 * table rebuilt as the deletions pile up (5 % of a decision's CPU in the in-process store's
 * profile); eight entries are found faster by comparing ids.
 */
export class IssuedDecisions {
  private ids: string[] = [];
  private entries: IssuedDecision[] = [];

  get(decisionId: string): IssuedDecision | undefined {
    const i = this.ids.indexOf(decisionId);
    return i < 0 ? undefined : this.entries[i];
  }

  /** Keeps `d` as the newest (an id issued again moves to the end); the oldest go past MAX_DECISIONS_KEPT. */
  add(decisionId: string, d: IssuedDecision): void {
    const i = this.ids.indexOf(decisionId);
    if (i >= 0) {
      this.ids.splice(i, 1);
      this.entries.splice(i, 1);
    }
    if (this.ids.length >= MAX_DECISIONS_KEPT) {
      this.ids.shift();
      this.entries.shift();
    }
    this.ids.push(decisionId);
    this.entries.push(d);
  }

  /** Drops the decisions issued at or before `cutoffMs` (they are oldest first). */
  dropIssuedBy(cutoffMs: number): void {
    let k = 0;
    while (k < this.entries.length && this.entries[k]!.atMs <= cutoffMs) k++;
    if (k > 0) {
      this.ids.splice(0, k);
      this.entries.splice(0, k);
    }
  }
}

/**
 * Whether a response may count: it must name a decision issued to this customer (kept for
 * DECISION_TTL_MS, the newest MAX_DECISIONS_KEPT) that returned this offer. Anything else
 * is refused with a code, and stores nothing.
 */
export function checkResponse(
  decisions: { get(decisionId: string): IssuedDecision | undefined } | undefined,
  decisionId: string,
  offerId: string,
  nowMs: number,
): { decision: IssuedDecision } | { code: ErrorCode; path: string; message: string } {
  const d = decisions?.get(decisionId);
  if (!d || d.atMs + DECISION_TTL_MS <= nowMs) {
    return {
      code: 'NBO_ERR_RESPONSE_UNKNOWN_DECISION',
      path: '$.data.decisionId',
      message: `decision "${decisionId}" was not issued to this customer (or is older than 30 days, or more than ${MAX_DECISIONS_KEPT} decisions ago)`,
    };
  }
  if (!d.offerIds.includes(offerId)) {
    return {
      code: 'NBO_ERR_RESPONSE_OFFER_MISMATCH',
      path: '$.data.offerId',
      message: `decision "${decisionId}" did not offer "${offerId}"`,
    };
  }
  return { decision: d };
}

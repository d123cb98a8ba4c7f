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
 * A customer's issued decisions, oldest first, at most MAX_DECISIONS_KEPT: a ring of eight
 * slots searched by id, allocated at the customer's first decision and never grown. Every
 * decision adds one and drops the oldest: in a Map that was a hash of a fresh id, an
 * insertion and a deletion per decision, and a table rebuilt as the deletions piled up
 * (`recordOffered` 4.3 % of the decision loop's profile, 44 % of it those Map calls); with
 * arrays shifted and pushed, two new backing stores per decision, kept by the store (1.6 %
 * of the server's profile, and old-generation garbage).
 */
export class IssuedDecisions {
  private ids: Array<string | null> | null = null;
  private entries: Array<IssuedDecision | null> | null = null;
  /** The oldest one's slot. */
  private head = 0;
  private n = 0;

  get(decisionId: string): IssuedDecision | undefined {
    const ids = this.ids;
    if (ids === null) return undefined;
    for (let k = 0; k < this.n; k++) {
      const i = (this.head + k) % MAX_DECISIONS_KEPT;
      if (ids[i] === decisionId) return this.entries![i]!;
    }
    return undefined;
  }

  /** Keeps `d` as the newest (an id issued again moves to the end); the oldest goes past MAX_DECISIONS_KEPT. */
  add(decisionId: string, d: IssuedDecision): void {
    if (this.ids === null) {
      this.ids = new Array<string | null>(MAX_DECISIONS_KEPT).fill(null);
      this.entries = new Array<IssuedDecision | null>(MAX_DECISIONS_KEPT).fill(null);
    }
    const ids = this.ids;
    const entries = this.entries!;
    for (let k = 0; k < this.n; k++) {
      if (ids[(this.head + k) % MAX_DECISIONS_KEPT] !== decisionId) continue;
      // issued again: the newer ones move back a slot over it
      for (let j = k; j < this.n - 1; j++) {
        const to = (this.head + j) % MAX_DECISIONS_KEPT;
        const from = (to + 1) % MAX_DECISIONS_KEPT;
        ids[to] = ids[from]!;
        entries[to] = entries[from]!;
      }
      this.n--;
      break;
    }
    if (this.n === MAX_DECISIONS_KEPT) this.dropOldest();
    const i = (this.head + this.n) % MAX_DECISIONS_KEPT;
    ids[i] = decisionId;
    entries[i] = d;
    this.n++;
  }

  /** Drops the decisions issued at or before `cutoffMs` (they are oldest first). */
  dropIssuedBy(cutoffMs: number): void {
    while (this.n > 0 && this.entries![this.head]!.atMs <= cutoffMs) this.dropOldest();
  }

  private dropOldest(): void {
    this.ids![this.head] = null;
    this.entries![this.head] = null;
    this.head = (this.head + 1) % MAX_DECISIONS_KEPT;
    this.n--;
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

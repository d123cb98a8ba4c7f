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
 * Whether a response may count: it must name a decision issued to this customer (kept for
 * DECISION_TTL_MS, the newest MAX_DECISIONS_KEPT) that returned this offer. Anything else
 * is refused with a code, and stores nothing.
 */
export function checkResponse(
  decisions: ReadonlyMap<string, IssuedDecision> | undefined,
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

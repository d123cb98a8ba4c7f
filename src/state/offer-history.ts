import { OUTCOMES, type Outcome, type ResponseOutcome } from '../events/types.js';
import { MAX_WINDOW_MS } from '../config/duration.js';
import type { OfferHistory } from './types.js';

/** How deep the recent times of an outcome are kept for this offer. */
export type DepthOf = (outcome: Outcome) => number;

/**
 * The `recent` of a history that keeps no recent times — most of them: an offer keeps them
 * only for a windowed customer cap — shared and frozen, and replaced by the history's own
 * object at its first recent time ({@link setRecent}). An empty object of its own took 56
 * of an empty history's 273 bytes, and the in-process store keeps a history per customer
 * and offer ever offered.
 */
const NO_RECENT: OfferHistory['recent'] = Object.freeze({});

/** Keeps `times` (ascending) as the recent times of `outcome`; an empty list drops them. */
export function setRecent(h: OfferHistory, outcome: Outcome, times: number[]): void {
  if (times.length === 0) {
    dropRecent(h, outcome);
    return;
  }
  if (h.recent === NO_RECENT) h.recent = {};
  h.recent[outcome] = times;
}

/** Drops the recent times of `outcome`; the last one gone, the history shares the empty record again. */
function dropRecent(h: OfferHistory, outcome: Outcome): void {
  if (h.recent[outcome] === undefined) return;
  delete h.recent[outcome];
  for (const _ in h.recent) return;
  h.recent = NO_RECENT;
}

/** A history with nothing in it. */
export function emptyHistory(): OfferHistory {
  return {
    // a literal, not built from OUTCOMES: one object shape, and the decision path builds many (typed: no outcome is missed)
    counts: { offered: 0, impression: 0, accepted: 0, declined: 0, redeemed: 0 } satisfies Record<Outcome, number>,
    lastAt: {},
    recent: NO_RECENT,
    lastOutcome: null,
    lastOutcomeAt: null,
    lastDecisionId: null,
    segment: null,
    impressedDecisionId: null,
  };
}

/** A copy of recent times sharing no list with `recent` (the shared empty record when there are none). */
export function copyRecent(recent: OfferHistory['recent']): OfferHistory['recent'] {
  let copy = NO_RECENT;
  for (const o in recent) {
    if (copy === NO_RECENT) copy = {};
    copy[o as Outcome] = recent[o as Outcome]!.slice();
  }
  return copy;
}

/** A copy sharing nothing with `h` (written out by hand: one object shape for every history). */
export function cloneHistory(h: OfferHistory): OfferHistory {
  const c = h.counts;
  const recent = copyRecent(h.recent);
  return {
    counts: {
      offered: c.offered,
      impression: c.impression,
      accepted: c.accepted,
      declined: c.declined,
      redeemed: c.redeemed,
    },
    lastAt: { ...h.lastAt },
    recent,
    lastOutcome: h.lastOutcome,
    lastOutcomeAt: h.lastOutcomeAt,
    lastDecisionId: h.lastDecisionId,
    segment: h.segment,
    impressedDecisionId: h.impressedDecisionId,
  };
}

/** Counts one outcome at `tMs`: lifetime count, latest time, recent times (as deep as `depth`), last outcome. */
export function countOutcome(h: OfferHistory, outcome: Outcome, tMs: number, depth: number): void {
  h.counts[outcome] += 1;
  h.lastAt[outcome] = Math.max(h.lastAt[outcome] ?? -Infinity, tMs);
  if (depth <= 0) {
    // none kept (no windowed cap counts it): nothing to insert and cut again
    dropRecent(h, outcome);
  } else {
    const recent = h.recent[outcome] ?? [];
    // keep ascending even when events arrive out of order
    let i = recent.length;
    while (i > 0 && recent[i - 1]! > tMs) i--;
    recent.splice(i, 0, tMs);
    if (recent.length > depth) recent.splice(0, recent.length - depth);
    setRecent(h, outcome, recent);
  }
  if (h.lastOutcomeAt === null || tMs >= h.lastOutcomeAt) {
    h.lastOutcome = outcome;
    h.lastOutcomeAt = tMs;
  }
}

/** Whether {@link trimHistory} would drop anything. */
export function historyNeedsTrim(h: Pick<OfferHistory, 'recent'>, nowMs: number): boolean {
  const oldest = nowMs - MAX_WINDOW_MS;
  for (const o in h.recent) {
    const r = h.recent[o as Outcome]!;
    if (r.length === 0 || r[0]! < oldest) return true;
  }
  return false;
}

/** Drops recent times older than the longest window; true when the history holds nothing. */
export function trimHistory(h: OfferHistory, nowMs: number): void {
  const oldest = nowMs - MAX_WINDOW_MS;
  for (const o of OUTCOMES) {
    const r = h.recent[o];
    if (!r) continue;
    let k = 0;
    while (k < r.length && r[k]! < oldest) k++;
    if (k > 0) r.splice(0, k);
    if (r.length === 0) dropRecent(h, o);
  }
}

/** Records that a decision offered it. */
export function recordOffered(
  h: OfferHistory,
  decisionId: string,
  segment: string | null,
  tMs: number,
  depthOf: DepthOf,
): void {
  countOutcome(h, 'offered', tMs, depthOf('offered'));
  h.lastDecisionId = decisionId;
  h.segment = segment;
}

/** What a response adds to the offer's learning counters. */
export interface LearningDelta {
  impressions: number;
  accepted: number;
  /** The learning segment the offer was made in (from the history), or null. */
  segment: string | null;
}

/**
 * Records a customer's response. An `accepted`, `declined` or `redeemed` answer to a
 * decision whose impression was never reported implies one: channels that never send
 * impressions still learn a propensity of at most 1.
 */
export function recordResponse(
  h: OfferHistory,
  outcome: ResponseOutcome,
  decisionId: string,
  tMs: number,
  depthOf: DepthOf,
): LearningDelta {
  let impressions = 0;
  if (h.impressedDecisionId !== decisionId) {
    h.impressedDecisionId = decisionId;
    impressions = 1;
    if (outcome !== 'impression') countOutcome(h, 'impression', tMs, depthOf('impression'));
  }
  if (outcome !== 'impression' || impressions === 1) countOutcome(h, outcome, tMs, depthOf(outcome));
  return { impressions, accepted: outcome === 'accepted' ? 1 : 0, segment: h.segment };
}

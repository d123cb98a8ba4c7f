import { OUTCOMES, type Outcome } from '../events/types.js';
import { emptyHistory, historyNeedsTrim, setRecent } from './offer-history.js';
import type { OfferHistory } from './types.js';
import { uuidOf, uuidWords } from './uuid-words.js';

/**
 * Numbers kept per offer: the count of each outcome, the latest time of each (NaN: none), the
 * last outcome (its index; -1: none) and its time (NaN: none), then the last decision that
 * offered it and the decision whose impression was counted, each as four words
 * (uuid-words.ts; NaN: none, or an id that is not a UUID, kept in `strs`).
 */
const LAST_AT = OUTCOMES.length;
const LAST_OUTCOME = 2 * OUTCOMES.length;
const LAST_OUTCOME_AT = LAST_OUTCOME + 1;
const LAST_DECISION = LAST_OUTCOME + 2;
const IMPRESSED = LAST_DECISION + 4;
const NUMS = IMPRESSED + 4;
/** Strings kept per offer: the last decision's id when it is not a UUID, the learning segment, the impressed decision's id when not a UUID. */
const STRS = 3;

/**
 * One customer's offer histories in the in-process store, flat: every offer's numbers in
 * one array of unboxed doubles and its strings in another, the row found by offer id. As
 * objects, each history was a record, its counts and latest times, and a heap number for
 * every time — about six objects per offer ever shown, 141 for a customer with 24 of them
 * (bench/README.md, ninth pass), each marked by every full collection. The table is a few
 * objects whatever the number of offers, decision ids included (as words: an id string per
 * offer, kept until a newer decision replaced it, was old-generation garbage per decision).
 *
 * Histories go in and out as {@link OfferHistory} objects, so the rules over them stay in
 * offer-history.ts: `read` builds a history the caller owns (a snapshot's, or one to
 * change), `write` stores one back. Recent times, kept only by offers with a windowed
 * customer cap, stay as lists beside the table.
 */
export class HistoryTable {
  /** offer id → its row */
  private rows = new Map<string, number>();
  private nums: number[] = [];
  private strs: Array<string | null> = [];
  /** The recent times of the offers that keep any, by offer id. */
  private recent: Map<string, OfferHistory['recent']> | null = null;

  get size(): number {
    return this.rows.size;
  }

  /** The offers with a history, in the order each was first written. */
  offerIds(): IterableIterator<string> {
    return this.rows.keys();
  }

  /** The offer's history as a new object that shares nothing with the table, or undefined when it has none. */
  read(offerId: string): OfferHistory | undefined {
    const row = this.rows.get(offerId);
    if (row === undefined) return undefined;
    const n = this.nums;
    const b = row * NUMS;
    const h = emptyHistory();
    const c = h.counts;
    c.offered = n[b]!;
    c.impression = n[b + 1]!;
    c.accepted = n[b + 2]!;
    c.declined = n[b + 3]!;
    c.redeemed = n[b + 4]!;
    for (let o = 0; o < OUTCOMES.length; o++) {
      const t = n[b + LAST_AT + o]!;
      if (!Number.isNaN(t)) h.lastAt[OUTCOMES[o]!] = t;
    }
    const last = n[b + LAST_OUTCOME]!;
    const lastAt = n[b + LAST_OUTCOME_AT]!;
    h.lastOutcome = last < 0 ? null : OUTCOMES[last]!;
    h.lastOutcomeAt = Number.isNaN(lastAt) ? null : lastAt;
    const s = row * STRS;
    h.lastDecisionId = Number.isNaN(n[b + LAST_DECISION]!) ? this.strs[s]! : uuidOf(n, b + LAST_DECISION);
    h.segment = this.strs[s + 1]!;
    h.impressedDecisionId = Number.isNaN(n[b + IMPRESSED]!) ? this.strs[s + 2]! : uuidOf(n, b + IMPRESSED);
    const recent = this.recent?.get(offerId);
    if (recent !== undefined) for (const o in recent) setRecent(h, o as Outcome, recent[o as Outcome]!.slice());
    return h;
  }

  /**
   * Stores `h` as the offer's history. Its recent lists are kept as they are, not copied: `h`
   * is the table's from then on (the store writes back what it read, and drops it), so a
   * write of an offer with a windowed cap allocates nothing the table keeps.
   */
  write(offerId: string, h: OfferHistory): void {
    let row = this.rows.get(offerId);
    if (row === undefined) {
      row = this.rows.size;
      this.rows.set(offerId, row);
      for (let k = 0; k < NUMS; k++) this.nums.push(Number.NaN);
      this.strs.push(null, null, null);
    }
    const n = this.nums;
    const b = row * NUMS;
    const c = h.counts;
    n[b] = c.offered;
    n[b + 1] = c.impression;
    n[b + 2] = c.accepted;
    n[b + 3] = c.declined;
    n[b + 4] = c.redeemed;
    for (let o = 0; o < OUTCOMES.length; o++) n[b + LAST_AT + o] = h.lastAt[OUTCOMES[o]!] ?? Number.NaN;
    n[b + LAST_OUTCOME] = h.lastOutcome === null ? -1 : OUTCOMES.indexOf(h.lastOutcome);
    n[b + LAST_OUTCOME_AT] = h.lastOutcomeAt ?? Number.NaN;
    const s = row * STRS;
    this.strs[s] = keepId(h.lastDecisionId, n, b + LAST_DECISION);
    this.strs[s + 1] = h.segment;
    this.strs[s + 2] = keepId(h.impressedDecisionId, n, b + IMPRESSED);
    let keeps = false;
    for (const _ in h.recent) {
      keeps = true;
      break;
    }
    if (keeps) (this.recent ??= new Map()).set(offerId, h.recent);
    else if (this.recent?.delete(offerId) && this.recent.size === 0) this.recent = null;
  }

  /** The offers whose recent times hold one older than the longest window at `nowMs`. */
  needingTrim(nowMs: number): string[] {
    const out: string[] = [];
    if (this.recent === null) return out;
    for (const [offerId, recent] of this.recent) if (historyNeedsTrim({ recent }, nowMs)) out.push(offerId);
    return out;
  }
}

/** Writes decision id `id` at `n[at…at+3]` as words; returns it when it must be kept as a string instead (not a UUID), else null. */
function keepId(id: string | null, n: number[], at: number): string | null {
  if (id !== null && uuidWords(id, n, at)) return null;
  n.fill(Number.NaN, at, at + 4);
  return id;
}

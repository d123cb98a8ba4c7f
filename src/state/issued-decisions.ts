import type { ErrorCode } from '../errors/codes.js';
import { DECISION_TTL_MS, MAX_DECISIONS_KEPT } from './types.js';
import { sameWords, uuidWords } from './uuid-words.js';

/** A decision NBO issued to a customer, kept so that responses to it can be verified and attributed. */
export interface IssuedDecision {
  /** Read-only: the ring hands out one frozen list per combination of offers. */
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
 * The offer lists of issued decisions, shared: one frozen list per combination of offers,
 * so that a decision stores a reference rather than a list (or a string) of its own — which
 * the store would keep until newer decisions displace it, old-generation garbage at
 * thousands of decisions a second. Bounded: past {@link MAX_SHARED_LISTS} combinations a
 * decision keeps a list of its own.
 */
const SHARED_LISTS = new Map<string, readonly string[]>();
const MAX_SHARED_LISTS = 65_536;

function sharedList(offerIds: readonly string[]): readonly string[] {
  const key = JSON.stringify(offerIds); // unambiguous whatever the ids hold
  let list = SHARED_LISTS.get(key);
  if (list === undefined) {
    list = Object.freeze([...offerIds]);
    if (SHARED_LISTS.size < MAX_SHARED_LISTS) SHARED_LISTS.set(key, list);
  }
  return list;
}

/** The words of the id looked up (uuid-words.ts), reused by every lookup. */
const QUERY: number[] = [0, 0, 0, 0];

/**
 * A customer's issued decisions, oldest first, at most MAX_DECISIONS_KEPT: a ring of eight
 * slots searched by id, allocated at the customer's first decision and never grown. Every
 * decision adds one and drops the oldest: in a Map that was a hash of a fresh id, an
 * insertion and a deletion per decision, and a table rebuilt as the deletions piled up
 * (`recordOffered` 4.3 % of the decision loop's profile, 44 % of it those Map calls); with
 * arrays shifted and pushed, two new backing stores per decision, kept by the store (1.6 %
 * of the server's profile, and old-generation garbage).
 *
 * A slot's fields sit in arrays of their own — the id as four 32-bit words and the time,
 * unboxed; the offers as a shared list — not as an object, a list, an id string and a
 * boxed time per decision, which the store kept until newer decisions displaced them: 37
 * heap objects for eight decisions, each marked by every full collection, and a decision's
 * worth of old-generation garbage for each one made (bench/README.md, ninth pass). {@link get}
 * builds an {@link IssuedDecision} from them.
 */
export class IssuedDecisions {
  /** Each slot's id as four words (uuid-words.ts); NaN when the id is not a UUID (then in `idStrs`). */
  private words: number[] | null = null;
  /** Ids that are not UUIDs, by slot; null until there is one. */
  private idStrs: Array<string | null> | null = null;
  private offers: Array<readonly string[] | null> = [];
  private policies: Array<string | null> = [];
  private segments: Array<string | null> = [];
  private atMs: number[] = [];
  /** Feature buckets by slot; null until a decision carries some. */
  private features: Array<readonly number[] | null> | null = null;
  /** The oldest one's slot. */
  private head = 0;
  private n = 0;

  get(decisionId: string): IssuedDecision | undefined {
    const i = this.slotOf(decisionId);
    if (i < 0) return undefined;
    const d: IssuedDecision = {
      offerIds: this.offers[i]!,
      policy: this.policies[i]!,
      segment: this.segments[i]!,
      atMs: this.atMs[i]!,
    };
    const features = this.features?.[i];
    if (features) d.features = features;
    return d;
  }

  /** Keeps `d` as the newest (an id issued again moves to the end); the oldest goes past MAX_DECISIONS_KEPT. */
  add(decisionId: string, d: IssuedDecision): void {
    if (this.words === null) {
      this.words = new Array<number>(4 * MAX_DECISIONS_KEPT).fill(Number.NaN);
      this.offers = new Array<readonly string[] | null>(MAX_DECISIONS_KEPT).fill(null);
      this.policies = new Array<string | null>(MAX_DECISIONS_KEPT).fill(null);
      this.segments = new Array<string | null>(MAX_DECISIONS_KEPT).fill(null);
      this.atMs = new Array<number>(MAX_DECISIONS_KEPT).fill(Number.NaN);
    }
    const k = this.slotOf(decisionId);
    if (k >= 0) {
      // issued again: the newer ones move back a slot over it
      for (let j = (k - this.head + MAX_DECISIONS_KEPT) % MAX_DECISIONS_KEPT; j < this.n - 1; j++) {
        const to = (this.head + j) % MAX_DECISIONS_KEPT;
        this.move((to + 1) % MAX_DECISIONS_KEPT, to);
      }
      this.n--;
    }
    if (this.n === MAX_DECISIONS_KEPT) this.dropOldest();
    const i = (this.head + this.n) % MAX_DECISIONS_KEPT;
    const words = this.words;
    if (uuidWords(decisionId, words, 4 * i)) {
      if (this.idStrs !== null) this.idStrs[i] = null;
    } else {
      words.fill(Number.NaN, 4 * i, 4 * i + 4);
      (this.idStrs ??= new Array<string | null>(MAX_DECISIONS_KEPT).fill(null))[i] = decisionId;
    }
    this.offers[i] = sharedList(d.offerIds);
    this.policies[i] = d.policy;
    this.segments[i] = d.segment;
    this.atMs[i] = d.atMs;
    if (d.features !== undefined || this.features !== null) {
      this.features ??= new Array<readonly number[] | null>(MAX_DECISIONS_KEPT).fill(null);
      this.features[i] = d.features ?? null;
    }
    this.n++;
  }

  /** Drops the decisions issued at or before `cutoffMs` (they are oldest first). */
  dropIssuedBy(cutoffMs: number): void {
    while (this.n > 0 && this.atMs[this.head]! <= cutoffMs) this.dropOldest();
  }

  /** The slot holding `decisionId`, or -1. */
  private slotOf(decisionId: string): number {
    const words = this.words;
    // a response missing its decision id names none (and a UUID's slot holds null in idStrs)
    if (words === null || typeof decisionId !== 'string') return -1;
    const uuid = uuidWords(decisionId, QUERY, 0);
    for (let k = 0; k < this.n; k++) {
      const i = (this.head + k) % MAX_DECISIONS_KEPT;
      if (uuid ? sameWords(words, 4 * i, QUERY, 0) : this.idStrs?.[i] === decisionId) return i;
    }
    return -1;
  }

  private move(from: number, to: number): void {
    this.words!.copyWithin(4 * to, 4 * from, 4 * from + 4);
    if (this.idStrs !== null) this.idStrs[to] = this.idStrs[from]!;
    this.offers[to] = this.offers[from]!;
    this.policies[to] = this.policies[from]!;
    this.segments[to] = this.segments[from]!;
    this.atMs[to] = this.atMs[from]!;
    if (this.features !== null) this.features[to] = this.features[from]!;
  }

  private dropOldest(): void {
    const i = this.head;
    this.words!.fill(Number.NaN, 4 * i, 4 * i + 4);
    if (this.idStrs !== null) this.idStrs[i] = null;
    this.offers[i] = null;
    this.policies[i] = null;
    this.segments[i] = null;
    if (this.features !== null) this.features[i] = null;
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

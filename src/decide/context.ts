import type { RuleRuntime } from '../jsonlogic/index.js';
import type { Segmentation } from '../rules/types.js';
import type { CustomerSnapshot } from '../state/types.js';
import { ownCopy } from '../events/json-copy.js';

/** What every offer and segment rule sees (docs/rules.md, "The decision context"). */
export interface DecisionContext {
  customer: {
    id: string;
    profile: Record<string, unknown>;
    agg: Record<string, unknown>;
    segments: Record<string, string | null>;
  };
  household: { id: string; agg: Record<string, unknown> } | null;
  event: { type: string | null; channel: string; data: Record<string, unknown> };
  context: Record<string, unknown>;
  now: { iso: string; hour: number; dow: number };
}

/** Baskets up to this many items list their categories without a Set. */
const SMALL_BASKET = 32;

/**
 * Adds `basket.categories` (the distinct item categories, in order) when a basket
 * lists items but not categories, so `{"in": ["coffee", {"var": "event.data.basket.categories"}]}`
 * reads the same whoever sent the basket. The caller's object is not changed.
 */
export function withBasketCategories(data: Record<string, unknown>): Record<string, unknown> {
  const basket = data.basket as Record<string, unknown> | undefined;
  if (!basket || typeof basket !== 'object' || !Array.isArray(basket.items) || basket.categories !== undefined)
    return data;
  const items = basket.items as Array<Record<string, unknown> | null>;
  let categories: string[];
  if (items.length <= SMALL_BASKET) {
    // a usual basket: a scan of the few categories so far costs less than building a Set
    categories = [];
    for (const item of items) {
      const c = item?.category;
      if (typeof c === 'string' && !categories.includes(c)) categories.push(c);
    }
  } else {
    // a Set, not Array.includes: linear in the items, however many distinct categories
    const seen = new Set<string>();
    for (const item of items) {
      const c = item?.category;
      if (typeof c === 'string') seen.add(c);
    }
    categories = [...seen];
  }
  // copies, then the new property: `{ ...data, basket: { ...basket, categories } }` left a hidden class
  // per decision in the old generation (json-copy.ts)
  const copy = ownCopy(data);
  const basketCopy = ownCopy(basket);
  basketCopy.categories = categories;
  copy.basket = basketCopy;
  return copy;
}

/** Builds the decision context from a snapshot, the request and the clock. */
export function buildContext(
  snap: CustomerSnapshot,
  channel: string,
  trigger: string | null,
  data: Record<string, unknown>,
  nowMs: number,
): DecisionContext {
  const enriched = withBasketCategories(data);
  return {
    customer: { id: snap.customerId, profile: snap.profile, agg: snap.agg, segments: {} },
    household: snap.household,
    event: { type: trigger, channel, data: enriched },
    context: enriched,
    now: nowOf(nowMs),
  };
}

/** The last clock reading's `now` (decisions made in the same millisecond share it: rules only read it). */
let lastNowMs = Number.NaN;
let lastNow: DecisionContext['now'] = Object.freeze({ iso: '', hour: 0, dow: 0 });
function nowOf(nowMs: number): DecisionContext['now'] {
  if (nowMs !== lastNowMs) {
    const d = new Date(nowMs);
    lastNow = Object.freeze({ iso: d.toISOString(), hour: d.getUTCHours(), dow: d.getUTCDay() });
    lastNowMs = nowMs;
  }
  return lastNow;
}

/**
 * Puts the customer in one segment of each segmentation, in file order: the first
 * whose `when` holds, or null. A rule that raises counts as false and is counted.
 */
export function assignSegments(
  ctx: DecisionContext,
  segmentations: readonly Segmentation[],
  rt: RuleRuntime,
): { errors: number } {
  let errors = 0;
  for (const s of segmentations) {
    let chosen: string | null = null;
    for (const seg of s.segments) {
      if (seg.when === null) {
        chosen = seg.id;
        break;
      }
      try {
        if (seg.when(ctx, rt)) {
          chosen = seg.id;
          break;
        }
      } catch {
        errors++;
      }
    }
    ctx.customer.segments[s.name] = chosen;
  }
  return { errors };
}

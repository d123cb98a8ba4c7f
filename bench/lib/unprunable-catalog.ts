// The catalog of issue 14: every offer on every channel and every trigger, so indexing by
// channel/trigger prunes nothing, and every eligibility an `and` of 3–6 conditions over the
// basket, the store, four aggregates, the profile and the trigger. Seeded: runs compare.
import type { ValidEvent } from '../../src/events/types.js';
import { rng } from './synthetic.js';

export const U_CHANNELS = ['pos', 'app', 'web', 'email', 'callcentre'];
export const U_TRIGGERS = ['checkout', 'claim'];
const CATEGORIES = ['coffee', 'bakery', 'grocery', 'wine', 'cheese', 'baby', 'fruit', 'pharmacy', 'pets', 'toys'];
const SEGMENTS = ['family', 'student', 'senior', 'professional'];
const TIERS = ['bronze', 'silver', 'gold', 'platinum'];
const STORES = Array.from({ length: 40 }, (_, i) => `st-${i}`);
const DAY = 86_400_000;

/** The four aggregates the offers compare: 7/30/90-day sums and a 90-day count. */
export const U_AGGREGATES = {
  spend_7d: { event: 'purchase', field: 'data.amount', fn: 'sum', window: '7d' },
  spend_30d: { event: 'purchase', field: 'data.amount', fn: 'sum', window: '30d' },
  spend_90d: { event: 'purchase', field: 'data.amount', fn: 'sum', window: '90d' },
  purchases_90d: { event: 'purchase', fn: 'count', window: '90d' },
};
const THRESHOLDS: Record<keyof typeof U_AGGREGATES, number[]> = {
  spend_7d: [10, 25, 50, 80],
  spend_30d: [40, 100, 200, 300],
  spend_90d: [100, 300, 600, 900],
  purchases_90d: [5, 10, 20, 30],
};

export const U_SEGMENTS = {
  value_tier: [
    { id: 'high', when: { '>=': [{ var: 'customer.agg.spend_90d' }, 800] } },
    { id: 'mid', when: { '>=': [{ var: 'customer.agg.spend_90d' }, 300] } },
    { id: 'low' },
  ],
};

export interface UnprunableOffer {
  id: string;
  logic: { and: unknown[] };
  /** The same rule as a JS expression over `c` (the decision context). */
  js: string;
  value: number;
}

const q = (s: string) => JSON.stringify(s);

/**
 * `n` offers, each an `and` of 3–6 of: a basket `some` (category, minimum price), the store
 * id `in` a list of 5–10 stores, one or two aggregate comparisons, a profile condition (age,
 * segment or tier) and a trigger condition. Store lists and basket conditions are drawn
 * from small pools (a chain's regions, its promoted categories), so many offers share them.
 */
export function generateUnprunable(n: number, seed = 14): UnprunableOffer[] {
  const rand = rng(seed);
  const pick = <T>(a: readonly T[]) => a[Math.floor(rand() * a.length)]!;
  const storeLists = Array.from({ length: 12 }, () => {
    const size = 5 + Math.floor(rand() * 6);
    const set = new Set<string>();
    while (set.size < size) set.add(pick(STORES));
    return [...set];
  });
  const kinds = ['some', 'store', 'agg', 'agg', 'profile', 'trigger'] as const;
  const offers: UnprunableOffer[] = [];
  for (let i = 0; i < n; i++) {
    const k = 3 + Math.floor(rand() * 4);
    const chosen = [...kinds].sort(() => rand() - 0.5).slice(0, k);
    const conds: Array<{ logic: unknown; js: string }> = [];
    for (const kind of chosen) {
      switch (kind) {
        case 'some': {
          const cat = pick(CATEGORIES);
          const min = pick([2, 5, 10]);
          conds.push({
            logic: {
              some: [
                { var: 'event.data.basket.items' },
                { and: [{ '==': [{ var: 'category' }, cat] }, { '>=': [{ var: 'price' }, min] }] },
              ],
            },
            js: `c.event.data.basket.items.some((it) => it.category == ${q(cat)} && it.price >= ${min})`,
          });
          break;
        }
        case 'store': {
          const list = pick(storeLists);
          conds.push({
            logic: { in: [{ var: 'event.data.storeId' }, list] },
            js: `${JSON.stringify(list)}.indexOf(c.event.data.storeId) !== -1`,
          });
          break;
        }
        case 'agg': {
          const agg = pick(Object.keys(U_AGGREGATES)) as keyof typeof U_AGGREGATES;
          const t = pick(THRESHOLDS[agg]);
          const op = rand() < 0.75 ? '>=' : '<';
          conds.push({ logic: { [op]: [{ var: `customer.agg.${agg}` }, t] }, js: `c.customer.agg.${agg} ${op} ${t}` });
          break;
        }
        case 'profile': {
          const r = rand();
          if (r < 0.4) {
            const age = pick([25, 30, 40, 50, 60]);
            const op = rand() < 0.5 ? '>=' : '<';
            conds.push({
              logic: { [op]: [{ var: 'customer.profile.age' }, age] },
              js: `c.customer.profile.age ${op} ${age}`,
            });
          } else if (r < 0.7) {
            const segs = [pick(SEGMENTS), pick(SEGMENTS)];
            conds.push({
              logic: { in: [{ var: 'customer.profile.segment' }, segs] },
              js: `${JSON.stringify(segs)}.indexOf(c.customer.profile.segment) !== -1`,
            });
          } else {
            const tier = pick(TIERS);
            conds.push({
              logic: { '!=': [{ var: 'customer.profile.tier' }, tier] },
              js: `c.customer.profile.tier != ${q(tier)}`,
            });
          }
          break;
        }
        case 'trigger': {
          const t = rand() < 0.8 ? 'checkout' : 'claim';
          conds.push({ logic: { '==': [{ var: 'event.type' }, t] }, js: `c.event.type == ${q(t)}` });
          break;
        }
      }
    }
    offers.push({
      id: `u-${String(i).padStart(4, '0')}`,
      logic: { and: conds.map((c) => c.logic) },
      js: conds.map((c) => `(${c.js})`).join(' && '),
      value: 1 + (i % 17),
    });
  }
  return offers;
}

/** Rules files for the catalog: every offer on every channel and both triggers. */
export function unprunableFiles(offers: UnprunableOffer[]): Array<{ file: string; text: string }> {
  return [
    { file: 'aggregates.json', text: JSON.stringify(U_AGGREGATES) },
    { file: 'segments.json', text: JSON.stringify(U_SEGMENTS) },
    {
      file: 'offers/unprunable.json',
      text: JSON.stringify(
        offers.map((o, i) => ({
          id: o.id,
          name: `Offer ${i}`,
          channels: U_CHANNELS,
          triggers: U_TRIGGERS,
          eligibility: o.logic,
          value: o.value,
        })),
      ),
    },
  ];
}

/** A decide request's context: the store and a basket of 1–12 items. */
export function unprunableContext(rand: () => number): {
  storeId: string;
  basket: { total: number; items: Array<{ sku: string; category: string; price: number; qty: number }> };
} {
  const items = Array.from({ length: 1 + Math.floor(rand() * 12) }, (_, m) => ({
    sku: `sku-${m}`,
    category: CATEGORIES[Math.floor(rand() * CATEGORIES.length)]!,
    price: Math.round(rand() * 2500) / 100,
    qty: 1 + Math.floor(rand() * 3),
  }));
  return {
    storeId: STORES[Math.floor(rand() * STORES.length)]!,
    basket: { total: Math.round(items.reduce((s, it) => s + it.price * it.qty, 0) * 100) / 100, items },
  };
}

/** `POST /v1/decide` bodies over `customers` seeded customers, every channel, both triggers, limit 2. */
export function unprunableBodies(count: number, customers: number, seed = 15): string[] {
  const rand = rng(seed);
  return Array.from({ length: count }, () =>
    JSON.stringify({
      customerId: `u-${Math.floor(rand() * customers)}`,
      channel: U_CHANNELS[Math.floor(rand() * U_CHANNELS.length)],
      trigger: rand() < 0.85 ? 'checkout' : 'claim',
      context: unprunableContext(rand),
      limit: 2,
    }),
  );
}

/** A customer's 90 days: a profile (age, segment, tier) and about three purchases a week. */
export function unprunableHistory(customerId: string, nowMs: number, rand: () => number): ValidEvent[] {
  const out: ValidEvent[] = [];
  let n = 0;
  const push = (type: string, tMs: number, data: Record<string, unknown>) =>
    out.push({ id: `${customerId}-${n++}`, type, customerId, time: new Date(tMs).toISOString(), timeMs: tMs, data });
  const start = nowMs - 90 * DAY;
  push('profile', start, {
    age: 18 + Math.floor(rand() * 60),
    segment: SEGMENTS[Math.floor(rand() * SEGMENTS.length)],
    tier: TIERS[Math.floor(rand() * TIERS.length)],
  });
  const rate = (rand() * 6) / 7; // some customers shop daily, some hardly
  for (let d = 0; d < 90; d++) {
    if (rand() < rate)
      push('purchase', start + d * DAY + Math.floor(rand() * DAY), { amount: Math.round(rand() * 6000) / 100 });
  }
  return out;
}

/** Decision contexts as a rule sees them, for evaluating the catalog in-process (rules-eval). */
export function unprunableContexts(count: number, seed = 16) {
  const rand = rng(seed);
  const now = Date.parse('2026-11-23T09:15:00Z');
  return Array.from({ length: count }, (_, k) => {
    const evs = unprunableHistory(`c-${k}`, now, rand);
    const sum = (d: number) =>
      evs
        .filter((e) => e.type === 'purchase' && e.timeMs >= now - d * DAY)
        .reduce((s, e) => s + (e.data!.amount as number), 0);
    const data = unprunableContext(rand);
    return {
      customer: {
        id: `c-${k}`,
        profile: evs[0]!.data!,
        agg: { spend_7d: sum(7), spend_30d: sum(30), spend_90d: sum(90), purchases_90d: evs.length - 1 },
        segments: {},
      },
      household: null,
      event: { type: rand() < 0.85 ? 'checkout' : 'claim', channel: U_CHANNELS[k % U_CHANNELS.length]!, data },
      context: data,
      now: { iso: '2026-11-23T09:15:00.000Z', hour: 9, dow: 1 },
    };
  });
}

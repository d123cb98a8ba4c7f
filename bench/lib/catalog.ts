import { rng } from './synthetic.js';

const CATEGORIES = ['coffee', 'bakery', 'grocery', 'wine', 'cheese', 'baby', 'fruit', 'pharmacy', 'pets', 'toys'];
const CHANNELS = ['pos', 'app', 'web', 'email', 'callcentre'];
const TIERS = ['bronze', 'silver', 'gold', 'platinum'];
const AGGS = ['spend_30d', 'spend_90d', 'visits_7d', 'purchases_365d', 'app_opens_7d'];

/** A generated offer: its json-logic, the same rule as JavaScript source, and where it applies. */
export interface GeneratedOffer {
  id: string;
  channels: string[];
  triggers: string[] | null;
  logic: unknown;
  /** A JS expression over `c` (the decision context) equivalent to `logic`. */
  js: string;
}

/**
 * A realistic catalog of `n` offers: each 2–4 conditions mixing ==, >=, <, in, some over
 * basket items, filter/reduce counts and !!, over aggregates, segments, profile and basket.
 */
export function generateCatalog(n: number, seed = 1): GeneratedOffer[] {
  const rand = rng(seed);
  const pick = <T>(a: readonly T[]) => a[Math.floor(rand() * a.length)]!;
  const offers: GeneratedOffer[] = [];
  for (let i = 0; i < n; i++) {
    const conds: Array<{ logic: unknown; js: string }> = [];
    const k = 2 + Math.floor(rand() * 3);
    for (let j = 0; j < k; j++) {
      const cat = pick(CATEGORIES);
      const agg = pick(AGGS);
      const t = Math.floor(rand() * 200);
      switch (Math.floor(rand() * 7)) {
        case 0:
          conds.push({ logic: { '>=': [{ var: `customer.agg.${agg}` }, t] }, js: `c.customer.agg.${agg} >= ${t}` });
          break;
        case 1: {
          const tier = pick(TIERS);
          conds.push({
            logic: { '==': [{ var: 'customer.segments.value_tier' }, tier] },
            js: `c.customer.segments.value_tier == ${JSON.stringify(tier)}`,
          });
          break;
        }
        case 2:
          conds.push({
            logic: { in: [cat, { var: 'event.data.basket.categories' }] },
            js: `c.event.data.basket.categories.indexOf(${JSON.stringify(cat)}) !== -1`,
          });
          break;
        case 3:
          conds.push({
            logic: { '<': [{ var: 'event.data.basket.total' }, t] },
            js: `c.event.data.basket.total < ${t}`,
          });
          break;
        case 4:
          conds.push({
            logic: {
              some: [
                { var: 'event.data.basket.items' },
                { and: [{ '==': [{ var: 'category' }, cat] }, { '>=': [{ var: 'price' }, t % 20] }] },
              ],
            },
            js: `c.event.data.basket.items.some((it) => it.category == ${JSON.stringify(cat)} && it.price >= ${t % 20})`,
          });
          break;
        case 5:
          conds.push({
            logic: {
              '>=': [
                {
                  reduce: [
                    { filter: [{ var: 'event.data.basket.items' }, { '==': [{ var: 'category' }, cat] }] },
                    { '+': [{ var: 'accumulator' }, { var: 'current.qty' }] },
                    0,
                  ],
                },
                1 + (t % 3),
              ],
            },
            js: `c.event.data.basket.items.filter((it) => it.category == ${JSON.stringify(cat)}).reduce((a, it) => a + it.qty, 0) >= ${1 + (t % 3)}`,
          });
          break;
        default:
          conds.push({
            logic: { '!!': { var: 'customer.profile.loyalty_member' } },
            js: `!!c.customer.profile.loyalty_member`,
          });
      }
    }
    const channels = [pick(CHANNELS)];
    if (rand() < 0.4) channels.push(pick(CHANNELS.filter((c) => c !== channels[0])));
    offers.push({
      id: `gen-${String(i).padStart(5, '0')}`,
      channels,
      triggers: rand() < 0.7 ? ['checkout'] : rand() < 0.5 ? ['claim'] : null,
      logic: { and: conds.map((c) => c.logic) },
      js: conds.map((c) => `(${c.js})`).join(' && '),
    });
  }
  return offers;
}

/** Aggregates the generated offers read. */
export const CATALOG_AGGREGATES = {
  spend_30d: { event: 'purchase', field: 'data.amount', fn: 'sum', window: '30d' },
  spend_90d: { event: 'purchase', field: 'data.amount', fn: 'sum', window: '90d' },
  visits_7d: { event: 'checkout', fn: 'count', window: '7d' },
  purchases_365d: { event: 'purchase', fn: 'count', window: '365d' },
  app_opens_7d: { event: 'app_open', fn: 'count', window: '7d' },
};

export const CATALOG_SEGMENTS = {
  value_tier: [
    { id: 'platinum', when: { '>=': [{ var: 'customer.agg.spend_90d' }, 1500] } },
    { id: 'gold', when: { '>=': [{ var: 'customer.agg.spend_90d' }, 500] } },
    { id: 'silver', when: { '>=': [{ var: 'customer.agg.spend_90d' }, 100] } },
    { id: 'bronze' },
  ],
};

/** Rules files for a generated catalog (for a RuleSet or a rules directory). */
export function catalogFiles(offers: GeneratedOffer[]): Array<{ file: string; text: string }> {
  return [
    { file: 'aggregates.json', text: JSON.stringify(CATALOG_AGGREGATES) },
    { file: 'segments.json', text: JSON.stringify(CATALOG_SEGMENTS) },
    {
      file: 'offers/generated.json',
      text: JSON.stringify(
        offers.map((o, i) => ({
          id: o.id,
          name: `Offer ${i}`,
          channels: o.channels,
          ...(o.triggers ? { triggers: o.triggers } : {}),
          eligibility: o.logic,
          value: 1 + (i % 17),
          fallback: false,
        })),
      ),
    },
  ];
}

/** Decision contexts rotating over customers and baskets. */
export function contexts(count: number, seed = 2) {
  const rand = rng(seed);
  return Array.from({ length: count }, () => {
    const items = Array.from({ length: 1 + Math.floor(rand() * 8) }, (_, m) => ({
      sku: `s${m}`,
      category: CATEGORIES[Math.floor(rand() * CATEGORIES.length)]!,
      price: Math.round(rand() * 2000) / 100,
      qty: 1 + Math.floor(rand() * 3),
    }));
    const spend = Math.round(rand() * 2000);
    return {
      customer: {
        id: 'c',
        profile: { loyalty_member: rand() < 0.5 },
        agg: {
          spend_30d: spend / 3,
          spend_90d: spend,
          visits_7d: Math.floor(rand() * 6),
          purchases_365d: Math.floor(rand() * 60),
          app_opens_7d: Math.floor(rand() * 9),
        },
        segments: { value_tier: TIERS[Math.floor(rand() * 4)]! },
      },
      household: null,
      event: {
        type: 'checkout',
        channel: 'pos',
        data: {
          basket: {
            total: Math.round(rand() * 15000) / 100,
            items,
            categories: [...new Set(items.map((i) => i.category))],
          },
        },
      },
      context: {},
      now: { iso: '2026-11-23T09:15:00.000Z', hour: 9, dow: 1 },
    };
  });
}

import type { NboEvent } from '../events/types.js';

const DAY = 86_400_000;
const CATEGORIES = ['coffee', 'bakery', 'grocery', 'wine', 'cheese', 'baby', 'fruit'] as const;

/** A deterministic PRNG (mulberry32), so a demo run can be repeated. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One synthetic customer: how much they spend, what they like, how keen they are on offers. */
export interface Shopper {
  id: string;
  /** Typical basket total. */
  basket: number;
  favourite: (typeof CATEGORIES)[number];
  /** Chance of accepting an offer they are shown, before their taste for the offer. */
  keenness: number;
  insured: boolean;
}

/**
 * A synthetic population for the demo: shoppers who check out at the till (pos) or in
 * the app, buy, sometimes file a claim (app, callcentre), and answer the offers NBO makes
 * with an impression, then an acceptance or a decline (and now and then a redemption).
 */
export function createPopulation(size: number, seed = 42) {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  let seq = 0;
  const id = (p: string) => `${p}-${seed}-${(seq++).toString(36)}`;
  const shoppers: Shopper[] = Array.from({ length: size }, (_, i) => ({
    id: `demo-${String(i).padStart(4, '0')}`,
    basket: Math.round((10 + rand() ** 2 * 120) * 100) / 100,
    favourite: pick(CATEGORIES),
    keenness: 0.05 + rand() * 0.5,
    insured: rand() < 0.35,
  }));
  // each offer appeals to each shopper differently: a stable taste in [0.3, 1.3)
  const taste = (s: Shopper, offerId: string) => {
    let h = 2166136261;
    for (const c of `${s.id}/${offerId}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
    return 0.3 + ((h >>> 0) % 1000) / 1000;
  };
  const basketOf = (s: Shopper) => {
    const total = Math.max(2, Math.round(s.basket * (0.5 + rand()) * 100) / 100);
    const cats = [
      s.favourite,
      ...(rand() < 0.6 ? [pick(CATEGORIES)] : []),
      ...(rand() < 0.3 ? [pick(CATEGORIES)] : []),
    ];
    const items = cats.map((category, k) => ({
      sku: `${category}-${k}`,
      category,
      price: Math.round((total / cats.length) * 100) / 100,
      qty: 1,
    }));
    return { total, currency: 'GBP', items };
  };

  return {
    shoppers,
    /** A shopper's past: a profile and 90 days of purchases, so segments and aggregates differ from the start. */
    history(s: Shopper, nowMs: number): NboEvent[] {
      const out: NboEvent[] = [
        {
          id: id('p'),
          type: 'profile',
          customerId: s.id,
          time: new Date(nowMs - 120 * DAY).toISOString(),
          data: {
            age: 18 + Math.floor(rand() * 60),
            loyalty_member: rand() < 0.5,
            ...(s.insured ? { policy_tier: 'comprehensive', policies: ['motor'] } : {}),
          },
        },
      ];
      const visits = Math.floor(rand() * rand() * 30);
      for (let k = 0; k < visits; k++) {
        const t = nowMs - Math.floor(rand() * 90 * DAY);
        out.push({
          id: id('h'),
          type: 'purchase',
          customerId: s.id,
          time: new Date(t).toISOString(),
          data: { amount: Math.round(s.basket * (0.5 + rand()) * 100) / 100, category: s.favourite },
        });
      }
      return out;
    },
    /** What happens next: a checkout with its purchase (pos or app), or a claim. */
    next(nowMs: number): { shopper: Shopper; events: NboEvent[] } {
      const s = pick(shoppers);
      const time = new Date(nowMs).toISOString();
      if (s.insured && rand() < 0.12) {
        return {
          shopper: s,
          events: [
            {
              id: id('k'),
              type: 'claim',
              customerId: s.id,
              time,
              channel: rand() < 0.5 ? 'app' : 'callcentre',
              data: { claimId: id('claim'), amount: Math.round(200 + rand() * 3000), kind: 'motor' },
            },
          ],
        };
      }
      const basket = basketOf(s);
      const channel = rand() < 0.65 ? 'pos' : 'app';
      return {
        shopper: s,
        events: [
          {
            id: id('c'),
            type: 'checkout',
            customerId: s.id,
            time,
            channel,
            data: { storeId: `s-${1 + Math.floor(rand() * 6)}`, basket },
          },
          {
            id: id('b'),
            type: 'purchase',
            customerId: s.id,
            time,
            data: { amount: basket.total, category: s.favourite },
          },
        ],
      };
    },
    /** How the shopper answers an offer: always seen, then accepted (maybe redeemed) or declined. */
    respond(s: Shopper, decisionId: string, offerId: string, nowMs: number): NboEvent[] {
      const time = new Date(nowMs).toISOString();
      const ev = (outcome: string): NboEvent => ({
        id: id('r'),
        type: 'offer_response',
        customerId: s.id,
        time,
        data: { decisionId, offerId, outcome },
      });
      const out = [ev('impression')];
      if (rand() < Math.min(0.95, s.keenness * taste(s, offerId))) {
        out.push(ev('accepted'));
        if (rand() < 0.4) out.push(ev('redeemed'));
      } else if (rand() < 0.7) out.push(ev('declined'));
      return out;
    },
  };
}

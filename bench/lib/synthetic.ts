import type { ValidEvent } from '../../src/events/types.js';

const DAY = 86_400_000;
const CATEGORIES = ['coffee', 'bakery', 'grocery', 'wine', 'cheese', 'baby', 'fruit'];

/** A deterministic PRNG so runs compare. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * 90 days of a typical customer's events, oldest first: two shops a week (purchase and
 * checkout), app opens, a claim a quarter, a response a week, and a couple of profile updates.
 */
export function customerHistory(customerId: string, nowMs: number, rand: () => number, days = 90): ValidEvent[] {
  const out: ValidEvent[] = [];
  let n = 0;
  const push = (type: string, tMs: number, data: Record<string, unknown>, channel?: string) =>
    out.push({
      id: `${customerId}-${n++}`,
      type,
      customerId,
      time: new Date(tMs).toISOString(),
      timeMs: tMs,
      data,
      ...(channel ? { channel } : {}),
    });
  const start = nowMs - days * DAY;
  push('profile', start, {
    age: 20 + Math.floor(rand() * 50),
    loyalty_member: rand() < 0.6,
    policy_tier: 'comprehensive',
  });
  for (let d = 0; d < days; d++) {
    const day = start + d * DAY;
    if (rand() < 2 / 7) {
      const t = day + Math.floor(rand() * DAY);
      const amount = Math.round(rand() * 8000) / 100;
      const category = CATEGORIES[Math.floor(rand() * CATEGORIES.length)]!;
      push(
        'checkout',
        t,
        {
          storeId: `s-${Math.floor(rand() * 6)}`,
          basket: { total: amount, items: [{ sku: 'x', category, price: amount, qty: 1 }] },
        },
        'pos',
      );
      push('purchase', t + 1000, { amount, category });
    }
    if (rand() < 3 / 7) push('app_open', day + Math.floor(rand() * DAY), {});
    if (rand() < 1 / 7)
      push('offer_response', day + Math.floor(rand() * DAY), {
        decisionId: `d-${d}`,
        offerId: 'pastry-with-coffee',
        outcome: rand() < 0.3 ? 'accepted' : 'declined',
      });
    if (rand() < 1 / 90)
      push(
        'claim',
        day + Math.floor(rand() * DAY),
        { claimId: `k-${d}`, amount: Math.round(rand() * 3000), kind: 'motor' },
        'app',
      );
  }
  push('profile', nowMs - 3 * DAY, { city: 'Leeds' });
  return out.sort((a, b) => a.timeMs - b.timeMs);
}

/** A deterministic pseudo-random stream of recorded events (NDJSON lines) for simulation tests. */
export function recordedEvents(opts: {
  customers: number;
  days: number;
  seed?: number;
  startMs?: number;
  offers?: string[];
}): string[] {
  let s = opts.seed ?? 42;
  const rnd = () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
  const start = opts.startMs ?? Date.parse('2026-11-20T08:00:00Z');
  const offers = opts.offers ?? ['pastry-with-coffee', 'double-points-weekend', 'basket-topup-5'];
  const lines: Array<{ t: number; line: string }> = [];
  let id = 0;
  const add = (t: number, e: Record<string, unknown>) =>
    lines.push({ t, line: JSON.stringify({ id: `r-${++id}`, time: new Date(t).toISOString(), ...e }) });
  for (let c = 0; c < opts.customers; c++) {
    const customerId = `c-${c}`;
    for (let d = 0; d < opts.days; d++) {
      const visits = Math.floor(rnd() * 3);
      for (let v = 0; v < visits; v++) {
        const t = start + d * 86_400_000 + Math.floor(rnd() * 12 * 3_600_000);
        const coffee = rnd() < 0.6;
        const total = Math.round(rnd() * 8000) / 100;
        add(t, { type: 'purchase', customerId, channel: 'pos', data: { amount: total } });
        add(t + 1000, {
          type: 'checkout',
          customerId,
          channel: rnd() < 0.8 ? 'pos' : 'app',
          data: {
            storeId: 's1',
            basket: {
              total,
              currency: 'EUR',
              categories: coffee ? ['coffee', 'bakery'] : ['grocery'],
              items: [{ sku: 'x', category: coffee ? 'coffee' : 'grocery', price: total, qty: 1 }],
            },
          },
        });
        if (rnd() < 0.7) {
          const offerId = offers[Math.floor(rnd() * offers.length)]!;
          const outcome = rnd() < 0.5 ? 'declined' : rnd() < 0.5 ? 'accepted' : 'impression';
          add(t + 60_000, {
            type: 'offer_response',
            customerId,
            channel: 'pos',
            data: { decisionId: `rec-${id}`, offerId, outcome },
          });
        }
      }
    }
  }
  return lines.sort((a, b) => a.t - b.t).map((l) => l.line);
}

// The stronger baseline of decide-unprunable: the same server stack as NBO (uWebSockets.js),
// one ioredis HGETALL per decision, and every offer's eligibility compiled once by
// json-logic-engine's build(), all of them evaluated on every request; the `limit` best by
// value returned. What a careful team would build in an afternoon.
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { LogicEngine } from 'json-logic-engine';
import { loadUws } from '../../src/serve/uws.js';

interface Offer {
  id: string;
  name: string;
  channels: string[];
  triggers?: string[];
  eligibility: unknown;
  value: number;
}
const offers = JSON.parse(
  readFileSync(`${process.env.RULES_DIR}/offers/${process.env.OFFERS_FILE ?? 'unprunable.json'}`, 'utf8'),
) as Offer[];
const engine = new LogicEngine();
const rules = offers.map((o) => ({
  ...o,
  channels: new Set(o.channels),
  triggers: o.triggers ? new Set(o.triggers) : null,
  test: engine.build(o.eligibility as never) as (d: unknown) => unknown,
}));
const redis = new Redis(process.env.REDIS_URL!);
const truthy = (v: unknown) => (Array.isArray(v) ? v.length > 0 : !!v);

loadUws()
  .App()
  .post('/v1/decide', (res) => {
    let aborted = false;
    res.onAborted(() => (aborted = true));
    const chunks: Buffer[] = [];
    res.onData((chunk, last) => {
      chunks.push(Buffer.from(chunk.slice(0)));
      if (!last) return;
      void (async () => {
        let status = '200 OK';
        let out: string;
        try {
          const r = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            customerId: string;
            channel: string;
            trigger?: string;
            context?: Record<string, unknown>;
            limit?: number;
          };
          const h = await redis.hgetall(`naive:{${r.customerId}}`);
          const agg: Record<string, number> = {};
          const profile: Record<string, unknown> = {};
          for (const k in h) {
            if (k.startsWith('agg.')) agg[k.slice(4)] = Number(h[k]);
            else if (k.startsWith('profile.')) profile[k.slice(8)] = JSON.parse(h[k]!);
          }
          const data = r.context ?? {};
          const ctx = {
            customer: { id: r.customerId, profile, agg, segments: { value_tier: h.value_tier ?? null } },
            event: { type: r.trigger ?? null, channel: r.channel, data },
            context: data,
          };
          const hits: typeof rules = [];
          for (const o of rules) {
            if (!o.channels.has(r.channel) || (o.triggers && !o.triggers.has(r.trigger ?? ''))) continue;
            if (truthy(o.test(ctx))) hits.push(o);
          }
          hits.sort((a, b) => b.value - a.value || (a.id < b.id ? -1 : 1));
          out = JSON.stringify({
            customerId: r.customerId,
            offers: hits.slice(0, r.limit ?? 1).map((o) => ({ offerId: o.id, name: o.name, value: o.value })),
          });
        } catch (err) {
          status = '500 Internal Server Error';
          out = String(err);
        }
        if (!aborted) res.cork(() => res.writeStatus(status).writeHeader('content-type', 'application/json').end(out));
      })();
    });
  })
  .listen('127.0.0.1', Number(process.env.PORT), (s) => {
    if (!s) process.exit(1);
    process.stdout.write('ready\n');
  });

// The obvious way to build the service: node:http, one ioredis HGETALL per decision, and
// json-logic-js evaluating every offer of the catalog. A baseline for decide-http.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import jsonLogic from 'json-logic-js';

interface Offer {
  id: string;
  name: string;
  channels: string[];
  triggers?: string[];
  eligibility: unknown;
  value: number;
}
const offers = JSON.parse(readFileSync(`${process.env.RULES_DIR}/offers/generated.json`, 'utf8')) as Offer[];
const redis = new Redis(process.env.REDIS_URL!);

createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', async () => {
    try {
      const r = JSON.parse(body) as {
        customerId: string;
        channel: string;
        trigger?: string;
        context?: Record<string, unknown>;
      };
      const h = await redis.hgetall(`naive:{${r.customerId}}`);
      const agg: Record<string, number> = {};
      const profile: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(h)) {
        if (k.startsWith('agg.')) agg[k.slice(4)] = Number(v);
        else if (k.startsWith('profile.')) profile[k.slice(8)] = JSON.parse(v);
      }
      const ctx = {
        customer: { id: r.customerId, profile, agg, segments: { value_tier: h.value_tier ?? null } },
        event: { type: r.trigger, channel: r.channel, data: r.context ?? {} },
        context: r.context ?? {},
      };
      let best: Offer | null = null;
      for (const o of offers) {
        if (!o.channels.includes(r.channel) || (o.triggers && !o.triggers.includes(r.trigger ?? ''))) continue;
        if (jsonLogic.truthy(jsonLogic.apply(o.eligibility, ctx)) && (!best || o.value > best.value)) best = o;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          customerId: r.customerId,
          offers: best ? [{ offerId: best.id, name: best.name, value: best.value }] : [],
        }),
      );
    } catch (err) {
      res.writeHead(500);
      res.end(String(err));
    }
  });
}).listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('ready\n'));

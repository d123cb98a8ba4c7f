import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRoutes } from '../../src/serve/admin-routes.js';
import { buildRoutes } from '../../src/serve/routes.js';
import { statsRoutes } from '../../src/serve/stats-routes.js';
import { uiRoutes } from '../../src/serve/ui-routes.js';
import { checkout, get, post, startTestService, subscribe, until } from '../support/service.js';

const spec = YAML.parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, { 'x-nbo-scope'?: string; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, unknown> };
};
const apiDoc = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema({ $id: 'nbo-openapi', components: spec.components });
const validator = (name: string) => ajv.getSchema(`nbo-openapi#/components/schemas/${name}`)!;

describe('openapi.yaml and docs/api.md match the implementation', () => {
  let svc: Awaited<ReturnType<typeof startTestService>>;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(async () => {
    await svc.stop();
  });

  it('documents exactly the routes the server has, with their scopes', () => {
    const all = [
      ...buildRoutes({} as never),
      ...adminRoutes({} as never),
      ...statsRoutes({ clock: Date.now } as never),
      ...uiRoutes({ keys: null }),
    ];
    const routes = all.map(
      (r) =>
        `${r.method} ${r.path.replace(/:([a-z]+)$/i, '{$1}').replace(/^\/ui\/a\/[0-9a-f]{12}\//, '/ui/a/{build}/')} ${r.scope ?? 'open'}`,
    );
    const documented = Object.entries(spec.paths).flatMap(([p, ops]) =>
      Object.entries(ops).map(([m, op]) => `${m.toUpperCase()} ${p} ${op['x-nbo-scope'] ?? 'open'}`),
    );
    expect(documented.sort()).toEqual(routes.sort());
    for (const r of routes) expect(apiDoc).toContain(`\`${r.split(' ').slice(0, 2).join(' ')}\``);
  });

  it('real responses validate against the documented schemas', async () => {
    const decision = await post(`${svc.url}/v1/decide`, {
      customerId: 'c-doc',
      channel: 'pos',
      trigger: 'checkout',
      context: { basket: { total: 50 } },
      limit: 3,
      explain: true,
    });
    expect(validator('Decision')(decision.body), JSON.stringify(validator('Decision').errors)).toBe(true);
    const events = await post(`${svc.url}/v1/events`, [checkout('c-doc'), { bad: true }]);
    expect(validator('IngestResult')(events.body)).toBe(true);
    await post(`${svc.url}/v1/events`, {
      id: 'r-doc',
      type: 'offer_response',
      customerId: 'c-doc',
      time: new Date().toISOString(),
      data: { decisionId: decision.body.decisionId, offerId: decision.body.offers[0].offerId, outcome: 'declined' },
    });
    const customer = await get(`${svc.url}/v1/customers/c-doc`);
    expect(validator('Customer')(customer.body), JSON.stringify(validator('Customer').errors)).toBe(true);
    expect(validator('Offers')((await get(`${svc.url}/v1/offers`)).body)).toBe(true);
    expect(validator('Readiness')((await get(`${svc.url}/readyz`)).body)).toBe(true);
    const stats = await get(`${svc.url}/v1/stats/offers?window=5m`);
    expect(validator('OfferStats')(stats.body), JSON.stringify(validator('OfferStats').errors)).toBe(true);
    const problem = await post(`${svc.url}/v1/decide`, {});
    expect(validator('Problem')(problem.body)).toBe(true);
    expect(validator('DecideRequest')({ customerId: 'c', channel: 'pos', limit: 21 })).toBe(false);
  });

  it('a pushed WebSocket message has exactly the fields docs/api.md shows', async () => {
    const sub = subscribe(`${svc.ws}/v1/stream?channel=pos&customerId=c-doc-ws`);
    await sub.opened;
    await post(`${svc.url}/v1/events`, checkout('c-doc-ws'));
    await until(() => sub.messages.length === 1);
    const example = JSON.parse(
      /```json\n(\{ "type": "decision"[\s\S]*?)\n```/.exec(apiDoc)![1]!.replace(/"5c1e…"/, '"x"'),
    );
    expect(Object.keys(sub.messages[0]).sort()).toEqual(Object.keys(example).sort());
    sub.ws.close();
  });
});

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkout, get, keysFile, post, startTestService, subscribe, until } from '../support/service.js';

describe("an events key's channel list applies to the events it sends", () => {
  const { file, secrets } = keysFile([
    { id: 'pos-ingest', scopes: ['events'], channels: ['pos'] },
    { id: 'any-ingest', scopes: ['events'] },
    { id: 'app-gw', scopes: ['stream'], channels: ['app'] },
    { id: 'pos-gw', scopes: ['stream'], channels: ['pos'] },
    { id: 'ops', scopes: ['read'] },
  ]);
  const bearer = (id: string) => ({ authorization: `Bearer ${secrets[id]}` });
  let svc: Awaited<ReturnType<typeof startTestService>>;
  beforeAll(async () => {
    svc = await startTestService({ NBO_API_KEYS_FILE: file, NBO_HOST: '127.0.0.1' });
  });
  afterAll(async () => {
    await svc.stop();
  });
  const cid = () => `c-${randomBytes(4).toString('hex')}`;

  it('a checkout for another channel is rejected by index (NBO_ERR_FORBIDDEN), not applied, and no decision reaches that channel', async () => {
    const app = subscribe(`${svc.ws}/v1/stream?channel=app`, bearer('app-gw'));
    const pos = subscribe(`${svc.ws}/v1/stream?channel=pos`, bearer('pos-gw'));
    await Promise.all([app.opened, pos.opened]);
    const [c1, c2] = [cid(), cid()];
    const r = await post(`${svc.url}/v1/events`, [checkout(c1, 'pos'), checkout(c2, 'app')], bearer('pos-ingest'));
    expect(r.status).toBe(202);
    expect(r.body.accepted).toBe(1);
    expect(r.body.rejected).toEqual([
      {
        index: 1,
        code: 'NBO_ERR_FORBIDDEN',
        errors: [{ path: '$.channel', message: 'the key may not use channel "app"' }],
      },
    ]);
    // the pos decision arrives; then give any app decision the same time to arrive
    await until(() => pos.messages.length === 1);
    await new Promise((res) => setTimeout(res, 200));
    expect(pos.messages[0]).toMatchObject({ type: 'decision', customerId: c1, channel: 'pos' });
    expect(app.messages).toEqual([]);
    // nothing of the refused event was stored
    expect((await get(`${svc.url}/v1/customers/${c2}`, bearer('ops'))).body.agg.visits_7d).toBe(0);
    app.ws.close();
    pos.ws.close();
  });

  it('a batch refused only for its channels is a 403; events without a channel are accepted', async () => {
    const c = cid();
    const r = await post(`${svc.url}/v1/events`, [checkout(c, 'app'), checkout(c, 'callcentre')], bearer('pos-ingest'));
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('NBO_ERR_FORBIDDEN');
    expect(r.body.rejected.map((x: { index: number; code: string }) => [x.index, x.code])).toEqual([
      [0, 'NBO_ERR_FORBIDDEN'],
      [1, 'NBO_ERR_FORBIDDEN'],
    ]);
    const plain = {
      id: `p-${c}`,
      type: 'purchase',
      customerId: c,
      time: new Date().toISOString(),
      data: { amount: 4 },
    };
    expect((await post(`${svc.url}/v1/events`, plain, bearer('pos-ingest'))).status).toBe(202);
  });

  it('a key without a channel list sends events for any channel', async () => {
    const r = await post(
      `${svc.url}/v1/events`,
      [checkout(cid(), 'app'), checkout(cid(), 'pos')],
      bearer('any-ingest'),
    );
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
  });
});

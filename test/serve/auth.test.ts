import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { sha256Hex } from '../../src/serve/api-keys.js';
import { get, keysFile, post, startTestService, subscribe } from '../support/service.js';

describe('auth', () => {
  const { file, secrets } = keysFile([
    { id: 'pos-gw', scopes: ['decide', 'stream'], channels: ['pos'] },
    { id: 'ingest', scopes: ['events'] },
    { id: 'ops', scopes: ['read', 'admin'] },
  ]);
  const bearer = (id: string) => ({ authorization: `Bearer ${secrets[id]}` });
  let svc: Awaited<ReturnType<typeof startTestService>>;
  beforeAll(async () => {
    svc = await startTestService({ NBO_API_KEYS_FILE: file, NBO_HOST: '127.0.0.1' });
  });
  afterAll(async () => {
    await svc.stop();
  });
  const decide = { customerId: 'c1', channel: 'pos' };

  it('401 without a key or with an unknown one', async () => {
    expect((await post(`${svc.url}/v1/decide`, decide)).status).toBe(401);
    const r = await post(`${svc.url}/v1/decide`, decide, { authorization: 'Bearer nope' });
    expect(r.status).toBe(401);
    expect(r.body.code).toBe('NBO_ERR_UNAUTHENTICATED');
  });

  it('403 for a key without the scope, or for a channel it may not use', async () => {
    expect((await post(`${svc.url}/v1/decide`, decide, bearer('ingest'))).status).toBe(403);
    const r = await post(`${svc.url}/v1/decide`, { ...decide, channel: 'app' }, bearer('pos-gw'));
    expect(r.status).toBe(403);
    expect(r.body.detail).toContain('channel "app"');
    expect((await get(`${svc.url}/v1/customers/c1`, bearer('pos-gw'))).status).toBe(403);
  });

  it('200 with the right scope and channel; health, readiness and metrics stay open', async () => {
    expect((await post(`${svc.url}/v1/decide`, decide, bearer('pos-gw'))).status).toBe(200);
    expect((await get(`${svc.url}/v1/customers/c1`, bearer('ops'))).status).toBe(200);
    expect((await post(`${svc.url}/v1/admin/rules/reload`, {}, bearer('ops'))).status).toBe(200);
    for (const p of ['/healthz', '/readyz', '/metrics']) expect((await get(`${svc.url}${p}`)).status).toBe(200);
  });

  it('a WebSocket authenticates with the header or ?token=, and is refused for another channel', async () => {
    const a = subscribe(`${svc.ws}/v1/stream?channel=pos`, bearer('pos-gw'));
    await a.opened;
    const b = subscribe(`${svc.ws}/v1/stream?channel=pos&token=${encodeURIComponent(secrets['pos-gw']!)}`);
    await b.opened;
    await expect(subscribe(`${svc.ws}/v1/stream?channel=pos`).opened).rejects.toThrow('HTTP 401');
    await expect(subscribe(`${svc.ws}/v1/stream?channel=app`, bearer('pos-gw')).opened).rejects.toThrow('HTTP 403');
    await expect(subscribe(`${svc.ws}/v1/stream?channel=pos`, bearer('ingest')).opened).rejects.toThrow('HTTP 403');
    a.ws.close();
    b.ws.close();
  });
});

describe('nbo keys new', () => {
  it('prints a fresh secret and the entry whose sha256 matches it', async () => {
    let out = '';
    const stream = {
      write: (s: string) => {
        out += s;
        return true;
      },
    } as unknown as NodeJS.WritableStream;
    expect(
      await main(['keys', 'new', '--id', 'pos-gw', '--scopes', 'decide,stream', '--channels', 'pos'], stream, stream),
    ).toBe(0);
    const secret = out.split('\n')[1]!;
    expect(secret).toMatch(/^nbo_[A-Za-z0-9_-]{43}$/);
    expect(out).toContain(`sha256: ${sha256Hex(secret)}`);
    expect(out).toContain('- id: pos-gw');
    expect(await main(['keys', 'new', '--id', 'x', '--scopes', 'root'], stream, stream)).toBe(2);
  });
});

describe('without a keys file', () => {
  it('refuses to listen beyond loopback', async () => {
    await expect(startTestService({ NBO_HOST: '0.0.0.0' })).rejects.toThrow('needs NBO_API_KEYS_FILE');
  });
});

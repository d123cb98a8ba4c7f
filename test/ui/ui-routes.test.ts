import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UI_CSP } from '../../src/serve/ui-routes.js';
import { get, keysFile, post, startTestService, subscribe } from '../support/service.js';

type Svc = Awaited<ReturnType<typeof startTestService>>;

/** The asset URLs the page names (their path carries a content hash). */
function assetsOf(html: string): string[] {
  return [...html.matchAll(/(?:href|src)="(\/ui\/a\/[0-9a-f]{12}\/[^"]+)"/g)].map((m) => m[1]!);
}

describe('/ui without API keys', () => {
  let svc: Svc;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(async () => {
    await svc.stop();
  });

  it('serves the page with a strict CSP, uncached, and no inline script or style', async () => {
    const r = await get(`${svc.url}/ui`);
    expect(r.status).toBe(200);
    expect(r.type).toBe('text/html; charset=utf-8');
    expect(r.headers.get('content-security-policy')).toBe(UI_CSP);
    expect(UI_CSP).toContain("script-src 'self'");
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(r.body).not.toMatch(/\sstyle=|<style/);
    expect(r.body).toContain('data-auth="off"');
    expect((await get(`${svc.url}/ui/`)).status).toBe(200);
  });

  it('serves its assets with their content types, cached for good under a content-hash path', async () => {
    const html = (await get(`${svc.url}/ui`)).body as string;
    const assets = assetsOf(html);
    expect(assets.map((a) => a.split('/').pop()).sort()).toEqual(['app.js', 'favicon.svg', 'favicon.svg', 'ui.css']);
    const types: Record<string, string> = {
      js: 'text/javascript; charset=utf-8',
      css: 'text/css; charset=utf-8',
      svg: 'image/svg+xml',
    };
    for (const a of new Set([
      ...assets,
      assets[0]!.replace(/[^/]+$/, 'charts.js'),
      assets[0]!.replace(/[^/]+$/, 'api.js'),
    ])) {
      const r = await get(`${svc.url}${a}`);
      expect(r.status, a).toBe(200);
      expect(r.type).toBe(types[a.split('.').pop()!]);
      expect(r.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    }
    const dir = assets[0]!.replace(/[^/]+$/, '');
    expect((await get(`${svc.url}${dir}nope.js`)).status).toBe(404);
    expect((await get(`${svc.url}${dir}index.html`)).status).toBe(404);
    expect((await get(`${svc.url}/ui/a/000000000000/app.js`)).status).toBe(404);
  });
});

describe('/ui with API keys', () => {
  let svc: Svc;
  let secrets: Record<string, string>;
  beforeAll(async () => {
    const k = keysFile([
      { id: 'viewer', scopes: ['read', 'stream'] },
      { id: 'reader', scopes: ['read'] },
      { id: 'writer', scopes: ['events', 'decide'] },
      { id: 'all', scopes: ['read', 'events', 'decide', 'stream', 'admin'] },
    ]);
    secrets = k.secrets;
    svc = await startTestService({ NBO_API_KEYS_FILE: k.file });
  });
  afterAll(async () => {
    await svc.stop();
  });
  const cookieOf = (setCookie: string | null) => setCookie!.split(';')[0]!;

  it('answers 401 with the sign-in form without a key, 403 for a key without read, the page with one', async () => {
    const none = await get(`${svc.url}/ui`);
    expect(none.status).toBe(401);
    expect(none.type).toBe('text/html; charset=utf-8');
    expect(none.body).toContain('id="sign-in"');
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="nbo"');
    expect(none.headers.get('content-security-policy')).toBe(UI_CSP);
    expect((await get(`${svc.url}/ui`, { authorization: `Bearer ${secrets.writer}` })).status).toBe(403);
    const ok = await get(`${svc.url}/ui`, { authorization: `Bearer ${secrets.reader}` });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('data-auth="on"');
  });

  it('signs in with a read key into an HttpOnly SameSite=Strict cookie that stands for the key on reads only', async () => {
    expect((await post(`${svc.url}/ui/session`, { key: 'nope' })).status).toBe(401);
    expect((await post(`${svc.url}/ui/session`, { key: secrets.writer })).status).toBe(403);
    expect((await post(`${svc.url}/ui/session`, {})).status).toBe(400);
    const s = await post(`${svc.url}/ui/session`, { key: secrets.viewer });
    expect(s.status).toBe(200);
    expect(s.body).toEqual({ keyId: 'viewer', scopes: ['read', 'stream'] });
    const setCookie = s.headers.get('set-cookie');
    expect(setCookie).toMatch(/^nbo_key=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    const cookie = cookieOf(setCookie);

    expect((await get(`${svc.url}/ui`, { cookie })).status).toBe(200);
    expect((await get(`${svc.url}/v1/stats/offers`, { cookie })).status).toBe(200);
    expect((await get(`${svc.url}/v1/offers`, { cookie })).status).toBe(200);
    // never on a route that changes something, even when the key could
    const all = cookieOf((await post(`${svc.url}/ui/session`, { key: secrets.all })).headers.get('set-cookie'));
    expect((await get(`${svc.url}/v1/offers`, { cookie: all })).status).toBe(200);
    expect((await post(`${svc.url}/v1/events`, [], { cookie: all })).status).toBe(401);
    expect((await post(`${svc.url}/v1/decide`, { customerId: 'c', channel: 'pos' }, { cookie: all })).status).toBe(401);
    expect((await post(`${svc.url}/v1/admin/rules/reload`, {}, { cookie: all })).status).toBe(401);
    // a cookie with an unknown key is no key
    expect((await get(`${svc.url}/ui`, { cookie: 'nbo_key=forged' })).status).toBe(401);

    const out = await post(`${svc.url}/ui/sign-out`, {});
    expect(out.headers.get('set-cookie')).toMatch(/^nbo_key=; .*Max-Age=0/);
  });

  it('marks the cookie Secure behind a TLS-terminating proxy', async () => {
    const s = await post(`${svc.url}/ui/session`, { key: secrets.viewer }, { 'x-forwarded-proto': 'https' });
    expect(s.headers.get('set-cookie')).toMatch(/; Secure$/);
  });

  it('lets the cookie open the decision stream only from a page of this server (Origin = Host)', async () => {
    const cookie = cookieOf((await post(`${svc.url}/ui/session`, { key: secrets.viewer })).headers.get('set-cookie'));
    const host = new URL(svc.url).host;
    const same = subscribe(`${svc.ws}/v1/stream?channel=pos`, { cookie, origin: `http://${host}` });
    await same.opened;
    same.ws.close();
    await expect(
      subscribe(`${svc.ws}/v1/stream?channel=pos`, { cookie, origin: 'http://evil.example' }).opened,
    ).rejects.toThrow('HTTP 401');
    await expect(subscribe(`${svc.ws}/v1/stream?channel=pos`, { cookie }).opened).rejects.toThrow('HTTP 401');
    // a read-only key signs in to the page but may not stream
    const readOnly = cookieOf((await post(`${svc.url}/ui/session`, { key: secrets.reader })).headers.get('set-cookie'));
    await expect(
      subscribe(`${svc.ws}/v1/stream?channel=pos`, { cookie: readOnly, origin: `http://${host}` }).opened,
    ).rejects.toThrow('HTTP 403');
  });
});

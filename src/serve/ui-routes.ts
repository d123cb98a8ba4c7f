import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KeyRing } from './api-keys.js';
import { bearer, problem, type Reply, type RequestFacts } from './http.js';
import type { Route } from './routes.js';
import { sessionCookie, sessionSecret } from './ui-session.js';

/** The page's static files: src/ui/ (copied to dist/ui/ by the build). */
export const UI_DIR = fileURLToPath(new URL('../ui/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * Scripts and styles only from this server, no inline code, data only from this server
 * (`'self'` covers its own ws:// and wss:// too), and no framing.
 */
export const UI_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS = {
  'content-security-policy': UI_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

interface Asset {
  type: string;
  body: string;
}

function loadAssets(dir: string): { assets: Map<string, Asset>; build: string } {
  const assets = new Map<string, Asset>();
  const hash = createHash('sha256');
  for (const name of readdirSync(dir).sort()) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    const body = readFileSync(join(dir, name), 'utf8');
    assets.set(name, { type, body });
    hash.update(name).update('\0').update(body);
  }
  return { assets, build: hash.digest('hex').slice(0, 12) };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export interface UiRouteDeps {
  keys: KeyRing | null;
  /** Where the static files are (default {@link UI_DIR}). */
  dir?: string;
}

/**
 * The page at `/ui`. Without API keys it is open, like every route. With keys it needs
 * a key with the `read` scope, sent as a bearer header or, from a browser, as the session
 * cookie that its sign-in form sets (ui-session.ts); without one it answers 401 with the
 * sign-in form. Static files live under a path holding a hash of their content, so they
 * are cached for good and a new release is fetched fresh; the HTML itself is never cached.
 */
export function uiRoutes(d: UiRouteDeps): Route[] {
  const { assets, build } = loadAssets(d.dir ?? UI_DIR);
  const base = `/ui/a/${build}`;
  const page = (name: string, status: number, vars: Record<string, string>): Reply => {
    const html = assets.get(name)!.body.replace(/\{\{(\w+)\}\}/g, (_, k: string) => escapeHtml(vars[k] ?? ''));
    return {
      status,
      contentType: TYPES['.html'],
      body: html,
      headers: { ...SECURITY_HEADERS, 'cache-control': 'no-store' },
    };
  };
  const signIn = (status: number, message: string): Reply => {
    const r = page('sign-in.html', status, { assets: base, message });
    // a 401 names how to authenticate (RFC 9110); Bearer, so browsers show the form, not a password prompt
    if (status === 401) r.headers = { ...r.headers, 'www-authenticate': 'Bearer realm="nbo"' };
    return r;
  };

  const showPage = (facts: RequestFacts): Reply => {
    if (!d.keys) return page('index.html', 200, { assets: base, auth: 'off' });
    const key = d.keys.authenticate(bearer(facts, false) ?? sessionSecret(facts));
    if (!key)
      return signIn(
        401,
        sessionSecret(facts)
          ? 'That key is no longer valid. Sign in again.'
          : 'Sign in with an API key that has the read scope.',
      );
    if (!key.scopes.has('read')) return signIn(403, `Key "${key.id}" lacks the read scope.`);
    return page('index.html', 200, { assets: base, auth: 'on', keyId: key.id });
  };

  return [
    { method: 'GET', path: '/ui', scope: null, name: 'ui', handler: ({ facts }) => showPage(facts) },
    { method: 'GET', path: '/ui/', scope: null, name: 'ui', handler: ({ facts }) => showPage(facts) },
    {
      method: 'GET',
      path: `${base}/:file`,
      scope: null,
      name: 'ui-asset',
      handler({ params }) {
        const a = params.file && !params.file.endsWith('.html') ? assets.get(params.file) : undefined;
        if (!a) return problem('NBO_ERR_NOT_FOUND', `no file ${params.file ?? ''} in the page's assets`);
        return {
          status: 200,
          contentType: a.type,
          body: a.body,
          headers: { ...SECURITY_HEADERS, 'cache-control': 'public, max-age=31536000, immutable' },
        };
      },
    },
    {
      method: 'POST',
      path: '/ui/session',
      scope: null,
      name: 'ui-session',
      handler({ body, facts }) {
        const secret = (body as { key?: unknown } | null)?.key;
        if (typeof secret !== 'string' || secret.length === 0 || secret.length > 512)
          return problem('NBO_ERR_BODY_INVALID', 'send { "key": "<API key>" }', [
            { path: '$.key', message: 'is required: an API key' },
          ]);
        if (!d.keys) return { status: 200, body: { auth: 'off' } };
        const key = d.keys.authenticate(secret);
        if (!key) return problem('NBO_ERR_UNAUTHENTICATED', 'unknown API key');
        if (!key.scopes.has('read')) return problem('NBO_ERR_FORBIDDEN', `key "${key.id}" lacks the "read" scope`);
        return {
          status: 200,
          body: { keyId: key.id, scopes: [...key.scopes] },
          headers: { 'set-cookie': sessionCookie(secret, facts), 'cache-control': 'no-store' },
        };
      },
    },
    {
      method: 'POST',
      path: '/ui/sign-out',
      scope: null,
      name: 'ui-session',
      handler: ({ facts }) => ({
        status: 200,
        body: { signedOut: true },
        headers: { 'set-cookie': sessionCookie(null, facts), 'cache-control': 'no-store' },
      }),
    },
  ];
}

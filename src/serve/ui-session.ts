import type { RequestFacts } from './http.js';

/**
 * The page's session: a browser cannot send `Authorization: Bearer` when it navigates,
 * so the sign-in form (POST /ui/session) hands the API key back as an HttpOnly,
 * SameSite=Strict cookie. The server takes it in place of a bearer header only where a
 * forged cross-site request could do no harm: GET routes of the `read` scope, the page
 * itself, and the WebSocket stream when the Origin is the server's own host.
 */
export const SESSION_COOKIE = 'nbo_key';

/** How long the browser keeps the session cookie (12 h). */
export const SESSION_MAX_AGE_S = 12 * 3600;

/** The API key the session cookie carries, or null. */
export function sessionSecret(facts: RequestFacts): string | null {
  if (!facts.cookie) return null;
  for (const part of facts.cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    try {
      const v = decodeURIComponent(part.slice(eq + 1).trim());
      return v.length > 0 ? v : null;
    } catch {
      return null;
    }
  }
  return null;
}

/** Whether a WebSocket upgrade comes from a page of this server (no cross-site socket may ride the cookie). */
export function sameOrigin(facts: RequestFacts): boolean {
  if (!facts.origin || !facts.host) return false;
  try {
    return new URL(facts.origin).host === facts.host;
  } catch {
    return false;
  }
}

/** The Set-Cookie value that starts (secret) or ends (null) a session. */
export function sessionCookie(secret: string | null, facts: RequestFacts): string {
  const secure = facts.forwardedProto.split(',')[0]?.trim() === 'https' ? '; Secure' : '';
  if (secret === null) return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure}`;
  return `${SESSION_COOKIE}=${encodeURIComponent(secret)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MAX_AGE_S}${secure}`;
}

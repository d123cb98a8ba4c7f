// Talking to NBO from the page: JSON reads and the decision stream. The browser sends
// the session cookie itself (same origin); with authentication off there is none.

/**
 * GETs a read route. Resolves `{ status, body }`; a 401 means the session ended, so the
 * page reloads into the sign-in form.
 */
export async function getJSON(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store' });
  if (res.status === 401) {
    location.reload();
    return { status: 401, body: null };
  }
  const body = await res.json().catch(() => null);
  return { status: res.status, body };
}

const missing = new Map();
const MISSING_RECHECK_MS = 60_000;

/**
 * GETs a route another part of NBO may not have (it answers 404): after a 404 it is
 * asked again only once a minute, and answers `{ status: 404 }` in between.
 */
export async function getOptional(path) {
  const since = missing.get(path);
  if (since !== undefined && Date.now() - since < MISSING_RECHECK_MS) return { status: 404, body: null };
  const r = await getJSON(path);
  if (r.status === 404) missing.set(path, Date.now());
  else missing.delete(path);
  return r;
}

/**
 * Subscribes to the decisions of each channel over WebSocket /v1/stream, reconnecting
 * with a growing delay. `onState` hears 'live' (every channel open), 'connecting' or 'down'.
 * @returns {{ setChannels(channels: string[]): void }}
 */
export function decisionStream(onDecision, onState) {
  const sockets = new Map();
  const wanted = new Set();
  const report = () => {
    const all = [...wanted];
    const open = all.filter((c) => sockets.get(c)?.ws?.readyState === WebSocket.OPEN).length;
    onState(
      all.length > 0 && open === all.length
        ? 'live'
        : open > 0 || all.some((c) => (sockets.get(c)?.failures ?? 0) < 3)
          ? 'connecting'
          : 'down',
      open,
      all.length,
    );
  };
  const connect = (channel) => {
    const entry = sockets.get(channel) ?? { failures: 0, ws: null, timer: null };
    sockets.set(channel, entry);
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}/v1/stream?channel=${encodeURIComponent(channel)}`);
    entry.ws = ws;
    ws.addEventListener('open', () => {
      entry.failures = 0;
      report();
    });
    ws.addEventListener('message', (m) => {
      try {
        const d = JSON.parse(m.data);
        if (d.type === 'decision') onDecision(d);
      } catch {
        // not a decision message
      }
    });
    ws.addEventListener('close', () => {
      entry.ws = null;
      if (!wanted.has(channel)) return void sockets.delete(channel);
      entry.failures++;
      report();
      entry.timer = setTimeout(() => connect(channel), Math.min(15_000, 500 * 2 ** Math.min(entry.failures, 5)));
    });
  };
  return {
    setChannels(channels) {
      for (const c of channels) {
        if (wanted.has(c)) continue;
        wanted.add(c);
        connect(c);
      }
      for (const c of [...wanted]) {
        if (channels.includes(c)) continue;
        wanted.delete(c);
        const e = sockets.get(c);
        clearTimeout(e?.timer);
        e?.ws?.close(1000, 'channel gone');
      }
      report();
    },
  };
}

import type { WebSocket } from 'uWebSockets.js';
import type { StreamDecision } from '../flow/decision-sink.js';
import type { Metrics } from '../metrics/metrics.js';

/** What each WebSocket subscribed to. */
export interface Subscription {
  channel: string;
  customerId: string | null;
  keyId: string | null;
}

/** Close codes NBO uses on /v1/stream (docs/api.md). */
export const CLOSE = {
  /** The server is shutting down: reconnect to another instance. */
  goingAway: 1001,
  /** The subscriber read too slowly: more than NBO_WS_MAX_BACKPRESSURE_BYTES waited unsent. */
  slow: 1008,
} as const;

/**
 * Local WebSocket subscribers by channel, and by channel and customer. Delivers each
 * decision to the sockets that asked for it; a socket that lets too many bytes pile up
 * is closed with 1008 rather than allowed to grow memory.
 */
export interface StreamHub {
  add(ws: WebSocket<Subscription>): void;
  remove(ws: WebSocket<Subscription>): void;
  deliver(d: StreamDecision): number;
  closeAll(code: number, reason: string): void;
  size(): number;
}

export function createStreamHub(maxBackpressureBytes: number, metrics?: Metrics): StreamHub {
  const byChannel = new Map<string, Set<WebSocket<Subscription>>>();
  const byCustomer = new Map<string, Set<WebSocket<Subscription>>>();
  const all = new Set<WebSocket<Subscription>>();
  const closing = new WeakSet<WebSocket<Subscription>>();
  const keyOf = (s: Subscription) => (s.customerId === null ? null : `${s.channel}\u0000${s.customerId}`);
  const setFor = (m: Map<string, Set<WebSocket<Subscription>>>, k: string) => {
    let s = m.get(k);
    if (!s) m.set(k, (s = new Set()));
    return s;
  };

  const closeSlow = (ws: WebSocket<Subscription>) => {
    if (closing.has(ws)) return;
    closing.add(ws);
    metrics?.wsMessagesDropped.inc({ reason: 'slow_subscriber' });
    ws.end(CLOSE.slow, 'slow subscriber: too many unsent bytes');
  };

  return {
    add(ws) {
      const s = ws.getUserData();
      const k = keyOf(s);
      setFor(k === null ? byChannel : byCustomer, k ?? s.channel).add(ws);
      all.add(ws);
      metrics?.wsConnections.set(all.size);
    },
    remove(ws) {
      const s = ws.getUserData();
      const k = keyOf(s);
      const m = k === null ? byChannel : byCustomer;
      const set = m.get(k ?? s.channel);
      set?.delete(ws);
      if (set?.size === 0) m.delete(k ?? s.channel);
      all.delete(ws);
      metrics?.wsConnections.set(all.size);
    },
    deliver(d) {
      const targets = [
        ...(byChannel.get(d.channel) ?? []),
        ...(byCustomer.get(`${d.channel}\u0000${d.customerId}`) ?? []),
      ];
      if (targets.length === 0) return 0;
      const msg = JSON.stringify(d);
      let sent = 0;
      for (const ws of targets) {
        if (closing.has(ws)) continue;
        if (ws.getBufferedAmount() > maxBackpressureBytes) {
          closeSlow(ws);
          continue;
        }
        // 2 = dropped by uWS's own backpressure limit
        if (ws.send(msg, false) === 2) closeSlow(ws);
        else sent++;
      }
      metrics?.wsMessagesSent.inc(sent);
      return sent;
    },
    closeAll(code, reason) {
      for (const ws of [...all]) {
        closing.add(ws);
        ws.end(code, reason);
      }
    },
    size: () => all.size,
  };
}

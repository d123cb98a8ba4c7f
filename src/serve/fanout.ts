import { randomUUID } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import type { DecisionSink, StreamDecision } from '../flow/decision-sink.js';
import type { RedisSecurity } from '../config/redis-security.js';
import type { StreamHub } from './stream-hub.js';

export interface Fanout extends DecisionSink {
  close(): Promise<void>;
}

/** Delivers stream decisions to this instance's WebSocket subscribers only (embedded mode). */
export function localFanout(hub: StreamHub): Fanout {
  return { publish: (d) => void hub.deliver(d), close: async () => {} };
}

/**
 * Delivers each stream decision to subscribers on every instance: locally at once, and
 * through Redis pub/sub (channel `<prefix>:decisions`) to the other instances, which
 * skip their own messages.
 */
export async function redisFanout(
  hub: StreamHub,
  opts: { url: string | null; cluster: string[] | null; prefix: string; security?: RedisSecurity },
  onError: (err: unknown) => void,
): Promise<Fanout> {
  const channel = `${opts.prefix}:decisions`;
  const me = randomUUID();
  const make = () =>
    opts.cluster
      ? new Cluster(
          opts.cluster.map((hp) => ({ host: hp.split(':')[0]!, port: Number(hp.split(':')[1]) })),
          { lazyConnect: true, redisOptions: { ...opts.security } },
        )
      : new Redis(opts.url ?? 'redis://127.0.0.1:6379', {
          lazyConnect: true,
          maxRetriesPerRequest: 1,
          ...opts.security,
        });
  const pub = make();
  const sub = make();
  for (const c of [pub, sub]) c.on('error', onError);
  await Promise.all([pub.connect(), sub.connect()]);
  sub.on('message', (ch: string, raw: string) => {
    if (ch !== channel) return;
    try {
      const { from, d } = JSON.parse(raw) as { from: string; d: StreamDecision };
      if (from !== me) hub.deliver(d);
    } catch (err) {
      onError(err);
    }
  });
  await sub.subscribe(channel);
  return {
    publish(d) {
      hub.deliver(d);
      pub.publish(channel, JSON.stringify({ from: me, d })).catch(onError);
    },
    async close() {
      await Promise.all([sub.quit().catch(() => sub.disconnect()), pub.quit().catch(() => pub.disconnect())]);
    },
  };
}

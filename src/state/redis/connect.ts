import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { coalesceWrites } from './coalesce.js';
import type { RedisStoreOptions } from './redis-store.js';
import type { ScriptCommands } from './scripts.js';

/** A connection (single node or cluster) with the scripts' commands. */
export type Client = (Redis | Cluster) & ScriptCommands;

/** Reconnect with capped exponential backoff: 50 ms, 100 ms, … 2 s. */
const backoff = (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000);

/** The client for the options, not yet connected (lazyConnect). */
export function connect(opts: RedisStoreOptions): Client {
  // fail fast: no offline queue piling up while Redis is away, a command timeout, one retry
  const common: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: opts.commandTimeoutMs ?? 500,
    connectTimeout: opts.connectTimeoutMs ?? 2000,
    retryStrategy: backoff,
    ...opts.security,
  };
  // no auto-pipelining: the writes of a tick are coalesced instead (see coalesce.ts)
  if (opts.cluster && opts.cluster.length > 0) {
    const nodes = opts.cluster.map((hp) => {
      const [host, port] = hp.split(':');
      return { host: host!, port: Number(port ?? 6379) };
    });
    const cluster = new Cluster(nodes, {
      lazyConnect: true,
      enableOfflineQueue: false,
      clusterRetryStrategy: backoff,
      redisOptions: common,
    });
    cluster.on('+node', (node: Redis) => coalesceWrites(node));
    return cluster as Client;
  }
  const client = new Redis(opts.url ?? 'redis://127.0.0.1:6379', common);
  coalesceWrites(client);
  return client as Client;
}

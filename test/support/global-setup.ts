import type { TestProject } from 'vitest/node';
import { ensureInstalled, startRedis, startRedisCluster } from './servers.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    redisCluster: string[];
  }
}

/**
 * Starts the real servers integration tests talk to — a redis-server and a 3-master
 * Redis Cluster on free loopback ports — and stops them when the run ends.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  ensureInstalled();
  const [single, cluster] = await Promise.all([startRedis(), startRedisCluster(3)]);
  project.provide('redisUrl', single.url);
  project.provide('redisCluster', cluster.nodes);
  return async () => {
    await Promise.all([single.stop(), cluster.stop()]);
  };
}

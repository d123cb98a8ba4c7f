import type { TestProject } from 'vitest/node';
import { ensureInstalled, startKafkaMock, startRedis, startRedisCluster } from './servers.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    redisCluster: string[];
    kafkaBrokers: string[];
  }
}

/**
 * Starts the real servers integration tests talk to — a redis-server, a 3-master Redis
 * Cluster and a Kafka-protocol broker (librdkafka's mock cluster) on free loopback ports —
 * and stops them when the run ends.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  ensureInstalled();
  const [single, cluster, kafka] = await Promise.all([startRedis(), startRedisCluster(3), startKafkaMock()]);
  project.provide('redisUrl', single.url);
  project.provide('redisCluster', cluster.nodes);
  project.provide('kafkaBrokers', kafka.brokers);
  return async () => {
    await Promise.all([single.stop(), cluster.stop(), kafka.stop()]);
  };
}

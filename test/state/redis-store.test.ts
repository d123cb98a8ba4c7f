import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createRedisStore, type RedisStoreOptions } from '../../src/state/redis/redis-store.js';
import { deleteByPrefix } from '../support/redis-keys.js';
import { describeStoreContract } from './store-contract.js';

/** A store under its own random prefix whose keys are deleted when it closes. */
async function isolated(opts: RedisStoreOptions) {
  const prefix = `t${randomBytes(4).toString('hex')}`;
  const store = await createRedisStore({ ...opts, prefix, statsRefreshMs: 20 });
  return {
    ...store,
    async close() {
      await deleteByPrefix(store.client, prefix);
      await store.close();
    },
  };
}

describeStoreContract('Redis, single node', (clock) => isolated({ url: inject('redisUrl'), clock }));
describeStoreContract('Redis Cluster, 3 masters', (clock) => isolated({ cluster: inject('redisCluster'), clock }));

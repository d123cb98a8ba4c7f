import { Cluster, type Redis } from 'ioredis';

/** Deletes every key under a prefix, on a single node or on every master of a cluster. */
export async function deleteByPrefix(client: Redis | Cluster, prefix: string): Promise<number> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  let n = 0;
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      for (const k of keys) n += await node.del(k); // one by one: keys of one scan page may span slots
    } while (cursor !== '0');
  }
  return n;
}

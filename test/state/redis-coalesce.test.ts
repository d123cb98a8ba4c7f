import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { coalesceWrites } from '../../src/state/redis/coalesce.js';

/** A coalescing client whose socket writes are counted (chunks per writev). */
async function coalescedClient() {
  const client = new Redis(inject('redisUrl'), { lazyConnect: true });
  coalesceWrites(client);
  await client.connect();
  const writes: number[] = [];
  const socket = client.stream;
  const writev = socket._writev!.bind(socket);
  socket._writev = (chunks, cb) => {
    writes.push(chunks.length);
    writev(chunks, cb);
  };
  return { client, socket, writes };
}

describe('Redis writes coalesced per turn of the event loop', () => {
  it('corks the socket for the rest of the turn: many commands, one write, every reply in order', async () => {
    const { client, socket, writes } = await coalescedClient();
    const key = `coalesce-${process.pid}`;
    const replies = Array.from({ length: 200 }, (_, i) => client.incr(key).then((n) => [i, n]));
    expect(socket.writableCorked).toBe(1);
    const got = await Promise.all(replies);
    expect(socket.writableCorked).toBe(0);
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => [i, i + 1]));
    expect(writes).toEqual([200]);
    await client.del(key);
    client.disconnect();
  });

  it('keeps the socket corked for the rest of the turn: commands from separate callbacks of one turn share the write', async () => {
    const { client, writes } = await coalescedClient();
    // as requests arriving in one poll are handled: one callback each, Node running its
    // next-tick queue and microtasks after every one, the store's command after an await
    const replies = await Promise.all(
      Array.from(
        { length: 20 },
        (_, i) =>
          new Promise<string>((resolve, reject) =>
            setImmediate(async () => {
              await null;
              client.echo(String(i)).then(resolve, reject);
            }),
          ),
      ),
    );
    expect(replies).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    expect(writes).toEqual([20]);
    client.disconnect();
  });

  it('keeps working across a reconnect (a new socket is corked, not the old one)', async () => {
    const client = new Redis(inject('redisUrl'), { lazyConnect: true });
    coalesceWrites(client);
    await client.connect();
    const first = client.stream;
    const admin = new Redis(inject('redisUrl'));
    const id = await client.client('ID');
    await admin.client('KILL', 'ID', String(id));
    await new Promise<void>((r) => client.once('ready', () => r()));
    expect(client.stream).not.toBe(first);
    const pending = Array.from({ length: 50 }, (_, i) => client.echo(String(i)));
    expect(client.stream.writableCorked).toBe(1);
    const replies = await Promise.all(pending);
    expect(replies).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
    admin.disconnect();
    client.disconnect();
  });
});

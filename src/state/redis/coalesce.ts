import type { Redis } from 'ioredis';

/**
 * Coalesces the commands a connection sends within one turn of the event loop into one
 * socket write: the socket is corked from the first command until the loop's check phase
 * (setImmediate), so the decisions of every request that arrived in the same poll — each
 * issuing its command after an await — share one write syscall.
 *
 * Without it every command is a write syscall of its own; ioredis's auto-pipelining
 * batches them too, but its pipelines keep their commands alive well past the reply —
 * long enough to be promoted out of V8's young generation: at 5,000 decisions/s that made
 * every scavenge copy megabytes and pause the event loop for 3–7 ms (docs/state.md,
 * "Talking to Redis"). Corking the socket for the rest of the turn batches the writes and
 * keeps nothing. (Uncorking at process.nextTick batched only one callback's synchronous
 * commands: a write per decision, 12–13 % of the Redis-mode profile; to the check phase,
 * 9 % and about a tenth less CPU per request, bench/README.md.)
 */
export function coalesceWrites(client: Redis): void {
  const send = client.sendCommand.bind(client);
  let corked = false;
  client.sendCommand = ((command, stream) => {
    const socket = client.stream;
    if (!corked && stream === undefined && socket && client.status === 'ready') {
      corked = true;
      socket.cork();
      setImmediate(() => {
        corked = false;
        socket.uncork();
      });
    }
    return send(command, stream);
  }) as Redis['sendCommand'];
}

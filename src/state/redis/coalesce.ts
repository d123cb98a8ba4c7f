import type { Redis } from 'ioredis';

/**
 * Coalesces the commands a connection sends within one tick into one socket write.
 *
 * Without it every command is a write syscall of its own; ioredis's auto-pipelining
 * batches them too, but its pipelines keep their commands alive well past the reply —
 * long enough to be promoted out of V8's young generation: at 5,000 decisions/s that made
 * every scavenge copy megabytes and pause the event loop for 3–7 ms (docs/state.md,
 * "Talking to Redis"). Corking the socket for the rest of the tick batches the writes and
 * keeps nothing.
 */
export function coalesceWrites(client: Redis): void {
  const send = client.sendCommand.bind(client);
  let corked = false;
  client.sendCommand = ((command, stream) => {
    const socket = client.stream;
    if (!corked && stream === undefined && socket && client.status === 'ready') {
      corked = true;
      socket.cork();
      process.nextTick(() => {
        corked = false;
        socket.uncork();
      });
    }
    return send(command, stream);
  }) as Redis['sendCommand'];
}

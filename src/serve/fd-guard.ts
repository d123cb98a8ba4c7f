import { readdirSync, readFileSync } from 'node:fs';
import type { Logger } from '../config/logger.js';

/** What the guard switches: the server's listening socket. */
export interface Acceptor {
  pauseAccepting(): void;
  resumeAccepting(): Promise<boolean>;
}

export interface FdGuard {
  ready(): { ok: boolean; detail: string };
  stop(): void;
}

/** The soft limit on open files of this process, or null where /proc does not say (not Linux). */
export function fdLimit(): number | null {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Open file descriptors of this process; at the limit itself (the count needs one) it is the limit. */
function openFds(limit: number): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return limit;
  }
}

/**
 * Stops accepting connections before the process runs out of file descriptors, and
 * starts again once enough are free. At the limit, a listening socket with connections
 * waiting stays readable while every accept fails (EMFILE), so the event loop would spin a
 * core doing nothing; with the socket closed, new connections are refused (clients and
 * load balancers retry elsewhere) and the connections already open are served as usual.
 * Checks every `intervalMs`; pauses with fewer than `reserve` descriptors left (kept for
 * Redis and Kafka reconnects and rules reads) and resumes with twice that many free.
 */
export function startFdGuard(o: {
  acceptor: Acceptor;
  log: Logger;
  limit: number;
  intervalMs?: number;
  reserve?: number;
}): FdGuard {
  const reserve = o.reserve ?? Math.max(16, Math.floor(o.limit * 0.05));
  const high = o.limit - reserve;
  const low = o.limit - 2 * reserve;
  let paused = false;
  let open = 0;
  let resuming = false;
  const timer = setInterval(() => {
    open = openFds(o.limit);
    if (!paused && open >= high) {
      paused = true;
      o.acceptor.pauseAccepting();
      timer.ref(); // the listening socket kept the process alive; until it is back, this does
      o.log.warn(
        { open, limit: o.limit, resumeBelow: low },
        'near the file-descriptor limit: not accepting connections',
      );
    } else if (paused && open <= low && !resuming) {
      resuming = true;
      void o.acceptor.resumeAccepting().then((ok) => {
        resuming = false;
        if (!ok) return;
        paused = false;
        timer.unref();
        o.log.info({ open, limit: o.limit }, 'file descriptors free again: accepting connections');
      });
    }
  }, o.intervalMs ?? 250);
  timer.unref();
  return {
    ready: () =>
      paused
        ? {
            ok: false,
            detail: `at the file-descriptor limit: ${open} of ${o.limit} open; not accepting connections until at most ${low}`,
          }
        : { ok: true, detail: `${open} of ${o.limit} file descriptors open` },
    stop: () => clearInterval(timer),
  };
}

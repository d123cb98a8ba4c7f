/**
 * Timeouts for many promises that share one duration, from one timer. A `setTimeout` per
 * decision (and the `Promise.race` around it) was measurable CPU on the decision path and
 * filled the timer list with entries that almost never fire. Deadlines of equal duration
 * expire in the order they were set, so a FIFO with one timer armed for its head suffices.
 */
export interface Deadlines {
  /** `p`, or a rejection with `onTimeout()` when `p` has not settled `ms` after the call. */
  wrap<T>(p: Promise<T>): Promise<T>;
  /** Entries still queued (settled ones leave lazily). */
  pending(): number;
}

const NOOP = (): void => {};

interface Entry {
  at: number;
  settled: boolean;
  reject: (err: unknown) => void;
}

export function createDeadlines(
  ms: number,
  onTimeout: () => Error,
  now: () => number = () => performance.now(),
): Deadlines {
  const queue: Entry[] = [];
  let head = 0;
  let timer: NodeJS.Timeout | null = null;

  const arm = (delay: number) => {
    timer = setTimeout(fire, Math.max(1, Math.ceil(delay)));
    timer.unref();
  };
  const fire = () => {
    timer = null;
    const t = now();
    while (head < queue.length) {
      const e = queue[head]!;
      if (!e.settled) {
        if (e.at > t) break;
        e.settled = true;
        e.reject(onTimeout());
      }
      queue[head++] = undefined as never;
    }
    if (head > 1024 && head * 2 > queue.length) {
      queue.splice(0, head);
      head = 0;
    }
    if (head < queue.length) arm(queue[head]!.at - t);
    else {
      queue.length = 0;
      head = 0;
    }
  };

  return {
    wrap<T>(p: Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const e: Entry = { at: now() + ms, settled: false, reject };
        queue.push(e);
        if (timer === null) arm(ms);
        // a settled entry waits in the queue until the timer passes it: it lets go of the
        // promise (and what the promise holds) at once, or every decision's state would
        // outlive a young-generation GC and be promoted
        p.then(
          (v) => {
            if (e.settled) return;
            e.settled = true;
            e.reject = NOOP;
            resolve(v);
          },
          (err: unknown) => {
            if (e.settled) return;
            e.settled = true;
            e.reject = NOOP;
            reject(err);
          },
        );
      });
    },
    pending: () => queue.length - head,
  };
}

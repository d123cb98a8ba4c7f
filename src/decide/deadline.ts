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

/**
 * Deadlines of equal duration, in the order they were set: slot k of the two arrays is the
 * deadline numbered `base + k` — when it passes, and the rejection to call then (null once
 * it settled or timed out). Not an object per deadline: a settled deadline stays queued
 * until the timer passes it (up to `ms`), and objects kept that long outlive young-generation
 * collections at thousands of decisions a second — 70–100 KB more old-generation growth per
 * scavenge in the decision loop (bench/README.md, ninth pass), garbage that brings full
 * collections sooner. A double and an emptied slot are what a settled deadline keeps; the
 * arrays are reused once the queue empties.
 */
export function createDeadlines(
  ms: number,
  onTimeout: () => Error,
  now: () => number = () => performance.now(),
): Deadlines {
  const ats: number[] = [];
  const rejects: Array<((err: unknown) => void) | null> = [];
  /** The first slot still queued, and one past the last. */
  let head = 0;
  let tail = 0;
  /** The number of the deadline in slot 0. */
  let base = 0;
  let timer: NodeJS.Timeout | null = null;

  const arm = (delay: number) => {
    timer = setTimeout(fire, Math.max(1, Math.ceil(delay)));
    timer.unref();
  };
  const fire = () => {
    timer = null;
    const t = now();
    while (head < tail) {
      const reject = rejects[head];
      if (reject !== null) {
        if (ats[head]! > t) break;
        rejects[head] = null;
        reject!(onTimeout());
      }
      head++;
    }
    if (head === tail) {
      // empty: the arrays are written from slot 0 again
      base += head;
      head = tail = 0;
    } else if (head > 1024 && head * 2 > tail) {
      ats.copyWithin(0, head, tail);
      rejects.copyWithin(0, head, tail);
      rejects.fill(null, tail - head, tail);
      base += head;
      tail -= head;
      head = 0;
    }
    if (head < tail) arm(ats[head]! - t);
  };

  /** Empties deadline `n`'s slot; false when it already settled or timed out. */
  const settle = (n: number): boolean => {
    const k = n - base;
    if (k < head || k >= tail || rejects[k] === null) return false;
    rejects[k] = null;
    return true;
  };

  return {
    wrap<T>(p: Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const n = base + tail;
        if (tail === ats.length) {
          ats.push(now() + ms);
          rejects.push(reject);
        } else {
          ats[tail] = now() + ms;
          rejects[tail] = reject;
        }
        tail++;
        if (timer === null) arm(ms);
        // settled, the slot lets go of the promise's rejection (and what it holds) at once; the
        // slot itself waits for the timer
        p.then(
          (v) => {
            if (settle(n)) resolve(v);
          },
          (err: unknown) => {
            if (settle(n)) reject(err);
          },
        );
      });
    },
    pending: () => tail - head,
  };
}

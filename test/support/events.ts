import type { ValidEvent } from '../../src/events/types.js';

export const T0 = Date.parse('2026-11-23T09:00:00Z');
export const MIN = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

let seq = 0;

/** A valid event at `tMs` (default T0); ids are unique unless given. */
export function ev(
  customerId: string,
  type: string,
  data: Record<string, unknown> = {},
  tMs = T0,
  id?: string,
): ValidEvent {
  return {
    id: id ?? `e-${++seq}-${Math.random().toString(36).slice(2, 8)}`,
    type,
    customerId,
    time: new Date(tMs).toISOString(),
    timeMs: tMs,
    data,
  };
}

/** A clock tests move by hand. */
export function manualClock(start = T0) {
  let now = start;
  return {
    now: () => now,
    set(t: number) {
      now = t;
    },
    advance(ms: number) {
      now += ms;
    },
  };
}

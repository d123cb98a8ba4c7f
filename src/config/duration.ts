/** Durations as rules write them: `15m`, `12h`, `30d`. */

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export const MAX_WINDOW_MS = 400 * UNIT_MS.d;

/** Milliseconds of a duration, or an error message naming what is wrong. */
export function parseDuration(text: unknown): { ms: number } | { error: string } {
  if (typeof text !== 'string') return { error: 'must be a duration such as "15m", "12h" or "30d"' };
  const m = /^([1-9][0-9]{0,5})([mhd])$/.exec(text);
  if (!m) return { error: `"${text}" is not a duration such as "15m", "12h" or "30d"` };
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  if (ms > MAX_WINDOW_MS) return { error: `"${text}" is longer than the longest window, 400d` };
  return { ms };
}

/** Bucket sizes a window may be kept at, finest first. */
export const BUCKET_SIZES_MS = [60_000, 300_000, 3_600_000, 86_400_000, 7 * 86_400_000] as const;
/** A window spans at most this many buckets. */
export const MAX_BUCKETS_PER_WINDOW = 200;

/**
 * The bucket size a window is kept at: the finest of 1m, 5m, 1h, 1d, 7d at which the
 * window spans at most 200 buckets. So 1h → 1m, 12h → 5m, 7d → 1h, 30d/90d → 1d,
 * 365d → 7d. A windowed value counts every event in the window and, at most, events up
 * to one bucket older.
 */
export function bucketSizeFor(windowMs: number): number {
  for (const size of BUCKET_SIZES_MS) if (windowMs / size <= MAX_BUCKETS_PER_WINDOW) return size;
  return BUCKET_SIZES_MS[BUCKET_SIZES_MS.length - 1]!;
}

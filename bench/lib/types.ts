/** One measured number, with the baseline it is compared to in the same run. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** What it is compared with (another engine or server in the same run), if anything. */
  baseline: string | null;
  baselineValue: number | null;
  /** value / baselineValue (or the inverse for "lower is better" units, as the budget says). */
  ratio: number | null;
  /** The budget in words, e.g. "ratio ≥ 0.5" or "p99 ≤ 25 ms"; null when only reported. */
  budget: string | null;
  met: boolean | null;
  note?: string;
  /** Markdown that a full run puts in docs/benchmarks.md as a section of its own (a scenario's detailed table). */
  detail?: string;
}

export interface BenchContext {
  quick: boolean;
  /** A redis-server for this run (URL). */
  redisUrl: string;
  kafkaBrokers: string[];
  log(line: string): void;
}

export interface Scenario {
  name: string;
  run(ctx: BenchContext): Promise<BenchResult[]>;
}

/** A result with a ratio and a minimum budget on it. */
export function ratioResult(
  name: string,
  value: number,
  unit: string,
  baseline: string,
  baselineValue: number,
  minRatio: number | null,
  note?: string,
): BenchResult {
  const ratio = value / baselineValue;
  return {
    name,
    value,
    unit,
    baseline,
    baselineValue,
    ratio,
    budget: minRatio === null ? null : `ratio ≥ ${minRatio}`,
    met: minRatio === null ? null : ratio >= minRatio,
    ...(note ? { note } : {}),
  };
}

/** Operations per second of `fn`, run for about `ms` after a warm-up. */
export function opsPerSecond(fn: (i: number) => unknown, ms: number): number {
  let sink = 0;
  const warm = performance.now() + Math.min(300, ms / 3);
  let i = 0;
  while (performance.now() < warm) if (fn(i++)) sink++;
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < ms) {
    for (let k = 0; k < 100; k++) if (fn(n++)) sink++;
  }
  const secs = (performance.now() - start) / 1000;
  if (sink < 0) throw new Error('unreachable');
  return n / secs;
}

/**
 * Ops/s once the rate has settled. V8 optimizes a function only after it has run many
 * times, and a catalog of 2,000 generated functions takes thousands of passes to get there
 * (measured: the first windows ran at a tenth of the settled rate, with plateaus on the
 * way). So: `warmOps` calls first (at most half of `maxMs`), then windows of `windowMs`
 * until two in a row agree within 5 %, or `maxMs` has passed; the last window counts.
 */
export function steadyOpsPerSecond(fn: (i: number) => unknown, windowMs: number, maxMs: number, warmOps = 0): number {
  const start = performance.now();
  let sink = 0;
  for (let i = 0; i < warmOps && performance.now() - start < maxMs / 2; i++) if (fn(i)) sink++;
  if (sink < 0) throw new Error('unreachable');
  let prev = opsPerSecond(fn, windowMs);
  for (;;) {
    const cur = opsPerSecond(fn, windowMs);
    if (Math.abs(cur - prev) <= 0.05 * cur || performance.now() - start > maxMs) return cur;
    prev = cur;
  }
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

/** First delay before a crashed consumer is restarted. */
export const RESTART_INITIAL_MS = 500;
/** Longest delay between restarts. */
export const RESTART_MAX_MS = 30_000;

/**
 * Delay before restart number `attempt` (0-based): 0.5 s doubling up to 30 s, with ±20 %
 * jitter so that instances that crashed together (a broker restart) do not rejoin in step.
 */
export function restartDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(RESTART_MAX_MS, RESTART_INITIAL_MS * 2 ** Math.min(attempt, 16));
  return Math.round(base * (0.8 + 0.4 * random()));
}

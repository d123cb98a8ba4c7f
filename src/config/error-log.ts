import { NboError } from '../errors/codes.js';
import type { Logger } from './logger.js';

/** How often repeated expected errors are summarised. */
export const ERROR_LOG_INTERVAL_MS = 10_000;

export interface ErrorLog {
  /** Logs an error a request or background task ended with. */
  report(err: unknown): void;
  /** Logs the counts not yet logged (on shutdown). */
  flush(): void;
}

/**
 * Logs errors without flooding: an expected, retriable failure (a retriable NboError such
 * as NBO_ERR_STORE_UNAVAILABLE while Redis is down) is logged at its first occurrence,
 * without a stack, and then once per interval with the count of occurrences since — each
 * line carries `code` and `count`, so the counts add up to every occurrence. Anything
 * else is a bug and is logged every time with its stack.
 */
export function createErrorLog(log: Logger, msg: string, intervalMs = ERROR_LOG_INTERVAL_MS): ErrorLog {
  const pending = new Map<string, { count: number; last: string; timer: NodeJS.Timeout }>();

  const emit = (code: string) => {
    const p = pending.get(code);
    if (!p) return;
    clearTimeout(p.timer);
    pending.delete(code);
    if (p.count > 0)
      log.warn({ code, count: p.count, err: p.last, intervalS: intervalMs / 1000 }, `${msg}: ${p.count} more like it`);
  };

  return {
    report(err) {
      if (!(err instanceof NboError) || !err.retriable || err.code === 'NBO_ERR_INTERNAL') {
        log.error({ err }, msg);
        return;
      }
      const p = pending.get(err.code);
      if (p) {
        p.count++;
        p.last = err.message;
        return;
      }
      log.warn(
        { code: err.code, count: 1, err: err.message },
        `${msg} (repeats are counted, logged every ${intervalMs / 1000} s)`,
      );
      const timer = setTimeout(() => emit(err.code), intervalMs);
      timer.unref();
      pending.set(err.code, { count: 0, last: err.message, timer });
    },
    flush() {
      for (const code of [...pending.keys()]) emit(code);
    },
  };
}

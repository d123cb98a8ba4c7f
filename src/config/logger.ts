import { pino, type Logger } from 'pino';
import type { Config } from './config.js';

/** Structured JSON logs on stdout. Secrets and customer payloads are never logged at info. */
export function createLogger(level: Config['logLevel']): Logger {
  return pino({ level, base: { service: 'nbo' }, redact: ['*.password', '*.secret', '*.authorization'] });
}

export type { Logger };

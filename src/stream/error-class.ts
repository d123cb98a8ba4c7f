import { NboError, type ErrorCode } from '../errors/codes.js';

/**
 * What a failure to process a chunk of messages means for the consumer:
 * - `content`: the messages themselves cannot be processed (a non-retriable NboError such
 *   as invalid or unstorable data, or the parser / validator running out of stack on a
 *   deeply nested value). Retrying cannot help; the message that causes it is isolated
 *   and dead-lettered, and the partition moves on.
 * - `unavailable`: a dependency (the state store) is down or slow — retriable. The
 *   partition is paused and rewound; nothing is committed.
 * - `crash`: anything else (a broken broker connection, a bug). The consumer crashes and
 *   is restarted with backoff; the uncommitted messages are delivered again.
 */
export type ErrorClass =
  | { kind: 'content'; code: ErrorCode; message: string }
  | { kind: 'unavailable'; message: string }
  | { kind: 'crash' };

/** Errors the JavaScript engine raises on hostile content: stack overflow, a string or array too long, unparsable text. */
const CONTENT_ENGINE_ERRORS = new Set(['RangeError', 'SyntaxError']);

export function classifyError(err: unknown): ErrorClass {
  if (err instanceof NboError) {
    return err.retriable
      ? { kind: 'unavailable', message: err.message }
      : { kind: 'content', code: err.code, message: err.message };
  }
  if (err instanceof Error && CONTENT_ENGINE_ERRORS.has(err.name)) {
    return { kind: 'content', code: 'NBO_ERR_EVENT_UNPROCESSABLE', message: `${err.name}: ${err.message}` };
  }
  return { kind: 'crash' };
}

import { randomFillSync, randomUUID } from 'node:crypto';

/** Who a request is, for logs and replies: its request id and its W3C trace context. */
export interface RequestTrace {
  /** The caller's `X-Request-Id` when it is a valid one, else a fresh UUID. */
  requestId: string;
  /** 32 hex: the caller's trace when its `traceparent` is valid, else a new trace. */
  traceId: string;
  /** 16 hex: NBO's own span for this request. */
  spanId: string;
  /** The caller's span (the `parent-id` of its traceparent), null when it sent none. */
  parentSpanId: string | null;
  /** `traceparent` naming NBO's span, sent back in the reply and with decisions. */
  traceparent: string;
}

const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * Reads `X-Request-Id` and `traceparent` (W3C Trace Context level 1). An absent or invalid
 * value is replaced, never refused: a request id of 1–128 letters, digits and `._:@/+=-`
 * is kept; a traceparent whose version is `ff`, whose ids are all zeros, or whose version
 * 00 form has trailing data starts a new trace, as the spec says a receiver must.
 */
export function requestTrace(rawRequestId: string, rawTraceparent: string): RequestTrace {
  const requestId = REQUEST_ID.test(rawRequestId) ? rawRequestId : randomUUID();
  const m = TRACEPARENT.exec(rawTraceparent.trim().toLowerCase());
  const valid =
    m !== null && m[1] !== 'ff' && !(m[1] === '00' && m[5] !== undefined) && !/^0+$/.test(m[2]!) && !/^0+$/.test(m[3]!);
  const traceId = valid ? m[2]! : randomHex(16);
  const spanId = randomHex(8);
  // sampled flag carried on; other flag bits of a future version are not ours to repeat
  const flags = valid ? (parseInt(m[4]!, 16) & 1 ? '01' : '00') : '00';
  return {
    requestId,
    traceId,
    spanId,
    parentSpanId: valid ? m[3]! : null,
    traceparent: `00-${traceId}-${spanId}-${flags}`,
  };
}

// ids are drawn from a pool of random bytes refilled 4 KiB at a time: one call into the
// CSPRNG per few hundred requests instead of two per request (what randomUUID does too)
const pool = Buffer.alloc(4096);
let used = pool.length;

function randomHex(bytes: number): string {
  if (used + bytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  used += bytes;
  return pool.toString('hex', used - bytes, used);
}

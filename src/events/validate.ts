import { Ajv, type ErrorObject } from 'ajv';
import { ajvIssue, pointerToPath } from '../errors/json-path.js';
import eventSchema from './schemas/event.schema.json' with { type: 'json' };
import {
  checkPayload,
  DEFAULT_LIMITS,
  isWellFormed,
  LIMITS_CHECKED,
  MAX_DEPTH_CEILING,
  type InputLimits,
} from './limits.js';
import { DEFAULT_TRIGGERS, type ValidEvent } from './types.js';
import { ownCopy } from './json-copy.js';

/** One reason an event was refused, with the JSON path of the offending field. */
export interface EventError {
  path: string;
  message: string;
}

export type EventCheck = { ok: true; event: ValidEvent } | { ok: false; errors: EventError[] };

export interface EventValidatorOptions {
  /** Event types that trigger a decision; they must carry `channel`. Default checkout, claim. */
  triggers?: Iterable<string>;
  /** How far ahead of the clock an event time may be (clock skew). Default 24 h. */
  maxFutureMs?: number;
  /** Depth, string, key and basket limits on `data` (see limits.ts). Default DEFAULT_LIMITS. */
  limits?: Readonly<InputLimits>;
  clock?: () => number;
}

export { eventSchema };

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validateShape = ajv.compile(eventSchema);
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

function toEventError(e: ErrorObject): EventError | null {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'if':
      return null; // the failing "then" is reported on its own
    case 'enum':
      return {
        path: pointerToPath(e.instancePath),
        message: `must be one of: ${(p.allowedValues as unknown[]).join(', ')}`,
      };
    case 'propertyNames':
      return { path: pointerToPath(e.instancePath), message: `"${String(p.propertyName)}" is not an allowed key` };
    default:
      if (e.propertyName !== undefined) return null;
      return ajvIssue(e, 'is not a field of an event');
  }
}

/**
 * Builds the validator every event passes before it touches state, whichever way it
 * came in. Checks the shape (JSON Schema, compiled), the built-in types' `data`, that
 * `time` is an ISO-8601 time with a zone and not too far ahead, and that a trigger
 * event carries `channel`, and that `data` keeps within the input limits (depth, string
 * and key length, lone surrogates, basket size). Returns every error, each with its path.
 */
export function createEventValidator(opts: EventValidatorOptions = {}): (input: unknown) => EventCheck {
  const triggers = new Set(opts.triggers ?? DEFAULT_TRIGGERS);
  const maxFutureMs = opts.maxFutureMs ?? 86_400_000;
  const clock = opts.clock ?? Date.now;
  const limits = opts.limits ?? DEFAULT_LIMITS;
  // the stores trust the mark only as far as their own ceiling
  const marks = limits.maxDepth <= MAX_DEPTH_CEILING;
  return (input) => {
    const errors: EventError[] = [];
    if (!validateShape(input)) {
      for (const e of validateShape.errors ?? []) {
        const err = toEventError(e);
        if (err && !errors.some((x) => x.path === err.path && x.message === err.message)) errors.push(err);
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) return { ok: false, errors };
    }
    const ev = input as ValidEvent;
    if (typeof ev.id === 'string' && !isWellFormed(ev.id))
      errors.push({ path: '$.id', message: 'holds a lone UTF-16 surrogate (not valid Unicode)' });
    if (typeof ev.data === 'object' && ev.data !== null && !Array.isArray(ev.data))
      errors.push(...checkPayload(ev.data, '$.data', limits));
    let timeMs = NaN;
    if (typeof ev.time === 'string') {
      timeMs = ISO_WITH_ZONE.test(ev.time) ? Date.parse(ev.time) : NaN;
      if (!Number.isFinite(timeMs))
        errors.push({ path: '$.time', message: 'must be an ISO-8601 time with a zone, e.g. 2026-11-23T09:15:00Z' });
      else if (timeMs > clock() + maxFutureMs)
        errors.push({ path: '$.time', message: `is more than ${Math.round(maxFutureMs / 3_600_000)} h in the future` });
    }
    if (typeof ev.type === 'string' && triggers.has(ev.type) && ev.channel === undefined) {
      errors.push({
        path: '$.channel',
        message: `is required on a "${ev.type}" event: it triggers a decision for that channel`,
      });
    }
    if (errors.length > 0) return { ok: false, errors };
    // not `{ ...ev, timeMs }`: a hidden class of its own per event, in the old generation (json-copy.ts)
    const event = ownCopy(ev);
    event.timeMs = timeMs;
    if (marks) Object.defineProperty(event, LIMITS_CHECKED, { value: true });
    return { ok: true, event };
  };
}

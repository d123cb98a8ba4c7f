import { checkValue, isWellFormed, LIMITS_CHECKED, MAX_DEPTH_CEILING, type InputLimits } from '../events/limits.js';
import type { ValidEvent } from '../events/types.js';
import type { StoreRejection } from './types.js';

/** Only what storing needs: Unicode that survives UTF-8, and nesting a recursive copy survives. */
const STORE_LIMITS: Readonly<InputLimits> = Object.freeze({
  maxDepth: MAX_DEPTH_CEILING,
  maxStringLength: Number.POSITIVE_INFINITY,
  maxKeyLength: Number.POSITIVE_INFINITY,
  maxBasketItems: Number.POSITIVE_INFINITY,
  maxBasketCategories: Number.POSITIVE_INFINITY,
});

/**
 * Why a store cannot keep an event, or null when it can. Validation at the edge refuses
 * all of this earlier (with tighter, configured limits); the stores check again so that
 * nothing that would break a read later is ever stored, whoever calls them. An event
 * straight from the validator is not walked twice.
 */
export function unstorable(ev: ValidEvent, index: number): StoreRejection | null {
  if ((ev as { [LIMITS_CHECKED]?: true })[LIMITS_CHECKED]) return null; // the validator walked it already
  for (const f of ['id', 'customerId'] as const) {
    if (!isWellFormed(ev[f]))
      return {
        index,
        code: 'NBO_ERR_EVENT_INVALID',
        path: `$.${f}`,
        message: 'holds a lone UTF-16 surrogate (not valid Unicode)',
      };
  }
  if (ev.data === undefined) return null;
  const [err] = checkValue(ev.data, '$.data', STORE_LIMITS);
  return err ? { index, code: 'NBO_ERR_EVENT_INVALID', path: err.path, message: err.message } : null;
}

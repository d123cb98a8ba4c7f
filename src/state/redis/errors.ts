import { NboError } from '../../errors/codes.js';

/** What the scripts' negative return codes mean. */
const SCRIPT_CODES: Record<number, string> = {
  [-1]: 'the batch sent to the apply script is not valid JSON',
  [-2]: 'stored offer history cannot be decoded',
};

/** A script's negative code as an error (`about`: whose data, when known). */
export function scriptError(code: number, script: string, about?: string): NboError {
  return new NboError(
    'NBO_ERR_STORE_DATA',
    `${script}: ${about ? `${about}: ` : ''}${SCRIPT_CODES[code] ?? `failed with code ${code}`}`,
  );
}

/** A script's negative code → an error; anything else passes through. */
export function checkScriptResult<T>(result: T | number, script: string): T {
  if (typeof result === 'number' && result < 0) throw scriptError(result, script);
  return result as T;
}

/**
 * Maps a client error to NBO's: connection trouble and timeouts are retriable
 * `NBO_ERR_STORE_UNAVAILABLE` ("Redis unavailable"); a script error is `NBO_ERR_STORE_DATA`
 * ("bad data"), so the caller can tell the two apart.
 */
export function storeError(err: unknown): NboError {
  if (err instanceof NboError) return err;
  const e = err as Error & { name?: string };
  const msg = e?.message ?? String(err);
  if (/ERR .*script|user_script|WRONGTYPE/i.test(msg))
    return new NboError('NBO_ERR_STORE_DATA', `redis: ${msg}`, { cause: err });
  return new NboError('NBO_ERR_STORE_UNAVAILABLE', `redis unavailable: ${msg}`, { cause: err });
}

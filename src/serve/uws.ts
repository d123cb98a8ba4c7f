import { createRequire } from 'node:module';
import { NboError } from '../errors/codes.js';

type UWS = typeof import('uWebSockets.js');

/**
 * Loads uWebSockets.js's native binary for this platform and Node ABI directly. The
 * package's own loader falls back silently to a slow JavaScript implementation when the
 * binary does not load; NBO refuses to start instead.
 */
export function loadUws(): UWS {
  const require = createRequire(import.meta.url);
  const pkgDir = require.resolve('uWebSockets.js/package.json').replace(/package\.json$/, '');
  const binary = `${pkgDir}binaries/uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  try {
    return require(binary) as UWS;
  } catch (err) {
    throw new NboError(
      'NBO_ERR_CONFIG_INVALID',
      `uWebSockets.js native binary did not load (${binary}): ${(err as Error).message}. ` +
        `NBO needs it and will not run on the slow fallback; use Node 20 on glibc ≥ 2.36 (${process.platform}/${process.arch}, ABI ${process.versions.modules}).`,
      { cause: err },
    );
  }
}

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { NboError } from '../errors/codes.js';

type UWS = typeof import('uWebSockets.js');

/** Node major version of each native-module ABI (process.versions.modules). */
const NODE_OF_ABI: Record<string, string> = {
  '93': '16',
  '108': '18',
  '115': '20',
  '120': '21',
  '127': '22',
  '131': '23',
  '137': '24',
  '141': '25',
};

/**
 * Loads uWebSockets.js's native binary for this platform and Node ABI directly. The
 * package's own loader falls back silently to a slow JavaScript implementation when the
 * binary does not load; NBO refuses to start instead, saying which Node and ABI it runs
 * on and which ones the installed build has binaries for (docs/deploy.md#node-versions).
 * `load` is the loader (replaced in tests to simulate a failure).
 */
export function loadUws(load: (path: string) => unknown = createRequire(import.meta.url)): UWS {
  const require = createRequire(import.meta.url);
  const pkgDir = require.resolve('uWebSockets.js/package.json').replace(/package\.json$/, '');
  const platform = `${process.platform}_${process.arch}`;
  const abi = process.versions.modules;
  const binary = `${pkgDir}binaries/uws_${platform}_${abi}.node`;
  try {
    return load(binary) as UWS;
  } catch (err) {
    throw new NboError('NBO_ERR_RUNTIME_UNSUPPORTED', uwsLoadFailure(pkgDir, binary, err), { cause: err });
  }
}

/** Why the binary did not load, and what would run. */
function uwsLoadFailure(pkgDir: string, binary: string, err: unknown): string {
  const abi = process.versions.modules;
  const platform = `${process.platform}_${process.arch}`;
  let version = '?';
  try {
    version = (JSON.parse(readFileSync(`${pkgDir}package.json`, 'utf8')) as { version: string }).version;
  } catch {
    // the version only decorates the message
  }
  let abis: string[] = [];
  try {
    abis = readdirSync(`${pkgDir}binaries`)
      .map((f) => new RegExp(`^uws_${platform}_(\\d+)\\.node$`).exec(f)?.[1])
      .filter((a): a is string => a !== undefined)
      .sort((a, b) => Number(a) - Number(b));
  } catch {
    // no binaries folder: reported as none
  }
  const has = abis.length > 0 ? abis.map((a) => `${a} (Node ${NODE_OF_ABI[a] ?? '?'})`).join(', ') : 'none';
  const why = existsSync(binary)
    ? `its binary for this ABI exists but did not load: ${(err as Error).message.split('\n')[0]} (a "GLIBC_2.xx not found" means the C library is older than the binary needs)`
    : `it has no binary for this ABI`;
  return (
    `NBO cannot serve on Node ${process.version} (native-module ABI ${abi}, ${platform}): uWebSockets.js ${version} ` +
    `has binaries for ABI ${has}, and ${why}. Run NBO on Node 20 (glibc ≥ 2.36, e.g. Debian 12); see docs/deploy.md#node-versions.`
  );
}

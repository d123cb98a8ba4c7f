import { readFileSync } from 'node:fs';
import type { RedisOptions } from 'ioredis';
import { NboError } from '../errors/codes.js';

/** Where the Redis password and the TLS CA come from (NBO_REDIS_PASSWORD_FILE, NBO_REDIS_TLS_CA_FILE). */
export interface RedisSecurityConfig {
  passwordFile?: string | null;
  tlsCaFile?: string | null;
}

/** What every Redis connection NBO opens adds to its options: the password and TLS. */
export type RedisSecurity = Pick<RedisOptions, 'password' | 'tls'>;

function readMounted(variable: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new NboError(
      'NBO_ERR_CONFIG_INVALID',
      `invalid configuration:\n  ${variable}="${file}" cannot be read (${code})`,
      { details: [`${variable} cannot be read`], cause: err },
    );
  }
}

/**
 * Reads the Redis password and TLS CA from their files (mounted Secrets), once at start:
 * the options every connection to Redis (store, fan-out) is built with. A file that cannot
 * be read, an empty password or a CA file without a PEM certificate fails with
 * NBO_ERR_CONFIG_INVALID naming the variable; the password itself is never in a message.
 */
export function readRedisSecurity(cfg: RedisSecurityConfig): RedisSecurity {
  const out: RedisSecurity = {};
  if (cfg.passwordFile) {
    // a Secret made with `echo … > file` ends in a newline that is not part of the password
    const password = readMounted('NBO_REDIS_PASSWORD_FILE', cfg.passwordFile).replace(/\r?\n$/, '');
    if (password === '')
      throw new NboError(
        'NBO_ERR_CONFIG_INVALID',
        `invalid configuration:\n  NBO_REDIS_PASSWORD_FILE="${cfg.passwordFile}" is empty`,
      );
    out.password = password;
  }
  if (cfg.tlsCaFile) {
    const ca = readMounted('NBO_REDIS_TLS_CA_FILE', cfg.tlsCaFile);
    if (!ca.includes('-----BEGIN CERTIFICATE-----'))
      throw new NboError(
        'NBO_ERR_CONFIG_INVALID',
        `invalid configuration:\n  NBO_REDIS_TLS_CA_FILE="${cfg.tlsCaFile}" holds no PEM certificate`,
      );
    out.tls = { ca };
  }
  return out;
}

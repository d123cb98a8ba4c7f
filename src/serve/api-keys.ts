import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import YAML from 'yaml';
import { NboError } from '../errors/codes.js';
import { CHANNEL } from '../events/vocabulary.js';

export const SCOPES = ['decide', 'events', 'read', 'stream', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** One API key as the keys file holds it: never the secret, only its SHA-256. */
export interface ApiKey {
  id: string;
  scopes: ReadonlySet<Scope>;
  /** Channels it may decide for or subscribe to; null = all. */
  channels: ReadonlySet<string> | null;
}

export interface KeyRing {
  /** The key a bearer secret belongs to, or null. */
  authenticate(secret: string | undefined | null): ApiKey | null;
  size: number;
}

const keysSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['id', 'sha256', 'scopes'],
    additionalProperties: false,
    properties: {
      id: { type: 'string', minLength: 1, maxLength: 64 },
      sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
      scopes: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...SCOPES] } },
      channels: { type: 'array', minItems: 1, items: { type: 'string', pattern: CHANNEL } },
    },
  },
} as const;
const validate = new Ajv({ allErrors: true }).compile(keysSchema);

export function sha256Hex(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Loads and checks `NBO_API_KEYS_FILE` (YAML or JSON); every problem in one error. */
export function loadKeyRing(file: string): KeyRing {
  let doc: unknown;
  try {
    doc = YAML.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new NboError('NBO_ERR_CONFIG_INVALID', `NBO_API_KEYS_FILE ${file}: ${(err as Error).message}`);
  }
  if (!validate(doc)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
    throw new NboError('NBO_ERR_CONFIG_INVALID', `NBO_API_KEYS_FILE ${file}: ${problems.join('; ')}`, {
      details: problems,
    });
  }
  const entries = doc as Array<{ id: string; sha256: string; scopes: Scope[]; channels?: string[] }>;
  const ids = new Set<string>();
  const hashes = new Map<string, string>();
  for (const e of entries) {
    if (ids.has(e.id))
      throw new NboError('NBO_ERR_CONFIG_INVALID', `NBO_API_KEYS_FILE ${file}: duplicate key id "${e.id}"`);
    ids.add(e.id);
    // one secret could only ever be one of the two keys: which scopes would it get?
    const other = hashes.get(e.sha256);
    if (other !== undefined)
      throw new NboError(
        'NBO_ERR_CONFIG_INVALID',
        `NBO_API_KEYS_FILE ${file}: keys "${other}" and "${e.id}" have the same sha256 (${e.sha256}); each key needs its own secret`,
      );
    hashes.set(e.sha256, e.id);
  }
  const byHash = new Map<string, ApiKey>(
    entries.map((e) => [
      e.sha256,
      { id: e.id, scopes: new Set(e.scopes), channels: e.channels ? new Set(e.channels) : null },
    ]),
  );
  return {
    size: byHash.size,
    authenticate(secret) {
      if (!secret) return null;
      // looked up by SHA-256: timing can only tell an attacker about hashes, not secrets
      return byHash.get(sha256Hex(secret)) ?? null;
    },
  };
}

/** A fresh secret and the keys-file entry for it (`nbo keys new`). */
export function newKey(
  id: string,
  scopes: Scope[],
  channels: string[] | null,
): { secret: string; entry: Record<string, unknown> } {
  const secret = `nbo_${randomBytes(32).toString('base64url')}`;
  return { secret, entry: { id, sha256: sha256Hex(secret), scopes, ...(channels ? { channels } : {}) } };
}

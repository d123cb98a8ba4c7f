import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadKeyRing, sha256Hex } from '../../src/serve/api-keys.js';

function file(entries: unknown[]): string {
  const f = join(mkdtempSync(join(tmpdir(), 'nbo-keys-')), 'keys.yaml');
  writeFileSync(f, JSON.stringify(entries));
  return f;
}

describe('keys file', () => {
  it('two keys with the same sha256 are refused, naming both ids and the hash', () => {
    const h = sha256Hex('one-secret');
    const f = file([
      { id: 'pos-gw', sha256: h, scopes: ['decide'] },
      { id: 'ops', sha256: sha256Hex('another'), scopes: ['read'] },
      { id: 'admin', sha256: h, scopes: ['admin'] },
    ]);
    expect(() => loadKeyRing(f)).toThrowError(
      expect.objectContaining({
        code: 'NBO_ERR_CONFIG_INVALID',
        message: expect.stringContaining(`keys "pos-gw" and "admin" have the same sha256 (${h})`),
      }),
    );
  });

  it('distinct keys load, and each secret finds its own key', () => {
    const f = file([
      { id: 'pos-gw', sha256: sha256Hex('s1'), scopes: ['decide'] },
      { id: 'ops', sha256: sha256Hex('s2'), scopes: ['read'] },
    ]);
    const ring = loadKeyRing(f);
    expect(ring.size).toBe(2);
    expect(ring.authenticate('s2')?.id).toBe('ops');
    expect(ring.authenticate('s3')).toBeNull();
  });
});

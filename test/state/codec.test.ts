import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { distinctHash, seenId } from '../../src/state/redis/codec.js';

describe('Redis codec — ids stored before an upgrade still match', () => {
  it('seen ids and distinct keys are the SHA-1 prefixes they always were (dedupe across versions)', () => {
    for (const id of ['e-1', 'a much longer event id with spaces and ünïcode', '']) {
      expect(seenId(id)).toBe(createHash('sha1').update(id).digest('base64url').slice(0, 10));
    }
    expect(distinctHash('s-1')).toBe(createHash('sha1').update('s:s-1').digest('base64url').slice(0, 8));
    expect(distinctHash(1)).not.toBe(distinctHash('1'));
  });
});

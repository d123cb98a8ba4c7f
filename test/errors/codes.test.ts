import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, NboError, type ErrorCode } from '../../src/errors/codes.js';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const rows = [...doc.matchAll(/^\| `(NBO_ERR_[A-Z_]+)` \| (\d{3}) \| (yes|no) \|/gm)].map((m) => ({
  code: m[1]!,
  status: Number(m[2]),
  retriable: m[3] === 'yes',
}));

describe('error codes', () => {
  it('every code is documented once in docs/errors.md, with its status and retriable flag', () => {
    const codes = Object.keys(ERROR_CODES);
    expect(rows.map((r) => r.code).sort()).toEqual([...codes].sort());
    expect(new Set(rows.map((r) => r.code)).size).toBe(rows.length);
    for (const r of rows)
      expect({
        status: ERROR_CODES[r.code as ErrorCode].status,
        retriable: ERROR_CODES[r.code as ErrorCode].retriable,
      }).toEqual({ status: r.status, retriable: r.retriable });
  });

  it('an NboError carries its code, status and retriable flag', () => {
    const e = new NboError('NBO_ERR_STORE_UNAVAILABLE', 'redis is down', { details: { host: 'x' } });
    expect(e).toMatchObject({
      code: 'NBO_ERR_STORE_UNAVAILABLE',
      status: 503,
      retriable: true,
      message: 'redis is down',
      details: { host: 'x' },
    });
    expect(new NboError('NBO_ERR_BODY_INVALID').message).toBe('the request body is invalid');
  });
});

describe('docs', () => {
  it('docs/rules.md documents every custom operator', async () => {
    const { CUSTOM_OPERATORS } = await import('../../src/jsonlogic/operators.js');
    const rules = readFileSync(new URL('../../docs/rules.md', import.meta.url), 'utf8');
    for (const op of Object.keys(CUSTOM_OPERATORS)) expect(rules).toContain(`| \`${op}\` |`);
  });
});

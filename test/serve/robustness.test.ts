import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, post, startTestService } from '../support/service.js';

describe('bad requests', () => {
  let svc: Awaited<ReturnType<typeof startTestService>>;
  beforeAll(async () => {
    svc = await startTestService();
  });
  afterAll(async () => {
    await svc.stop();
  });

  it('property — any JSON body gets a 2xx or a 4xx problem, never a 5xx, and the server stays up', async () => {
    const field = fc.constantFrom(
      'id',
      'type',
      'customerId',
      'time',
      'channel',
      'data',
      'trigger',
      'context',
      'limit',
      'explain',
      '__proto__',
      'constructor',
    );
    const anyValue = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.constantFrom(
        'checkout',
        'claim',
        'pos',
        'c-1',
        '2026-11-23T09:00:00Z',
        'offer_response',
        'profile',
        -1,
        1e308,
        '',
      ),
    );
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.dictionary(field, anyValue),
      fc.array(fc.dictionary(field, anyValue), { maxLength: 5 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/v1/decide', '/v1/events'), body, async (path, b) => {
        const r = await post(`${svc.url}${path}`, JSON.stringify(b));
        expect([200, 202, 400, 413]).toContain(r.status);
        if (r.status >= 400) expect(r.type).toBe('application/problem+json');
      }),
      { numRuns: 300 },
    );
    expect((await get(`${svc.url}/healthz`)).status).toBe(200);
  });
});

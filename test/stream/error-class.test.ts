import { describe, expect, it } from 'vitest';
import { NboError } from '../../src/errors/codes.js';
import { classifyError } from '../../src/stream/error-class.js';

describe('consumer error classes', () => {
  it('content: a non-retriable NboError keeps its code; a stack overflow or parse error is NBO_ERR_EVENT_UNPROCESSABLE', () => {
    expect(classifyError(new NboError('NBO_ERR_STORE_DATA', 'apply-events: not valid JSON'))).toEqual({
      kind: 'content',
      code: 'NBO_ERR_STORE_DATA',
      message: 'apply-events: not valid JSON',
    });
    let overflow: unknown;
    const deep = (n: number): number => (n === 0 ? 0 : 1 + deep(n - 1));
    try {
      deep(1e7);
    } catch (err) {
      overflow = err;
    }
    expect(classifyError(overflow)).toMatchObject({
      kind: 'content',
      code: 'NBO_ERR_EVENT_UNPROCESSABLE',
      message: expect.stringContaining('RangeError: Maximum call stack size exceeded'),
    });
    expect(classifyError(new SyntaxError('Unexpected token'))).toMatchObject({
      kind: 'content',
      code: 'NBO_ERR_EVENT_UNPROCESSABLE',
    });
  });

  it('unavailable: a retriable NboError (the store down); crash: anything else', () => {
    expect(classifyError(new NboError('NBO_ERR_STORE_UNAVAILABLE', 'redis unavailable'))).toEqual({
      kind: 'unavailable',
      message: 'redis unavailable',
    });
    expect(classifyError(new TypeError('cannot read properties of undefined'))).toEqual({ kind: 'crash' });
    expect(classifyError(Object.assign(new Error('Connection timeout'), { name: 'KafkaJSConnectionError' }))).toEqual({
      kind: 'crash',
    });
    expect(classifyError('a string')).toEqual({ kind: 'crash' });
  });
});

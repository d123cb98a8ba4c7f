import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { ajvIssue, pointerToPath } from '../../src/errors/json-path.js';

const validate = new Ajv({ allErrors: true }).compile({
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    items: { type: 'array', items: { type: 'object', required: ['sku'], properties: { sku: { type: 'string' } } } },
  },
});

function issues(doc: unknown, extraField?: string) {
  validate(doc);
  return (validate.errors ?? []).map((e) => ajvIssue(e, extraField));
}

describe('one Ajv error mapping', () => {
  it('JSON pointers become JSON paths', () => {
    expect(pointerToPath('/caps/customer/0/outcome')).toBe('$.caps.customer[0].outcome');
    expect(pointerToPath('/a~1b/x y', '$.data')).toBe('$.data["a/b"]["x y"]');
    expect(pointerToPath('')).toBe('$');
  });

  it('a missing or extra field is reported at the field itself, anything else where it is', () => {
    expect(issues({ id: 1, items: [{}], 'odd key': true }, 'is not a field of an event')).toEqual([
      { path: '$["odd key"]', message: 'is not a field of an event' },
      { path: '$.id', message: 'must be string' },
      { path: '$.items[0].sku', message: 'is required' },
    ]);
    expect(issues({})).toEqual([{ path: '$.id', message: 'is required' }]);
    expect(issues({ id: 'a', x: 1 })).toEqual([{ path: '$.x', message: 'is not an allowed field' }]);
  });
});

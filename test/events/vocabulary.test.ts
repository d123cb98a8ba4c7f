import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import * as V from '../../src/events/vocabulary.js';

const json = (path: string): unknown => JSON.parse(readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8'));

/** The value at a JSON pointer. */
function at(doc: unknown, pointer: string): unknown {
  return pointer
    .slice(1)
    .split('/')
    .reduce<unknown>((o, seg) => (o as Record<string, unknown> | undefined)?.[seg], doc);
}

/** Every "pattern" in a schema, by the JSON pointer of the object holding it. */
function patterns(doc: unknown, pointer = ''): Map<string, string> {
  const out = new Map<string, string>();
  if (doc && typeof doc === 'object') {
    for (const [k, v] of Object.entries(doc)) {
      if (k === 'pattern' && typeof v === 'string') out.set(pointer, v);
      else for (const [p, s] of patterns(v, `${pointer}/${k}`)) out.set(p, s);
    }
  }
  return out;
}

// Where each schema file and openapi.yaml write a vocabulary pattern, and which constant it must equal.
const USES: Record<string, Record<string, string>> = {
  'src/events/schemas/event.schema.json': {
    '/properties/type': V.EVENT_TYPE,
    '/properties/customerId': V.CUSTOMER_ID,
    '/properties/channel': V.CHANNEL,
    '/allOf/3/then/properties/data/properties/offerId': V.OFFER_ID_BOUNDED,
    '/allOf/4/then/properties/data/properties/householdId': V.CUSTOMER_ID,
  },
  'src/rules/schemas/offer.schema.json': {
    '/properties/id': V.OFFER_ID,
    '/properties/channels/items': V.RULE_TOKEN,
    '/properties/triggers/items': V.RULE_TOKEN,
  },
  'src/rules/schemas/segments.schema.json': {
    '/propertyNames': V.RULE_NAME,
    '/additionalProperties/items/properties/id': V.RULE_TOKEN,
  },
  'src/rules/schemas/aggregates.schema.json': {
    '/propertyNames': V.RULE_NAME,
  },
};

describe('the vocabulary patterns are written once (src/events/vocabulary.ts)', () => {
  for (const [file, uses] of Object.entries(USES)) {
    it(`${file} uses the vocabulary's patterns`, () => {
      const found = patterns(json(file));
      for (const [pointer, expected] of Object.entries(uses))
        expect({ pointer, pattern: found.get(pointer) }).toEqual({ pointer, pattern: expected });
    });
  }

  it('no schema file writes an id pattern of its own: every lower-case id pattern is a vocabulary constant', () => {
    const known = new Set((Object.values(V) as unknown[]).filter((v): v is string => typeof v === 'string'));
    for (const file of Object.keys(USES)) {
      for (const [pointer, p] of patterns(json(file))) {
        if (p.includes('[a-z0-9'))
          expect({ file, pointer, known: known.has(p) }).toEqual({ file, pointer, known: true });
      }
    }
  });

  it('openapi.yaml DecideRequest uses the same patterns', () => {
    const spec = YAML.parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8')) as unknown;
    const props = at(spec, '/components/schemas/DecideRequest/properties') as Record<string, { pattern?: string }>;
    expect({
      customerId: props.customerId?.pattern,
      channel: props.channel?.pattern,
      trigger: props.trigger?.pattern,
    }).toEqual({ customerId: V.CUSTOMER_ID, channel: V.CHANNEL, trigger: V.EVENT_TYPE });
  });
});

import { describe, expect, it } from 'vitest';
import { buildRuleSet } from '../../src/rules/load.js';
import { RULE_LIMITS } from '../../src/rules/rule-limits.js';
import { offer, ruleIssues, ruleSet } from '../support/rules.js';

/** `{ "!": [ { "!": [ … true ] } ] }`, `levels` operators deep, as JSON text (no recursion). */
const deepLogicJson = (levels: number) => `${'{"!":['.repeat(levels)}true${']}'.repeat(levels)}`;
const issuesOf = (files: Array<{ file: string; text: string }>) => {
  const res = buildRuleSet(files);
  expect(res.ok).toBe(false);
  return (res as { issues: Array<{ file: string; id?: string; path: string; message: string }> }).issues;
};

describe('rules loader limits — the loader never throws', () => {
  it('an eligibility nested 3,000 deep is an issue naming file, offer and path', () => {
    const text = `{"id":"deep","name":"Deep","channels":["pos"],"value":1,"eligibility":${deepLogicJson(3000)}}`;
    const issues = issuesOf([{ file: 'offers/deep.json', text }]);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      file: 'offers/deep.json',
      id: 'deep',
      message: `is nested deeper than ${RULE_LIMITS.maxDepth} levels`,
    });
    expect(issues[0]!.path).toMatch(/^\$\.eligibility(\["!"\]|\[0\])+$/);
  });

  it('the same in YAML, in a list of offers, in segments and in aggregates', () => {
    const yamlDeep = `- id: fine\n  name: Fine\n  channels: [pos]\n  value: 1\n- id: deep-yaml\n  name: D\n  channels: [pos]\n  value: 1\n  payload: ${'['.repeat(200)}${']'.repeat(200)}\n`;
    const issues = issuesOf([
      { file: 'offers/list.yaml', text: yamlDeep },
      { file: 'segments.json', text: `{"tier":[{"id":"gold","when":${deepLogicJson(100)}},{"id":"rest"}]}` },
      { file: 'aggregates.json', text: `{"n":{"event":"purchase","fn":"count","where":${deepLogicJson(100)}}}` },
    ]);
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          file: 'offers/list.yaml',
          id: 'deep-yaml',
          path: expect.stringMatching(/^\$\[1\]\.payload(\[0\])+$/),
        }),
        expect.objectContaining({
          file: 'segments.json',
          id: 'tier/gold',
          path: expect.stringMatching(/^\$\.tier\[0\]\.when/),
        }),
        expect.objectContaining({ file: 'aggregates.json', id: 'n', path: expect.stringMatching(/^\$\.n\.where/) }),
      ]),
    );
  });

  it('a YAML file nested too deep for the YAML parser is an issue, not a crash', () => {
    const issues = issuesOf([
      {
        file: 'offers/deep.yaml',
        text: `id: d\nname: D\nchannels: [pos]\nvalue: 1\neligibility: ${'{"!": ['.repeat(3000)}true${']}'.repeat(3000)}\n`,
      },
    ]);
    expect(issues[0]).toMatchObject({
      file: 'offers/deep.yaml',
      id: 'd',
      path: '$',
      message: expect.stringMatching(/^not valid YAML \(line 5, column \d+\): nested too deep to parse/),
    });
  });

  it('a flat "or" of 3,000 terms and an "if" of 1,500 branches compile and decide correctly', () => {
    const or3000 = { or: Array.from({ length: 3000 }, (_, i) => ({ '==': [{ var: 'context.n' }, i] })) };
    const orVars = { or: Array.from({ length: 3000 }, (_, i) => ({ var: `context.k${i}` })) };
    const if1500 = {
      '==': [
        {
          if: [
            ...Array.from({ length: 1500 }, (_, i) => [{ '==': [{ var: 'context.n' }, i] }, `b${i}`]).flat(),
            'none',
          ],
        },
        'b1499',
      ],
    };
    const rules = ruleSet({
      offers: [
        offer('wide-or', { eligibility: or3000 }),
        offer('vars-or', { eligibility: orVars }),
        offer('wide-if', { eligibility: if1500 }),
      ],
    });
    const rt = { nowMs: 0 };
    const elig = (id: string, context: Record<string, unknown>) =>
      rules.offerById.get(id)!.eligibility!({ context }, rt);
    expect(elig('wide-or', { n: 2999 })).toBe(true);
    expect(elig('wide-or', { n: 3000 })).toBe(false);
    expect(elig('vars-or', { k2999: 'yes' })).toBe(true);
    expect(elig('vars-or', {})).toBe(false);
    expect(elig('wide-if', { n: 1499 })).toBe(true);
    expect(elig('wide-if', { n: 1498 })).toBe(false);
  });

  it(`a rule of more than ${RULE_LIMITS.maxNodesPerRule} nodes is refused with file, offer and path`, () => {
    const huge = {
      in: [{ var: 'context.sku' }, Array.from({ length: RULE_LIMITS.maxNodesPerRule }, (_, i) => `sku-${i}`)],
    };
    const issues = ruleIssues({ offers: [offer('huge', { eligibility: huge })] });
    expect(issues).toEqual([
      {
        file: 'offers/offers.json',
        id: 'huge',
        path: '$[0].eligibility',
        message: expect.stringContaining(`more than ${RULE_LIMITS.maxNodesPerRule} nodes`),
      },
    ]);
  });

  it('a YAML alias bomb is an issue naming file, offer and the alias path', () => {
    const bomb = [
      'id: bomb',
      'name: Bomb',
      'channels: [pos]',
      'value: 1',
      'payload:',
      '  a: &a [x, x, x, x, x, x, x, x, x]',
      '  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
      '  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
      '  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
      '  e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]',
      '',
    ].join('\n');
    const issues = issuesOf([{ file: 'offers/bomb.yaml', text: bomb }]);
    expect(issues).toEqual([
      {
        file: 'offers/bomb.yaml',
        id: 'bomb',
        path: '$.payload.b[0]',
        message: expect.stringContaining(`more than ${RULE_LIMITS.maxAliasCount} times`),
      },
    ]);
  });

  it('an eligibility that is a string ("false", YAML no) is refused, not taken as always true', () => {
    const issues = issuesOf([
      { file: 'offers/a.yaml', text: 'id: str-false\nname: A\nchannels: [pos]\nvalue: 1\neligibility: "false"\n' },
      { file: 'offers/b.yaml', text: 'id: yaml-no\nname: B\nchannels: [pos]\nvalue: 1\neligibility: no\n' },
      { file: 'offers/c.yaml', text: 'id: ok-false\nname: C\nchannels: [pos]\nvalue: 1\neligibility: false\n' },
    ]);
    expect(issues).toEqual([
      {
        file: 'offers/a.yaml',
        id: 'str-false',
        path: '$.eligibility',
        message: 'must be a json-logic rule (an object) or true/false, not the string "false"',
      },
      {
        file: 'offers/b.yaml',
        id: 'yaml-no',
        path: '$.eligibility',
        message: 'must be a json-logic rule (an object) or true/false, not the string "no"',
      },
    ]);
  });
});

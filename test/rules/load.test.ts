import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildRuleSet, loadRulesDir } from '../../src/rules/load.js';
import { bucketSizeFor, parseDuration } from '../../src/config/duration.js';
import { offer, ruleIssues, ruleSet } from '../support/rules.js';

const SAMPLE = new URL('../../rules', import.meta.url).pathname;

describe('rules directory', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const copyOfSample = () => {
    const d = mkdtempSync(join(tmpdir(), 'nbo-rules-'));
    dirs.push(d);
    cpSync(SAMPLE, d, { recursive: true });
    return d;
  };

  it('the sample catalog loads: retail and insurance offers, aggregates, segmentations, a fallback', () => {
    const res = loadRulesDir(SAMPLE);
    if (!res.ok) throw new Error(JSON.stringify(res.issues, null, 2));
    const r = res.rules;
    expect(r.offers.length).toBeGreaterThanOrEqual(15);
    expect(r.aggregates.length).toBeGreaterThanOrEqual(8);
    expect(r.segmentations.map((s) => s.name)).toEqual(expect.arrayContaining(['value_tier', 'lifecycle']));
    expect(r.segmentations.find((s) => s.name === 'lifecycle')!.segments.map((s) => s.id)).toEqual([
      'new',
      'at_risk',
      'growing',
      'mature',
    ]);
    expect(r.offers.some((o) => o.fallback)).toBe(true);
    expect(r.offers.some((o) => o.triggers?.has('claim'))).toBe(true);
    expect(r.offerById.get('vip-early-access')?.file).toBe('offers/vip-early-access.json');
  });

  it('the version is a content hash: same files same version, any change a new one', () => {
    const d = copyOfSample();
    const v1 = (loadRulesDir(d) as { ok: true; rules: { version: string } }).rules.version;
    expect((loadRulesDir(d) as { ok: true; rules: { version: string } }).rules.version).toBe(v1);
    writeFileSync(join(d, 'offers', 'extra.yaml'), 'id: extra\nname: Extra\nchannels: [pos]\nvalue: 1\n');
    expect((loadRulesDir(d) as { ok: true; rules: { version: string } }).rules.version).not.toBe(v1);
  });

  it('a broken rule set is refused with every error at once, each naming file, id and JSON path', () => {
    const d = copyOfSample();
    writeFileSync(
      join(d, 'offers', 'broken.yaml'),
      [
        '- id: pastry-with-coffee', // duplicate of the sample's
        '  name: Dup',
        '  channels: [pos]',
        '  value: 1',
        '- id: bad-one',
        '  name: Bad',
        '  channels: [pos]',
        '  value: 1',
        '  eligibility: { and: [ { frobnicate: [1] }, { ">": [ { var: constructor.name }, 1 ] }, { ">": [ { var: customer.agg.spend_3d }, 1 ] } ] }',
        '  caps: { customer: [ { outcome: clicked, max: 1 } ], total: [ { outcome: offered, max: 5, window: 3w } ] }',
        '  cooldown: { declined: forever }',
        '  active: { from: "next tuesday" }',
        '  colour: red',
      ].join('\n'),
    );
    appendFileSync(
      join(d, 'aggregates.yaml'),
      '\nspend_median: { event: purchase, field: data.amount, fn: median, window: 30d }\n',
    );
    const res = loadRulesDir(d);
    expect(res.ok).toBe(false);
    const issues = (res as { issues: Array<{ file: string; id?: string; path: string; message: string }> }).issues;
    const find = (path: string, text: string) => issues.find((i) => i.path === path && i.message.includes(text));
    // files are read in path order: broken.yaml comes before pastry-with-coffee.yaml
    expect(find('$.id', 'duplicate offer id "pastry-with-coffee" (first defined in offers/broken.yaml)')).toMatchObject(
      { file: 'offers/pastry-with-coffee.yaml', id: 'pastry-with-coffee' },
    );
    expect(find('$[1].caps.customer[0].outcome', 'must be one of: offered, impression')).toMatchObject({
      file: 'offers/broken.yaml',
      id: 'bad-one',
    });
    expect(find('$[1].colour', 'unknown field')).toMatchObject({ id: 'bad-one' });
    expect(find('$.spend_median.fn', 'must be one of: count, sum')).toMatchObject({
      file: 'aggregates.yaml',
      id: 'spend_median',
    });
    expect(issues).toHaveLength(4); // nothing else: schema errors stop an entry before its rules are compiled
  });

  it('reports logic, window, date and reference errors with their paths', () => {
    const issues = ruleIssues({
      aggregates: {
        spend_30d: { event: 'purchase', field: 'data.amount', fn: 'sum', window: '30d' },
        bad_win: { event: 'x', fn: 'count', window: '500d' },
        no_field: { event: 'x', fn: 'sum', window: '30d' },
      },
      segments: { tier: [{ id: 'all' }, { id: 'never', when: { '>': [{ var: 'customer.segments.later' }, 1] } }] },
      offers: [
        offer('logic', {
          eligibility: {
            and: [
              { frobnicate: [1] },
              { '>': [{ var: 'constructor.name' }, 1] },
              { '>': [{ var: 'customer.agg.spend_3d' }, 1] },
              { '==': [{ var: 'cutomer.id' }, 1] },
            ],
          },
          caps: {
            total: [{ outcome: 'offered', max: 5, window: '3w' }],
            customer: [{ outcome: 'offered', max: 50, window: '7d' }],
          },
          cooldown: { declined: 'forever' },
          active: { from: 'next tuesday', to: '2026-01-01T00:00:00Z' },
        }),
      ],
    });
    const at = (path: string) =>
      issues
        .filter((i) => i.path === path.replace(/^\$\.(eligibility|caps|cooldown|active)/, '$$[0].$1'))
        .map((i) => `${i.id}: ${i.message}`);
    expect(at('$.eligibility.and[0].frobnicate')).toEqual(['logic: unknown operator "frobnicate"']);
    expect(at('$.eligibility.and[1][">"][0].var')[0]).toContain('walks through "constructor"');
    expect(at('$.eligibility.and[2][">"][0].var')[0]).toContain(
      'aggregate "spend_3d", which aggregates.yaml does not define',
    );
    expect(at('$.eligibility.and[3]["=="][0].var')[0]).toContain('reads "cutomer", which is not in the data');
    expect(at('$.caps.total[0].window')[0]).toContain('"3w" is not a duration');
    expect(at('$.caps.customer[0].max')[0]).toContain('at most 20');
    expect(at('$.cooldown.declined')[0]).toContain('"forever" is not a duration');
    expect(at('$.active.from')[0]).toContain('not an ISO-8601 time');
    expect(at('$.bad_win.window')[0]).toContain('longer than the longest window, 400d');
    expect(at('$.no_field')[0]).toContain('fn "sum" needs a field');
    expect(at('$.tier[1]')[0]).toContain('unreachable');
    expect(at('$.tier[1].when[">"][0].var')[0]).toContain('segmentation "later"');
    expect(issues.every((i) => i.file && i.path.startsWith('$'))).toBe(true);
  });

  it('a YAML syntax error names its line', () => {
    const res = buildRuleSet([{ file: 'offers/x.yaml', text: 'id: x\nname: [unclosed\n' }]);
    expect(res.ok).toBe(false);
    expect((res as { issues: Array<{ message: string }> }).issues[0]!.message).toMatch(
      /not valid YAML \(line \d+, column \d+\)/,
    );
  });

  it('duplicate YAML keys, stray files and an empty catalog are errors', () => {
    const res = buildRuleSet([
      { file: 'offers/x.yaml', text: 'id: x\nid: y\nname: X\nchannels: [pos]\nvalue: 1\n' },
      { file: 'offer/typo.yaml', text: 'id: z\n' },
    ]);
    const msgs = (res as { issues: Array<{ file: string; message: string }> }).issues.map(
      (i) => `${i.file}: ${i.message}`,
    );
    expect(msgs.some((m) => m.startsWith('offers/x.yaml: not valid YAML'))).toBe(true);
    expect(msgs).toContain(
      'offer/typo.yaml: not a rules file: expected aggregates.yaml, segments.yaml or offers/*.yaml',
    );
    const empty = buildRuleSet([]);
    expect(empty.ok).toBe(false);
  });

  it('indexes offers by channel and trigger, sorted by id', () => {
    const r = ruleSet({
      offers: [
        offer('b', { channels: ['pos', 'app'], triggers: ['checkout'] }),
        offer('a', { channels: ['pos'] }),
        offer('c', { channels: ['app'], triggers: ['claim'] }),
      ],
    });
    expect(r.candidates('pos', 'checkout').map((o) => o.id)).toEqual(['a', 'b']);
    expect(r.candidates('pos', null).map((o) => o.id)).toEqual(['a']);
    expect(r.candidates('app', 'claim').map((o) => o.id)).toEqual(['c']);
    expect(r.candidates('email', 'checkout')).toEqual([]);
  });
});

describe('durations and buckets', () => {
  it('parses Nm, Nh, Nd up to 400d and refuses the rest', () => {
    expect(parseDuration('15m')).toEqual({ ms: 900_000 });
    expect(parseDuration('400d')).toEqual({ ms: 400 * 86_400_000 });
    for (const bad of ['0d', '401d', '1w', '7', 'd7', '1.5h', '']) expect(parseDuration(bad)).toHaveProperty('error');
  });

  it('keeps a window in at most 200 buckets of 1m, 5m, 1h, 1d or 7d', () => {
    const h = 3_600_000;
    const d = 24 * h;
    expect(bucketSizeFor(h)).toBe(60_000);
    expect(bucketSizeFor(12 * h)).toBe(300_000);
    expect(bucketSizeFor(7 * d)).toBe(h);
    expect(bucketSizeFor(30 * d)).toBe(d);
    expect(bucketSizeFor(90 * d)).toBe(d);
    expect(bucketSizeFor(365 * d)).toBe(7 * d);
  });
});

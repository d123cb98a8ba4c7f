import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

function capture() {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  });
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => text };
}

async function run(...argv: string[]) {
  const out = capture();
  const err = capture();
  const code = await main(argv, out.stream, err.stream);
  return { code, out: out.text(), err: err.text() };
}

const tmp = mkdtempSync(join(tmpdir(), 'nbo-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('nbo rules check', () => {
  it('passes on the sample catalog', async () => {
    const r = await run('rules', 'check', 'rules');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /rules: ok — \d+ offers \(2 fallback\), \d+ aggregates, 3 segmentations; version [0-9a-f]{12}/,
    );
  });

  it('warns (exit 0) about a prior weighing more than NBO_PRIOR_MAX_IMPRESSIONS', async () => {
    const dir = join(tmp, 'loud-prior');
    cpSync('rules', dir, { recursive: true });
    writeFileSync(
      join(dir, 'offers', 'zz-loud.yaml'),
      'id: zz-loud\nname: Loud\nchannels: [pos]\nvalue: 1\npropensity: { prior: { accepted: 300, impressions: 1000 } }\n',
    );
    const r = await run('rules', 'check', dir);
    expect(r.code).toBe(0);
    expect(r.err).toContain(
      'offers/zz-loud.yaml [zz-loud] $.propensity.prior.impressions: warning: a prior of 1000 impressions weighs only 20 (NBO_PRIOR_MAX_IMPRESSIONS)',
    );
    expect(r.err.match(/warning/g)).toHaveLength(1); // the sample priors (20 and 10 impressions) are within the bound
  });

  it('exits 1 listing every error with file, id and path', async () => {
    const dir = join(tmp, 'broken');
    cpSync('rules', dir, { recursive: true });
    writeFileSync(
      join(dir, 'offers', 'zz-bad.yaml'),
      'id: zz-bad\nname: Bad\nchannels: [pos]\nvalue: 1\neligibility: { "≥": [1, 2] }\ncooldown: { declined: 3w }\n',
    );
    const r = await run('rules', 'check', dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain('offers/zz-bad.yaml [zz-bad] $.eligibility["≥"]: unknown operator "≥"');
    expect(r.err).toContain('offers/zz-bad.yaml [zz-bad] $.cooldown.declined: cooldown "3w" is not a duration');
    expect(r.err).toContain('2 errors; the rule set is refused');
  });
});

describe('nbo decide (offline)', () => {
  it('replays an events file and prints the ranked offers', async () => {
    const r = await run(
      'decide',
      '--state',
      'docs/examples/regular-coffee-buyer.events.yaml',
      '--channel',
      'pos',
      '--trigger',
      'checkout',
      '--context',
      '@docs/examples/checkout-coffee.json',
      '--now',
      '2026-11-23T09:15:00Z',
      '--limit',
      '3',
    );
    expect(r.code).toBe(0);
    const d = JSON.parse(r.out);
    expect(d.customerId).toBe('c-42');
    expect(d.offers.map((o: { offerId: string }) => o.offerId)).toEqual(['wine-with-cheese', 'pastry-with-coffee']);
    expect(d.segments).toEqual({ value_tier: 'silver', lifecycle: 'growing', claims_profile: 'none' });
  });

  it('decides on a snapshot file and explains every offer', async () => {
    const r = await run(
      'decide',
      '--state',
      'docs/examples/lapsed-customer.snapshot.yaml',
      '--channel',
      'pos',
      '--trigger',
      'checkout',
      '--context',
      '{"basket":{"total":12}}',
      '--now',
      '2026-11-23T09:15:00Z',
      '--explain',
    );
    expect(r.code).toBe(0);
    const d = JSON.parse(r.out);
    expect(d.offers[0].offerId).toBe('winback-15pct');
    expect(d.segments.lifecycle).toBe('at_risk');
    const fates = Object.fromEntries(
      d.explanation.offers.map((f: { offerId: string; status: string }) => [f.offerId, f.status]),
    );
    expect(fates).toMatchObject({
      'winback-15pct': 'selected',
      'claim-fast-track': 'channel',
      'courtesy-car-upgrade': 'channel',
      'welcome-10pct': 'ineligible',
    });
  });

  it('a bad state file is a clear error, not a crash', async () => {
    const f = join(tmp, 'bad.yaml');
    writeFileSync(f, '- { id: x, type: purchase, customerId: c, time: yesterday }\n');
    const r = await run('decide', '--state', f, '--channel', 'pos');
    expect(r.code).toBe(1);
    expect(r.err).toContain('NBO_ERR_STATE_FILE');
    expect(r.err).toContain('$.time must be an ISO-8601 time');
  });

  it('usage errors exit 2', async () => {
    expect((await run('decide', '--channel', 'pos')).code).toBe(2);
    expect((await run('frobnicate')).code).toBe(2);
  });
});

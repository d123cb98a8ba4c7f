import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/config/logger.js';
import { startService } from '../../src/service/service.js';
import { recordedEvents } from '../support/recorded-events.js';
import { post, SAMPLE_RULES, subscribe, until } from '../support/service.js';

function capture(tty = false) {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  });
  return { stream: Object.assign(stream, { isTTY: tty }) as unknown as NodeJS.WriteStream, text: () => text };
}

async function run(argv: string[], tty = false) {
  const out = capture();
  const err = capture(tty);
  const code = await main(argv, out.stream, err.stream);
  return { code, out: out.text(), err: err.text() };
}

const tmp = mkdtempSync(join(tmpdir(), 'nbo-sim-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const lines = recordedEvents({ customers: 30, days: 6 });
const eventsFile = join(tmp, 'events.ndjson');
writeFileSync(eventsFile, `${lines.join('\n')}\n`);

type Json = Record<string, any>;

describe('nbo simulate', () => {
  it('gives the same decisions per offer as the service deciding the same events one by one', async () => {
    const sim = await run(['simulate', '--events', eventsFile, '--rules', SAMPLE_RULES, '--json']);
    expect(sim.code).toBe(0);
    const report = JSON.parse(sim.out) as Json;

    // the service itself, on the in-process store, its clock at each event's time
    let now = 0;
    const svc = await startService(
      loadConfig({
        NBO_PORT: '0',
        NBO_RULES_DIR: SAMPLE_RULES,
        NBO_RULES_WATCH: 'false',
        NBO_HOST: '127.0.0.1',
        NBO_EXPLORATION: 'mean',
      }),
      { log: createLogger('silent'), clock: () => now },
    );
    const url = `http://127.0.0.1:${svc.port}`;
    const subs = ['pos', 'app'].map((ch) => subscribe(`ws://127.0.0.1:${svc.port}/v1/stream?channel=${ch}`));
    await Promise.all(subs.map((s) => s.opened));
    const decided = () => subs.reduce((n, s) => n + s.messages.length, 0);
    const gave = new Map<string, string>();
    const byOffer: Record<string, number> = {};
    let decisions = 0;
    try {
      for (const line of lines) {
        const e = JSON.parse(line) as Json;
        now = Date.parse(e.time);
        if (e.type === 'offer_response') {
          // as the simulation does: a response counts for the decision this run made
          const ours = gave.get(`${e.customerId}\u0000${e.data.offerId}`);
          if (!ours) continue;
          e.data = { ...e.data, decisionId: ours };
        }
        const before = decided();
        const r = await post(`${url}/v1/events`, e);
        expect(r.status).toBe(202);
        if (e.type !== 'checkout') continue;
        await until(() => decided() === before + 1);
        const d = [...subs[0]!.messages, ...subs[1]!.messages].find((m) => m.eventId === e.id);
        decisions++;
        for (const o of d.offers) {
          byOffer[o.offerId] = (byOffer[o.offerId] ?? 0) + 1;
          gave.set(`${d.customerId}\u0000${o.offerId}`, d.decisionId);
        }
      }
    } finally {
      for (const s of subs) s.ws.close();
      await svc.stop();
    }
    expect(decisions).toBeGreaterThan(50);
    expect(report.decisions).toBe(decisions);
    expect(report.baseline.byOffer).toEqual(byOffer);
    expect(Object.keys(byOffer).length).toBeGreaterThan(2);
  }, 120_000);

  it('--json prints decisions, baseline and candidate byOffer with their rules versions, and how many decisions changed', async () => {
    const cand = join(tmp, 'no-pastry');
    cpSync(SAMPLE_RULES, cand, { recursive: true });
    rmSync(join(cand, 'offers', 'pastry-with-coffee.yaml'));
    const r = await run(['simulate', '--events', eventsFile, '--rules', SAMPLE_RULES, '--candidate', cand, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as Json;
    expect(j).toMatchObject({
      decisions: expect.any(Number),
      baseline: { rulesVersion: expect.stringMatching(/^[0-9a-f]{12}$/), byOffer: expect.any(Object) },
      candidate: { rulesVersion: expect.stringMatching(/^[0-9a-f]{12}$/), byOffer: expect.any(Object) },
      changed: expect.any(Number),
    });
    expect(j.candidate.rulesVersion).not.toBe(j.baseline.rulesVersion);
    const pastry = j.baseline.byOffer['pastry-with-coffee'];
    expect(pastry).toBeGreaterThan(0);
    expect(j.candidate.byOffer['pastry-with-coffee']).toBeUndefined();
    // every decision that gave the pastry changed; the rest may change through caps and learning
    expect(j.changed).toBeGreaterThanOrEqual(pastry);
    expect(j.changed).toBeLessThanOrEqual(j.decisions);
    const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
    expect(sum(j.baseline.byOffer)).toBe(j.baseline.withOffer);
    expect(j.baseline.fallbacks).toBeLessThanOrEqual(j.baseline.withOffer);
    expect(j.baseline.capsHit + j.baseline.cooldownsHit).toBeGreaterThan(0);
    expect(j.baseline.eligibilityRate).toBeGreaterThan(0);
    expect(j.baseline.eligibilityRate).toBeLessThanOrEqual(1);
    const tiers = j.baseline.bySegment.value_tier as Record<string, { decisions: number }>;
    expect(Object.values(tiers).reduce((a, t) => a + t.decisions, 0)).toBe(j.decisions);

    // the candidate arm is the candidate's own replay: the same as simulating it alone
    const alone = JSON.parse((await run(['simulate', '--events', eventsFile, '--rules', cand, '--json'])).out) as Json;
    expect(alone.baseline.byOffer).toEqual(j.candidate.byOffer);
    expect(alone.candidate).toBeUndefined();
    expect(alone.changed).toBe(0);
    // the same set as its own candidate changes nothing
    const same = JSON.parse(
      (await run(['simulate', '--events', eventsFile, '--rules', SAMPLE_RULES, '--candidate', SAMPLE_RULES, '--json']))
        .out,
    ) as Json;
    expect(same.changed).toBe(0);
    expect(same.candidate.byOffer).toEqual(same.baseline.byOffer);
  }, 60_000);

  it('--now replays the recording as if it started then: an offer outside its active window is never given', async () => {
    const r = JSON.parse(
      (
        await run([
          'simulate',
          '--events',
          eventsFile,
          '--rules',
          SAMPLE_RULES,
          '--now',
          '2027-03-01T08:00:00Z',
          '--json',
        ])
      ).out,
    ) as Json;
    expect(r.baseline.byOffer['pastry-with-coffee']).toBeUndefined();
    expect(r.baseline.offers['pastry-with-coffee'].inactive).toBeGreaterThan(0);
    expect(r.shiftMs).toBe(Date.parse('2027-03-01T08:00:00Z') - Date.parse(JSON.parse(lines[0]!).time));
  }, 60_000);

  it('counts and lists lines that are not valid events, and goes on', async () => {
    const f = join(tmp, 'some-bad.ndjson');
    writeFileSync(
      f,
      [
        lines[0],
        '{not json',
        JSON.stringify({ id: 'x', type: 'checkout', customerId: 'c-1', time: 'yesterday' }),
        '',
        ...lines.slice(1, 40),
      ].join('\n'),
    );
    const r = JSON.parse((await run(['simulate', '--events', f, '--rules', SAMPLE_RULES, '--json'])).out) as Json;
    expect(r.rejected).toBe(2);
    expect(r.rejections.map((x: { line: number }) => x.line)).toEqual([2, 3]);
    expect(r.rejections[1].errors.map((e: { path: string }) => e.path)).toContain('$.time');
    expect(r.events).toBe(40);
  });

  it('prints a side-by-side table; a progress bar on a terminal; exit 1 on a missing file or invalid rules, 2 on usage', async () => {
    const cand = join(tmp, 'no-pastry');
    const t = await run(['simulate', '--events', eventsFile, '--rules', SAMPLE_RULES, '--candidate', cand], true);
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/^events [\d,]+ · decisions [\d,]+ · changed [\d,]+ \([\d.]+%\)/);
    expect(t.out).toMatch(/baseline [0-9a-f]{12} +candidate [0-9a-f]{12}/);
    expect(t.out).toMatch(/caps hit +[\d,]+ +[\d,]+/);
    expect(t.out).toMatch(/segment value_tier=/);
    expect(t.err).toMatch(/\[#+-*\] +\d+%/);
    const piped = await run(['simulate', '--events', eventsFile, '--rules', SAMPLE_RULES]);
    expect(piped.err).toBe('');
    const missing = await run(['simulate', '--events', join(tmp, 'nope.ndjson'), '--rules', SAMPLE_RULES]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('NBO_ERR_EVENTS_FILE');
    const bad = join(tmp, 'bad-rules');
    cpSync(SAMPLE_RULES, bad, { recursive: true });
    writeFileSync(
      join(bad, 'offers', 'zz.yaml'),
      'id: zz\nname: Z\nchannels: [pos]\nvalue: 1\ncooldown: { declined: 3w }\n',
    );
    const invalid = await run(['simulate', '--events', eventsFile, '--rules', SAMPLE_RULES, '--candidate', bad]);
    expect(invalid.code).toBe(1);
    expect(invalid.err).toMatch(/offers\/zz\.yaml \[zz\] \$\.cooldown\.declined/);
    expect((await run(['simulate', '--rules', SAMPLE_RULES])).code).toBe(2);
  }, 60_000);
});

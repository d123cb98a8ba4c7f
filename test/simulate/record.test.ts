import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { recordedEvents } from '../support/recorded-events.js';
import { post, SAMPLE_RULES, startTestService } from '../support/service.js';

const run = promisify(execFile);
const tmp = mkdtempSync(join(tmpdir(), 'nbo-rec-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function simulate(file: string) {
  let text = '';
  const out = new Writable({
    write(c, _e, cb) {
      text += String(c);
      cb();
    },
  });
  const code = await main(
    ['simulate', '--events', file, '--rules', SAMPLE_RULES, '--json'],
    out as never,
    new Writable({ write: (_c, _e, cb) => cb() }) as never,
  );
  expect(code).toBe(0);
  return JSON.parse(text) as { events: number; decisions: number; rejected: number };
}

describe('recording events for nbo simulate', () => {
  it('NBO_RECORD_EVENTS_FILE records every applied event — not duplicates, not rejected ones — and simulate replays it', async () => {
    const file = join(tmp, 'recorded.ndjson');
    const svc = await startTestService({ NBO_RECORD_EVENTS_FILE: file });
    const now = Date.now();
    // responses in a recording answer the decisions of the service that made it: this service
    // issued none of them and would refuse them (they count in a replay, see simulate.test.ts)
    const events = recordedEvents({ customers: 12, days: 2, startMs: now - 3 * 86_400_000 })
      .map((l) => JSON.parse(l))
      .filter((e) => e.type !== 'offer_response');
    const checkouts = events.filter((e) => e.type === 'checkout').length;
    expect(events.length).toBeGreaterThan(30);
    try {
      expect((await post(`${svc.url}/v1/events`, events.slice(0, 20))).status).toBe(202);
      const r = await post(`${svc.url}/v1/events`, [...events.slice(10), { id: 'bad', type: 'checkout' }]);
      expect(r.body).toMatchObject({
        accepted: events.length - 20,
        duplicates: 10,
        rejected: [{ index: events.length - 10 }],
      });
    } finally {
      await svc.stop();
    }
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).id)).toEqual(events.map((e) => e.id));
    const report = await simulate(file);
    expect(report).toMatchObject({ events: events.length, rejected: 0, decisions: checkouts });
  });

  it('from Kafka with kcat, as docs/simulate.md shows', async () => {
    const brokers = inject('kafkaBrokers').join(',');
    const topic = `rec-${Date.now()}`;
    const lines = recordedEvents({ customers: 4, days: 2 });
    const input = join(tmp, 'to-produce.ndjson');
    writeFileSync(input, `${lines.join('\n')}\n`);
    await run('kcat', ['-b', brokers, '-P', '-t', topic, '-l', input]);
    const file = join(tmp, 'from-kafka.ndjson');
    // the documented command: every message's value, one per line, until the end of the topic
    await run('sh', ['-c', `kcat -b ${brokers} -C -t ${topic} -o beginning -e -q -f '%s\\n' > ${file}`]);
    const got = readFileSync(file, 'utf8').trim().split('\n');
    expect(got.sort()).toEqual([...lines].sort());
    const report = await simulate(file);
    expect(report.events).toBe(lines.length);
    expect(report.decisions).toBe(lines.filter((l) => l.includes('"checkout"')).length);
  });
});

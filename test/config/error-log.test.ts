import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createErrorLog } from '../../src/config/error-log.js';
import { NboError } from '../../src/errors/codes.js';

function capture() {
  const lines: Array<Record<string, any>> = [];
  return { lines, log: pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) }) };
}

describe('error log', () => {
  it('a repeated retriable error: its first occurrence at once, the rest once per interval with their count', async () => {
    const { lines, log } = capture();
    const errors = createErrorLog(log, 'request failed', 50);
    for (let i = 0; i < 5; i++) errors.report(new NboError('NBO_ERR_STORE_UNAVAILABLE', `redis unavailable ${i}`));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ code: 'NBO_ERR_STORE_UNAVAILABLE', count: 1, err: 'redis unavailable 0' });
    await new Promise((r) => setTimeout(r, 150));
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ code: 'NBO_ERR_STORE_UNAVAILABLE', count: 4, err: 'redis unavailable 4' });
    // a new window starts with the next occurrence; flush logs what is pending
    errors.report(new NboError('NBO_ERR_STORE_UNAVAILABLE'));
    errors.report(new NboError('NBO_ERR_STORE_UNAVAILABLE'));
    errors.flush();
    expect(lines.slice(2).map((l) => l.count)).toEqual([1, 1]);
    expect(JSON.stringify(lines)).not.toContain('"stack"');
  });

  it('a bug is logged every time, with its stack', () => {
    const { lines, log } = capture();
    const errors = createErrorLog(log, 'request failed', 50);
    errors.report(new TypeError('x is undefined'));
    errors.report(new TypeError('x is undefined'));
    errors.report(new NboError('NBO_ERR_STORE_DATA', 'bad data'));
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l.err.stack).toContain('Error');
  });
});

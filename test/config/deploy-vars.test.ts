import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { NboError } from '../../src/errors/codes.js';

describe('shutdown and reload variables', () => {
  it('default to a 5 s lame duck and a 1 s rules poll', () => {
    expect(loadConfig({})).toMatchObject({ lameDuckMs: 5000, rulesPollMs: 1000 });
    expect(loadConfig({ NBO_LAME_DUCK_MS: '0', NBO_RULES_POLL_MS: '250' })).toMatchObject({
      lameDuckMs: 0,
      rulesPollMs: 250,
    });
  });

  it('refuse values out of range, naming each', () => {
    let err: unknown;
    try {
      loadConfig({ NBO_LAME_DUCK_MS: '-1', NBO_RULES_POLL_MS: '10' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NboError);
    expect((err as NboError).details).toEqual([
      'NBO_RULES_POLL_MS="10" must be an integer from 50 to 600000',
      'NBO_LAME_DUCK_MS="-1" must be an integer from 0 to 600000',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { restartDelayMs } from '../../src/stream/restart-backoff.js';

describe('consumer restart backoff', () => {
  it('restart delays start at 0.5 s and double up to 30 s, each within ±20 %', () => {
    const bounds = (attempt: number) => [restartDelayMs(attempt, () => 0), restartDelayMs(attempt, () => 1)];
    expect(bounds(0)).toEqual([400, 600]);
    expect(bounds(1)).toEqual([800, 1200]);
    expect(bounds(2)).toEqual([1600, 2400]);
    expect(bounds(6)).toEqual([24_000, 30_000 * 1.2]);
    expect(bounds(100)).toEqual([24_000, 36_000]);
    for (let a = 0; a < 20; a++)
      expect(restartDelayMs(a + 1, () => 0.5)).toBeGreaterThanOrEqual(restartDelayMs(a, () => 0.5));
  });
});

import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sameWords, uuidOf, uuidWords } from '../../src/state/uuid-words.js';

describe('decision ids as words', () => {
  it('property — a lowercase UUID reads back exactly from its four words, and two ids share words only when equal', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.uuid(), (a, b) => {
        const words = [0, 0, 0, 0, 0, 0, 0, 0];
        expect(uuidWords(a, words, 0) && uuidWords(b, words, 4)).toBe(true);
        expect([uuidOf(words, 0), uuidOf(words, 4)]).toEqual([a, b]);
        expect(sameWords(words, 0, words, 4)).toBe(a === b);
        for (const w of words) expect(Number.isInteger(w) && w >= 0 && w < 2 ** 32).toBe(true);
      }),
      { numRuns: 500 },
    );
    const id = randomUUID();
    const words: number[] = [];
    expect(uuidWords(id, words, 0)).toBe(true);
    expect(uuidOf(words, 0)).toBe(id);
  });

  it('refuses anything else, writing nothing: ids NBO did not issue are kept as they are', () => {
    const words = [7, 7, 7, 7];
    for (const id of [
      'd1',
      '',
      'ABCDEF01-2345-4678-9abc-def012345678',
      '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f',
      '0f1e2d3c_4b5a-4968-8776-a5b4c3d2e1f0',
      `${'0'.repeat(36)}`,
    ])
      expect(uuidWords(id, words, 0)).toBe(false);
    expect(words).toEqual([7, 7, 7, 7]);
  });
});

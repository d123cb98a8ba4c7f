import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_WINDOW_MS } from '../../src/config/duration.js';
import { RESPONSE_OUTCOMES } from '../../src/events/types.js';
import { HistoryTable } from '../../src/state/history-table.js';
import {
  emptyHistory,
  historyNeedsTrim,
  recordOffered,
  recordResponse,
  trimHistory,
} from '../../src/state/offer-history.js';
import type { OfferHistory } from '../../src/state/types.js';

const T = 1_800_000_000_000;
const offer = fc.constantFrom('o1', 'o2', 'o3', 'o-with-a-longer-id');
// ids NBO issues (UUIDs, kept as words) and any other (kept as strings)
const decision = fc.constantFrom(
  'd1',
  'd2',
  '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0',
  'ffffffff-0000-4000-8000-000000000001',
);

const step = fc.oneof(
  {
    arbitrary: fc.record({
      offered: offer,
      decision,
      segment: fc.constantFrom(null, 'vip', 'new'),
      t: fc.integer({ min: 0, max: 1_000 }),
      depth: fc.integer({ min: 0, max: 3 }),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      respond: offer,
      outcome: fc.constantFrom(...RESPONSE_OUTCOMES),
      decision,
      t: fc.integer({ min: 0, max: 1_000 }),
      depth: fc.integer({ min: 0, max: 3 }),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ trimAt: fc.integer({ min: 0, max: 1_000 }) }), weight: 1 },
);

describe('the in-process store’s offer histories, flat', () => {
  it('property — any sequence of offers, responses and trims, each read from the table, changed and written back, reads as the same histories changed in place', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60, size: 'max' }), (steps) => {
        const table = new HistoryTable();
        const spec = new Map<string, OfferHistory>();
        const change = (id: string, fn: (h: OfferHistory) => void) => {
          const h = spec.get(id) ?? emptyHistory();
          fn(h);
          spec.set(id, h);
          const copy = table.read(id) ?? emptyHistory();
          fn(copy);
          table.write(id, copy);
        };
        for (const s of steps) {
          if ('offered' in s) {
            change(s.offered, (h) => recordOffered(h, s.decision, s.segment, T + s.t, () => s.depth));
          } else if ('respond' in s) {
            change(s.respond, (h) => recordResponse(h, s.outcome, s.decision, T + s.t, () => s.depth));
          } else {
            const now = T + s.trimAt + MAX_WINDOW_MS;
            const due = [...spec].filter(([, h]) => historyNeedsTrim(h, now)).map(([id]) => id);
            expect(table.needingTrim(now).sort()).toEqual(due.sort());
            for (const id of due) change(id, (h) => trimHistory(h, now));
          }
          expect(table.size).toBe(spec.size);
          for (const [id, h] of spec) expect(table.read(id)).toStrictEqual(h);
        }
        expect([...table.offerIds()]).toEqual([...spec.keys()]);
      }),
      { numRuns: 300 },
    );
  });

  it('reads a copy: changing what was read, recent times included, changes nothing kept', () => {
    const table = new HistoryTable();
    const h = emptyHistory();
    recordOffered(h, 'd1', 'vip', T, () => 2);
    table.write('o1', h);
    const read = table.read('o1')!;
    expect(read).toMatchObject({
      counts: { offered: 1 },
      lastDecisionId: 'd1',
      segment: 'vip',
      recent: { offered: [T] },
    });
    read.counts.offered = 9;
    read.recent.offered!.push(T + 5);
    recordOffered(read, 'd2', null, T + 1, () => 2);
    expect(table.read('o1')).toMatchObject({ counts: { offered: 1 }, lastDecisionId: 'd1', recent: { offered: [T] } });
    expect(table.read('o2')).toBeUndefined();
  });
});

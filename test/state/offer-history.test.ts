import { describe, expect, it } from 'vitest';
import {
  cloneHistory,
  countOutcome,
  emptyHistory,
  recordOffered,
  setRecent,
  trimHistory,
} from '../../src/state/offer-history.js';
import { MAX_WINDOW_MS } from '../../src/config/duration.js';

const T = 1_800_000_000_000;

describe('an offer history’s recent times', () => {
  it('are kept only as deep as asked, per history: one history’s times never show in another', () => {
    const a = emptyHistory();
    const b = emptyHistory();
    recordOffered(a, 'd1', null, T, () => 0);
    expect(a.recent).toEqual({});
    expect(a.counts.offered).toBe(1);
    countOutcome(a, 'declined', T + 2, 2);
    countOutcome(a, 'declined', T + 1, 2); // out of order
    countOutcome(a, 'declined', T + 3, 2);
    expect(a.recent).toEqual({ declined: [T + 2, T + 3] });
    expect(b.recent).toEqual({});
    expect(emptyHistory().recent).toEqual({});
    setRecent(b, 'offered', [T]);
    expect(b.recent).toEqual({ offered: [T] });
    expect(a.recent).toEqual({ declined: [T + 2, T + 3] });
    expect(emptyHistory().recent).toEqual({});
  });

  it('a depth that falls to 0 drops what was kept', () => {
    const h = emptyHistory();
    countOutcome(h, 'offered', T, 3);
    countOutcome(h, 'offered', T + 1, 3);
    countOutcome(h, 'offered', T + 2, 0);
    expect(h.recent).toEqual({});
    expect(h.counts.offered).toBe(3);
    expect(h.lastAt.offered).toBe(T + 2);
  });

  it('a copy shares none of them, and a history whose times all expire keeps none', () => {
    const h = emptyHistory();
    countOutcome(h, 'accepted', T, 2);
    const c = cloneHistory(h);
    countOutcome(c, 'accepted', T + 1, 2);
    expect(h.recent).toEqual({ accepted: [T] });
    expect(c.recent).toEqual({ accepted: [T, T + 1] });
    const empty = cloneHistory(emptyHistory());
    countOutcome(empty, 'redeemed', T, 1);
    expect(empty.recent).toEqual({ redeemed: [T] });
    expect(emptyHistory().recent).toEqual({});
    trimHistory(c, T + 2 + MAX_WINDOW_MS);
    expect(c.recent).toEqual({});
    expect(h.recent).toEqual({ accepted: [T] });
  });

  it('a history that keeps none holds no record of its own: one shared, frozen one, given back when the last times go', () => {
    const a = emptyHistory();
    const b = emptyHistory();
    recordOffered(a, 'd1', null, T, () => 0);
    expect(a.recent).toBe(b.recent);
    expect(Object.isFrozen(a.recent)).toBe(true);
    expect(cloneHistory(a).recent).toBe(b.recent);
    countOutcome(a, 'declined', T, 1);
    expect(a.recent).not.toBe(b.recent);
    trimHistory(a, T + 1 + MAX_WINDOW_MS);
    expect(a.recent).toBe(b.recent);
  });
});

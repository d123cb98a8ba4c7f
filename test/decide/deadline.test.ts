import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createDeadlines } from '../../src/decide/deadline.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

const never = () => new Promise<never>(() => {});

describe('deadlines — one timer for every decision waiting on state', () => {
  it('a promise that settles in time passes through: its value, or its error', async () => {
    const d = createDeadlines(1000, () => new Error('late'));
    await expect(d.wrap(Promise.resolve(42))).resolves.toBe(42);
    await expect(d.wrap(Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });

  it('a promise still pending at its deadline rejects with the timeout error, in deadline order', async () => {
    let now = 0;
    const d = createDeadlines(
      30,
      () => new Error(`late at ${now}`),
      () => now,
    );
    const order: string[] = [];
    const a = d.wrap(never()).catch((e: Error) => order.push(`a ${e.message}`));
    now = 10;
    const b = d.wrap(never()).catch((e: Error) => order.push(`b ${e.message}`));
    const _c = d.wrap(new Promise((r) => setTimeout(() => r('c'), 5))).then((v) => order.push(`${v} resolved`));
    now = 35; // a is due, b is not
    await new Promise((r) => setTimeout(r, 60));
    expect(order).toEqual(['c resolved', 'a late at 35']);
    now = 45;
    await Promise.race([Promise.all([a, b]), new Promise((r) => setTimeout(r, 200))]);
    expect(order).toEqual(['c resolved', 'a late at 35', 'b late at 45']);
  });

  it('settled entries leave the queue: thousands of decisions leave nothing behind', async () => {
    const d = createDeadlines(5, () => new Error('late'));
    await Promise.all(Array.from({ length: 5000 }, (_, i) => d.wrap(Promise.resolve(i))));
    for (let i = 0; i < 50 && d.pending() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(d.pending()).toBe(0);
  });

  it("a settled promise is let go at once, not when the timer passes its entry (a decision's state is not held)", async () => {
    const d = createDeadlines(60_000, () => new Error('late'));
    let ref: WeakRef<object> | undefined;
    await (async () => {
      const state = { customer: new Array(10_000).fill('x') };
      ref = new WeakRef(state);
      expect(await d.wrap(Promise.resolve(state))).toBe(state);
    })();
    expect(d.pending()).toBe(1); // the entry waits for the timer, 60 s away
    await new Promise((r) => setImmediate(r));
    gc();
    expect(ref!.deref()).toBeUndefined();
  });

  it('a settled deadline waiting for the timer keeps no object of its own: under 32 bytes each', async () => {
    // what stays queued until the timer passes (up to the duration) outlives young-generation
    // collections under load; an object per deadline there was old-generation garbage
    const d = createDeadlines(60_000, () => new Error('late'));
    await d.wrap(Promise.resolve(0));
    gc();
    const before = process.memoryUsage().heapUsed;
    const n = 50_000;
    for (let i = 0; i < n; i += 1000)
      await Promise.all(Array.from({ length: 1000 }, (_, k) => d.wrap(Promise.resolve(i + k))));
    expect(d.pending()).toBe(n + 1);
    gc();
    const perDeadline = (process.memoryUsage().heapUsed - before) / n;
    expect(perDeadline).toBeLessThan(32);
  });

  it('moves what is left to the front once most of the queue has passed: each deadline still finds its own slot', async () => {
    let now = 0;
    const d = createDeadlines(
      10,
      () => new Error(`late at ${now}`),
      () => now,
    );
    const early = Array.from({ length: 2000 }, () => d.wrap(never()).catch((e: Error) => e.message));
    now = 5;
    let resolveLate!: (v: string) => void;
    const late = d.wrap(new Promise<string>((r) => (resolveLate = r))); // due at 15
    const rest = Array.from({ length: 9 }, () => d.wrap(never()).catch((e: Error) => e.message));
    now = 12; // the first 2,000 are due when the timer fires: 2,000 passed, 10 left, moved to the front
    expect(await Promise.all(early)).toEqual(Array(2000).fill('late at 12'));
    expect(d.pending()).toBe(10);
    resolveLate('in time');
    await expect(late).resolves.toBe('in time');
    await expect(d.wrap(Promise.resolve('new'))).resolves.toBe('new'); // written after the move
    now = 20;
    expect(await Promise.all(rest)).toEqual(Array(9).fill('late at 20'));
    for (let i = 0; i < 50 && d.pending() > 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(d.pending()).toBe(0);
  });

  it('a late settle after the timeout changes nothing', async () => {
    let resolve!: (v: string) => void;
    const d = createDeadlines(5, () => new Error('late'));
    const p = d.wrap(new Promise<string>((r) => (resolve = r)));
    await expect(p).rejects.toThrow('late');
    resolve('too late');
    await expect(p).rejects.toThrow('late');
  });
});

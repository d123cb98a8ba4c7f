import fc from 'fast-check';
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics/metrics.js';
import { SeriesCounter, SeriesHistogram } from '../../src/metrics/series.js';

// SeriesCounter and SeriesHistogram must expose exactly what prom-client's own Counter and
// Histogram would for the same calls: the same text on /metrics, the same get() values,
// the same errors — whatever the order of increments, scrapes and resets.

const BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01];

type Op =
  | { k: 'inc'; channel: string; result: string; by: number | undefined }
  | { k: 'observe'; source: string; value: number }
  | { k: 'plain'; value: number }
  | { k: 'labels'; channel: string; result: string }
  | { k: 'zero'; source: string }
  | { k: 'remove'; channel: string; result: string }
  | { k: 'removeObserved'; source: string }
  | { k: 'scrape' }
  | { k: 'reset' };

const label = (xs: string[]) => fc.constantFrom(...xs);
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      k: fc.constant('inc' as const),
      channel: label(['web', 'pos', 'app']),
      result: label(['offers', 'empty']),
      by: fc.option(
        fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5 }), fc.double({ min: 0, max: 3, noNaN: true })),
        {
          nil: undefined,
        },
      ),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      k: fc.constant('observe' as const),
      source: label(['http', 'kafka']),
      // every bound exactly, between them, above them, below zero
      value: fc.oneof(fc.constantFrom(...BUCKETS, 0, -0.001, 0.02), fc.double({ min: 0, max: 0.015, noNaN: true })),
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('plain' as const), value: fc.constantFrom(0.001, 0.003, 1) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('labels' as const),
      channel: label(['web', 'kiosk']),
      result: label(['offers', 'empty']),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('zero' as const), source: label(['http', 'ws']) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('remove' as const),
      channel: label(['web', 'pos']),
      result: label(['offers', 'empty']),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('removeObserved' as const), source: label(['http', 'ws']) }) },
  { weight: 2, arbitrary: fc.constant({ k: 'scrape' as const }) },
  { weight: 1, arbitrary: fc.constant({ k: 'reset' as const }) },
);

function both() {
  const make = (fast: boolean) => {
    const registry = new Registry();
    const counter = new (fast ? SeriesCounter : Counter)({
      name: 'x_decisions_total',
      help: 'decisions',
      labelNames: ['channel', 'result'] as const,
      registers: [registry],
    });
    const histogram = new (fast ? SeriesHistogram : Histogram)({
      name: 'x_duration_seconds',
      help: 'durations',
      labelNames: ['source'] as const,
      buckets: BUCKETS,
      registers: [registry],
    });
    const plain = new (fast ? SeriesHistogram : Histogram)({
      name: 'x_plain_seconds',
      help: 'no labels',
      buckets: BUCKETS,
      registers: [registry],
    });
    return { registry, counter, histogram, plain };
  };
  return { ref: make(false), fast: make(true) };
}

type Side = ReturnType<typeof both>['ref'];

async function apply(s: Side, o: Op): Promise<string | null> {
  switch (o.k) {
    case 'inc':
      if (o.by === undefined) s.counter.inc({ channel: o.channel, result: o.result });
      else s.counter.inc({ channel: o.channel, result: o.result }, o.by);
      return null;
    case 'observe':
      s.histogram.observe({ source: o.source }, o.value);
      return null;
    case 'plain':
      s.plain.observe(o.value);
      return null;
    case 'labels':
      s.counter.labels(o.channel, o.result).inc(2);
      s.histogram.labels('ws').observe(0.004);
      return null;
    case 'zero':
      s.histogram.zero({ source: o.source });
      return null;
    case 'remove':
      s.counter.remove({ channel: o.channel, result: o.result });
      return null;
    case 'removeObserved':
      s.histogram.remove(o.source);
      return null;
    case 'scrape':
      return s.registry.metrics();
    case 'reset':
      s.registry.resetMetrics();
      return null;
  }
}

describe('SeriesCounter and SeriesHistogram', () => {
  it('expose what prom-client exposes for the same calls, scraped at any point', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
        const { ref, fast } = both();
        for (const o of ops) expect(await apply(fast, o)).toBe(await apply(ref, o));
        expect(await fast.registry.metrics()).toBe(await ref.registry.metrics());
        expect(await fast.counter.get()).toEqual(await ref.counter.get());
        expect(await fast.histogram.get()).toEqual(await ref.histogram.get());
        expect(await fast.registry.getMetricsAsJSON()).toEqual(await ref.registry.getMetricsAsJSON());
      }),
      { numRuns: 300 },
    );
  });

  it('refuse what prom-client refuses, with its errors', () => {
    const { ref, fast } = both();
    for (const s of [ref, fast]) s.counter.inc({ channel: 'web', result: 'offers' });
    const errors = (s: Side) =>
      [
        () => s.counter.inc({ channel: 'web', result: 'offers' }, -1),
        () => s.counter.inc({ channel: 'web', nope: 'x' } as never),
        () => s.histogram.observe({ source: 'http' }, Number.NaN),
        () => s.histogram.observe({ source: 'http', nope: 'x' } as never, 1),
      ].map((f) => {
        try {
          f();
          return null;
        } catch (err) {
          return (err as Error).message;
        }
      });
    const mine = errors(fast);
    expect(mine).toEqual(errors(ref));
    expect(mine.every((m) => m !== null)).toBe(true);
  });

  it('time with startTimer into their own series', async () => {
    const { fast } = both();
    const end = fast.histogram.startTimer({ source: 'kafka' });
    expect(end()).toBeGreaterThanOrEqual(0);
    fast.histogram.labels('http').startTimer()();
    const text = await fast.registry.metrics();
    expect(text).toContain('x_duration_seconds_count{source="kafka"} 1');
    expect(text).toContain('x_duration_seconds_count{source="http"} 1');
  });

  it('are what NBO counts its decisions and requests with', () => {
    const m = createMetrics({ defaultMetrics: false });
    for (const metric of [m.decisions, m.offersSelected, m.policyDecisions, m.httpRequests, m.events])
      expect(metric).toBeInstanceOf(SeriesCounter);
    for (const metric of [m.decisionDuration, m.storeDuration]) expect(metric).toBeInstanceOf(SeriesHistogram);
  });
});

import fc from 'fast-check';
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { createMetrics } from '../../src/metrics/metrics.js';
import { SeriesCounter, SeriesHistogram } from '../../src/metrics/series.js';

// SeriesCounter and SeriesHistogram must expose exactly what prom-client's own Counter and
// Histogram would for the same calls: the same text on /metrics, the same get() values,
// the same errors — whatever the order of increments, scrapes, resets and removals, the
// label values given as numbers or strings, in any key order, or left out.

const BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 1, 2];

/** Label values: a few strings, a number and its text (one series to prom-client), or none. */
const value = (xs: Array<string | number>) => fc.constantFrom<string | number | undefined>(...xs, undefined);

type Op =
  | { k: 'inc'; channel: string; result: string | number | undefined; by: number | null | undefined; flip: boolean }
  | { k: 'incPlain'; by: number | undefined }
  | {
      k: 'observe';
      route: string | number | undefined;
      status: string | number | undefined;
      value: number;
      flip: boolean;
    }
  | { k: 'plain'; value: number }
  | { k: 'odd'; value: number }
  | { k: 'labels'; channel: string; result: string }
  | { k: 'zero'; route: string; status: string | number }
  | { k: 'remove'; channel: string; result: string }
  | { k: 'removeObserved'; route: string; status: string | number }
  | { k: 'timer'; route: string }
  | { k: 'scrape' }
  | { k: 'reset' };

const amount = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: 5 }),
  fc.double({ min: 0, max: 3, noNaN: true }),
  fc.constantFrom(0.1, 0.2, 0.3, 1e-9, 7e15),
);
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      k: fc.constant('inc' as const),
      channel: fc.constantFrom('web', 'pos'),
      result: fc.oneof(value(['offers', 'empty', 200, '200']), fc.constant(null as unknown as string)),
      by: fc.option(fc.oneof(amount, fc.constant(null)), { nil: undefined }),
      flip: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ k: fc.constant('incPlain' as const), by: fc.option(amount, { nil: undefined }) }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      k: fc.constant('observe' as const),
      route: value(['decide', 'events']),
      status: value([200, '200', 400]),
      // every bound exactly, between them, above them, below zero
      value: fc.oneof(
        fc.constantFrom(...BUCKETS, 0, -0.001, 0.02, 5),
        fc.double({ min: -1, max: 3, noNaN: true, noDefaultInfinity: true }),
      ),
      flip: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ k: fc.constant('plain' as const), value: fc.constantFrom(0.001, 0.003, 1, 0.1) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('odd' as const),
      value: fc.constantFrom(-2, -1, -0, 0, 0.05, 0.1, 0.3, 0.5, 0.7, 5),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('labels' as const),
      channel: fc.constantFrom('web', 'kiosk'),
      result: fc.constantFrom('offers', 'empty'),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('zero' as const),
      route: fc.constantFrom('decide', 'ws'),
      status: fc.constantFrom(200, '200'),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('remove' as const),
      channel: fc.constantFrom('web', 'pos'),
      result: fc.constantFrom('offers', 'empty'),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('removeObserved' as const),
      route: fc.constantFrom('decide', 'ws'),
      status: fc.constantFrom(200, '200'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('timer' as const), route: fc.constantFrom('decide', 'ws') }) },
  { weight: 2, arbitrary: fc.constant({ k: 'scrape' as const }) },
  { weight: 1, arbitrary: fc.constant({ k: 'reset' as const }) },
);

function both() {
  const make = (fast: boolean) => {
    const registry = new Registry();
    registry.setDefaultLabels({ pod: 'nbo-0' });
    const collected = new (fast ? SeriesCounter : Counter)({
      name: 'x_scrapes_total',
      help: 'counted by its collect hook',
      labelNames: ['kind'] as const,
      registers: [registry],
      collect() {
        this.inc({ kind: 'scrape' });
      },
    });
    const counter = new (fast ? SeriesCounter : Counter)({
      name: 'x_decisions_total',
      help: 'decisions',
      labelNames: ['channel', 'result'] as const,
      registers: [registry],
    });
    const unlabelled = new (fast ? SeriesCounter : Counter)({
      name: 'x_plain_total',
      help: 'no labels',
      registers: [registry],
    });
    const histogram = new (fast ? SeriesHistogram : Histogram)({
      name: 'x_duration_seconds',
      help: 'durations',
      labelNames: ['route', 'status'] as const,
      buckets: BUCKETS,
      registers: [registry],
    });
    const plain = new (fast ? SeriesHistogram : Histogram)({
      name: 'x_plain_seconds',
      help: 'no labels',
      buckets: BUCKETS,
      registers: [registry],
    });
    // unsorted bounds, one of them -1: prom-client's own way of filing what is above them all
    const odd = new (fast ? SeriesHistogram : Histogram)({
      name: 'x_odd',
      help: 'odd buckets',
      labelNames: ['k'] as const,
      buckets: [-1, 0.5, 0.1],
      registers: [registry],
    });
    return { registry, collected, counter, unlabelled, histogram, plain, odd };
  };
  return { ref: make(false), fast: make(true) };
}

type Side = ReturnType<typeof both>['ref'];

/** The labels object with its keys in one order or the other (prom-client prints the first caller's order). */
const keyed = <A extends string, B extends string>(a: A, av: unknown, b: B, bv: unknown, flip: boolean) =>
  (flip ? { [b]: bv, [a]: av } : { [a]: av, [b]: bv }) as never;

async function apply(s: Side, o: Op): Promise<string | null> {
  switch (o.k) {
    case 'inc': {
      const labels = keyed('channel', o.channel, 'result', o.result, o.flip);
      if (o.by === undefined) s.counter.inc(labels);
      else s.counter.inc(labels, o.by as number);
      return null;
    }
    case 'incPlain':
      if (o.by === undefined) s.unlabelled.inc();
      else s.unlabelled.inc(o.by);
      return null;
    case 'observe':
      s.histogram.observe(keyed('route', o.route, 'status', o.status, o.flip), o.value);
      return null;
    case 'plain':
      s.plain.observe(o.value);
      return null;
    case 'odd':
      s.odd.observe({ k: 'a' }, o.value);
      return null;
    case 'labels':
      s.counter.labels(o.channel, o.result).inc(2);
      s.histogram.labels('ws', '200').observe(0.004);
      s.histogram.labels({ route: 'ws' }).observe(0.003);
      return null;
    case 'zero':
      s.histogram.zero({ route: o.route, status: o.status });
      return null;
    case 'remove':
      s.counter.remove({ channel: o.channel, result: o.result });
      return null;
    case 'removeObserved':
      s.histogram.remove({ route: o.route, status: o.status });
      return null;
    case 'timer': {
      // a timed observation: its value is the clock's, so the same value is observed on both sides
      const end = s.histogram.startTimer({ route: o.route });
      end({ status: 500 });
      return null;
    }
    case 'scrape':
      return s.registry.metrics();
    case 'reset':
      s.registry.resetMetrics();
      return null;
  }
}

const web: Op = { k: 'inc', channel: 'web', result: 'offers', by: undefined, flip: false };
const decide = (value: number): Op => ({ k: 'observe', route: 'decide', status: 200, value, flip: false });

/** The timer's observations differ in their values between the sides: compare the rest. */
const untimed = (text: string) => text.replace(/^(x_duration_seconds\S*\{[^}]*status="500"[^}]*\}) .*$/gm, '$1 T');

describe('SeriesCounter and SeriesHistogram', () => {
  it('expose what prom-client exposes for the same calls, scraped at any point', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
        const { ref, fast } = both();
        for (const o of ops) {
          const [a, b] = [await apply(ref, o), await apply(fast, o)];
          expect(b === null ? null : untimed(b)).toBe(a === null ? null : untimed(a));
        }
        expect(untimed(await fast.registry.metrics())).toBe(untimed(await ref.registry.metrics()));
        expect(await fast.counter.get()).toEqual(await ref.counter.get());
        expect(await fast.unlabelled.get()).toEqual(await ref.unlabelled.get());
        expect(await fast.plain.get()).toEqual(await ref.plain.get());
        expect(await fast.odd.get()).toEqual(await ref.odd.get());
        if (!ops.some((o) => o.k === 'timer')) {
          expect(await fast.histogram.get()).toEqual(await ref.histogram.get());
          expect(await fast.registry.getMetricsAsJSON()).toEqual(await ref.registry.getMetricsAsJSON());
        }
      }),
      {
        numRuns: 300,
        // a series used again after prom-client dropped or replaced its entry, every way it can
        examples: [
          [[web, { k: 'remove', channel: 'web', result: 'offers' }, web]],
          [[web, { k: 'reset' }, web]],
          [[decide(0.001), { k: 'zero', route: 'decide', status: 200 }, decide(0.001)]],
          [[decide(0.001), { k: 'removeObserved', route: 'decide', status: '200' }, decide(0.001)]],
          [[decide(0.001), { k: 'reset' }, decide(0.001)]],
        ],
      },
    );
  });

  it('refuse what prom-client refuses, with its errors', () => {
    const { ref, fast } = both();
    for (const s of [ref, fast]) {
      s.counter.inc({ channel: 'web', result: 'offers' });
      s.counter.inc(); // the series with no label values
      s.unlabelled.inc();
      s.plain.observe(0.1);
    }
    const errors = (s: Side) =>
      [
        () => s.counter.inc({ channel: 'web', result: 'offers' }, -1),
        () => s.counter.inc({ channel: 'web', result: 'offers' }, Number.POSITIVE_INFINITY),
        () => s.counter.inc({ channel: 'web', nope: 'x' } as never),
        () => s.counter.labels('web'),
        () => s.unlabelled.inc(-2),
        () => s.histogram.observe({ route: 'decide' }, Number.NaN),
        () => s.histogram.observe({ route: 'decide' }, Number.POSITIVE_INFINITY),
        () => s.histogram.observe({ route: 'decide', nope: 'x' } as never, 1),
        () => s.histogram.labels('decide', '200', 'extra'),
        () => s.histogram.remove({ nope: 'x' } as never),
        () => s.plain.observe(Number.NaN),
        // the exemplar form on metrics without exemplars, and objects naming none of the labels
        () => s.counter.inc({ labels: { channel: 'web' }, value: 3 } as never),
        () => s.unlabelled.inc({ labels: {}, value: 3 } as never),
        () => s.counter.inc({ chanel: 'web' } as never),
        () => s.plain.observe({ route: 'decide' } as never, 0.1),
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

  it('time with startTimer into prom-client series', async () => {
    const { fast } = both();
    const end = fast.histogram.startTimer({ route: 'decide' });
    expect(end({ status: 200 })).toBeGreaterThanOrEqual(0);
    fast.histogram.labels('ws', '200').startTimer()();
    const text = await fast.registry.metrics();
    expect(text).toContain('x_duration_seconds_count{pod="nbo-0",route="decide",status="200"} 1');
    expect(text).toContain('x_duration_seconds_count{pod="nbo-0",route="ws",status="200"} 1');
  });

  it('keep exemplars to prom-client', async () => {
    const registry = new Registry<typeof Registry.OPENMETRICS_CONTENT_TYPE>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    const c = new SeriesCounter({
      name: 'x_ex_total',
      help: 'h',
      labelNames: ['a'],
      registers: [registry],
      enableExemplars: true,
    });
    c.inc({ labels: { a: 'x' }, value: 2, exemplarLabels: { trace: 't1' } } as never);
    const h = new SeriesHistogram({
      name: 'x_ex_seconds',
      help: 'h',
      buckets: [1],
      registers: [registry],
      enableExemplars: true,
    });
    h.observe({ value: 0.5, exemplarLabels: { trace: 't2' } } as never);
    const text = await registry.metrics();
    expect(text).toContain('x_ex_total{a="x"} 2 # {trace="t1"} 2');
    expect(text).toContain('x_ex_seconds_bucket{le="1"} 1 # {trace="t2"} 0.5');
  });

  it('leave a known series to prom-client only for what prom-client must check', () => {
    type Protos = { incWithoutExemplar: () => unknown; observeWithoutExemplar: () => unknown };
    const inc = vi.spyOn(Counter.prototype as unknown as Protos, 'incWithoutExemplar');
    const observe = vi.spyOn(Histogram.prototype as unknown as Protos, 'observeWithoutExemplar');
    try {
      const { fast } = both();
      for (let i = 0; i < 10; i++) {
        fast.counter.inc({ channel: 'web', result: i % 2 ? 200 : '200' }, 0.5);
        fast.unlabelled.inc();
        fast.histogram.observe({ route: 'decide' }, 0.001 * i);
        fast.plain.observe(0.1);
      }
      // each series' first call, and the counter's once more for its value given as a number
      // (200 and '200' are one series to prom-client: both lead to its entry from then on)
      expect(inc).toHaveBeenCalledTimes(3);
      expect(observe).toHaveBeenCalledTimes(2);
      expect(() => fast.counter.inc({ channel: 'web', result: '200' }, -1)).toThrow('decrease');
      expect(inc).toHaveBeenCalledTimes(4);
    } finally {
      inc.mockRestore();
      observe.mockRestore();
    }
  });

  it('are what NBO counts its decisions and requests with', () => {
    const m = createMetrics({ defaultMetrics: false });
    for (const metric of [m.decisions, m.offersSelected, m.policyDecisions, m.httpRequests, m.events])
      expect(metric).toBeInstanceOf(SeriesCounter);
    for (const metric of [m.decisionDuration, m.storeDuration]) expect(metric).toBeInstanceOf(SeriesHistogram);
  });
});

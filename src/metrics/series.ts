import { inspect } from 'node:util';
import {
  Counter,
  type CounterConfiguration,
  Histogram,
  type HistogramConfiguration,
  type LabelValues,
  type MetricObjectWithValues,
  type MetricValueWithName,
} from 'prom-client';

/**
 * prom-client's `inc` and `observe` turn the labels object into a string on every call
 * (validating the label names, concatenating `name:value,` pairs, looking the string up in a
 * dictionary; a histogram also turns its bucket bound into a property name). The decision
 * path counts seven series per decision that way: 4–5 % of the decision loop's CPU profile
 * (bench/README.md, "Sixth pass"). The classes below are drop-in subclasses for the
 * metrics on that path: a series is found by its label values through nested Maps (the
 * values are mostly the same few strings), and its numbers are plain fields. What the
 * registry exposes is unchanged, text for text (test/metrics/series.test.ts).
 *
 * One difference: a label name the metric does not have is refused when its series is
 * first made (as prom-client does), but not on later calls that also name a known series;
 * the label types (`LabelValues<T>`) refuse it at compile time.
 */

type Labels = Record<string, string | number>;

/** Nested Maps by label value, in label-name order, down to one series each. */
class SeriesIndex<S> {
  private readonly root = new Map<unknown, unknown>();
  readonly all: S[] = [];

  constructor(private readonly names: readonly string[]) {}

  find(labels: Labels | undefined): S | undefined {
    const names = this.names;
    if (names.length === 0) return this.all[0];
    let node = this.root;
    const last = names.length - 1;
    for (let i = 0; i < last; i++) {
      const next = node.get(labels?.[names[i]!]) as Map<unknown, unknown> | undefined;
      if (next === undefined) return undefined;
      node = next;
    }
    return node.get(labels?.[names[last]!]) as S | undefined;
  }

  add(labels: Labels | undefined, series: S): void {
    this.all.push(series);
    const names = this.names;
    if (names.length === 0) return;
    let node = this.root;
    const last = names.length - 1;
    for (let i = 0; i < last; i++) {
      const key = labels?.[names[i]!];
      let next = node.get(key) as Map<unknown, unknown> | undefined;
      if (next === undefined) node.set(key, (next = new Map()));
      node = next;
    }
    node.set(labels?.[names[last]!], series);
  }

  clear(): void {
    this.root.clear();
    this.all.length = 0;
  }

  /** Drops the series with exactly these labels. */
  remove(labels: Labels, labelsOfSeries: (s: S) => Labels): void {
    const keep = this.all.filter((s) => !sameLabels(labelsOfSeries(s), labels));
    this.clear();
    for (const s of keep) this.add(labelsOfSeries(s), s);
  }
}

/** The label values given for the label names (undefined ones left out), checked as prom-client checks them. */
function labelsOf(names: readonly string[], labels: Labels | undefined): Labels {
  const out: Labels = {};
  if (labels === undefined) return out;
  for (const k of Object.keys(labels)) {
    if (!names.includes(k))
      throw new Error(`Added label "${k}" is not included in initial labelset: ${inspect(names)}`);
  }
  for (const k of names) if (labels[k] !== undefined) out[k] = labels[k]!;
  return out;
}

/** `labels(...)`/`remove(...)` take an object or the values in label-name order. */
const argsToLabels = (names: readonly string[], args: unknown[]): Labels =>
  (typeof args[0] === 'object' ? args[0] : labelObject(names, args as string[])) as Labels;

const labelObject = (names: readonly string[], values: Array<string | number>): Labels => {
  const out: Labels = {};
  names.forEach((k, i) => {
    if (values[i] !== undefined) out[k] = values[i]!;
  });
  return out;
};

interface CounterSeries {
  labels: Labels;
  pending: number;
}

/**
 * A Counter whose increments add to a per-series number; prom-client is handed the sums when
 * it collects (each scrape, each `get()`), once per series. Everything else is prom-client's.
 */
export class SeriesCounter<T extends string> extends Counter<T> {
  private readonly index: SeriesIndex<CounterSeries>;
  private readonly names: readonly string[];
  /** prom-client's own inc (it sets it on the instance) */
  private readonly base: (labels: Labels, value: number) => void;

  constructor(config: CounterConfiguration<T>) {
    const own = config.collect;
    super({
      ...config,
      collect(this: Counter<T>) {
        (this as SeriesCounter<T>).flush();
        return own?.call(this);
      },
    });
    this.names = config.labelNames ?? [];
    this.index = new SeriesIndex(this.names);
    this.base = (this.inc as (labels: Labels, value: number) => void).bind(this);
    this.inc = ((labels?: Labels | number, value?: number) => {
      if (typeof labels === 'number' || labels === undefined) this.add(undefined, labels ?? 1);
      else this.add(labels, value ?? 1);
    }) as Counter<T>['inc'];
  }

  private add(labels: Labels | undefined, by: number): void {
    const s = this.index.find(labels);
    // prom-client's own inc for a new series or an odd amount: its checks, its errors
    if (s === undefined || !(by >= 0) || by === Number.POSITIVE_INFINITY) {
      this.base(labels ?? {}, by);
      if (s === undefined) this.index.add(labels, { labels: labelsOf(this.names, labels), pending: 0 });
      return;
    }
    s.pending += by;
  }

  /** Hands the pending sums to prom-client. */
  flush(): void {
    for (const s of this.index.all) {
      if (s.pending === 0) continue;
      const n = s.pending;
      s.pending = 0;
      this.base(s.labels, n);
    }
  }

  override labels(...values: string[]): Counter.Internal;
  override labels(labels: LabelValues<T>): Counter.Internal;
  override labels(...args: unknown[]): Counter.Internal {
    const labels = argsToLabels(this.names, args);
    return { inc: (value?: number) => this.add(labels, value ?? 1) };
  }

  override reset(): void {
    super.reset();
    // prom-client's constructor resets before this class has its fields; a series comes
    // back, in prom-client's order, through prom-client's inc
    this.index?.clear();
  }

  override remove(...args: unknown[]): void {
    this.flush();
    (super.remove as (...a: unknown[]) => void)(...args);
    this.index.remove(labelsOf(this.names, argsToLabels(this.names, args)), (s) => s.labels);
  }
}

interface HistogramSeries {
  labels: Labels;
  /** observations per bucket; the last entry counts those above every bound */
  counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * A Histogram whose observations land in a per-series array of bucket counts; `get()`
 * exposes them in prom-client's shape (cumulative `_bucket` with `le`, `+Inf`, `_sum`,
 * `_count`), so the registry writes the same text. No exemplars.
 */
export class SeriesHistogram<T extends string> extends Histogram<T> {
  private readonly index: SeriesIndex<HistogramSeries>;
  private readonly names: readonly string[];
  private readonly bounds: readonly number[];
  private readonly config: HistogramConfiguration<T> & { buckets: number[] };

  constructor(config: HistogramConfiguration<T> & { buckets: number[] }) {
    super(config);
    this.config = config;
    if (config.enableExemplars) throw new Error('SeriesHistogram keeps no exemplars');
    this.names = config.labelNames ?? [];
    this.bounds = [...config.buckets];
    this.index = new SeriesIndex(this.names);
    if (this.names.length === 0) this.series(undefined);
    // prom-client sets observe on the instance too
    this.observe = ((labels: Labels | number, value?: number) => {
      if (typeof labels === 'number') this.record(undefined, labels);
      else this.record(labels, value as number);
    }) as Histogram<T>['observe'];
  }

  private record(labels: Labels | undefined, v: number): void {
    if (!Number.isFinite(v)) throw new TypeError(`Value is not a valid number: ${String(v)}`);
    const s = this.index.find(labels) ?? this.series(labels);
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && v > bounds[i]!) i++;
    s.counts[i]!++;
    s.sum += v;
    s.count++;
  }

  private series(labels: Labels | undefined): HistogramSeries {
    const s = {
      labels: labelsOf(this.names, labels),
      counts: new Float64Array(this.bounds.length + 1),
      sum: 0,
      count: 0,
    };
    this.index.add(labels, s);
    return s;
  }

  /** As prom-client's: the series starts again from zero (made if it was not there). */
  override zero(labels: LabelValues<T>): void {
    const s = this.index.find(labels as Labels);
    if (s === undefined) {
      this.series(labels as Labels);
      return;
    }
    s.counts.fill(0);
    s.sum = 0;
    s.count = 0;
  }

  override labels(...values: string[]): Histogram.Internal<T>;
  override labels(labels: LabelValues<T>): Histogram.Internal<T>;
  override labels(...args: unknown[]): Histogram.Internal<T> {
    const labels = argsToLabels(this.names, args) as LabelValues<T>;
    return {
      observe: (value: number) => this.record(labels as Labels, value),
      startTimer: (more?: LabelValues<T>) => this.startTimer({ ...labels, ...more }),
    };
  }

  override reset(): void {
    super.reset();
    // prom-client's constructor resets before this class has its fields
    this.index?.clear();
  }

  override remove(...args: unknown[]): void {
    this.index.remove(labelsOf(this.names, argsToLabels(this.names, args)), (s) => s.labels);
  }

  override async get(): Promise<MetricObjectWithValues<MetricValueWithName<T>>> {
    const { name, help, collect, aggregator = 'sum' } = this.config;
    if (collect) await collect.call(this);
    const bucket = `${name}_bucket`;
    const values: Array<MetricValueWithName<string> & { exemplar?: null }> = [];
    for (const s of this.index.all) {
      let acc = 0;
      this.bounds.forEach((le, i) => {
        acc += s.counts[i]!;
        values.push({ labels: { le, ...s.labels }, value: acc, metricName: bucket, exemplar: null });
      });
      values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: bucket, exemplar: null });
      values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${name}_sum`, exemplar: undefined });
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${name}_count`, exemplar: undefined });
    }
    return {
      name,
      help,
      type: 'histogram' as unknown as MetricObjectWithValues<MetricValueWithName<T>>['type'],
      values: values as MetricValueWithName<T>[],
      aggregator,
    } as MetricObjectWithValues<MetricValueWithName<T>>;
  }

  /** What the registry reads for the text exposition (prom-client's Histogram defines it): the same values. */
  getForPromString(): Promise<MetricObjectWithValues<MetricValueWithName<T>>> {
    return this.get();
  }
}

function sameLabels(a: Labels, b: Labels): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => String(a[k]) === String(b[k]));
}

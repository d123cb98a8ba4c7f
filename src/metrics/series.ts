import {
  Counter,
  type CounterConfiguration,
  Histogram,
  type HistogramConfiguration,
  type LabelValues,
} from 'prom-client';

/**
 * prom-client's `inc` and `observe` turn the labels object into a string on every call
 * (validating the label names, concatenating `name:value,` pairs, looking the string up in a
 * dictionary; a histogram also turns its bucket bound into a property name). The decision
 * path counts seven series per decision that way: 4–5 % of the decision loop's CPU profile
 * (bench/README.md, "Sixth pass"). The classes below are prom-client's Counter and Histogram
 * with a shortcut for `inc` and `observe`: prom-client's own entry for a series is found
 * by the label values through nested Maps (the values are mostly the same few strings) and
 * updated as prom-client updates it. prom-client still holds every value, makes every
 * series, checks every first call, and writes the exposition
 * (test/metrics/series.test.ts runs both side by side).
 *
 * One difference: prom-client checks the label names on every call; here only a series'
 * first call is checked, so a later call that names a known series and also a label the
 * metric does not have (or one set to undefined) counts into that series instead of
 * throwing. The label types (`LabelValues<T>`) refuse such a literal at compile time.
 */

type Labels = Record<string, string | number | undefined>;

/** prom-client's entry for one counter series (counter.js `setValue`). */
interface CounterEntry {
  value: number;
}

/** prom-client's entry for one histogram series (histogram.js `createBaseValues`). */
interface HistogramEntry {
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
}

/** The key prom-client files a series under (util.js `hashObject` with the sorted label names). */
function hashOf(sortedNames: readonly string[], labels: Labels): string {
  let hash = '';
  for (const k of sortedNames) {
    const v = labels[k];
    if (v !== undefined) hash += `${k}:${v},`;
  }
  return hash;
}

/**
 * prom-client's entries by label values, in label-name order, through nested Maps. A value
 * given as a number and as a string finds the same entry either way (prom-client's key is
 * text), so both may be filed here; both lead to that one entry.
 */
class SeriesIndex<E> {
  private readonly root = new Map<unknown, unknown>();
  private only: E | undefined;

  constructor(private readonly names: readonly string[]) {}

  find(labels: Labels | undefined): E | undefined {
    const names = this.names;
    if (names.length === 0) return this.only;
    let node = this.root;
    const last = names.length - 1;
    for (let i = 0; i < last; i++) {
      const next = node.get(labels?.[names[i]!]) as Map<unknown, unknown> | undefined;
      if (next === undefined) return undefined;
      node = next;
    }
    return node.get(labels?.[names[last]!]) as E | undefined;
  }

  add(labels: Labels | undefined, entry: E): void {
    const names = this.names;
    if (names.length === 0) {
      this.only = entry;
      return;
    }
    let node = this.root;
    const last = names.length - 1;
    for (let i = 0; i < last; i++) {
      const key = labels?.[names[i]!];
      let next = node.get(key) as Map<unknown, unknown> | undefined;
      if (next === undefined) node.set(key, (next = new Map()));
      node = next;
    }
    node.set(labels?.[names[last]!], entry);
  }

  /** Forgets every entry: prom-client replaced or dropped some (reset, zero, remove). */
  clear(): void {
    this.root.clear();
    this.only = undefined;
  }
}

/** What prom-client keeps on the instance, read by the shortcuts. */
interface Internals<E> {
  hashMap: Record<string, E>;
  sortedLabelNames: string[];
}

/** A Counter whose `inc` adds to prom-client's entry for the series directly once it exists. */
export class SeriesCounter<T extends string> extends Counter<T> {
  private readonly index: SeriesIndex<CounterEntry>;

  constructor(config: CounterConfiguration<T>) {
    super(config);
    const own = this as unknown as Internals<CounterEntry>;
    this.index = new SeriesIndex(own.sortedLabelNames);
    if (config.enableExemplars) return; // prom-client's own inc, with its exemplar form
    // prom-client sets inc on the instance; its own is kept for what the shortcut leaves to it
    const base = this.inc as unknown as (labels: Labels | number | undefined, value?: number) => { labelHash: string };
    const labelled = own.sortedLabelNames.length > 0;
    this.inc = ((labels?: Labels | number, value?: number) => {
      const byLabels = typeof labels === 'object' && labels !== null;
      // an unlabelled counter given an object (prom-client refuses names it does not have):
      // prom-client's own inc, every time
      if (byLabels && !labelled) {
        base.call(this, labels, value);
        return;
      }
      const by = byLabels ? value : labels;
      const entry = this.index.find(byLabels ? labels : undefined);
      // a plain amount on a known series: prom-client's `hashMap[hash].value += value`
      if (
        entry !== undefined &&
        (by === undefined || (typeof by === 'number' && by >= 0 && by < Number.POSITIVE_INFINITY))
      ) {
        entry.value += by ?? 1;
        return;
      }
      // anything else — a new series, an odd amount — is prom-client's: its checks, its errors
      const res = base.call(this, labels, value);
      // a labelled metric's series with no label values is left to prom-client: any object
      // naming none of the labels (a typo, the exemplar form `{ labels, value }`) would find it
      if (labelled && res.labelHash === '') return;
      const made = own.hashMap[res.labelHash];
      if (made !== undefined) this.index.add(byLabels ? labels : undefined, made);
    }) as Counter<T>['inc'];
  }

  override reset(): void {
    super.reset();
    // prom-client's constructor resets before this class has its fields
    this.index?.clear();
  }

  override remove(labels: LabelValues<T>): void;
  override remove(...values: string[]): void;
  override remove(...args: unknown[]): void {
    (super.remove as (...a: unknown[]) => void)(...args);
    this.index.clear();
  }
}

/** A Histogram whose `observe` counts into prom-client's entry for the series directly once it exists. */
export class SeriesHistogram<T extends string> extends Histogram<T> {
  private readonly index: SeriesIndex<HistogramEntry>;

  constructor(config: HistogramConfiguration<T>) {
    super(config);
    const own = this as unknown as Internals<HistogramEntry> & {
      upperBounds: readonly number[];
      bucketValues: Record<string, number>;
    };
    this.index = new SeriesIndex(own.sortedLabelNames);
    if (config.enableExemplars) return; // prom-client's own observe, with its exemplar form
    const bounds = Float64Array.from(own.upperBounds);
    // the bucket names as prom-client's entries have them (a number's property name is its String)
    const keys = own.upperBounds.map(String);
    for (const k of keys) if (!Object.hasOwn(own.bucketValues, k)) throw new Error(`no bucket named ${k}`);
    // prom-client files a value above every bound under the name "-1" (its findBound's
    // "none"), which counts it when -1 is itself a bound
    const overflow = Object.hasOwn(own.bucketValues, '-1') ? '-1' : null;
    const labelled = own.sortedLabelNames.length > 0;
    const base = this.observe as (labels: Labels | number, value?: number) => void;
    this.observe = ((labels: Labels | number, value?: number) => {
      const byLabels = typeof labels === 'object' && labels !== null;
      const v = byLabels ? value : labels;
      const entry = byLabels && !labelled ? undefined : this.index.find(byLabels ? labels : undefined);
      if (entry !== undefined && typeof v === 'number' && Number.isFinite(v)) {
        // prom-client's order: the first bound the value does not exceed (`v <= bound`)
        let i = 0;
        while (i < bounds.length && !(v <= bounds[i]!)) i++;
        entry.sum += v;
        entry.count += 1;
        const key = i < bounds.length ? keys[i]! : overflow;
        if (key !== null) entry.bucketValues[key]! += 1;
        return;
      }
      base.call(this, labels, value);
      if (byLabels && !labelled) return;
      const l = (byLabels ? labels : {}) as Labels;
      const hash = hashOf(own.sortedLabelNames, l);
      if (labelled && hash === '') return; // as for counters: left to prom-client
      const made = own.hashMap[hash];
      if (made !== undefined) this.index.add(byLabels ? l : undefined, made);
    }) as Histogram<T>['observe'];
  }

  override reset(): void {
    super.reset();
    this.index?.clear();
  }

  /** prom-client replaces the series' entry. */
  override zero(labels: Parameters<Histogram<T>['zero']>[0]): void {
    super.zero(labels);
    this.index.clear();
  }

  override remove(labels: LabelValues<T>): void;
  override remove(...values: string[]): void;
  override remove(...args: unknown[]): void {
    (super.remove as (...a: unknown[]) => void)(...args);
    this.index.clear();
  }
}

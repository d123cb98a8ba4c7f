import type { RuleSet } from './types.js';

/** What changed in one offer: the JSON paths of the fields that differ. */
export interface OfferChange {
  id: string;
  fields: string[];
}

/** What changed between two rule sets, offer by offer (and the shared files). */
export interface RulesDiff {
  from: string;
  to: string;
  added: string[];
  removed: string[];
  changed: OfferChange[];
  /** Aggregate names added, removed or redefined. */
  aggregates: { added: string[]; removed: string[]; changed: string[] };
  /** Segmentation names added, removed or redefined. */
  segmentations: { added: string[]; removed: string[]; changed: string[] };
}

/** Paths (`$.caps.customer[0].max`) where two JSON values differ; keys in sorted order. */
export function changedPaths(a: unknown, b: unknown, path = '$', out: string[] = []): string[] {
  if (Object.is(a, b)) return out;
  const bothArrays = Array.isArray(a) && Array.isArray(b);
  const bothObjects = isPlain(a) && isPlain(b);
  if (bothArrays) {
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (i >= a.length || i >= b.length) out.push(`${path}[${i}]`);
      else changedPaths(a[i], b[i], `${path}[${i}]`, out);
    }
    return out;
  }
  if (bothObjects) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      const p = /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`;
      if (!(k in a) || !(k in b)) out.push(p);
      else changedPaths(a[k], b[k], p, out);
    }
    return out;
  }
  if (!sameJson(a, b)) out.push(path);
  return out;
}

/** Compares two rule sets by their sources: offers by id, aggregates and segmentations by name. */
export function diffRuleSets(a: RuleSet, b: RuleSet): RulesDiff {
  const added = b.offers.filter((o) => !a.offerById.has(o.id)).map((o) => o.id);
  const removed = a.offers.filter((o) => !b.offerById.has(o.id)).map((o) => o.id);
  const changed: OfferChange[] = [];
  for (const o of b.offers) {
    const before = a.offerById.get(o.id);
    if (!before) continue;
    const fields = changedPaths(before.source, o.source);
    if (fields.length > 0) changed.push({ id: o.id, fields });
  }
  // the storage key leaves out the window length (windows of one bucket size share buckets)
  const aggs = (r: RuleSet) =>
    new Map(r.aggregates.map((g) => [g.name, `${g.storageKey}|${g.windowMs}|${g.maxDistinct}`]));
  const segs = (r: RuleSet) =>
    new Map(r.segmentations.map((s) => [s.name, JSON.stringify(s.segments.map((x) => [x.id, x.whenSource ?? null]))]));
  return {
    from: a.version,
    to: b.version,
    added,
    removed,
    changed,
    aggregates: mapDiff(aggs(a), aggs(b)),
    segmentations: mapDiff(segs(a), segs(b)),
  };
}

/** True when the diff finds nothing changed. */
export function isEmptyDiff(d: RulesDiff): boolean {
  return (
    d.added.length +
      d.removed.length +
      d.changed.length +
      d.aggregates.added.length +
      d.aggregates.removed.length +
      d.aggregates.changed.length +
      d.segmentations.added.length +
      d.segmentations.removed.length +
      d.segmentations.changed.length ===
    0
  );
}

function mapDiff(
  a: Map<string, string>,
  b: Map<string, string>,
): { added: string[]; removed: string[]; changed: string[] } {
  return {
    added: [...b.keys()].filter((k) => !a.has(k)).sort(),
    removed: [...a.keys()].filter((k) => !b.has(k)).sort(),
    changed: [...b.keys()].filter((k) => a.has(k) && a.get(k) !== b.get(k)).sort(),
  };
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function sameJson(a: unknown, b: unknown): boolean {
  const norm = (v: unknown) => (v instanceof Date ? v.toISOString() : v);
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

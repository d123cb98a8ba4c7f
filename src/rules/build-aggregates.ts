import { createHash } from 'node:crypto';
import { bucketSizeFor, parseDuration } from '../config/duration.js';
import { checkAndCompile, EVENT_ROOTS } from './logic-refs.js';
import { pointerToPath } from './schema-check.js';
import type { AggregateDef, AggregateFn, RuleIssue } from './types.js';

/** The default number of values `distinct` remembers per customer. */
export const DEFAULT_MAX_DISTINCT = 64;
const NEEDS_FIELD: ReadonlySet<AggregateFn> = new Set(['sum', 'min', 'max', 'avg', 'last', 'distinct']);

interface RawAggregate {
  event: string | string[];
  fn: AggregateFn;
  field?: string;
  window?: string;
  where?: unknown;
  max?: number;
}

/** Resolves aggregates.yaml (already schema-valid) into definitions; issues appended. */
export function buildAggregates(doc: Record<string, RawAggregate>, file: string, issues: RuleIssue[]): AggregateDef[] {
  const out: AggregateDef[] = [];
  for (const [name, raw] of Object.entries(doc)) {
    const at = (key: string) => pointerToPath(`/${name}/${key}`);
    const before = issues.length;
    if (NEEDS_FIELD.has(raw.fn) && raw.field === undefined) {
      issues.push({
        file,
        id: name,
        path: pointerToPath(`/${name}`),
        message: `fn "${raw.fn}" needs a field (e.g. field: data.amount)`,
      });
    }
    let windowMs: number | null = null;
    if (raw.window !== undefined) {
      const d = parseDuration(raw.window);
      if ('error' in d) issues.push({ file, id: name, path: at('window'), message: `window ${d.error}` });
      else windowMs = d.ms;
    }
    const where =
      raw.where === undefined
        ? null
        : checkAndCompile(raw.where, { file, id: name, path: at('where') }, { roots: EVENT_ROOTS }, issues);
    if (issues.length > before) continue;
    const events = (Array.isArray(raw.event) ? raw.event : [raw.event]).slice().sort();
    const bucketMs = windowMs === null ? null : bucketSizeFor(windowMs);
    const maxDistinct = raw.max ?? DEFAULT_MAX_DISTINCT;
    const field = raw.field === undefined ? null : raw.field.split('.');
    const storageHash = createHash('sha256')
      .update(
        JSON.stringify([
          events,
          raw.fn,
          field,
          bucketMs,
          raw.where ?? null,
          raw.fn === 'distinct' ? maxDistinct : null,
        ]),
      )
      .digest('hex')
      .slice(0, 8);
    // no name in the key: aggregates that keep the same buckets share them (spend_30d, spend_90d)
    out.push({ name, events, fn: raw.fn, field, windowMs, bucketMs, where, maxDistinct, storageKey: storageHash });
  }
  return out;
}

import { checkAndCompile, DECISION_ROOTS } from './logic-refs.js';
import { pointerToPath } from './schema-check.js';
import type { RuleIssue, Segment, Segmentation } from './types.js';

type RawSegments = Record<string, Array<{ id: string; when?: unknown }>>;

/** Resolves segments.yaml (already schema-valid) into ordered segmentations; issues appended. */
export function buildSegmentations(
  doc: RawSegments,
  file: string,
  aggregates: ReadonlySet<string>,
  issues: RuleIssue[],
): Segmentation[] {
  const out: Segmentation[] = [];
  const earlier = new Set<string>();
  for (const [name, list] of Object.entries(doc)) {
    const segments: Segment[] = [];
    const seen = new Set<string>();
    let catchAll: string | null = null;
    list.forEach((raw, i) => {
      const id = `${name}/${raw.id}`;
      const path = pointerToPath(`/${name}/${i}`);
      if (seen.has(raw.id))
        issues.push({
          file,
          id,
          path: `${path}.id`,
          message: `duplicate segment id "${raw.id}" in segmentation "${name}"`,
        });
      seen.add(raw.id);
      if (catchAll !== null) {
        issues.push({
          file,
          id,
          path,
          message: `unreachable: segment "${catchAll}" before it has no "when" and always holds`,
        });
      }
      if (raw.when === undefined) catchAll ??= raw.id;
      const when =
        raw.when === undefined
          ? null
          : checkAndCompile(
              raw.when,
              { file, id, path: `${path}.when` },
              { roots: DECISION_ROOTS, aggregates, segmentations: earlier },
              issues,
            );
      segments.push({ id: raw.id, when, whenSource: raw.when ?? null });
    });
    out.push({ name, segments });
    earlier.add(name);
  }
  return out;
}

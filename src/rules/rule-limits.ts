/**
 * Limits on what a rules file may hold, so that loading never throws and never stalls:
 * the parser, the schema check and the json-logic compiler all recurse on nesting.
 * See docs/rules.md, "Loader limits".
 */
export const RULE_LIMITS = Object.freeze({
  /** Deepest nesting of objects and arrays in a rules document (offer, aggregates, segments). */
  maxDepth: 64,
  /** Most nodes (objects, arrays and values) in one rule: an eligibility, a segment's `when`, an aggregate's `where`. */
  maxNodesPerRule: 50_000,
  /** Most YAML aliases expanded in one file (the `yaml` package's maxAliasCount): refuses alias bombs. */
  maxAliasCount: 100,
});

/** `$.a[0].b` style step for a key. */
function step(key: string | number): string {
  if (typeof key === 'number') return `[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/**
 * The JSON path of the first node nested deeper than `maxDepth` (the value itself is at
 * depth 1), or null. Walks with an explicit stack: any nesting is safe to check.
 */
export function firstTooDeep(value: unknown, rootPath: string, maxDepth: number): string | null {
  type Entry = { v: unknown; path: string; depth: number };
  const stack: Entry[] = [{ v: value, path: rootPath, depth: 1 }];
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > maxDepth) return path;
    const entries: Array<[string | number, unknown]> = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [k, x] = entries[i]!;
      if (typeof x === 'object' && x !== null) stack.push({ v: x, path: path + step(k), depth: depth + 1 });
    }
  }
  return null;
}

/** How many nodes a value holds (objects, arrays and scalars), counting no further than `max + 1`. */
export function countNodes(value: unknown, max: number): number {
  let n = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && n <= max) {
    const v = stack.pop();
    n++;
    if (typeof v !== 'object' || v === null) continue;
    for (const x of Array.isArray(v) ? v : Object.values(v)) stack.push(x);
  }
  return n;
}

import { checkLogic, collectVarPaths } from '../jsonlogic/check.js';
import { compilePredicate, type CompiledPredicate } from '../jsonlogic/index.js';
import { countNodes, RULE_LIMITS } from './rule-limits.js';
import type { RuleIssue } from './types.js';

/** What a rule may refer to by name, so a typo is a load error rather than a silent null. */
export interface RefScope {
  /** Roots the data has: decision context (`customer`, `event`, …) or an event's fields. */
  roots: ReadonlySet<string>;
  aggregates?: ReadonlySet<string>;
  /** Segmentations a rule may read in `customer.segments` (for a segment: the ones before it). */
  segmentations?: ReadonlySet<string>;
}

/** Roots of the decision context every offer and segment rule sees. */
export const DECISION_ROOTS: ReadonlySet<string> = new Set(['customer', 'household', 'event', 'context', 'now']);
/** Roots of an event, for an aggregate's `where`. */
export const EVENT_ROOTS: ReadonlySet<string> = new Set(['id', 'type', 'customerId', 'time', 'channel', 'data']);

/**
 * Checks a json-logic rule (operators, forbidden paths, arity, names it refers to)
 * and compiles it. Issues are appended; null when the rule cannot be compiled.
 */
export function checkAndCompile(
  logic: unknown,
  where: { file: string; id: string; path: string },
  scope: RefScope,
  issues: RuleIssue[],
): CompiledPredicate | null {
  if (!checkRefs(logic, where, scope, issues)) return null;
  try {
    return compilePredicate(logic);
  } catch (err) {
    issues.push({
      file: where.file,
      id: where.id,
      path: where.path,
      message: `cannot be compiled: ${(err as Error).message}`,
    });
    return null;
  }
}

/** The checks of {@link checkAndCompile} alone (for rules compiled later, together); true when none failed. */
export function checkRefs(
  logic: unknown,
  where: { file: string; id: string; path: string },
  scope: RefScope,
  issues: RuleIssue[],
): boolean {
  const refuse = (message: string, path = where.path) => {
    issues.push({ file: where.file, id: where.id, path, message });
    return false;
  };
  if (typeof logic !== 'boolean' && (typeof logic !== 'object' || logic === null || Array.isArray(logic))) {
    // a string is a truthy value to JsonLogic: eligibility "false" (or YAML `no`) would always hold
    return refuse(
      `must be a json-logic rule (an object) or true/false, not ${Array.isArray(logic) ? 'a list' : logic === null ? 'null' : `the ${typeof logic} ${JSON.stringify(logic)}`}`,
    );
  }
  if (countNodes(logic, RULE_LIMITS.maxNodesPerRule) > RULE_LIMITS.maxNodesPerRule) {
    return refuse(`holds more than ${RULE_LIMITS.maxNodesPerRule} nodes: split it, or use "in" with a list`);
  }
  const found: RuleIssue[] = checkLogic(logic, where.path).map((i) => ({
    file: where.file,
    id: where.id,
    path: i.path,
    message: i.message,
  }));
  for (const ref of collectVarPaths(logic, where.path)) {
    const message = refProblem(ref.segs, scope);
    if (message) found.push({ file: where.file, id: where.id, path: ref.path, message });
  }
  issues.push(...found);
  return found.length === 0;
}

function refProblem(segs: string[], scope: RefScope): string | null {
  const [root, second, third] = segs;
  const dotted = segs.join('.');
  if (root === undefined || !scope.roots.has(root)) {
    return `var "${dotted}" reads "${root}", which is not in the data (it has ${[...scope.roots].join(', ')})`;
  }
  if (
    (root === 'customer' || root === 'household') &&
    second === 'agg' &&
    third !== undefined &&
    scope.aggregates &&
    !scope.aggregates.has(third)
  ) {
    return `var "${dotted}" reads aggregate "${third}", which aggregates.yaml does not define`;
  }
  if (
    root === 'customer' &&
    second === 'segments' &&
    third !== undefined &&
    scope.segmentations &&
    !scope.segmentations.has(third)
  ) {
    return `var "${dotted}" reads segmentation "${third}", which is not defined before this rule is evaluated`;
  }
  return null;
}

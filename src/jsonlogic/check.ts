import { CUSTOM_OPERATORS, argPath, isKnownOperator, isLogic, keyPath, opAndArgs } from './operators.js';
import { FORBIDDEN_SEGMENTS } from './runtime.js';

/** One problem found in a rule before it is compiled. */
export interface LogicIssue {
  /** JSON path of the offending node, from the rule's root (`$.eligibility.and[1]`). */
  path: string;
  code: 'unknown_operator' | 'forbidden_path' | 'arity';
  message: string;
}

/** A literal `var` path as the segments it walks, or null when computed at run time. */
export function staticVarPath(pathNode: unknown): string[] | null | 'whole' {
  if (pathNode === undefined || pathNode === null || pathNode === '') return 'whole';
  if (typeof pathNode === 'string' || typeof pathNode === 'number' || typeof pathNode === 'boolean') {
    return String(pathNode).split('.');
  }
  return null;
}

/**
 * Every problem in a rule at once: unknown operators, `var` paths through
 * `__proto__` / `constructor` / `prototype`, custom operators with the wrong arity.
 */
export function checkLogic(logic: unknown, root = '$'): LogicIssue[] {
  const issues: LogicIssue[] = [];
  walk(logic, root, issues);
  return issues;
}

function walk(node: unknown, path: string, issues: LogicIssue[]): void {
  if (Array.isArray(node)) {
    node.forEach((el, i) => {
      walk(el, `${path}[${i}]`, issues);
    });
    return;
  }
  if (!isLogic(node)) return;
  const { op, args, argsIsArray } = opAndArgs(node);
  const opPath = keyPath(path, op);
  if (!isKnownOperator(op)) {
    issues.push({ path: opPath, code: 'unknown_operator', message: `unknown operator "${op}"` });
    return;
  }
  const custom = Object.hasOwn(CUSTOM_OPERATORS, op) ? CUSTOM_OPERATORS[op] : undefined;
  if (custom && (args.length < custom.minArgs || args.length > custom.maxArgs)) {
    const want = custom.minArgs === custom.maxArgs ? `${custom.minArgs}` : `${custom.minArgs}–${custom.maxArgs}`;
    issues.push({ path: opPath, code: 'arity', message: `"${op}" takes ${want} operand(s), got ${args.length}` });
  }
  if (op === 'var') {
    const segs = staticVarPath(args[0]);
    if (Array.isArray(segs)) {
      const bad = segs.find((s) => FORBIDDEN_SEGMENTS.has(s));
      if (bad !== undefined) {
        issues.push({
          path: argPath(opPath, 0, argsIsArray),
          code: 'forbidden_path',
          message: `var path "${String(args[0])}" walks through "${bad}", which is not allowed`,
        });
      }
    }
  }
  args.forEach((a, i) => {
    walk(a, argPath(opPath, i, argsIsArray), issues);
  });
}

const SCOPED_OPS = new Set(['filter', 'map', 'reduce', 'all', 'none', 'some']);

/**
 * The literal `var` paths a rule reads from its own data (not from the items that
 * `some`/`filter`/... iterate over), with the JSON path of each `var`.
 */
export function collectVarPaths(logic: unknown, root = '$'): Array<{ path: string; segs: string[] }> {
  const out: Array<{ path: string; segs: string[] }> = [];
  const visit = (node: unknown, path: string): void => {
    if (Array.isArray(node)) {
      node.forEach((el, i) => {
        visit(el, `${path}[${i}]`);
      });
      return;
    }
    if (!isLogic(node)) return;
    const { op, args, argsIsArray } = opAndArgs(node);
    const opPath = keyPath(path, op);
    if (op === 'var') {
      const segs = staticVarPath(args[0]);
      if (Array.isArray(segs)) out.push({ path: opPath, segs });
    }
    args.forEach((a, i) => {
      if (SCOPED_OPS.has(op) && i === 1) return;
      visit(a, argPath(opPath, i, argsIsArray));
    });
  };
  visit(logic, root);
  return out;
}

import { compileLogic, type CompiledLogic } from './compile.js';
import { argPath, isLogic, keyPath, opAndArgs } from './operators.js';
import { truthy, type RuleRuntime } from './runtime.js';

/** The sub-condition that made a rule false, and the values it saw. */
export interface TraceFailure {
  /** JSON path of the failing node from the rule's root, e.g. `$.eligibility.and[1]`. */
  path: string;
  /** The failing node itself. */
  rule: unknown;
  /** What its operands evaluated to (for `var`: the value read; for `or`: each branch). */
  values: unknown[];
}

export interface TraceResult {
  value: unknown;
  passed: boolean;
  failure?: TraceFailure;
  error?: string;
}

const SCOPED = new Set(['filter', 'map', 'reduce', 'all', 'none', 'some']);
const compiled = new WeakMap<object, CompiledLogic>();

function evaluate(node: unknown, data: unknown, rt: RuleRuntime): unknown {
  if (typeof node !== 'object' || node === null) return node;
  let fn = compiled.get(node);
  if (!fn) {
    fn = compileLogic(node);
    compiled.set(node, fn);
  }
  return fn(data, rt);
}

/**
 * Evaluates a rule and, when it is false, walks its `and` / `if` structure down to
 * the smallest sub-condition that failed. Off the hot path: used by `explain`. Each
 * node is evaluated by its own compiled function, so trace and decision agree.
 */
export function traceLogic(logic: unknown, data: unknown, rt: RuleRuntime, root = '$'): TraceResult {
  try {
    const value = evaluate(logic, data, rt);
    if (truthy(value)) return { value, passed: true };
    return { value, passed: false, failure: locate(logic, root, data, rt) };
  } catch (err) {
    return {
      value: undefined,
      passed: false,
      error: (err as Error).message,
      failure: { path: root, rule: logic, values: [] },
    };
  }
}

function locate(node: unknown, path: string, data: unknown, rt: RuleRuntime): TraceFailure {
  if (!isLogic(node)) return { path, rule: node, values: [evaluate(node, data, rt)] };
  const { op, args, argsIsArray } = opAndArgs(node);
  const opPath = keyPath(path, op);
  if (op === 'and') {
    for (let i = 0; i < args.length; i++) {
      if (!truthy(evaluate(args[i], data, rt))) return locate(args[i], argPath(opPath, i, argsIsArray), data, rt);
    }
  }
  if (op === 'if' || op === '?:') {
    let i = 0;
    for (; i < args.length - 1; i += 2) {
      if (truthy(evaluate(args[i], data, rt)))
        return locate(args[i + 1], argPath(opPath, i + 1, argsIsArray), data, rt);
    }
    if (i === args.length - 1) return locate(args[i], argPath(opPath, i, argsIsArray), data, rt);
  }
  if (op === 'var') return { path, rule: node, values: [evaluate(node, data, rt)] };
  const operands = SCOPED.has(op) ? args.slice(0, 1) : args;
  return { path, rule: node, values: operands.map((a) => evaluate(a, data, rt)) };
}

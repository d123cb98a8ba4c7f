/**
 * The operators a rule may use: the JsonLogic spec's, and NBO's few custom ones.
 * Anything else is a load error. `method` (calls arbitrary JS methods) and `log`
 * (writes to stdout on the decision path) are left out on purpose.
 */

/** Operators of the JsonLogic spec that NBO compiles. */
export const SPEC_OPERATORS: ReadonlySet<string> = new Set([
  'var',
  'missing',
  'missing_some',
  'if',
  '?:',
  'and',
  'or',
  '!',
  '!!',
  '==',
  '===',
  '!=',
  '!==',
  '>',
  '>=',
  '<',
  '<=',
  '+',
  '-',
  '*',
  '/',
  '%',
  'min',
  'max',
  'in',
  'cat',
  'substr',
  'merge',
  'map',
  'filter',
  'reduce',
  'all',
  'none',
  'some',
]);

/** A custom operator: its arity and what it is for (rendered in docs/rules.md). */
export interface CustomOperator {
  minArgs: number;
  maxArgs: number;
  summary: string;
  example: unknown;
}

/** NBO's custom operators for offer authoring. */
export const CUSTOM_OPERATORS: Readonly<Record<string, CustomOperator>> = {
  days_since: {
    minArgs: 1,
    maxArgs: 1,
    summary: 'days (fractional) from an ISO-8601 time to now; null when the value is not a time',
    example: { '>': [{ days_since: { var: 'customer.agg.last_purchase_at' } }, 60] },
  },
  hours_since: {
    minArgs: 1,
    maxArgs: 1,
    summary: 'hours (fractional) from an ISO-8601 time to now; null when the value is not a time',
    example: { '<': [{ hours_since: { var: 'customer.agg.last_claim_at' } }, 48] },
  },
  days_until: {
    minArgs: 1,
    maxArgs: 1,
    summary: 'days (fractional) from now until an ISO-8601 time, negative once it has passed; null when not a time',
    example: { '<=': [0, { days_until: { var: 'customer.profile.policy_renewal' } }, 30] },
  },
  count: {
    minArgs: 1,
    maxArgs: 1,
    summary: 'the number of items in an array; 0 for anything else',
    example: { '>=': [{ count: { var: 'event.data.basket.items' } }, 5] },
  },
  sum_by: {
    minArgs: 1,
    maxArgs: 2,
    summary:
      "the sum of a numeric field (dotted path) over an array's items, or of the items themselves; non-numbers are skipped",
    example: { '>': [{ sum_by: [{ var: 'event.data.basket.items' }, 'qty'] }, 10] },
  },
};

export function isKnownOperator(op: string): boolean {
  return SPEC_OPERATORS.has(op) || Object.hasOwn(CUSTOM_OPERATORS, op);
}

/** JsonLogic's test for "is this an operation": a plain object with exactly one key. */
export function isLogic(node: unknown): node is Record<string, unknown> {
  return typeof node === 'object' && node !== null && !Array.isArray(node) && Object.keys(node).length === 1;
}

/** The operator of a logic node and its operands, unary sugar unwrapped. */
export function opAndArgs(node: Record<string, unknown>): { op: string; args: unknown[]; argsIsArray: boolean } {
  const op = Object.keys(node)[0]!;
  const raw = node[op];
  return Array.isArray(raw) ? { op, args: raw, argsIsArray: true } : { op, args: [raw], argsIsArray: false };
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Appends an object key to a JSON path (`$.a`, `$["!!"]`). */
export function keyPath(base: string, key: string): string {
  return IDENT.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}

/** The JSON path of operand `i` of an operation whose own path is `opPath`. */
export function argPath(opPath: string, i: number, argsIsArray: boolean): string {
  return argsIsArray ? `${opPath}[${i}]` : opPath;
}

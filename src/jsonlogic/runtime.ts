/**
 * Runtime helpers that generated rule code calls. Each mirrors one operation of
 * json-logic-js 2.0.x (the reference implementation) exactly; the compiler inlines
 * the common cases and falls back to these where types are not known at load.
 */

/** Values a rule runs with besides its data: the decision clock. */
export interface RuleRuntime {
  /** Milliseconds since the epoch, the moment the rule is evaluated at. */
  nowMs: number;
  /**
   * Values of shared sub-expressions, for rules compiled together by `compileCatalog`: a
   * fresh array of its `memoSlots` for each data object the rules run against. Absent:
   * every rule computes everything itself.
   */
  memo?: unknown[];
}

/** Path segments a `var` may never walk through (prototype pollution / escape). */
export const FORBIDDEN_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const MS_PER_DAY = 86_400_000;
const MS_PER_HOUR = 3_600_000;

/** JsonLogic truthiness: an empty array is false, everything else as in JS. */
export function truthy(v: unknown): boolean {
  return Array.isArray(v) ? v.length !== 0 : !!v;
}

/** `parseFloat(x)` exactly, without the number → string → number trip for numbers. */
export function toFloat(v: unknown): number {
  if (typeof v === 'number') return v === 0 ? 0 : v;
  return parseFloat(v as string);
}

/**
 * An operand used with JavaScript's own coercion (`a < b`, `a - b`, `x[key]`), exactly as
 * json-logic-js applies it; the conformance suite pins the results.
 */
// biome-ignore lint/suspicious/noExplicitAny: the reference semantics are JavaScript's coercion on any value
type Loose = any;

/** `var` with a path only known at run time. */
export function varDynamic(data: unknown, path: unknown, notFound: unknown): unknown {
  const nf = notFound === undefined ? null : notFound;
  if (path === undefined || path === '' || path === null) return data;
  const parts = String(path).split('.');
  let cur: Loose = data;
  for (let i = 0; i < parts.length; i++) {
    const key = parts[i]!;
    if (cur === null || cur === undefined) return nf;
    if (FORBIDDEN_SEGMENTS.has(key)) return nf;
    cur = cur[key];
    if (cur === undefined) return nf;
  }
  return cur;
}

/** `-` with one or two operands; `b === undefined` means negate. */
export function subtract(a: Loose, b: Loose): number {
  return b === undefined ? -a : a - b;
}

/** `*` over evaluated operands (reduce without an initial value, as the reference). */
export function multiply(args: unknown[]): unknown {
  if (args.length === 0) throw new TypeError('"*" needs at least one operand');
  let acc: unknown = args[0];
  for (let i = 1; i < args.length; i++) acc = toFloat(acc) * toFloat(args[i]);
  return acc;
}

export function lt3(a: Loose, b: Loose, c: Loose): boolean {
  return c === undefined ? a < b : a < b && b < c;
}

export function le3(a: Loose, b: Loose, c: Loose): boolean {
  return c === undefined ? a <= b : a <= b && b <= c;
}

export function cat(args: unknown[]): string {
  return args.join('');
}

export function substr(source: unknown, start: Loose, end: Loose): string {
  if (end < 0) {
    const temp = String(source).substr(start);
    return temp.substr(0, temp.length + end);
  }
  return String(source).substr(start, end);
}

export function merge(args: unknown[]): unknown[] {
  return ([] as unknown[]).concat(...args);
}

export function missing(data: unknown, args: unknown[]): unknown[] {
  const keys: Loose = Array.isArray(args[0]) ? args[0] : args;
  const out: unknown[] = [];
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    // json-logic-js looks each key up as {"var": key}: an array key is [path, default]
    const value = Array.isArray(key) ? varDynamic(data, key[0], key[1]) : varDynamic(data, key, null);
    if (value === null || value === '') out.push(key);
  }
  return out;
}

export function missingSome(data: unknown, need: Loose, options: Loose): unknown[] {
  const found = missing(data, Array.isArray(options) ? options : [options]);
  return options.length - found.length >= need ? [] : found;
}

// ---- NBO's custom operators (see docs/rules.md) ------------------------------

function timeMs(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string' || v === '') return NaN;
  return Date.parse(v);
}

/** Days (fractional) from an ISO time (or epoch ms) to now; null when not a time. */
export function daysSince(v: unknown, rt: RuleRuntime): number | null {
  const t = timeMs(v);
  return Number.isFinite(t) ? (rt.nowMs - t) / MS_PER_DAY : null;
}

/** Hours (fractional) from an ISO time (or epoch ms) to now; null when not a time. */
export function hoursSince(v: unknown, rt: RuleRuntime): number | null {
  const t = timeMs(v);
  return Number.isFinite(t) ? (rt.nowMs - t) / MS_PER_HOUR : null;
}

/** Days (fractional) from now until an ISO time (negative when past); null when not a time. */
export function daysUntil(v: unknown, rt: RuleRuntime): number | null {
  const t = timeMs(v);
  return Number.isFinite(t) ? (t - rt.nowMs) / MS_PER_DAY : null;
}

/** Number of items in an array; 0 for anything else. */
export function count(v: unknown): number {
  return Array.isArray(v) ? v.length : 0;
}

/** Sum of a numeric field (a dotted path, or the item itself when omitted) over an array. */
export function sumBy(arr: unknown, field: unknown): number {
  if (!Array.isArray(arr)) return 0;
  let total = 0;
  for (let i = 0; i < arr.length; i++) {
    const v = field === undefined || field === null || field === '' ? arr[i] : varDynamic(arr[i], field, null);
    if (typeof v === 'number' && Number.isFinite(v)) total += v;
  }
  return total;
}

/** Every helper the generated code may reference, by the name it uses. */
export const HELPERS = {
  truthy,
  toFloat,
  varDynamic,
  subtract,
  multiply,
  lt3,
  le3,
  cat,
  substr,
  merge,
  missing,
  missingSome,
  daysSince,
  hoursSince,
  daysUntil,
  count,
  sumBy,
} as const;

export type HelperName = keyof typeof HELPERS;

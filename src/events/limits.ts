/**
 * Limits on what a client may send, checked at the edge the same way for every source
 * (HTTP events, Kafka events, the decide context) before anything reaches state or
 * rules. See docs/api.md, "Input limits".
 */
export interface InputLimits {
  /** Deepest nesting of objects and arrays under an event's `data` or a decide `context`. */
  maxDepth: number;
  /** Longest string value, in UTF-16 code units. */
  maxStringLength: number;
  /** Longest property name, in UTF-16 code units. */
  maxKeyLength: number;
  /** Most items in a basket (`basket.items`). */
  maxBasketItems: number;
  /** Most distinct categories in a basket (its items' `category`, or `basket.categories`). */
  maxBasketCategories: number;
}

export const DEFAULT_LIMITS: Readonly<InputLimits> = Object.freeze({
  maxDepth: 32,
  maxStringLength: 4096,
  maxKeyLength: 128,
  maxBasketItems: 500,
  maxBasketCategories: 100,
});

/**
 * The deepest nesting any configuration may allow. The stores refuse deeper values on
 * their own (see src/state/storable.ts): Redis' cjson stops at 1000 and a recursive
 * copy of a value must stay far from the stack's end.
 */
export const MAX_DEPTH_CEILING = 256;

/**
 * Set (not enumerable) on an event the validator passed: its data keeps within limits at
 * most as wide as MAX_DEPTH_CEILING, so a store need not walk it again. A copy of the
 * event does not carry it.
 */
export const LIMITS_CHECKED: unique symbol = Symbol('nbo.limitsChecked');

/** One offending field: its JSON path and what is wrong. */
export interface LimitError {
  path: string;
  message: string;
}

/** At most this many limit errors are reported per value (a hostile body could yield millions). */
const MAX_REPORTED = 10;
/** Keys shown in a path are cut to this length. */
const PATH_KEY_SHOWN = 64;

/** A JSON path step for a key: `.name` or `["odd key"]` (JSON-escaped, so a lone surrogate reads as `\udc00`). */
export function keyStep(key: string): string {
  if (/^[A-Za-z_$][\w$]*$/.test(key))
    return key.length > PATH_KEY_SHOWN ? `.${key.slice(0, PATH_KEY_SHOWN)}…` : `.${key}`;
  const shown = key.length > PATH_KEY_SHOWN ? `${key.slice(0, PATH_KEY_SHOWN)}…` : key;
  return `[${JSON.stringify(shown)}]`;
}

// a high surrogate not followed by a low one, or a low one not preceded by a high one
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const ANY_SURROGATE = /[\uD800-\uDFFF]/;

/** True when the string is well-formed UTF-16 (every surrogate paired): it can be stored and sent as UTF-8. */
export function isWellFormed(s: string): boolean {
  // the cheap test first: most strings hold no surrogate at all
  return !ANY_SURROGATE.test(s) || !LONE_SURROGATE.test(s);
}

/**
 * Checks a JSON value against the limits: nesting depth (`rootDepth` is the depth of
 * `value` itself), string and key length, lone surrogates in strings and keys. Returns the
 * errors, each with its path. A value within the limits — nearly every one — is told by
 * {@link withinLimits}, which allocates nothing; only a value that breaks one is walked
 * again by {@link limitErrors} to say where.
 */
export function checkValue(
  value: unknown,
  rootPath: string,
  limits: Readonly<InputLimits>,
  rootDepth = 1,
): LimitError[] {
  return withinLimits(value, rootDepth, limits) ? [] : limitErrors(value, rootPath, limits, rootDepth);
}

/**
 * Whether `value` (at nesting depth `depth`) is within the limits, with nothing built:
 * the error-reporting walk allocates an entry, a key list and a child list per object and
 * array — about 5 KB for a decide request's context, 15 % of all a decision allocated
 * in the in-process store's loop. Recursive, but no deeper than the depth limit (at most
 * MAX_DEPTH_CEILING): a container past it stops the descent.
 */
export function withinLimits(v: unknown, depth: number, limits: Readonly<InputLimits>): boolean {
  if (typeof v === 'string') return v.length <= limits.maxStringLength && isWellFormed(v);
  if (typeof v !== 'object' || v === null) return true;
  if (depth > limits.maxDepth) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!withinLimits(v[i], depth + 1, limits)) return false;
    return true;
  }
  for (const k in v) {
    if (!Object.hasOwn(v, k)) continue; // Object.keys' set: own and enumerable
    if (k.length > limits.maxKeyLength || !isWellFormed(k)) return false;
    if (!withinLimits((v as Record<string, unknown>)[k], depth + 1, limits)) return false;
  }
  return true;
}

/**
 * The limit errors of a value, each with its path. Walks with an explicit stack, so no
 * nesting can overflow the call stack, allocates per object and array, and stops after a
 * few errors.
 */
export function limitErrors(
  value: unknown,
  rootPath: string,
  limits: Readonly<InputLimits>,
  rootDepth = 1,
): LimitError[] {
  const errors: LimitError[] = [];
  // paths are built only for the fields reported: each container knows its parent and its step
  type Entry = { v: object; parent: Entry | null; step: string | number; depth: number };
  const stepText = (x: Entry | null, step: string | number) =>
    x === null ? String(step) : typeof step === 'number' ? `[${step}]` : keyStep(step);
  const pathOf = (e: Entry | null, step: string | number): string => {
    const steps: string[] = [stepText(e, step)];
    for (let x: Entry | null = e; x !== null; x = x.parent) steps.push(stepText(x.parent, x.step));
    return steps.reverse().join('');
  };
  const stack: Entry[] = [];
  /** Checks a child (or the root) in place; queues it when it is a container. */
  const visit = (v: unknown, parent: Entry | null, step: string | number, depth: number): void => {
    if (typeof v === 'string') {
      if (v.length > limits.maxStringLength)
        errors.push({
          path: pathOf(parent, step),
          message: `is a string longer than ${limits.maxStringLength} characters`,
        });
      else if (!isWellFormed(v))
        errors.push({ path: pathOf(parent, step), message: 'holds a lone UTF-16 surrogate (not valid Unicode)' });
    } else if (typeof v === 'object' && v !== null) {
      if (depth > limits.maxDepth)
        errors.push({ path: pathOf(parent, step), message: `is nested deeper than ${limits.maxDepth} levels` });
      else stack.push({ v, parent, step, depth });
    }
  };
  visit(value, null, rootPath, rootDepth);
  while (stack.length > 0 && errors.length < MAX_REPORTED) {
    const e = stack.pop()!;
    const v = e.v;
    const depth = e.depth + 1;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) visit(v[i], e, i, depth);
      continue;
    }
    const keys = Object.keys(v);
    const children: string[] = [];
    for (const k of keys) {
      if (k.length > limits.maxKeyLength)
        errors.push({ path: pathOf(e, k), message: `is a key longer than ${limits.maxKeyLength} characters` });
      else if (!isWellFormed(k))
        errors.push({ path: pathOf(e, k), message: 'is a key holding a lone UTF-16 surrogate (not valid Unicode)' });
      else children.push(k);
    }
    // reversed onto the stack, so the children are checked in document order
    for (let i = children.length - 1; i >= 0; i--)
      visit((v as Record<string, unknown>)[children[i]!], e, children[i]!, depth);
  }
  return errors.slice(0, MAX_REPORTED);
}

/**
 * Checks a basket (`data.basket` of an event, `context.basket` of a decide request):
 * at most `maxBasketItems` items and `maxBasketCategories` distinct categories, counted
 * over the items' `category` and over a `categories` list the caller sent.
 */
export function checkBasket(basket: unknown, path: string, limits: Readonly<InputLimits>): LimitError[] {
  if (typeof basket !== 'object' || basket === null || Array.isArray(basket)) return [];
  const b = basket as Record<string, unknown>;
  const errors: LimitError[] = [];
  const tooMany = `has more than ${limits.maxBasketCategories} distinct categories`;
  if (Array.isArray(b.items)) {
    if (b.items.length > limits.maxBasketItems)
      errors.push({ path: `${path}.items`, message: `has more than ${limits.maxBasketItems} items` });
    else if (
      distinctOver(b.items, (item) => (item as Record<string, unknown> | null)?.category, limits.maxBasketCategories)
    )
      errors.push({ path: `${path}.items`, message: tooMany });
  }
  if (Array.isArray(b.categories) && distinctOver(b.categories, (c) => c, limits.maxBasketCategories))
    errors.push({ path: `${path}.categories`, message: tooMany });
  return errors;
}

/** True when the list holds more than `max` distinct string values (stops counting there). */
function distinctOver(list: readonly unknown[], pick: (x: unknown) => unknown, max: number): boolean {
  if (list.length <= max) return false;
  const seen = new Set<string>();
  for (const x of list) {
    const v = pick(x);
    if (typeof v === 'string' && seen.add(v).size > max) return true;
  }
  return false;
}

/**
 * Every limit error of a client's object (`data` of an event, `context` of a decide
 * request) at `path`: its basket's limits, then the value's own.
 */
export function checkPayload(value: unknown, path: string, limits: Readonly<InputLimits>): LimitError[] {
  // the basket first: its counts are cheap to read and bound the walk's work
  const basket = typeof value === 'object' && value !== null ? (value as Record<string, unknown>).basket : undefined;
  const errors = checkBasket(basket, `${path}.basket`, limits);
  if (errors.length > 0) return errors;
  return checkValue(value, path, limits);
}

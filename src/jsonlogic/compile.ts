import { checkLogic, staticVarPath, type LogicIssue } from './check.js';
import { isLogic, opAndArgs } from './operators.js';
import { HELPERS, type HelperName, type RuleRuntime } from './runtime.js';

/** A rule compiled to a JS function. Never called with anything but plain JSON-like data. */
export type CompiledLogic = (data: unknown, rt: RuleRuntime) => unknown;

/** Raised by {@link compileLogic} when a rule has problems; lists all of them. */
export class LogicError extends Error {
  constructor(readonly issues: LogicIssue[]) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
    this.name = 'LogicError';
  }
}

/** What the compiler knows statically about an expression's value. */
type Ty = 'bool' | 'num' | 'str' | 'arr' | 'null' | 'any';
interface Expr {
  code: string;
  ty: Ty;
}

type Scope = { kind: 'data'; d: string } | { kind: 'reduce'; cur: string; acc: string };

const ANY_UNDEFINED: Expr = { code: 'undefined', ty: 'any' };

/** An `and` / `or` / `if` with more operands than this compiles to statements, not nested expressions. */
const FLAT_ABOVE = 64;

/**
 * Compiles a JsonLogic rule into a JS function, once, at load. Semantics follow the
 * JsonLogic spec as json-logic-js 2.0.x implements it (checked by the official test
 * suite and a differential property test). The generated source embeds rule content
 * only as JSON literals or as references to a constants table — never as code.
 *
 * Throws {@link LogicError} listing every problem when the rule uses an unknown
 * operator, a `var` path through `__proto__`/`constructor`/`prototype`, or a custom
 * operator with the wrong arity.
 */
export function compileLogic(logic: unknown): CompiledLogic {
  return build(logic, false);
}

/** A rule compiled to a test: its value's JsonLogic truthiness. */
export type CompiledPredicate = (data: unknown, rt: RuleRuntime) => boolean;

/**
 * Like {@link compileLogic}, for rules used as conditions (eligibility, segment `when`,
 * aggregate `where`): the truthiness test is generated into the rule — nothing at all when
 * the rule is statically boolean — instead of one shared `truthy()` that every rule's
 * result goes through (measured: a quarter of the time of evaluating a catalog).
 */
export function compilePredicate(logic: unknown): CompiledPredicate {
  return build(logic, true) as CompiledPredicate;
}

function build(logic: unknown, predicate: boolean, shared: SharedTable | null = null): CompiledLogic {
  return buildExpr(logic, predicate, shared).fn;
}

function buildExpr(logic: unknown, predicate: boolean, shared: SharedTable | null): { fn: CompiledLogic; ty: Ty } {
  const issues = checkLogic(logic);
  if (issues.length > 0) throw new LogicError(issues);
  const prog = new Program(shared);
  const main = new FnCtx(prog, { kind: 'data', d: 'd' }, true);
  const body = main.compile(logic);
  const result = predicate ? main.truthy(body) : body.code; // before decls(): it may add a temp
  const helperDecls = [...prog.helpers].map((h) => `const h_${h} = H.${h};`).join('\n');
  const memo = prog.usesShared ? 'const M = rt.memo;' : '';
  const source = `"use strict";\n${helperDecls}\n${prog.fns.join('\n')}\nreturn function rule(d, rt) { ${memo} ${main.decls()} return ${result}; };`;
  // Faster than walking the tree per call: V8 compiles this to straight-line code.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const factory = new Function('H', 'c', 'S', source) as (
    h: typeof HELPERS,
    c: unknown[],
    s: CompiledLogic[],
  ) => CompiledLogic;
  return { fn: factory(HELPERS, prog.consts, shared?.fns ?? []), ty: predicate ? 'bool' : body.ty };
}

/** Sub-expressions compiled once for a whole catalog, by canonical key → slot. */
interface SharedTable {
  slots: Map<string, number>;
  fns: CompiledLogic[];
  types: Ty[];
}

/**
 * Canonical text of a rule node: objects with sorted keys, numbers told apart from their
 * look-alikes (-0, NaN and Infinity, which JSON.stringify would print as 0 or null).
 */
export function canonicalKey(node: unknown): string {
  if (Array.isArray(node)) return `[${node.map(canonicalKey).join(',')}]`;
  if (node === null) return 'null';
  switch (typeof node) {
    case 'number':
      return Object.is(node, -0) ? '-0' : String(node);
    case 'string':
      return JSON.stringify(node);
    case 'boolean':
      return String(node);
    case 'object': {
      const o = node as Record<string, unknown>;
      return `{${Object.keys(o)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${canonicalKey(o[k])}`)
        .join(',')}}`;
    }
    default:
      return 'undefined';
  }
}

/** Rough relative cost of evaluating a node once (loops count their body eight times). */
export function logicCost(node: unknown): number {
  if (Array.isArray(node)) return node.reduce((s: number, n) => s + logicCost(n), 0);
  if (!isLogic(node)) return 0;
  const { op, args } = opAndArgs(node);
  switch (op) {
    case 'var':
      return isLogic(args[0]) ? 3 + logicCost(args[0]) : 1;
    case 'some':
    case 'all':
    case 'none':
    case 'filter':
    case 'map':
    case 'reduce':
      return 4 + logicCost(args[0]) + 8 * logicCost(args[1]) + logicCost(args[2]);
    case 'in':
      return (
        2 +
        logicCost(args[0]) +
        (Array.isArray(args[1]) && isPureLiteral(args[1]) ? args[1].length / 2 : logicCost(args[1]))
      );
    default:
      return 1 + logicCost(args);
  }
}

/** Only sub-expressions at least this costly are worth a memo slot (a lookup costs about 1). */
const SHARE_MIN_COST = 5;

/** Options of {@link compileCatalog}; both on by default. */
export interface CatalogOptions {
  /** Evaluate a sub-expression that several rules contain once per evaluation (needs `rt.memo`). */
  share?: boolean;
  /** Evaluate a top-level `and`'s conditions cheapest first. */
  reorder?: boolean;
}

/** A catalog of predicates compiled together; see {@link compileCatalog}. */
export interface CompiledCatalog {
  predicates: CompiledPredicate[];
  /** Length of the `rt.memo` array one evaluation needs (0: no shared sub-expressions). */
  memoSlots: number;
  /** Canonical keys of the shared sub-expressions, by slot. */
  shared: string[];
}

/**
 * Compiles many predicates that run against the same data one after another (an offer
 * catalog's eligibility rules) so that they share work:
 *
 * - A costly sub-expression found in several rules (the same store list, the same basket
 *   `some`) is compiled once; each rule reads its value from `rt.memo[slot]`, computing it
 *   only the first time. `rt.memo` must be a fresh array (length `memoSlots`) for each data
 *   object; without `rt.memo` every rule computes everything itself. A sub-expression that
 *   raises is not remembered, so it raises again for every rule that reaches it.
 * - A rule's top-level `and` checks its conditions cheapest first (a memoized condition
 *   counts as cheap). Only truthiness is used, so the outcome is the same in any order;
 *   a rule that fails one condition and would raise on another may be found false without
 *   raising.
 *
 * Semantics are those of {@link compilePredicate} for each rule (differential tests check
 * both against json-logic-js).
 */
export function compileCatalog(logics: readonly unknown[], opts: CatalogOptions = {}): CompiledCatalog {
  const share = opts.share ?? true;
  const reorder = opts.reorder ?? true;
  for (const l of logics) {
    const issues = checkLogic(l);
    if (issues.length > 0) throw new LogicError(issues);
  }
  // occurrences of each costly node in the data scope of every rule (not inside loop bodies)
  const counts = new Map<string, { node: unknown; n: number; cost: number }>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const el of node) visit(el);
      return;
    }
    if (!isLogic(node)) return;
    const cost = logicCost(node);
    if (share && cost >= SHARE_MIN_COST) {
      const key = canonicalKey(node);
      const c = counts.get(key);
      if (c) c.n++;
      else counts.set(key, { node, n: 1, cost });
    }
    const { op, args } = opAndArgs(node);
    if (op === 'some' || op === 'all' || op === 'none' || op === 'filter' || op === 'map' || op === 'reduce') {
      visit(args[0]);
      visit(args[2]);
    } else visit(args);
  };
  logics.forEach(visit);
  const table: SharedTable = { slots: new Map(), fns: [], types: [] };
  const keys: string[] = [];
  for (const [key, c] of counts) {
    if (c.n < 2) continue;
    const { fn, ty } = buildExpr(c.node, false, null);
    table.slots.set(key, keys.length);
    table.fns.push(fn);
    table.types.push(ty);
    keys.push(key);
  }
  const effective = (node: unknown): number => {
    const c = table.slots.has(canonicalKey(node)) ? counts.get(canonicalKey(node)) : undefined;
    return c ? 1 + c.cost / c.n : logicCost(node);
  };
  const predicates = logics.map((logic) => {
    let l = logic;
    if (reorder && isLogic(l)) {
      const { op, args, argsIsArray } = opAndArgs(l);
      if (op === 'and' && argsIsArray && args.length > 1) {
        const ranked = args.map((a, i) => ({ a, i, cost: effective(a) })).sort((x, y) => x.cost - y.cost || x.i - y.i);
        l = { and: ranked.map((r) => r.a) };
      }
    }
    return build(l, true, keys.length > 0 ? table : null) as CompiledPredicate;
  });
  return { predicates, memoSlots: keys.length, shared: keys };
}

class Program {
  usesShared = false;
  constructor(readonly shared: SharedTable | null = null) {}
  readonly consts: unknown[] = [];
  readonly fns: string[] = [];
  readonly helpers = new Set<HelperName>();
  helper(name: HelperName): string {
    this.helpers.add(name);
    return `h_${name}`;
  }
  constant(v: unknown): string {
    this.consts.push(v);
    return `c[${this.consts.length - 1}]`;
  }
  /** Adds a top-level function to the generated source; returns its name. */
  addFn(params: string, body: string): string {
    const name = `f${this.fns.length}`;
    this.fns.push(`function ${name}(${params}) { ${body} }`);
    return name;
  }
}

function isPureLiteral(node: unknown): boolean {
  if (Array.isArray(node)) return node.every(isPureLiteral);
  return !isLogic(node);
}

function numberLiteral(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '(-Infinity)';
  if (Object.is(n, -0)) return '(-0)';
  return n < 0 ? `(${JSON.stringify(n)})` : JSON.stringify(n);
}

function union(exprs: Expr[]): Ty {
  const first = exprs[0]?.ty ?? 'any';
  return exprs.every((e) => e.ty === first) ? first : 'any';
}

class FnCtx {
  private temps = 0;
  constructor(
    private readonly prog: Program,
    private readonly scope: Scope,
    /** The rule's own data scope (not a loop body): where shared sub-expressions apply. */
    private readonly top = false,
  ) {}

  decls(): string {
    if (this.temps === 0) return '';
    return `let ${Array.from({ length: this.temps }, (_, i) => `t${i}`).join(', ')};`;
  }

  private temp(): string {
    return `t${this.temps++}`;
  }

  private h(name: HelperName): string {
    return this.prog.helper(name);
  }

  /** JS code testing an expression's JsonLogic truthiness. */
  truthy(e: Expr): string {
    switch (e.ty) {
      case 'bool':
        return e.code;
      case 'num':
      case 'str':
        return `!!(${e.code})`;
      case 'arr':
        return `((${e.code}).length !== 0)`;
      case 'null':
        return 'false';
      default: {
        // inlined rather than a shared helper: a helper called by every rule goes megamorphic
        const t = this.temp();
        return `(Array.isArray(${t} = ${e.code}) ? ${t}.length !== 0 : !!${t})`;
      }
    }
  }

  /** The whole data object of this scope. */
  private dataExpr(): string {
    return this.scope.kind === 'data'
      ? this.scope.d
      : `({ current: ${this.scope.cur}, accumulator: ${this.scope.acc} })`;
  }

  compile(node: unknown): Expr {
    if (Array.isArray(node)) {
      if (isPureLiteral(node)) return { code: this.prog.constant(node), ty: 'arr' };
      return { code: `[${node.map((n) => this.compile(n).code).join(', ')}]`, ty: 'arr' };
    }
    if (!isLogic(node)) return this.literal(node);
    const shared = this.top ? this.prog.shared : null;
    if (shared) {
      const slot = shared.slots.get(canonicalKey(node));
      if (slot !== undefined) {
        this.prog.usesShared = true;
        const t = this.temp();
        const call = `S[${slot}](d, rt)`;
        return {
          code: `(M === undefined ? ${call} : (${t} = M[${slot}]) !== undefined ? ${t} : (M[${slot}] = ${call}))`,
          ty: shared.types[slot]!,
        };
      }
    }
    const { op, args } = opAndArgs(node);
    const arg = (i: number): Expr => (i < args.length ? this.compile(args[i]) : ANY_UNDEFINED);
    const all = (): Expr[] => args.map((a) => this.compile(a));
    switch (op) {
      case '==':
      case '===':
      case '!=':
      case '!==':
      case '>':
      case '>=':
        return { code: `(${arg(0).code} ${op} ${arg(1).code})`, ty: 'bool' };
      case '<':
      case '<=':
        if (args.length <= 2) return { code: `(${arg(0).code} ${op} ${arg(1).code})`, ty: 'bool' };
        return {
          code: `${this.h(op === '<' ? 'lt3' : 'le3')}(${arg(0).code}, ${arg(1).code}, ${arg(2).code})`,
          ty: 'bool',
        };
      case '!!':
        return { code: this.truthy(arg(0)), ty: 'bool' };
      case '!':
        return { code: `!(${this.truthy(arg(0))})`, ty: 'bool' };
      case '%':
      case '/':
        return { code: `(${arg(0).code} ${op} ${arg(1).code})`, ty: 'num' };
      case '-': {
        if (args.length <= 1) return { code: `(-(${arg(0).code}))`, ty: 'num' };
        const b = arg(1);
        if (b.ty === 'any') return { code: `${this.h('subtract')}(${arg(0).code}, ${b.code})`, ty: 'num' };
        return { code: `(${arg(0).code} - ${b.code})`, ty: 'num' };
      }
      case '+': {
        // reduce((a, b) => parseFloat(a) + parseFloat(b), 0): the running sum is never -0,
        // so numbers need no conversion; anything else goes through parseFloat.
        const terms = all().map((e) => (e.ty === 'num' ? e.code : `${this.h('toFloat')}(${e.code})`));
        return { code: `(0 + ${terms.join(' + ') || '0'})`, ty: 'num' };
      }
      case '*':
        if (args.length === 1) return arg(0);
        return {
          code: `${this.h('multiply')}([${all()
            .map((e) => e.code)
            .join(', ')}])`,
          ty: args.length === 0 ? 'any' : 'num',
        };
      case 'min':
      case 'max':
        return {
          code: `Math.${op}(${all()
            .map((e) => e.code)
            .join(', ')})`,
          ty: 'num',
        };
      case 'in': {
        const [ta, tb] = [this.temp(), this.temp()];
        return {
          code: `(${ta} = ${arg(0).code}, ${tb} = ${arg(1).code}, (!${tb} || typeof ${tb}.indexOf === "undefined") ? false : ${tb}.indexOf(${ta}) !== -1)`,
          ty: 'bool',
        };
      }
      case 'cat':
        return {
          code: `${this.h('cat')}([${all()
            .map((e) => e.code)
            .join(', ')}])`,
          ty: 'str',
        };
      case 'substr':
        return { code: `${this.h('substr')}(${arg(0).code}, ${arg(1).code}, ${arg(2).code})`, ty: 'str' };
      case 'merge':
        return {
          code: `${this.h('merge')}([${all()
            .map((e) => e.code)
            .join(', ')}])`,
          ty: 'arr',
        };
      case 'var':
        return this.varExpr(args);
      case 'missing':
        return {
          code: `${this.h('missing')}(${this.dataExpr()}, [${all()
            .map((e) => e.code)
            .join(', ')}])`,
          ty: 'arr',
        };
      case 'missing_some':
        return { code: `${this.h('missingSome')}(${this.dataExpr()}, ${arg(0).code}, ${arg(1).code})`, ty: 'arr' };
      case 'if':
      case '?:':
        return this.ifExpr(args);
      case 'and':
      case 'or':
        return this.andOr(op, args);
      case 'filter':
      case 'map':
      case 'all':
      case 'none':
      case 'some':
        return this.scoped(op, args);
      case 'reduce':
        return this.reduceExpr(args);
      case 'days_since':
        return { code: `${this.h('daysSince')}(${arg(0).code}, rt)`, ty: 'any' };
      case 'hours_since':
        return { code: `${this.h('hoursSince')}(${arg(0).code}, rt)`, ty: 'any' };
      case 'days_until':
        return { code: `${this.h('daysUntil')}(${arg(0).code}, rt)`, ty: 'any' };
      case 'count':
        return { code: `${this.h('count')}(${arg(0).code})`, ty: 'num' };
      case 'sum_by':
        return { code: `${this.h('sumBy')}(${arg(0).code}, ${arg(1).code})`, ty: 'num' };
      default:
        // checkLogic has already refused unknown operators
        throw new LogicError([{ path: '$', code: 'unknown_operator', message: `unknown operator "${op}"` }]);
    }
  }

  private literal(v: unknown): Expr {
    switch (typeof v) {
      case 'undefined':
        return ANY_UNDEFINED;
      case 'boolean':
        return { code: String(v), ty: 'bool' };
      case 'number':
        return { code: numberLiteral(v), ty: 'num' };
      case 'string':
        return { code: JSON.stringify(v), ty: 'str' };
      default:
        if (v === null) return { code: 'null', ty: 'null' };
        return { code: this.prog.constant(v), ty: 'any' };
    }
  }

  private varExpr(args: unknown[]): Expr {
    const pathNode = args[0];
    const def = args.length > 1 ? this.compile(args[1]) : undefined;
    // json-logic-js: a default that evaluates to undefined means null
    const nf = def === undefined ? 'null' : def.ty === 'any' ? `(${def.code} ?? null)` : def.code;
    const segs = isLogic(pathNode) || Array.isArray(pathNode) ? null : staticVarPath(pathNode);
    if (segs === 'whole') return { code: this.dataExpr(), ty: 'any' };
    if (segs === null) {
      const p = this.compile(pathNode);
      return { code: `${this.h('varDynamic')}(${this.dataExpr()}, ${p.code}, ${def ? def.code : 'null'})`, ty: 'any' };
    }
    const t = this.temp();
    if (this.scope.kind === 'reduce' && (segs[0] === 'current' || segs[0] === 'accumulator')) {
      // {current, accumulator} is never materialised for the common paths
      const base = segs[0] === 'current' ? this.scope.cur : this.scope.acc;
      return { code: `((${t} = ${base}) === undefined ? ${nf} : ${this.chain(t, segs.slice(1), nf)})`, ty: 'any' };
    }
    return { code: `(${t} = ${this.dataExpr()}, ${this.chain(t, segs, nf)})`, ty: 'any' };
  }

  /**
   * Walks `t` down `segs` as json-logic-js's var does: a null or undefined on the way gives
   * `nf`; the last step gives `nf` only for undefined (a stored null reads as null). One
   * test per step: an intermediate null would be refused by the next step anyway.
   */
  private chain(t: string, segs: string[], nf: string): string {
    if (segs.length === 0) return t;
    let code = `(${t} == null ? ${nf} : `;
    segs.forEach((s, i) => {
      const access = `${t}[${JSON.stringify(s)}]`;
      if (i < segs.length - 1) code += `(${t} = ${access}) == null ? ${nf} : `;
      else code += nf === 'null' ? `(${access} ?? null)` : `(${t} = ${access}) === undefined ? ${nf} : ${t}`;
    });
    return `${code})`;
  }

  private ifExpr(args: unknown[]): Expr {
    if (args.length === 0) return { code: 'null', ty: 'null' };
    if (args.length > FLAT_ABOVE) return this.flatIf(args);
    const branches: Expr[] = [];
    let i = 0;
    const conds: string[] = [];
    for (; i < args.length - 1; i += 2) {
      conds.push(this.truthy(this.compile(args[i])));
      branches.push(this.compile(args[i + 1]));
    }
    const last: Expr = i === args.length - 1 ? this.compile(args[i]) : { code: 'null', ty: 'null' };
    let code = last.code;
    for (let k = conds.length - 1; k >= 0; k--) code = `(${conds[k]} ? ${branches[k]!.code} : ${code})`;
    return { code, ty: union([...branches, last]) };
  }

  /**
   * A function of this scope's variables whose body is `stmts(inner)`: statements one
   * after another, however many, where a nested expression would be as deep as it is
   * long (V8's parser recurses on nesting: an `if` of 1,500 branches as nested ternaries
   * overflows its stack). Returns the call.
   */
  private flatFn(stmts: (inner: FnCtx) => string): string {
    const inner = new FnCtx(this.prog, this.scope);
    const body = stmts(inner); // before decls(): it adds temps
    const params = this.scope.kind === 'data' ? 'd' : 'cu, ac';
    const fn = this.prog.addFn(`${params}, rt`, `${inner.decls()} ${body}`);
    return `${fn}(${this.scope.kind === 'data' ? this.scope.d : `${this.scope.cur}, ${this.scope.acc}`}, rt)`;
  }

  private flatIf(args: unknown[]): Expr {
    const tys: Expr[] = [];
    const code = this.flatFn((inner) => {
      let body = '';
      let i = 0;
      for (; i < args.length - 1; i += 2) {
        const branch = inner.compile(args[i + 1]);
        tys.push(branch);
        body += `if (${inner.truthy(inner.compile(args[i]))}) return ${branch.code};\n`;
      }
      const last: Expr = i === args.length - 1 ? inner.compile(args[i]) : { code: 'null', ty: 'null' };
      tys.push(last);
      return `${body}return ${last.code};`;
    });
    return { code, ty: union(tys) };
  }

  private andOr(op: 'and' | 'or', args: unknown[]): Expr {
    if (args.length === 0) return ANY_UNDEFINED;
    if (args.length > FLAT_ABOVE) {
      // one statement per operand, not one nesting level per operand (see flatFn)
      const parts: Expr[] = [];
      const code = this.flatFn((inner) => {
        let body = 'let r;\n';
        args.forEach((a, k) => {
          const e = inner.compile(a);
          parts.push(e);
          if (k === args.length - 1) body += `return ${e.code};`;
          else
            body += `r = ${e.code}; if (${op === 'and' ? '!' : ''}(${inner.truthy({ code: 'r', ty: e.ty })})) return r;\n`;
        });
        return body;
      });
      return { code, ty: union(parts) };
    }
    const parts = args.map((a) => this.compile(a));
    if (parts.length === 1) return parts[0]!;
    if (parts.every((p) => p.ty === 'bool')) {
      return { code: `(${parts.map((p) => p.code).join(op === 'and' ? ' && ' : ' || ')})`, ty: 'bool' };
    }
    let code = parts[parts.length - 1]!.code;
    for (let k = parts.length - 2; k >= 0; k--) {
      const t = this.temp();
      const test = this.truthy({ code: t, ty: parts[k]!.ty });
      code =
        op === 'and'
          ? `(${t} = ${parts[k]!.code}, !(${test}) ? ${t} : ${code})`
          : `(${t} = ${parts[k]!.code}, ${test} ? ${t} : ${code})`;
    }
    return { code, ty: union(parts) };
  }

  /**
   * filter / map / all / none / some: each occurrence gets its own loop function with
   * the body inlined, so V8 sees one call target per loop instead of one shared helper.
   */
  private scoped(op: 'filter' | 'map' | 'all' | 'none' | 'some', args: unknown[]): Expr {
    const arr = args.length > 0 ? this.compile(args[0]) : ANY_UNDEFINED;
    const inner = new FnCtx(this.prog, { kind: 'data', d: 'd' });
    const body = args.length > 1 ? inner.compile(args[1]) : ANY_UNDEFINED;
    const test = op === 'map' ? '' : inner.truthy(body);
    const loop = (stmt: string) => `for (let i = 0; i < a.length; i++) { const d = a[i]; ${stmt} }`;
    let src: string;
    switch (op) {
      case 'filter':
        src = `if (!Array.isArray(a)) return []; const out = []; ${inner.decls()} ${loop(`if (${test}) out.push(d);`)} return out;`;
        break;
      case 'map':
        src = `if (!Array.isArray(a)) return []; const out = new Array(a.length); ${inner.decls()} ${loop(`out[i] = ${body.code};`)} return out;`;
        break;
      case 'all':
        src = `if (!Array.isArray(a) || a.length === 0) return false; ${inner.decls()} ${loop(`if (!(${test})) return false;`)} return true;`;
        break;
      case 'none':
        src = `if (!Array.isArray(a) || a.length === 0) return true; ${inner.decls()} ${loop(`if (${test}) return false;`)} return true;`;
        break;
      case 'some':
        src = `if (!Array.isArray(a) || a.length === 0) return false; ${inner.decls()} ${loop(`if (${test}) return true;`)} return false;`;
        break;
    }
    const fn = this.prog.addFn('a, rt', src);
    return { code: `${fn}(${arr.code}, rt)`, ty: op === 'filter' || op === 'map' ? 'arr' : 'bool' };
  }

  private reduceExpr(args: unknown[]): Expr {
    const arr = args.length > 0 ? this.compile(args[0]) : ANY_UNDEFINED;
    const inner = new FnCtx(this.prog, { kind: 'reduce', cur: 'cu', acc: 'ac' });
    const body = args.length > 1 ? inner.compile(args[1]) : ANY_UNDEFINED;
    const initial = args.length > 2 && args[2] !== undefined ? this.compile(args[2]).code : 'null';
    const fn = this.prog.addFn(
      'a, ac, rt',
      `if (!Array.isArray(a)) return ac; ${inner.decls()} for (let i = 0; i < a.length; i++) { const cu = a[i]; ac = ${body.code}; } return ac;`,
    );
    return { code: `${fn}(${arr.code}, ${initial}, rt)`, ty: 'any' };
  }
}

import { isOutcome, type Outcome } from '../events/types.js';
import { compileCatalog } from '../jsonlogic/index.js';
import { parseDuration } from '../config/duration.js';
import { checkRefs, DECISION_ROOTS } from './logic-refs.js';
import { DEFAULT_PRIOR, MAX_WINDOWED_CUSTOMER_CAP, type Cap, type Offer, type RuleIssue } from './types.js';

/** An offer as written (already schema-valid). */
export interface RawOffer {
  id: string;
  name: string;
  channels: string[];
  triggers?: string[];
  active?: { from?: string; to?: string };
  eligibility?: unknown;
  value: number;
  weight?: number;
  propensity?: {
    prior?: { accepted: number; impressions: number };
    halfLife?: string;
    model?: 'segment' | 'contextual';
  };
  caps?: { customer?: RawCap[]; total?: RawCap[] };
  cooldown?: Record<string, string>;
  fallback?: boolean;
  payload?: Record<string, unknown>;
}
interface RawCap {
  outcome: Outcome;
  max: number;
  window?: string;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Milliseconds of an ISO-8601 time, or null when it is not one. */
export function parseIsoTime(v: unknown): number | null {
  if (typeof v !== 'string' || !ISO_TIME.test(v)) return null;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? ms : null;
}

export interface OfferScope {
  aggregates: ReadonlySet<string>;
  segmentations: ReadonlySet<string>;
}

/**
 * Compiles every offer's eligibility together (jsonlogic compileCatalog: sub-expressions
 * several offers share are evaluated once per decision, conditions cheapest first); returns
 * the memo length a decision passes as `rt.memo`.
 */
export function compileOfferCatalog(offers: readonly Offer[]): number {
  const withRule = offers.filter((o) => o.eligibilitySource !== null);
  const catalog = compileCatalog(withRule.map((o) => o.eligibilitySource));
  withRule.forEach((o, i) => {
    (o as { eligibility: Offer['eligibility'] }).eligibility = catalog.predicates[i]!;
  });
  return catalog.memoSlots;
}

/** Resolves one offer at JSON path `p` of `file`; issues appended; null when invalid. */
export function buildOffer(
  raw: RawOffer,
  file: string,
  p: string,
  scope: OfferScope,
  issues: RuleIssue[],
): Offer | null {
  const before = issues.length;
  const id = raw.id;
  const problem = (path: string, message: string) => issues.push({ file, id, path, message });

  const time = (key: 'from' | 'to'): number | null => {
    const v = raw.active?.[key];
    if (v === undefined) return null;
    const ms = parseIsoTime(v);
    if (ms === null) problem(`${p}.active.${key}`, `"${v}" is not an ISO-8601 time (e.g. 2026-11-01T00:00:00Z)`);
    return ms;
  };
  const activeFromMs = time('from');
  const activeToMs = time('to');
  if (activeFromMs !== null && activeToMs !== null && activeFromMs > activeToMs)
    problem(`${p}.active`, 'active.from is after active.to');

  const caps = (scopeName: 'customer' | 'total'): Cap[] =>
    (raw.caps?.[scopeName] ?? []).map((c, i) => {
      const at = `${p}.caps.${scopeName}[${i}]`;
      let windowMs: number | null = null;
      if (c.window !== undefined) {
        const d = parseDuration(c.window);
        if ('error' in d) problem(`${at}.window`, `window ${d.error}`);
        else windowMs = d.ms;
      }
      if (scopeName === 'customer' && windowMs !== null && c.max > MAX_WINDOWED_CUSTOMER_CAP) {
        problem(
          `${at}.max`,
          `a windowed customer cap counts at most ${MAX_WINDOWED_CUSTOMER_CAP} outcomes; use a lifetime cap (no window) above that`,
        );
      }
      return { outcome: c.outcome, max: c.max, windowMs, window: c.window ?? null };
    });
  const customerCaps = caps('customer');
  const totalCaps = caps('total');

  const cooldowns: Array<{ outcome: Outcome; ms: number; window: string }> = [];
  for (const [outcome, text] of Object.entries(raw.cooldown ?? {})) {
    const d = parseDuration(text);
    if ('error' in d) problem(`${p}.cooldown.${outcome}`, `cooldown ${d.error}`);
    else if (isOutcome(outcome)) cooldowns.push({ outcome, ms: d.ms, window: text });
  }

  let halfLifeMs: number | null | undefined;
  const halfLife = raw.propensity?.halfLife;
  if (halfLife === 'none') halfLifeMs = null;
  else if (halfLife !== undefined) {
    const d = parseDuration(halfLife);
    if ('error' in d) problem(`${p}.propensity.halfLife`, `half-life ${d.error}, or "none"`);
    else halfLifeMs = d.ms;
  }
  const prior = raw.propensity?.prior ?? DEFAULT_PRIOR;
  if (prior.accepted > prior.impressions)
    problem(
      `${p}.propensity.prior.accepted`,
      `accepted (${prior.accepted}) is more than impressions (${prior.impressions})`,
    );

  // checked here; compiled with the rest of the catalog (load.ts: compileOfferCatalog), so
  // that rules can share sub-expressions
  if (raw.eligibility !== undefined)
    checkRefs(raw.eligibility, { file, id, path: `${p}.eligibility` }, { roots: DECISION_ROOTS, ...scope }, issues);

  if (issues.length > before) return null;
  return {
    id,
    name: raw.name,
    channels: new Set(raw.channels),
    triggers: raw.triggers ? new Set(raw.triggers) : null,
    activeFromMs,
    activeToMs,
    eligibility: null, // set by compileOfferCatalog
    eligibilitySource: raw.eligibility ?? null,
    value: raw.value,
    weight: raw.weight ?? 1,
    prior,
    ...(halfLifeMs !== undefined ? { halfLifeMs } : {}),
    ...(raw.propensity?.model ? { model: raw.propensity.model } : {}),
    customerCaps,
    totalCaps,
    offeredTotalCaps: totalCaps.filter((c) => c.outcome === 'offered'),
    cooldowns,
    fallback: raw.fallback ?? false,
    payload: raw.payload ?? {},
    file,
    source: raw as unknown as Record<string, unknown>,
  };
}

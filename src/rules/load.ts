import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { buildAggregates } from './build-aggregates.js';
import { buildOffer, compileOfferCatalog, type RawOffer } from './build-offers.js';
import { buildSegmentations } from './build-segments.js';
import { parseRuleFile, readRuleFiles, type ParsedFile, type RuleFile } from './read-files.js';
import { firstTooDeep, RULE_LIMITS } from './rule-limits.js';
import { schemaIssues } from './schema-check.js';
import type { AggregateDef, Offer, RuleIssue, RuleSet, Segmentation } from './types.js';

export type LoadResult = { ok: true; rules: RuleSet } | { ok: false; issues: RuleIssue[] };

const AGGREGATES_FILE = /^aggregates\.(ya?ml|json)$/i;
const SEGMENTS_FILE = /^segments\.(ya?ml|json)$/i;
const OFFER_FILE = /^offers\/.+\.(ya?ml|json)$/i;

/** Reads, validates and compiles a rules directory. Every problem is reported, not the first. */
export function loadRulesDir(dir: string): LoadResult {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    return { ok: false, issues: [{ file: '.', path: '$', message: `rules directory "${dir}" does not exist` }] };
  }
  let files: RuleFile[];
  try {
    files = readRuleFiles(dir);
  } catch (err) {
    return {
      ok: false,
      issues: [{ file: '.', path: '$', message: `cannot read rules directory: ${(err as Error).message}` }],
    };
  }
  return buildRuleSet(files);
}

/** The content hash of a rules directory: every decision carries it. */
export function rulesVersion(files: readonly RuleFile[]): string {
  const h = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.file < b.file ? -1 : 1)))
    h.update(f.file).update('\0').update(f.text).update('\0');
  return h.digest('hex').slice(0, 12);
}

/**
 * Validates and compiles rules files (paths relative to the rules directory). Never
 * throws: whatever goes wrong is an issue, and the set is refused.
 */
export function buildRuleSet(files: readonly RuleFile[]): LoadResult {
  try {
    const steps = ruleSetSteps(files);
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
    }
  } catch (err) {
    return unforeseen(err);
  }
}

/** A limit this loader does not know of yet: still an issue, never a crash. */
function unforeseen(err: unknown): LoadResult {
  return {
    ok: false,
    issues: [{ file: '.', path: '$', message: `the rule set cannot be loaded: ${(err as Error).message}` }],
  };
}

/**
 * The same as buildRuleSet, in slices of about `sliceMs` with the event loop free between
 * them: a running service compiles a new rule set (hundreds of offers take tens of ms)
 * without holding up the decisions in flight.
 */
export async function buildRuleSetSliced(files: readonly RuleFile[], sliceMs = 4): Promise<LoadResult> {
  try {
    const steps = ruleSetSteps(files);
    let start = performance.now();
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
      if (performance.now() - start >= sliceMs) {
        await new Promise((resolve) => setImmediate(resolve));
        start = performance.now();
      }
    }
  } catch (err) {
    return unforeseen(err);
  }
}

/** Issues for a document nested deeper than the loader allows (checked before anything recursive reads it). */
function depthIssues(
  doc: unknown,
  file: string,
  prefix: string,
  idAt: (path: string) => string | undefined,
): RuleIssue[] {
  const path = firstTooDeep(doc, prefix, RULE_LIMITS.maxDepth);
  if (path === null) return [];
  const id = idAt(path);
  return [
    {
      file,
      ...(id !== undefined ? { id } : {}),
      path,
      message: `is nested deeper than ${RULE_LIMITS.maxDepth} levels`,
    },
  ];
}

/** buildRuleSet as steps: it yields after each offer, where the work may pause. */
function* ruleSetSteps(files: readonly RuleFile[]): Generator<void, LoadResult> {
  const issues: RuleIssue[] = [];
  const aggFiles = files.filter((f) => AGGREGATES_FILE.test(f.file));
  const segFiles = files.filter((f) => SEGMENTS_FILE.test(f.file));
  const offerFiles = files.filter((f) => OFFER_FILE.test(f.file));
  for (const f of files) {
    if (!AGGREGATES_FILE.test(f.file) && !SEGMENTS_FILE.test(f.file) && !OFFER_FILE.test(f.file)) {
      issues.push({
        file: f.file,
        path: '$',
        message: 'not a rules file: expected aggregates.yaml, segments.yaml or offers/*.yaml',
      });
    }
  }
  for (const group of [aggFiles, segFiles]) {
    if (group.length > 1)
      for (const f of group.slice(1))
        issues.push({
          file: f.file,
          path: '$',
          message: `only one of ${group.map((g) => g.file).join(', ')} may exist`,
        });
  }
  if (offerFiles.length === 0)
    issues.push({ file: 'offers/', path: '$', message: 'the catalog has no offers (add files under offers/)' });

  // aggregates
  let aggregates: AggregateDef[] = [];
  const aggFile = aggFiles[0] && parseRuleFile(aggFiles[0], issues);
  if (aggFile) {
    const doc = aggFile.doc ?? {};
    const deep = depthIssues(doc, aggFile.file, '$', (path) => pathToPointer(path).split('/')[1] || undefined);
    const found =
      deep.length > 0
        ? deep
        : schemaIssues('aggregates', doc, aggFile.file, '$', (ptr) => ptr.split('/')[1] || undefined);
    issues.push(...found);
    if (found.length === 0) aggregates = buildAggregates(doc as never, aggFile.file, issues);
  }
  // declared names count as known even when a definition has problems, to avoid cascades
  const aggNames = new Set(aggFile && isObject(aggFile.doc) ? Object.keys(aggFile.doc) : []);

  // segments
  let segmentations: Segmentation[] = [];
  const segFile = segFiles[0] && parseRuleFile(segFiles[0], issues);
  if (segFile) {
    const doc = segFile.doc ?? {};
    const idAt = (ptr: string) => segmentIdAt(doc, ptr);
    const deep = depthIssues(doc, segFile.file, '$', (path) => segmentIdAt(doc, pathToPointer(path)));
    const found = deep.length > 0 ? deep : schemaIssues('segments', doc, segFile.file, '$', idAt);
    issues.push(...found);
    if (found.length === 0) segmentations = buildSegmentations(doc as never, segFile.file, aggNames, issues);
  }
  const segNames = new Set(segFile && isObject(segFile.doc) ? Object.keys(segFile.doc) : []);

  // offers
  const offers: Offer[] = [];
  const firstSeen = new Map<string, string>();
  for (const f of offerFiles) {
    const parsed = parseRuleFile(f, issues);
    yield;
    if (parsed)
      offers.push(
        ...(yield* buildOfferFile(parsed, { aggregates: aggNames, segmentations: segNames }, firstSeen, issues)),
      );
  }

  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, rules: makeRuleSet(rulesVersion(files), offers, aggregates, segmentations) };
}

function* buildOfferFile(
  f: ParsedFile,
  scope: { aggregates: ReadonlySet<string>; segmentations: ReadonlySet<string> },
  firstSeen: Map<string, string>,
  issues: RuleIssue[],
): Generator<void, Offer[]> {
  const list = Array.isArray(f.doc) ? f.doc : [f.doc];
  if (list.length === 0) issues.push({ file: f.file, path: '$', message: 'the file holds no offers' });
  const out: Offer[] = [];
  for (let i = 0; i < list.length; i++) {
    const raw = list[i];
    const prefix = Array.isArray(f.doc) ? `$[${i}]` : '$';
    const id = isObject(raw) && typeof raw.id === 'string' ? raw.id : undefined;
    const deep = depthIssues(raw, f.file, prefix, () => id);
    const found = deep.length > 0 ? deep : schemaIssues('offer', raw, f.file, prefix, () => id);
    issues.push(...found);
    if (id !== undefined) {
      const other = firstSeen.get(id);
      if (other !== undefined)
        issues.push({
          file: f.file,
          id,
          path: `${prefix}.id`,
          message: `duplicate offer id "${id}" (first defined in ${other})`,
        });
      else firstSeen.set(id, f.file);
    }
    if (found.length > 0) continue;
    const offer = buildOffer(raw as RawOffer, f.file, prefix, scope, issues);
    if (offer) out.push(offer);
    yield;
  }
  return out;
}

/** `$.tier[2].when` → `/tier/2/when` (enough for segmentIdAt: names and indexes). */
function pathToPointer(path: string): string {
  return path
    .slice(1)
    .replace(/\[(\d+)\]/g, '/$1')
    .replace(/\["([^"]*)"\]/g, '/$1')
    .replace(/\./g, '/');
}

function segmentIdAt(doc: unknown, ptr: string): string | undefined {
  const [, name, index] = ptr.split('/');
  if (name === undefined || name === '') return undefined;
  const list = isObject(doc) ? doc[name] : undefined;
  const seg = Array.isArray(list) && index !== undefined ? list[Number(index)] : undefined;
  return isObject(seg) && typeof seg.id === 'string' ? `${name}/${seg.id}` : name;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function makeRuleSet(
  version: string,
  offers: Offer[],
  aggregates: AggregateDef[],
  segmentations: Segmentation[],
): RuleSet {
  const sorted = offers.slice().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const index = new Map<string, readonly Offer[]>();
  const memoSlots = compileOfferCatalog(sorted);
  return Object.freeze({
    version,
    memoSlots,
    historyOffers: Object.freeze(
      sorted.filter((o) => o.customerCaps.length > 0 || o.cooldowns.length > 0).map((o) => o.id),
    ),
    offers: Object.freeze(sorted),
    offerById: new Map(sorted.map((o) => [o.id, o])),
    aggregates: Object.freeze(aggregates),
    segmentations: Object.freeze(segmentations),
    channels: new Set(sorted.flatMap((o) => [...o.channels])),
    eventTypes: new Set(aggregates.flatMap((a) => a.events)),
    candidates(channel: string, trigger: string | null): readonly Offer[] {
      const key = `${channel}\u0000${trigger ?? ''}`;
      let list = index.get(key);
      if (!list) {
        list = Object.freeze(
          sorted.filter(
            (o) => o.channels.has(channel) && (o.triggers === null || (trigger !== null && o.triggers.has(trigger))),
          ),
        );
        // bounded: channels × triggers seen; unknown channels from callers are cached too, so cap it
        if (index.size < 1024) index.set(key, list);
      }
      return list;
    },
  });
}

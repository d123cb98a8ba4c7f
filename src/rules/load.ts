import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { buildAggregates } from './build-aggregates.js';
import { buildOffer, compileOfferCatalog, type RawOffer } from './build-offers.js';
import { buildSegmentations } from './build-segments.js';
import { parseRuleFile, readRuleFiles, type ParsedFile, type RuleFile } from './read-files.js';
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
    return { ok: false, issues: [{ file: '.', path: '$', message: `cannot read rules directory: ${(err as Error).message}` }] };
  }
  return buildRuleSet(files);
}

/** The content hash of a rules directory: every decision carries it. */
export function rulesVersion(files: readonly RuleFile[]): string {
  const h = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.file < b.file ? -1 : 1))) h.update(f.file).update('\0').update(f.text).update('\0');
  return h.digest('hex').slice(0, 12);
}

/** Validates and compiles rules files (paths relative to the rules directory). */
export function buildRuleSet(files: readonly RuleFile[]): LoadResult {
  const issues: RuleIssue[] = [];
  const aggFiles = files.filter((f) => AGGREGATES_FILE.test(f.file));
  const segFiles = files.filter((f) => SEGMENTS_FILE.test(f.file));
  const offerFiles = files.filter((f) => OFFER_FILE.test(f.file));
  for (const f of files) {
    if (!AGGREGATES_FILE.test(f.file) && !SEGMENTS_FILE.test(f.file) && !OFFER_FILE.test(f.file)) {
      issues.push({ file: f.file, path: '$', message: 'not a rules file: expected aggregates.yaml, segments.yaml or offers/*.yaml' });
    }
  }
  for (const group of [aggFiles, segFiles]) {
    if (group.length > 1) for (const f of group.slice(1)) issues.push({ file: f.file, path: '$', message: `only one of ${group.map((g) => g.file).join(', ')} may exist` });
  }
  if (offerFiles.length === 0) issues.push({ file: 'offers/', path: '$', message: 'the catalog has no offers (add files under offers/)' });

  // aggregates
  let aggregates: AggregateDef[] = [];
  const aggFile = aggFiles[0] && parseRuleFile(aggFiles[0], issues);
  if (aggFile) {
    const doc = aggFile.doc ?? {};
    const found = schemaIssues('aggregates', doc, aggFile.file, '$', (ptr) => ptr.split('/')[1] || undefined);
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
    const found = schemaIssues('segments', doc, segFile.file, '$', idAt);
    issues.push(...found);
    if (found.length === 0) segmentations = buildSegmentations(doc as never, segFile.file, aggNames, issues);
  }
  const segNames = new Set(segFile && isObject(segFile.doc) ? Object.keys(segFile.doc) : []);

  // offers
  const offers: Offer[] = [];
  const firstSeen = new Map<string, string>();
  for (const f of offerFiles) {
    const parsed = parseRuleFile(f, issues);
    if (parsed) offers.push(...buildOfferFile(parsed, { aggregates: aggNames, segmentations: segNames }, firstSeen, issues));
  }

  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, rules: makeRuleSet(rulesVersion(files), offers, aggregates, segmentations) };
}

function buildOfferFile(f: ParsedFile, scope: { aggregates: ReadonlySet<string>; segmentations: ReadonlySet<string> }, firstSeen: Map<string, string>, issues: RuleIssue[]): Offer[] {
  const list = Array.isArray(f.doc) ? f.doc : [f.doc];
  if (list.length === 0) issues.push({ file: f.file, path: '$', message: 'the file holds no offers' });
  const out: Offer[] = [];
  list.forEach((raw, i) => {
    const prefix = Array.isArray(f.doc) ? `$[${i}]` : '$';
    const id = isObject(raw) && typeof raw.id === 'string' ? raw.id : undefined;
    const found = schemaIssues('offer', raw, f.file, prefix, () => id);
    issues.push(...found);
    if (id !== undefined) {
      const other = firstSeen.get(id);
      if (other !== undefined) issues.push({ file: f.file, id, path: `${prefix}.id`, message: `duplicate offer id "${id}" (first defined in ${other})` });
      else firstSeen.set(id, f.file);
    }
    if (found.length > 0) return;
    const offer = buildOffer(raw as RawOffer, f.file, prefix, scope, issues);
    if (offer) out.push(offer);
  });
  return out;
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

function makeRuleSet(version: string, offers: Offer[], aggregates: AggregateDef[], segmentations: Segmentation[]): RuleSet {
  const sorted = offers.slice().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const index = new Map<string, readonly Offer[]>();
  const memoSlots = compileOfferCatalog(sorted);
  return Object.freeze({
    version,
    memoSlots,
    historyOffers: Object.freeze(sorted.filter((o) => o.customerCaps.length > 0 || o.cooldowns.length > 0).map((o) => o.id)),
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
        list = Object.freeze(sorted.filter((o) => o.channels.has(channel) && (o.triggers === null || (trigger !== null && o.triggers.has(trigger)))));
        // bounded: channels × triggers seen; unknown channels from callers are cached too, so cap it
        if (index.size < 1024) index.set(key, list);
      }
      return list;
    },
  });
}


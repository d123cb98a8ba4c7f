import { lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import type { RuleIssue } from './types.js';

/** One rules file as read from disk. */
export interface RuleFile {
  /** Path relative to the rules directory, with forward slashes. */
  file: string;
  text: string;
}

/** One rules file, parsed. */
export interface ParsedFile extends RuleFile {
  doc: unknown;
}

const RULE_EXT = /\.(ya?ml|json)$/i;

/**
 * Reads every rules file under `dir` (aggregates, segments, offers/**), sorted by path.
 * Names starting with a dot are skipped (editor and VCS files, the kubelet's own entries).
 *
 * A folder the kubelet projects a ConfigMap into holds the payload in a `..<timestamp>`
 * folder that the `..data` symlink points at (the visible names are symlinks through it),
 * and an update swaps `..data` atomically. Such a folder is read from the snapshot `..data`
 * points at, plus any real folder beside it (another volume mounted inside, such as
 * `offers/`); if any `..data` moved while the files were read, they are read again, so a
 * reload never mixes two versions of a ConfigMap.
 */
export function readRuleFiles(dir: string): RuleFile[] {
  for (let attempt = 1; ; attempt++) {
    const snapshots: Array<[link: string, target: string]> = [];
    try {
      const files = walk(dir, snapshots);
      if (snapshots.every(([link, target]) => resolves(link) === target)) return files;
    } catch (err) {
      // a file or an old snapshot folder went away while it was read: read the new state
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 5) throw err;
    }
    if (attempt >= 5) throw new Error(`${dir} kept changing while it was read`);
  }
}

function resolves(link: string): string | null {
  try {
    return realpathSync(link);
  } catch {
    return null;
  }
}

function walk(dir: string, snapshots: Array<[string, string]>): RuleFile[] {
  const files: RuleFile[] = [];
  const visit = (at: string, rel: string): void => {
    const entries = new Map<string, string>();
    const link = join(at, '..data');
    const snapshot = resolves(link);
    if (snapshot !== null) {
      snapshots.push([link, snapshot]);
      for (const name of readdirSync(snapshot)) if (!name.startsWith('.')) entries.set(name, join(snapshot, name));
    }
    for (const name of readdirSync(at)) {
      if (name.startsWith('.') || entries.has(name)) continue;
      const full = join(at, name);
      // in a kubelet folder a visible symlink leads into ..data; one left dangling is a removed key
      if (snapshot !== null && lstatSync(full).isSymbolicLink()) continue;
      entries.set(name, full);
    }
    for (const name of [...entries.keys()].sort()) {
      const full = entries.get(name)!;
      const path = rel === '' ? name : `${rel}/${name}`;
      const st = statSync(full);
      if (st.isDirectory()) visit(full, path);
      else if (RULE_EXT.test(name)) files.push({ file: path, text: readFileSync(full, 'utf8') });
    }
  };
  visit(dir, '');
  return files.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

/** Parses YAML or JSON; a syntax error becomes an issue with its line and column. */
export function parseRuleFile(f: RuleFile, issues: RuleIssue[]): ParsedFile | null {
  if (/\.json$/i.test(f.file)) {
    try {
      return { ...f, doc: JSON.parse(f.text) };
    } catch (err) {
      issues.push({ file: f.file, path: '$', message: `not valid JSON: ${(err as Error).message}` });
      return null;
    }
  }
  const doc = YAML.parseDocument(f.text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const pos = e.linePos?.[0];
      issues.push({ file: f.file, path: '$', message: `not valid YAML${pos ? ` (line ${pos.line}, column ${pos.col})` : ''}: ${e.message.split('\n')[0]}` });
    }
    return null;
  }
  return { ...f, doc: doc.toJS({ maxAliasCount: 100 }) };
}

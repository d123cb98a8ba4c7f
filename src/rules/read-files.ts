import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
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
 * A directory the kubelet projects a ConfigMap into holds the files in a `..<timestamp>`
 * folder that the `..data` symlink points at, swapped atomically on update: the set is
 * read from the folder `..data` resolves to, and read again if it was swapped meanwhile,
 * so a reload never mixes two versions.
 */
export function readRuleFiles(dir: string): RuleFile[] {
  for (let attempt = 1; ; attempt++) {
    const root = snapshotRoot(dir);
    try {
      const files = walk(root);
      if (snapshotRoot(dir) === root) return files;
    } catch (err) {
      // a file or the old snapshot folder went away while it was read: read the new state
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 5) throw err;
    }
    if (attempt >= 5) throw new Error(`${dir} kept changing while it was read`);
  }
}

/** Where the current files are: what `..data` points at in a kubelet volume, else `dir`. */
function snapshotRoot(dir: string): string {
  const data = join(dir, '..data');
  try {
    return realpathSync(data);
  } catch {
    return dir;
  }
}

function walk(root: string): RuleFile[] {
  const files: RuleFile[] = [];
  const visit = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      if (name.startsWith('.')) continue;
      const full = join(d, name);
      const st = statSync(full);
      if (st.isDirectory()) visit(full);
      else if (RULE_EXT.test(name)) files.push({ file: relative(root, full).split(sep).join('/'), text: readFileSync(full, 'utf8') });
    }
  };
  visit(root);
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

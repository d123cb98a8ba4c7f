import { readdirSync, readFileSync, statSync } from 'node:fs';
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

/** Reads every rules file under `dir` (aggregates, segments, offers/**), sorted by path. */
export function readRuleFiles(dir: string): RuleFile[] {
  const files: RuleFile[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      const st = statSync(full);
      if (st.isDirectory()) walk(full);
      else if (RULE_EXT.test(name)) files.push({ file: relative(dir, full).split(sep).join('/'), text: readFileSync(full, 'utf8') });
    }
  };
  walk(dir);
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

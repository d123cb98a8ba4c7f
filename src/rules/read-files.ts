import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { readConsistently } from './dir-listing.js';
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

/**
 * Reads every rules file under `dir` (aggregates, segments, offers/**), sorted by path, as
 * `listRuleFiles` finds them; read again if a kubelet `..data` swap happened meanwhile, so
 * a reload never mixes two versions of a ConfigMap.
 */
export function readRuleFiles(dir: string): RuleFile[] {
  return readConsistently(dir, (l) => l.files.map((f) => ({ file: f.file, text: readFileSync(f.path, 'utf8') })));
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

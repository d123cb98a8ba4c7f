import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { RULE_LIMITS } from './rule-limits.js';
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
  let doc: YAML.Document.Parsed;
  try {
    doc = YAML.parseDocument(f.text, { uniqueKeys: true, prettyErrors: true });
  } catch (err) {
    issues.push({ file: f.file, path: '$', message: `not valid YAML: ${(err as Error).message.split('\n')[0]}` });
    return null;
  }
  if (doc.errors.length > 0) {
    // no document to read the offer id from: an offer file's top-level `id:` line names it
    const id = /^id:\s*["']?([a-z0-9-]+)/m.exec(f.text)?.[1];
    for (const e of doc.errors) {
      const pos = e.linePos?.[0];
      const what = /call stack/i.test(e.message)
        ? `nested too deep to parse (at most ${RULE_LIMITS.maxDepth} levels)`
        : e.message.split('\n')[0];
      issues.push({
        file: f.file,
        ...(id !== undefined ? { id } : {}),
        path: '$',
        message: `not valid YAML${pos ? ` (line ${pos.line}, column ${pos.col})` : ''}: ${what}`,
      });
    }
    return null;
  }
  try {
    return { ...f, doc: doc.toJS({ maxAliasCount: RULE_LIMITS.maxAliasCount }) };
  } catch (err) {
    // an alias bomb (or anything else toJS refuses): name the first alias, and its offer
    const at = firstAlias(doc);
    const excessive = /alias count/i.test((err as Error).message);
    issues.push({
      file: f.file,
      ...(at?.id !== undefined ? { id: at.id } : {}),
      path: at?.path ?? '$',
      message: excessive
        ? `YAML aliases expand more than ${RULE_LIMITS.maxAliasCount} times (an alias bomb?): write the values out or use fewer aliases`
        : `cannot be read: ${(err as Error).message}`,
    });
    return null;
  }
}

/** The JSON path of the first alias in a YAML document, and the `id` of the offer (or top-level entry) that holds it. */
function firstAlias(doc: YAML.Document.Parsed): { path: string; id?: string } | null {
  let found: { path: string; id?: string } | null = null;
  YAML.visit(doc, {
    Alias(_key, node, ancestors) {
      const chain = [...ancestors.slice(1), node];
      let path = '$';
      const keys: Array<string | number> = [];
      for (let i = 0; i < chain.length - 1; i++) {
        const a = chain[i]!;
        const next = chain[i + 1];
        if (YAML.isPair(a)) {
          const k = YAML.isScalar(a.key) ? String(a.key.value) : String(a.key);
          keys.push(k);
          path += /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
        } else if (YAML.isSeq(a)) {
          const idx = a.items.indexOf(next as never);
          keys.push(idx);
          path += `[${idx}]`;
        }
      }
      const top = typeof keys[0] === 'number' ? doc.getIn([keys[0], 'id']) : doc.get('id');
      found = { path, ...(typeof top === 'string' ? { id: top } : {}) };
      return YAML.visit.BREAK;
    },
  });
  return found;
}

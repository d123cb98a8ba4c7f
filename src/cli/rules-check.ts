import { loadRulesDir } from '../rules/load.js';
import type { RuleIssue } from '../rules/types.js';

/** One line per issue: `file [id] path: message`. */
export function formatIssue(i: RuleIssue): string {
  return `${i.file}${i.id ? ` [${i.id}]` : ''} ${i.path}: ${i.message}`;
}

/** `nbo rules check [dir]`: exit 0 when the rules load, else 1 listing every error. */
export function rulesCheck(dir: string, out: NodeJS.WritableStream, err: NodeJS.WritableStream): number {
  const res = loadRulesDir(dir);
  if (!res.ok) {
    for (const i of res.issues) err.write(`${formatIssue(i)}\n`);
    err.write(`${dir}: ${res.issues.length} error${res.issues.length === 1 ? '' : 's'}; the rule set is refused\n`);
    return 1;
  }
  const r = res.rules;
  out.write(
    `${dir}: ok — ${r.offers.length} offers (${r.offers.filter((o) => o.fallback).length} fallback), ` +
      `${r.aggregates.length} aggregates, ${r.segmentations.length} segmentations; version ${r.version}\n`,
  );
  return 0;
}

import { loadConfig } from '../config/config.js';
import { loadRulesDir } from '../rules/load.js';
import type { RuleIssue } from '../rules/types.js';
import { ruleWarnings } from '../rules/warnings.js';

/** One line per issue: `file [id] path: message`. */
export function formatIssue(i: RuleIssue): string {
  return `${i.file}${i.id ? ` [${i.id}]` : ''} ${i.path}: ${i.message}`;
}

/** NBO_PRIOR_MAX_IMPRESSIONS as the service reads it (validated the same way). */
export function priorBound(value: string | undefined): number {
  return loadConfig(value === undefined ? {} : { NBO_PRIOR_MAX_IMPRESSIONS: value }).learning.priorMaxImpressions;
}

/** `nbo rules check [dir]`: exit 0 when the rules load (warnings on stderr), else 1 listing every error. */
export function rulesCheck(
  dir: string,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
  priorMaxImpressions = 20,
): number {
  const res = loadRulesDir(dir);
  if (!res.ok) {
    for (const i of res.issues) err.write(`${formatIssue(i)}\n`);
    err.write(`${dir}: ${res.issues.length} error${res.issues.length === 1 ? '' : 's'}; the rule set is refused\n`);
    return 1;
  }
  const r = res.rules;
  for (const w of ruleWarnings(r, priorMaxImpressions)) err.write(`${formatIssue(w)}\n`);
  out.write(
    `${dir}: ok — ${r.offers.length} offers (${r.offers.filter((o) => o.fallback).length} fallback), ` +
      `${r.aggregates.length} aggregates, ${r.segmentations.length} segmentations; version ${r.version}\n`,
  );
  return 0;
}

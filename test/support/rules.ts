import { buildRuleSet } from '../../src/rules/load.js';
import type { RuleIssue, RuleSet } from '../../src/rules/types.js';

/** Rules given as objects, turned into the files of a rules directory. */
export interface RulesSpec {
  aggregates?: Record<string, unknown>;
  segments?: Record<string, unknown>;
  offers?: unknown[];
}

export function filesOf(spec: RulesSpec) {
  const files = [{ file: 'offers/offers.json', text: JSON.stringify(spec.offers ?? []) }];
  if (spec.aggregates) files.push({ file: 'aggregates.json', text: JSON.stringify(spec.aggregates) });
  if (spec.segments) files.push({ file: 'segments.json', text: JSON.stringify(spec.segments) });
  return files;
}

/** Builds a rule set from objects; throws listing the issues when it is invalid. */
export function ruleSet(spec: RulesSpec): RuleSet {
  const res = buildRuleSet(filesOf(spec));
  if (!res.ok)
    throw new Error(
      `rules invalid:\n${res.issues.map((i) => `${i.file} ${i.id ?? ''} ${i.path}: ${i.message}`).join('\n')}`,
    );
  return res.rules;
}

/** The issues of an invalid rule set (fails when it is valid). */
export function ruleIssues(spec: RulesSpec): RuleIssue[] {
  const res = buildRuleSet(filesOf(spec));
  if (res.ok) throw new Error('expected the rules to be invalid');
  return res.issues;
}

/** A minimal valid offer, with overrides. */
export function offer(id: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, name: `Offer ${id}`, channels: ['pos'], value: 1, ...over };
}

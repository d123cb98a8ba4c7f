import { existsSync, statSync } from 'node:fs';
import { diffRuleSets, isEmptyDiff, type RulesDiff } from '../rules/diff.js';
import { buildRuleSet } from '../rules/load.js';
import type { VersionEntry } from '../rules/rules-admin.js';
import { readRuleFiles, type RuleFile } from '../rules/read-files.js';
import type { RuleIssue, RuleSet } from '../rules/types.js';
import { AdminError, adminCall, problemLine } from './admin-client.js';
import { formatIssue } from './rules-check.js';

type Out = NodeJS.WritableStream;

export interface Remote {
  url: string;
  key: string | undefined;
}

function writeIssues(what: string, issues: RuleIssue[], err: Out): void {
  for (const i of issues) err.write(`${formatIssue(i)}\n`);
  err.write(`${what}: ${issues.length} error${issues.length === 1 ? '' : 's'}; the rule set is refused\n`);
}

function readDir(dir: string): RuleFile[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new AdminError(`rules directory "${dir}" does not exist`);
  return readRuleFiles(dir);
}

const summary = (e: { added: string[]; removed: string[]; changed: string[] }) =>
  `${e.added.length} added, ${e.removed.length} removed, ${e.changed.length} changed`;

/** `nbo rules publish DIR`: exit 0 printing the live version; 1 listing the issues when the set is refused. */
export async function rulesPublish(
  dir: string,
  remote: Remote,
  message: string | null,
  out: Out,
  err: Out,
): Promise<number> {
  const files = readDir(dir);
  const r = await adminCall(remote.url, 'POST', 'v1/admin/rules/publish', remote.key, { files, message });
  if (r.status === 422 && Array.isArray(r.body.issues)) {
    writeIssues(dir, r.body.issues as RuleIssue[], err);
    err.write(`version ${String(r.body.rulesVersion)} stays live\n`);
    return 1;
  }
  if (r.status !== 200) throw new AdminError(problemLine(r));
  const b = r.body as { version: string; previous: string | null; changed: boolean; entry: VersionEntry | null };
  out.write(`${b.version}\n`);
  if (!b.changed) err.write(`version ${b.version} is live already; nothing changed\n`);
  else err.write(`published ${b.version}${b.previous ? ` (was ${b.previous})` : ''}: ${summary(b.entry!)}\n`);
  return 0;
}

/** `nbo rules rollback VERSION`: that version live on every instance. */
export async function rulesRollback(
  version: string,
  remote: Remote,
  message: string | null,
  out: Out,
  err: Out,
): Promise<number> {
  const r = await adminCall(remote.url, 'POST', 'v1/admin/rules/rollback', remote.key, {
    version,
    ...(message ? { message } : {}),
  });
  if (r.status === 422 && Array.isArray(r.body.issues)) {
    writeIssues(version, r.body.issues as RuleIssue[], err);
    return 1;
  }
  if (r.status !== 200) throw new AdminError(problemLine(r));
  const b = r.body as { version: string; previous: string | null; changed: boolean; entry: VersionEntry | null };
  out.write(`${b.version}\n`);
  err.write(
    b.changed
      ? `rolled back to ${b.version}${b.previous ? ` (was ${b.previous})` : ''}: ${summary(b.entry!)}\n`
      : `version ${b.version} is live already; nothing changed\n`,
  );
  return 0;
}

/** `nbo rules history`: versions newest first, the live one marked. */
export async function rulesHistory(remote: Remote, json: boolean, out: Out): Promise<number> {
  const r = await adminCall(remote.url, 'GET', 'v1/admin/rules/history', remote.key);
  if (r.status !== 200) throw new AdminError(problemLine(r));
  const b = r.body as { live: string; source: string; versions: VersionEntry[] };
  if (json) {
    out.write(`${JSON.stringify(b, null, 2)}\n`);
    return 0;
  }
  out.write(`source: ${b.source}; live: ${b.live}\n`);
  for (const v of b.versions) {
    const ids = [
      v.added.length ? `added: ${v.added.join(', ')}` : '',
      v.removed.length ? `removed: ${v.removed.join(', ')}` : '',
      v.changed.length ? `changed: ${v.changed.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    out.write(
      `${v.version === b.live ? '*' : ' '} ${v.version}  ${v.time}  ${v.keyId ?? '-'}  ${v.action}  ${v.message ?? ''}\n`,
    );
    out.write(`    ${summary(v)}${ids ? ` — ${ids}` : ''}\n`);
  }
  return 0;
}

/** A side of `nbo rules diff`: a directory, or a stored version (needs --url). */
async function sideOf(arg: string, remote: Remote | null): Promise<{ name: string; files: RuleFile[] }> {
  if (existsSync(arg) && statSync(arg).isDirectory()) return { name: arg, files: readRuleFiles(arg) };
  if (!/^[0-9a-f]{12}$/.test(arg))
    throw new AdminError(`"${arg}" is neither a rules directory nor a rules version (12 hex digits)`);
  if (!remote) throw new AdminError(`"${arg}" is a rules version: give --url (and --key) to read it from NBO`);
  const r = await adminCall(remote.url, 'GET', `v1/admin/rules/versions/${arg}`, remote.key);
  if (r.status !== 200) throw new AdminError(problemLine(r));
  return { name: arg, files: (r.body as { files: RuleFile[] }).files };
}

/** `nbo rules diff A B`: what changed from A to B, offer by offer. */
export async function rulesDiff(
  a: string,
  b: string,
  remote: Remote | null,
  json: boolean,
  out: Out,
  err: Out,
): Promise<number> {
  const sets: RuleSet[] = [];
  for (const side of [await sideOf(a, remote), await sideOf(b, remote)]) {
    const res = buildRuleSet(side.files);
    if (!res.ok) {
      writeIssues(side.name, res.issues, err);
      return 1;
    }
    sets.push(res.rules);
  }
  const d = diffRuleSets(sets[0]!, sets[1]!);
  out.write(json ? `${JSON.stringify(d, null, 2)}\n` : formatDiff(a, b, d));
  return 0;
}

/** The diff as text: one line per offer added (+), removed (-) or changed (~, with the fields). */
export function formatDiff(a: string, b: string, d: RulesDiff): string {
  const lines = [`${a} (${d.from}) → ${b} (${d.to})`];
  if (isEmptyDiff(d)) return `${lines[0]}\nno changes\n`;
  for (const id of d.added) lines.push(`+ ${id}`);
  for (const id of d.removed) lines.push(`- ${id}`);
  for (const c of d.changed) lines.push(`~ ${c.id}: ${c.fields.join(', ')}`);
  for (const [name, g] of [
    ['aggregates', d.aggregates],
    ['segmentations', d.segmentations],
  ] as const) {
    const parts = [...g.added.map((x) => `+${x}`), ...g.removed.map((x) => `-${x}`), ...g.changed.map((x) => `~${x}`)];
    if (parts.length) lines.push(`${name}: ${parts.join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

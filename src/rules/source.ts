import { NboError } from '../errors/codes.js';
import { loadRulesDir, rulesVersion, type LoadResult } from './load.js';
import { readRuleFiles } from './read-files.js';
import type { RuleIssue, RuleSet } from './types.js';

export interface ReloadResult {
  ok: boolean;
  /** The live version after the reload (the old one when refused). */
  version: string;
  changed: boolean;
  issues?: RuleIssue[];
}

/** The live rule set of a directory; reloads replace it only when the new set is valid. */
export interface RulesSource {
  current(): RuleSet;
  reload(): ReloadResult;
  close(): void;
}

export interface RulesSourceOptions {
  /** Reload when the directory's content changes (checked every `pollMs`). */
  watch?: boolean;
  /** How often the directory's content hash is checked (default 1000 ms). */
  pollMs?: number;
  /** A changed hash is read again after this long and reloaded only if it held (default 100 ms): a file half-written is not reloaded. */
  debounceMs?: number;
  onReload?: (r: ReloadResult, rules: RuleSet) => void;
}

/**
 * Loads a rules directory (throws NBO_ERR_RULES_INVALID listing every issue when the
 * first load fails) and keeps it live: an invalid rule set is never activated, the last
 * good one stays.
 *
 * Changes are found by content, not by file events: every `pollMs` the files are read
 * and hashed (the hash is the rules version), and a hash that differs from the last one
 * seen is reloaded. Recursive `fs.watch` on Linux misses in-place edits on Node 20
 * (nodejs/node#48437) and sees nothing of a kubelet's `..data` swap under a symlink;
 * reading a rules directory is cheap next to that.
 */
export function createRulesSource(dir: string, opts: RulesSourceOptions = {}): RulesSource {
  const first = loadRulesDir(dir);
  if (!first.ok) {
    throw new NboError('NBO_ERR_RULES_INVALID', `rules in ${dir} are invalid (${first.issues.length} issues)`, { details: first.issues });
  }
  let live = first.rules;
  /** The content hash of the files last acted on (valid or not), so a refused set is reported once. */
  let seen = live.version;
  let poller: NodeJS.Timeout | null = null;
  let settle: NodeJS.Timeout | null = null;

  const apply = (res: LoadResult): ReloadResult => {
    let out: ReloadResult;
    if (!res.ok) out = { ok: false, version: live.version, changed: false, issues: res.issues };
    else {
      const changed = res.rules.version !== live.version;
      if (changed) live = res.rules;
      seen = res.rules.version;
      out = { ok: true, version: live.version, changed };
    }
    opts.onReload?.(out, live);
    return out;
  };
  const reload = (): ReloadResult => apply(loadRulesDir(dir));

  const hash = (): string | null => {
    try {
      return rulesVersion(readRuleFiles(dir));
    } catch {
      return null; // unreadable just now (being replaced): the next poll sees it
    }
  };
  const poll = () => {
    if (settle) return;
    const h = hash();
    if (h === null || h === seen) return;
    settle = setTimeout(() => {
      settle = null;
      if (hash() !== h) return; // still being written: the next poll looks again
      seen = h;
      reload();
    }, opts.debounceMs ?? 100);
    settle.unref();
  };

  if (opts.watch) {
    poller = setInterval(poll, opts.pollMs ?? 1000);
    poller.unref();
  }

  return {
    current: () => live,
    reload,
    close() {
      if (poller) clearInterval(poller);
      if (settle) clearTimeout(settle);
    },
  };
}

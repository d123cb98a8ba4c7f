import { watch, type FSWatcher } from 'node:fs';
import { NboError } from '../errors/codes.js';
import { loadRulesDir } from './load.js';
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
  /** Reload when files change (debounced). */
  watch?: boolean;
  debounceMs?: number;
  onReload?: (r: ReloadResult, rules: RuleSet) => void;
}

/**
 * Loads a rules directory (throws NBO_ERR_RULES_INVALID listing every issue when the
 * first load fails) and keeps it live: an invalid rule set is never activated, the last
 * good one stays.
 */
export function createRulesSource(dir: string, opts: RulesSourceOptions = {}): RulesSource {
  const first = loadRulesDir(dir);
  if (!first.ok) {
    throw new NboError('NBO_ERR_RULES_INVALID', `rules in ${dir} are invalid (${first.issues.length} issue${first.issues.length === 1 ? '' : 's'}); the service does not start`, { details: first.issues });
  }
  let live = first.rules;
  let watcher: FSWatcher | null = null;
  let timer: NodeJS.Timeout | null = null;

  const reload = (): ReloadResult => {
    let res: ReturnType<typeof loadRulesDir>;
    try {
      res = loadRulesDir(dir);
    } catch (err) {
      // the loader reports problems as issues; this is for what it cannot foresee (a watcher or SIGHUP must never crash the process)
      res = { ok: false, issues: [{ file: '.', path: '$', message: `the rules cannot be loaded: ${(err as Error).message}` }] };
    }
    let out: ReloadResult;
    if (!res.ok) out = { ok: false, version: live.version, changed: false, issues: res.issues };
    else {
      const changed = res.rules.version !== live.version;
      if (changed) live = res.rules;
      out = { ok: true, version: live.version, changed };
    }
    opts.onReload?.(out, live);
    return out;
  };

  if (opts.watch) {
    try {
      watcher = watch(dir, { recursive: true }, () => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(reload, opts.debounceMs ?? 250);
      });
      watcher.unref();
    } catch {
      watcher = null; // no recursive watch here: reload on SIGHUP or POST /v1/admin/rules/reload
    }
  }

  return {
    current: () => live,
    reload,
    close() {
      watcher?.close();
      if (timer) clearTimeout(timer);
    },
  };
}

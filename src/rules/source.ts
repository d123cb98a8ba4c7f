import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { NboError } from '../errors/codes.js';
import { listRuleFiles, readConsistentlyAsync } from './dir-listing.js';
import { loadRulesDir, rulesVersion, type LoadResult } from './load.js';
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
 * Changes are found by content, not by file events: every `pollMs` the files are listed
 * and stat'ed; when anything moved (and every tenth poll regardless) they are read, without
 * blocking the event loop, and hashed — the hash is the rules version — and a hash that
 * differs from the last one acted on, and still holds `debounceMs` later, is reloaded.
 * Recursive `fs.watch` on Linux misses in-place edits on Node 20 (nodejs/node#48437) and
 * sees nothing of a kubelet's `..data` swap under a symlink.
 */
export function createRulesSource(dir: string, opts: RulesSourceOptions = {}): RulesSource {
  const first = loadRulesDir(dir);
  if (!first.ok) {
    throw new NboError(
      'NBO_ERR_RULES_INVALID',
      `rules in ${dir} are invalid (${first.issues.length} issue${first.issues.length === 1 ? '' : 's'}); the service does not start`,
      { details: first.issues },
    );
  }
  let live = first.rules;
  /** The content hash of the files last acted on (valid or not), so a refused set is reported once. */
  let seen = live.version;
  let poller: NodeJS.Timeout | null = null;

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
  const reload = (): ReloadResult => {
    let res: LoadResult;
    try {
      res = loadRulesDir(dir);
    } catch (err) {
      // the loader reports problems as issues; this is for what it cannot foresee (a poll or SIGHUP must never crash the process)
      res = {
        ok: false,
        issues: [{ file: '.', path: '$', message: `the rules cannot be loaded: ${(err as Error).message}` }],
      };
    }
    return apply(res);
  };

  // every poll: a fingerprint of the listing (stat only, no reads); on a change — and every
  // CONTENT_EVERY polls whatever it says, for filesystems with coarse timestamps — the
  // content hash; a new hash that holds for `debounceMs` is reloaded
  let fingerprintSeen: string | null = null;
  let polls = 0;
  let closed = false;
  const poll = async (): Promise<void> => {
    polls++;
    const fp = await fingerprint(dir);
    if (fp === fingerprintSeen && polls % CONTENT_EVERY !== 0) return;
    fingerprintSeen = fp;
    const h = await contentHash(dir);
    if (h === seen) return;
    await new Promise((r) => setTimeout(r, opts.debounceMs ?? 100));
    if (closed || (await contentHash(dir)) !== h) {
      fingerprintSeen = null; // still being written: the next poll reads it again
      return;
    }
    seen = h;
    reload();
  };
  const schedule = () => {
    if (closed) return;
    poller = setTimeout(() => {
      poll()
        .catch(() => {
          // unreadable just now (being replaced): the next poll sees it
        })
        .finally(schedule);
    }, opts.pollMs ?? 1000);
    poller.unref();
  };
  if (opts.watch) schedule();

  return {
    current: () => live,
    reload,
    close() {
      closed = true;
      if (poller) clearTimeout(poller);
    },
  };
}

/** Every CONTENT_EVERY-th poll hashes the content even when the fingerprint did not move. */
const CONTENT_EVERY = 10;

/** What the files look like from outside: path, inode, size, mtime and ctime (ns) of each, and the `..data` targets. */
async function fingerprint(dir: string): Promise<string> {
  const listing = listRuleFiles(dir);
  const stats = await inChunks(listing.files, (f) => stat(f.path, { bigint: true }));
  const h = createHash('sha256');
  listing.files.forEach((f, i) => {
    const st = stats[i]!;
    h.update(`${f.file}\0${f.path}\0${st.ino}\0${st.size}\0${st.mtimeNs}\0${st.ctimeNs}\n`);
  });
  for (const [link, target] of listing.snapshots) h.update(`${link}\0${target}\n`);
  return h.digest('hex');
}

/** The rules version the files would have (read without blocking the event loop). */
function contentHash(dir: string): Promise<string> {
  return readConsistentlyAsync(dir, async (l) =>
    rulesVersion(await inChunks(l.files, async (f) => ({ file: f.file, text: await readFile(f.path, 'utf8') }))),
  );
}

/** Maps `items` a few at a time, so a large catalog's polling never holds the event loop for long. */
async function inChunks<T, R>(items: readonly T[], f: (item: T) => Promise<R>, size = 32): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(f))));
  return out;
}

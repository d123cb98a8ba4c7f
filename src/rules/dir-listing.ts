import { readdirSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';

/** A rules file found in a rules directory. */
export interface ListedFile {
  /** Path relative to the rules directory, with forward slashes (what rules issues name). */
  file: string;
  /** Where its bytes are (inside a kubelet snapshot folder, for a ConfigMap volume). */
  path: string;
}

/** The files of a rules directory, and the kubelet `..data` links they were found through. */
export interface Listing {
  files: ListedFile[];
  snapshots: Array<[link: string, target: string]>;
}

const RULE_EXT = /\.(ya?ml|json)$/i;

/**
 * Lists the rules files under `dir`, sorted by path, without reading them. Names starting
 * with a dot are skipped (editor and VCS files, the kubelet's own entries).
 *
 * A folder the kubelet projects a ConfigMap into holds the payload in a `..<timestamp>`
 * folder that the `..data` symlink points at (the visible names are symlinks through it),
 * and an update swaps `..data` atomically. Such a folder is listed from the snapshot
 * `..data` points at, plus any real folder beside it (another volume mounted inside, such
 * as `offers/`). `unchanged(listing)` says whether every `..data` still points where it did.
 */
export function listRuleFiles(dir: string): Listing {
  const files: ListedFile[] = [];
  const snapshots: Listing['snapshots'] = [];
  const visit = (at: string, rel: string): void => {
    const entries = new Map<string, string>();
    const kinds = new Map<string, Dirent>();
    const link = join(at, '..data');
    const snapshot = resolves(link);
    if (snapshot !== null) {
      snapshots.push([link, snapshot]);
      for (const d of readdirSync(snapshot, { withFileTypes: true })) {
        if (d.name.startsWith('.')) continue;
        entries.set(d.name, join(snapshot, d.name));
        kinds.set(d.name, d);
      }
    }
    for (const d of readdirSync(at, { withFileTypes: true })) {
      if (d.name.startsWith('.') || entries.has(d.name)) continue;
      // in a kubelet folder a visible symlink leads into ..data; one left dangling is a removed key
      if (snapshot !== null && d.isSymbolicLink()) continue;
      entries.set(d.name, join(at, d.name));
      kinds.set(d.name, d);
    }
    for (const name of [...entries.keys()].sort()) {
      const full = entries.get(name)!;
      const path = rel === '' ? name : `${rel}/${name}`;
      const kind = kinds.get(name)!;
      // a symlink is followed (stat); a plain file or folder is known from the listing
      const isDir =
        kind.isSymbolicLink() || !(kind.isFile() || kind.isDirectory())
          ? statSync(full).isDirectory()
          : kind.isDirectory();
      if (isDir) visit(full, path);
      else if (RULE_EXT.test(name)) files.push({ file: path, path: full });
    }
  };
  visit(dir, '');
  files.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { files, snapshots };
}

/** Whether every `..data` link of a listing still points at the snapshot it was listed from. */
export function unchanged(listing: Listing): boolean {
  return listing.snapshots.every(([link, target]) => resolves(link) === target);
}

function resolves(link: string): string | null {
  try {
    return realpathSync(link);
  } catch {
    return null;
  }
}

/**
 * Runs `read` on a fresh listing until no `..data` moved meanwhile and no file vanished
 * under it (ENOENT: it was being replaced), at most 5 times.
 */
export function readConsistently<T>(dir: string, read: (l: Listing) => T): T {
  for (let attempt = 1; ; attempt++) {
    try {
      const listing = listRuleFiles(dir);
      const out = read(listing);
      if (unchanged(listing)) return out;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 5) throw err;
    }
    if (attempt >= 5) throw new Error(`${dir} kept changing while it was read`);
  }
}

/** `readConsistently` for a read that takes turns of the event loop (async file reads). */
export async function readConsistentlyAsync<T>(dir: string, read: (l: Listing) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      const listing = listRuleFiles(dir);
      const out = await read(listing);
      if (unchanged(listing)) return out;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 5) throw err;
    }
    if (attempt >= 5) throw new Error(`${dir} kept changing while it was read`);
  }
}

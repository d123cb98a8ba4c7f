import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** Every file under `dir` (relative path → text), as a ConfigMap's payload. */
export function payloadOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else out[relative(dir, full)] = readFileSync(full, 'utf8');
    }
  };
  walk(dir);
  return out;
}

let serial = 0;

/**
 * A volume written the way the kubelet writes a ConfigMap (pkg/volume/util/atomic_writer.go):
 * the payload in a fresh `..<timestamp>` folder, a `..data_tmp` symlink to it renamed over
 * `..data` (the atomic swap), user-visible top-level symlinks into `..data`, and the old
 * folder removed.
 */
export function kubeletVolume(dir: string) {
  mkdirSync(dir, { recursive: true });
  let current: string | null = null;
  let visible = new Set<string>();
  return {
    write(payload: Record<string, string>): void {
      const now = new Date().toISOString().replace(/[-:]/g, '_').replace('T', '_').replace('Z', '');
      const ts = `..${now}.${process.pid}${serial++}`;
      for (const [path, text] of Object.entries(payload)) {
        mkdirSync(dirname(join(dir, ts, path)), { recursive: true });
        writeFileSync(join(dir, ts, path), text);
      }
      symlinkSync(ts, join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
      const top = new Set(Object.keys(payload).map((p) => p.split('/')[0]!));
      for (const name of top) if (!visible.has(name)) symlinkSync(join('..data', name), join(dir, name));
      for (const name of visible) if (!top.has(name)) rmSync(join(dir, name));
      visible = top;
      if (current) rmSync(join(dir, current), { recursive: true });
      current = ts;
    },
  };
}

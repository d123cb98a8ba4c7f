import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Cluster, Redis } from 'ioredis';

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'scripts');

/** A script's source with its `--@include "name"` lines replaced by includes/name.lua. */
export function scriptSource(file: string): string {
  const text = readFileSync(join(DIR, file), 'utf8');
  return text.replace(/^--@include "([a-z0-9-]+)"$/gm, (_, name: string) =>
    readFileSync(join(DIR, 'includes', `${name}.lua`), 'utf8'),
  );
}

/** The scripts, by command name; `<name>-<n>.lua` declares n keys, `<name>-n.lua` takes the key count first. */
export function scriptFiles(): Array<{ name: string; file: string; keys: number | undefined }> {
  const seen = new Map<string, string>();
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.lua'))
    .map((file) => {
      const m = /^(.+)-(\d+|n)\.lua$/.exec(file);
      if (!m) throw new Error(`script ${file} must be named <name>-<key count or n>.lua`);
      const name = `nbo_${m[1]!.replace(/-/g, '_')}`;
      if (seen.has(name)) throw new Error(`scripts ${seen.get(name)} and ${file} define the same command ${name}`);
      seen.set(name, file);
      return { name, file, keys: m[2] === 'n' ? undefined : Number(m[2]) };
    });
}

/** Loads every script once with defineCommand (EVALSHA, falling back to EVAL on NOSCRIPT). */
export function defineScripts(client: Redis | Cluster): void {
  for (const s of scriptFiles())
    client.defineCommand(
      s.name,
      s.keys === undefined ? { lua: scriptSource(s.file) } : { numberOfKeys: s.keys, lua: scriptSource(s.file) },
    );
}

/** The commands the scripts define, as the store calls them. */
export interface ScriptCommands {
  nbo_apply_events(keyCount: number, ...args: Array<string | number>): Promise<string | number>;
  nbo_record_offered(keyCount: number, ...args: Array<string | number>): Promise<number | number[]>;
  nbo_snapshot(state: string, ...offers: string[]): Promise<string[]>;
  nbo_reserve_offered(totals: string, now: number, n: number, ...caps: number[]): Promise<number>;
  nbo_learn(learning: string, now: number, halfLifeMs: number, ...triples: Array<string | number>): Promise<number>;
  nbo_count_outcome(totals: string, outcome: string, by: number, n: number, ...buckets: number[]): Promise<number>;
}

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../../src', import.meta.url).pathname;

/**
 * The layers of src/, top to bottom (docs/architecture.md). A folder may import from its
 * own folder and from any folder in a layer below its own; never from its own layer or
 * one above. The data flow runs serve/stream → flow → decide → state → rules → jsonlogic;
 * config, metrics, events and errors are the shared vocabulary underneath.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['cli', 'demo'], // entry points
  ['service'], // builds every part from config, starts and drains them
  ['serve', 'stream', 'simulate'], // the edges: HTTP and WebSocket, Kafka, offline replay
  ['stats'], // the page's counts: observes the decider and the ingestor
  ['flow'], // ingestion and publishing: validate → apply → decide → publish; the EventSource and DecisionSink ports
  ['decide'], // one decision: context, segments, filters, caps, ranking
  ['state'], // customer state stores
  ['rules'], // the rule set
  ['jsonlogic'], // the json-logic compiler
  ['config'], // vocabulary: configuration, logging, Redis credentials
  ['events', 'metrics'], // vocabulary: the event format, validation, limits; Prometheus metrics
  ['errors'], // vocabulary: error codes, JSON paths
];

const rank = new Map(LAYERS.flatMap((folders, i) => folders.map((f) => [f, i] as const)));

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

/** Every module specifier a file imports or re-exports, static or dynamic. */
function specifiers(text: string): string[] {
  const out: string[] = [];
  const patterns = [
    /\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) out.push(m[1]!);
  return out;
}

/** The top folder under src/ a file lies in. */
const folderOf = (file: string) => relative(SRC, file).split(sep)[0]!;

interface Edge {
  file: string;
  from: string;
  to: string;
  specifier: string;
}

function edges(): Edge[] {
  const out: Edge[] = [];
  for (const file of tsFiles(SRC)) {
    for (const specifier of specifiers(readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.')) continue; // a package
      const target = resolve(dirname(file), specifier);
      const from = folderOf(file);
      const to = folderOf(target);
      if (from !== to) out.push({ file: relative(SRC, file), from, to, specifier });
    }
  }
  return out;
}

/** An edge against the layers: into the importer's own layer or one above it. */
const against = (e: Pick<Edge, 'from' | 'to'>) => !(rank.get(e.to)! > rank.get(e.from)!);

describe('the import graph of src/', () => {
  it('places every folder of src/ in a layer', () => {
    const folders = readdirSync(SRC).filter(
      (n) => statSync(join(SRC, n)).isDirectory() && tsFiles(join(SRC, n)).length > 0,
    );
    expect(folders.filter((f) => !rank.has(f))).toEqual([]);
  });

  it('reads imports, re-exports and dynamic imports', () => {
    const text = `import type { A } from '../a/x.js';\nimport {\n  B,\n} from "../b/y.js";\nexport { C } from './c.js';\nimport './side.js';\nconst d = await import('../d/z.js');`;
    expect(specifiers(text).sort()).toEqual(['../a/x.js', '../b/y.js', '../d/z.js', './c.js', './side.js']);
  });

  it('flags an edge into the same layer or up, and allows one down', () => {
    expect(against({ from: 'events', to: 'flow' })).toBe(true);
    expect(against({ from: 'stream', to: 'service' })).toBe(true);
    expect(against({ from: 'serve', to: 'stream' })).toBe(true);
    expect(against({ from: 'rules', to: 'state' })).toBe(true);
    expect(against({ from: 'serve', to: 'flow' })).toBe(false);
    expect(against({ from: 'flow', to: 'decide' })).toBe(false);
    expect(against({ from: 'rules', to: 'errors' })).toBe(false);
  });

  it('has no edge running against the layers (serve → flow → decide → state → rules → jsonlogic, vocabulary below)', () => {
    const bad = edges()
      .filter(against)
      .map((e) => `${e.file} imports ${e.specifier} (${e.from} → ${e.to})`);
    expect(bad).toEqual([]);
  });
});

// bench/results/latest.json (what full runs measured, per scenario) and docs/benchmarks.md
// rendered from it. `npm run bench:docs` re-renders the doc without running anything.
import { existsSync, readFileSync } from 'node:fs';
import type { BenchResult } from './types.js';

export interface Latest {
  machine: Record<string, unknown> | null;
  /** Scenario order for the doc. */
  order: string[];
  scenarios: Record<string, { date: string; results: BenchResult[] }>;
  /** What the machine was doing during the runs (written by hand: load averages, other work): "*" for all, else per scenario. */
  conditions?: Record<string, string>;
}

const LATEST = new URL('../results/latest.json', import.meta.url);

/** The recorded runs; a file in the old flat format (a list of results) counts as empty. */
export function readLatest(): Latest {
  const empty: Latest = { machine: null, order: [], scenarios: {} };
  if (!existsSync(LATEST)) return empty;
  const doc = JSON.parse(readFileSync(LATEST, 'utf8')) as unknown;
  return Array.isArray(doc) ? empty : { ...empty, ...(doc as Latest) };
}

const fmt = (v: number | null, unit = '') => {
  if (v === null || Number.isNaN(v)) return '—';
  const s =
    Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
  return unit ? `${s} ${unit}` : s;
};

/** Markers around the README's performance table, which {@link withReadmeTable} rewrites. */
export const README_TABLE_START =
  '<!-- bench-table: generated from bench/results/latest.json by npm run bench / bench:docs -->';
export const README_TABLE_END = '<!-- /bench-table -->';

/** Every budgeted measure of the latest runs, one row each: the README's performance table. */
export function renderReadmeTable(latest: Latest): string {
  const rows = scenarioNames(latest)
    .flatMap((n) => latest.scenarios[n]!.results.map((r) => ({ r, date: latest.scenarios[n]!.date.slice(0, 10) })))
    .filter(({ r }) => r.budget !== null);
  return [
    '| measure | budget | measured | against, in the same run | run | met |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      ({ r, date }) =>
        `| ${r.name} | ${r.budget} | ${fmt(r.value, r.unit)}${r.ratio === null ? '' : ` (× ${fmt(r.ratio)})`} | ${r.baseline ? `${r.baseline}: ${fmt(r.baselineValue)}` : '—'} | ${date} | ${r.met ? 'yes' : '**no**'} |`,
    ),
  ].join('\n');
}

/** The README with its performance table replaced by the one rendered from `latest`. */
export function withReadmeTable(readme: string, latest: Latest): string {
  const start = readme.indexOf(README_TABLE_START);
  const end = readme.indexOf(README_TABLE_END);
  if (start < 0 || end < start) throw new Error('README.md has no bench-table markers');
  return `${readme.slice(0, start + README_TABLE_START.length)}\n${renderReadmeTable(latest)}\n${readme.slice(end)}`;
}

const scenarioNames = (latest: Latest): string[] => [
  ...latest.order.filter((n) => latest.scenarios[n]),
  ...Object.keys(latest.scenarios).filter((n) => !latest.order.includes(n)),
];

export function renderDocs(latest: Latest): string {
  const m = (latest.machine ?? {}) as Record<string, string | number>;
  const names = scenarioNames(latest);
  const results = names.flatMap((n) => latest.scenarios[n]!.results);
  const dates = [...new Set(names.map((n) => latest.scenarios[n]!.date.slice(0, 10)))].sort();
  const table = [
    '| measure | value | baseline (same run) | ratio | budget | met |',
    '| --- | --- | --- | --- | --- | --- |',
    ...results.map(
      (r) =>
        `| ${r.name} | ${fmt(r.value, r.unit)} | ${r.baseline ? `${r.baseline}: ${fmt(r.baselineValue)}` : '—'} | ${r.ratio === null ? '—' : fmt(r.ratio)} | ${r.budget ?? '—'} | ${r.met === null ? '—' : r.met ? 'yes' : '**no**'} |`,
    ),
  ].join('\n');
  const notes = results
    .filter((r) => r.note)
    .map((r) => `- **${r.name}**: ${r.note}`)
    .join('\n');
  const conditions = [
    ...(latest.conditions?.['*'] ? [latest.conditions['*']] : []),
    ...names.filter((n) => latest.conditions?.[n]).map((n) => `- \`${n}\`: ${latest.conditions![n]}`),
  ].join('\n\n');
  const runs = names.map((n) => `\`${n}\` ${latest.scenarios[n]!.date.slice(0, 16).replace('T', ' ')} UTC`).join(', ');
  return `# Benchmarks

Generated from full runs (\`npm run bench\`, or \`npx tsx bench/run.ts --only=…\` for some
scenarios; \`npm run bench:docs\` re-renders this page from \`bench/results/latest.json\`),
${dates.length > 1 ? `${dates[0]} to ${dates[dates.length - 1]}` : dates[0]}. Every number is measured against a baseline **in the same run**: this
is a shared 2-core machine whose absolute numbers drift ±30 % between runs (more while other
work runs on it), so ratios are what to trust. The scenarios are one file each in
\`bench/scenarios/\`; how they measure, and the profiles behind the numbers, are in
[bench/README.md](../bench/README.md).

Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, Redis ${m.redis}.
Load: ${m.loadGenerator}. Pinning: ${m.pinning}.
Runs: ${runs}.

${conditions ? `Conditions of the runs (the machine is shared; read each ratio with these in mind):\n\n${conditions}\n\n` : ''}${table}

## Notes

${notes}
${results
  .filter((r) => r.detail)
  .map((r) => `\n${r.detail}`)
  .join('')}`;
}

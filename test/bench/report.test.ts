import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readLatest, renderDocs, withReadmeTable } from '../../bench/lib/report.js';

describe('benchmark reports are rendered from the recorded runs, never edited by hand', () => {
  const latest = readLatest();

  it('docs/benchmarks.md is what bench/results/latest.json renders', () => {
    expect(readFileSync('docs/benchmarks.md', 'utf8')).toBe(renderDocs(latest));
  });

  it("the README's performance table is what bench/results/latest.json renders, every budgeted measure in it", () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toBe(withReadmeTable(readme, latest));
    const budgeted = Object.values(latest.scenarios).flatMap((s) => s.results.filter((r) => r.budget !== null));
    expect(budgeted.length).toBeGreaterThan(10);
    for (const r of budgeted) expect(readme).toContain(`| ${r.name} | ${r.budget} |`);
  });
});

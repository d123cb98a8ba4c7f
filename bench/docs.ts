// `npm run bench:docs`: renders docs/benchmarks.md from bench/results/latest.json (what the
// last full runs measured) without running anything.
import { writeFileSync } from 'node:fs';
import { readLatest, renderDocs } from './lib/report.js';

writeFileSync(new URL('../docs/benchmarks.md', import.meta.url), renderDocs(readLatest()));
process.stdout.write('docs/benchmarks.md rendered from bench/results/latest.json\n');

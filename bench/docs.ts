// `npm run bench:docs`: renders docs/benchmarks.md and the README's performance table from
// bench/results/latest.json (what the last full runs measured) without running anything.
import { readFileSync, writeFileSync } from 'node:fs';
import { readLatest, renderDocs, withReadmeTable } from './lib/report.js';

const latest = readLatest();
writeFileSync(new URL('../docs/benchmarks.md', import.meta.url), renderDocs(latest));
const readme = new URL('../README.md', import.meta.url);
writeFileSync(readme, withReadmeTable(readFileSync(readme, 'utf8'), latest));
process.stdout.write('docs/benchmarks.md and the README table rendered from bench/results/latest.json\n');

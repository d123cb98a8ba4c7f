// `npm run bench:docs`: renders docs/benchmarks.md from the last full run
// (bench/results/latest.json) without measuring again.
import { readFileSync } from 'node:fs';
import { writeDocs, type BenchRun } from './lib/report.js';

const run = JSON.parse(readFileSync(new URL('./results/latest.json', import.meta.url), 'utf8')) as BenchRun;
writeDocs(run);
process.stdout.write('docs/benchmarks.md rendered from bench/results/latest.json\n');

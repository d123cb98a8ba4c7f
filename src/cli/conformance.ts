import { readFileSync } from 'node:fs';
import { runConformance } from '../jsonlogic/conformance.js';

/** `npm run conformance -- <tests.json>`: runs the JsonLogic suite through NBO's compiler. */
function main(argv: string[]): number {
  const file = argv[0];
  if (!file) {
    process.stderr.write('usage: npm run conformance -- <path to jsonlogic tests.json>\n');
    return 2;
  }
  const suite = JSON.parse(readFileSync(file, 'utf8')) as unknown[];
  const res = runConformance(suite);
  for (const f of res.failures) {
    process.stdout.write(
      `FAIL #${f.index} [${f.section}] rule=${JSON.stringify(f.rule)} data=${JSON.stringify(f.data)} ` +
        `expected=${JSON.stringify(f.expected)} actual=${JSON.stringify(f.actual)}\n`,
    );
  }
  process.stdout.write(`${res.passed} passed, ${res.failed} failed\n`);
  return res.failed === 0 && res.passed > 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));

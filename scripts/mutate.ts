// `npm run mutate [-- <folder>...] [-- stryker options]`: mutation testing (StrykerJS, vitest
// runner), one folder at a time, each against only the test files that exercise it — the
// whole suite per mutant would take hours. With no folder it runs every folder below one
// after the other. Each run is incremental (only changed code and tests are
// retried; `--force` redoes all), writes its reports under reports/mutation/<folder>/ and
// prints the folder's counts and score; `npm run mutate -- survivors [folder...]` lists the
// mutants the last run left alive. docs/testing.md records the scores.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';

interface Folder {
  /** Files Stryker mutates (globs, `!` excludes). */
  mutate: string[];
  /** The test files that exercise them: fast unit and contract tests first. */
  tests: string[];
}

export const FOLDERS: Record<string, Folder> = {
  decide: {
    mutate: ['src/decide/**/*.ts'],
    // total-caps.test.ts is left out: it starts the HTTP server (uWebSockets.js aborts in the
    // worker threads Stryker runs vitest in); caps.test.ts covers the same rule
    tests: [
      'test/decide/caps.test.ts',
      'test/decide/cooldowns.test.ts',
      'test/decide/deadline.test.ts',
      'test/decide/fallback.test.ts',
      'test/decide/fallback-decisions.test.ts',
      'test/decide/learning.test.ts',
      'test/decide/pipeline.test.ts',
      'test/decide/rank.test.ts',
      'test/decide/policy.test.ts',
      'test/decide/decider-metrics.test.ts',
      'test/decide/choice-probability.test.ts',
    ],
  },
  // the logic both stores share, the in-process store and the Redis wire format
  state: {
    mutate: [
      'src/state/*.ts',
      '!src/state/types.ts',
      'src/state/redis/codec.ts',
      'src/state/redis/apply-protocol.ts',
      'src/state/redis/keys.ts',
      'src/state/redis/coalesce.ts',
      'src/state/redis/errors.ts',
    ],
    // the store contract runs against the in-process store, Redis and Redis Cluster
    tests: [
      'test/state/memory-store.test.ts',
      'test/state/codec.test.ts',
      'test/state/apply-protocol.test.ts',
      'test/state/redis-store.test.ts',
    ],
  },
  // the ingestor through its own tests. Left out: the EventSource and DecisionSink contracts
  // (test/flow/event-sources, decision-sinks), whose Kafka runs take 3–6 s a test (a consumer
  // group join: two hours for this folder), and test/service/drain.test.ts, which starts the
  // HTTP server — uWebSockets.js aborts in the worker threads Stryker runs vitest in
  flow: {
    mutate: ['src/flow/**/*.ts'],
    tests: [
      'test/flow/ingest.test.ts',
      'test/flow/customer-view.test.ts',
      'test/flow/ingest-metrics.test.ts',
      'test/flow/ingest-observers.test.ts',
    ],
  },
  // the consumer's batch handling (DLQ, halving, pause on outage, commit after apply) and
  // the error classes and restart backoff, through the Kafka EventSource contract (the mock
  // broker) and the unit tests. Left out: kafka-consumer.ts and kafka-service.ts (their tests
  // start the HTTP server — uWebSockets.js aborts in Stryker's worker threads — or a child
  // process, which mutants do not reach)
  stream: {
    mutate: ['src/stream/batch-handler.ts', 'src/stream/error-class.ts', 'src/stream/restart-backoff.ts'],
    tests: [
      'test/stream/error-class.test.ts',
      'test/stream/restart-backoff.test.ts',
      'test/flow/event-sources.test.ts',
    ],
  },
  // the Redis store's I/O (commands, scripts' callers, shared counters): integration tests only
  'state-redis': {
    mutate: [
      'src/state/redis/*.ts',
      '!src/state/redis/codec.ts',
      '!src/state/redis/apply-protocol.ts',
      '!src/state/redis/keys.ts',
      '!src/state/redis/coalesce.ts',
      '!src/state/redis/errors.ts',
    ],
    tests: ['test/state/redis-*.test.ts', 'test/state/apply-protocol.test.ts'],
  },
};

interface MutantResult {
  status: string;
  mutatorName: string;
  replacement?: string;
  location: { start: { line: number; column: number } };
}

interface Report {
  files: Record<string, { source: string; mutants: MutantResult[] }>;
}

/** Counts by status and the score Stryker reports: detected / (all − ignored − errors). */
export function summarize(report: Report) {
  const count: Record<string, number> = {};
  for (const file of Object.values(report.files))
    for (const m of file.mutants) count[m.status] = (count[m.status] ?? 0) + 1;
  const n = (s: string) => count[s] ?? 0;
  const detected = n('Killed') + n('Timeout');
  const valid = detected + n('Survived') + n('NoCoverage');
  return {
    killed: n('Killed'),
    survived: n('Survived'),
    timeout: n('Timeout'),
    noCoverage: n('NoCoverage'),
    ignored: n('Ignored'),
    errors: n('CompileError') + n('RuntimeError'),
    score: valid === 0 ? 100 : Math.round((1000 * detected) / valid) / 10,
  };
}

/** Each surviving or uncovered mutant of a report: file:line:column, mutator, the code it swapped in. */
function listSurvivors(name: string): void {
  const json = `reports/mutation/${name}/mutation.json`;
  if (!existsSync(json)) {
    process.stderr.write(`no report for ${name}: run npm run mutate -- ${name} first\n`);
    process.exit(2);
  }
  const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
  for (const [file, { source, mutants }] of Object.entries(report.files)) {
    const lines = source.split('\n');
    for (const m of mutants
      .filter((x) => x.status === 'Survived' || x.status === 'NoCoverage')
      .sort((a, b) => a.location.start.line - b.location.start.line)) {
      const { line, column } = m.location.start;
      const swapped = (m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 80);
      process.stdout.write(
        `${file}:${line}:${column} ${m.status} ${m.mutatorName} → ${swapped}\n    ${lines[line - 1]?.trim().slice(0, 120)}\n`,
      );
    }
  }
}

function main(): void {
  const args = process.argv.slice(2);
  if (args[0] === 'survivors') {
    const named = args.slice(1);
    // with no folder named: every folder that has a report
    for (const name of named.length > 0
      ? named
      : Object.keys(FOLDERS).filter((f) => existsSync(`reports/mutation/${f}/mutation.json`)))
      listSurvivors(name);
    return;
  }
  // folders first, then anything for stryker (`decide --concurrency 1`)
  const firstOption = args.findIndex((a) => a.startsWith('-'));
  const picked = firstOption < 0 ? args : args.slice(0, firstOption);
  const passThrough = firstOption < 0 ? [] : args.slice(firstOption);
  const unknown = picked.filter((f) => !(f in FOLDERS));
  if (unknown.length > 0) {
    process.stderr.write(`unknown folder ${unknown.join(', ')}: pick from ${Object.keys(FOLDERS).join(', ')}\n`);
    process.exit(2);
  }
  const folders = picked.length > 0 ? picked : Object.keys(FOLDERS);
  const rows: string[] = [];
  for (const name of folders) {
    const { mutate, tests } = FOLDERS[name]!;
    const out = `reports/mutation/${name}`;
    // stryker.config.json with the reports written into the folder's own directory, so
    // folders can run side by side
    mkdirSync(out, { recursive: true });
    const config = JSON.parse(readFileSync('stryker.config.json', 'utf8')) as Record<string, unknown>;
    writeFileSync(
      `${out}/stryker.config.json`,
      JSON.stringify(
        {
          ...config,
          htmlReporter: { fileName: `${out}/index.html` },
          jsonReporter: { fileName: `${out}/mutation.json` },
        },
        null,
        2,
      ),
    );
    const stryker = [
      'stryker',
      'run',
      `${out}/stryker.config.json`,
      '--mutate',
      mutate.join(','),
      '--testFiles',
      tests.join(','),
      '--incremental',
      '--incrementalFile',
      `${out}/incremental.json`,
      // a sandbox per folder, none copied into another: folders can run side by side
      '--tempDirName',
      `.stryker-tmp/${name}`,
      '--ignorePatterns',
      '/.stryker-tmp',
      ...passThrough,
    ];
    process.stdout.write(`== mutate ${name}: npx ${stryker.join(' ')}\n`);
    const started = Date.now();
    const run = spawnSync('npx', stryker, { stdio: 'inherit' });
    if (run.status !== 0) process.exit(run.status ?? 1);
    const minutes = Math.round((Date.now() - started) / 6000) / 10;
    const json = `${out}/mutation.json`;
    if (!existsSync(json)) continue;
    const s = summarize(JSON.parse(readFileSync(json, 'utf8')));
    rows.push(
      `${name.padEnd(7)} killed ${s.killed}, survived ${s.survived}, timeout ${s.timeout}, no coverage ${s.noCoverage}, ignored ${s.ignored}, errors ${s.errors}: score ${s.score}% (${minutes} min)`,
    );
  }
  process.stdout.write(`\n== mutation scores\n${rows.join('\n')}\n`);
}

main();

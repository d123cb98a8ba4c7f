import { afterAll, inject } from 'vitest';

// Loaded only by vitest.mutate.config.ts, after Stryker's own setup file. Vitest 4.1 calls an
// afterAll hook with (context, suite); @stryker-mutator/vitest-runner 9.6.0 reads `meta` off
// the first argument, so the per-test coverage of the initial run and the hit count of each
// mutant run (what stops a mutant that loops forever) never reach Stryker
// (stryker-mutator/stryker-js#5928): every mutant would run every test, and a mutant no
// test reaches would count as survived. This stores both where the runner reads them: the
// test file's meta. afterAll hooks run in reverse order, so this one runs before Stryker's.

interface StrykerGlobal {
  mutantCoverage?: unknown;
  hitCount?: number;
}

declare module 'vitest' {
  interface ProvidedContext {
    globalNamespace: string;
    mode: 'mutant' | 'dry-run';
  }
}

const ns = (globalThis as unknown as Record<string, StrykerGlobal | undefined>)[inject('globalNamespace')];

// vitest wants the first parameter destructured (it reads the fixtures a hook asks for); this asks for none
// biome-ignore lint/correctness/noEmptyPattern: vitest reads a hook's fixtures from the destructured first parameter
afterAll(({}, suite) => {
  const meta = suite.meta as { mutantCoverage?: unknown; hitCount?: number };
  if (inject('mode') === 'mutant') meta.hitCount = ns?.hitCount;
  else meta.mutantCoverage = ns?.mutantCoverage;
});

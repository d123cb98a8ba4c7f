import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

/** The test config `npm run mutate` gives Stryker: the suite's, plus the coverage fix of test/mutation/coverage-setup.ts. */
export default mergeConfig(
  base,
  defineConfig({
    test: { setupFiles: ['test/mutation/coverage-setup.ts'] },
  }),
);

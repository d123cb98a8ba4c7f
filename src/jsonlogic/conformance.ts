import { isDeepStrictEqual } from 'node:util';
import { compileLogic } from './compile.js';

/** One failed case of a JsonLogic test suite. */
export interface ConformanceFailure {
  index: number;
  section: string;
  rule: unknown;
  data: unknown;
  expected: unknown;
  actual: unknown;
}

export interface ConformanceResult {
  passed: number;
  failed: number;
  failures: ConformanceFailure[];
}

/**
 * Runs the official JsonLogic test suite format: an array whose string entries are
 * section headings and whose array entries are `[rule, data, expected]`.
 */
export function runConformance(suite: unknown[]): ConformanceResult {
  const out: ConformanceResult = { passed: 0, failed: 0, failures: [] };
  let section = '';
  suite.forEach((entry, index) => {
    if (typeof entry === 'string') {
      section = entry.replace(/^#\s*/, '');
      return;
    }
    if (!Array.isArray(entry) || entry.length < 3) return;
    const [rule, data, expected] = entry;
    let actual: unknown;
    try {
      actual = compileLogic(rule)(data, { nowMs: Date.now() });
    } catch (err) {
      actual = { error: (err as Error).message };
    }
    // the suite is JSON: compare as JSON values
    if (isDeepStrictEqual(JSON.parse(JSON.stringify(actual ?? null)), expected)) out.passed++;
    else {
      out.failed++;
      out.failures.push({ index, section, rule, data, expected, actual });
    }
  });
  return out;
}

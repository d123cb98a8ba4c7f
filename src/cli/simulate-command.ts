import { createReadStream, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { NboError } from '../errors/codes.js';
import { loadRulesDir } from '../rules/load.js';
import type { RuleSet } from '../rules/types.js';
import { createReplay, type ReplayReport } from '../simulate/replay.js';
import { formatReport } from '../simulate/report-text.js';
import { formatIssue } from './rules-check.js';

type Out = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

const USAGE = 'usage: nbo simulate --events FILE --rules DIR [--candidate DIR] [--now ISO] [--json]\n';

/** `nbo simulate`: replays an NDJSON events file against the rules (and a candidate), prints the report. */
export async function simulateCommand(args: string[], out: Out, err: Out): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      events: { type: 'string' },
      rules: { type: 'string' },
      candidate: { type: 'string' },
      now: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const rulesDir = values.rules ?? process.env.NBO_RULES_DIR;
  if (!values.events || !rulesDir) {
    err.write(USAGE);
    return 2;
  }
  const load = (dir: string): RuleSet | null => {
    const res = loadRulesDir(dir);
    if (res.ok) return res.rules;
    for (const i of res.issues) err.write(`${formatIssue(i)}\n`);
    err.write(`${dir}: ${res.issues.length} error${res.issues.length === 1 ? '' : 's'}; the rule set is refused\n`);
    return null;
  };
  const baseline = load(rulesDir);
  const candidate = values.candidate ? load(values.candidate) : undefined;
  if (!baseline || candidate === null) return 1;
  let nowMs: number | undefined;
  if (values.now !== undefined) {
    nowMs = Date.parse(values.now);
    if (!Number.isFinite(nowMs))
      throw new NboError('NBO_ERR_BODY_INVALID', `--now "${values.now}" is not an ISO-8601 time`);
  }
  const listed = process.env.NBO_TRIGGERS?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const triggers = listed?.length ? listed : undefined;
  const report = await simulateFile(
    values.events,
    { baseline, candidate, nowMs, triggers, learningSegmentation: process.env.NBO_LEARNING_SEGMENTATION || null },
    err,
  );
  out.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  return 0;
}

/** Streams the file line by line through the replay; a progress bar on stderr when it is a terminal. */
export async function simulateFile(
  path: string,
  opts: Parameters<typeof createReplay>[0],
  err: Out,
): Promise<ReplayReport> {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    throw new NboError('NBO_ERR_EVENTS_FILE', `cannot read the events file ${path}: ${(e as Error).message}`);
  }
  const replay = createReplay(opts);
  const bar = err.isTTY ? progressBar(err, size) : null;
  let lineNo = 0;
  let read = 0;
  let rest = '';
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 256 * 1024 });
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      read += Buffer.byteLength(chunk);
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      for (const l of lines) await replay.line(l, ++lineNo);
      bar?.update(read, lineNo);
    }
  } catch (e) {
    if (e instanceof NboError) throw e;
    throw new NboError('NBO_ERR_EVENTS_FILE', `reading ${path} failed after line ${lineNo}: ${(e as Error).message}`);
  }
  if (rest !== '') await replay.line(rest, ++lineNo);
  bar?.done();
  return replay.report();
}

function progressBar(err: Out, total: number) {
  let last = 0;
  const width = 30;
  return {
    update(done: number, lines: number) {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      const share = total === 0 ? 1 : Math.min(1, done / total);
      const filled = Math.round(share * width);
      err.write(
        `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}%  ${lines.toLocaleString('en')} lines`,
      );
    },
    done() {
      err.write(`\r${' '.repeat(width + 30)}\r`);
    },
  };
}

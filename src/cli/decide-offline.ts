import { readFileSync } from 'node:fs';
import { createDecider } from '../decide/decider.js';
import { NboError } from '../errors/codes.js';
import { loadRulesDir } from '../rules/load.js';
import { formatIssue } from './rules-check.js';
import { storeFromStateFile } from './state-file.js';

export interface OfflineDecideArgs {
  rules: string;
  state: string;
  channel: string;
  trigger: string | null;
  /** JSON text, or @file with JSON/YAML. */
  context?: string;
  customer?: string;
  now?: string;
  limit?: number;
  explain: boolean;
}

/** `nbo decide`: decides offline on a customer state file and prints the decision as JSON. */
export async function decideOffline(
  args: OfflineDecideArgs,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  const loaded = loadRulesDir(args.rules);
  if (!loaded.ok) {
    for (const i of loaded.issues) err.write(`${formatIssue(i)}\n`);
    return 1;
  }
  const nowMs = args.now ? Date.parse(args.now) : Date.now();
  if (!Number.isFinite(nowMs))
    throw new NboError('NBO_ERR_BODY_INVALID', `--now "${args.now}" is not an ISO-8601 time`);
  let context: Record<string, unknown> = {};
  if (args.context) {
    const text = args.context.startsWith('@') ? readFileSync(args.context.slice(1), 'utf8') : args.context;
    try {
      context = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      throw new NboError('NBO_ERR_BODY_INVALID', `--context is not JSON: ${(e as Error).message}`);
    }
  }
  const { store, customerId } = await storeFromStateFile(args.state, loaded.rules, nowMs, args.customer);
  // a try-out of rules: the deterministic ranking (the posterior mean), so the same input gives the same answer
  const decider = createDecider({ store, rules: () => loaded.rules, clock: () => nowMs, exploration: 'mean' });
  const decision = await decider.decide({
    customerId,
    channel: args.channel,
    trigger: args.trigger,
    context,
    limit: args.limit ?? 1,
    explain: args.explain,
  });
  out.write(`${JSON.stringify(decision, null, 2)}\n`);
  return 0;
}

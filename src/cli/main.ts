import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { NboError } from '../errors/codes.js';
import { decideOffline } from './decide-offline.js';
import YAML from 'yaml';
import { newKey, SCOPES, type Scope } from '../serve/api-keys.js';
import type { RuleIssue } from '../rules/types.js';
import { formatIssue, priorBound, rulesCheck } from './rules-check.js';
import { rulesDiff, rulesHistory, rulesPublish, rulesRollback } from './rules-publish.js';
import { simulateCommand } from './simulate-command.js';
import { serve } from './serve.js';

const USAGE = `nbo — next-best-offer decisioning

usage:
  nbo serve                             run the service (configured by NBO_* environment variables)
  nbo rules check [dir]                 validate a rules directory (default ./rules); exit 1 listing every error
  nbo rules publish DIR --url URL [--key KEY] [--message TEXT]
                                        publish a rule set to every instance; prints the version (exit 1 listing issues)
  nbo rules history --url URL [--key KEY] [--json]
                                        published versions, newest first
  nbo rules rollback VERSION --url URL [--key KEY] [--message TEXT]
                                        make a published version live again everywhere
  nbo rules diff A B [--url URL] [--key KEY] [--json]
                                        what changed from A to B (directories or versions), offer by offer
  nbo simulate --events FILE --rules DIR [--candidate DIR] [--now ISO] [--json]
                                        replay recorded events offline; baseline and candidate side by side
  nbo decide --state FILE --channel CH  decide offline on a customer state file and print the decision
         [--trigger T] [--context JSON|@file] [--rules DIR] [--customer ID]
         [--now ISO] [--limit N] [--explain]
  nbo keys new --id ID --scopes S1,S2 [--channels C1,C2]
                                        print a fresh API key secret and its NBO_API_KEYS_FILE entry
  nbo help

--key defaults to $NBO_API_KEY.
`;

export async function main(
  argv: string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const [cmd, sub, ...rest] = argv;
  try {
    if (cmd === 'serve') {
      await serve();
      return -1; // keeps running
    }
    if (cmd === 'keys' && sub === 'new') {
      const { values } = parseArgs({
        args: rest,
        options: { id: { type: 'string' }, scopes: { type: 'string' }, channels: { type: 'string' } },
        strict: true,
      });
      const scopes = (values.scopes ?? '').split(',').filter(Boolean);
      const bad = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
      if (!values.id || scopes.length === 0 || bad.length > 0) {
        err.write(
          `nbo keys new needs --id and --scopes from ${SCOPES.join(', ')}${bad.length ? ` (unknown: ${bad.join(', ')})` : ''}\n`,
        );
        return 2;
      }
      const { secret, entry } = newKey(
        values.id,
        scopes as Scope[],
        values.channels ? values.channels.split(',').filter(Boolean) : null,
      );
      out.write(
        `# the secret — give it to the client; it is not stored anywhere:\n${secret}\n\n# add this entry to NBO_API_KEYS_FILE:\n${YAML.stringify([entry])}`,
      );
      return 0;
    }
    if (cmd === 'rules' && sub === 'check')
      return rulesCheck(
        rest[0] ?? process.env.NBO_RULES_DIR ?? './rules',
        out,
        err,
        priorBound(process.env.NBO_PRIOR_MAX_IMPRESSIONS),
      );
    if (cmd === 'rules' && (sub === 'publish' || sub === 'history' || sub === 'rollback' || sub === 'diff')) {
      const { values, positionals } = parseArgs({
        args: rest,
        options: {
          url: { type: 'string' },
          key: { type: 'string' },
          message: { type: 'string' },
          json: { type: 'boolean', default: false },
        },
        allowPositionals: true,
        strict: true,
      });
      const need = sub === 'history' ? 0 : sub === 'diff' ? 2 : 1;
      if (positionals.length !== need || (sub !== 'diff' && !values.url)) {
        const shape = { publish: 'DIR --url URL', history: '--url URL', rollback: 'VERSION --url URL', diff: 'A B' }[
          sub
        ];
        err.write(`usage: nbo rules ${sub} ${shape} …

${USAGE}`);
        return 2;
      }
      const remote = values.url ? { url: values.url, key: values.key ?? process.env.NBO_API_KEY ?? undefined } : null;
      const message = values.message ?? null;
      if (sub === 'publish') return await rulesPublish(positionals[0]!, remote!, message, out, err);
      if (sub === 'rollback') return await rulesRollback(positionals[0]!, remote!, message, out, err);
      if (sub === 'history') return await rulesHistory(remote!, values.json ?? false, out);
      return await rulesDiff(positionals[0]!, positionals[1]!, remote, values.json ?? false, out, err);
    }
    if (cmd === 'simulate') return await simulateCommand(argv.slice(1), out, err);
    if (cmd === 'decide') {
      const { values } = parseArgs({
        args: argv.slice(1),
        options: {
          state: { type: 'string' },
          channel: { type: 'string' },
          trigger: { type: 'string' },
          context: { type: 'string' },
          rules: { type: 'string' },
          customer: { type: 'string' },
          now: { type: 'string' },
          limit: { type: 'string' },
          explain: { type: 'boolean', default: false },
        },
        strict: true,
      });
      if (!values.state || !values.channel) {
        err.write(`nbo decide needs --state and --channel\n\n${USAGE}`);
        return 2;
      }
      return await decideOffline(
        {
          rules: values.rules ?? process.env.NBO_RULES_DIR ?? './rules',
          state: values.state,
          channel: values.channel,
          trigger: values.trigger ?? null,
          context: values.context,
          customer: values.customer,
          now: values.now,
          limit: values.limit === undefined ? 1 : Number(values.limit),
          explain: values.explain ?? false,
        },
        out,
        err,
      );
    }
    if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
      out.write(USAGE);
      return cmd === undefined ? 2 : 0;
    }
    err.write(`unknown command: ${argv.join(' ')}\n\n${USAGE}`);
    return 2;
  } catch (e) {
    if (e instanceof TypeError && (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      err.write(`nbo: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    err.write(`nbo: ${e instanceof NboError ? `${e.code}: ` : ''}${(e as Error).message}\n`);
    // invalid rules: the same listing as `nbo rules check`, one issue a line
    if (e instanceof NboError && e.code === 'NBO_ERR_RULES_INVALID' && Array.isArray(e.details)) {
      for (const i of e.details as RuleIssue[]) err.write(`${formatIssue(i)}\n`);
    }
    return 1;
  }
}

// run when this file is the script (`node dist/cli/main.js serve`), not when imported (bin.ts, tests)
if (process.argv[1] && isThisFile(process.argv[1])) {
  main(process.argv.slice(2)).then((code) => {
    if (code < 0) return;
    // a serve that failed to start may hold connections open (Redis, Kafka): exit, do not linger
    if (code > 0 && process.argv[2] === 'serve') process.exit(code);
    process.exitCode = code;
  });
}

function isThisFile(script: string): boolean {
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

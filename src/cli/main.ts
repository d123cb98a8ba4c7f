#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { NboError } from '../errors/codes.js';
import { decideOffline } from './decide-offline.js';
import YAML from 'yaml';
import { newKey, SCOPES, type Scope } from '../serve/api-keys.js';
import { priorBound, rulesCheck } from './rules-check.js';
import { serve } from './serve.js';

const USAGE = `nbo — next-best-offer decisioning

usage:
  nbo serve                             run the service (configured by NBO_* environment variables)
  nbo rules check [dir]                 validate a rules directory (default ./rules); exit 1 listing every error
  nbo decide --state FILE --channel CH  decide offline on a customer state file and print the decision
         [--trigger T] [--context JSON|@file] [--rules DIR] [--customer ID]
         [--now ISO] [--limit N] [--explain]
  nbo keys new --id ID --scopes S1,S2 [--channels C1,C2]
                                        print a fresh API key secret and its NBO_API_KEYS_FILE entry
  nbo help
`;

export async function main(argv: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const [cmd, sub, ...rest] = argv;
  try {
    if (cmd === 'serve') {
      await serve();
      return -1; // keeps running
    }
    if (cmd === 'keys' && sub === 'new') {
      const { values } = parseArgs({ args: rest, options: { id: { type: 'string' }, scopes: { type: 'string' }, channels: { type: 'string' } }, strict: true });
      const scopes = (values.scopes ?? '').split(',').filter(Boolean);
      const bad = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
      if (!values.id || scopes.length === 0 || bad.length > 0) {
        err.write(`nbo keys new needs --id and --scopes from ${SCOPES.join(', ')}${bad.length ? ` (unknown: ${bad.join(', ')})` : ''}\n`);
        return 2;
      }
      const { secret, entry } = newKey(values.id, scopes as Scope[], values.channels ? values.channels.split(',').filter(Boolean) : null);
      out.write(`# the secret — give it to the client; it is not stored anywhere:\n${secret}\n\n# add this entry to NBO_API_KEYS_FILE:\n${YAML.stringify([entry])}`);
      return 0;
    }
    if (cmd === 'rules' && sub === 'check') return rulesCheck(rest[0] ?? process.env.NBO_RULES_DIR ?? './rules', out, err, priorBound(process.env.NBO_PRIOR_MAX_IMPRESSIONS));
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
    err.write(`nbo: ${e instanceof NboError ? `${e.code}: ` : ''}${(e as Error).message}\n`);
    return 1;
  }
}

// run when executed, not when imported by tests
if (process.argv[1] && /[\\/]main\.(js|ts)$/.test(process.argv[1])) {
  main(process.argv.slice(2)).then((code) => {
    if (code >= 0) process.exitCode = code;
  });
}

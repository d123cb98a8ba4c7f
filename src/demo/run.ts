import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config.js';
import { createLogger } from '../config/logger.js';
import { startService } from '../service/service.js';
import { createPopulation } from './population.js';

/** The sample rules shipped with NBO. */
const SAMPLE_RULES = fileURLToPath(new URL('../../rules', import.meta.url));

const USAGE = `npm run demo [-- --rate N --customers N --seed N]

Starts NBO on the embedded default (in-process store, no Redis, no Kafka) with the
sample rules and streams a synthetic population into it, so the page at /ui shows
life within seconds. NBO_PORT (default 8080), NBO_RULES_DIR (default the sample rules)
and NBO_LOG_LEVEL (default error) apply; other NBO_ variables are ignored.
Ctrl-C stops it.`;

/**
 * `npm run demo`: NBO plus a synthetic population — checkouts and purchases at the till
 * and in the app, claims, and the customers' answers to the offers made — until Ctrl-C.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string', default: '20' },
      customers: { type: 'string', default: '400' },
      seed: { type: 'string', default: '42' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return void console.log(USAGE);
  const rate = Number(values.rate);
  const customers = Number(values.customers);
  if (!(rate > 0 && rate <= 2000) || !(Number.isInteger(customers) && customers > 0 && customers <= 100_000)) {
    console.error(`--rate must be 1–2000 triggers a second and --customers 1–100000\n\n${USAGE}`);
    process.exit(2);
  }
  const env = process.env;
  const config = loadConfig({
    NBO_PORT: env.NBO_PORT ?? '8080',
    NBO_RULES_DIR: env.NBO_RULES_DIR ?? SAMPLE_RULES,
    NBO_LOG_LEVEL: env.NBO_LOG_LEVEL ?? 'error',
    NBO_RULES_WATCH: 'false',
  });
  const log = createLogger(config.logLevel);
  const service = await startService(config, { log }).catch((err: Error) => {
    console.error(
      `NBO did not start: ${err.message}${/listen/.test(err.message) ? `\nIs the port taken? Try NBO_PORT=8081 npm run demo` : ''}`,
    );
    process.exit(1);
  });
  const base = `http://${config.host}:${service.port}`;

  const pop = createPopulation(customers, Number(values.seed));
  const history = pop.shoppers.flatMap((s) => pop.history(s, Date.now()));
  for (let i = 0; i < history.length; i += config.maxBatch)
    await service.ingestor.ingest(history.slice(i, i + config.maxBatch));

  console.log(`NBO demo: ${customers} synthetic customers, about ${rate} checkouts and claims a second, rules ${config.rulesDir}
  the page:   ${base}/ui
  the counts: ${base}/v1/stats/offers
Ctrl-C stops it.`);

  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  let decisions = 0;
  let stopping = false;
  const TICK_MS = 100;
  let owed = 0;
  const tick = setInterval(() => {
    owed += (rate * TICK_MS) / 1000;
    const batch = [];
    for (; owed >= 1; owed--) batch.push(pop.next(Date.now()));
    if (batch.length === 0) return;
    const byCustomer = new Map(batch.map((b) => [b.shopper.id, b.shopper]));
    void service.ingestor
      .ingest(batch.flatMap((b) => b.events))
      .then((res) => res.decisions)
      .then((made) => {
        for (const d of made) {
          decisions++;
          const shopper = byCustomer.get(d.customerId);
          const first = d.offers[0];
          // the customer looks at the offer a moment later, then answers it
          if (shopper && first)
            later(
              300 + Math.random() * 2500,
              () =>
                void service.ingestor
                  .ingest(pop.respond(shopper, d.decisionId, first.offerId, Date.now()))
                  .catch(() => {}),
            );
        }
      })
      .catch((err: unknown) => {
        if (!stopping) log.warn({ err }, 'demo events failed');
      });
  }, TICK_MS);
  const report = setInterval(() => console.log(`  ${decisions} decisions so far`), 15_000);

  const stop = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    clearInterval(tick);
    clearInterval(report);
    for (const t of timers) clearTimeout(t);
    console.log(`\n${signal}: stopping the demo after ${decisions} decisions`);
    await service.stop();
    console.log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

void main();

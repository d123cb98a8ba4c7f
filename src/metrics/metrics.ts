import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { SeriesCounter, SeriesHistogram } from './series.js';

/**
 * NBO's Prometheus metrics (`nbo_` prefix, base units). Label values are bounded: a
 * channel, event type or offer id not known to the rules is reported as "other", and
 * no customer id is ever a label. The metrics every decision or request touches are
 * SeriesCounter / SeriesHistogram (series.ts): prom-client's, without hashing the labels
 * object on every call.
 */
export interface Metrics {
  registry: Registry;
  decisionDuration: Histogram<'source'>;
  decisions: Counter<'channel' | 'result'>;
  offersSelected: Counter<'offer'>;
  events: Counter<'type' | 'result'>;
  ruleErrors: Counter<'kind'>;
  rulesInfo: Gauge<'version'>;
  rulesReloads: Counter<'result'>;
  rulesPublishes: Counter<'action' | 'result'>;
  storeDuration: Histogram<'op'>;
  storeErrors: Counter<'op' | 'code'>;
  httpRequests: Counter<'route' | 'status'>;
  wsConnections: Gauge;
  wsMessagesSent: Counter;
  wsMessagesDropped: Counter<'reason'>;
  kafkaMessages: Counter<'result'>;
  kafkaBatchDuration: Histogram;
  kafkaLag: Gauge<'partition'>;
  kafkaRebalances: Counter;
  kafkaConsumerRestarts: Counter;
  kafkaConsumerRunning: Gauge;
  /** Applied `offer_response` events by offer and outcome (impression, accepted, declined, redeemed). */
  offerOutcomes: Counter<'offer' | 'outcome'>;
  /** What /readyz answers (1 ready, 0 not), computed at each scrape from `setReadyProbe`'s function. */
  ready: Gauge;
  setReadyProbe(probe: () => Promise<boolean>): void;
  /** The customers the in-process store holds, read at each scrape from `setStoreCustomersProbe`'s function (0 in Redis mode). */
  storeCustomers: Gauge;
  setStoreCustomersProbe(probe: () => number): void;
  /** Decisions, response outcomes and accepted value per policy (default, holdout, experiment arms). */
  policyDecisions: Counter<'policy'>;
  policyOutcomes: Counter<'policy' | 'outcome'>;
  policyValue: Counter<'policy'>;
  /** Maps a value onto the known set, else "other" (bounded label cardinality). */
  bounded(known: ReadonlySet<string>, value: string | null | undefined): string;
}

/** Latency buckets from 0.5 ms (the decision budget is 2 ms at p99). */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false)
    collectDefaultMetrics({ register: registry, prefix: 'nbo_', eventLoopMonitoringPrecision: 10 });
  const r = [registry];
  let readyProbe: (() => Promise<boolean>) | null = null;
  let storeCustomersProbe: (() => number) | null = null;
  return {
    registry,
    decisionDuration: new SeriesHistogram({
      name: 'nbo_decision_duration_seconds',
      help: 'Time to decide, from request to answer',
      labelNames: ['source'],
      buckets: LATENCY_BUCKETS,
      registers: r,
    }),
    decisions: new SeriesCounter({
      name: 'nbo_decisions_total',
      help: 'Decisions made, by channel and result (offers, empty, degraded)',
      labelNames: ['channel', 'result'],
      registers: r,
    }),
    offersSelected: new SeriesCounter({
      name: 'nbo_offers_selected_total',
      help: 'Offers returned by decisions',
      labelNames: ['offer'],
      registers: r,
    }),
    events: new SeriesCounter({
      name: 'nbo_events_total',
      help: 'Events by type and result (applied, duplicate, rejected)',
      labelNames: ['type', 'result'],
      registers: r,
    }),
    ruleErrors: new Counter({
      name: 'nbo_rule_errors_total',
      help: 'Rules that raised while evaluated (counted as false)',
      labelNames: ['kind'],
      registers: r,
    }),
    rulesInfo: new Gauge({
      name: 'nbo_rules_info',
      help: 'The live rules version (value 1)',
      labelNames: ['version'],
      registers: r,
    }),
    rulesReloads: new Counter({
      name: 'nbo_rules_reloads_total',
      help: 'Rules reloads by result (loaded, unchanged, invalid)',
      labelNames: ['result'],
      registers: r,
    }),
    rulesPublishes: new Counter({
      name: 'nbo_rules_publishes_total',
      help: 'Publishes, rollbacks and seeds this instance took, by result (published, unchanged, refused)',
      labelNames: ['action', 'result'],
      registers: r,
    }),
    storeDuration: new SeriesHistogram({
      name: 'nbo_store_duration_seconds',
      help: 'State store calls',
      labelNames: ['op'],
      buckets: LATENCY_BUCKETS,
      registers: r,
    }),
    storeErrors: new Counter({
      name: 'nbo_store_errors_total',
      help: 'Failed state store calls by error code',
      labelNames: ['op', 'code'],
      registers: r,
    }),
    httpRequests: new SeriesCounter({
      name: 'nbo_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['route', 'status'],
      registers: r,
    }),
    wsConnections: new Gauge({ name: 'nbo_ws_connections', help: 'Open WebSocket subscriptions', registers: r }),
    wsMessagesSent: new Counter({
      name: 'nbo_ws_messages_sent_total',
      help: 'Decision messages sent to WebSocket subscribers',
      registers: r,
    }),
    wsMessagesDropped: new Counter({
      name: 'nbo_ws_messages_dropped_total',
      help: 'Messages not delivered, by reason (slow subscriber closed)',
      labelNames: ['reason'],
      registers: r,
    }),
    kafkaMessages: new Counter({
      name: 'nbo_kafka_messages_total',
      help: 'Kafka messages consumed by result (applied, duplicate, dlq)',
      labelNames: ['result'],
      registers: r,
    }),
    kafkaBatchDuration: new Histogram({
      name: 'nbo_kafka_batch_duration_seconds',
      help: 'Time to process one fetched batch',
      buckets: LATENCY_BUCKETS,
      registers: r,
    }),
    kafkaLag: new Gauge({
      name: 'nbo_kafka_consumer_lag',
      help: 'High watermark minus committed offset, per partition',
      labelNames: ['partition'],
      registers: r,
    }),
    kafkaRebalances: new Counter({
      name: 'nbo_kafka_rebalances_total',
      help: 'Consumer group rebalances',
      registers: r,
    }),
    kafkaConsumerRestarts: new Counter({
      name: 'nbo_kafka_consumer_restarts_total',
      help: 'Kafka consumer restarts after a crash',
      registers: r,
    }),
    kafkaConsumerRunning: new Gauge({
      name: 'nbo_kafka_consumer_running',
      help: 'Whether the Kafka consumer is consuming now (1) or not (0: starting, crashed, stalled, paused)',
      registers: r,
    }),
    offerOutcomes: new Counter({
      name: 'nbo_offer_outcomes_total',
      help: 'offer_response events applied, by offer and outcome',
      labelNames: ['offer', 'outcome'],
      registers: r,
    }),
    ready: new Gauge({
      name: 'nbo_ready',
      help: 'What /readyz answers: 1 ready, 0 not (lame duck, draining, store or consumer down)',
      registers: r,
      async collect() {
        if (readyProbe) this.set((await readyProbe()) ? 1 : 0);
      },
    }),
    setReadyProbe(probe) {
      readyProbe = probe;
    },
    storeCustomers: new Gauge({
      name: 'nbo_memory_store_customers',
      help: 'Customers the in-process store holds in the heap (0 in Redis mode, where they are in Redis)',
      registers: r,
      collect() {
        if (storeCustomersProbe) this.set(storeCustomersProbe());
      },
    }),
    setStoreCustomersProbe(probe) {
      storeCustomersProbe = probe;
    },
    policyDecisions: new SeriesCounter({
      name: 'nbo_policy_decisions_total',
      help: 'Decisions by policy (default, holdout, experiment arm)',
      labelNames: ['policy'],
      registers: r,
    }),
    policyOutcomes: new Counter({
      name: 'nbo_policy_outcomes_total',
      help: 'Offer responses attributed to the policy whose decision they answer, by outcome',
      labelNames: ['policy', 'outcome'],
      registers: r,
    }),
    policyValue: new Counter({
      name: 'nbo_policy_value_total',
      help: 'Value of accepted offers (offer value) attributed to the policy whose decision they answer',
      labelNames: ['policy'],
      registers: r,
    }),
    bounded(known, value) {
      return value !== null && value !== undefined && known.has(value) ? value : 'other';
    },
  };
}

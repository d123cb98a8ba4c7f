import { NboError } from '../errors/codes.js';
import { DEFAULT_LIMITS, MAX_DEPTH_CEILING, type InputLimits } from '../events/limits.js';
import { DEFAULT_TRIGGERS } from '../events/types.js';
import { EVENT_TYPE_RE } from '../events/vocabulary.js';
import { isServiceLinkValue, isServiceLinkVariable, serviceLinkProblem } from './service-links.js';
import { parseDuration } from './duration.js';

/** Learned evidence loses half its weight in 14 days unless configured otherwise (chosen with bench/scenarios/learning.bench.ts). */
export const DEFAULT_HALF_LIFE_MS = 14 * 86_400_000;

/** Everything NBO can be configured with, validated once at start and then frozen. */
export interface Config {
  port: number;
  /** Address to listen on; without API keys only 127.0.0.1 is allowed. */
  host: string;
  rulesDir: string;
  /** Reload the rules when their files change (and on SIGHUP). */
  rulesWatch: boolean;
  /** How often the rules directory's content hash is checked when watching. */
  rulesPollMs: number;
  /** null: the in-process store (embedded default). */
  redis: {
    url: string | null;
    cluster: string[] | null;
    prefix: string;
    timeoutMs: number;
    statsRefreshMs: number;
    /** A file holding the Redis password (a mounted Secret), read at start. */
    passwordFile: string | null;
    /** A PEM file of the CA that signed Redis's TLS certificate; set: connect with TLS. */
    tlsCaFile: string | null;
  } | null;
  /** null: events over HTTP only. */
  kafka: {
    brokers: string[];
    clientId: string;
    groupId: string;
    eventsTopic: string;
    decisionsTopic: string;
    dlqTopic: string;
    fetchMaxWaitMs: number;
    sessionTimeoutMs: number;
    /** A request the broker has not answered within this fails (and is retried). */
    requestTimeoutMs: number;
    maxBatchEvents: number;
    partitionsConcurrently: number;
    ssl: boolean;
    sasl: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string } | null;
  } | null;
  /** null: no authentication (and the server listens on 127.0.0.1 only). */
  apiKeysFile: string | null;
  /** Event types that trigger a decision. */
  triggers: readonly string[];
  learningSegmentation: string | null;
  exploration: 'mean' | 'thompson';
  /** A prior weighs at most this many pseudo-impressions; learned evidence forgets with this half-life (null: never). */
  learning: { priorMaxImpressions: number; halfLifeMs: number | null; model: 'segment' | 'contextual' };
  /** Share of customers (by id hash) decided by a control policy. */
  holdout: { share: number; policy: 'none' | 'random' | 'static' };
  /** YAML/JSON file of experiment arms (see docs/learning.md), or null. */
  experimentsFile: string | null;
  /** How long a decision waits for customer state before answering degraded. */
  decideTimeoutMs: number;
  bodyLimitBytes: number;
  /** Most events in one POST /v1/events. */
  maxBatch: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** SIGTERM: how long in-flight work may take before the process exits anyway. */
  shutdownTimeoutMs: number;
  /** SIGTERM: how long requests are still served, readiness failing, before the drain starts. */
  lameDuckMs: number;
  ws: { maxBackpressureBytes: number; idleTimeoutS: number; maxPayloadBytes: number };
  /** Limits on event data and decide context, the same for HTTP and Kafka (docs/api.md#input-limits). */
  limits: Readonly<InputLimits>;
  /** Where the live rule set comes from: the directory, or versions published to Redis (docs/publishing.md). */
  rulesSource: 'directory' | 'redis';
  /** Redis source: how often the live version is re-checked (heals a missed pub/sub message), the versions and audit records kept. */
  rulesPublish: { recheckMs: number; history: number; auditLimit: number };
  /** Append every applied event to this NDJSON file (for `nbo simulate`); null: off. */
  recordEventsFile: string | null;
}

/** Every variable, its default (units in the name or comment), and what it is. Rendered in docs/configuration.md. */
export const VARIABLES = {
  NBO_PORT: { default: '8080', doc: 'HTTP and WebSocket port' },
  NBO_HOST: {
    default: '0.0.0.0 with API keys, else 127.0.0.1',
    doc: 'listen address; without NBO_API_KEYS_FILE only a loopback address is accepted',
  },
  NBO_RULES_DIR: { default: './rules', doc: 'rules directory' },
  NBO_RULES_WATCH: {
    default: 'true',
    doc: 'reload rules when their files change (also on SIGHUP); an invalid set is refused and the last good one stays',
  },
  NBO_RULES_POLL_MS: {
    default: '1000',
    doc: "how often the rules directory's content hash is checked for changes (NBO_RULES_WATCH); a change is live within about this long",
  },
  NBO_REDIS_URL: { default: 'unset = in-process store', doc: 'redis://host:port/db of a single Redis node' },
  NBO_REDIS_CLUSTER: {
    default: 'unset',
    doc: 'comma-separated host:port seeds of a Redis Cluster (instead of NBO_REDIS_URL)',
  },
  NBO_REDIS_PREFIX: { default: 'nbo', doc: 'key prefix' },
  NBO_REDIS_TIMEOUT_MS: { default: '500', doc: 'a Redis command not answered within this fails (retriable)' },
  NBO_REDIS_PASSWORD_FILE: {
    default: 'unset = no password',
    doc: 'file holding the Redis password (AUTH; e.g. a mounted Secret); read at start, one trailing newline ignored',
  },
  NBO_REDIS_TLS_CA_FILE: {
    default: 'unset = system CAs with rediss://',
    doc: 'PEM file of the CA that signed the Redis server certificate; needs a rediss:// NBO_REDIS_URL, or turns on TLS for NBO_REDIS_CLUSTER',
  },
  NBO_STATS_REFRESH_MS: {
    default: '1000',
    doc: 'how often shared learning / total-cap counters are re-read from Redis',
  },
  NBO_KAFKA_BROKERS: { default: 'unset = events over HTTP only', doc: 'comma-separated host:port brokers' },
  NBO_KAFKA_CLIENT_ID: { default: 'nbo', doc: 'Kafka client id' },
  NBO_KAFKA_GROUP_ID: { default: 'nbo', doc: 'consumer group' },
  NBO_KAFKA_EVENTS_TOPIC: { default: 'nbo.events', doc: 'topic consumed' },
  NBO_KAFKA_DECISIONS_TOPIC: { default: 'nbo.decisions', doc: 'topic stream-triggered decisions are produced to' },
  NBO_KAFKA_DLQ_TOPIC: { default: 'nbo.events.dlq', doc: 'dead-letter topic for invalid events' },
  NBO_KAFKA_FETCH_MAX_WAIT_MS: { default: '100', doc: 'longest a fetch waits for data' },
  NBO_KAFKA_SESSION_TIMEOUT_MS: {
    default: '30000',
    doc: 'consumer group session timeout: how long a member that died unannounced holds its partitions',
  },
  NBO_KAFKA_REQUEST_TIMEOUT_MS: {
    default: '30000',
    doc: 'a request the broker has not answered within this fails and is retried; a consumer whose retries run out is restarted',
  },
  NBO_KAFKA_MAX_BATCH_EVENTS: { default: '2000', doc: 'most messages applied in one store batch' },
  NBO_KAFKA_PARTITIONS_CONCURRENTLY: {
    default: '4',
    doc: 'assigned partitions whose batches are applied at the same time (each partition stays in order); more overlaps parsing with Redis work',
  },
  NBO_KAFKA_SSL: { default: 'false', doc: 'connect with TLS' },
  NBO_KAFKA_SASL_MECHANISM: { default: 'unset', doc: 'plain, scram-sha-256 or scram-sha-512' },
  NBO_KAFKA_SASL_USERNAME: { default: 'unset', doc: 'SASL user' },
  NBO_KAFKA_SASL_PASSWORD: { default: 'unset', doc: 'SASL password' },
  NBO_API_KEYS_FILE: {
    default: 'unset = no auth, 127.0.0.1 only',
    doc: 'YAML/JSON list of API keys (see docs/api.md#auth)',
  },
  NBO_TRIGGERS: { default: DEFAULT_TRIGGERS.join(','), doc: 'event types that trigger a decision' },
  NBO_LEARNING_SEGMENTATION: { default: 'unset', doc: 'learn propensity per segment of this segmentation' },
  NBO_EXPLORATION: {
    default: 'thompson',
    doc: 'thompson (a Thompson sample of each posterior: explores) or mean (the posterior mean: deterministic ranking)',
  },
  NBO_PRIOR_MAX_IMPRESSIONS: {
    default: '20',
    doc: 'an offer prior weighs at most this many pseudo-impressions (a larger one is scaled down; `nbo rules check` warns)',
  },
  NBO_LEARNING_HALF_LIFE: {
    default: '14d',
    doc: 'half-life of learned evidence (e.g. 12h, 3d), or none to never forget; an offer may set its own (propensity.halfLife)',
  },
  NBO_LEARNING_MODEL: {
    default: 'segment',
    doc: 'segment (a Beta posterior per offer and segment of NBO_LEARNING_SEGMENTATION) or contextual (over segments, profile attributes and basket categories); an offer may choose its own (propensity.model)',
  },
  NBO_HOLDOUT_SHARE: {
    default: '0',
    doc: 'share of customers (0 to 0.5, by customer-id hash) in the holdout, decided by NBO_HOLDOUT_POLICY',
  },
  NBO_HOLDOUT_POLICY: {
    default: 'none',
    doc: 'what the holdout gets: none (no offer), random (a random qualifying offer) or static (the prior ranking, no learning)',
  },
  NBO_EXPERIMENTS_FILE: {
    default: 'unset',
    doc: 'YAML/JSON file of experiment arms (exploration, segmentation, half-life, weights per arm; see docs/learning.md)',
  },
  NBO_DECIDE_TIMEOUT_MS: {
    default: '50',
    doc: 'how long a decision waits for customer state before answering degraded',
  },
  NBO_BODY_LIMIT_BYTES: { default: '1048576 (1 MiB)', doc: 'largest request body' },
  NBO_MAX_BATCH: { default: '1000', doc: 'most events in one POST /v1/events' },
  NBO_LOG_LEVEL: { default: 'info', doc: 'fatal, error, warn, info, debug, trace or silent' },
  NBO_SHUTDOWN_TIMEOUT_MS: { default: '10000', doc: 'on SIGTERM, how long in-flight work may take' },
  NBO_LAME_DUCK_MS: {
    default: '5000',
    doc: 'on SIGTERM, how long NBO keeps serving with /readyz failing (so load balancers stop routing to it) before it drains; SIGINT skips it',
  },
  NBO_WS_MAX_BACKPRESSURE_BYTES: {
    default: '1048576 (1 MiB)',
    doc: 'a subscriber with more unsent bytes than this is closed (1008)',
  },
  NBO_WS_IDLE_TIMEOUT_S: { default: '120', doc: 'WebSocket idle timeout; pings are sent automatically' },
  NBO_MAX_DEPTH: {
    default: String(DEFAULT_LIMITS.maxDepth),
    doc: `deepest nesting of objects and arrays in an event's data or a decide context (at most ${MAX_DEPTH_CEILING})`,
  },
  NBO_MAX_STRING_LENGTH: {
    default: String(DEFAULT_LIMITS.maxStringLength),
    doc: "longest string value in an event's data or a decide context (UTF-16 code units)",
  },
  NBO_MAX_KEY_LENGTH: {
    default: String(DEFAULT_LIMITS.maxKeyLength),
    doc: "longest property name in an event's data or a decide context",
  },
  NBO_MAX_BASKET_ITEMS: {
    default: String(DEFAULT_LIMITS.maxBasketItems),
    doc: 'most items in a basket (event data.basket.items, decide context.basket.items)',
  },
  NBO_MAX_BASKET_CATEGORIES: {
    default: String(DEFAULT_LIMITS.maxBasketCategories),
    doc: "most distinct categories in a basket (its items' category, or basket.categories)",
  },
  NBO_RULES_SOURCE: {
    default: 'redis with NBO_REDIS_URL/NBO_REDIS_CLUSTER, else directory',
    doc: 'directory: serve NBO_RULES_DIR (reloaded on change); redis: serve the version published with `nbo rules publish` (seeded from NBO_RULES_DIR while nothing is published), see docs/publishing.md',
  },
  NBO_RULES_RECHECK_MS: {
    default: '5000',
    doc: 'redis source: how often each instance re-reads the live version, besides the pub/sub notice (heals a missed message); also the instance heartbeat',
  },
  NBO_RULES_HISTORY: {
    default: '50',
    doc: 'redis source: rules versions kept (history entries and their files); older ones cannot be rolled back to',
  },
  NBO_RULES_AUDIT_LIMIT: {
    default: '1000',
    doc: 'redis source: audit records kept (publish and rollback, accepted or refused)',
  },
  NBO_RECORD_EVENTS_FILE: {
    default: 'unset = off',
    doc: 'append every applied event (HTTP and Kafka) to this NDJSON file, the input of `nbo simulate` (docs/simulate.md)',
  },
  NBO_API_KEY: {
    default: 'unset',
    doc: 'not read by the service: the admin key `nbo rules publish/history/rollback/diff` send when --key is not given',
  },
} as const;

type Env = Record<string, string | undefined>;

/**
 * Reads and validates the configuration from environment variables. Every problem is
 * reported at once (NBO_ERR_CONFIG_INVALID); the result is frozen.
 */
export function loadConfig(env: Env = process.env): Readonly<Config> {
  const problems: string[] = [];
  for (const k of Object.keys(env)) {
    if (
      k.startsWith('NBO_') &&
      !(k in VARIABLES) &&
      !k.startsWith('NBO_TEST_') &&
      !k.startsWith('NBO_BENCH_') &&
      !isServiceLinkVariable(k, env[k])
    )
      problems.push(`${k} is not a known variable`);
    else if (k in VARIABLES && env[k] !== undefined && isServiceLinkValue(env[k]!))
      problems.push(serviceLinkProblem(k, env[k]!));
  }
  const str = (k: keyof typeof VARIABLES): string | undefined => {
    const v = env[k]?.trim();
    // a service link is reported above, never read as a value
    return v === undefined || v === '' || isServiceLinkValue(v) ? undefined : v;
  };
  /** The table's default: its first word ("1048576 (1 MiB)" → "1048576"). */
  const tableDefault = (k: keyof typeof VARIABLES): string => VARIABLES[k].default.split(' ')[0]!;
  const strOr = (k: keyof typeof VARIABLES): string => str(k) ?? tableDefault(k);
  const int = (k: keyof typeof VARIABLES, min: number, max: number): number => {
    const def = Number(tableDefault(k));
    const v = str(k);
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${k}="${v}" must be an integer from ${min} to ${max}`);
      return def;
    }
    return n;
  };
  const bool = (k: keyof typeof VARIABLES): boolean => {
    const def = tableDefault(k) === 'true';
    const v = str(k);
    if (v === undefined) return def;
    if (/^(true|1|yes)$/i.test(v)) return true;
    if (/^(false|0|no)$/i.test(v)) return false;
    problems.push(`${k}="${v}" must be true or false`);
    return def;
  };
  const oneOf = <T extends string>(k: keyof typeof VARIABLES, values: readonly T[], def = tableDefault(k) as T): T => {
    const v = str(k);
    if (v === undefined) return def;
    if (!(values as readonly string[]).includes(v)) {
      problems.push(`${k}="${v}" must be one of ${values.join(', ')}`);
      return def;
    }
    return v as T;
  };
  const fraction = (k: keyof typeof VARIABLES, max: number): number => {
    const def = Number(tableDefault(k));
    const v = str(k);
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || n > max) {
      problems.push(`${k}="${v}" must be a number from 0 to ${max}`);
      return def;
    }
    return n;
  };
  const halfLife = (k: keyof typeof VARIABLES): number | null => {
    const d0 = parseDuration(tableDefault(k));
    const def = 'error' in d0 ? null : d0.ms;
    const v = str(k);
    if (v === undefined) return def;
    if (v === 'none') return null;
    const d = parseDuration(v);
    if ('error' in d) {
      problems.push(`${k}: ${d.error}, or none`);
      return def;
    }
    return d.ms;
  };
  const list = (k: keyof typeof VARIABLES): string[] | null => {
    const v = str(k);
    return v === undefined
      ? null
      : v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  };
  const hostPorts = (k: keyof typeof VARIABLES): string[] | null => {
    const l = list(k);
    for (const hp of l ?? []) if (!/^[A-Za-z0-9.-]+:\d{1,5}$/.test(hp)) problems.push(`${k}: "${hp}" is not host:port`);
    return l;
  };

  const apiKeysFile = str('NBO_API_KEYS_FILE') ?? null;
  const host = str('NBO_HOST') ?? (apiKeysFile ? '0.0.0.0' : '127.0.0.1');
  if (!apiKeysFile && !/^(127\.\d+\.\d+\.\d+|localhost|::1)$/.test(host)) {
    problems.push(`NBO_HOST="${host}" needs NBO_API_KEYS_FILE: without API keys NBO listens on loopback only`);
  }

  const redisUrl = str('NBO_REDIS_URL') ?? null;
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl))
    problems.push(`NBO_REDIS_URL="${redisUrl}" must start with redis:// or rediss://`);
  const redisCluster = hostPorts('NBO_REDIS_CLUSTER');
  if (redisUrl && redisCluster) problems.push('set NBO_REDIS_URL or NBO_REDIS_CLUSTER, not both');
  const redisPasswordFile = str('NBO_REDIS_PASSWORD_FILE') ?? null;
  const redisTlsCaFile = str('NBO_REDIS_TLS_CA_FILE') ?? null;
  if ((redisPasswordFile || redisTlsCaFile) && !redisUrl && !redisCluster)
    problems.push('NBO_REDIS_PASSWORD_FILE and NBO_REDIS_TLS_CA_FILE need NBO_REDIS_URL or NBO_REDIS_CLUSTER');
  if (redisPasswordFile && redisUrl && /^rediss?:\/\/[^/@]*:[^/@]*@/.test(redisUrl))
    problems.push('NBO_REDIS_URL has a password and NBO_REDIS_PASSWORD_FILE is set: give the password once');
  if (redisTlsCaFile && redisUrl?.startsWith('redis://'))
    problems.push('NBO_REDIS_TLS_CA_FILE needs a rediss:// NBO_REDIS_URL (TLS), not redis://');
  const redis =
    redisUrl || redisCluster
      ? {
          url: redisUrl,
          cluster: redisCluster,
          prefix: strOr('NBO_REDIS_PREFIX'),
          timeoutMs: int('NBO_REDIS_TIMEOUT_MS', 10, 60_000),
          statsRefreshMs: int('NBO_STATS_REFRESH_MS', 10, 600_000),
          passwordFile: redisPasswordFile,
          tlsCaFile: redisTlsCaFile,
        }
      : null;

  const brokers = hostPorts('NBO_KAFKA_BROKERS');
  const mechanism = str('NBO_KAFKA_SASL_MECHANISM');
  let sasl: NonNullable<Config['kafka']>['sasl'] = null;
  if (mechanism !== undefined) {
    const m = oneOf('NBO_KAFKA_SASL_MECHANISM', ['plain', 'scram-sha-256', 'scram-sha-512'] as const, 'plain');
    const username = str('NBO_KAFKA_SASL_USERNAME');
    const password = str('NBO_KAFKA_SASL_PASSWORD');
    if (!username || !password)
      problems.push('NBO_KAFKA_SASL_MECHANISM needs NBO_KAFKA_SASL_USERNAME and NBO_KAFKA_SASL_PASSWORD');
    sasl = { mechanism: m, username: username ?? '', password: password ?? '' };
  }
  const kafka = brokers
    ? {
        brokers,
        clientId: strOr('NBO_KAFKA_CLIENT_ID'),
        groupId: strOr('NBO_KAFKA_GROUP_ID'),
        eventsTopic: strOr('NBO_KAFKA_EVENTS_TOPIC'),
        decisionsTopic: strOr('NBO_KAFKA_DECISIONS_TOPIC'),
        dlqTopic: strOr('NBO_KAFKA_DLQ_TOPIC'),
        fetchMaxWaitMs: int('NBO_KAFKA_FETCH_MAX_WAIT_MS', 1, 60_000),
        sessionTimeoutMs: int('NBO_KAFKA_SESSION_TIMEOUT_MS', 6000, 300_000),
        requestTimeoutMs: int('NBO_KAFKA_REQUEST_TIMEOUT_MS', 1000, 300_000),
        maxBatchEvents: int('NBO_KAFKA_MAX_BATCH_EVENTS', 1, 100_000),
        partitionsConcurrently: int('NBO_KAFKA_PARTITIONS_CONCURRENTLY', 1, 64),
        ssl: bool('NBO_KAFKA_SSL'),
        sasl,
      }
    : null;

  const triggers = list('NBO_TRIGGERS') ?? tableDefault('NBO_TRIGGERS').split(',');
  for (const t of triggers) if (!EVENT_TYPE_RE.test(t)) problems.push(`NBO_TRIGGERS: "${t}" is not an event type`);

  const rulesSource = oneOf('NBO_RULES_SOURCE', ['directory', 'redis'] as const, redis ? 'redis' : 'directory');
  if (rulesSource === 'redis' && !redis)
    problems.push('NBO_RULES_SOURCE=redis needs NBO_REDIS_URL or NBO_REDIS_CLUSTER');

  const config: Config = {
    port: int('NBO_PORT', 0, 65_535),
    host,
    rulesDir: strOr('NBO_RULES_DIR'),
    rulesWatch: bool('NBO_RULES_WATCH'),
    rulesPollMs: int('NBO_RULES_POLL_MS', 50, 600_000),
    redis,
    kafka,
    apiKeysFile,
    triggers,
    learningSegmentation: str('NBO_LEARNING_SEGMENTATION') ?? null,
    exploration: oneOf('NBO_EXPLORATION', ['mean', 'thompson'] as const),
    learning: {
      priorMaxImpressions: int('NBO_PRIOR_MAX_IMPRESSIONS', 1, 1_000_000),
      halfLifeMs: halfLife('NBO_LEARNING_HALF_LIFE'),
      model: oneOf('NBO_LEARNING_MODEL', ['segment', 'contextual'] as const),
    },
    holdout: {
      share: fraction('NBO_HOLDOUT_SHARE', 0.5),
      policy: oneOf('NBO_HOLDOUT_POLICY', ['none', 'random', 'static'] as const),
    },
    experimentsFile: str('NBO_EXPERIMENTS_FILE') ?? null,
    decideTimeoutMs: int('NBO_DECIDE_TIMEOUT_MS', 1, 60_000),
    bodyLimitBytes: int('NBO_BODY_LIMIT_BYTES', 1024, 64 * 1_048_576),
    maxBatch: int('NBO_MAX_BATCH', 1, 100_000),
    logLevel: oneOf('NBO_LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
    shutdownTimeoutMs: int('NBO_SHUTDOWN_TIMEOUT_MS', 0, 600_000),
    lameDuckMs: int('NBO_LAME_DUCK_MS', 0, 600_000),
    ws: {
      maxBackpressureBytes: int('NBO_WS_MAX_BACKPRESSURE_BYTES', 1024, 256 * 1_048_576),
      idleTimeoutS: int('NBO_WS_IDLE_TIMEOUT_S', 8, 3600),
      maxPayloadBytes: 16 * 1024,
    },
    limits: {
      maxDepth: int('NBO_MAX_DEPTH', 1, MAX_DEPTH_CEILING),
      maxStringLength: int('NBO_MAX_STRING_LENGTH', 1, 64 * 1_048_576),
      maxKeyLength: int('NBO_MAX_KEY_LENGTH', 1, 65_536),
      maxBasketItems: int('NBO_MAX_BASKET_ITEMS', 1, 100_000),
      maxBasketCategories: int('NBO_MAX_BASKET_CATEGORIES', 1, 100_000),
    },
    rulesSource,
    rulesPublish: {
      recheckMs: int('NBO_RULES_RECHECK_MS', 100, 600_000),
      history: int('NBO_RULES_HISTORY', 1, 10_000),
      auditLimit: int('NBO_RULES_AUDIT_LIMIT', 1, 1_000_000),
    },
    recordEventsFile: str('NBO_RECORD_EVENTS_FILE') ?? null,
  };
  if (problems.length > 0) {
    throw new NboError('NBO_ERR_CONFIG_INVALID', `invalid configuration:\n  ${problems.join('\n  ')}`, {
      details: problems,
    });
  }
  return deepFreeze(config);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

import type { Config } from '../config/config.js';
import type { Logger } from '../config/logger.js';
import { createDecider } from '../decide/decider.js';
import { loadPolicyPlan } from '../decide/experiments-file.js';
import { createIngestor, type DecisionSink } from '../events/ingest.js';
import { BUILTIN_TYPES } from '../events/types.js';
import { createEventValidator } from '../events/validate.js';
import { createMetrics, type Metrics } from '../metrics/metrics.js';
import { createRulesSource } from '../rules/source.js';
import { ruleWarnings } from '../rules/warnings.js';
import { createMemoryStore } from '../state/memory-store.js';
import { stateModelFrom } from '../state/model.js';
import { createRedisStore } from '../state/redis/redis-store.js';
import type { CustomerStateStore } from '../state/types.js';
import { loadKeyRing } from '../serve/api-keys.js';
import { localFanout, redisFanout, type Fanout } from '../serve/fanout.js';
import { buildRoutes, type ReadyReport } from '../serve/routes.js';
import { createHttpServer } from '../serve/server.js';
import { createStreamHub } from '../serve/stream-hub.js';

/** A part that joins the service after start (the Kafka consumer). */
export interface ServicePlugin {
  name: string;
  /** Readiness of the part (e.g. "consumer running"). */
  ready(): { ok: boolean; detail?: string };
  stop(): Promise<void>;
}

export interface Service {
  port: number;
  config: Readonly<Config>;
  metrics: Metrics;
  store: CustomerStateStore;
  /** Adds a sink for stream-triggered decisions (the decisions topic). */
  addSink(sink: DecisionSink): void;
  addPlugin(p: ServicePlugin): void;
  ingestor: ReturnType<typeof createIngestor>;
  reloadRules(): { ok: boolean; version: string };
  /** Graceful stop: readiness fails, new work is refused, in-flight work finishes, WebSockets close with 1001. */
  stop(): Promise<void>;
}

export interface ServiceOptions {
  log: Logger;
  clock?: () => number;
}

/** Builds and starts NBO from its configuration. */
export async function startService(config: Readonly<Config>, opts: ServiceOptions): Promise<Service> {
  const { log } = opts;
  const clock = opts.clock ?? Date.now;
  const metrics = createMetrics();
  const keys = config.apiKeysFile ? loadKeyRing(config.apiKeysFile) : null;
  // before anything is connected: an invalid experiments file stops the start at once
  const policies = loadPolicyPlan(
    { exploration: config.exploration, segmentation: config.learningSegmentation, learning: config.learning, holdout: config.holdout },
    config.experimentsFile,
  );
  if (!keys) log.warn({ host: config.host }, 'no NBO_API_KEYS_FILE: authentication is off and NBO listens on loopback only');

  const store: CustomerStateStore = config.redis
    ? await createRedisStore({
        url: config.redis.url ?? undefined,
        cluster: config.redis.cluster ?? undefined,
        prefix: config.redis.prefix,
        commandTimeoutMs: config.redis.timeoutMs,
        statsRefreshMs: config.redis.statsRefreshMs,
        clock,
        onBackgroundError: (err) => log.warn({ err }, 'redis background work failed'),
      })
    : createMemoryStore({ clock, sweepIntervalMs: 60_000 });

  const rules = createRulesSource(config.rulesDir, {
    watch: config.rulesWatch,
    onReload(r, live) {
      metrics.rulesReloads.inc({ result: !r.ok ? 'invalid' : r.changed ? 'loaded' : 'unchanged' });
      if (!r.ok) log.error({ issues: r.issues, version: r.version }, 'rules reload refused: the last good rules stay live');
      else if (r.changed) {
        store.setModel(stateModelFrom(live, { halfLifeMs: config.learning.halfLifeMs }));
        for (const w of ruleWarnings(live, config.learning.priorMaxImpressions)) log.warn({ file: w.file, offer: w.id, path: w.path }, w.message);
        metrics.rulesInfo.reset();
        metrics.rulesInfo.set({ version: live.version }, 1);
        log.info({ version: live.version, offers: live.offers.length }, 'rules reloaded');
      }
    },
  });
  store.setModel(stateModelFrom(rules.current(), { halfLifeMs: config.learning.halfLifeMs }));
  for (const w of ruleWarnings(rules.current(), config.learning.priorMaxImpressions)) log.warn({ file: w.file, offer: w.id, path: w.path }, w.message);
  metrics.rulesInfo.set({ version: rules.current().version }, 1);

  const decider = createDecider({
    store,
    rules: rules.current,
    clock,
    policies,
    snapshotTimeoutMs: config.decideTimeoutMs,
    metrics,
    onBackgroundError: (err) => log.warn({ err }, 'recording offered failed'),
  });

  const hub = createStreamHub(config.ws.maxBackpressureBytes, metrics);
  const fanout: Fanout = config.redis ? await redisFanout(hub, config.redis, (err) => log.warn({ err }, 'decision fan-out failed')) : localFanout(hub);
  const sinks: DecisionSink[] = [fanout];
  // event types the metrics name, rebuilt only when the rules change
  let types: { version: string; set: ReadonlySet<string> } | null = null;
  const knownTypes = (): ReadonlySet<string> => {
    const r = rules.current();
    if (types?.version !== r.version) types = { version: r.version, set: new Set([...BUILTIN_TYPES, ...config.triggers, ...r.eventTypes]) };
    return types.set;
  };
  const ingestor = createIngestor({
    store,
    decider,
    validate: createEventValidator({ triggers: config.triggers, clock }),
    triggers: config.triggers,
    sinks: () => sinks,
    metrics,
    knownTypes,
    onSinkError: (err) => log.warn({ err }, 'publishing a decision failed'),
  });

  const plugins: ServicePlugin[] = [];
  const background = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    const p = work.catch((err: unknown) => log.warn({ err }, 'background work failed')).finally(() => background.delete(p));
    background.add(p);
  };
  let draining = false;
  let storeOk = { ok: true, at: 0 };
  const readiness = async (): Promise<ReadyReport> => {
    if (clock() - storeOk.at > 1000) {
      storeOk = { ok: await store.ping().then(() => true, () => false), at: clock() };
    }
    const checks: ReadyReport['checks'] = {
      rules: { ok: true, detail: rules.current().version },
      store: { ok: storeOk.ok, detail: store.kind },
      draining: { ok: !draining },
    };
    for (const p of plugins) checks[p.name] = p.ready();
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  };

  const server = createHttpServer({
    routes: buildRoutes({ config, rules: rules.current, store, decider, ingestor, metrics, readiness, reloadRules: rules.reload, clock, track, policies }),
    hub,
    keys,
    metrics,
    bodyLimitBytes: config.bodyLimitBytes,
    ws: config.ws,
    onError: (err) => log.error({ err }, 'request failed'),
  });
  const port = await server.listen(config.host, config.port);
  log.info({ host: config.host, port, store: store.kind, rulesVersion: rules.current().version, auth: keys ? `${keys.size} keys` : 'off' }, 'NBO listening');

  let stopping: Promise<void> | null = null;
  return {
    reloadRules: rules.reload,
    port,
    config,
    metrics,
    store,
    ingestor,
    addSink: (s) => void sinks.push(s),
    addPlugin: (p) => void plugins.push(p),
    stop() {
      stopping ??= (async () => {
        draining = true;
        log.info({ inFlight: server.inFlight() }, 'draining');
        // refuse new work and close subscriptions (1001) at once; then let the consumer finish its batch
        const drained = server.drain(config.shutdownTimeoutMs);
        for (const p of plugins) await p.stop().catch((err: unknown) => log.warn({ err, plugin: p.name }, 'stopping failed'));
        await drained;
        await Promise.all([...background]);
        server.close();
        rules.close();
        await fanout.close();
        await store.close();
        log.info('stopped');
      })();
      return stopping;
    },
  };
}

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../config/config.js';
import { createErrorLog } from '../config/error-log.js';
import type { Logger } from '../config/logger.js';
import { createDecider } from '../decide/decider.js';
import { loadPolicyPlan } from '../decide/experiments-file.js';
import { createIngestor, type IngestObserver } from '../flow/ingest.js';
import type { DecisionSink } from '../flow/decision-sink.js';
import type { EventSource } from '../flow/event-source.js';
import { createEventRecorder } from '../events/recorder.js';
import { BUILTIN_TYPES } from '../events/types.js';
import { createEventValidator } from '../events/validate.js';
import { createMetrics, type Metrics } from '../metrics/metrics.js';
import { directoryAdmin } from '../rules/directory-admin.js';
import type { AdminRulesSource } from '../rules/rules-admin.js';
import { createRedisRulesSource } from '../rules/redis-source.js';
import { createRulesSource, type ReloadResult } from '../rules/source.js';
import type { RuleSet } from '../rules/types.js';
import { adminRoutes } from '../serve/admin-routes.js';
import { ruleWarnings } from '../rules/warnings.js';
import { createMemoryStore } from '../state/memory-store.js';
import { stateModelFrom } from '../state/model.js';
import { createRedisStore } from '../state/redis/redis-store.js';
import { readRedisSecurity } from '../config/redis-security.js';
import type { CustomerStateStore } from '../state/types.js';
import { loadKeyRing } from '../serve/api-keys.js';
import { localFanout, redisFanout, type Fanout } from '../serve/fanout.js';
import { buildRoutes, type ReadyReport } from '../serve/routes.js';
import { fdLimit, startFdGuard } from '../serve/fd-guard.js';
import { createHttpServer } from '../serve/server.js';
import { createHttpEventSource } from '../serve/http-events.js';
import { createStreamHub } from '../serve/stream-hub.js';
import { statsRoutes } from '../serve/stats-routes.js';
import { uiRoutes } from '../serve/ui-routes.js';
import { observeDecider, offerStatsObserver } from '../stats/observe.js';
import { createOfferStats } from '../stats/offer-stats.js';
import { connectKafka, type KafkaParts } from '../stream/kafka-service.js';

/** A part stopped when the service drains, with a readiness check of its own (the file-descriptor guard). */
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
  ingestor: ReturnType<typeof createIngestor>;
  reloadRules(): { ok: boolean; version: string };
  /** SIGTERM's first step: readiness fails so load balancers stop routing here, while every request is still served. */
  enterLameDuck(): void;
  /** Graceful stop: readiness fails, new work is refused, in-flight work finishes, WebSockets close with 1001. */
  stop(): Promise<void>;
}

export interface ServiceOptions {
  log: Logger;
  clock?: () => number;
  /** Sinks for stream-triggered decisions besides those built from config (tests). */
  sinks?: readonly DecisionSink[];
  /** Kafka test hooks: `afterApply` runs after a batch is applied and before its offsets are committed. */
  kafka?: { afterApply?: () => void | Promise<void> };
}

/** Builds and starts NBO from its configuration. */
export async function startService(config: Readonly<Config>, opts: ServiceOptions): Promise<Service> {
  const { log } = opts;
  const clock = opts.clock ?? Date.now;
  const metrics = createMetrics();
  const keys = config.apiKeysFile ? loadKeyRing(config.apiKeysFile) : null;
  // before anything is connected: an invalid experiments file stops the start at once
  const policies = loadPolicyPlan(
    {
      exploration: config.exploration,
      segmentation: config.learningSegmentation,
      learning: config.learning,
      holdout: config.holdout,
    },
    config.experimentsFile,
  );
  if (!keys)
    log.warn({ host: config.host }, 'no NBO_API_KEYS_FILE: authentication is off and NBO listens on loopback only');
  // expected failures (Redis down) are logged once per interval with a count, not once per request
  const errorLogs = {
    request: createErrorLog(log, 'request failed'),
    redisBackground: createErrorLog(log, 'redis background work failed'),
    offered: createErrorLog(log, 'recording offered failed'),
    background: createErrorLog(log, 'background work failed'),
  };

  const redisSecurity = config.redis ? readRedisSecurity(config.redis) : {};
  const memory = config.redis ? null : createMemoryStore({ clock, sweepIntervalMs: 60_000 });
  if (memory) metrics.setStoreCustomersProbe(memory.customerCount);
  const store: CustomerStateStore = config.redis
    ? await createRedisStore({
        security: redisSecurity,
        url: config.redis.url ?? undefined,
        cluster: config.redis.cluster ?? undefined,
        prefix: config.redis.prefix,
        commandTimeoutMs: config.redis.timeoutMs,
        statsRefreshMs: config.redis.statsRefreshMs,
        clock,
        onBackgroundError: (err) => errorLogs.redisBackground.report(err),
      })
    : memory!;

  const onReload = (r: ReloadResult, live: RuleSet) => {
    metrics.rulesReloads.inc({ result: !r.ok ? 'invalid' : r.changed ? 'loaded' : 'unchanged' });
    if (!r.ok)
      log.error({ issues: r.issues, version: r.version }, 'rules reload refused: the last good rules stay live');
    else if (r.changed) {
      store.setModel(stateModelFrom(live, { halfLifeMs: config.learning.halfLifeMs }));
      for (const w of ruleWarnings(live, config.learning.priorMaxImpressions))
        log.warn({ file: w.file, offer: w.id, path: w.path }, w.message);
      metrics.rulesInfo.reset();
      metrics.rulesInfo.set({ version: live.version }, 1);
      log.info({ version: live.version, offers: live.offers.length }, 'rules reloaded');
    }
  };
  // the rules: the directory, or the versions published to Redis (docs/publishing.md)
  const instanceId = `${hostname()}-${randomBytes(3).toString('hex')}`;
  let rules: AdminRulesSource;
  try {
    rules =
      config.rulesSource === 'redis' && config.redis
        ? await createRedisRulesSource({
            redis: config.redis,
            security: redisSecurity,
            dir: config.rulesDir,
            ...config.rulesPublish,
            clock,
            instanceId,
            onReload,
            onError: (err) => log.warn({ err }, 'published rules: background work failed'),
            onAudit(a) {
              metrics.rulesPublishes.inc({ action: a.action, result: a.result });
              log[a.result === 'refused' ? 'warn' : 'info'](a, `rules ${a.action}: ${a.result}`);
            },
            onDirectoryIgnored: (info) =>
              log.warn(
                info,
                'NBO_RULES_DIR differs from the published rules version, which is served (NBO_RULES_SOURCE=redis; publish with nbo rules publish, see docs/publishing.md)',
              ),
          })
        : directoryAdmin(
            createRulesSource(config.rulesDir, { watch: config.rulesWatch, pollMs: config.rulesPollMs, onReload }),
            config.rulesDir,
            instanceId,
            clock,
          );
  } catch (err) {
    // invalid rules at start: release the store's connection, or the process would never exit
    await store.close().catch(() => {});
    throw err;
  }
  store.setModel(stateModelFrom(rules.current(), { halfLifeMs: config.learning.halfLifeMs }));
  for (const w of ruleWarnings(rules.current(), config.learning.priorMaxImpressions))
    log.warn({ file: w.file, offer: w.id, path: w.path }, w.message);
  metrics.rulesInfo.set({ version: rules.current().version }, 1);

  // counts for the page's plots (GET /v1/stats/offers): every decision and applied response
  const offerStats = createOfferStats();
  const decider = observeDecider(
    createDecider({
      store,
      rules: rules.current,
      clock,
      policies,
      snapshotTimeoutMs: config.decideTimeoutMs,
      metrics,
      onBackgroundError: (err) => errorLogs.offered.report(err),
    }),
    offerStats,
    clock,
  );

  const hub = createStreamHub(config.ws.maxBackpressureBytes, metrics);
  const fanout: Fanout = config.redis
    ? await redisFanout(hub, { ...config.redis, security: redisSecurity }, (err) =>
        log.warn({ err }, 'decision fan-out failed'),
      )
    : localFanout(hub);
  const sinks: DecisionSink[] = [fanout, ...(opts.sinks ?? [])];
  // event types the metrics name, rebuilt only when the rules change
  let types: { version: string; set: ReadonlySet<string> } | null = null;
  const knownTypes = (): ReadonlySet<string> => {
    const r = rules.current();
    if (types?.version !== r.version)
      types = { version: r.version, set: new Set([...BUILTIN_TYPES, ...config.triggers, ...r.eventTypes]) };
    return types.set;
  };
  // offer ids the metrics name, rebuilt only when the rules change
  let offerIds: { version: string; set: ReadonlySet<string> } | null = null;
  const knownOffers = (): ReadonlySet<string> => {
    const r = rules.current();
    if (offerIds?.version !== r.version) offerIds = { version: r.version, set: new Set(r.offerById.keys()) };
    return offerIds.set;
  };
  const recorder = config.recordEventsFile
    ? createEventRecorder(config.recordEventsFile, (err) =>
        log.error({ err, file: config.recordEventsFile }, 'recording events failed; recording stopped'),
      )
    : null;
  // the page's counts, then the recording: every applied event, whichever way it came in
  const observers: IngestObserver[] = [offerStatsObserver(offerStats, clock)];
  if (recorder) observers.push((raw, res) => recorder.record(raw, res.statuses));
  const ingestor = createIngestor({
    store,
    decider,
    validate: createEventValidator({ triggers: config.triggers, limits: config.limits, clock }),
    triggers: config.triggers,
    sinks: () => sinks,
    metrics,
    knownTypes,
    knownOffers,
    onSinkError: (err) => log.warn({ err }, 'publishing a decision failed'),
    observers,
  });

  // how events come in: POST /v1/events now, the events topic once the server listens
  const httpEvents = createHttpEventSource();
  await httpEvents.start(ingestor);
  let kafka: KafkaParts | null = null;
  const plugins: ServicePlugin[] = [];
  const background = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    const p = work.catch((err: unknown) => errorLogs.background.report(err)).finally(() => background.delete(p));
    background.add(p);
  };
  let draining = false;
  let lameDuck = false;
  let storeOk = { ok: true, at: 0 };
  const readiness = async (): Promise<ReadyReport> => {
    if (clock() - storeOk.at > 1000) {
      storeOk = {
        ok: await store.ping().then(
          () => true,
          () => false,
        ),
        at: clock(),
      };
    }
    const checks: ReadyReport['checks'] = {
      rules: { ok: true, detail: rules.current().version },
      store: { ok: storeOk.ok, detail: store.kind },
      draining: draining
        ? { ok: false, detail: 'draining' }
        : lameDuck
          ? { ok: false, detail: 'lame duck: shutting down, still serving' }
          : { ok: true },
    };
    for (const p of plugins) checks[p.name] = p.ready();
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  };
  metrics.setReadyProbe(async () => (await readiness()).ready);

  const server = createHttpServer({
    routes: [
      ...buildRoutes({
        config,
        rules: rules.current,
        store,
        decider,
        ingestor: httpEvents,
        metrics,
        readiness,
        reloadRules: rules.refresh,
        clock,
        track,
        policies,
      }),
      ...adminRoutes(rules),
      ...statsRoutes({ stats: offerStats, rules: rules.current, store, clock, instance: instanceId }),
      ...uiRoutes({ keys }),
    ],
    hub,
    keys,
    metrics,
    bodyLimitBytes: config.bodyLimitBytes,
    ws: config.ws,
    onError: (err) => errorLogs.request.report(err),
    log,
  });
  const port = await server.listen(config.host, config.port);
  // at the file-descriptor limit, stop accepting rather than spin on failing accepts
  const limit = fdLimit();
  if (limit !== null) {
    const guard = startFdGuard({ acceptor: server, log, limit });
    plugins.push({ name: 'fds', ready: guard.ready, stop: async () => guard.stop() });
  }
  log.info(
    {
      host: config.host,
      port,
      store: store.kind,
      rulesSource: rules.source,
      instanceId,
      rulesVersion: rules.current().version,
      auth: keys ? `${keys.size} keys` : 'off',
    },
    'NBO listening',
  );

  let stopping: Promise<void> | null = null;
  const service: Service = {
    reloadRules: rules.reload,
    port,
    config,
    metrics,
    store,
    ingestor,
    enterLameDuck() {
      lameDuck = true;
      server.lameDuck();
    },
    stop() {
      stopping ??= (async () => {
        draining = true;
        log.info({ inFlight: server.inFlight() }, 'draining');
        // refuse new work and close subscriptions (1001) at once; then let the consumer finish its batch
        const drained = server.drain(config.shutdownTimeoutMs);
        for (const p of plugins)
          await p.stop().catch((err: unknown) => log.warn({ err, plugin: p.name }, 'stopping failed'));
        await drained;
        await httpEvents.stop();
        await Promise.all([...background]);
        server.close();
        await rules.stop();
        await recorder?.close();
        await kafka?.close().catch((err: unknown) => log.warn({ err }, 'closing the Kafka producer failed'));
        await fanout.close();
        await store.close();
        for (const l of Object.values(errorLogs)) l.flush();
        log.info('stopped');
      })();
      return stopping;
    },
  };

  // Kafka (NBO_KAFKA_BROKERS): the events topic as a source, the decisions topic as a sink
  if (config.kafka) {
    try {
      kafka = await connectKafka(config.kafka, { store, metrics, log, afterApply: opts.kafka?.afterApply });
      sinks.push(kafka.decisions);
      const source: EventSource = kafka.source;
      plugins.push({ name: source.name, ready: source.ready, stop: source.stop });
      await source.start(ingestor);
    } catch (err) {
      await service.stop();
      throw err;
    }
  }
  return service;
}

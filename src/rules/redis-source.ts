import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Cluster, Redis } from 'ioredis';
import type { RedisSecurity } from '../config/redis-security.js';
import { NboError } from '../errors/codes.js';
import { diffRuleSets } from './diff.js';
import { buildRuleSet, buildRuleSetSliced, rulesVersion } from './load.js';
import type { AdminRulesSource, Actor, AuditEntry, InstanceInfo, PublishOutcome, VersionEntry } from './rules-admin.js';
import { readRuleFiles, type RuleFile } from './read-files.js';
import type { ReloadResult } from './source.js';
import type { RuleIssue, RuleSet } from './types.js';

export interface RedisRulesOptions {
  redis: { url: string | null; cluster: string[] | null; prefix: string };
  /** Password and TLS for every connection (NBO_REDIS_PASSWORD_FILE, NBO_REDIS_TLS_CA_FILE). */
  security?: RedisSecurity;
  /** Seeds the first version when nothing is published yet. */
  dir: string;
  recheckMs: number;
  history: number;
  auditLimit: number;
  clock?: () => number;
  instanceId?: string;
  onReload?: (r: ReloadResult, rules: RuleSet) => void;
  onError?: (err: unknown) => void;
  /** Every audit record this instance writes (to log and count it). */
  onAudit?: (a: AuditEntry) => void;
  /** At start: the directory holds another version than the published one, which is served. */
  onDirectoryIgnored?: (info: { dir: string; dirVersion: string; liveVersion: string }) => void;
}

/**
 * Every Redis key of published rules. One hash tag (`{rules}`) puts them in one Cluster
 * slot, so a publish is one MULTI on any deployment.
 */
export function rulesKeys(prefix: string) {
  const base = `${prefix}:{rules}`;
  return {
    live: `${base}:live`,
    set: (version: string) => `${base}:set:${version}`,
    sets: `${base}:sets`,
    history: `${base}:history`,
    audit: `${base}:audit`,
    instances: `${base}:instances`,
    channel: `${prefix}:rules`,
  };
}

/** A rules command (a rule set's files can be large) not answered within this fails. */
const COMMAND_TIMEOUT_MS = 10_000;

/** An instance not seen for this many re-check periods is left out of the fleet list (and pruned). */
const GONE_AFTER_PERIODS = 3;

/**
 * The rules source of a fleet: rule sets are published to Redis as versions (the files
 * themselves, so any version can be re-validated and diffed), one of them is live, and
 * every instance serves it — told over pub/sub, and re-checking on a timer so a missed
 * message heals. A version is swapped in whole (one immutable RuleSet), after it
 * validated here; an invalid one is refused and the last good one stays.
 * When nothing is published yet, the first instance publishes its rules directory.
 */
export async function createRedisRulesSource(o: RedisRulesOptions): Promise<AdminRulesSource> {
  const clock = o.clock ?? Date.now;
  const onError = o.onError ?? (() => {});
  const k = rulesKeys(o.redis.prefix);
  const instanceId = o.instanceId ?? `${hostname()}-${randomBytes(3).toString('hex')}`;
  const startedAt = new Date(clock()).toISOString();
  const make = (commandTimeout?: number) =>
    o.redis.cluster
      ? new Cluster(
          o.redis.cluster.map((hp) => ({ host: hp.split(':')[0]!, port: Number(hp.split(':')[1]) })),
          { lazyConnect: true, redisOptions: { commandTimeout, ...o.security } },
        )
      : new Redis(o.redis.url ?? 'redis://127.0.0.1:6379', {
          lazyConnect: true,
          maxRetriesPerRequest: 1,
          commandTimeout,
          ...o.security,
        });
  // commands are bounded so a hung Redis cannot hold a publish, a re-check or a stop forever
  const cmd = make(COMMAND_TIMEOUT_MS);
  const sub = make();
  for (const c of [cmd, sub]) c.on('error', onError);
  await Promise.all([cmd.connect(), sub.connect()]);

  const iso = () => new Date(clock()).toISOString();
  const readFiles = async (version: string): Promise<RuleFile[] | null> => {
    const raw = await cmd.get(k.set(version));
    if (raw === null) return null;
    return (JSON.parse(raw) as { files: RuleFile[] }).files;
  };
  const compile = async (
    version: string,
  ): Promise<{ ok: true; rules: RuleSet; files: RuleFile[] } | { ok: false; issues: RuleIssue[] } | null> => {
    const files = await readFiles(version);
    if (files === null) return null;
    const res = await buildRuleSetSliced(files);
    return res.ok ? { ...res, files } : res;
  };

  /** Publishes a rule set as the seed unless a live version exists (SET NX); true when this one went live. */
  const seed = async (rules: RuleSet, files: RuleFile[], message: string): Promise<boolean> => {
    await cmd.set(k.set(rules.version), JSON.stringify({ files }));
    await cmd.sadd(k.sets, rules.version);
    if ((await cmd.set(k.live, rules.version, 'NX')) !== 'OK') return false;
    const entry: VersionEntry = {
      version: rules.version,
      time: iso(),
      keyId: null,
      message,
      action: 'seed',
      previous: null,
      added: rules.offers.map((x) => x.id),
      removed: [],
      changed: [],
    };
    await record(entry, {
      time: entry.time,
      keyId: null,
      action: 'seed',
      result: 'published',
      version: rules.version,
      previous: null,
      message,
    });
    await cmd.publish(k.channel, rules.version);
    return true;
  };

  // the first rule set: the live version, else the directory (published as the seed)
  let live: RuleSet;
  /** The files of the live set: re-seeded if Redis loses the live version (a restart without persistence). */
  let liveFiles: RuleFile[];
  let closed = false;
  let refused: string | null = null;
  const first = await cmd.get(k.live);
  const loaded = first === null ? null : await compile(first);
  if (loaded?.ok) {
    ({ rules: live, files: liveFiles } = loaded);
    const dirVersion = directoryVersion(o.dir);
    if (dirVersion !== null && dirVersion !== live.version)
      o.onDirectoryIgnored?.({ dir: o.dir, dirVersion, liveVersion: live.version });
  } else {
    const dir = readDirRules(o.dir);
    ({ rules: live, files: liveFiles } = dir);
    if (first !== null) {
      // published, but missing or invalid for this build: serve the directory until a good version is published
      onError(
        new NboError(
          'NBO_ERR_RULES_INVALID',
          `published rules version ${first} cannot be served here (${loaded === null ? 'its files are missing' : `${loaded.issues.length} issues`}); serving ${o.dir} until a valid version is published`,
          { details: loaded && !loaded.ok ? loaded.issues : undefined },
        ),
      );
      refused = first;
    } else if (!(await seed(dir.rules, dir.files, `seeded from ${o.dir} by ${instanceId}`))) {
      // another instance seeded first: serve what it published
      const won = await cmd.get(k.live);
      const other = won === null ? null : await compile(won);
      if (other?.ok) ({ rules: live, files: liveFiles } = other);
    }
  }

  async function record(entry: VersionEntry | null, audit: AuditEntry): Promise<void> {
    const m = cmd.multi();
    if (entry)
      m.set(k.live, entry.version)
        .lpush(k.history, JSON.stringify(entry))
        .ltrim(k.history, 0, o.history - 1);
    m.lpush(k.audit, JSON.stringify(audit)).ltrim(k.audit, 0, o.auditLimit - 1);
    await m.exec();
    o.onAudit?.(audit);
    if (entry) await prune();
  }

  /** Drops the files of versions no kept history entry names (never the live one). */
  async function prune(): Promise<void> {
    const [kept, stored, current] = await Promise.all([
      cmd.lrange(k.history, 0, -1),
      cmd.smembers(k.sets),
      cmd.get(k.live),
    ]);
    const keep = new Set(kept.map((e) => (JSON.parse(e) as VersionEntry).version));
    if (current) keep.add(current);
    const drop = stored.filter((v) => !keep.has(v));
    for (const v of drop) await cmd.multi().del(k.set(v)).srem(k.sets, v).exec();
  }

  const heartbeat = async () => {
    const info: InstanceInfo = { id: instanceId, rulesVersion: live.version, startedAt, seenAt: iso() };
    await cmd.hset(k.instances, instanceId, JSON.stringify(info));
  };

  /** A set this instance validated for a publish, swapped in by the refresh that follows. */
  let prepared: { rules: RuleSet; files: RuleFile[] } | null = null;
  // refreshes run one at a time, so two notices never race to swap
  let chain: Promise<unknown> = Promise.resolve();
  const refreshNow = async (): Promise<ReloadResult> => {
    const version = await cmd.get(k.live);
    if (version === null) {
      // Redis lost the live version (restarted without persistence): what this instance serves becomes the seed again
      if (!(await seed(live, liveFiles, `re-seeded by ${instanceId}: Redis held no live version`))) return refreshNow();
    }
    if (version === null || version === live.version) {
      await heartbeat();
      return { ok: true, version: live.version, changed: false };
    }
    // the instance that took a publish compiled it already
    const res = prepared?.rules.version === version ? { ok: true as const, ...prepared } : await compile(version);
    prepared = null;
    let out: ReloadResult;
    if (res?.ok) {
      ({ rules: live, files: liveFiles } = res);
      refused = null;
      out = { ok: true, version: live.version, changed: true };
      o.onReload?.(out, live);
    } else {
      const issues: RuleIssue[] =
        res === null
          ? [{ file: '.', path: '$', message: `the files of version ${version} are not stored` }]
          : res.issues;
      out = { ok: false, version: live.version, changed: false, issues };
      // report a bad version once, not on every re-check
      if (refused !== version) o.onReload?.(out, live);
      refused = version;
    }
    await heartbeat();
    return out;
  };
  const refresh = (): Promise<ReloadResult> => {
    const p = chain.then(refreshNow, refreshNow);
    chain = p.catch(() => {});
    return p;
  };

  sub.on('message', (ch: string) => {
    if (ch === k.channel && !closed) refresh().catch(onError);
  });
  // after a reconnect ioredis subscribes again; re-read in case a notice was missed meanwhile
  sub.on('ready', () => {
    if (!closed) refresh().catch(onError);
  });
  await sub.subscribe(k.channel);
  await heartbeat();
  const timer = setInterval(() => {
    if (!closed) refresh().catch(onError);
  }, o.recheckMs);
  timer.unref();

  const history = async (): Promise<VersionEntry[]> =>
    (await cmd.lrange(k.history, 0, -1)).map((e) => JSON.parse(e) as VersionEntry);

  // publishes from this instance run one at a time: each one's diff is against the version it replaces
  let writes: Promise<unknown> = Promise.resolve();
  let stopping: Promise<void> | null = null;
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const p = writes.then(f, f);
    writes = p.catch(() => {});
    return p;
  };

  const goLive = async (
    rules: RuleSet,
    files: RuleFile[] | null,
    action: 'publish' | 'rollback',
    actor: Actor,
    message: string | null,
  ): Promise<PublishOutcome> => {
    const previous = await cmd.get(k.live);
    if (previous === rules.version) {
      await record(null, {
        time: iso(),
        keyId: actor.keyId,
        action,
        result: 'unchanged',
        version: rules.version,
        previous,
        message,
      });
      return { version: rules.version, previous, changed: false, entry: null };
    }
    const before = previous === null ? null : await compile(previous);
    const d = before?.ok
      ? diffRuleSets(before.rules, rules)
      : { added: rules.offers.map((x) => x.id), removed: [], changed: [] as Array<{ id: string }> };
    if (files) {
      await cmd.set(k.set(rules.version), JSON.stringify({ files }));
      await cmd.sadd(k.sets, rules.version);
    }
    const entry: VersionEntry = {
      version: rules.version,
      time: iso(),
      keyId: actor.keyId,
      message,
      action,
      previous,
      added: d.added,
      removed: d.removed,
      changed: d.changed.map((c) => c.id),
    };
    await record(entry, {
      time: entry.time,
      keyId: actor.keyId,
      action,
      result: 'published',
      version: rules.version,
      previous,
      message,
    });
    await cmd.publish(k.channel, rules.version);
    if (files) prepared = { rules, files };
    await refresh(); // this instance serves it before answering
    return { version: rules.version, previous, changed: true, entry };
  };

  const refuse = async (
    action: 'publish' | 'rollback',
    actor: Actor,
    version: string | null,
    message: string | null,
    reason: string,
  ) => {
    await record(null, {
      time: iso(),
      keyId: actor.keyId,
      action,
      result: 'refused',
      version,
      previous: await cmd.get(k.live),
      message,
      reason,
    });
  };

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      closed = true;
      clearInterval(timer);
      await Promise.all([chain, writes]);
      await cmd.hdel(k.instances, instanceId).catch(() => {});
      await Promise.all([sub.quit().catch(() => sub.disconnect()), cmd.quit().catch(() => cmd.disconnect())]);
    })();
    return stopping;
  };

  return {
    source: 'redis',
    instanceId,
    current: () => live,
    reload(): ReloadResult {
      // the route awaits refresh(); a synchronous caller (SIGHUP) gets the state now and the check runs
      refresh().catch(onError);
      return { ok: true, version: live.version, changed: false };
    },
    refresh,
    publish: (files, actor, message) =>
      serial(async () => {
        const res = await buildRuleSetSliced(files);
        if (!res.ok) {
          await refuse(
            'publish',
            actor,
            null,
            message,
            `${res.issues.length} issue${res.issues.length === 1 ? '' : 's'}`,
          );
          throw new NboError(
            'NBO_ERR_RULES_INVALID',
            `the rule set is invalid (${res.issues.length} issues); version ${live.version} stays live`,
            { details: res.issues },
          );
        }
        return goLive(res.rules, files, 'publish', actor, message);
      }),
    rollback: (version, actor, message) =>
      serial(async () => {
        const res = await compile(version);
        if (res === null) {
          await refuse('rollback', actor, version, message, 'unknown version');
          throw new NboError(
            'NBO_ERR_RULES_VERSION_UNKNOWN',
            `rules version ${version} is not stored (the last ${o.history} versions are kept)`,
          );
        }
        if (!res.ok) {
          await refuse('rollback', actor, version, message, `${res.issues.length} issues`);
          throw new NboError(
            'NBO_ERR_RULES_INVALID',
            `rules version ${version} is invalid for this build (${res.issues.length} issues); version ${live.version} stays live`,
            { details: res.issues },
          );
        }
        return goLive(res.rules, null, 'rollback', actor, message ?? `rollback to ${version}`);
      }),
    history,
    audit: async () => (await cmd.lrange(k.audit, 0, -1)).map((e) => JSON.parse(e) as AuditEntry),
    files: readFiles,
    async instances() {
      const all = await cmd.hgetall(k.instances);
      const cutoff = clock() - GONE_AFTER_PERIODS * o.recheckMs;
      const out: InstanceInfo[] = [];
      for (const [id, raw] of Object.entries(all)) {
        const info = JSON.parse(raw) as InstanceInfo;
        if (Date.parse(info.seenAt) < cutoff) await cmd.hdel(k.instances, id);
        else out.push(info);
      }
      return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },
    close() {
      void stop();
    },
    stop,
  };
}

/** The content version of a directory's files, or null when it cannot be read. */
function directoryVersion(dir: string): string | null {
  try {
    return rulesVersion(readRuleFiles(dir));
  } catch {
    return null;
  }
}

function readDirRules(dir: string): { rules: RuleSet; files: RuleFile[] } {
  let files: RuleFile[];
  try {
    files = readRuleFiles(dir);
  } catch (err) {
    throw new NboError(
      'NBO_ERR_RULES_READ',
      `nothing is published yet and the rules directory ${dir} cannot be read: ${(err as Error).message}`,
    );
  }
  const res = buildRuleSet(files);
  if (!res.ok)
    throw new NboError(
      'NBO_ERR_RULES_INVALID',
      `nothing is published yet and the rules in ${dir} are invalid (${res.issues.length} issues)`,
      { details: res.issues },
    );
  return { rules: res.rules, files };
}

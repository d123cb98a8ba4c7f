import { NboError } from '../errors/codes.js';
import type { AdminRulesSource, InstanceInfo, VersionEntry } from './rules-admin.js';
import { rulesVersion } from './load.js';
import { readRuleFiles } from './read-files.js';
import type { RulesSource } from './source.js';

/**
 * The admin verbs over the directory source: the history is the version loaded now, the
 * fleet is this instance, and publish / rollback are refused (NBO_ERR_RULES_SOURCE): the
 * directory is edited, not published to.
 */
export function directoryAdmin(
  source: RulesSource,
  dir: string,
  instanceId: string,
  clock: () => number = Date.now,
): AdminRulesSource {
  const startedAt = new Date(clock()).toISOString();
  let loaded = { version: source.current().version, at: startedAt };
  const seen = () => {
    const v = source.current().version;
    if (v !== loaded.version) loaded = { version: v, at: new Date(clock()).toISOString() };
    return loaded;
  };
  const refuse = (): never => {
    throw new NboError(
      'NBO_ERR_RULES_SOURCE',
      `this instance serves the rules directory ${dir} (NBO_RULES_SOURCE=directory); edit the files there, or run with Redis and NBO_RULES_SOURCE=redis to publish`,
    );
  };
  return {
    source: 'directory',
    instanceId,
    current: () => source.current(),
    reload: () => source.reload(),
    close: () => source.close(),
    async stop() {
      source.close();
    },
    refresh: async () => source.reload(),
    publish: async () => refuse(),
    rollback: async () => refuse(),
    async history() {
      const l = seen();
      const entry: VersionEntry = {
        version: l.version,
        time: l.at,
        keyId: null,
        message: `loaded from ${dir}`,
        action: 'directory',
        previous: null,
        added: [],
        removed: [],
        changed: [],
      };
      return [entry];
    },
    audit: async () => [],
    async files(version) {
      if (version !== source.current().version) return null;
      const files = readRuleFiles(dir);
      // the files on disk may have moved on since they were loaded
      return rulesVersion(files) === version ? files : null;
    },
    async instances() {
      const info: InstanceInfo = {
        id: instanceId,
        rulesVersion: source.current().version,
        startedAt,
        seenAt: new Date(clock()).toISOString(),
      };
      return [info];
    },
  };
}

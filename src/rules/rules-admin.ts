import type { RuleFile } from './read-files.js';
import type { ReloadResult, RulesSource } from './source.js';

/** Who made a change: the API key's id (null when authentication is off). */
export interface Actor {
  keyId: string | null;
}

/** One entry of a rules history, newest first: which version went live, when, by whom, what changed. */
export interface VersionEntry {
  version: string;
  time: string;
  keyId: string | null;
  message: string | null;
  /** publish, rollback, or seed (an instance published its directory because nothing was published yet). */
  action: 'publish' | 'rollback' | 'seed' | 'directory';
  previous: string | null;
  added: string[];
  removed: string[];
  changed: string[];
}

/** One audit record: every publish and rollback, accepted or refused. */
export interface AuditEntry {
  time: string;
  keyId: string | null;
  action: 'publish' | 'rollback' | 'seed';
  result: 'published' | 'unchanged' | 'refused';
  version: string | null;
  previous: string | null;
  message: string | null;
  /** refused: how many issues the rule set had, or why it was refused. */
  reason?: string;
}

/** An NBO instance as the fleet registry sees it. */
export interface InstanceInfo {
  id: string;
  rulesVersion: string;
  startedAt: string;
  seenAt: string;
}

export interface PublishOutcome {
  version: string;
  previous: string | null;
  /** false: that version was live already. */
  changed: boolean;
  entry: VersionEntry | null;
}

/**
 * A rules source that can be published to, rolled back and asked for its history: the
 * Redis source. The directory source answers the read verbs and refuses the writes
 * (NBO_ERR_RULES_SOURCE).
 */
export interface RulesAdmin {
  source: 'directory' | 'redis';
  instanceId: string;
  /** Validates and publishes; NBO_ERR_RULES_INVALID (details: the issues) when invalid. */
  publish(files: RuleFile[], actor: Actor, message: string | null): Promise<PublishOutcome>;
  /** Makes a stored version live again; NBO_ERR_RULES_VERSION_UNKNOWN when not stored. */
  rollback(version: string, actor: Actor, message: string | null): Promise<PublishOutcome>;
  history(): Promise<VersionEntry[]>;
  audit(): Promise<AuditEntry[]>;
  /** The files of a stored version, or null. */
  files(version: string): Promise<RuleFile[] | null>;
  instances(): Promise<InstanceInfo[]>;
}

/** A rules source with its admin verbs; `refresh` re-reads the live version now. */
export interface AdminRulesSource extends RulesSource, RulesAdmin {
  refresh(): Promise<ReloadResult>;
  /** Stops timers and closes connections (close() without waiting). */
  stop(): Promise<void>;
}

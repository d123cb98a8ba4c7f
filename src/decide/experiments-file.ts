import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { NboError } from '../errors/codes.js';
import type { LearningModel, LearningSettings } from './estimate.js';
import type { Arm, ControlPolicy, Exploration, PolicyPlan } from './policy.js';
import { parseDuration } from '../config/duration.js';
import { DEFAULT_POLICY, HOLDOUT_POLICY } from '../state/learning-counts.js';

/** What the default policy and the holdout are, from the environment. */
export interface PlanDefaults {
  exploration: 'mean' | 'thompson';
  segmentation: string | null;
  learning: Omit<LearningSettings, 'namespace'>;
  holdout: { share: number; policy: ControlPolicy };
}

const ARM_ID = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const ARM_KEYS = new Set([
  'id',
  'share',
  'exploration',
  'segmentation',
  'model',
  'halfLife',
  'priorMaxImpressions',
  'weights',
  'description',
]);

/**
 * The policies customers are split between: the holdout (NBO_HOLDOUT_SHARE), the arms of
 * the experiments file (if any), and the default for the rest. Every problem of the file
 * is reported at once (NBO_ERR_EXPERIMENTS_INVALID, naming its JSON path).
 *
 * ```yaml
 * name: explore-2026-12        # salts the customer hash: a new name reshuffles customers
 * arms:
 *   - id: mean-ranking          # the policy name decisions carry; its own learning namespace
 *     share: 0.2                # of all customers
 *     exploration: mean         # mean | thompson (default: NBO_EXPLORATION)
 *     segmentation: value_tier  # or null (default: NBO_LEARNING_SEGMENTATION)
 *     model: contextual         # or segment (default: NBO_LEARNING_MODEL)
 *     halfLife: 3d              # or none (default: NBO_LEARNING_HALF_LIFE)
 *     priorMaxImpressions: 20   # default: NBO_PRIOR_MAX_IMPRESSIONS
 *     weights: { pastry-with-coffee: 2 }   # offer weights instead of the catalog's
 * ```
 */
export function buildPolicyPlan(d: PlanDefaults, experiments: { file: string; text: string } | null): PolicyPlan {
  const base = (namespace: string): Omit<Arm, 'policy' | 'share' | 'weights'> => ({
    exploration: d.exploration,
    segmentation: d.segmentation,
    learning: { ...d.learning, namespace },
  });
  const arms: Arm[] = [];
  if (d.holdout.share > 0)
    arms.push({
      ...base(''),
      policy: HOLDOUT_POLICY,
      share: d.holdout.share,
      exploration: d.holdout.policy,
      weights: null,
    });
  let salt = '';
  if (experiments) {
    const problems: string[] = [];
    let doc: unknown;
    try {
      doc = YAML.parse(experiments.text, { maxAliasCount: 100 });
    } catch (err) {
      problems.push(`$: not YAML/JSON: ${(err as Error).message}`);
    }
    const o = doc as { name?: unknown; arms?: unknown } | null;
    if (problems.length === 0 && (typeof o !== 'object' || o === null || Array.isArray(o)))
      problems.push('$: must be an object with `arms`');
    else if (problems.length === 0) {
      for (const k of Object.keys(o!))
        if (k !== 'name' && k !== 'arms') problems.push(`$.${k}: is not an allowed field (name, arms)`);
      if (o!.name !== undefined && (typeof o!.name !== 'string' || o!.name.length > 64))
        problems.push('$.name: must be a string of at most 64 characters');
      salt = typeof o!.name === 'string' ? o!.name : '';
      if (!Array.isArray(o!.arms) || o!.arms.length === 0) problems.push('$.arms: must be a list of at least one arm');
      const seen = new Set<string>();
      (Array.isArray(o!.arms) ? o!.arms : []).forEach((raw: unknown, i: number) => {
        const at = `$.arms[${i}]`;
        if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
          problems.push(`${at}: must be an object`);
          return;
        }
        const a = raw as Record<string, unknown>;
        for (const k of Object.keys(a)) if (!ARM_KEYS.has(k)) problems.push(`${at}.${k}: is not an allowed field`);
        const id = a.id;
        if (typeof id !== 'string' || !ARM_ID.test(id)) problems.push(`${at}.id: must match ${ARM_ID.source}`);
        else if (id === DEFAULT_POLICY || id === HOLDOUT_POLICY) problems.push(`${at}.id: "${id}" is reserved`);
        else if (seen.has(id)) problems.push(`${at}.id: "${id}" is used twice`);
        else seen.add(id);
        const share = a.share;
        if (typeof share !== 'number' || !(share > 0) || share > 1)
          problems.push(`${at}.share: must be a number above 0 and at most 1`);
        const exploration = a.exploration ?? d.exploration;
        if (exploration !== 'mean' && exploration !== 'thompson')
          problems.push(`${at}.exploration: must be mean or thompson`);
        const segmentation = a.segmentation === undefined ? d.segmentation : a.segmentation;
        if (segmentation !== null && typeof segmentation !== 'string')
          problems.push(`${at}.segmentation: must be a segmentation name or null`);
        let halfLifeMs = d.learning.halfLifeMs;
        if (a.halfLife === 'none') halfLifeMs = null;
        else if (a.halfLife !== undefined) {
          const p = parseDuration(a.halfLife);
          if ('error' in p) problems.push(`${at}.halfLife: ${p.error}, or none`);
          else halfLifeMs = p.ms;
        }
        const model = a.model ?? d.learning.model ?? 'segment';
        if (model !== 'segment' && model !== 'contextual') problems.push(`${at}.model: must be segment or contextual`);
        const priorMax = a.priorMaxImpressions ?? d.learning.priorMaxImpressions;
        if (typeof priorMax !== 'number' || !Number.isInteger(priorMax) || priorMax < 1)
          problems.push(`${at}.priorMaxImpressions: must be a positive integer`);
        let weights: Map<string, number> | null = null;
        if (a.weights !== undefined) {
          if (typeof a.weights !== 'object' || a.weights === null || Array.isArray(a.weights))
            problems.push(`${at}.weights: must map offer ids to weights`);
          else {
            weights = new Map();
            for (const [offerId, w] of Object.entries(a.weights)) {
              if (typeof w !== 'number' || !(w >= 0)) problems.push(`${at}.weights.${offerId}: must be a number ≥ 0`);
              else weights.set(offerId, w);
            }
          }
        }
        arms.push({
          policy: String(id),
          share: Number(share),
          exploration: exploration as Exploration,
          segmentation: (segmentation as string | null) ?? null,
          learning: {
            namespace: String(id),
            priorMaxImpressions: Number(priorMax),
            halfLifeMs,
            model: model as LearningModel,
          },
          weights,
        });
      });
    }
    const total = arms.reduce((n, a) => n + (Number.isFinite(a.share) ? a.share : 0), 0);
    if (total > 1 + 1e-9)
      problems.push(
        `$.arms: the shares of the arms${d.holdout.share > 0 ? ' and the holdout' : ''} add up to ${total.toFixed(3)}, more than 1`,
      );
    if (problems.length > 0) {
      throw new NboError('NBO_ERR_EXPERIMENTS_INVALID', `${experiments.file} is invalid:\n  ${problems.join('\n  ')}`, {
        details: problems,
      });
    }
  }
  const rest = 1 - arms.reduce((n, a) => n + a.share, 0);
  return { salt, arms, default: { ...base(''), policy: DEFAULT_POLICY, share: Math.max(0, rest), weights: null } };
}

/** Reads the experiments file (when configured) and builds the plan. */
export function loadPolicyPlan(d: PlanDefaults, file: string | null): PolicyPlan {
  if (file === null) return buildPolicyPlan(d, null);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new NboError('NBO_ERR_EXPERIMENTS_INVALID', `${file} cannot be read: ${(err as Error).message}`);
  }
  return buildPolicyPlan(d, { file, text });
}

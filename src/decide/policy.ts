import { DEFAULT_POLICY, HOLDOUT_POLICY } from '../state/learning-counts.js';
import type { LearningSettings } from './estimate.js';

/**
 * How a policy ranks: `thompson` (a Thompson sample of each posterior), `mean` (the
 * posterior mean, deterministic), or a control: `static` (the author's prior × value ×
 * weight, no learning), `random` (uniform among the qualifying offers), `none` (no offer).
 */
export type Exploration = 'mean' | 'thompson' | 'static' | 'random' | 'none';
export type ControlPolicy = 'none' | 'random' | 'static';

/** One policy decisions may be made by: the default, the holdout, or an experiment arm. */
export interface Arm {
  /** Carried by every decision it makes; its responses are attributed to it. */
  policy: string;
  /** Share of customers (0–1), by customer-id hash. */
  share: number;
  exploration: Exploration;
  /** Learn per segment of this segmentation (null: per offer only). */
  segmentation: string | null;
  learning: LearningSettings;
  /** Offer id → weight used instead of the catalog's. */
  weights: ReadonlyMap<string, number> | null;
}

/** The policies customers are split between; shares of the holdout and arms first, the rest goes to the default. */
export interface PolicyPlan {
  /** Salts the customer hash (an experiment's name), so a new experiment reshuffles customers. */
  salt: string;
  /** Holdout and experiment arms, in order (the holdout first). */
  arms: readonly Arm[];
  default: Arm;
}

/** A customer id's position in [0, 1): FNV-1a over salt and id, then a murmur3 finaliser. Stable across instances and restarts. */
export function customerPosition(customerId: string, salt: string): number {
  let h = 0x811c9dc5;
  const s = `${salt}\u0000${customerId}`;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** The arm a customer belongs to: deterministic by customer id. */
export function armOf(plan: PolicyPlan, customerId: string): Arm {
  if (plan.arms.length === 0) return plan.default;
  const u = customerPosition(customerId, plan.salt);
  let acc = 0;
  for (const arm of plan.arms) {
    acc += arm.share;
    if (u < acc) return arm;
  }
  return plan.default;
}

/** A plan with the default policy only, and an optional holdout. */
export function singlePolicyPlan(
  def: Omit<Arm, 'policy' | 'share' | 'weights'>,
  holdout?: { share: number; control: ControlPolicy },
): PolicyPlan {
  const defaultArm: Arm = { ...def, policy: DEFAULT_POLICY, share: 1, weights: null };
  const arms: Arm[] = [];
  if (holdout && holdout.share > 0) {
    arms.push({ ...def, policy: HOLDOUT_POLICY, share: holdout.share, exploration: holdout.control, weights: null });
  }
  defaultArm.share = 1 - arms.reduce((n, a) => n + a.share, 0);
  return { salt: '', arms, default: defaultArm };
}

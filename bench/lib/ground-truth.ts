import { createDecider } from '../../src/decide/decider.js';
import { buildPolicyPlan } from '../../src/decide/experiments-file.js';
import type { ControlPolicy } from '../../src/decide/policy.js';
import { createIngestor } from '../../src/flow/ingest.js';
import { createEventValidator } from '../../src/events/validate.js';
import { buildRuleSet } from '../../src/rules/load.js';
import type { RuleSet } from '../../src/rules/types.js';
import { createMemoryStore } from '../../src/state/memory-store.js';
import { stateModelFrom } from '../../src/state/model.js';
import { learningRoutes } from '../../src/serve/learning-routes.js';
import { rng } from './synthetic.js';

/**
 * A world whose truth is known: a generated catalog and population with a true acceptance
 * probability for every offer and customer. NBO decides through its real decide and
 * events path (the decider and ingestor the service builds, on the in-process store);
 * customers answer by the truth; every decision is scored against the oracle (the best
 * eligible offer by true expected value), a static prior ranking and a random pick on the
 * same contexts.
 */

const TIERS = ['gold', 'silver', 'bronze'] as const;
const TIER_SHARE = [0.2, 0.3, 0.5];
const PETS = ['cat', 'dog', 'none'] as const;
/** An attribute that changes nothing: a segmentation by it is a wrong one. */
const REGIONS = ['north', 'south', 'east', 'west'] as const;
const CATEGORIES = ['coffee', 'bakery', 'dairy', 'produce'] as const;

export interface WorldOffer {
  id: string;
  value: number;
  /** Basket category it needs, or null. */
  needs: (typeof CATEGORIES)[number] | null;
  prior: { accepted: number; impressions: number };
  /** True acceptance probability by tier and pet. */
  p: Record<string, Record<string, number>>;
  /** Present from this decision on (the new-offer scenario), else 0. */
  from: number;
}

export interface World {
  offers: WorldOffer[];
  rules: RuleSet;
  /** The catalog before the new offer is published (same as `rules` without one). */
  rulesBefore: RuleSet;
  /** Which two offers swap their truths in the drift scenario. */
  swap: [string, string];
  /** A harder drift: the favourite and the least accepted offer swap their truths. */
  collapse: [string, string];
}

interface Customer {
  id: string;
  tier: (typeof TIERS)[number];
  pet: (typeof PETS)[number];
  region: (typeof REGIONS)[number];
}

/**
 * 12 offers, values 0.5–20, eligibility on basket categories; each offer's acceptance
 * depends on the customer's value tier (the learning segmentation) and on a pet the rules
 * never segment by. Two priors are deliberately wrong: the offer best for the largest tier
 * is written off (2 of 1,000), a poor one is praised (300 of 1,000). With `newOffer`, a
 * 13th offer, good for everyone, arrives at `newOfferAt`.
 */
export function generateWorld(seed: number, opts: { newOfferAt?: number } = {}): World {
  const rand = rng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const offers: WorldOffer[] = [];
  const n = 12;
  for (let i = 0; i < n; i++) {
    const value = Math.round(0.5 * 40 ** (i / (n - 1)) * 100) / 100; // 0.5 … 20, log-spaced
    const base = 0.16 / value ** 0.75;
    const p: WorldOffer['p'] = {};
    for (const t of TIERS) {
      const tierEffect = Math.exp(0.7 * normal());
      p[t] = {};
      for (const pet of PETS) p[t]![pet] = Math.min(0.6, base * tierEffect * Math.exp(0.6 * normal()));
    }
    offers.push({
      id: `o${String(i + 1).padStart(2, '0')}`,
      value,
      needs: i < 3 ? 'coffee' : i < 5 ? 'bakery' : null,
      prior: { accepted: 1, impressions: 10 },
      p,
      from: 0,
    });
  }
  // expected value per offer for the largest tier, to pick the deliberately wrong priors
  const evBronze = (o: WorldOffer) => (PETS.reduce((s, pet) => s + o.p.bronze![pet]!, 0) / PETS.length) * o.value;
  const byBronze = [...offers].sort((a, b) => evBronze(b) - evBronze(a));
  byBronze[0]!.prior = { accepted: 2, impressions: 1000 }; // the best, written off
  byBronze[byBronze.length - 1]!.prior = { accepted: 300, impressions: 1000 }; // the worst, praised
  for (const o of offers)
    if (o.prior.impressions === 10)
      o.prior = { accepted: Math.max(0.05, Math.min(5, 10 * (0.16 / o.value ** 0.75))), impressions: 10 };
  if (opts.newOfferAt !== undefined) {
    const p: WorldOffer['p'] = {};
    for (const t of TIERS) p[t] = Object.fromEntries(PETS.map((pet) => [pet, 0.11])) as Record<string, number>;
    offers.push({
      id: 'o13-new',
      value: 8,
      needs: null,
      prior: { accepted: 1, impressions: 10 },
      p,
      from: opts.newOfferAt,
    });
  }
  // a harder drift: the favourite for most customers (the best one its prior does not
  // hide) collapses to the acceptance of the least accepted offer, which takes the favourite's
  const pBronze = (o: WorldOffer) => PETS.reduce((sum, pet) => sum + o.p.bronze![pet]!, 0) / PETS.length;
  const favourite = byBronze[1]!;
  const rarest = offers
    .filter((o) => o !== favourite && o !== byBronze[0] && o !== byBronze[byBronze.length - 1])
    .sort((a, b) => pBronze(a) - pBronze(b))[0]!;
  const collapse: [string, string] = [favourite.id, rarest.id];
  // the drift: the offer written off (and best for most customers) swaps truths with a middling one
  const swap: [string, string] = [byBronze[0]!.id, byBronze[Math.floor(byBronze.length / 2)]!.id];
  return { offers, rules: rulesOf(offers), rulesBefore: rulesOf(offers.filter((o) => o.from === 0)), swap, collapse };
}

/** The world's catalog as a rules directory, built with the product's loader. */
function rulesOf(offers: readonly WorldOffer[]): RuleSet {
  const files = [
    {
      file: 'segments.json',
      text: JSON.stringify({
        value_tier: TIERS.map((t) => ({ id: t, when: { '==': [{ var: 'customer.profile.tier' }, t] } })),
        region: REGIONS.map((r) => ({ id: r, when: { '==': [{ var: 'customer.profile.region' }, r] } })),
      }),
    },
    {
      file: 'offers/world.json',
      text: JSON.stringify(
        offers.map((o) => ({
          id: o.id,
          name: o.id,
          channels: ['pos'],
          value: o.value,
          propensity: { prior: o.prior },
          ...(o.needs ? { eligibility: { in: [o.needs, { var: 'event.data.basket.categories' }] } } : {}),
        })),
      ),
    },
  ];
  const res = buildRuleSet(files);
  if (!res.ok) throw new Error(`world rules invalid: ${JSON.stringify(res.issues)}`);
  return res.rules;
}

/** How NBO is configured for a run: the environment's learning settings. */
export interface RunConfig {
  label: string;
  exploration: 'mean' | 'thompson';
  segmentation: string | null;
  priorMaxImpressions: number;
  halfLifeMs: number | null;
  holdout?: { share: number; policy: ControlPolicy };
  model?: 'segment' | 'contextual';
  /** The least pseudo-counts a prior holds (default: the product's). */
  priorFloor?: number;
}

export interface RunOptions {
  decisions: number;
  /** Simulated time between decisions. */
  stepMs: number;
  /** Truth of `swap` (default `world.swap`) swapped at this decision. */
  swapAt?: number;
  swap?: [string, string];
  /** Share of the oracle is reported per window of this many decisions. */
  window: number;
  seed: number;
}

export interface RunResult {
  label: string;
  /** Per window: share of the oracle's expected value for NBO, the static ranking, random. */
  windows: Array<{ end: number; nbo: number; static: number; random: number; segmentOracle: number }>;
  /** Over all decisions; `segmentOracle`: the best any policy can do knowing only the value tier (not the pet). */
  total: { nbo: number; static: number; random: number; segmentOracle: number };
  /** How often the new offer was returned when it was the oracle's choice, after it arrived. */
  newOfferHitRate?: number;
  /** With a holdout: the measured uplift (GET /v1/experiments) and the true one. */
  uplift?: { estimate: number; ci95: [number, number]; truth: number };
  /** Decisions per second of simulation (decide + respond). */
  rate: number;
}

const T0 = Date.parse('2026-01-05T00:00:00Z');

/** Runs `decisions` decisions of one configuration through the real decide and events path. */
export async function runWorld(world: World, cfg: RunConfig, o: RunOptions): Promise<RunResult> {
  const rand = rng(o.seed);
  let now = T0;
  const clock = () => now;
  const store = createMemoryStore({ clock });
  store.setModel(stateModelFrom(world.rules, { halfLifeMs: cfg.halfLifeMs }));
  const policies = buildPolicyPlan(
    {
      exploration: cfg.exploration,
      segmentation: cfg.segmentation,
      learning: {
        priorMaxImpressions: cfg.priorMaxImpressions,
        halfLifeMs: cfg.halfLifeMs,
        model: cfg.model ?? 'segment',
        ...(cfg.priorFloor !== undefined ? { priorFloor: cfg.priorFloor } : {}),
      },
      holdout: cfg.holdout ?? { share: 0, policy: 'none' },
    },
    null,
  );
  let seq = 0;
  const newOffer = world.offers.find((w) => w.from > 0);
  let rules = newOffer ? world.rulesBefore : world.rules;
  const decider = createDecider({ store, rules: () => rules, clock, policies, newId: () => `d${++seq}` });
  const ingestor = createIngestor({
    store,
    decider,
    validate: createEventValidator({ clock }),
    triggers: [],
    sinks: () => [],
  });

  const customers: Customer[] = [];
  const pick = <T>(xs: readonly T[], shares?: readonly number[]): T => {
    const u = rand();
    if (!shares) return xs[Math.floor(u * xs.length)]!;
    let acc = 0;
    for (let i = 0; i < xs.length; i++) if (u < (acc += shares[i]!)) return xs[i]!;
    return xs[xs.length - 1]!;
  };
  for (let i = 0; i < 20_000; i++)
    customers.push({ id: `c${i}`, tier: pick(TIERS, TIER_SHARE), pet: pick(PETS), region: pick(REGIONS) });
  const iso = () => new Date(now).toISOString();
  for (let i = 0; i < customers.length; i += 1000) {
    await ingestor.ingest(
      customers.slice(i, i + 1000).map((c) => ({
        id: `p-${c.id}`,
        type: 'profile',
        customerId: c.id,
        time: iso(),
        data: { tier: c.tier, pet: c.pet, region: c.region },
      })),
    );
  }

  const truth = new Map(world.offers.map((w) => [w.id, w]));
  const pair = o.swap ?? world.swap;
  const swapped = (id: string, k: number): WorldOffer => {
    if (o.swapAt !== undefined && k >= o.swapAt && (id === pair[0] || id === pair[1])) {
      return { ...truth.get(id)!, p: truth.get(id === pair[0] ? pair[1] : pair[0])!.p };
    }
    return truth.get(id)!;
  };
  const ev = (w: WorldOffer, c: Customer, k: number) => swapped(w.id, k).p[c.tier]![c.pet]! * w.value;

  const windows: RunResult['windows'] = [];
  const acc = { nbo: 0, static: 0, random: 0, oracle: 0, segmentOracle: 0 };
  const tot = { nbo: 0, static: 0, random: 0, oracle: 0, segmentOracle: 0 };
  const tierEv = (w: WorldOffer, c: Customer, k: number) =>
    (PETS.reduce((s, pet) => s + swapped(w.id, k).p[c.tier]![pet]!, 0) / PETS.length) * w.value;
  const arms = new Map<string, { n: number; ev: number }>();
  let newBest = 0;
  let newHit = 0;
  let pending: unknown[] = [];
  const t0 = performance.now();
  for (let k = 0; k < o.decisions; k++) {
    now += o.stepMs;
    if (k === newOffer?.from) rules = world.rules; // the new offer is published
    const c = customers[Math.floor(rand() * customers.length)]!;
    const categories = CATEGORIES.filter(() => rand() < 0.5);
    const eligible = world.offers.filter((w) => (w.needs === null || categories.includes(w.needs)) && k >= w.from);
    const d = await decider.decide({
      customerId: c.id,
      channel: 'pos',
      trigger: 'checkout',
      context: { basket: { categories } },
      source: 'http',
    });
    const chosen = d.offers[0] ? truth.get(d.offers[0].offerId)! : null;
    const oracle = eligible.reduce((m, w) => Math.max(m, ev(w, c, k)), 0);
    const staticPick = [...eligible].sort(
      (a, b) => (b.prior.accepted / b.prior.impressions) * b.value - (a.prior.accepted / a.prior.impressions) * a.value,
    )[0];
    const got = chosen ? ev(chosen, c, k) : 0;
    const step = {
      nbo: got,
      static: staticPick ? ev(staticPick, c, k) : 0,
      random: eligible.length ? eligible.reduce((s, w) => s + ev(w, c, k), 0) / eligible.length : 0,
      oracle,
    };
    const arm = arms.get(d.policy) ?? { n: 0, ev: 0 };
    arms.set(d.policy, { n: arm.n + 1, ev: arm.ev + got });
    if (d.policy === 'default') {
      const bestForTier = eligible.reduce((m, w) => (tierEv(w, c, k) > tierEv(m, c, k) ? w : m), eligible[0]!);
      if (bestForTier) {
        tot.segmentOracle += ev(bestForTier, c, k);
        acc.segmentOracle += ev(bestForTier, c, k);
      }
      for (const key of ['nbo', 'static', 'random', 'oracle'] as const) {
        acc[key] += step[key];
        tot[key] += step[key];
      }
    }
    if (newOffer && k >= newOffer.from && d.policy === 'default') {
      const best = eligible.reduce((m, w) => (ev(w, c, k) > ev(m, c, k) ? w : m), eligible[0]!);
      if (best.id === newOffer.id) {
        newBest++;
        if (chosen?.id === newOffer.id) newHit++;
      }
    }
    if (chosen) {
      const accepted = rand() < swapped(chosen.id, k).p[c.tier]![c.pet]!;
      pending.push({
        id: `r-${d.decisionId}`,
        type: 'offer_response',
        customerId: c.id,
        time: iso(),
        data: { decisionId: d.decisionId, offerId: chosen.id, outcome: accepted ? 'accepted' : 'declined' },
      });
    }
    // customers answer a little later: responses arrive in small batches
    if (pending.length >= 20) {
      const res = await ingestor.ingest(pending);
      if (res.rejected.length > 0) throw new Error(`responses refused: ${JSON.stringify(res.rejected[0])}`);
      pending = [];
    }
    if ((k + 1) % o.window === 0) {
      windows.push({
        end: k + 1,
        nbo: acc.nbo / acc.oracle,
        static: acc.static / acc.oracle,
        random: acc.random / acc.oracle,
        segmentOracle: acc.segmentOracle / acc.oracle,
      });
      acc.nbo = acc.static = acc.random = acc.oracle = acc.segmentOracle = 0;
    }
  }
  if (pending.length > 0) await ingestor.ingest(pending);
  const rate = o.decisions / ((performance.now() - t0) / 1000);
  const result: RunResult = {
    label: cfg.label,
    windows,
    total: {
      nbo: tot.nbo / tot.oracle,
      static: tot.static / tot.oracle,
      random: tot.random / tot.oracle,
      segmentOracle: tot.segmentOracle / tot.oracle,
    },
    rate,
  };
  if (newBest > 0) result.newOfferHitRate = newHit / newBest;
  if (cfg.holdout) {
    // the API's read, and the truth: expected value per decision of each arm's own decisions
    const route = learningRoutes({ rules: () => rules, store, policies, clock }).find(
      (r) => r.path === '/v1/experiments',
    )!;
    const body = (await route.handler({} as never)) as {
      body: { arms: Array<{ policy: string; uplift?: { estimate: number; ci95: [number, number] } }> };
    };
    const up = body.body.arms.find((a) => a.policy === 'default')!.uplift!;
    const mean = (p: string) => arms.get(p)!.ev / arms.get(p)!.n;
    result.uplift = { estimate: up.estimate, ci95: up.ci95, truth: mean('default') - mean('holdout') };
  }
  await store.close();
  return result;
}

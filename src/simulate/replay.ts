import { createDecider, type Decider } from '../decide/decider.js';
import type { Decision } from '../decide/types.js';
import { createIngestor, type Ingestor } from '../flow/ingest.js';
import { DEFAULT_TRIGGERS } from '../events/types.js';
import { createEventValidator, type EventError } from '../events/validate.js';
import type { RuleSet } from '../rules/types.js';
import { createMemoryStore } from '../state/memory-store.js';
import { stateModelFrom } from '../state/model.js';

/** What one rule set did over the replay. */
export interface ArmReport {
  rulesVersion: string;
  /** Decisions that returned each offer. */
  byOffer: Record<string, number>;
  decisions: number;
  /** Decisions that returned at least one offer. */
  withOffer: number;
  /** Decisions that returned no offer. */
  empty: number;
  /** Share of decisions in which at least one regular (non-fallback) offer qualified. */
  eligibilityRate: number;
  /** Decisions answered by a fallback offer because no regular offer qualified. */
  fallbacks: number;
  /** Offers dropped by a cap, summed over decisions. */
  capsHit: number;
  /** Offers dropped by a cooldown, summed over decisions. */
  cooldownsHit: number;
  /** Per offer: how often it was a candidate (channel and trigger matched), qualified, was selected, or was dropped and why. */
  offers: Record<
    string,
    {
      candidate: number;
      eligible: number;
      selected: number;
      ineligible: number;
      inactive: number;
      capped: number;
      cooldown: number;
      eligibilityRate: number;
    }
  >;
  /** Per segmentation and segment: decisions and offers returned. */
  bySegment: Record<string, Record<string, { decisions: number; byOffer: Record<string, number> }>>;
  /** offer_response events fed to state (their decision re-pointed at this replay's decision), and those for an offer this rule set never gave that customer. */
  responses: { fed: number; unmatched: number };
}

export interface ReplayReport {
  events: number;
  /** Lines that were not valid events: counted, the first few listed, the replay goes on. */
  rejected: number;
  rejections: Array<{ line: number; errors: EventError[] }>;
  decisions: number;
  baseline: ArmReport;
  candidate?: ArmReport;
  /** Decisions whose returned offers differ between baseline and candidate. */
  changed: number;
  /** The clock shift applied to every event (--now), in ms. */
  shiftMs: number;
}

export interface ReplayOptions {
  baseline: RuleSet;
  candidate?: RuleSet;
  triggers?: readonly string[];
  learningSegmentation?: string | null;
  /** Replay as if the first event happened at this time (gaps kept). */
  nowMs?: number;
}

const KEPT_REJECTIONS = 20;

/** One rule set's replay: its own in-process store, the real ingest → decide path, a clock that reads each event's time. */
interface Arm {
  rules: RuleSet;
  ingestor: Ingestor;
  setClock(ms: number): void;
  last: Decision | null;
  /** customer \0 offer → the last decision of this replay that gave that offer to that customer. */
  gave: Map<string, string>;
  report: ArmReport;
}

function newArm(rules: RuleSet, triggers: readonly string[], learningSegmentation: string | null): Arm {
  let now = 0;
  const clock = () => now;
  const store = createMemoryStore({ clock, sweepIntervalMs: 0 });
  store.setModel(stateModelFrom(rules));
  let n = 0;
  const real = createDecider({
    store,
    rules: () => rules,
    clock,
    newId: () => `sim-${++n}`,
    learningSegmentation,
    exploration: 'mean',
    snapshotTimeoutMs: 60_000,
  });
  const arm: Arm = {
    rules,
    setClock: (ms) => void (now = ms),
    last: null,
    gave: new Map(),
    report: {
      rulesVersion: rules.version,
      byOffer: {},
      decisions: 0,
      withOffer: 0,
      empty: 0,
      eligibilityRate: 0,
      fallbacks: 0,
      capsHit: 0,
      cooldownsHit: 0,
      offers: Object.fromEntries(
        rules.offers.map((o) => [
          o.id,
          {
            candidate: 0,
            eligible: 0,
            selected: 0,
            ineligible: 0,
            inactive: 0,
            capped: 0,
            cooldown: 0,
            eligibilityRate: 0,
          },
        ]),
      ),
      bySegment: {},
      responses: { fed: 0, unmatched: 0 },
    },
    ingestor: null as unknown as Ingestor,
  };
  // the real decider, asked to explain so every offer's fate can be counted
  const decider: Decider = {
    async decide(req) {
      const d = await real.decide({ ...req, explain: true });
      arm.last = d;
      count(arm, d);
      return d;
    },
  };
  arm.ingestor = createIngestor({
    store,
    decider,
    validate: createEventValidator({ triggers, clock }),
    triggers,
    sinks: () => [],
  });
  return arm;
}

function count(arm: Arm, d: Decision): void {
  const r = arm.report;
  r.decisions++;
  if (d.offers.length > 0) r.withOffer++;
  else r.empty++;
  for (const o of d.offers) {
    r.byOffer[o.offerId] = (r.byOffer[o.offerId] ?? 0) + 1;
    arm.gave.set(`${d.customerId}\u0000${o.offerId}`, d.decisionId);
  }
  let regularQualified = false;
  for (const f of d.explanation?.offers ?? []) {
    const s = r.offers[f.offerId];
    if (!s || f.status === 'channel' || f.status === 'trigger') continue;
    s.candidate++;
    if (f.status === 'selected' || f.status === 'eligible') {
      s.eligible++;
      if (!f.fallback) regularQualified = true;
    }
    if (f.status === 'selected') s.selected++;
    else if (f.status === 'ineligible' || f.status === 'inactive' || f.status === 'capped' || f.status === 'cooldown')
      s[f.status]++;
    if (f.status === 'capped') r.capsHit++;
    if (f.status === 'cooldown') r.cooldownsHit++;
  }
  if (regularQualified) r.eligibilityRate++;
  if (d.offers.length > 0 && d.offers.every((o) => arm.rules.offerById.get(o.offerId)?.fallback)) r.fallbacks++;
  for (const [segmentation, segment] of Object.entries(d.segments)) {
    const bySeg = (r.bySegment[segmentation] ??= {});
    const e = (bySeg[segment ?? '(none)'] ??= { decisions: 0, byOffer: {} });
    e.decisions++;
    for (const o of d.offers) e.byOffer[o.offerId] = (e.byOffer[o.offerId] ?? 0) + 1;
  }
}

function finish(r: ArmReport): ArmReport {
  r.eligibilityRate = r.decisions === 0 ? 0 : r.eligibilityRate / r.decisions;
  for (const s of Object.values(r.offers)) s.eligibilityRate = s.candidate === 0 ? 0 : s.eligible / s.candidate;
  return r;
}

/**
 * Replays recorded events through NBO's own ingest and decision path, offline, once per
 * rule set: each event is validated and applied to an in-process store at its own time;
 * a trigger event decides; an `offer_response` feeds state when this replay gave that
 * customer that offer (its decisionId re-pointed at the replay's decision), else it is
 * counted as unmatched. Decisions use the deterministic posterior mean.
 */
export function createReplay(o: ReplayOptions) {
  const triggers = o.triggers ?? DEFAULT_TRIGGERS;
  const arms = [
    newArm(o.baseline, triggers, o.learningSegmentation ?? null),
    ...(o.candidate ? [newArm(o.candidate, triggers, o.learningSegmentation ?? null)] : []),
  ];
  const check = createEventValidator({ triggers, maxFutureMs: Number.MAX_SAFE_INTEGER });
  let shift: number | null = o.nowMs === undefined ? 0 : null;
  const report = { events: 0, rejected: 0, rejections: [] as ReplayReport['rejections'], decisions: 0, changed: 0 };

  const reject = (line: number, errors: EventError[]) => {
    report.rejected++;
    if (report.rejections.length < KEPT_REJECTIONS) report.rejections.push({ line, errors });
  };

  return {
    /** Feeds one NDJSON line (1-based line number for errors). Blank lines are skipped. */
    async line(text: string, lineNo: number): Promise<void> {
      if (text.trim() === '') return;
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (err) {
        return reject(lineNo, [{ path: '$', message: `not JSON: ${(err as Error).message}` }]);
      }
      const c = check(raw);
      if (!c.ok) return reject(lineNo, c.errors);
      report.events++;
      shift ??= o.nowMs! - c.event.timeMs;
      const atMs = c.event.timeMs + shift;
      const ev = { ...(raw as Record<string, unknown>), time: new Date(atMs).toISOString() } as Record<
        string,
        unknown
      > & { data?: Record<string, unknown> };
      const made: Array<Decision | null> = [];
      for (const arm of arms) {
        arm.setClock(atMs);
        arm.last = null;
        let input = ev;
        if (c.event.type === 'offer_response') {
          const data = ev.data as { offerId: string; decisionId: string };
          const ours = arm.gave.get(`${c.event.customerId}\u0000${data.offerId}`);
          if (ours === undefined) {
            arm.report.responses.unmatched++;
            made.push(null);
            continue;
          }
          arm.report.responses.fed++;
          input = { ...ev, data: { ...ev.data, decisionId: ours } };
        }
        const res = await arm.ingestor.ingest([input]);
        await res.decisions;
        made.push(arm.last);
      }
      if (made[0]) report.decisions++;
      if (
        made.length === 2 &&
        made[0] &&
        made[1] &&
        made[0].offers.map((x) => x.offerId).join() !== made[1].offers.map((x) => x.offerId).join()
      )
        report.changed++;
    },
    report(): ReplayReport {
      return {
        events: report.events,
        rejected: report.rejected,
        rejections: report.rejections,
        decisions: report.decisions,
        baseline: finish(arms[0]!.report),
        ...(arms[1] ? { candidate: finish(arms[1].report) } : {}),
        changed: report.changed,
        shiftMs: shift ?? 0,
      };
    },
  };
}

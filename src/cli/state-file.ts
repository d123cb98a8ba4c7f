import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { NboError } from '../errors/codes.js';
import { OUTCOMES, type Outcome } from '../events/types.js';
import { createEventValidator } from '../events/validate.js';
import type { RuleSet } from '../rules/types.js';
import { createMemoryStore } from '../state/memory-store.js';
import { stateModelFrom } from '../state/model.js';
import { emptyHistory, setRecent } from '../state/offer-history.js';
import type { CustomerSnapshot, CustomerStateStore, OfferHistory } from '../state/types.js';

/**
 * A customer state file for `nbo decide`, in one of two forms (docs/cli.md):
 * a list of events, replayed into an in-process store at the decision clock; or a
 * snapshot `{ customerId, profile, agg, household, offers }` taken as it is.
 * Returns a store holding that customer, and the customer id.
 */
export async function storeFromStateFile(
  path: string,
  rules: RuleSet,
  nowMs: number,
  customerId?: string,
): Promise<{ store: CustomerStateStore; customerId: string }> {
  const text = readFileSync(path, 'utf8');
  let doc: unknown;
  try {
    doc = /\.json$/i.test(path) ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw new NboError('NBO_ERR_STATE_FILE', `${path}: ${(err as Error).message}`);
  }
  const store = createMemoryStore({ clock: () => nowMs });
  store.setModel(stateModelFrom(rules));
  const events = Array.isArray(doc) ? doc : isObject(doc) && Array.isArray(doc.events) ? doc.events : null;
  if (events) {
    const validate = createEventValidator({ clock: () => nowMs });
    const valid = events.map((e, i) => {
      const c = validate(e);
      if (!c.ok)
        throw new NboError(
          'NBO_ERR_STATE_FILE',
          `${path}: event ${i}: ${c.errors.map((x) => `${x.path} ${x.message}`).join('; ')}`,
        );
      return c.event;
    });
    const id = customerId ?? valid[0]?.customerId;
    if (!id) throw new NboError('NBO_ERR_STATE_FILE', `${path}: no events, and no --customer given`);
    await store.applyEvents(valid);
    return { store, customerId: id };
  }
  if (!isObject(doc) || typeof doc.customerId !== 'string') {
    throw new NboError('NBO_ERR_STATE_FILE', `${path}: expected a list of events or a snapshot with a customerId`);
  }
  const base = await store.snapshot(doc.customerId, nowMs);
  const snap: CustomerSnapshot = {
    customerId: doc.customerId,
    profile: isObject(doc.profile) ? doc.profile : {},
    agg: { ...base.agg, ...(isObject(doc.agg) ? (doc.agg as CustomerSnapshot['agg']) : {}) },
    household:
      isObject(doc.household) && typeof doc.household.id === 'string'
        ? { id: doc.household.id, agg: (doc.household.agg ?? {}) as CustomerSnapshot['agg'] }
        : null,
    offers: Object.fromEntries(
      Object.entries(isObject(doc.offers) ? doc.offers : {}).map(([id, h]) => [id, historyFrom(h)]),
    ),
  };
  // a fixed snapshot: decisions read it, and what they record is kept alongside
  const fixed: CustomerStateStore = {
    ...store,
    snapshot: async (id, at) => (id === snap.customerId ? structuredClone(snap) : store.snapshot(id, at)),
  };
  return { store: fixed, customerId: customerId ?? snap.customerId };
}

/** `{ offered: 2, declined: 1, lastAt: { declined: ISO }, recent: { offered: [ISO…] } }` → history. */
function historyFrom(raw: unknown): OfferHistory {
  const h = emptyHistory();
  if (!isObject(raw)) return h;
  for (const o of OUTCOMES) if (typeof raw[o] === 'number') h.counts[o] = raw[o] as number;
  const ms = (v: unknown) => (typeof v === 'string' ? Date.parse(v) : NaN);
  if (isObject(raw.lastAt)) {
    for (const [o, t] of Object.entries(raw.lastAt)) {
      if (!(OUTCOMES as readonly string[]).includes(o) || !Number.isFinite(ms(t))) continue;
      h.lastAt[o as Outcome] = ms(t);
      if (h.lastOutcomeAt === null || ms(t) > h.lastOutcomeAt) [h.lastOutcome, h.lastOutcomeAt] = [o as Outcome, ms(t)];
    }
  }
  if (isObject(raw.recent)) {
    for (const [o, list] of Object.entries(raw.recent)) {
      if ((OUTCOMES as readonly string[]).includes(o) && Array.isArray(list))
        setRecent(
          h,
          o as Outcome,
          list
            .map(ms)
            .filter(Number.isFinite)
            .sort((a, b) => a - b),
        );
    }
  }
  return h;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

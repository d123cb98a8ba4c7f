import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config/config.js';
import { createDecider, type Decider } from '../../src/decide/decider.js';
import { createEventValidator } from '../../src/events/validate.js';
import type { StreamDecision } from '../../src/flow/decision-sink.js';
import type { EventSource } from '../../src/flow/event-source.js';
import { createIngestor } from '../../src/flow/ingest.js';
import type { RuleSet } from '../../src/rules/types.js';
import { createMemoryStore } from '../../src/state/memory-store.js';
import { stateModelFrom } from '../../src/state/model.js';
import type { CustomerStateStore } from '../../src/state/types.js';
import { offer, ruleSet } from '../support/rules.js';
import { checkout, until } from '../support/service.js';

/** The parts behind the ingestor a source feeds: the source's rig may need them (the HTTP routes do). */
export interface SourceParts {
  config: Readonly<Config>;
  store: CustomerStateStore;
  decider: Decider;
  rules: RuleSet;
}

/** A source under test, not started, with a real client to send through and a real reader of what it reports. */
export interface SourceRig {
  source: EventSource;
  /** Sends events as the source's clients do (a POST, messages on the topic); resolves once they are sent. */
  send(events: unknown[]): Promise<void>;
  /** Every invalid event the source reported (the answer's `rejected`, the DLQ), by event id and code. */
  reported(): Array<{ id: string; code: string }>;
  close(): Promise<void>;
}

export type SourceFactory = (parts: SourceParts) => Promise<SourceRig>;

const RULES = ruleSet({
  aggregates: { purchases: { event: 'purchase', fn: 'count' } },
  offers: [offer('o1', { triggers: ['checkout'] })],
});

const uid = () => randomBytes(4).toString('hex');
const purchase = (customerId: string, id = `p-${uid()}`) => ({
  id,
  type: 'purchase',
  customerId,
  time: new Date().toISOString(),
  data: { amount: 3 },
});

/**
 * The contract every {@link EventSource} keeps (src/flow/event-source.ts): POST /v1/events
 * and the events topic run exactly these tests, feeding one real ingestor (memory store,
 * real decider, real validator) whose decisions go to a recording sink.
 */
export function describeEventSourceContract(name: string, factory: SourceFactory): void {
  describe(`EventSource contract — ${name}`, () => {
    let rig: SourceRig;
    let store: CustomerStateStore;
    let published: StreamDecision[];
    let started: number;
    let sinkDelayMs: number;

    beforeEach(async () => {
      const config = loadConfig({ NBO_LOG_LEVEL: 'silent' });
      store = createMemoryStore();
      store.setModel(stateModelFrom(RULES));
      const decider = createDecider({ store, rules: () => RULES });
      published = [];
      started = 0;
      sinkDelayMs = 0;
      const ingestor = createIngestor({
        store,
        decider,
        validate: createEventValidator({ triggers: config.triggers }),
        triggers: config.triggers,
        sinks: () => [
          {
            async publish(d) {
              started++;
              await new Promise((r) => setTimeout(r, sinkDelayMs));
              published.push(d);
            },
          },
        ],
      });
      rig = await factory({ config, store, decider, rules: RULES });
      expect(rig.source.ready().ok).toBe(false);
      await rig.source.start(ingestor);
      await until(() => rig.source.ready().ok, 30_000);
    });
    afterEach(async () => {
      await rig.source.stop();
      await rig.close();
      await store.close();
    });

    const purchases = async (customerId: string) => (await store.snapshot(customerId, Date.now())).agg.purchases ?? 0;

    it('is ready once started and not after it stopped', async () => {
      expect(rig.source.ready().ok).toBe(true);
      await rig.source.stop();
      expect(rig.source.ready().ok).toBe(false);
    });

    it('applies each valid event once through the ingestor; a trigger yields one decision', async () => {
      const c = `c-src-${uid()}`;
      const p1 = purchase(c);
      const trigger = checkout(c);
      await rig.send([p1, purchase(c), trigger, p1]);
      await until(() => published.some((d) => d.eventId === trigger.id), 20_000);
      await new Promise((r) => setTimeout(r, 300));
      expect(await purchases(c)).toBe(2);
      expect(published.filter((d) => d.customerId === c)).toHaveLength(1);
      expect(rig.reported()).toEqual([]);
    });

    it('reports an invalid event, which changes nothing, and applies the valid ones around it', async () => {
      const c = `c-bad-${uid()}`;
      const bad = { id: `b-${uid()}`, type: 'purchase', customerId: c, time: 'yesterday', data: { amount: 3 } };
      await rig.send([purchase(c), bad, purchase(c)]);
      await until(() => rig.reported().some((r) => r.id === bad.id), 20_000);
      expect(rig.reported()).toEqual([{ id: bad.id, code: 'NBO_ERR_EVENT_INVALID' }]);
      expect(await purchases(c)).toBe(2);
    });

    it('stop() resolves only after the work in hand is done: its decisions published', async () => {
      sinkDelayMs = 500;
      const trigger = checkout(`c-stop-${uid()}`);
      await rig.send([trigger]);
      await until(() => started > 0, 20_000);
      expect(published).toHaveLength(0);
      await rig.source.stop();
      expect(published.map((d) => d.eventId)).toEqual([trigger.id]);
      expect(rig.source.ready().ok).toBe(false);
    });
  });
}

import { describe, expect, it } from 'vitest';
import { createDecider } from '../../src/decide/decider.js';
import { createIngestor } from '../../src/flow/ingest.js';
import { createEventValidator } from '../../src/events/validate.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { createMemoryStore } from '../../src/state/memory-store.js';
import { stateModelFrom } from '../../src/state/model.js';
import { offer, ruleSet } from '../support/rules.js';

describe('ingestion metrics', () => {
  it('nbo_events_total counts every event of a batch by type and result', async () => {
    const rules = ruleSet({
      aggregates: { spend: { event: 'purchase', field: 'data.amount', fn: 'sum' } },
      offers: [offer('o1')],
    });
    const store = createMemoryStore();
    store.setModel(stateModelFrom(rules));
    const metrics = createMetrics({ defaultMetrics: false });
    const ingestor = createIngestor({
      store,
      decider: createDecider({ store, rules: () => rules }),
      validate: createEventValidator(),
      triggers: ['checkout'],
      sinks: () => [],
      metrics,
      knownTypes: () => new Set(['purchase', 'profile']),
    });
    const time = new Date().toISOString();
    const e = (id: string, type: string) => ({ id, type, customerId: 'c1', time, data: { amount: 1 } });
    await ingestor.ingest([
      e('a', 'purchase'),
      e('b', 'purchase'),
      e('a', 'purchase'),
      e('c', 'profile'),
      e('d', 'app_open'),
      { id: 'x' },
    ]);
    const values = (await metrics.events.get()).values.map((v) => [v.labels.type, v.labels.result, v.value]);
    expect(values).toEqual(
      expect.arrayContaining([
        ['purchase', 'applied', 2],
        ['purchase', 'duplicate', 1],
        ['profile', 'applied', 1],
        ['other', 'applied', 1],
        ['other', 'rejected', 1],
      ]),
    );
    expect(values).toHaveLength(5);
  });
});

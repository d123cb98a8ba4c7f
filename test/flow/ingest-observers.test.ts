import { describe, expect, it } from 'vitest';
import { createDecider } from '../../src/decide/decider.js';
import { createEventValidator } from '../../src/events/validate.js';
import { createIngestor, type IngestOptions, type IngestResult } from '../../src/flow/ingest.js';
import { createMemoryStore } from '../../src/state/memory-store.js';
import { stateModelFrom } from '../../src/state/model.js';
import { offer, ruleSet } from '../support/rules.js';
import { checkout } from '../support/service.js';

describe('ingest observers', () => {
  it('each observer sees every ingest once, in order, with the events, the result and the options as given', async () => {
    const rules = ruleSet({ offers: [offer('o1', { channels: ['pos', 'web'] })] });
    const store = createMemoryStore();
    store.setModel(stateModelFrom(rules));
    const seen: Array<{ who: string; raw: readonly unknown[]; result: IngestResult; opts: IngestOptions }> = [];
    const ingestor = createIngestor({
      store,
      decider: createDecider({ store, rules: () => rules }),
      validate: createEventValidator(),
      triggers: ['checkout'],
      sinks: () => [],
      observers: [
        (raw, result, opts) => seen.push({ who: 'a', raw, result, opts }),
        (raw, result, opts) => seen.push({ who: 'b', raw, result, opts }),
      ],
    });
    const raw = [checkout('c-obs', 'pos'), checkout('c-obs', 'web')];
    const opts: IngestOptions = {
      channels: new Set(['web']),
      requestId: 'req-obs',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    };
    const result = await ingestor.ingest(raw, opts);
    expect(seen.map((s) => s.who)).toEqual(['a', 'b']);
    for (const s of seen) {
      expect(s.raw).toBe(raw);
      expect(s.result).toBe(result);
      expect(s.opts).toBe(opts);
    }
    // the options took effect: the key's channels refused the pos event
    expect(result.statuses).toEqual(['rejected', 'applied']);
    expect((await result.decisions).map((d) => d.requestId)).toEqual(['req-obs']);
    await store.close();
  });
});

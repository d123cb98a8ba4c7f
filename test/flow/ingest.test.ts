import { describe, expect, it } from 'vitest';
import { createDecider } from '../../src/decide/decider.js';
import { createEventValidator } from '../../src/events/validate.js';
import { createIngestor, type DecisionSink, type IngestorOptions, type StreamDecision } from '../../src/flow/ingest.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { createMemoryStore } from '../../src/state/memory-store.js';
import { stateModelFrom } from '../../src/state/model.js';
import { offer, ruleSet } from '../support/rules.js';
import { checkout } from '../support/service.js';

/** A DecisionSink that keeps what it is handed, in order. */
function keepingSink(): DecisionSink & { got: StreamDecision[] } {
  const got: StreamDecision[] = [];
  return { got, publish: (d) => void got.push(d) };
}

function setup(over: Partial<IngestorOptions> = {}) {
  const rules = ruleSet({ offers: [offer('o1', { channels: ['pos', 'web'] })] });
  const store = over.store ?? createMemoryStore();
  if (!over.store) store.setModel(stateModelFrom(rules));
  const sink = keepingSink();
  const ingestor = createIngestor({
    store,
    decider: createDecider({ store, rules: () => rules }),
    validate: createEventValidator(),
    triggers: ['checkout'],
    sinks: () => [sink],
    ...over,
  });
  return { store, sink, ingestor };
}

const purchase = (id: string, customerId = 'c-in') => ({
  id,
  type: 'purchase',
  customerId,
  time: new Date().toISOString(),
  data: { amount: 2 },
});

describe('the ingestor', () => {
  it('answers per input index: applied, duplicate or rejected; rejections in input order with their code and path', async () => {
    const { ingestor, store } = setup();
    const web = checkout('c-in', 'web');
    const r = await ingestor.ingest([purchase('p1'), { id: 'broken' }, purchase('p1'), web, purchase('p2')], {
      channels: new Set(['pos']),
    });
    expect(r.statuses).toEqual(['applied', 'rejected', 'duplicate', 'rejected', 'applied']);
    expect(r.accepted).toBe(2);
    expect(r.duplicates).toBe(1);
    expect(r.rejected.map((x) => [x.index, x.code])).toEqual([
      [1, 'NBO_ERR_EVENT_INVALID'],
      [3, 'NBO_ERR_FORBIDDEN'],
    ]);
    expect(r.rejected[1]!.errors).toEqual([{ path: '$.channel', message: 'the key may not use channel "web"' }]);
    expect(await r.decisions).toEqual([]);
    await store.close();
  });

  it('an event whose channel the key may use, or one without a channel, is not refused for it', async () => {
    const { ingestor, store } = setup();
    const r = await ingestor.ingest([checkout('c-ch', 'web'), purchase('p-no-channel', 'c-ch')], {
      channels: new Set(['web']),
    });
    expect(r.statuses).toEqual(['applied', 'applied']);
    expect(r.rejected).toEqual([]);
    await store.close();
  });

  it('decides once per newly applied trigger event, in its channel, and hands that decision to every sink', async () => {
    const other = keepingSink();
    const { ingestor, sink, store } = setup({ sinks: () => [sink, other] });
    const k = checkout('c-dec', 'web');
    const r = await ingestor.ingest([purchase('p-dec', 'c-dec'), k, k], {
      requestId: 'req-1',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    expect(r.statuses).toEqual(['applied', 'applied', 'duplicate']);
    const decisions = await r.decisions;
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({
      type: 'decision',
      customerId: 'c-dec',
      channel: 'web',
      trigger: 'checkout',
      eventId: k.id,
      degraded: false,
      policy: 'default',
      requestId: 'req-1',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    expect(decisions[0]!.offers.map((o) => o.offerId)).toEqual(['o1']);
    expect(decisions[0]!.decisionId).toMatch(/\S/);
    expect(sink.got).toEqual(decisions);
    expect(other.got).toEqual(decisions);
    // the trigger was applied once more: a duplicate decides nothing
    const again = await ingestor.ingest([k]);
    expect(again.statuses).toEqual(['duplicate']);
    expect(await again.decisions).toEqual([]);
    expect(sink.got).toHaveLength(1);
    await store.close();
  });

  it('a decision without request carries neither requestId nor traceparent', async () => {
    const { ingestor, store } = setup();
    const [d] = await (await ingestor.ingest([checkout('c-plain', 'pos')])).decisions;
    expect(d).toBeDefined();
    expect('requestId' in d!).toBe(false);
    expect('traceparent' in d!).toBe(false);
    await store.close();
  });

  it('a sink that fails is reported to onSinkError; the decision is still made and the other sinks still get it', async () => {
    const errors: unknown[] = [];
    const good = keepingSink();
    const failing: DecisionSink = { publish: async () => Promise.reject(new Error('sink down')) };
    const { ingestor, store } = setup({ sinks: () => [failing, good], onSinkError: (err) => errors.push(err) });
    const decisions = await (await ingestor.ingest([checkout('c-fail', 'pos')])).decisions;
    expect(decisions).toHaveLength(1);
    expect(good.got).toEqual(decisions);
    expect(errors.map((e) => (e as Error).message)).toEqual(['sink down']);
    await store.close();
  });

  it('decides for every trigger of a large batch exactly once, in input order (more than one slice)', async () => {
    const { ingestor, sink, store } = setup();
    const events = Array.from({ length: 70 }, (_, i) => checkout(`c-many-${i}`, 'pos'));
    const decisions = await (await ingestor.ingest(events)).decisions;
    expect(decisions.map((d) => d.eventId)).toEqual(events.map((e) => e.id));
    expect(sink.got.map((d) => d.eventId).sort()).toEqual(events.map((e) => e.id).sort());
    await store.close();
  });

  it('a batch with nothing valid in it rejects each event and applies nothing; a null entry is rejected, not a crash', async () => {
    const { ingestor, store } = setup();
    const r = await ingestor.ingest([null, { id: 'broken' }, 42]);
    expect(r.statuses).toEqual(['rejected', 'rejected', 'rejected']);
    expect(r.rejected.map((x) => [x.index, x.code])).toEqual([
      [0, 'NBO_ERR_EVENT_INVALID'],
      [1, 'NBO_ERR_EVENT_INVALID'],
      [2, 'NBO_ERR_EVENT_INVALID'],
    ]);
    expect([r.accepted, r.duplicates]).toEqual([0, 0]);
    expect(await r.decisions).toEqual([]);
    await store.close();
  });

  it('a trigger event without a channel is applied and decides nothing', async () => {
    const { ingestor, store } = setup({ triggers: ['purchase'] });
    const r = await ingestor.ingest([
      purchase('p-nochan', 'c-nochan'),
      { ...purchase('p-chan', 'c-nochan'), channel: 'pos' },
    ]);
    expect(r.statuses).toEqual(['applied', 'applied']);
    expect((await r.decisions).map((d) => d.eventId)).toEqual(['p-chan']);
    await store.close();
  });

  it('counts a rejected event under its type when it has a string one, else "other"', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const { ingestor, store } = setup({ metrics, knownTypes: () => new Set(['purchase']) });
    await ingestor.ingest([
      { id: 'bad-1', type: 'purchase' },
      { id: 'bad-2', type: 7 },
    ]);
    const values = (await metrics.events.get()).values.map((v) => [v.labels.type, v.labels.result, v.value]);
    expect(values).toEqual(
      expect.arrayContaining([
        ['purchase', 'rejected', 1],
        ['other', 'rejected', 1],
      ]),
    );
    expect(values).toHaveLength(2);
    await store.close();
  });

  it('times its decisions as stream decisions', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const rules = ruleSet({ offers: [offer('o1')] });
    const store = createMemoryStore();
    store.setModel(stateModelFrom(rules));
    const { ingestor } = setup({ store, decider: createDecider({ store, rules: () => rules, metrics }) });
    await (await ingestor.ingest([checkout('c-timed', 'pos')])).decisions;
    const counts = (await metrics.decisionDuration.get()).values.filter((v) => v.metricName?.endsWith('_count'));
    expect(counts.map((v) => [v.labels.source, v.value])).toEqual([['stream', 1]]);
    await store.close();
  });

  it('counts each applied offer response once per offer and outcome, and attributes it to the policy that decided', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const { ingestor, store } = setup({ metrics, knownOffers: () => new Set(['o1']) });
    const [d] = await (await ingestor.ingest([checkout('c-resp', 'pos')])).decisions;
    const response = (id: string, outcome: string) => ({
      id,
      type: 'offer_response',
      customerId: 'c-resp',
      time: new Date().toISOString(),
      data: { decisionId: d!.decisionId, offerId: 'o1', outcome },
    });
    expect((await ingestor.ingest([response('r1', 'accepted'), response('r1', 'accepted')])).statuses).toEqual([
      'applied',
      'duplicate',
    ]);
    expect((await ingestor.ingest([response('r1', 'accepted')])).statuses).toEqual(['duplicate']);
    const outcomes = (await metrics.offerOutcomes.get()).values.map((v) => [v.labels.offer, v.labels.outcome, v.value]);
    expect(outcomes).toEqual([['o1', 'accepted', 1]]);
    const policies = (await metrics.policyOutcomes.get()).values.map((v) => [
      v.labels.policy,
      v.labels.outcome,
      v.value,
    ]);
    expect(policies).toEqual([['default', 'accepted', 1]]);
    // o1 is worth 1: an acceptance adds its value to the policy's
    expect((await metrics.policyValue.get()).values.map((v) => [v.labels.policy, v.value])).toEqual([['default', 1]]);
    await store.close();
  });

  it("decides with the trigger event's data as the context", async () => {
    const rules = ruleSet({
      offers: [offer('big-basket', { eligibility: { '>': [{ var: 'event.data.basket.total' }, 5] } })],
    });
    const store = createMemoryStore();
    store.setModel(stateModelFrom(rules));
    const { ingestor } = setup({ store, decider: createDecider({ store, rules: () => rules }) });
    const [big, small] = await (
      await ingestor.ingest([
        checkout('c-ctx-1', 'pos'),
        checkout('c-ctx-2', 'pos', { data: { storeId: 's1', basket: { total: 2, items: [] } } }),
      ])
    ).decisions;
    expect(big!.offers.map((o) => o.offerId)).toEqual(['big-basket']);
    expect(small!.offers).toEqual([]);
    await store.close();
  });

  it('without metrics an offer response is applied all the same', async () => {
    const { ingestor, store } = setup();
    const [d] = await (await ingestor.ingest([checkout('c-nometrics', 'pos')])).decisions;
    const r = await ingestor.ingest([
      {
        id: 'r-nm',
        type: 'offer_response',
        customerId: 'c-nometrics',
        time: new Date().toISOString(),
        data: { decisionId: d!.decisionId, offerId: 'o1', outcome: 'accepted' },
      },
    ]);
    expect(r.statuses).toEqual(['applied']);
    await store.close();
  });

  it('without known offers every offer response is counted as "other"', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const { ingestor, store } = setup({ metrics });
    const [d] = await (await ingestor.ingest([checkout('c-other', 'pos')])).decisions;
    await ingestor.ingest([
      {
        id: 'r-o',
        type: 'offer_response',
        customerId: 'c-other',
        time: new Date().toISOString(),
        data: { decisionId: d!.decisionId, offerId: 'o1', outcome: 'declined' },
      },
    ]);
    expect((await metrics.offerOutcomes.get()).values.map((v) => [v.labels.offer, v.labels.outcome, v.value])).toEqual([
      ['other', 'declined', 1],
    ]);
    // a decline is attributed to the policy but adds no value
    expect(
      (await metrics.policyOutcomes.get()).values.map((v) => [v.labels.policy, v.labels.outcome, v.value]),
    ).toEqual([['default', 'declined', 1]]);
    expect((await metrics.policyValue.get()).values).toEqual([]);
    await store.close();
  });
});

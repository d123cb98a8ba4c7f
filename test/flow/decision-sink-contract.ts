import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DecisionSink, StreamDecision } from '../../src/flow/decision-sink.js';
import { until } from '../support/service.js';

/** A sink under test, with a real subscriber or consumer attached before the first publish. */
export interface SinkRig {
  sink: DecisionSink;
  /** Per subscriber (a WebSocket here or on another instance, a topic consumer): every decision it received, in arrival order. */
  received(): StreamDecision[][];
  /** How many decisions the sink has handed off so far: sent to local sockets, acknowledged by the broker. */
  handedOff(): Promise<number>;
  /** Closes the sink alone (its connections), leaving the subscribers listening. */
  closeSink(): Promise<void>;
  close(): Promise<void>;
}

export type SinkFactory = () => Promise<SinkRig>;

let seq = 0;
/** A stream decision as the ingestor makes it (request ids included, to see they survive). */
export function decision(customerId: string, over: Partial<StreamDecision> = {}): StreamDecision {
  seq++;
  return {
    type: 'decision',
    decisionId: `d-${randomBytes(4).toString('hex')}-${seq}`,
    customerId,
    channel: 'pos',
    trigger: 'checkout',
    eventId: `e-${seq}`,
    offers: [
      { offerId: 'o1', name: 'Offer o1', score: 0.5, propensity: 0.1, value: 1, payload: { n: seq }, probability: 1 },
    ],
    rulesVersion: 'v1',
    degraded: false,
    time: new Date().toISOString(),
    requestId: `req-${seq}`,
    traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`,
    policy: 'default',
    candidates: [{ offerId: 'o1', score: 0.5, propensity: 0.1 }],
    ...over,
  };
}

const perCustomer = (ds: readonly StreamDecision[]) => {
  const m = new Map<string, string[]>();
  for (const d of ds) m.set(d.customerId, [...(m.get(d.customerId) ?? []), d.decisionId]);
  return m;
};

/** Waits until every subscriber has `n` decisions, then a little longer, so a duplicate would show. */
async function receivedAll(rig: SinkRig, n: number): Promise<StreamDecision[][]> {
  await until(() => rig.received().every((got) => got.length >= n), 15_000);
  await new Promise((r) => setTimeout(r, 300));
  return rig.received();
}

/**
 * The contract every {@link DecisionSink} keeps (src/flow/decision-sink.ts): the local
 * WebSocket fan-out, the Redis fan-out across instances and the decisions topic run
 * exactly these tests, each with a real subscriber.
 */
export function describeDecisionSinkContract(name: string, factory: SinkFactory): void {
  describe(`DecisionSink contract — ${name}`, () => {
    let rig: SinkRig;
    beforeEach(async () => {
      rig = await factory();
    });
    afterEach(async () => {
      await rig.closeSink();
      await rig.close();
    });

    it('hands each decision off before publish resolves', async () => {
      const start = await rig.handedOff();
      for (let i = 0; i < 8; i++) {
        await rig.sink.publish(decision(`c-h${i % 3}`));
        expect(await rig.handedOff()).toBe(start + i + 1);
      }
    });

    it('delivers every decision exactly once, whole, in publish order per customer', async () => {
      const sent = Array.from({ length: 30 }, (_, i) => decision(`c-o${i % 4}`));
      for (const d of sent) await rig.sink.publish(d);
      for (const got of await receivedAll(rig, sent.length)) {
        expect(got).toHaveLength(sent.length);
        expect(new Set(got.map((d) => d.decisionId)).size).toBe(sent.length);
        expect(perCustomer(got)).toEqual(perCustomer(sent));
        const byId = new Map(got.map((d) => [d.decisionId, d]));
        for (const d of sent) expect(byId.get(d.decisionId)).toEqual(d);
      }
    });

    it('delivers decisions published at once (as the ingestor does) exactly once each', async () => {
      const sent = Array.from({ length: 40 }, (_, i) => decision(`c-p${i % 5}`));
      await Promise.all(sent.map(async (d) => rig.sink.publish(d)));
      for (const got of await receivedAll(rig, sent.length))
        expect(got.map((d) => d.decisionId).sort()).toEqual(sent.map((d) => d.decisionId).sort());
    });

    it('loses no decision whose publish resolved when the sink closes right after', async () => {
      const sent = Array.from({ length: 10 }, (_, i) => decision(`c-c${i % 2}`));
      for (const d of sent) await rig.sink.publish(d);
      await rig.closeSink();
      for (const got of await receivedAll(rig, sent.length)) expect(perCustomer(got)).toEqual(perCustomer(sent));
    });
  });
}

import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import type { StreamDecision } from '../../src/flow/decision-sink.js';
import { createRedisStore } from '../../src/state/redis/redis-store.js';
import { deleteByPrefix } from '../support/redis-keys.js';
import { post, startTestService } from '../support/service.js';

const checkout = (i: number) => ({
  id: `drain-${i}`,
  type: 'checkout',
  customerId: `drain-c${i}`,
  channel: 'pos',
  time: new Date().toISOString(),
  data: {
    storeId: 's-leeds-1',
    basket: { total: 7.4, items: [{ sku: '1001', category: 'coffee', price: 3.2, qty: 1 }] },
  },
});

describe('drain', () => {
  it('waits for the decisions of accepted trigger events to reach every sink and be recorded before it closes the store', async () => {
    const prefix = `t${randomBytes(4).toString('hex')}`;
    const published: StreamDecision[] = [];
    // a sink that takes its time, as a decisions topic under load does
    const slow = {
      publish: (d: StreamDecision) =>
        new Promise<void>((r) =>
          setTimeout(() => {
            published.push(d);
            r();
          }, 150),
        ),
    };
    const svc = await startTestService(
      { NBO_REDIS_URL: inject('redisUrl'), NBO_REDIS_PREFIX: prefix },
      { sinks: [slow] },
    );

    const res = await post(
      `${svc.url}/v1/events`,
      Array.from({ length: 30 }, (_, i) => checkout(i)),
    );
    expect(res.status).toBe(202);
    expect(res.body.accepted).toBe(30);
    await svc.stop(); // right after the answer: the decisions are still on their way

    expect(published).toHaveLength(30);
    const store = await createRedisStore({ url: inject('redisUrl'), prefix, statsRefreshMs: 60_000 });
    try {
      let offered = 0;
      for (const d of published) {
        const snap = await store.snapshot(d.customerId, Date.now());
        for (const o of d.offers) {
          expect(snap.offers[o.offerId]?.counts.offered, `${d.customerId} ${o.offerId}`).toBe(1);
          offered++;
        }
      }
      expect(offered).toBeGreaterThan(0);
    } finally {
      await deleteByPrefix(store.client, prefix);
      await store.close();
    }
  });
});

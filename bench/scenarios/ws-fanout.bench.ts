import WebSocket from 'ws';
import { startTestService } from '../../test/support/service.js';
import type { Scenario } from '../lib/types.js';

/** Decision messages delivered per second to 1,000 WebSocket subscribers of one channel, and how many were lost. */
export const scenario: Scenario = {
  name: 'ws-fanout',
  async run(ctx) {
    const subscribers = 1000;
    const decisions = ctx.quick ? 100 : 400;
    const svc = await startTestService();
    const received = new Array<number>(subscribers).fill(0);
    let total = 0;
    let last = 0;
    const sockets: WebSocket[] = [];
    for (let i = 0; i < subscribers; i++) {
      const ws = new WebSocket(`${svc.ws}/v1/stream?channel=pos`);
      ws.on('message', () => {
        received[i]!++;
        total++;
        last = performance.now();
      });
      sockets.push(ws);
      await new Promise((r) => ws.once('open', r));
    }
    const t0 = performance.now();
    for (let i = 0; i < decisions; i += 20) {
      const batch = Array.from({ length: Math.min(20, decisions - i) }, (_, k) => ({
        id: `f${i + k}`,
        type: 'checkout',
        customerId: `c${i + k}`,
        channel: 'pos',
        time: new Date().toISOString(),
        data: { basket: { total: 10 } },
      }));
      await fetch(`${svc.url}/v1/events`, { method: 'POST', body: JSON.stringify(batch) });
    }
    const deadline = Date.now() + 30_000;
    while (total < subscribers * decisions && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const rate = total / ((last - t0) / 1000);
    const lost = subscribers * decisions - total;
    for (const s of sockets) s.close();
    await svc.stop();
    ctx.log(`  ${total} messages to ${subscribers} subscribers: ${rate.toFixed(0)} msg/s, ${lost} lost`);
    const note = `${decisions} decisions × ${subscribers} subscribers; subscribers in the bench process`;
    return [
      {
        name: 'ws-fanout: messages delivered',
        value: rate,
        unit: 'msg/s',
        baseline: null,
        baselineValue: null,
        ratio: null,
        budget: '≥ 50,000 msg/s',
        met: rate >= 50_000,
        note,
      },
      {
        name: 'ws-fanout: messages lost',
        value: lost,
        unit: 'messages',
        baseline: null,
        baselineValue: null,
        ratio: null,
        budget: '0 lost',
        met: lost === 0,
        note,
      },
    ];
  },
};

import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { requestTrace } from '../../src/serve/request-trace.js';
import { startService, type Service } from '../../src/service/service.js';
import { checkout, get, post, SAMPLE_RULES, subscribe, until } from '../support/service.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

describe('requestTrace', () => {
  it('keeps a valid request id and trace, with a span of its own', () => {
    const t = requestTrace('pos-7/req:42', `00-${TRACE}-${PARENT}-01`);
    expect(t).toMatchObject({ requestId: 'pos-7/req:42', traceId: TRACE, parentSpanId: PARENT });
    expect(t.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(t.spanId).not.toBe(PARENT);
    expect(t.traceparent).toBe(`00-${TRACE}-${t.spanId}-01`);
  });

  it('accepts a future version with extra fields, keeping only the sampled flag', () => {
    const t = requestTrace('', `cc-${TRACE}-${PARENT}-03-whatever`);
    expect(t.traceId).toBe(TRACE);
    expect(t.traceparent).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
  });

  it.each([
    ['absent', ''],
    ['version ff', `ff-${TRACE}-${PARENT}-01`],
    ['zero trace id', `00-${'0'.repeat(32)}-${PARENT}-01`],
    ['zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['version 00 with trailing data', `00-${TRACE}-${PARENT}-01-x`],
    ['short trace id', `00-${TRACE.slice(1)}-${PARENT}-01`],
    ['not hex', `00-${TRACE.replace('4', 'g')}-${PARENT}-01`],
  ])('starts a new trace when traceparent is %s', (_why, header) => {
    const t = requestTrace('', header);
    expect(t.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(t.traceId).not.toBe(TRACE);
    expect(t.parentSpanId).toBeNull();
    expect(t.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  });

  it.each([
    ['absent', ''],
    ['with spaces', 'a b'],
    ['too long', 'x'.repeat(129)],
    ['with quotes', 'a"b'],
    ['non-ASCII', 'réq'],
  ])('generates a request id when the header is %s', (_why, header) => {
    expect(requestTrace(header, '').requestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('request ids, traces and SRE metrics in the running service', () => {
  let svc: Service & { url: string };
  const lines: Array<Record<string, unknown>> = [];
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
        cb();
      },
    });
    const config = loadConfig({
      NBO_PORT: '0',
      NBO_RULES_DIR: SAMPLE_RULES,
      NBO_RULES_WATCH: 'false',
      NBO_HOST: '127.0.0.1',
      NBO_LOG_LEVEL: 'debug',
    });
    const s = await startService(config, { log: pino({ level: 'debug' }, sink) });
    svc = Object.assign(s, { url: `http://127.0.0.1:${s.port}` });
  });
  afterAll(async () => {
    await svc.stop();
  });

  it('echoes X-Request-Id and the trace, and logs the request and its decision under them', async () => {
    const r = await post(
      `${svc.url}/v1/decide`,
      { customerId: 'c-trace', channel: 'pos', trigger: 'checkout' },
      { 'x-request-id': 'req-42', traceparent: `00-${TRACE}-${PARENT}-01` },
    );
    expect(r.status).toBe(200);
    expect(r.headers.get('x-request-id')).toBe('req-42');
    const tp = r.headers.get('traceparent')!;
    expect(tp).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
    const spanId = tp.split('-')[2];
    await until(() => lines.some((l) => l.requestId === 'req-42' && l.msg === 'request'));
    const mine = lines.filter((l) => l.requestId === 'req-42');
    expect(mine.map((l) => l.msg).sort()).toEqual(['decision', 'request']);
    for (const l of mine) expect(l).toMatchObject({ traceId: TRACE, spanId });
    expect(mine.find((l) => l.msg === 'decision')).toMatchObject({ decisionId: r.body.decisionId, channel: 'pos' });
  });

  it('generates both when absent or invalid, on every route and on errors', async () => {
    for (const headers of [{}, { 'x-request-id': 'bad id', traceparent: 'nonsense' }] as Array<
      Record<string, string>
    >) {
      const r = await get(`${svc.url}/v1/nope`, headers);
      expect(r.status).toBe(404);
      const id = r.headers.get('x-request-id')!;
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.headers.get('traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
      await until(() => lines.some((l) => l.requestId === id && l.status === 404));
    }
  });

  it('carries the request id and trace of POST /v1/events into the decisions it triggers', async () => {
    const sub = subscribe(`ws://127.0.0.1:${svc.port}/v1/stream?channel=pos&customerId=c-pushed`);
    await sub.opened;
    const r = await post(`${svc.url}/v1/events`, [checkout('c-pushed')], {
      'x-request-id': 'ev-7',
      traceparent: `00-${TRACE}-${PARENT}-00`,
    });
    expect(r.status).toBe(202);
    await until(() => sub.messages.length > 0);
    expect(sub.messages[0]).toMatchObject({
      type: 'decision',
      requestId: 'ev-7',
      traceparent: r.headers.get('traceparent'),
    });
    await until(() => lines.some((l) => l.requestId === 'ev-7' && l.msg === 'decision'));
    sub.ws.close();
  });

  it('counts applied offer outcomes per offer, duplicates once; a response naming an offer the decision did not return counts nothing', async () => {
    const dec = await post(`${svc.url}/v1/decide`, { customerId: 'c-out', channel: 'pos', trigger: 'checkout' });
    const offerId = dec.body.offers[0].offerId as string;
    const resp = (id: string, offer: string, outcome: string) => ({
      id,
      type: 'offer_response',
      customerId: 'c-out',
      time: new Date().toISOString(),
      data: { decisionId: dec.body.decisionId, offerId: offer, outcome },
    });
    const r = await post(`${svc.url}/v1/events`, [
      resp('o1', offerId, 'accepted'),
      resp('o1', offerId, 'accepted'),
      resp('o2', offerId, 'impression'),
      resp('o3', 'no-such-offer', 'declined'),
    ]);
    expect(r.body.rejected).toMatchObject([{ index: 3, code: 'NBO_ERR_RESPONSE_OFFER_MISMATCH' }]);
    const m = (await get(`${svc.url}/metrics`)).body as string;
    expect(m).toContain(`nbo_offer_outcomes_total{offer="${offerId}",outcome="accepted"} 1`);
    expect(m).toContain(`nbo_offer_outcomes_total{offer="${offerId}",outcome="impression"} 1`);
    expect(m).not.toMatch(/nbo_offer_outcomes_total\{offer="[^"]*",outcome="declined"\}/);
  });

  it('nbo_ready says what /readyz says', async () => {
    expect((await get(`${svc.url}/metrics`)).body).toMatch(/^nbo_ready 1$/m);
    svc.enterLameDuck();
    expect((await get(`${svc.url}/readyz`)).status).toBe(503);
    expect((await get(`${svc.url}/metrics`)).body).toMatch(/^nbo_ready 0$/m);
  });
});

describe('the request logger at info level', () => {
  let svc: Service & { url: string };
  let children = 0;
  beforeAll(async () => {
    const config = loadConfig({
      NBO_PORT: '0',
      NBO_RULES_DIR: SAMPLE_RULES,
      NBO_RULES_WATCH: 'false',
      NBO_HOST: '127.0.0.1',
      NBO_LOG_LEVEL: 'info',
    });
    const log = pino({ level: 'info' }, new Writable({ write: (_c, _e, cb) => cb() }));
    const child = log.child.bind(log);
    log.child = ((...args: Parameters<typeof child>) => {
      children++;
      return child(...args);
    }) as typeof log.child;
    const s = await startService(config, { log });
    svc = Object.assign(s, { url: `http://127.0.0.1:${s.port}` });
  });
  afterAll(async () => {
    await svc.stop();
  });

  it('is not built for a decision or for events when nothing logs (it costs a pino child per request)', async () => {
    const before = children;
    for (let i = 0; i < 5; i++) {
      expect((await post(`${svc.url}/v1/decide`, { customerId: `c-quiet-${i}`, channel: 'pos' })).status).toBe(200);
      expect((await post(`${svc.url}/v1/events`, [checkout(`c-quiet-${i}`)])).status).toBe(202);
    }
    expect(children - before).toBe(0);
  });
});

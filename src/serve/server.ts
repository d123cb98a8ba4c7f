import type { TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import { createLogger, type Logger } from '../config/logger.js';
import { NboError } from '../errors/codes.js';
import type { Metrics } from '../metrics/metrics.js';
import type { KeyRing, Scope } from './api-keys.js';
import { MAX_JSON_NESTING, nestedDeeperThan } from '../events/json-nesting.js';
import { CHANNEL_RE, CUSTOMER_ID_RE } from '../events/vocabulary.js';
import { bearer, factsOf, problem, problemOf, readBody, send, type Reply, type RequestFacts } from './http.js';
import type { Route, RouteContext } from './routes.js';
import { requestTrace, type RequestTrace } from './request-trace.js';
import { CLOSE, type StreamHub, type Subscription } from './stream-hub.js';
import { sameOrigin, sessionSecret } from './ui-session.js';
import { loadUws } from './uws.js';

export interface ServerOptions {
  routes: Route[];
  hub: StreamHub;
  keys: KeyRing | null;
  metrics: Metrics;
  bodyLimitBytes: number;
  ws: { maxBackpressureBytes: number; idleTimeoutS: number; maxPayloadBytes: number };
  onError: (err: unknown) => void;
  /** Each request logs through a child carrying its requestId, traceId and spanId (debug: one line per request). */
  log?: Logger;
}

export interface HttpServer {
  listen(host: string, port: number): Promise<number>;
  /** Shutting down, still serving: every reply closes its connection, so keep-alive clients move to other instances. */
  lameDuck(): void;
  /** Refuse new work (503) and wait for in-flight requests, up to `timeoutMs`. */
  drain(timeoutMs: number): Promise<void>;
  close(): void;
  inFlight(): number;
  /** Closes the listening socket (open connections stay); new connections are refused. */
  pauseAccepting(): void;
  /** Listens again on the same address; false if that failed. */
  resumeAccepting(): Promise<boolean>;
}

/**
 * What a route handler gets. A class: its `log` getter lives on the prototype. Built per
 * request as an object literal with a getter, it left the request's state to outlive
 * young-generation GCs (see Facts in http.ts).
 */
class Context implements RouteContext {
  constructor(
    readonly facts: RequestFacts,
    readonly key: RouteContext['key'],
    readonly body: unknown,
    readonly params: Record<string, string>,
    readonly trace: RequestTrace,
    private readonly makeLog: () => Logger,
    readonly debug: boolean,
  ) {}
  /** Built when first read (the request's ids on every line). */
  get log(): Logger {
    return this.makeLog();
  }
}

/**
 * The HTTP API and the WebSocket stream on uWebSockets.js. Every request goes through one
 * handler: `onAborted` first, headers read before any await, body chunks copied and
 * limited, auth and scope checked, the route run, the reply corked.
 */
export function createHttpServer(o: ServerOptions): HttpServer {
  const uws = loadUws();
  const log = o.log ?? createLogger('silent');
  const app: TemplatedApp = uws.App();
  let listenSocket: us_listen_socket | null = null;
  let bound: { host: string; port: number } | null = null;
  let draining = false;
  let closing = false;
  let inFlight = 0;
  const idle: Array<() => void> = [];

  const exact = new Map<string, Route[]>();
  const prefixed: Array<{ prefix: string; param: string; route: Route }> = [];
  for (const r of o.routes) {
    const m = /^(.*\/):([a-zA-Z]+)$/.exec(r.path);
    if (m) prefixed.push({ prefix: m[1]!, param: m[2]!, route: r });
    else exact.set(r.path, [...(exact.get(r.path) ?? []), r]);
  }
  const match = (url: string): { routes: Route[]; params: Record<string, string> } | null => {
    const e = exact.get(url);
    if (e) return { routes: e, params: {} };
    const hits = prefixed.filter(
      (p) => url.startsWith(p.prefix) && url.length > p.prefix.length && !url.slice(p.prefix.length).includes('/'),
    );
    if (hits.length === 0) return null;
    return { routes: hits.map((h) => h.route), params: { [hits[0]!.param]: url.slice(hits[0]!.prefix.length) } };
  };

  const authorize = (scope: Scope | null, secret: string | null): { key: RouteContext['key']; fail: Reply | null } => {
    if (scope === null || o.keys === null) return { key: null, fail: null };
    if (!secret) return { key: null, fail: problem('NBO_ERR_UNAUTHENTICATED', 'send Authorization: Bearer <key>') };
    const key = o.keys.authenticate(secret);
    if (!key) return { key: null, fail: problem('NBO_ERR_UNAUTHENTICATED', 'unknown API key') };
    if (!key.scopes.has(scope))
      return { key, fail: problem('NBO_ERR_FORBIDDEN', `key "${key.id}" lacks the "${scope}" scope`) };
    return { key, fail: null };
  };

  const finish = () => {
    inFlight--;
    if (inFlight === 0) for (const f of idle.splice(0)) f();
  };

  app.any('/*', (res, req) => {
    // reading: the body is still arriving; an abort then ends the request (no handler will run)
    const state = { aborted: false, counted: false, reading: false };
    const done = () => {
      if (!state.counted) return;
      state.counted = false;
      finish();
    };
    res.onAborted(() => {
      state.aborted = true;
      if (state.reading) done();
    });
    const facts = factsOf(req);
    const trace = requestTrace(facts.requestId, facts.traceparent);
    const found = match(facts.url);
    const route = found?.routes.find((r) => r.method === facts.method);
    const label = route?.name ?? (found ? 'method-not-allowed' : 'not-found');
    // the child logger is built only when something logs (not on the hot path at info)
    let child: Logger | null = null;
    const rlog = () =>
      (child ??= log.child({ requestId: trace.requestId, traceId: trace.traceId, spanId: trace.spanId }));
    const debug = log.isLevelEnabled('debug');
    const started = debug ? performance.now() : 0;
    const reply = (r: Reply) => {
      o.metrics.httpRequests.inc({ route: label, status: String(r.status) });
      send(res, r, state, closing, trace);
      if (started > 0)
        rlog().debug(
          {
            method: facts.method,
            url: facts.url,
            route: label,
            status: r.status,
            ms: Math.round((performance.now() - started) * 1000) / 1000,
          },
          'request',
        );
    };
    if (!found) return reply(problem('NBO_ERR_NOT_FOUND', `no route ${facts.method} ${facts.url}`));
    if (!route) {
      const allow = [...new Set(found.routes.map((r) => r.method))].join(', ');
      return reply({
        ...problem('NBO_ERR_METHOD_NOT_ALLOWED', `${facts.method} is not allowed on ${facts.url}; use ${allow}`),
        headers: { allow },
      });
    }
    if (draining && route.scope !== null) return reply(problem('NBO_ERR_NOT_READY', 'the server is shutting down'));
    // the page's session cookie stands for a key on reads only (ui-session.ts)
    const secret =
      bearer(facts, false) ?? (route.method === 'GET' && route.scope === 'read' ? sessionSecret(facts) : null);
    const { key, fail } = authorize(route.scope, secret);
    if (fail) return reply(fail);

    inFlight++;
    state.counted = true;
    const run = async (body: unknown) => {
      try {
        reply(await route.handler(new Context(facts, key, body, found.params, trace, rlog, debug)));
      } catch (err) {
        if (!(err instanceof NboError) || err.status >= 500) {
          // a bug: every time, with its stack and the request's ids; an expected failure (the
          // store down): onError, which logs it once per interval with a count
          if (o.log && !(err instanceof NboError && err.retriable)) rlog().error({ err }, 'request failed');
          else o.onError(err);
        }
        reply(problemOf(err));
      } finally {
        done();
      }
    };
    if (route.method === 'GET') return void run(undefined);
    state.reading = true;
    readBody(res, o.bodyLimitBytes, (buf, tooLarge) => {
      state.reading = false;
      if (tooLarge) {
        reply(problem('NBO_ERR_BODY_TOO_LARGE', `the body is over ${o.bodyLimitBytes} bytes`));
        return done();
      }
      if (nestedDeeperThan(buf!)) {
        reply(
          problem('NBO_ERR_BODY_INVALID', 'the body is nested too deep to parse', [
            { path: '$', message: `is nested deeper than ${MAX_JSON_NESTING} levels` },
          ]),
        );
        return finish();
      }
      let body: unknown;
      try {
        body = JSON.parse(buf!.toString('utf8'));
      } catch (err) {
        reply(problem('NBO_ERR_BODY_MALFORMED', (err as Error).message));
        return done();
      }
      void run(body);
    });
  });

  app.ws<Subscription>('/v1/stream', {
    maxPayloadLength: o.ws.maxPayloadBytes,
    idleTimeout: o.ws.idleTimeoutS,
    sendPingsAutomatically: true,
    // above NBO's own limit: the hub closes a slow subscriber with 1008 before uWS drops anything
    maxBackpressure: o.ws.maxBackpressureBytes * 2,
    upgrade(res, req, context) {
      const state = { aborted: false };
      res.onAborted(() => {
        state.aborted = true;
      });
      const facts = factsOf(req);
      const wsKey = req.getHeader('sec-websocket-key');
      const protocol = req.getHeader('sec-websocket-protocol');
      const extensions = req.getHeader('sec-websocket-extensions');
      const fail = (r: Reply) => {
        o.metrics.httpRequests.inc({ route: 'stream', status: String(r.status) });
        send(res, r, state);
      };
      if (draining) return fail(problem('NBO_ERR_NOT_READY', 'the server is shutting down'));
      const channel = facts.query.get('channel');
      const customerId = facts.query.get('customerId');
      const errors = [];
      if (!channel || !CHANNEL_RE.test(channel))
        errors.push({ path: '$.query.channel', message: 'is required: the channel to receive decisions for' });
      if (customerId !== null && !CUSTOMER_ID_RE.test(customerId))
        errors.push({ path: '$.query.customerId', message: 'is not a customer id' });
      if (errors.length > 0) return fail(problem('NBO_ERR_BODY_INVALID', 'invalid subscription', errors));
      const auth = authorize('stream', bearer(facts, true) ?? (sameOrigin(facts) ? sessionSecret(facts) : null));
      if (auth.fail) return fail(auth.fail);
      if (auth.key?.channels && !auth.key.channels.has(channel!))
        return fail(problem('NBO_ERR_FORBIDDEN', `key "${auth.key.id}" may not subscribe to channel "${channel}"`));
      if (state.aborted) return;
      o.metrics.httpRequests.inc({ route: 'stream', status: '101' });
      res.cork(() =>
        res.upgrade<Subscription>(
          { channel: channel!, customerId, keyId: auth.key?.id ?? null },
          wsKey,
          protocol,
          extensions,
          context,
        ),
      );
    },
    open: (ws) => o.hub.add(ws),
    close: (ws) => o.hub.remove(ws),
    message: () => {
      // subscribers only listen; anything they send is ignored
    },
  });

  return {
    listen(host, port) {
      return new Promise((resolve, reject) => {
        app.listen(host, port, (sock) => {
          if (!sock) return reject(new NboError('NBO_ERR_CONFIG_INVALID', `cannot listen on ${host}:${port}`));
          listenSocket = sock;
          bound = { host, port: uws.us_socket_local_port(sock) };
          resolve(bound.port);
        });
      });
    },
    lameDuck() {
      closing = true;
    },
    async drain(timeoutMs) {
      draining = true;
      closing = true;
      o.hub.closeAll(CLOSE.goingAway, 'server shutting down');
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, timeoutMs);
          idle.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      // let uWS flush the last replies and close frames before the caller closes everything
      await new Promise((r) => setTimeout(r, 20));
    },
    close() {
      if (listenSocket) uws.us_listen_socket_close(listenSocket);
      listenSocket = null;
      bound = null;
    },
    inFlight: () => inFlight,
    pauseAccepting() {
      if (listenSocket) uws.us_listen_socket_close(listenSocket);
      listenSocket = null;
    },
    resumeAccepting() {
      const at = bound;
      if (listenSocket || !at || draining) return Promise.resolve(listenSocket !== null);
      return new Promise((resolve) => {
        app.listen(at.host, at.port, (sock) => {
          if (sock) listenSocket = sock;
          resolve(!!sock);
        });
      });
    },
  };
}

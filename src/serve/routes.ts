import { Ajv } from 'ajv';
import type { Config } from '../config/config.js';
import type { Decider } from '../decide/decider.js';
import { MAX_LIMIT } from '../decide/rank.js';
import { customerView } from '../flow/customer-view.js';
import type { Ingestor } from '../flow/ingest.js';
import { checkPayload } from '../events/limits.js';
import { CHANNEL, CUSTOMER_ID, CUSTOMER_ID_RE, EVENT_TYPE } from '../events/vocabulary.js';
import type { Metrics } from '../metrics/metrics.js';
import { ajvIssue } from '../errors/json-path.js';
import type { RuleSet } from '../rules/types.js';
import type { CustomerStateStore } from '../state/types.js';
import type { Logger } from '../config/logger.js';
import type { PolicyPlan } from '../decide/policy.js';
import type { ApiKey, Scope } from './api-keys.js';
import { learningRoutes } from './learning-routes.js';
import { problem, type Reply, type RequestFacts } from './http.js';
import type { RequestTrace } from './request-trace.js';

export interface ReadyReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

export interface RouteDeps {
  config: Readonly<Config>;
  rules: () => RuleSet;
  store: CustomerStateStore;
  decider: Decider;
  ingestor: Ingestor;
  metrics: Metrics;
  readiness: () => Promise<ReadyReport>;
  reloadRules: () =>
    | { ok: boolean; version: string; issues?: unknown[] }
    | Promise<{ ok: boolean; version: string; issues?: unknown[] }>;
  clock: () => number;
  /** Keeps work that outlives its request (stream decisions) in view, so a drain waits for it. */
  track: (work: Promise<unknown>) => void;
  /** Holdout and experiment arms (GET /v1/learning, /v1/experiments). */
  policies: PolicyPlan;
}

export interface RouteContext {
  facts: RequestFacts;
  key: ApiKey | null;
  body: unknown;
  params: Record<string, string>;
  /** The request's id and trace context (request-trace.ts). */
  trace: RequestTrace;
  /** A logger whose lines carry the request's requestId, traceId and spanId (built when first read). */
  readonly log: Logger;
  /** Whether debug lines are logged: ask this, not `log`, so that nothing is built when they are not. */
  readonly debug: boolean;
}

export interface Route {
  method: 'GET' | 'POST';
  /** Literal path, or a prefix ending in `:param` (one trailing parameter). */
  path: string;
  /** Scope an API key needs; null: open (health, readiness, metrics). */
  scope: Scope | null;
  /** Metrics label. */
  name: string;
  handler: (ctx: RouteContext) => Promise<Reply> | Reply;
}

const decideSchema = {
  type: 'object',
  required: ['customerId', 'channel'],
  additionalProperties: false,
  properties: {
    customerId: { type: 'string', pattern: CUSTOMER_ID },
    channel: { type: 'string', pattern: CHANNEL },
    trigger: { type: ['string', 'null'], pattern: EVENT_TYPE },
    context: { type: 'object' },
    limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT },
    explain: { type: 'boolean' },
  },
} as const;
const ajv = new Ajv({ allErrors: true, allowUnionTypes: true });
const validateDecide = ajv.compile(decideSchema);

function schemaErrors(errors: typeof validateDecide.errors): Array<{ path: string; message: string }> {
  return (errors ?? []).map((e) => ajvIssue(e));
}

function forbiddenChannel(key: ApiKey | null, channel: string): Reply | null {
  if (key?.channels && !key.channels.has(channel))
    return problem('NBO_ERR_FORBIDDEN', `key "${key.id}" may not use channel "${channel}"`);
  return null;
}

/** A decision's debug line: what was decided, under the request's ids (no context, no payloads). */
function logDecision(
  log: Logger,
  dec: {
    decisionId: string;
    channel: string;
    trigger?: string | null;
    rulesVersion: string;
    offers: ReadonlyArray<{ offerId: string }>;
    degraded: boolean;
  },
): void {
  log.debug(
    {
      decisionId: dec.decisionId,
      channel: dec.channel,
      trigger: dec.trigger ?? null,
      rulesVersion: dec.rulesVersion,
      offers: dec.offers.map((o) => o.offerId),
      degraded: dec.degraded,
    },
    'decision',
  );
}

/** The HTTP API of docs/api.md and openapi.yaml. */
export function buildRoutes(d: RouteDeps): Route[] {
  return [
    {
      method: 'POST',
      path: '/v1/decide',
      scope: 'decide',
      name: 'decide',
      // `ctx.log` is read only when debug lines are logged: reading it builds the request's logger
      async handler(ctx) {
        const { body, key, debug } = ctx;
        if (!validateDecide(body))
          return problem('NBO_ERR_BODY_INVALID', 'the decide request is invalid', schemaErrors(validateDecide.errors));
        const b = body as {
          customerId: string;
          channel: string;
          trigger?: string | null;
          context?: Record<string, unknown>;
          limit?: number;
          explain?: boolean;
        };
        const over = b.context === undefined ? [] : checkPayload(b.context, '$.context', d.config.limits);
        if (over.length > 0)
          return problem('NBO_ERR_BODY_INVALID', 'the decide context is over the input limits', over);
        const no = forbiddenChannel(key, b.channel);
        if (no) return no;
        const dec = await d.decider.decide({
          customerId: b.customerId,
          channel: b.channel,
          trigger: b.trigger ?? null,
          context: b.context ?? {},
          limit: b.limit ?? 1,
          explain: b.explain ?? false,
          source: 'http',
        });
        if (debug) logDecision(ctx.log, dec);
        return {
          status: 200,
          body: {
            decisionId: dec.decisionId,
            customerId: dec.customerId,
            channel: dec.channel,
            rulesVersion: dec.rulesVersion,
            offers: dec.offers,
            degraded: dec.degraded,
            policy: dec.policy,
            candidates: dec.candidates,
            ...(dec.explanation ? { explanation: dec.explanation } : {}),
          },
        };
      },
    },
    {
      method: 'POST',
      path: '/v1/events',
      scope: 'events',
      name: 'events',
      async handler(ctx) {
        const { body, key, trace, debug } = ctx;
        const list = Array.isArray(body) ? body : [body];
        if (list.length === 0)
          return problem('NBO_ERR_BODY_INVALID', 'no events in the request', [
            { path: '$', message: 'must hold at least one event' },
          ]);
        if (list.length > d.config.maxBatch)
          return problem(
            'NBO_ERR_BODY_TOO_LARGE',
            `at most ${d.config.maxBatch} events per request, got ${list.length}`,
          );
        const res = await d.ingestor.ingest(list, {
          channels: key?.channels ?? null,
          requestId: trace.requestId,
          traceparent: trace.traceparent,
        });
        // decisions for triggers go to subscribers after the answer
        d.track(
          debug
            ? res.decisions.then((ds) => {
                for (const x of ds) logDecision(ctx.log, x);
              })
            : res.decisions,
        );
        const out = { accepted: res.accepted, duplicates: res.duplicates, rejected: res.rejected };
        if (res.accepted + res.duplicates === 0) {
          // every event refused only for its channel: the key is the problem, not the events
          if (res.rejected.every((r) => r.code === 'NBO_ERR_FORBIDDEN'))
            return problem('NBO_ERR_FORBIDDEN', `key "${key?.id}" may not send events for these channels`, undefined, {
              rejected: res.rejected,
            });
          return problem('NBO_ERR_EVENT_INVALID', 'no event in the request is valid', undefined, {
            rejected: res.rejected,
          });
        }
        return { status: 202, body: out };
      },
    },
    {
      method: 'GET',
      path: '/v1/customers/:id',
      scope: 'read',
      name: 'customer',
      async handler({ params }) {
        let id = '';
        try {
          id = decodeURIComponent(params.id ?? '');
        } catch {
          // a malformed %-escape: not a customer id
        }
        if (!CUSTOMER_ID_RE.test(id))
          return problem('NBO_ERR_BODY_INVALID', 'invalid customer id', [
            { path: '$.customerId', message: 'must be 1–128 printable characters without spaces or braces' },
          ]);
        return { status: 200, body: await customerView(d.store, d.rules(), id, d.clock()) };
      },
    },
    {
      method: 'GET',
      path: '/v1/offers',
      scope: 'read',
      name: 'offers',
      handler() {
        const now = d.clock();
        const rules = d.rules();
        const active = rules.offers.filter(
          (o) => (o.activeFromMs === null || now >= o.activeFromMs) && (o.activeToMs === null || now <= o.activeToMs),
        );
        return {
          status: 200,
          body: {
            rulesVersion: rules.version,
            offers: active.map((o) => ({
              id: o.id,
              name: o.name,
              channels: [...o.channels],
              triggers: o.triggers ? [...o.triggers] : null,
              active: {
                from: o.activeFromMs === null ? null : new Date(o.activeFromMs).toISOString(),
                to: o.activeToMs === null ? null : new Date(o.activeToMs).toISOString(),
              },
              value: o.value,
              weight: o.weight,
              fallback: o.fallback,
              payload: o.payload,
            })),
          },
        };
      },
    },
    {
      method: 'POST',
      path: '/v1/admin/rules/reload',
      scope: 'admin',
      name: 'rules-reload',
      async handler() {
        const r = await d.reloadRules();
        if (!r.ok)
          return problem(
            'NBO_ERR_RULES_INVALID',
            `the rules were refused; version ${r.version} stays live`,
            undefined,
            { issues: r.issues, rulesVersion: r.version },
          );
        return { status: 200, body: { rulesVersion: r.version } };
      },
    },
    ...learningRoutes(d),
    {
      method: 'GET',
      path: '/healthz',
      scope: null,
      name: 'healthz',
      handler: () => ({ status: 200, body: { status: 'ok' } }),
    },
    {
      method: 'GET',
      path: '/readyz',
      scope: null,
      name: 'readyz',
      async handler() {
        const r = await d.readiness();
        return { status: r.ready ? 200 : 503, body: r };
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      scope: null,
      name: 'metrics',
      async handler() {
        return { status: 200, contentType: d.metrics.registry.contentType, body: await d.metrics.registry.metrics() };
      },
    },
  ];
}

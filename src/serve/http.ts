import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { ERROR_CODES, NboError, type ErrorCode } from '../errors/codes.js';

/** What a route handler returns. */
export interface Reply {
  status: number;
  body: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

const STATUS_TEXT: Record<number, string> = {
  200: '200 OK',
  202: '202 Accepted',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  403: '403 Forbidden',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  409: '409 Conflict',
  413: '413 Payload Too Large',
  422: '422 Unprocessable Entity',
  500: '500 Internal Server Error',
  503: '503 Service Unavailable',
};

/** An RFC 9457 problem: the code as `type`, every offending path in `errors`. */
export function problem(
  code: ErrorCode,
  detail?: string,
  errors?: Array<{ path: string; message: string }>,
  extra?: Record<string, unknown>,
): Reply {
  const def = ERROR_CODES[code];
  return {
    status: def.status,
    contentType: 'application/problem+json',
    body: {
      type: `urn:nbo:error:${code}`,
      code,
      title: def.message,
      status: def.status,
      ...(detail ? { detail } : {}),
      ...(errors ? { errors } : {}),
      ...extra,
    },
  };
}

/** Any error as a problem; unexpected ones hide their message behind a 500. */
export function problemOf(err: unknown): Reply {
  if (err instanceof NboError)
    return problem(
      err.code,
      err.message,
      Array.isArray(err.details) && typeof err.details[0] === 'object' ? (err.details as never) : undefined,
    );
  return problem('NBO_ERR_INTERNAL');
}

/**
 * Reads a request body following uWS's rules: each chunk is copied (uWS reuses the
 * memory), and reading stops with a 413 as soon as the limit is passed.
 */
export function readBody(
  res: HttpResponse,
  limit: number,
  done: (body: Buffer | null, tooLarge: boolean) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  res.onData((chunk, isLast) => {
    if (over) return;
    size += chunk.byteLength;
    if (size > limit) {
      over = true;
      done(null, true);
      return;
    }
    chunks.push(Buffer.from(new Uint8Array(chunk)));
    // one chunk (the usual case): no second copy
    if (isLast) done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size), false);
  });
}

/**
 * Writes a reply, corked (one syscall), unless the client went away. `closeConnection`
 * ends the keep-alive connection after it (shutting down: the client reconnects, through
 * the load balancer, to another instance). `trace` adds X-Request-Id and traceparent.
 */
export function send(
  res: HttpResponse,
  reply: Reply,
  state: { aborted: boolean },
  closeConnection = false,
  trace: { requestId: string; traceparent: string } | null = null,
): void {
  if (state.aborted) return;
  const body =
    reply.contentType && !reply.contentType.includes('json') ? String(reply.body) : JSON.stringify(reply.body);
  res.cork(() => {
    res.writeStatus(STATUS_TEXT[reply.status] ?? String(reply.status));
    res.writeHeader('content-type', reply.contentType ?? 'application/json');
    // uWS closes idle keep-alive connections after 10 s: tell clients to retire them first
    // (closing, uWS writes `Connection: close` itself)
    if (!closeConnection) res.writeHeader('keep-alive', 'timeout=5');
    if (reply.headers) for (const k in reply.headers) res.writeHeader(k, reply.headers[k]!);
    if (trace) {
      res.writeHeader('x-request-id', trace.requestId);
      res.writeHeader('traceparent', trace.traceparent);
    }
    res.end(body, closeConnection);
  });
}

/** The request facts a handler may use, read synchronously (uWS's HttpRequest dies after the first await). */
export interface RequestFacts {
  method: string;
  url: string;
  query: URLSearchParams;
  authorization: string;
  contentType: string;
  /** The page's session cookie travels here (see ui-session.ts). */
  cookie: string;
  origin: string;
  host: string;
  forwardedProto: string;
  /** Raw `x-request-id` and `traceparent` headers ('' when absent); see request-trace.ts. */
  requestId: string;
  traceparent: string;
}

/**
 * A request's facts, read from uWS's HttpRequest before anything awaits. A class with the
 * getter (`query`) on its prototype, not an object literal with a getter closing over its
 * call: built per request, such a literal left the request's state to outlive young-generation
 * GCs — about 1.4 MB promoted per scavenge under GET /healthz, 1.6 KB as a class (bench/README.md,
 * "Fourth pass"; test/serve/request-garbage.test.ts).
 */
class Facts implements RequestFacts {
  readonly method: string;
  readonly url: string;
  readonly authorization: string;
  readonly contentType: string;
  readonly cookie: string;
  readonly origin: string;
  readonly host: string;
  readonly forwardedProto: string;
  readonly requestId: string;
  readonly traceparent: string;
  private readonly rawQuery: string;
  private parsedQuery: URLSearchParams | null = null;
  constructor(req: HttpRequest) {
    this.method = req.getCaseSensitiveMethod().toUpperCase();
    this.url = req.getUrl();
    this.rawQuery = req.getQuery() ?? '';
    this.authorization = req.getHeader('authorization');
    this.contentType = req.getHeader('content-type');
    this.cookie = req.getHeader('cookie');
    this.origin = req.getHeader('origin');
    this.host = req.getHeader('host');
    this.forwardedProto = req.getHeader('x-forwarded-proto');
    this.requestId = req.getHeader('x-request-id');
    this.traceparent = req.getHeader('traceparent');
  }
  /** Parsed when read (WebSocket upgrades): the API routes take no query. */
  get query(): URLSearchParams {
    return (this.parsedQuery ??= new URLSearchParams(this.rawQuery));
  }
}

export function factsOf(req: HttpRequest): RequestFacts {
  return new Facts(req);
}

/** The bearer secret of an `Authorization: Bearer …` header (or `?token=` for WebSockets). */
export function bearer(facts: RequestFacts, allowQueryToken: boolean): string | null {
  const m = /^Bearer\s+(\S+)$/i.exec(facts.authorization);
  if (m) return m[1]!;
  return allowQueryToken ? facts.query.get('token') : null;
}

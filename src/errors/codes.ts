/**
 * Every error NBO reports, by stable code: its HTTP status, whether retrying can help,
 * and a message. Codes are part of the public contract (problem+json `type`, DLQ
 * headers, CLI output); docs/errors.md lists them and a test keeps the two in step.
 */
export const ERROR_CODES = {
  NBO_ERR_RULES_INVALID: { status: 422, retriable: false, message: 'the rule set is invalid' },
  NBO_ERR_RULES_READ: { status: 500, retriable: true, message: 'the rules directory could not be read' },
  NBO_ERR_EVENT_INVALID: { status: 400, retriable: false, message: 'the event is invalid' },
  NBO_ERR_BODY_INVALID: { status: 400, retriable: false, message: 'the request body is invalid' },
  NBO_ERR_BODY_MALFORMED: { status: 400, retriable: false, message: 'the request body is not valid JSON' },
  NBO_ERR_BODY_TOO_LARGE: { status: 413, retriable: false, message: 'the request body is over the size limit' },
  NBO_ERR_UNAUTHENTICATED: { status: 401, retriable: false, message: 'a valid API key is required' },
  NBO_ERR_FORBIDDEN: {
    status: 403,
    retriable: false,
    message: 'the API key lacks the scope or channel for this request',
  },
  NBO_ERR_NOT_FOUND: { status: 404, retriable: false, message: 'no such route' },
  NBO_ERR_METHOD_NOT_ALLOWED: { status: 405, retriable: false, message: 'method not allowed on this route' },
  NBO_ERR_NOT_READY: { status: 503, retriable: true, message: 'the service is not ready' },
  NBO_ERR_STORE_UNAVAILABLE: { status: 503, retriable: true, message: 'the state store is unavailable' },
  NBO_ERR_STORE_DATA: { status: 500, retriable: false, message: 'the state store holds data it cannot read' },
  NBO_ERR_CONFIG_INVALID: { status: 500, retriable: false, message: 'the configuration is invalid' },
  NBO_ERR_RUNTIME_UNSUPPORTED: {
    status: 500,
    retriable: false,
    message: 'this Node.js version or platform cannot run the server',
  },
  NBO_ERR_STATE_FILE: { status: 400, retriable: false, message: 'the customer state file is invalid' },
  NBO_ERR_INTERNAL: { status: 500, retriable: true, message: 'an unexpected error; it is logged' },
  NBO_ERR_EVENT_UNPROCESSABLE: {
    status: 422,
    retriable: false,
    message: 'the event could not be processed because of its content',
  },
  NBO_ERR_RULES_SOURCE: {
    status: 409,
    retriable: false,
    message: 'rules are read from the rules directory here; publishing needs NBO_RULES_SOURCE=redis',
  },
  NBO_ERR_RULES_VERSION_UNKNOWN: { status: 404, retriable: false, message: 'no such rules version is stored' },
  NBO_ERR_EVENTS_FILE: { status: 400, retriable: false, message: 'the events file is invalid' },
  NBO_ERR_RESPONSE_UNKNOWN_DECISION: {
    status: 400,
    retriable: false,
    message: 'the offer_response names a decision NBO did not issue to this customer',
  },
  NBO_ERR_RESPONSE_OFFER_MISMATCH: {
    status: 400,
    retriable: false,
    message: 'the offer_response names an offer its decision did not return',
  },
  NBO_ERR_EXPERIMENTS_INVALID: { status: 500, retriable: false, message: 'the experiments file is invalid' },
} as const satisfies Record<string, { status: number; retriable: boolean; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The one base error: a stable code, an HTTP status, and whether a retry can succeed. */
export class NboError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retriable: boolean;
  /** Machine-readable detail (e.g. every offending path of a validation error). */
  readonly details: unknown;

  constructor(code: ErrorCode, message?: string, options?: { details?: unknown; cause?: unknown }) {
    const def = ERROR_CODES[code];
    super(message ?? def.message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NboError';
    this.code = code;
    this.status = def.status;
    this.retriable = def.retriable;
    this.details = options?.details;
  }
}

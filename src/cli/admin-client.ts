/** What the admin API answered: the status and the parsed body (problem+json on errors). */
export interface AdminReply {
  status: number;
  body: Record<string, unknown>;
}

/** A failure talking to NBO that the CLI reports as one line and exit 1. */
export class AdminError extends Error {}

/** Calls NBO's HTTP API with the admin key; network failures become an AdminError naming the URL. */
export async function adminCall(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  key: string | undefined,
  body?: unknown,
): Promise<AdminReply> {
  let url: URL;
  try {
    url = new URL(path, base.endsWith('/') ? base : `${base}/`);
  } catch {
    throw new AdminError(`--url "${base}" is not a URL`);
  }
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new AdminError(`cannot reach ${url.origin}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AdminError(`${url.href} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  return { status: res.status, body: (parsed ?? {}) as Record<string, unknown> };
}

/** One line for an error reply: `CODE: detail`. */
export function problemLine(r: AdminReply): string {
  const b = r.body as {
    code?: string;
    detail?: string;
    title?: string;
    errors?: Array<{ path: string; message: string }>;
  };
  const errs = b.errors?.map((e) => `${e.path} ${e.message}`).join('; ');
  return `${b.code ?? `HTTP ${r.status}`}: ${b.detail ?? b.title ?? 'request failed'}${errs ? ` (${errs})` : ''}`;
}

import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/config/logger.js';
import { startService, type Service, type ServiceOptions } from '../../src/service/service.js';
import { sha256Hex } from '../../src/serve/api-keys.js';

export const SAMPLE_RULES = new URL('../../rules', import.meta.url).pathname;

/** Starts NBO in-process on an ephemeral port with the given NBO_* variables. */
export async function startTestService(
  env: Record<string, string> = {},
  opts: Omit<ServiceOptions, 'log'> = {},
): Promise<Service & { url: string; ws: string }> {
  const config = loadConfig({
    NBO_PORT: '0',
    NBO_RULES_DIR: SAMPLE_RULES,
    NBO_RULES_WATCH: 'false',
    NBO_LOG_LEVEL: 'silent',
    NBO_HOST: '127.0.0.1',
    ...env,
  });
  const service = await startService(config, { log: createLogger('silent'), ...opts });
  return Object.assign(service, { url: `http://127.0.0.1:${service.port}`, ws: `ws://127.0.0.1:${service.port}` });
}

/** A keys file with the given keys; returns its path and each key's secret. */
export function keysFile(keys: Array<{ id: string; scopes: string[]; channels?: string[] }>): {
  file: string;
  secrets: Record<string, string>;
} {
  const dir = mkdtempSync(join(tmpdir(), 'nbo-keys-'));
  const secrets: Record<string, string> = {};
  const entries = keys.map((k) => {
    secrets[k.id] = `secret-${k.id}-${randomBytes(8).toString('hex')}`;
    return { ...k, sha256: sha256Hex(secrets[k.id]!) };
  });
  const file = join(dir, 'keys.json');
  writeFileSync(file, JSON.stringify(entries));
  return { file, secrets };
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    body: (await res.json()) as any,
    headers: res.headers,
  };
}

export async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (metrics)
  }
  return { status: res.status, type: res.headers.get('content-type'), body, headers: res.headers };
}

/** A WebSocket subscriber that records what it receives and how it was closed. */
export function subscribe(url: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url, { headers });
  const messages: any[] = [];
  let closed: { code: number; reason: string } | null = null;
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
  ws.on('message', (m) => messages.push(JSON.parse(String(m))));
  const done = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => {
      closed = { code, reason: String(reason) };
      resolve(closed);
    }),
  );
  return { ws, messages, opened, done, closed: () => closed };
}

/** Waits until `cond` holds (bounded). */
export async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function checkout(customerId: string, channel = 'pos', extra: Record<string, unknown> = {}) {
  return {
    id: `k-${randomBytes(6).toString('hex')}`,
    type: 'checkout',
    customerId,
    channel,
    time: new Date().toISOString(),
    data: { storeId: 's1', basket: { total: 7.4, items: [{ sku: '1', category: 'coffee', price: 3.2, qty: 1 }] } },
    ...extra,
  };
}

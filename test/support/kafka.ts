import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { get } from './service.js';

export const uid = () => randomBytes(4).toString('hex');

/** A kafkajs client for the tests' own producers, readers and admin. */
export const kafkaOn = (brokers: string[]) => new Kafka({ brokers, clientId: 'test', logLevel: logLevel.NOTHING });

/** NBO_* variables for a service on its own topics and group. */
export function kafkaEnv(brokers: string[], id: string) {
  return {
    NBO_KAFKA_BROKERS: brokers.join(','),
    NBO_KAFKA_EVENTS_TOPIC: `events-${id}`,
    NBO_KAFKA_DECISIONS_TOPIC: `decisions-${id}`,
    NBO_KAFKA_DLQ_TOPIC: `dlq-${id}`,
    NBO_KAFKA_GROUP_ID: `nbo-${id}`,
    NBO_KAFKA_FETCH_MAX_WAIT_MS: '20',
    NBO_KAFKA_SESSION_TIMEOUT_MS: '6000',
  };
}

export interface Received {
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

/** Reads everything a topic receives (its own group, one member). */
export async function collect(brokers: string[], topic: string) {
  const c = kafkaOn(brokers).consumer({ groupId: `reader-${uid()}`, maxWaitTimeInMs: 20 });
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  const got: Received[] = [];
  await c.run({
    eachMessage: async ({ message }) => {
      got.push({
        key: message.key?.toString() ?? null,
        value: message.value?.toString() ?? '',
        headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
      });
    },
  });
  return { got, stop: () => c.disconnect() };
}

/** A metric's value in a Prometheus exposition (0 when absent). */
export function metricValue(exposition: string, series: string): number {
  const line = exposition.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** The service's current metrics text. */
export async function metricsOf(url: string): Promise<string> {
  return (await get(`${url}/metrics`)).body as string;
}

/** Polls `cond` every 50 ms until it holds or `ms` passes; returns whether it held. */
export async function eventually(cond: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

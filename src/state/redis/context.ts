import type { StateModel } from '../types.js';
import type { Client } from './connect.js';
import { storeError } from './errors.js';
import type { KeyBuilder } from './keys.js';
import type { StatsCache } from './stats-cache.js';

/** What the parts of the Redis store share (redis-store.ts builds it). */
export interface StoreContext {
  client: Client;
  isCluster: boolean;
  keys: KeyBuilder;
  clock: () => number;
  dedupeHorizonMs: number;
  stats: StatsCache;
  /** The current rule model (replaced by setModel). */
  model(): StateModel;
  onBackgroundError: (err: unknown) => void;
}

/** A command's result, its failure as NBO's error (unavailable or bad data). */
export async function call<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    throw storeError(err);
  }
}

/**
 * Every Redis key NBO uses, built in one place. All keys of one customer carry the
 * customer id as hash tag (`nbo:{c-42}`, `nbo:{c-42}:seen`) so every per-customer
 * script runs unchanged on Redis Cluster; global keys carry the offer or household id.
 */
export interface KeyBuilder {
  prefix: string;
  /** Hash: profile (`p:*`), household link (`h`), aggregates (`a:*`), offer history (`o:*`). */
  customer(customerId: string): string;
  /** Zset of seen event ids, scored by the time each may be forgotten. */
  seen(customerId: string): string;
  /** Set of a household's members. */
  household(householdId: string): string;
  /** Hash of an offer's learning counters: `*:i`, `*:a`, `s:<segment>:i`, `s:<segment>:a`. */
  learning(offerId: string): string;
  /** Hash of an offer's totals: `<outcome>` lifetime, `<outcome>@<bucketMs>` packed buckets. */
  totals(offerId: string): string;
}

export function keyBuilder(prefix: string): KeyBuilder {
  return {
    prefix,
    customer: (c) => `${prefix}:{${c}}`,
    seen: (c) => `${prefix}:{${c}}:seen`,
    household: (h) => `${prefix}:hh:{${h}}`,
    learning: (o) => `${prefix}:learn:{${o}}`,
    totals: (o) => `${prefix}:tot:{${o}}`,
  };
}

/** Hash-field names inside a customer's hash. */
export const FIELD = {
  profile: (key: string) => `p:${key}`,
  household: 'h',
  aggregate: (storageKey: string) => `a:${storageKey}`,
  offer: (offerId: string) => `o:${offerId}`,
} as const;

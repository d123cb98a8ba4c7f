/**
 * Every Redis key NBO uses, built in one place. A customer's key carries the customer
 * id as hash tag (`nbo:{c-42}`) so every per-customer script runs unchanged on Redis
 * Cluster; global keys carry the offer or household id.
 */
export interface KeyBuilder {
  prefix: string;
  /**
   * Hash: profile (`p:*`), household link (`h`), aggregates (`a:*`), offer history
   * (`o:*`) and the seen event ids (`s`) — everything of one customer in one key.
   */
  customer(customerId: string): string;
  /** Set of a household's members. */
  household(householdId: string): string;
  /** Hash of an offer's learning counters per prefix (`*`, `s:<segment>`, `<arm>/…`): `:i`, `:a` lifetime, `:ri`, `:ra`, `:t` decayed. */
  learning(offerId: string): string;
  /** Hash of every policy's counts (holdout, experiment arms): `<policy>:d`, `:i`, `:a`, `:v`, `:v2`. */
  policies(): string;
  /** Hash of an offer's totals: `<outcome>` lifetime, `<outcome>@<bucketMs>` packed buckets. */
  totals(offerId: string): string;
}

export function keyBuilder(prefix: string): KeyBuilder {
  return {
    prefix,
    customer: (c) => `${prefix}:{${c}}`,
    household: (h) => `${prefix}:hh:{${h}}`,
    learning: (o) => `${prefix}:learn:{${o}}`,
    policies: () => `${prefix}:policies`,
    totals: (o) => `${prefix}:tot:{${o}}`,
  };
}

/** Hash-field names inside a customer's hash. */
export const FIELD = {
  profile: (key: string) => `p:${key}`,
  household: 'h',
  aggregate: (storageKey: string) => `a:${storageKey}`,
  seen: 's',
  offer: (offerId: string) => `o:${offerId}`,
  decisions: 'd',
} as const;

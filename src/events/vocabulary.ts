/**
 * The id and name patterns of NBO's vocabulary, one place each. Code uses these constants;
 * the JSON Schema files under src/events/schemas and src/rules/schemas and openapi.yaml carry
 * the same strings, and test/events/vocabulary.test.ts keeps them equal.
 */

/** A customer (or household) id: printable ASCII without spaces or braces (braces are Redis hash-tag delimiters). */
export const CUSTOMER_ID = '^[\\x21-\\x7a\\x7c\\x7e]{1,128}$';
/** An event type, also a decision trigger (NBO_TRIGGERS). */
export const EVENT_TYPE = '^[a-z][a-z0-9_.-]{0,63}$';
/** A channel (web, app, …) of an event, a decision, an API key. */
export const CHANNEL = '^[a-z0-9_-]{1,32}$';
/** An offer id (at most 64 characters; the offer schema says so with maxLength). */
export const OFFER_ID = '^[a-z0-9-]+$';
/** An offer id with its length bound, as events carry it. */
export const OFFER_ID_BOUNDED = '^[a-z0-9-]{1,64}$';
/** A name inside the rules: an offer's channels and triggers, a segment's id (unbounded, no dots). */
export const RULE_TOKEN = '^[a-z0-9_-]+$';
/** The name of a segmentation or aggregate (a key of segments.yaml / aggregates.yaml). */
export const RULE_NAME = '^[a-z][a-z0-9_]{0,63}$';

/** The same patterns as RegExps, for checks outside Ajv. */
export const CUSTOMER_ID_RE = new RegExp(CUSTOMER_ID);
export const EVENT_TYPE_RE = new RegExp(EVENT_TYPE);
export const CHANNEL_RE = new RegExp(CHANNEL);

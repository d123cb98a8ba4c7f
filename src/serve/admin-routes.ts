import { Ajv } from 'ajv';
import { NboError } from '../errors/codes.js';
import { ajvIssue } from '../errors/json-path.js';
import type { AdminRulesSource } from '../rules/rules-admin.js';
import { problem, type Reply } from './http.js';
import type { Route } from './routes.js';

const VERSION = '^[0-9a-f]{12}$';
const MESSAGE = { type: ['string', 'null'], maxLength: 500 } as const;
const ajv = new Ajv({ allErrors: true, allowUnionTypes: true });
const validatePublish = ajv.compile({
  type: 'object',
  required: ['files'],
  additionalProperties: false,
  properties: {
    files: {
      type: 'array',
      minItems: 1,
      maxItems: 10_000,
      items: {
        type: 'object',
        required: ['file', 'text'],
        additionalProperties: false,
        properties: {
          file: { type: 'string', pattern: '^(?!.*\\.\\.)[A-Za-z0-9_][A-Za-z0-9._/-]{0,199}$' },
          text: { type: 'string' },
        },
      },
    },
    message: MESSAGE,
  },
});
const validateRollback = ajv.compile({
  type: 'object',
  required: ['version'],
  additionalProperties: false,
  properties: { version: { type: 'string', pattern: VERSION }, message: MESSAGE },
});

function bodyErrors(errors: typeof validatePublish.errors): Array<{ path: string; message: string }> {
  return (errors ?? []).map((e) => ajvIssue(e));
}

/** A refused rule set as a problem: the same issue listing as `nbo rules check`. */
function refused(err: unknown, live: string): Reply {
  if (err instanceof NboError && err.code === 'NBO_ERR_RULES_INVALID')
    return problem('NBO_ERR_RULES_INVALID', err.message, undefined, { issues: err.details, rulesVersion: live });
  throw err;
}

/**
 * Publishing routes: the read-scope views of versions and instances, and the admin verbs
 * (publish, rollback, history, a version's files, the audit log). See docs/api.md.
 */
export function adminRoutes(rules: AdminRulesSource): Route[] {
  const versions = async () => ({
    status: 200,
    body: { live: rules.current().version, source: rules.source, versions: await rules.history() },
  });
  return [
    { method: 'GET', path: '/v1/rules/versions', scope: 'read', name: 'rules-versions', handler: versions },
    {
      method: 'GET',
      path: '/v1/instances',
      scope: 'read',
      name: 'instances',
      handler: async () => ({ status: 200, body: { instances: await rules.instances() } }),
    },
    { method: 'GET', path: '/v1/admin/rules/history', scope: 'admin', name: 'rules-history', handler: versions },
    {
      method: 'POST',
      path: '/v1/admin/rules/publish',
      scope: 'admin',
      name: 'rules-publish',
      async handler({ body, key }) {
        if (!validatePublish(body))
          return problem('NBO_ERR_BODY_INVALID', 'the publish request is invalid', bodyErrors(validatePublish.errors));
        const b = body as { files: Array<{ file: string; text: string }>; message?: string | null };
        try {
          const r = await rules.publish(b.files, { keyId: key?.id ?? null }, b.message ?? null);
          return {
            status: 200,
            body: { version: r.version, previous: r.previous, changed: r.changed, entry: r.entry },
          };
        } catch (err) {
          return refused(err, rules.current().version);
        }
      },
    },
    {
      method: 'POST',
      path: '/v1/admin/rules/rollback',
      scope: 'admin',
      name: 'rules-rollback',
      async handler({ body, key }) {
        if (!validateRollback(body))
          return problem(
            'NBO_ERR_BODY_INVALID',
            'the rollback request is invalid',
            bodyErrors(validateRollback.errors),
          );
        const b = body as { version: string; message?: string | null };
        try {
          const r = await rules.rollback(b.version, { keyId: key?.id ?? null }, b.message ?? null);
          return {
            status: 200,
            body: { version: r.version, previous: r.previous, changed: r.changed, entry: r.entry },
          };
        } catch (err) {
          return refused(err, rules.current().version);
        }
      },
    },
    {
      method: 'GET',
      path: '/v1/admin/rules/versions/:version',
      scope: 'admin',
      name: 'rules-version',
      async handler({ params }) {
        const version = params.version ?? '';
        const files = new RegExp(VERSION).test(version) ? await rules.files(version) : null;
        if (!files) return problem('NBO_ERR_RULES_VERSION_UNKNOWN', `rules version "${version}" is not stored`);
        return { status: 200, body: { version, files } };
      },
    },
    {
      method: 'GET',
      path: '/v1/admin/audit',
      scope: 'admin',
      name: 'audit',
      handler: async () => ({ status: 200, body: { entries: await rules.audit() } }),
    },
  ];
}

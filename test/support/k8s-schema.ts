import * as monitoringV1 from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import * as appsV1 from 'kubernetes-models/apps/v1';
import * as autoscalingV2 from 'kubernetes-models/autoscaling/v2';
import * as networkingV1 from 'kubernetes-models/networking.k8s.io/v1';
import * as policyV1 from 'kubernetes-models/policy/v1';
import * as coreV1 from 'kubernetes-models/v1';

/**
 * The Kubernetes JSON schemas (compiled by kubernetes-models, Kubernetes 1.27, and the
 * Prometheus Operator's CRDs) by apiVersion; each kind is a model class whose
 * prototype.validate runs its schema on `this`.
 */
const GROUPS: Record<string, Record<string, unknown>> = {
  v1: coreV1,
  'apps/v1': appsV1,
  'autoscaling/v2': autoscalingV2,
  'networking.k8s.io/v1': networkingV1,
  'policy/v1': policyV1,
  'monitoring.coreos.com/v1': monitoringV1,
};

type Validate = (this: unknown) => void;

/**
 * Validates one object against its kind's schema: types, required fields, enums and
 * formats (the schema's own checks) and, as the API server's strict field validation
 * does, fields the schema does not know. The schemas allow unknown fields, so those are
 * found by watching which properties the compiled validator reads: a field it never
 * reads (and whose object it never enumerates as a map) is not in the schema.
 */
export function schemaErrors(obj: { apiVersion?: string; kind?: string }): string[] {
  const model = (GROUPS[obj.apiVersion ?? ''] as Record<string, { prototype: { validate: Validate } }> | undefined)?.[
    obj.kind ?? ''
  ];
  if (!model) return [`no schema for ${obj.apiVersion} ${obj.kind}`];
  const read = new Set<string>();
  const enumerated = new Set<string>();
  const watch = (v: unknown, path: string): unknown => {
    if (!v || typeof v !== 'object') return v;
    return new Proxy(v as object, {
      get(t, k, r) {
        if (typeof k === 'string') read.add(`${path}/${k}`);
        return watch(Reflect.get(t, k, r), `${path}/${String(k)}`);
      },
      ownKeys(t) {
        enumerated.add(path);
        return Reflect.ownKeys(t);
      },
    });
  };
  try {
    model.prototype.validate.call(watch(obj, ''));
  } catch (err) {
    return [(err as Error).message];
  }
  const unknown: string[] = [];
  const walk = (v: unknown, path: string): void => {
    if (!v || typeof v !== 'object') return;
    for (const [k, child] of Object.entries(v)) {
      const p = `${path}/${k}`;
      if (!Array.isArray(v) && !enumerated.has(path) && !read.has(p)) unknown.push(`${p}: not a field of ${obj.kind}`);
      else walk(child, p);
    }
  };
  walk(obj, '');
  return unknown;
}

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import aggregatesSchema from './schemas/aggregates.schema.json' with { type: 'json' };
import offerSchema from './schemas/offer.schema.json' with { type: 'json' };
import segmentsSchema from './schemas/segments.schema.json' with { type: 'json' };
import { pointerToPath } from '../errors/json-path.js';
import type { RuleIssue } from './types.js';

export { pointerToPath };

export const SCHEMAS = { offer: offerSchema, aggregates: aggregatesSchema, segments: segmentsSchema } as const;

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validators: Record<keyof typeof SCHEMAS, ValidateFunction> = {
  offer: ajv.compile(offerSchema),
  aggregates: ajv.compile(aggregatesSchema),
  segments: ajv.compile(segmentsSchema),
};

function describe(e: ErrorObject): { suffix: string; message: string } {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return { suffix: `/${String(p.additionalProperty)}`, message: `unknown field "${String(p.additionalProperty)}"` };
    case 'required':
      return { suffix: '', message: `missing required field "${String(p.missingProperty)}"` };
    case 'enum':
      return { suffix: '', message: `must be one of: ${(p.allowedValues as unknown[]).join(', ')}` };
    case 'propertyNames':
      return {
        suffix: '',
        message: `"${String(p.propertyName)}" is not a valid name (lower-case letters, digits and _; starting with a letter)`,
      };
    case 'oneOf':
      return { suffix: '', message: 'must be an event type or a list of event types' };
    default:
      return { suffix: '', message: e.message ?? 'is invalid' };
  }
}

/**
 * Validates a document against one of the rules schemas; every error, each with its
 * JSON path. `idAt` names the offer / aggregate / segment an error belongs to.
 */
export function schemaIssues(
  kind: keyof typeof SCHEMAS,
  doc: unknown,
  file: string,
  prefix: string,
  idAt: (pointer: string) => string | undefined,
): RuleIssue[] {
  const validate = validators[kind];
  if (validate(doc)) return [];
  const errors = validate.errors ?? [];
  // oneOf reports each failed branch too; the oneOf error alone says it better
  const oneOfPaths = new Set(errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath));
  const issues: RuleIssue[] = [];
  for (const e of errors) {
    if (e.keyword !== 'oneOf' && oneOfPaths.has(e.instancePath) && e.schemaPath.includes('/oneOf/')) continue;
    if (e.keyword === 'pattern' && e.propertyName !== undefined) continue; // reported by propertyNames
    if (e.keyword === 'if') continue;
    const d = describe(e);
    const pointer = e.instancePath + d.suffix;
    const id = idAt(pointer);
    issues.push({
      file,
      ...(id !== undefined ? { id } : {}),
      path: pointerToPath(pointer, prefix),
      message: d.message,
    });
  }
  return issues;
}

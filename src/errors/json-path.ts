import type { ErrorObject } from 'ajv';

/** `/caps/customer/0/outcome` → `$.caps.customer[0].outcome`, under a prefix. */
export function pointerToPath(pointer: string, prefix = '$'): string {
  if (pointer === '') return prefix;
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce(
      (p, seg) =>
        /^\d+$/.test(seg)
          ? `${p}[${seg}]`
          : /^[A-Za-z_$][\w$]*$/.test(seg)
            ? `${p}.${seg}`
            : `${p}[${JSON.stringify(seg)}]`,
      prefix,
    );
}

/** The JSON pointer an Ajv error is about: for required and additionalProperties, the property itself. */
function ajvPointer(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'required') return `${e.instancePath}/${String(p.missingProperty)}`;
  if (e.keyword === 'additionalProperties') return `${e.instancePath}/${String(p.additionalProperty)}`;
  return e.instancePath;
}

/** An Ajv error as a problem's `{ path, message }`; `extraField` says what a field not in the schema is not. */
export function ajvIssue(e: ErrorObject, extraField = 'is not an allowed field'): { path: string; message: string } {
  const path = pointerToPath(ajvPointer(e));
  if (e.keyword === 'required') return { path, message: 'is required' };
  if (e.keyword === 'additionalProperties') return { path, message: extraField };
  return { path, message: e.message ?? 'is invalid' };
}

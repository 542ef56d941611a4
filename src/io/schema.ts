/**
 * JSON Schema validation (ajv) with errors that point at the key, e.g.
 * `scenario.yaml: protocol[2].until: must be string`.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { InputError } from '../core/errors.js';

const ajv = new Ajv({ allErrors: false, strict: true });
const compiled = new Map<string, ValidateFunction>();

/** `/protocol/2/until` → `protocol[2].until` */
export function keyPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

function describe(e: ErrorObject): string {
  const at = keyPath(e.instancePath);
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    return `${at ? `${at}.` : ''}${extra}: unknown key`;
  }
  if (e.keyword === 'required') return `${at ? `${at}.` : ''}${(e.params as { missingProperty: string }).missingProperty}: missing`;
  if (e.keyword === 'enum') return `${at || '(top level)'}: expected one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return `${at || '(top level)'}: ${e.message ?? 'invalid'}`;
}

/** Validate `value` against `schema`; throws InputError(source, "key: cause") on the first error. */
export function validate<T>(value: unknown, schema: Record<string, unknown>, source: string): T {
  const id = String(schema.$id ?? JSON.stringify(schema));
  let fn = compiled.get(id);
  if (!fn) { fn = ajv.compile(schema); compiled.set(id, fn); }
  if (!fn(value)) throw new InputError(source, describe(fn.errors![0]));
  return value as T;
}

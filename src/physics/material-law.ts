/**
 * Material parameter sets as data (materials/*.yaml), compiled into fast pointwise laws.
 *
 * A material file is parsed by the caller (io layer, or a test) and handed to `compileMaterial`
 * as a plain object; this module does no file I/O. It
 *   1. validates the object against `MATERIAL_SCHEMA` (ajv; materials/material.schema.json is
 *      generated from this constant and a unit test checks that the two are equal),
 *   2. checks what a schema cannot: the unit suffix of every key parses as a unit, every `cite`
 *      names a declared citation, tables have strictly increasing x, expressions use only
 *      declared symbols and whitelisted functions,
 *   3. compiles every expression once with mathjs and builds table interpolators, and
 *   4. returns a `Material` with typed accessors: `scalar(key, vars)` and `fn(key)` (a closure
 *      to call in hot loops).
 *
 * Parameter keys carry their SI unit: `diffusivity_m2_s` is m^2/s, `ocp_V` is V,
 * `exchangeCurrentDensity_A_m2` is A/m^2 (name, then `_`, then unit tokens: the first is the
 * numerator, each further token divides; a trailing digit is a power). Dimensionless quantities
 * use the names in `DIMENSIONLESS_KEYS` and nothing else.
 *
 * Symbols an expression may use, resolved in this order:
 *   - its `variables` (from `MATERIAL_VARIABLES`: x = Li stoichiometry of the active material,
 *     T_K, c_e_mol_m3 = electrolyte concentration, c_s_mol_m3 = solid concentration),
 *   - its `constants`,
 *   - the key of any `value` parameter of the same file (e.g. `maximumConcentration_mol_m3`,
 *     `referenceTemperature_K`, `activationEnergyReaction_J_mol`), so a number is written once,
 *   - the built-ins F (Faraday constant), R (gas constant) and pi.
 * Functions: only those in `ALLOWED_FUNCTIONS`. mathjs runs with `predictable: true`, so a
 * negative base under a fractional power gives NaN, never a complex number.
 *
 * Tables: `interpolation: linear` on strictly increasing x. Outside [x₀, xₙ] the table is
 * clamped to the end value (`extrapolation: clamp`, the default) or throws a RangeError
 * (`extrapolation: error`).
 *
 * Errors in the data are `InputError`s whose source is `<file>: <key path>` (e.g.
 * `materials/NMC811_OKane2022.yaml: parameters.ocp_V.table`); a missing or non-finite variable
 * at evaluation time is a RangeError (a caller bug, not the user's).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { MathJsInstance, MathNode, EvalFunction } from 'mathjs';
import { mathjs } from '../core/units.js';
import { InputError } from '../core/errors.js';
import { FARADAY, GAS_CONSTANT } from './constants.js';

/** Variables a parameter may depend on (the solver supplies them by these names). */
export const MATERIAL_VARIABLES = ['x', 'T_K', 'c_e_mol_m3', 'c_s_mol_m3'] as const;
export type MaterialVariable = (typeof MATERIAL_VARIABLES)[number];

/** Keys of dimensionless parameters (every other key must end in a unit suffix). */
export const DIMENSIONLESS_KEYS = [
  'chargeTransferCoefficient',
  'poissonRatio',
  'transferenceNumber',
  'thermodynamicFactor',
  'stoichiometryAt0Soc',
  'stoichiometryAt100Soc',
  'volumeChange',
] as const;

/** Functions an expression may call. */
export const ALLOWED_FUNCTIONS = [
  'exp', 'log', 'log10', 'sqrt', 'cbrt', 'pow', 'abs', 'min', 'max',
  'sinh', 'cosh', 'tanh', 'asinh', 'atan', 'sign',
] as const;

/** Built-in symbols available in every expression. */
export const BUILTIN_SYMBOLS: Readonly<Record<string, number>> = { F: FARADAY, R: GAS_CONSTANT, pi: Math.PI };

export const MATERIAL_KINDS = ['active', 'electrolyte', 'counter-electrode', 'binder'] as const;
export type MaterialKind = (typeof MATERIAL_KINDS)[number];

/** `name_unit_tokens`: camelCase name, then one or more unit tokens like `m2`, `mol`, `A`. */
const UNIT_KEY_PATTERN = '^[a-z][A-Za-z0-9]*(_[A-Za-z]+[0-9]?)+$';
const IDENT_PATTERN = '^[A-Za-z][A-Za-z0-9_]*$';

const rangeSchema = {
  type: 'object',
  description: 'documented range of each variable, [min, max]; the tests evaluate the law over it',
  propertyNames: { enum: [...MATERIAL_VARIABLES] },
  additionalProperties: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 },
};

/** JSON Schema of a material file (draft-07; materials/material.schema.json is generated from it). */
export const MATERIAL_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://lithomech.org/schemas/material.json',
  title: 'lithomech material parameter set',
  description:
    'One material (active material, electrolyte, counter electrode or binder) as data. SI units; the unit is part of each parameter key.',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'kind', 'name', 'citations', 'source', 'parameters'],
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9]+(_[A-Za-z0-9]+)+$', description: 'Material_AuthorYear; also the file name' },
    kind: { enum: [...MATERIAL_KINDS] },
    name: { type: 'string', minLength: 1 },
    citations: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'ref'],
        properties: {
          key: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9]*$' },
          ref: { type: 'string', minLength: 1 },
        },
      },
    },
    source: { type: 'string', minLength: 1, description: 'where the numbers were taken from' },
    note: { type: 'string' },
    parameters: {
      type: 'object',
      minProperties: 1,
      propertyNames: { anyOf: [{ pattern: UNIT_KEY_PATTERN }, { enum: [...DIMENSIONLESS_KEYS] }] },
      additionalProperties: { $ref: '#/definitions/parameter' },
    },
  },
  definitions: {
    parameter: {
      type: 'object',
      additionalProperties: false,
      oneOf: [{ required: ['value'] }, { required: ['expression'] }, { required: ['table'] }],
      dependencies: {
        expression: ['variables'],
        variables: ['expression'],
        constants: ['expression'],
        table: ['variable'],
        variable: ['table'],
        interpolation: ['table'],
        extrapolation: ['table'],
      },
      properties: {
        value: { type: 'number' },
        expression: { type: 'string', minLength: 1, description: 'mathjs expression' },
        variables: { type: 'array', uniqueItems: true, items: { enum: [...MATERIAL_VARIABLES] } },
        constants: {
          type: 'object',
          propertyNames: { pattern: IDENT_PATTERN },
          additionalProperties: { type: 'number' },
        },
        table: {
          type: 'object',
          additionalProperties: false,
          required: ['x', 'y'],
          properties: {
            x: { type: 'array', minItems: 2, items: { type: 'number' } },
            y: { type: 'array', minItems: 2, items: { type: 'number' } },
          },
        },
        variable: { enum: [...MATERIAL_VARIABLES] },
        interpolation: { enum: ['linear'] },
        extrapolation: { enum: ['clamp', 'error'] },
        range: rangeSchema,
        cite: { type: 'string' },
        note: { type: 'string' },
      },
    },
  },
} as const;

/** A parameter entry as written in the file. */
export interface ParameterEntry {
  value?: number;
  expression?: string;
  variables?: MaterialVariable[];
  constants?: Record<string, number>;
  table?: { x: number[]; y: number[] };
  variable?: MaterialVariable;
  interpolation?: 'linear';
  extrapolation?: 'clamp' | 'error';
  range?: Partial<Record<MaterialVariable, [number, number]>>;
  cite?: string;
  note?: string;
}

/** A material file as written (after YAML/JSON parsing). */
export interface MaterialFile {
  id: string;
  kind: MaterialKind;
  name: string;
  citations: { key: string; ref: string }[];
  source: string;
  note?: string;
  parameters: Record<string, ParameterEntry>;
}

export type MaterialVars = Readonly<Partial<Record<MaterialVariable, number>>>;
/** A compiled law: call it with the variables it declares. */
export type MaterialFn = (vars?: MaterialVars) => number;

export interface CompiledParameter {
  key: string;
  form: 'value' | 'expression' | 'table';
  /** mathjs unit string ('' for dimensionless), e.g. `m^2 / s`. */
  unit: string;
  variables: readonly MaterialVariable[];
  /** documented range per variable (tables: their x span). */
  range: Partial<Record<MaterialVariable, [number, number]>>;
  cite?: string;
  note?: string;
  /** the table, for plotting or checks (tables only). */
  table?: { x: Float64Array; y: Float64Array };
  fn: MaterialFn;
}

export interface Material {
  readonly id: string;
  readonly kind: MaterialKind;
  readonly name: string;
  readonly source: string;
  readonly citations: readonly { key: string; ref: string }[];
  readonly file: MaterialFile;
  /** Parameter keys in file order. */
  keys(): string[];
  has(key: string): boolean;
  parameter(key: string): CompiledParameter;
  /** Evaluate a parameter (SI) for the given variables. */
  scalar(key: string, vars?: MaterialVars): number;
  /** A fast closure for a parameter (compile once, call in loops). */
  fn(key: string): MaterialFn;
}

// created on first use (see mathjs() in core/units.ts)
let mathInstance: MathJsInstance | undefined;
const mathPredictable = (): MathJsInstance => (mathInstance ??= mathjs().create(mathjs().all, { predictable: true }));
// strictRequired off: the oneOf branches name properties declared on the parent schema.
const ajv = new Ajv({ allErrors: false, strict: true, strictRequired: false });
let validateFn: ValidateFunction | undefined;

function keyPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

function schemaError(errors: ErrorObject[]): { at: string; reason: string } {
  // propertyNames errors come in pairs (the inner pattern/enum error, then the propertyNames
  // one carrying the offending name); report the key itself.
  const pn = errors.find((e) => e.keyword === 'propertyNames');
  if (pn) {
    const name = (pn.params as { propertyName: string }).propertyName;
    const at = keyPath(pn.instancePath);
    const inParameters = at === 'parameters';
    return {
      at: at ? `${at}.${name}` : name,
      reason: inParameters
        ? `key has no unit suffix (write e.g. "${name}_m2_s"; dimensionless keys are ${DIMENSIONLESS_KEYS.join(', ')})`
        : 'not an allowed name',
    };
  }
  // a failed oneOf is preceded by the errors of its failing branches (`required` ...); report the oneOf
  const e = errors.find((x) => x.keyword === 'oneOf') ?? errors[0];
  const at = keyPath(e.instancePath);
  switch (e.keyword) {
    case 'additionalProperties':
      return { at: `${at ? `${at}.` : ''}${(e.params as { additionalProperty: string }).additionalProperty}`, reason: 'unknown key' };
    case 'required':
      return { at: `${at ? `${at}.` : ''}${(e.params as { missingProperty: string }).missingProperty}`, reason: 'missing' };
    case 'enum':
      return { at: at || '(top level)', reason: `expected one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}` };
    case 'oneOf':
      return { at: at || '(top level)', reason: 'give exactly one of value, expression, table' };
    case 'dependencies': {
      const p = e.params as { property: string; missingProperty: string };
      return { at: `${at}.${p.missingProperty}`, reason: `missing (required with "${p.property}")` };
    }
    default:
      return { at: at || '(top level)', reason: e.message ?? 'invalid' };
  }
}

/** `m2_s` → `m^2 / s`; throws if a token is not a unit mathjs knows. */
export function unitFromSuffix(tokens: string[]): string {
  const parts = tokens.map((t) => {
    const m = /^([A-Za-z]+)([0-9]?)$/.exec(t);
    if (!m) throw new Error(`bad unit token "${t}"`);
    return m[2] ? `${m[1]}^${m[2]}` : m[1];
  });
  const unit = parts.join(' / ');
  mathPredictable().unit(unit); // throws on an unknown unit
  return unit;
}

function unitOfKey(key: string): string {
  if ((DIMENSIONLESS_KEYS as readonly string[]).includes(key)) return '';
  const tokens = key.split('_').slice(1);
  return unitFromSuffix(tokens);
}

const FUNCTION_SET = new Set<string>(ALLOWED_FUNCTIONS);

/** Symbols and functions used by an expression; rejects node types other than arithmetic. */
function inspectExpression(node: MathNode): { symbols: Set<string>; functions: Set<string>; badNode?: string } {
  const symbols = new Set<string>();
  const functions = new Set<string>();
  let badNode: string | undefined;
  node.traverse((n, path, parent) => {
    switch (n.type) {
      case 'SymbolNode':
        if (parent && parent.type === 'FunctionNode' && path === 'fn') functions.add((n as unknown as { name: string }).name);
        else symbols.add((n as unknown as { name: string }).name);
        break;
      case 'FunctionNode': {
        const fnNode = (n as unknown as { fn: MathNode }).fn;
        if (fnNode.type !== 'SymbolNode') badNode ??= 'computed function call';
        break;
      }
      case 'ConstantNode': {
        const v = (n as unknown as { value: unknown }).value;
        if (typeof v !== 'number') badNode ??= `constant ${JSON.stringify(v)}`;
        break;
      }
      case 'OperatorNode':
      case 'ParenthesisNode':
        break;
      default:
        badNode ??= n.type;
    }
  });
  return { symbols, functions, badNode };
}

function finiteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Linear interpolation on strictly increasing xs (binary search), clamped or strict at the ends. */
function makeTableFn(xs: Float64Array, ys: Float64Array, variable: MaterialVariable, clamp: boolean, where: string): MaterialFn {
  const n = xs.length;
  const x0 = xs[0], xn = xs[n - 1];
  return (vars?: MaterialVars) => {
    const v = vars?.[variable];
    if (!finiteNumber(v)) throw new RangeError(`${where}: variable "${variable}" not given (or not finite)`);
    if (v <= x0) {
      if (v < x0 && !clamp) throw new RangeError(`${where}: ${variable} = ${v} below the table (${x0})`);
      return ys[0];
    }
    if (v >= xn) {
      if (v > xn && !clamp) throw new RangeError(`${where}: ${variable} = ${v} above the table (${xn})`);
      return ys[n - 1];
    }
    let lo = 0, hi = n - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (xs[mid] <= v) lo = mid; else hi = mid;
    }
    const t = (v - xs[lo]) / (xs[hi] - xs[lo]);
    return ys[lo] + t * (ys[hi] - ys[lo]);
  };
}

/**
 * Validate and compile a parsed material file.
 * @param obj the parsed YAML/JSON object
 * @param source where it came from (e.g. `materials/NMC811_OKane2022.yaml`), used in errors
 */
export function compileMaterial(obj: unknown, source: string): Material {
  validateFn ??= ajv.compile(MATERIAL_SCHEMA);
  if (!validateFn(obj)) {
    const { at, reason } = schemaError(validateFn.errors ?? []);
    throw new InputError(`${source}: ${at}`, reason);
  }
  const file = obj as MaterialFile;
  const where = (path: string) => `${source}: ${path}`;

  const fileStem = source.replace(/\\/g, '/').split('/').pop()!.replace(/\.(ya?ml|json)$/i, '');
  if (/\.(ya?ml|json)$/i.test(source) && fileStem !== file.id) {
    throw new InputError(where('id'), `"${file.id}" does not match the file name "${fileStem}"`);
  }

  const citeKeys = new Set<string>();
  file.citations.forEach((c, i) => {
    if (citeKeys.has(c.key)) throw new InputError(where(`citations[${i}].key`), `duplicate citation key "${c.key}"`);
    citeKeys.add(c.key);
  });

  // value parameters, available to expressions by key
  const values = new Map<string, number>();
  for (const [key, p] of Object.entries(file.parameters)) {
    if (p.value !== undefined) {
      if (!Number.isFinite(p.value)) throw new InputError(where(`parameters.${key}.value`), 'must be a finite number');
      values.set(key, p.value);
    }
  }

  const compiled = new Map<string, CompiledParameter>();
  for (const [key, p] of Object.entries(file.parameters)) {
    const at = `parameters.${key}`;
    let unit: string;
    try {
      unit = unitOfKey(key);
    } catch (err) {
      throw new InputError(where(at), `the unit suffix of the key does not parse as a unit (${(err as Error).message.split('\n')[0]})`);
    }
    if (p.cite !== undefined && !citeKeys.has(p.cite)) {
      throw new InputError(where(`${at}.cite`), `unknown citation key "${p.cite}" (declared: ${[...citeKeys].join(', ')})`);
    }
    const base = { key, unit, cite: p.cite, note: p.note };
    let entry: CompiledParameter;
    if (p.value !== undefined) {
      const v = p.value;
      entry = { ...base, form: 'value', variables: [], range: {}, fn: () => v };
    } else if (p.expression !== undefined) {
      entry = { ...base, ...compileExpression(p, values, where(`${at}.expression`), key) };
    } else {
      entry = { ...base, ...compileTable(p, where(`${at}.table`), where(at)) };
    }
    if (p.range) {
      for (const [name, r] of Object.entries(p.range) as [MaterialVariable, [number, number]][]) {
        if (!entry.variables.includes(name)) throw new InputError(where(`${at}.range.${name}`), `"${name}" is not a variable of this parameter`);
        if (!(r[0] <= r[1])) throw new InputError(where(`${at}.range.${name}`), `expected [min, max], got [${r.join(', ')}]`);
        entry.range[name] = [r[0], r[1]];
      }
    }
    compiled.set(key, entry);
  }

  const get = (key: string): CompiledParameter => {
    const p = compiled.get(key);
    if (!p) throw new RangeError(`${source}: no parameter "${key}" (has: ${[...compiled.keys()].join(', ')})`);
    return p;
  };
  return {
    id: file.id,
    kind: file.kind,
    name: file.name,
    source,
    citations: file.citations,
    file,
    keys: () => [...compiled.keys()],
    has: (key) => compiled.has(key),
    parameter: get,
    scalar: (key, vars) => get(key).fn(vars),
    fn: (key) => get(key).fn,
  };
}

function compileExpression(
  p: ParameterEntry,
  values: Map<string, number>,
  where: string,
  key: string,
): Pick<CompiledParameter, 'form' | 'variables' | 'range' | 'fn'> {
  const expr = p.expression!;
  const variables = [...(p.variables ?? [])];
  const constants = p.constants ?? {};
  for (const c of Object.keys(constants)) {
    if ((variables as string[]).includes(c)) throw new InputError(where, `constant "${c}" has the name of a variable`);
    if (c in BUILTIN_SYMBOLS) throw new InputError(where, `constant "${c}" shadows the built-in ${c}`);
    if (values.has(c)) throw new InputError(where, `constant "${c}" has the name of a parameter`);
    if (!Number.isFinite(constants[c])) throw new InputError(where, `constant "${c}" must be finite`);
  }
  let node: MathNode;
  let code: EvalFunction;
  try {
    node = mathPredictable().parse(expr);
    code = node.compile();
  } catch (err) {
    throw new InputError(where, `cannot parse "${expr}": ${(err as Error).message.split('\n')[0]}`);
  }
  const { symbols, functions, badNode } = inspectExpression(node);
  if (badNode) throw new InputError(where, `only arithmetic is allowed in expressions (found ${badNode})`);
  for (const f of functions) {
    if (!FUNCTION_SET.has(f)) throw new InputError(where, `function "${f}" is not allowed (allowed: ${ALLOWED_FUNCTIONS.join(', ')})`);
  }
  const scope: Record<string, number> = {};
  for (const s of symbols) {
    if ((variables as string[]).includes(s)) continue;
    if (s in constants) scope[s] = constants[s];
    else if (values.has(s) && s !== key) scope[s] = values.get(s)!;
    else if (s in BUILTIN_SYMBOLS) scope[s] = BUILTIN_SYMBOLS[s];
    else {
      const hint = (MATERIAL_VARIABLES as readonly string[]).includes(s) ? ` (add it to variables)` : '';
      throw new InputError(where, `undeclared symbol "${s}"${hint}; declare it in variables or constants`);
    }
  }
  const label = where;
  const fn: MaterialFn = (vars?: MaterialVars) => {
    for (let i = 0; i < variables.length; i++) {
      const name = variables[i];
      const v = vars?.[name];
      if (!finiteNumber(v)) throw new RangeError(`${label}: variable "${name}" not given (or not finite)`);
      scope[name] = v;
    }
    const r = code.evaluate(scope);
    if (typeof r !== 'number') throw new RangeError(`${label}: evaluated to a non-number (${String(r)})`);
    return r;
  };
  return { form: 'expression', variables, range: {}, fn };
}

function compileTable(p: ParameterEntry, where: string, whereParam: string): Pick<CompiledParameter, 'form' | 'variables' | 'range' | 'fn' | 'table'> {
  const { x, y } = p.table!;
  if (x.length !== y.length) throw new InputError(where, `x and y differ in length (${x.length} vs ${y.length})`);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) throw new InputError(where, `entry ${i} is not finite`);
    if (i > 0 && !(x[i] > x[i - 1])) {
      throw new InputError(where, `x must be strictly increasing (x[${i}] = ${x[i]} after x[${i - 1}] = ${x[i - 1]})`);
    }
  }
  const variable = p.variable!;
  const xs = Float64Array.from(x), ys = Float64Array.from(y);
  const fn = makeTableFn(xs, ys, variable, (p.extrapolation ?? 'clamp') === 'clamp', whereParam);
  return { form: 'table', variables: [variable], range: { [variable]: [xs[0], xs[xs.length - 1]] }, fn, table: { x: xs, y: ys } };
}

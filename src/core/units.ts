/**
 * Quantities with units, parsed with mathjs and returned in SI.
 *
 * Users write "0.398um", "2 mA/cm^2", "10 min"; inside, everything is SI. A bare number is taken
 * to be already in SI (metres, seconds, ...), which is what scenario files written by lithomech
 * itself contain.
 */
import { createRequire } from 'node:module';
import type { MathJsInstance, Unit } from 'mathjs';
import { InputError } from './errors.js';

let mathjsModule: typeof import('mathjs') | undefined;
/**
 * The mathjs package, loaded on first use. Loading it instantiates every mathjs function: ≈ 1 s
 * and ≈ 90 MiB on the benchmark machine, which a command that parses no unit string (e.g.
 * `lithomech tortuosity` on a file with its voxel size) should not pay.
 */
export function mathjs(): typeof import('mathjs') {
  mathjsModule ??= createRequire(import.meta.url)('mathjs') as typeof import('mathjs');
  return mathjsModule;
}
/** The default mathjs instance (default configuration), for units. */
const unitMath = (): MathJsInstance => mathjs() as unknown as MathJsInstance;

/** SI base unit string per physical dimension name used in lithomech. */
export const SI_UNITS = {
  length: 'm',
  time: 's',
  current: 'A',
  currentDensity: 'A/m^2',
  voltage: 'V',
  pressure: 'Pa',
  concentration: 'mol/m^3',
  diffusivity: 'm^2/s',
  conductivity: 'S/m',
  temperature: 'K',
  arealMass: 'kg/m^2',
} as const;
export type Dimension = keyof typeof SI_UNITS;

/**
 * Parse `text` (e.g. "0.4 um") as a quantity of the given dimension and return its value in SI.
 * @param source where the value came from (option or key), used in the error message.
 */
export function parseQuantity(text: string | number, dimension: Dimension, source: string): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text)) throw new InputError(source, `expected a finite ${dimension}, got ${text}`);
    return text;
  }
  const s = text.trim().replace(/µ/g, 'u').replace(/μ/g, 'u');
  if (s === '') throw new InputError(source, `expected a ${dimension} value, got an empty string`);
  const asNumber = Number(s);
  if (Number.isFinite(asNumber)) return asNumber;
  let value: unknown;
  const math = unitMath();
  try {
    // "10 min" as a unit first (evaluate would read `min` as the function); expressions second.
    try { value = math.unit(s); } catch { value = math.evaluate(s); }
  } catch (err) {
    throw new InputError(source, `cannot parse "${text}" as a ${dimension}: ${(err as Error).message}`);
  }
  if (typeof value === 'number') return value;
  if (!math.isUnit(value)) throw new InputError(source, `cannot parse "${text}" as a ${dimension}`);
  const unit = value as Unit;
  const si = SI_UNITS[dimension];
  if (!unit.equalBase(math.unit(si))) {
    throw new InputError(source, `"${text}" is not a ${dimension} (expected units compatible with ${si})`);
  }
  return unit.toNumber(si);
}

/** Format an SI value with a unit for reports (e.g. `3.98e-7 m`). */
export function formatQuantity(value: number, dimension: Dimension): string {
  return `${Number(value.toPrecision(6))} ${SI_UNITS[dimension]}`;
}

/**
 * Parse a voxel size given as "0.4 um", a number (metres) or a list of three of those.
 * @param source where it came from, for error messages
 */
export function parseVoxelSize(value: unknown, source: string): [number, number, number] {
  const one = (v: unknown): number => {
    if (typeof v !== 'number' && typeof v !== 'string') {
      throw new InputError(source, `expected a length like "0.4 um" or a number in metres, got ${JSON.stringify(v)}`);
    }
    const x = parseQuantity(v, 'length', source);
    if (!(x > 0) || !Number.isFinite(x)) throw new InputError(source, `voxel size must be positive, got ${JSON.stringify(v)}`);
    return x;
  };
  if (Array.isArray(value)) {
    if (value.length !== 3) throw new InputError(source, `expected 3 voxel edge lengths [dx, dy, dz], got ${value.length}`);
    return [one(value[0]), one(value[1]), one(value[2])];
  }
  const s = one(value);
  return [s, s, s];
}

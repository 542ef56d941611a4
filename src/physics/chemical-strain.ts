/**
 * Chemical (stress-free, "eigen") strain of an active material as a function of its Li content.
 * Strains are small (linear kinematics); Voigt vectors [xx, yy, zz, yz, xz, xy] with ENGINEERING
 * shear, as everywhere in lithomech.
 *
 * 1. Isotropic, from the partial molar volume Ω:  ε* = (Ω / 3)(c − c₀) I.
 * 2. Isotropic, from a material's relative volume change ΔV/V(x) (`volumeChange` in
 *    materials/*.yaml):  ε* = [ΔV/V(x) − ΔV/V(x₀)] / 3 · I (small-strain form, consistent with 1:
 *    the shipped volumeChange laws are Ω c_max x).
 * 3. Anisotropic, from lattice-parameter tables a(x), c(x) of a layered (R-3m) oxide: in the crystal
 *    frame ε*_c = diag(ε_a, ε_a, ε_c) with ε_a = a(x)/a(x₀) − 1 (a and b axes) and
 *    ε_c = c(x)/c(x₀) − 1, rotated into the sample frame by the grain's orientation g:
 *    ε*_s = gᵀ ε*_c g.
 *
 * Orientation: Bunge Euler angles (φ₁, Φ, φ₂), rotations Z–X–Z. g = R_z(φ₂) R_x(Φ) R_z(φ₁) is the
 * passive rotation taking sample-frame components to crystal-frame components (v_c = g v_s); its
 * rows are the crystal axes expressed in the sample frame (Bunge 1982, Texture Analysis in
 * Materials Science, eq. 2.39). Random orientations are uniform on SO(3): φ₁, φ₂ uniform in
 * [0, 2π), cos Φ uniform in [−1, 1].
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { InputError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { Material } from './material-law.js';

/** ε*_iso = (Ω/3)(c − c₀) (the normal component; shear is zero). */
export function isotropicChemicalStrain(partialMolarVolume: number, c: number, c0: number): number {
  return (partialMolarVolume / 3) * (c - c0);
}

/**
 * The isotropic chemical strain law of a material: x ↦ [ΔV/V(x) − ΔV/V(x₀)] / 3 from its
 * `volumeChange`, else (Ω/3) c_max (x − x₀) from `partialMolarVolume_m3_mol` and
 * `maximumConcentration_mol_m3`. InputError naming the material when it has neither.
 */
export function volumetricStrainLaw(m: Material, xRef: number): (x: number) => number {
  if (m.has('volumeChange')) {
    const dv = m.fn('volumeChange');
    const v0 = dv({ x: xRef });
    return (x) => (dv({ x }) - v0) / 3;
  }
  if (m.has('partialMolarVolume_m3_mol') && m.has('maximumConcentration_mol_m3')) {
    const omega = m.scalar('partialMolarVolume_m3_mol'), cmax = m.scalar('maximumConcentration_mol_m3');
    return (x) => isotropicChemicalStrain(omega, x * cmax, xRef * cmax);
  }
  throw new InputError(`${m.id}: parameters`, 'no volumeChange and no partialMolarVolume_m3_mol: the material has no chemical strain law');
}

// ----------------------------------------------------------------------------- lattice tables

/** A lattice-parameter table of a layered oxide as written in materials/lattice/*.yaml. */
export interface LatticeTableFile {
  id: string;
  name: string;
  /** Crystal system / space group the a and c axes refer to (informative). */
  structure: string;
  citations: { key: string; ref: string }[];
  source: string;
  note?: string;
  /** Material ids (materials/<id>.yaml) this table applies to: `swell` uses it for them by default. */
  materials?: string[];
  /** x = Li fraction in Li_xMO2, strictly increasing. */
  x: number[];
  latticeA_m: number[];
  latticeC_m: number[];
  cite: string;
}

export const LATTICE_TABLE_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'lithomech lattice-parameter table (layered oxide, hexagonal setting)',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'structure', 'citations', 'source', 'x', 'latticeA_m', 'latticeC_m', 'cite'],
  properties: {
    id: { type: 'string', pattern: '^[A-Za-z0-9]+(_[A-Za-z0-9]+)+$' },
    name: { type: 'string', minLength: 1 },
    structure: { type: 'string', minLength: 1 },
    citations: {
      type: 'array', minItems: 1,
      items: { type: 'object', additionalProperties: false, required: ['key', 'ref'], properties: { key: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9]*$' }, ref: { type: 'string', minLength: 1 } } },
    },
    source: { type: 'string', minLength: 1, description: 'paper, figure or table the numbers come from' },
    note: { type: 'string' },
    materials: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z0-9]+(_[A-Za-z0-9]+)+$' } },
    x: { type: 'array', minItems: 2, items: { type: 'number' } },
    latticeA_m: { type: 'array', minItems: 2, items: { type: 'number' } },
    latticeC_m: { type: 'array', minItems: 2, items: { type: 'number' } },
    cite: { type: 'string' },
  },
} as const;

let validateLattice: ValidateFunction | undefined;

/** A compiled lattice table: strains relative to a reference Li fraction. */
export interface LatticeTable {
  readonly id: string;
  readonly file: LatticeTableFile;
  /** a(x), c(x) [m], linear interpolation, clamped outside the table (reported by `inRange`). */
  a(x: number): number;
  c(x: number): number;
  inRange(x: number): boolean;
  /** [ε_a, ε_c] = [a(x)/a(x₀) − 1, c(x)/c(x₀) − 1]. */
  strains(x: number, xRef: number): [number, number];
}

function interpolate(xs: number[], ys: number[], x: number): number {
  const n = xs.length;
  if (x <= xs[0]) return ys[0];
  if (x >= xs[n - 1]) return ys[n - 1];
  let lo = 0, hi = n - 1;
  while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (xs[mid] <= x) lo = mid; else hi = mid; }
  const t = (x - xs[lo]) / (xs[hi] - xs[lo]);
  return ys[lo] + t * (ys[hi] - ys[lo]);
}

/** Validate and compile a parsed lattice table (no file I/O; `source` goes into errors). */
export function compileLatticeTable(obj: unknown, source: string): LatticeTable {
  validateLattice ??= new Ajv({ allErrors: false, strict: true }).compile(LATTICE_TABLE_SCHEMA);
  if (!validateLattice(obj)) {
    const e = validateLattice.errors?.[0];
    throw new InputError(`${source}: ${(e?.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.') || '(top level)'}`, e?.message ?? 'invalid lattice table');
  }
  const f = obj as LatticeTableFile;
  const n = f.x.length;
  if (f.latticeA_m.length !== n || f.latticeC_m.length !== n) throw new InputError(`${source}: latticeA_m/latticeC_m`, `must have as many entries as x (${n})`);
  for (let i = 1; i < n; i++) if (!(f.x[i] > f.x[i - 1])) throw new InputError(`${source}: x`, `must be strictly increasing (x[${i}] = ${f.x[i]} after ${f.x[i - 1]})`);
  for (const [k, arr] of [['latticeA_m', f.latticeA_m], ['latticeC_m', f.latticeC_m]] as const) {
    // lattice parameters of oxides are a few ångström: catch values written in Å instead of m
    for (let i = 0; i < n; i++) if (!(arr[i] > 1e-10 && arr[i] < 1e-8)) throw new InputError(`${source}: ${k}[${i}]`, `${arr[i]} is not a lattice parameter in metres (expected 1e-10 … 1e-8; write 2.87e-10, not 2.87)`);
  }
  if (!f.citations.some((c) => c.key === f.cite)) throw new InputError(`${source}: cite`, `"${f.cite}" is not one of the citations (${f.citations.map((c) => c.key).join(', ')})`);
  const a = (x: number): number => interpolate(f.x, f.latticeA_m, x);
  const c = (x: number): number => interpolate(f.x, f.latticeC_m, x);
  return {
    id: f.id, file: f, a, c,
    inRange: (x) => x >= f.x[0] && x <= f.x[n - 1],
    strains: (x, xRef) => [a(x) / a(xRef) - 1, c(x) / c(xRef) - 1],
  };
}

// ----------------------------------------------------------------------------- orientations

/** Bunge Euler angles [φ₁, Φ, φ₂] in radians. */
export type EulerAngles = readonly [number, number, number];

/** g (3 × 3 row-major) for Bunge angles: rows are the crystal axes in the sample frame. */
export function bungeMatrix([p1, P, p2]: EulerAngles): Float64Array {
  const c1 = Math.cos(p1), s1 = Math.sin(p1), c = Math.cos(P), s = Math.sin(P), c2 = Math.cos(p2), s2 = Math.sin(p2);
  return Float64Array.from([
    c1 * c2 - s1 * s2 * c, s1 * c2 + c1 * s2 * c, s2 * s,
    -c1 * s2 - s1 * c2 * c, -s1 * s2 + c1 * c2 * c, c2 * s,
    s1 * s, -c1 * s, c,
  ]);
}

/** n orientations uniform on SO(3), deterministic by seed (src/core/rng). */
export function randomOrientations(n: number, seed: number): EulerAngles[] {
  const rng = new Rng(seed);
  const out: EulerAngles[] = [];
  for (let i = 0; i < n; i++) {
    const p1 = 2 * Math.PI * rng.uniform();
    const P = Math.acos(1 - 2 * rng.uniform());
    const p2 = 2 * Math.PI * rng.uniform();
    out.push([p1, P, p2]);
  }
  return out;
}

/**
 * Sample-frame Voigt eigenstrain (engineering shear) of the crystal-frame strain
 * diag(εa, εa, εc) for orientation g (bungeMatrix): ε_ij = Σ_k g_ki g_kj ε_k.
 */
export function rotatedLatticeStrain(ea: number, ec: number, g: Float64Array, out = new Float64Array(6), o = 0): Float64Array {
  const e = [ea, ea, ec];
  const t = (i: number, j: number): number => e[0] * g[i] * g[j] + e[1] * g[3 + i] * g[3 + j] + e[2] * g[6 + i] * g[6 + j];
  out[o] = t(0, 0); out[o + 1] = t(1, 1); out[o + 2] = t(2, 2);
  out[o + 3] = 2 * t(1, 2); out[o + 4] = 2 * t(0, 2); out[o + 5] = 2 * t(0, 1);
  return out;
}

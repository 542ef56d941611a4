/**
 * Isotropic linear elasticity at a point, and the stress invariants lithomech reports.
 *
 * Voigt notation as in src/fem/q1-hexahedron.ts: vectors [xx, yy, zz, yz, xz, xy]; strains carry
 * ENGINEERING shear (γ_yz = 2 ε_yz, ...), stresses the tensor components. Then σ = C ε with the
 * symmetric 6 × 6 C below and the strain energy density is w = ½ σ · ε (the Voigt dot product,
 * which counts each shear pair once with γ = 2ε).
 *
 * Lamé constants from Young's modulus E and Poisson's ratio ν:
 *   λ = E ν / ((1 + ν)(1 − 2ν)),  μ = E / (2 (1 + ν)),  K = E / (3 (1 − 2ν)).
 */
import { InputError } from '../core/errors.js';
import { isotropicStiffness } from '../fem/q1-hexahedron.js';
import type { Material } from './material-law.js';

export class LinearElastic {
  readonly lambda: number;
  readonly mu: number;
  /** Bulk modulus K. */
  readonly bulk: number;
  private readonly C: Float64Array;

  /**
   * @param E Young's modulus [Pa] (> 0)
   * @param nu Poisson's ratio, −1 < ν < 0.5
   * @param source where E and ν came from (file or option), for the error message
   */
  constructor(readonly E: number, readonly nu: number, source = 'elastic constants') {
    if (!(E > 0 && Number.isFinite(E))) throw new InputError(source, `Young's modulus must be a positive number, got ${E}`);
    if (!(nu > -1 && nu < 0.5)) throw new InputError(source, `Poisson's ratio must lie in (−1, 0.5), got ${nu}`);
    this.lambda = (E * nu) / ((1 + nu) * (1 - 2 * nu));
    this.mu = E / (2 * (1 + nu));
    this.bulk = E / (3 * (1 - 2 * nu));
    this.C = isotropicStiffness(E, nu);
  }

  /**
   * From a compiled material file with `youngsModulus_Pa` and `poissonRatio` (constants).
   * Throws InputError naming the file and key when one is missing.
   */
  static fromMaterial(m: Material): LinearElastic {
    for (const key of ['youngsModulus_Pa', 'poissonRatio']) {
      if (!m.has(key)) throw new InputError(`${m.id}: parameters.${key}`, 'missing: mechanics needs the Young modulus and Poisson ratio of every solid phase');
      if (m.parameter(key).variables.length > 0) throw new InputError(`${m.id}: parameters.${key}`, 'must be a constant for linear elasticity (it depends on variables)');
    }
    return new LinearElastic(m.scalar('youngsModulus_Pa'), m.scalar('poissonRatio'), m.id);
  }

  /** P-wave (constrained, uniaxial-strain) modulus M = λ + 2μ. */
  get pWaveModulus(): number {
    return this.lambda + 2 * this.mu;
  }

  /** A copy of the 6 × 6 Voigt stiffness (row-major). */
  stiffness(): Float64Array {
    return this.C.slice();
  }

  /** σ = C ε (strain with engineering shear). Writes 6 values into `out` at `o`. */
  stress(strain: ArrayLike<number>, out = new Float64Array(6), o = 0, so = 0): Float64Array {
    const l = this.lambda, m = this.mu;
    const tr = strain[so] + strain[so + 1] + strain[so + 2];
    out[o] = l * tr + 2 * m * strain[so];
    out[o + 1] = l * tr + 2 * m * strain[so + 1];
    out[o + 2] = l * tr + 2 * m * strain[so + 2];
    out[o + 3] = m * strain[so + 3];
    out[o + 4] = m * strain[so + 4];
    out[o + 5] = m * strain[so + 5];
    return out;
  }
}

/** von Mises equivalent stress of the Voigt stress at s[o..o+5]. */
export function vonMises(s: ArrayLike<number>, o = 0): number {
  const a = s[o] - s[o + 1], b = s[o + 1] - s[o + 2], c = s[o + 2] - s[o];
  return Math.sqrt(0.5 * (a * a + b * b + c * c) + 3 * (s[o + 3] ** 2 + s[o + 4] ** 2 + s[o + 5] ** 2));
}

/** Hydrostatic (mean) stress σ_h = tr σ / 3. */
export function hydrostatic(s: ArrayLike<number>, o = 0): number {
  return (s[o] + s[o + 1] + s[o + 2]) / 3;
}

/** Strain energy density w = ½ σ · ε (Voigt; ε with engineering shear). */
export function strainEnergyDensity(stress: ArrayLike<number>, strain: ArrayLike<number>, o = 0): number {
  let w = 0;
  for (let i = 0; i < 6; i++) w += stress[o + i] * strain[o + i];
  return 0.5 * w;
}

/**
 * Eigenvalues of the symmetric 3 × 3 tensor given in Voigt order [xx, yy, zz, yz, xz, xy] (tensor
 * components, i.e. a stress), sorted descending: closed form by the trigonometric solution of the
 * characteristic cubic (Smith 1961, Commun. ACM 4:168). Writes [s1 ≥ s2 ≥ s3] into out.
 * Accuracy: round-off relative to the largest value, except at a double root, where the acos step
 * loses about half the digits (error ≈ 1e-8 relative) — ample for reporting stresses.
 */
export function principalValues(t: ArrayLike<number>, o = 0, out = new Float64Array(3)): Float64Array {
  const a11 = t[o], a22 = t[o + 1], a33 = t[o + 2], a23 = t[o + 3], a13 = t[o + 4], a12 = t[o + 5];
  const p1 = a12 * a12 + a13 * a13 + a23 * a23;
  const q = (a11 + a22 + a33) / 3;
  const d1 = a11 - q, d2 = a22 - q, d3 = a33 - q;
  const p2 = d1 * d1 + d2 * d2 + d3 * d3 + 2 * p1;
  const scale = Math.max(Math.abs(a11), Math.abs(a22), Math.abs(a33), Math.sqrt(p1));
  if (p2 <= 1e-30 * scale * scale || p1 === 0) {
    // diagonal (or isotropic): sort the diagonal
    const v = p1 === 0 ? [a11, a22, a33] : [q, q, q];
    v.sort((x, y) => y - x);
    out[0] = v[0]; out[1] = v[1]; out[2] = v[2];
    return out;
  }
  const p = Math.sqrt(p2 / 6);
  // det(B) / 2 with B = (A − q I) / p
  const b11 = d1 / p, b22 = d2 / p, b33 = d3 / p, b12 = a12 / p, b13 = a13 / p, b23 = a23 / p;
  const det = b11 * (b22 * b33 - b23 * b23) - b12 * (b12 * b33 - b23 * b13) + b13 * (b12 * b23 - b22 * b13);
  const r = Math.min(1, Math.max(-1, det / 2));
  const phi = Math.acos(r) / 3;
  const e1 = q + 2 * p * Math.cos(phi);
  const e3 = q + 2 * p * Math.cos(phi + (2 * Math.PI) / 3);
  out[0] = e1; out[1] = 3 * q - e1 - e3; out[2] = e3;
  return out;
}

/** Largest principal value of a Voigt stress. */
export function maxPrincipal(s: ArrayLike<number>, o = 0): number {
  return principalValues(s, o)[0];
}

/**
 * Trilinear (Q1) hexahedron on an axis-aligned box element of size hx × hy × hz.
 *
 * Local node numbering: node k = i + 2 j + 4 l with (i, j, l) ∈ {0, 1}³ and i (x) fastest — the
 * same order as the voxel axis convention, so node k of the element whose low corner is grid
 * node (X, Y, Z) is grid node (X + i, Y + j, Z + l). Reference coordinates (ξ, η, ζ) ∈ [−1, 1]³
 * map to the box by x = hx (1 + ξ) / 2 (and likewise y, z); node k sits at ξ = 2i − 1, η = 2j − 1,
 * ζ = 2l − 1.
 *
 * Vector (elasticity) DOFs: local DOF 3k + c is component c ∈ {x, y, z} of node k.
 *
 * Voigt notation everywhere: strain/stress vectors [xx, yy, zz, yz, xz, xy] with ENGINEERING shear
 * strains (γ_yz = 2 ε_yz, ...), so σ = C ε with a symmetric 6 × 6 C and the energy density ½ εᵀ C ε.
 *
 * All element matrices are returned row-major in Float64Array (n × n at [r·n + c]); they are
 * computed with the 2 × 2 × 2 Gauss rule, which integrates the Q1 stiffness of a box exactly
 * (the mass matrix needs 2 points per direction too: its integrand is quadratic per direction).
 */
import { CholeskyDecomposition, Matrix } from 'ml-matrix';

/** Box element edge lengths [hx, hy, hz]. */
export type BoxSize = readonly [number, number, number];

/** (i, j, l) of local node k (i fastest). */
export const Q1_NODE_OFFSETS: ReadonlyArray<readonly [number, number, number]> = [
  [0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 1], [1, 0, 1], [0, 1, 1], [1, 1, 1],
];

/** A tensor-product Gauss rule on [−1, 1]³: points as [ξ, η, ζ] triples and weights (Σ w = 8). */
export interface GaussRule {
  points: Float64Array; // length 3 · count
  weights: Float64Array;
  count: number;
}

const GAUSS_1D: Record<number, { x: number[]; w: number[] }> = {
  1: { x: [0], w: [2] },
  2: { x: [-1 / Math.sqrt(3), 1 / Math.sqrt(3)], w: [1, 1] },
  3: { x: [-Math.sqrt(3 / 5), 0, Math.sqrt(3 / 5)], w: [5 / 9, 8 / 9, 5 / 9] },
};

/** n × n × n Gauss–Legendre rule (n = 1, 2 or 3; exact for polynomials of degree 2n − 1 per direction). Point order: ξ fastest. */
export function gaussRule(n: 1 | 2 | 3 = 2): GaussRule {
  const g = GAUSS_1D[n];
  if (!g) throw new RangeError(`gaussRule: n must be 1, 2 or 3, got ${n}`);
  const count = n * n * n;
  const points = new Float64Array(3 * count), weights = new Float64Array(count);
  let q = 0;
  for (let c = 0; c < n; c++) for (let b = 0; b < n; b++) for (let a = 0; a < n; a++, q++) {
    points[3 * q] = g.x[a]; points[3 * q + 1] = g.x[b]; points[3 * q + 2] = g.x[c];
    weights[q] = g.w[a] * g.w[b] * g.w[c];
  }
  return { points, weights, count };
}

/** The 2 × 2 × 2 Gauss rule (8 points, unit weights). */
export const GAUSS_2 = gaussRule(2);

function checkBox(h: BoxSize): void {
  if (h.length !== 3 || !h.every((v) => v > 0 && Number.isFinite(v))) throw new RangeError(`Q1 element: box size must be 3 positive numbers, got [${h.join(', ')}]`);
}

/** The 8 shape functions N_k(ξ, η, ζ). */
export function q1ShapeFunctions(xi: number, eta: number, zeta: number, out = new Float64Array(8)): Float64Array {
  for (let k = 0; k < 8; k++) {
    const [i, j, l] = Q1_NODE_OFFSETS[k];
    out[k] = 0.125 * (1 + (2 * i - 1) * xi) * (1 + (2 * j - 1) * eta) * (1 + (2 * l - 1) * zeta);
  }
  return out;
}

/** Physical gradients ∂N_k/∂x_d at (ξ, η, ζ), stored at [3k + d]. */
export function q1ShapeGradients(h: BoxSize, xi: number, eta: number, zeta: number, out = new Float64Array(24)): Float64Array {
  const sx = 2 / h[0], sy = 2 / h[1], sz = 2 / h[2];
  for (let k = 0; k < 8; k++) {
    const [i, j, l] = Q1_NODE_OFFSETS[k];
    const a = 2 * i - 1, b = 2 * j - 1, c = 2 * l - 1;
    const fx = 1 + a * xi, fy = 1 + b * eta, fz = 1 + c * zeta;
    out[3 * k] = 0.125 * a * fy * fz * sx;
    out[3 * k + 1] = 0.125 * fx * b * fz * sy;
    out[3 * k + 2] = 0.125 * fx * fy * c * sz;
  }
  return out;
}

/** Jacobian determinant of the box map (constant): hx hy hz / 8. */
export function q1JacobianDeterminant(h: BoxSize): number {
  return (h[0] * h[1] * h[2]) / 8;
}

/** 8 × 8 scalar stiffness ∫ ∇N_a · ∇N_b dV (Laplace). */
export function q1LaplaceStiffness(h: BoxSize): Float64Array {
  checkBox(h);
  const K = new Float64Array(64), g = new Float64Array(24);
  const det = q1JacobianDeterminant(h), P = GAUSS_2.points, W = GAUSS_2.weights;
  for (let q = 0; q < GAUSS_2.count; q++) {
    q1ShapeGradients(h, P[3 * q], P[3 * q + 1], P[3 * q + 2], g);
    const w = W[q] * det;
    for (let a = 0; a < 8; a++) for (let b = 0; b < 8; b++) {
      K[8 * a + b] += w * (g[3 * a] * g[3 * b] + g[3 * a + 1] * g[3 * b + 1] + g[3 * a + 2] * g[3 * b + 2]);
    }
  }
  return K;
}

/** 8 × 8 consistent mass matrix ∫ N_a N_b dV (entries sum to the element volume). */
export function q1MassMatrix(h: BoxSize): Float64Array {
  checkBox(h);
  const M = new Float64Array(64), N = new Float64Array(8);
  const det = q1JacobianDeterminant(h), P = GAUSS_2.points, W = GAUSS_2.weights;
  for (let q = 0; q < GAUSS_2.count; q++) {
    q1ShapeFunctions(P[3 * q], P[3 * q + 1], P[3 * q + 2], N);
    const w = W[q] * det;
    for (let a = 0; a < 8; a++) for (let b = 0; b < 8; b++) M[8 * a + b] += w * N[a] * N[b];
  }
  return M;
}

/**
 * 6 × 6 isotropic stiffness (Voigt, engineering shear) from Young's modulus E and Poisson's
 * ratio ν ∈ (−1, 0.5).
 */
export function isotropicStiffness(E: number, nu: number): Float64Array {
  if (!(E > 0 && Number.isFinite(E))) throw new RangeError(`isotropicStiffness: E must be > 0, got ${E}`);
  if (!(nu > -1 && nu < 0.5)) throw new RangeError(`isotropicStiffness: ν must be in (−1, 0.5), got ${nu}`);
  const lambda = (E * nu) / ((1 + nu) * (1 - 2 * nu));
  const mu = E / (2 * (1 + nu));
  return lameStiffness(lambda, mu);
}

/** 6 × 6 isotropic stiffness from the Lamé constants λ and μ. */
export function lameStiffness(lambda: number, mu: number): Float64Array {
  const C = new Float64Array(36);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) C[6 * i + j] = lambda;
    C[6 * i + i] = lambda + 2 * mu;
    C[6 * (i + 3) + i + 3] = mu;
  }
  return C;
}

/**
 * Checks that C is a symmetric positive definite 6 × 6 matrix (general anisotropic stiffness) and
 * returns it as a Float64Array copy. Throws a RangeError otherwise.
 */
export function checkStiffness(C: ArrayLike<number>, what = 'stiffness'): Float64Array {
  if (C.length !== 36) throw new RangeError(`${what}: expected 36 entries (6 × 6 Voigt), got ${C.length}`);
  const c = Float64Array.from(C);
  let maxAbs = 0;
  for (let i = 0; i < 36; i++) {
    if (!Number.isFinite(c[i])) throw new RangeError(`${what}: entry ${i} is not finite`);
    maxAbs = Math.max(maxAbs, Math.abs(c[i]));
  }
  for (let i = 0; i < 6; i++) for (let j = 0; j < i; j++) {
    if (Math.abs(c[6 * i + j] - c[6 * j + i]) > 1e-12 * maxAbs) throw new RangeError(`${what}: not symmetric (C[${i}][${j}] ≠ C[${j}][${i}])`);
  }
  const m = new Matrix(6, 6);
  for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) m.set(i, j, c[6 * i + j]);
  if (!new CholeskyDecomposition(m).isPositiveDefinite()) throw new RangeError(`${what}: not positive definite`);
  return c;
}

/**
 * Strain–displacement matrix B (6 × 24, row-major) at (ξ, η, ζ): ε = B u_e with u_e[3k + c] the
 * displacement component c of local node k. ξ = η = ζ = 0 is the cell centre.
 */
export function q1StrainMatrix(h: BoxSize, xi: number, eta: number, zeta: number, out = new Float64Array(144)): Float64Array {
  const g = q1ShapeGradients(h, xi, eta, zeta);
  out.fill(0);
  for (let k = 0; k < 8; k++) {
    const gx = g[3 * k], gy = g[3 * k + 1], gz = g[3 * k + 2];
    const c = 3 * k;
    out[0 * 24 + c] = gx;
    out[1 * 24 + c + 1] = gy;
    out[2 * 24 + c + 2] = gz;
    out[3 * 24 + c + 1] = gz; out[3 * 24 + c + 2] = gy; // γ_yz
    out[4 * 24 + c] = gz; out[4 * 24 + c + 2] = gx; // γ_xz
    out[5 * 24 + c] = gy; out[5 * 24 + c + 1] = gx; // γ_xy
  }
  return out;
}

/** 24 × 24 elasticity stiffness ∫ Bᵀ C B dV for a 6 × 6 Voigt stiffness C (row-major). */
export function q1ElasticityStiffness(h: BoxSize, C: ArrayLike<number>): Float64Array {
  checkBox(h);
  const c = checkStiffness(C);
  const K = new Float64Array(576), B = new Float64Array(144), CB = new Float64Array(144);
  const det = q1JacobianDeterminant(h), P = GAUSS_2.points, W = GAUSS_2.weights;
  for (let q = 0; q < GAUSS_2.count; q++) {
    q1StrainMatrix(h, P[3 * q], P[3 * q + 1], P[3 * q + 2], B);
    // CB = C · B (6 × 24)
    for (let i = 0; i < 6; i++) for (let a = 0; a < 24; a++) {
      let s = 0;
      for (let m = 0; m < 6; m++) s += c[6 * i + m] * B[24 * m + a];
      CB[24 * i + a] = s;
    }
    const w = W[q] * det;
    for (let a = 0; a < 24; a++) for (let b = a; b < 24; b++) {
      let s = 0;
      for (let m = 0; m < 6; m++) s += B[24 * m + a] * CB[24 * m + b];
      K[24 * a + b] += w * s;
    }
  }
  for (let a = 0; a < 24; a++) for (let b = 0; b < a; b++) K[24 * a + b] = K[24 * b + a];
  return K;
}

/**
 * 24 × 6 eigenstrain coupling G = ∫ Bᵀ C dV (row-major): the load of a constant eigenstrain ε*
 * (Voigt, engineering shear) over the element is G ε*.
 */
export function q1EigenstrainCoupling(h: BoxSize, C: ArrayLike<number>): Float64Array {
  checkBox(h);
  const c = checkStiffness(C);
  // B is linear in each reference coordinate separately, so ∫ B dV = V · B(cell centre).
  const B = q1StrainMatrix(h, 0, 0, 0);
  const V = h[0] * h[1] * h[2];
  const G = new Float64Array(144);
  for (let a = 0; a < 24; a++) for (let j = 0; j < 6; j++) {
    let s = 0;
    for (let m = 0; m < 6; m++) s += B[24 * m + a] * c[6 * m + j];
    G[6 * a + j] = V * s;
  }
  return G;
}

/** Element load ∫ Bᵀ C ε* dV (24) of a constant eigenstrain ε* (Voigt, engineering shear). */
export function q1EigenstrainLoad(h: BoxSize, C: ArrayLike<number>, eigenstrain: ArrayLike<number>): Float64Array {
  if (eigenstrain.length !== 6) throw new RangeError(`q1EigenstrainLoad: eigenstrain must have 6 Voigt components, got ${eigenstrain.length}`);
  const G = q1EigenstrainCoupling(h, C);
  const f = new Float64Array(24);
  for (let a = 0; a < 24; a++) {
    let s = 0;
    for (let j = 0; j < 6; j++) s += G[6 * a + j] * eigenstrain[j];
    f[a] = s;
  }
  return f;
}

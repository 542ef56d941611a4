/**
 * Extreme-eigenvalue estimates of D⁻¹A for SPD A (for Chebyshev smoothing):
 * - `lanczosExtremeEigenvalues`: k steps of Jacobi-preconditioned CG on a random right-hand side;
 *   the CG coefficients define the Lanczos tridiagonal T whose extreme eigenvalues (Ritz values)
 *   approximate those of D⁻¹A from inside (λmax is under-estimated, λmin over-estimated).
 * - `gershgorinBound`: max_i Σ_j |a_ij| / a_ii, a rigorous upper bound on λmax(D⁻¹A)
 *   (≤ 2 for weakly diagonally dominant M-matrices such as FV diffusion operators).
 */
import type { CsrMatrix } from './csr-matrix.js';
import type { LinearOperator } from './operator.js';
import { dot } from './vector.js';

/** Deterministic uniform(−1, 1) vector (simple LCG; reproducible). */
export function pseudoRandomVector(n: number, seed = 12345): Float64Array {
  const v = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = s / 2147483648 - 1;
  }
  return v;
}

export interface EigenEstimate {
  lambdaMin: number;
  lambdaMax: number;
  /** Lanczos steps actually taken (fewer than asked when CG converged exactly). */
  steps: number;
}

export function lanczosExtremeEigenvalues(
  A: LinearOperator,
  inverseDiagonal: Float64Array,
  steps = 10,
  seed = 12345,
): EigenEstimate {
  const n = A.n;
  const r = pseudoRandomVector(n, seed);
  const z = new Float64Array(n);
  const p = new Float64Array(n);
  const q = new Float64Array(n);
  for (let i = 0; i < n; i++) z[i] = inverseDiagonal[i] * r[i];
  p.set(z);
  let rz = dot(r, z);
  const alphas: number[] = [];
  const betas: number[] = [];
  for (let k = 0; k < Math.min(steps, n); k++) {
    A.apply(p, q);
    const pq = dot(p, q);
    if (!(pq > 0) || !(rz > 0)) break;
    const alpha = rz / pq;
    alphas.push(alpha);
    for (let i = 0; i < n; i++) r[i] -= alpha * q[i];
    for (let i = 0; i < n; i++) z[i] = inverseDiagonal[i] * r[i];
    const rzNew = dot(r, z);
    const beta = rzNew / rz;
    rz = rzNew;
    if (!(rzNew > 1e-300)) break;
    betas.push(beta);
    for (let i = 0; i < n; i++) p[i] = z[i] + beta * p[i];
  }
  const m = alphas.length;
  if (m === 0) return { lambdaMin: 1, lambdaMax: 1, steps: 0 };
  // T_jj = 1/α_j + β_{j−1}/α_{j−1};  T_{j,j+1} = √β_j / α_j
  const diag = new Float64Array(m);
  const off = new Float64Array(Math.max(0, m - 1));
  for (let j = 0; j < m; j++) {
    diag[j] = 1 / alphas[j] + (j > 0 ? betas[j - 1] / alphas[j - 1] : 0);
    if (j < m - 1) off[j] = Math.sqrt(betas[j]) / alphas[j];
  }
  const [lo, hi] = tridiagonalExtremes(diag, off);
  return { lambdaMin: lo, lambdaMax: hi, steps: m };
}

/** Smallest and largest eigenvalue of a symmetric tridiagonal matrix (Sturm bisection). */
export function tridiagonalExtremes(diag: Float64Array, off: Float64Array): [number, number] {
  const m = diag.length;
  let gl = Infinity, gu = -Infinity;
  for (let j = 0; j < m; j++) {
    const rad = (j > 0 ? Math.abs(off[j - 1]) : 0) + (j < m - 1 ? Math.abs(off[j]) : 0);
    gl = Math.min(gl, diag[j] - rad);
    gu = Math.max(gu, diag[j] + rad);
  }
  // number of eigenvalues < x
  const countBelow = (x: number): number => {
    let c = 0;
    let d = 1;
    for (let j = 0; j < m; j++) {
      const o2 = j > 0 ? off[j - 1] * off[j - 1] : 0;
      d = diag[j] - x - (j > 0 ? o2 / d : 0);
      if (d === 0) d = -1e-300;
      if (d < 0) c++;
    }
    return c;
  };
  const bisect = (k: number): number => { // k-th smallest (0-based)
    let a = gl, b = gu;
    for (let it = 0; it < 200 && b - a > 1e-13 * Math.max(Math.abs(a), Math.abs(b), 1e-300); it++) {
      const mid = 0.5 * (a + b);
      if (countBelow(mid) > k) b = mid; else a = mid;
    }
    return 0.5 * (a + b);
  };
  return [bisect(0), bisect(m - 1)];
}

/** max_i Σ_j |a_ij| / |a_ii|: an upper bound on the spectral radius of D⁻¹A. */
export function gershgorinBound(A: CsrMatrix): number {
  const rp = A.rowPtr, ci = A.colIdx, v = A.values;
  let bound = 0;
  for (let i = 0; i < A.nRows; i++) {
    let s = 0, d = 0;
    for (let k = rp[i]; k < rp[i + 1]; k++) { s += Math.abs(v[k]); if (ci[k] === i) d = Math.abs(v[k]); }
    if (d > 0) bound = Math.max(bound, s / d);
  }
  return bound;
}

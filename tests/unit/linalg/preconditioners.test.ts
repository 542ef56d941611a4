import { describe, expect, it } from 'vitest';
import { cg } from '../../../src/linalg/cg.js';
import { ChebyshevSmoother } from '../../../src/linalg/chebyshev-smoother.js';
import { DenseCholesky } from '../../../src/linalg/dense-cholesky.js';
import { gershgorinBound, lanczosExtremeEigenvalues, tridiagonalExtremes } from '../../../src/linalg/eigen-estimate.js';
import { GaussSeidelSmoother } from '../../../src/linalg/gauss-seidel-smoother.js';
import { JacobiPreconditioner } from '../../../src/linalg/jacobi-preconditioner.js';
import type { Preconditioner } from '../../../src/linalg/operator.js';
import { dot } from '../../../src/linalg/vector.js';
import { denseSolve, laplacian1d, maxRelDiff, randomSpd, randomVector } from './helpers.js';

/** xᵀ M⁻¹ y − yᵀ M⁻¹ x, relative */
function asymmetry(M: Preconditioner, n: number): number {
  const x = randomVector(n, 11), y = randomVector(n, 12);
  const Mx = new Float64Array(n), My = new Float64Array(n);
  M.apply(x, Mx); M.apply(y, My);
  return Math.abs(dot(y, Mx) - dot(x, My)) / Math.abs(dot(x, Mx));
}

describe('JacobiPreconditioner', () => {
  it('divides by the diagonal and rejects zero diagonals', () => {
    const J = new JacobiPreconditioner(Float64Array.from([2, 4]));
    const z = new Float64Array(2);
    J.apply(Float64Array.from([1, 1]), z);
    expect(Array.from(z)).toEqual([0.5, 0.25]);
    expect(() => new JacobiPreconditioner(Float64Array.from([1, 0]))).toThrow(RangeError);
  });
});

describe('eigenvalue estimates', () => {
  it('tridiagonal extremes match the analytic spectrum of tridiag(−1, 2, −1)', () => {
    const m = 12;
    const [lo, hi] = tridiagonalExtremes(new Float64Array(m).fill(2), new Float64Array(m - 1).fill(-1));
    expect(lo).toBeCloseTo(2 - 2 * Math.cos(Math.PI / (m + 1)), 10);
    expect(hi).toBeCloseTo(2 + 2 * Math.cos(Math.PI / (m + 1)), 10);
  });

  it('CG–Lanczos estimates λmax(D⁻¹A) from below, close after a few steps', () => {
    const n = 200;
    const A = laplacian1d(n);
    const exact = 1 + Math.cos(Math.PI / (n + 1)); // λmax(D⁻¹A) = (2 + 2cos(π/(n+1)))/2
    const est = lanczosExtremeEigenvalues(A, new Float64Array(n).fill(0.5), 15);
    expect(est.lambdaMax).toBeLessThanOrEqual(exact + 1e-12);
    expect(est.lambdaMax).toBeGreaterThan(0.95 * exact);
    expect(gershgorinBound(A)).toBe(2);
  });
});

describe('ChebyshevSmoother', () => {
  const A = laplacian1d(100);
  it('is symmetric, meets the Chebyshev error bound, and works as a CG preconditioner', () => {
    const n = 100;
    const lmin = (2 - 2 * Math.cos(Math.PI / (n + 1))) / 2; // λmin(D⁻¹A)
    const b = randomVector(n);
    const xs = denseSolve(A, b);
    const energy = (e: Float64Array) => { const y = new Float64Array(n); A.apply(e, y); return Math.sqrt(dot(e, y)); };
    for (const degree of [1, 3, 6, 10]) {
      const C = new ChebyshevSmoother(A, { degree, lowerRatio: lmin / 2, lambdaMax: 2 });
      expect(asymmetry(C, n)).toBeLessThan(1e-12);
      // from x0 = 0: ‖e_k‖_A ≤ ‖x*‖_A / T_k(σ), σ = (λmax + λmin)/(λmax − λmin)
      const x = new Float64Array(n);
      C.apply(b, x);
      const e = Float64Array.from(xs, (v, i) => v - x[i]);
      const sigma = (2 + lmin) / (2 - lmin);
      const Tk = Math.cosh(degree * Math.acosh(sigma));
      expect(energy(e)).toBeLessThanOrEqual((energy(xs) / Tk) * (1 + 1e-10));
      expect(energy(e)).toBeLessThan(energy(xs));
    }
    const C = new ChebyshevSmoother(A, { degree: 10, lowerRatio: lmin / 2, lambdaMax: 2 });
    const pre = cg(A, b, { rtol: 1e-10, preconditioner: C });
    expect(maxRelDiff(pre.x, xs)).toBeLessThan(1e-8);
    expect(pre.iterations).toBeLessThan(cg(A, b, { rtol: 1e-10 }).iterations);
  });
  it('damps high-frequency error', () => {
    const n = 100;
    const C = new ChebyshevSmoother(A, { degree: 3 });
    expect(C.lambdaHigh).toBeLessThanOrEqual(2);
    expect(C.lambdaHigh).toBeGreaterThan(1.8);
    // error e = oscillatory mode; smoothing A x = 0 from x = e must shrink it a lot
    const x = Float64Array.from({ length: n }, (_, i) => Math.sin((0.9 * Math.PI * (i + 1) * n) / (n + 1)));
    const before = Math.sqrt(dot(x, x));
    C.smooth(new Float64Array(n), x);
    expect(Math.sqrt(dot(x, x))).toBeLessThan(0.1 * before);
  });
});

describe('GaussSeidelSmoother', () => {
  it('symmetric sweep is a symmetric preconditioner that solves to the dense solution in PCG', () => {
    const A = randomSpd(50);
    const G = new GaussSeidelSmoother(A);
    expect(asymmetry(G, 50)).toBeLessThan(1e-12);
    const b = randomVector(50);
    expect(maxRelDiff(cg(A, b, { rtol: 1e-12, preconditioner: G }).x, denseSolve(A, b))).toBeLessThan(1e-9);
  });
});

describe('DenseCholesky', () => {
  it('solves SPD systems and rejects indefinite ones', () => {
    const A = randomSpd(30);
    const b = randomVector(30);
    const x = new Float64Array(30);
    DenseCholesky.fromCsr(A).solve(b, x);
    expect(maxRelDiff(x, denseSolve(A, b))).toBeLessThan(1e-12);
    expect(() => new DenseCholesky(Float64Array.from([1, 2, 2, 1]), 2)).toThrow(/not positive definite/);
  });
});

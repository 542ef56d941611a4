import { describe, expect, it } from 'vitest';
import { bicgstab } from '../../../src/linalg/bicgstab.js';
import { cg } from '../../../src/linalg/cg.js';
import { CsrMatrix } from '../../../src/linalg/csr-matrix.js';
import { NonConvergenceError } from '../../../src/linalg/errors.js';
import { gmres } from '../../../src/linalg/gmres.js';
import { JacobiPreconditioner } from '../../../src/linalg/jacobi-preconditioner.js';
import type { LinearOperator, Preconditioner } from '../../../src/linalg/operator.js';
import { solverByName } from '../../../src/linalg/solvers.js';
import { norm2 } from '../../../src/linalg/vector.js';
import { denseSolve, laplacian1d, maxRelDiff, randomNonsymmetric, randomSpd, randomVector } from './helpers.js';

function trueRelResidual(A: LinearOperator, b: Float64Array, x: Float64Array): number {
  const y = new Float64Array(A.n);
  A.apply(x, y);
  for (let i = 0; i < y.length; i++) y[i] = b[i] - y[i];
  return norm2(y) / norm2(b);
}

describe('cg', () => {
  const A = randomSpd(60);
  const b = randomVector(60);
  const ref = denseSolve(A, b);

  it('solves an SPD system (unpreconditioned and Jacobi) to the dense solution', () => {
    for (const preconditioner of [undefined, JacobiPreconditioner.fromOperator(A)]) {
      const res = cg(A, b, { rtol: 1e-12, preconditioner, history: true });
      expect(maxRelDiff(res.x, ref)).toBeLessThan(1e-9);
      expect(res.relativeResidual).toBeLessThanOrEqual(1e-12);
      expect(trueRelResidual(A, b, res.x)).toBeCloseTo(res.relativeResidual, 14);
      expect(res.history.length).toBe(res.iterations + 1);
      expect(res.history[0]).toBeCloseTo(norm2(b), 12);
      expect(res.method).toBe('cg');
    }
  });

  it('converges in ≤ n steps on the 1D Laplacian and uses x0', () => {
    const L = laplacian1d(50);
    const bb = randomVector(50, 9);
    const res = cg(L, bb, { rtol: 1e-10 });
    expect(res.iterations).toBeLessThanOrEqual(52);
    const warm = cg(L, bb, { rtol: 1e-10, x0: res.x });
    expect(warm.iterations).toBe(0);
  });

  it('returns zero for b = 0 and honours atol', () => {
    const res = cg(A, new Float64Array(60));
    expect(res.iterations).toBe(0);
    expect(norm2(res.x)).toBe(0);
    const loose = cg(A, b, { rtol: 0, atol: 1e10 });
    expect(loose.iterations).toBe(0);
  });

  it('throws NonConvergenceError with maxIterations = 2', () => {
    let err: unknown;
    try { cg(A, b, { maxIterations: 2 }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(NonConvergenceError);
    const e = err as NonConvergenceError;
    expect(e.method).toBe('cg');
    expect(e.iterations).toBe(2);
    expect(e.reason).toBe('max-iterations');
    expect(e.lastResidual).toBeGreaterThan(0);
    expect(e.relativeResidual).toBeCloseTo(e.lastResidual / norm2(b), 12);
    expect(e.lastIterate?.length).toBe(60);
  });

  it('detects breakdown on an indefinite matrix', () => {
    const I = CsrMatrix.fromCoo(2, 2, [0, 1], [0, 1], [1, -1]);
    expect(() => cg(I, Float64Array.from([1, 1]))).toThrow(/broke down/);
  });

  it('flexible variant handles a variable preconditioner', () => {
    let calls = 0;
    const jac = JacobiPreconditioner.fromOperator(A);
    const varying: Preconditioner = {
      n: 60, variable: true,
      apply(r, z) { jac.apply(r, z); const s = 1 + 0.5 * Math.sin(calls++); for (let i = 0; i < z.length; i++) z[i] *= s * (1 + 0.1 * Math.cos(i + calls)); },
    };
    const res = cg(A, b, { rtol: 1e-10, preconditioner: varying, maxIterations: 500 });
    expect(maxRelDiff(res.x, ref)).toBeLessThan(1e-7);
  });
});

describe('bicgstab', () => {
  const A = randomNonsymmetric(80);
  const b = randomVector(80, 5);
  const ref = denseSolve(A, b);
  it('solves a nonsymmetric system (with and without Jacobi)', () => {
    for (const preconditioner of [undefined, JacobiPreconditioner.fromOperator(A)]) {
      const res = bicgstab(A, b, { rtol: 1e-11, preconditioner, history: true });
      expect(maxRelDiff(res.x, ref)).toBeLessThan(1e-8);
      expect(trueRelResidual(A, b, res.x)).toBeLessThanOrEqual(1e-11);
    }
  });
  it('solves an SPD system too', () => {
    const S = randomSpd(40, 4), bs = randomVector(40, 6);
    expect(maxRelDiff(bicgstab(S, bs, { rtol: 1e-12 }).x, denseSolve(S, bs))).toBeLessThan(1e-9);
  });
  it('throws NonConvergenceError with maxIterations = 2', () => {
    expect(() => bicgstab(A, b, { maxIterations: 2 })).toThrow(NonConvergenceError);
    try { bicgstab(A, b, { maxIterations: 2 }); } catch (e) {
      expect((e as NonConvergenceError).iterations).toBe(2);
      expect((e as NonConvergenceError).method).toBe('bicgstab');
    }
  });
});

describe('gmres', () => {
  const A = randomNonsymmetric(80);
  const b = randomVector(80, 5);
  const ref = denseSolve(A, b);
  it('solves a nonsymmetric system, restarted and full, with and without Jacobi', () => {
    for (const restart of [5, 30, 100]) {
      for (const preconditioner of [undefined, JacobiPreconditioner.fromOperator(A)]) {
        const res = gmres(A, b, { rtol: 1e-11, restart, preconditioner, maxIterations: 2000, history: true });
        expect(maxRelDiff(res.x, ref)).toBeLessThan(1e-8);
        expect(res.relativeResidual).toBeLessThanOrEqual(1e-11);
        expect(trueRelResidual(A, b, res.x)).toBeCloseTo(res.relativeResidual, 14);
      }
    }
  });
  it('full GMRES terminates in ≤ n iterations', () => {
    const res = gmres(A, b, { rtol: 1e-12, restart: 80 });
    expect(res.iterations).toBeLessThanOrEqual(80);
  });
  it('flexible GMRES with a variable preconditioner', () => {
    let calls = 0;
    const jac = JacobiPreconditioner.fromOperator(A);
    const varying: Preconditioner = {
      n: 80, variable: true,
      apply(r, z) { jac.apply(r, z); const s = 1 + 0.5 * Math.sin(calls++); for (let i = 0; i < z.length; i++) z[i] *= s; },
    };
    const res = gmres(A, b, { rtol: 1e-11, restart: 20, preconditioner: varying, maxIterations: 1000 });
    expect(maxRelDiff(res.x, ref)).toBeLessThan(1e-8);
  });
  it('throws NonConvergenceError with maxIterations = 2', () => {
    try { gmres(A, b, { maxIterations: 2 }); expect.unreachable(); } catch (e) {
      expect(e).toBeInstanceOf(NonConvergenceError);
      expect((e as NonConvergenceError).iterations).toBe(2);
      expect((e as NonConvergenceError).method).toBe('gmres');
      expect((e as NonConvergenceError).reason).toBe('max-iterations');
    }
  });
});

describe('solverByName', () => {
  it('dispatches', () => {
    const A = randomSpd(20), b = randomVector(20);
    for (const m of ['cg', 'bicgstab', 'gmres'] as const) {
      const s = solverByName(m);
      expect(s.name).toBe(m);
      expect(maxRelDiff(s.solve(A, b, { rtol: 1e-12 }).x, denseSolve(A, b))).toBeLessThan(1e-9);
    }
  });
});

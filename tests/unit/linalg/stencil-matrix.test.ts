/**
 * The compact 7-point operator (Stencil7Matrix) against its CSR copy: same entries, same
 * products, same multigrid aggregates; Galerkin coarse operators equal to rounding.
 */
import { describe, expect, it } from 'vitest';
import { assembleDiffusionOperator } from '../../../src/assembly/diffusion-operator.js';
import type { Shape3 } from '../../../src/core/volume.js';
import { aggregateCorrection, aggregateOnGrid, galerkinAggregation } from '../../../src/linalg/aggregation.js';
import { cg } from '../../../src/linalg/cg.js';
import { CsrMatrix } from '../../../src/linalg/csr-matrix.js';
import { GaussSeidelSmoother } from '../../../src/linalg/gauss-seidel-smoother.js';
import { MultigridPreconditioner } from '../../../src/linalg/multigrid-preconditioner.js';
import { Stencil7Matrix } from '../../../src/linalg/stencil-matrix.js';
import { lcg, randomVector } from './helpers.js';

function medium(shape: Shape3, seed: number): Float64Array {
  const r = lcg(seed);
  const k = new Float64Array(shape[0] * shape[1] * shape[2]);
  for (let i = 0; i < k.length; i++) {
    const u = (r() + 1) / 2;
    k[i] = u < 0.4 ? 0 : u < 0.5 ? 1e-3 : 0.5 + u;
  }
  return k;
}

const CASES: [string, Shape3, number][] = [
  ['9×7×5', [9, 7, 5], 1],
  ['1×1×12 (a line)', [1, 1, 12], 2],
  ['16×16×16', [16, 16, 16], 3],
];

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('Stencil7Matrix', () => {
  for (const [name, shape, seed] of CASES) {
    const op = assembleDiffusionOperator({ shape, conductivity: medium(shape, seed), axis: 2 });
    const S = op.stencil, A = op.matrix;
    it(`${name}: its CSR copy is symmetric and holds the same rows`, () => {
      expect(S).toBeInstanceOf(Stencil7Matrix);
      expect(A.asymmetry()).toBe(0);
      expect(S.nnz).toBe(A.nnz);
      const cols = new Int32Array(7), vals = new Float64Array(7);
      for (let i = 0; i < S.n; i++) {
        const c = S.row(i, cols, vals);
        expect(c).toBe(A.rowPtr[i + 1] - A.rowPtr[i]);
        for (let t = 0; t < c; t++) {
          expect(cols[t]).toBe(A.colIdx[A.rowPtr[i] + t]);
          expect(vals[t]).toBe(A.values[A.rowPtr[i] + t]);
        }
      }
    });

    it(`${name}: apply, residual, restriction and Gauss–Seidel agree with CSR to 1e-14`, () => {
      const n = S.n;
      const x = randomVector(n, seed + 10), b = randomVector(n, seed + 11);
      const y1 = new Float64Array(n), y2 = new Float64Array(n);
      S.apply(x, y1); A.apply(x, y2);
      expect(maxAbsDiff(y1, y2)).toBeLessThan(1e-14 * 8);
      S.residual(b, x, y1); A.residual(b, x, y2);
      expect(maxAbsDiff(y1, y2)).toBeLessThan(1e-14 * 8);
      // residual restricted to aggregates without a fine residual vector
      const agg = aggregateOnGrid(S, op.shape, op.voxelOfUnknown);
      const rc1 = new Float64Array(agg.nCoarse), rc2 = new Float64Array(agg.nCoarse);
      S.restrictResidual(b, x, agg.aggregate, rc1);
      for (let i = 0; i < n; i++) rc2[agg.aggregate[i]] += y2[i];
      expect(maxAbsDiff(rc1, rc2)).toBeLessThan(1e-13);
      // forward and backward sweeps, and the zero-start forward sweep
      const gs = new GaussSeidelSmoother(A);
      const xs = x.slice(), xc = x.slice();
      S.gaussSeidel(b, xs, true); gs.forward(b, xc);
      expect(maxAbsDiff(xs, xc)).toBeLessThan(1e-12);
      S.gaussSeidel(b, xs, false); gs.backward(b, xc);
      expect(maxAbsDiff(xs, xc)).toBeLessThan(1e-12);
      const z1 = new Float64Array(n).fill(Number.NaN), z2 = new Float64Array(n);
      S.gaussSeidel(b, z1, true, true); gs.forward(b, z2);
      expect(maxAbsDiff(z1, z2)).toBeLessThan(1e-12);
    });

    it(`${name}: same aggregates as CSR; Galerkin operator equal to rounding`, () => {
      const a1 = aggregateOnGrid(S, op.shape, op.voxelOfUnknown);
      const a2 = aggregateOnGrid(A, op.shape, op.voxelOfUnknown);
      expect(a1.nCoarse).toBe(a2.nCoarse);
      expect(Array.from(a1.aggregate)).toEqual(Array.from(a2.aggregate));
      expect(Array.from(a1.coarseCellOf)).toEqual(Array.from(a2.coarseCellOf));
      const c1 = galerkinAggregation(S, a1.aggregate, a1.nCoarse);
      const c2 = galerkinAggregation(A, a2.aggregate, a2.nCoarse);
      expect(Array.from(c1.rowPtr)).toEqual(Array.from(c2.rowPtr));
      expect(Array.from(c1.colIdx)).toEqual(Array.from(c2.colIdx));
      expect(maxAbsDiff(Float64Array.from(c1.values), Float64Array.from(c2.values))).toBeLessThanOrEqual(1e-12 * Math.max(1, ...Array.from(c2.values, Math.abs)));
      expect(c1.asymmetry()).toBe(0); // (I, J) and (J, I) summed in the same order
    });
  }

  it('multigrid on the stencil converges like multigrid on CSR; slab correction works on both', () => {
    const shape: Shape3 = [20, 18, 16];
    const op = assembleDiffusionOperator({ shape, conductivity: medium(shape, 7), axis: 0 });
    const rs = cg(op, op.rhs, { rtol: 1e-10, preconditioner: new MultigridPreconditioner(op.stencil, op.grid) });
    const rc = cg(op.matrix, op.rhs, { rtol: 1e-10, preconditioner: new MultigridPreconditioner(op.matrix, op.grid) });
    expect(Math.abs(rs.iterations - rc.iterations)).toBeLessThanOrEqual(1);
    expect(rs.relativeResidual).toBeLessThanOrEqual(1e-10);
    const { slabOfUnknown, count } = op.slabs();
    const x1 = rs.x.slice(), x2 = rs.x.slice();
    aggregateCorrection(op.stencil, slabOfUnknown, count, op.rhs, x1);
    aggregateCorrection(op.matrix, slabOfUnknown, count, op.rhs, x2);
    expect(maxAbsDiff(x1, x2)).toBeLessThan(1e-12);
    // from a rough start along every axis (the stencil sums its tridiagonal slab system itself)
    for (const axis of [0, 1, 2] as const) {
      const o = assembleDiffusionOperator({ shape, conductivity: medium(shape, 7), axis });
      const s = o.slabs();
      const x0 = Float64Array.from({ length: o.n }, (_, i) => Math.sin(i));
      const y1 = x0.slice(), y2 = x0.slice();
      aggregateCorrection(o.stencil, s.slabOfUnknown, s.count, o.rhs, y1);
      aggregateCorrection(o.matrix, s.slabOfUnknown, s.count, o.rhs, y2);
      expect(maxAbsDiff(y1, y2)).toBeLessThan(1e-12);
      expect(maxAbsDiff(y1, x0)).toBeGreaterThan(1e-3); // it did correct
    }
  });

  it('rejects inconsistent arrays', () => {
    const z = () => new Float64Array(2), zi = () => new Int32Array(2);
    expect(() => new Stencil7Matrix(3, z(), z(), z(), z(), zi(), zi(), zi(), zi())).toThrow(RangeError);
    const gx = Float64Array.from([1, 1]);
    expect(() => new Stencil7Matrix(2, z(), gx, z(), z(), zi(), zi(), zi(), zi())).toThrow(RangeError);
    expect(CsrMatrix.identity(1).n).toBe(1);
  });
});

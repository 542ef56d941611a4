import { Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { aggregateCorrection, aggregateOnGrid, galerkinAggregation } from '../../../src/linalg/aggregation.js';
import { cg } from '../../../src/linalg/cg.js';
import { CsrMatrix } from '../../../src/linalg/csr-matrix.js';
import { JacobiPreconditioner } from '../../../src/linalg/jacobi-preconditioner.js';
import { MultigridPreconditioner } from '../../../src/linalg/multigrid-preconditioner.js';
import { dot } from '../../../src/linalg/vector.js';
import { assembleDiffusionOperator } from '../../../src/assembly/diffusion-operator.js';
import { gridOperator, identityCells, lcg, maxRelDiff, randomVector } from './helpers.js';

describe('aggregateOnGrid', () => {
  it('groups a homogeneous grid into its 2×2×2 blocks (odd sizes: partial blocks)', () => {
    const shape: [number, number, number] = [5, 3, 2];
    const n = 30;
    const A = gridOperator(shape, new Float64Array(n).fill(1));
    const agg = aggregateOnGrid(A, shape, identityCells(n));
    expect(agg.coarseShape).toEqual([3, 2, 1]);
    expect(agg.nCoarse).toBe(6);
    for (let i = 0; i < n; i++) {
      const x = i % 5, y = Math.floor(i / 5) % 3;
      const parent = (x >> 1) + 3 * (y >> 1);
      expect(agg.coarseCellOf[agg.aggregate[i]]).toBe(parent);
    }
    // aggregates are numbered in parent order
    expect(Array.from(agg.coarseCellOf)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('does not merge two conductors that touch only through weak (1e-6) cells', () => {
    // 6×6×1 grid, conductivity 1e-6 except two rods: row y=2 for x=0..2 and row y=3 for x=3..5.
    // The block x,y ∈ {2,3} holds the rod ends (2,2) and (3,3), touching only diagonally.
    const nx = 6;
    const k = new Float64Array(36).fill(1e-6);
    for (let x = 0; x <= 2; x++) k[x + nx * 2] = 1;
    for (let x = 3; x <= 5; x++) k[x + nx * 3] = 1;
    const A = gridOperator([6, 6, 1], k);
    const cells = identityCells(36);
    const a = aggregateOnGrid(A, [6, 6, 1], cells);
    const end1 = 2 + nx * 2, end2 = 3 + nx * 3, weak1 = 3 + nx * 2, weak2 = 2 + nx * 3;
    expect(a.aggregate[end1]).not.toBe(a.aggregate[end2]);
    // the weak cells of that block follow one of the rod ends (no weak-only aggregate)
    expect([a.aggregate[end1], a.aggregate[end2]]).toContain(a.aggregate[weak1]);
    expect([a.aggregate[end1], a.aggregate[end2]]).toContain(a.aggregate[weak2]);
    // θ = 0 (connectivity only) would put the whole block in one aggregate
    const b = aggregateOnGrid(A, [6, 6, 1], cells, 0);
    expect(b.aggregate[end1]).toBe(b.aggregate[end2]);
    expect(b.nCoarse).toBe(9);
  });

  it('splits a block whose unknowns are not connected inside it', () => {
    // two unknowns at cells (0,0) and (1,1) of a 2×2×1 grid: diagonal neighbours, no coupling
    const A = CsrMatrix.fromCoo(2, 2, [0, 1], [0, 1], [1, 1]);
    const agg = aggregateOnGrid(A, [2, 2, 1], Int32Array.from([0, 3]));
    expect(agg.nCoarse).toBe(2);
    expect(agg.coarseShape).toEqual([1, 1, 1]);
  });
});

describe('galerkinAggregation', () => {
  it('equals Pᵀ A P computed densely', () => {
    const shape: [number, number, number] = [4, 3, 3];
    const n = 36;
    const r = lcg(7);
    const k = Float64Array.from({ length: n }, () => Math.exp(3 * r()));
    const A = gridOperator(shape, k);
    const agg = aggregateOnGrid(A, shape, identityCells(n), 0.25);
    const Ac = galerkinAggregation(A, agg.aggregate, agg.nCoarse);
    const P = Matrix.zeros(n, agg.nCoarse);
    for (let i = 0; i < n; i++) P.set(i, agg.aggregate[i], 1);
    const ref = P.transpose().mmul(new Matrix(A.toDense())).mmul(P);
    const got = Ac.toDense();
    for (let I = 0; I < agg.nCoarse; I++) for (let J = 0; J < agg.nCoarse; J++) expect(got[I][J]).toBeCloseTo(ref.get(I, J), 12);
    expect(Ac.asymmetry()).toBe(0);
    // columns sorted
    for (let I = 0; I < Ac.nRows; I++) for (let t = Ac.rowPtr[I] + 1; t < Ac.rowPtr[I + 1]; t++) expect(Ac.colIdx[t]).toBeGreaterThan(Ac.colIdx[t - 1]);
  });
});

describe('MultigridPreconditioner', () => {
  const shape: [number, number, number] = [12, 10, 9];
  const n = 12 * 10 * 9;
  const r = lcg(3);
  const k = Float64Array.from({ length: n }, () => (r() > 0 ? 1 : 1e-3));
  const A = gridOperator(shape, k);
  const grid = { shape, cellOfUnknown: identityCells(n) };

  it('V- and W-cycles (Gauss–Seidel and Chebyshev) are symmetric positive definite preconditioners', () => {
    for (const cycle of ['V', 'W'] as const) {
      for (const smoother of ['gauss-seidel', 'chebyshev'] as const) {
        const M = new MultigridPreconditioner(A, grid, { cycle, smoother, maxCoarseSize: 20 });
        expect(M.variable).toBe(false);
        expect(M.levelInfo.length).toBeGreaterThanOrEqual(3);
        const x = randomVector(n, 1), y = randomVector(n, 2);
        const Mx = new Float64Array(n), My = new Float64Array(n);
        M.apply(x, Mx); M.apply(y, My);
        expect(Math.abs(dot(y, Mx) - dot(x, My)) / dot(x, Mx)).toBeLessThan(1e-12);
        expect(dot(x, Mx)).toBeGreaterThan(0);
        expect(dot(y, My)).toBeGreaterThan(0);
      }
    }
  });

  it('MG-PCG (all cycles) agrees with Jacobi-PCG and needs far fewer iterations', () => {
    const b = randomVector(n, 5);
    const ref = cg(A, b, { rtol: 1e-13, preconditioner: JacobiPreconditioner.fromOperator(A), maxIterations: 20000 });
    for (const cycle of ['V', 'W', 'K'] as const) {
      const M = new MultigridPreconditioner(A, grid, { cycle, maxCoarseSize: 20 });
      expect(M.variable).toBe(cycle === 'K');
      const res = cg(A, b, { rtol: 1e-13, preconditioner: M });
      expect(maxRelDiff(res.x, ref.x)).toBeLessThan(1e-9);
      expect(res.iterations).toBeLessThan(ref.iterations / 4);
      expect(M.operatorComplexity).toBeLessThan(2);
    }
  });

  it('coarsens down to maxCoarseSize', () => {
    const M = new MultigridPreconditioner(A, grid, { maxCoarseSize: 50 });
    const info = M.levelInfo;
    expect(info[0].n).toBe(n);
    expect(info[info.length - 1].n).toBeLessThanOrEqual(50);
    for (let l = 1; l < info.length; l++) expect(info[l].n).toBeLessThan(info[l - 1].n);
  });

  it('rejects inconsistent grid data', () => {
    expect(() => new MultigridPreconditioner(A, { shape, cellOfUnknown: new Int32Array(3) })).toThrow(RangeError);
  });
});

describe('aggregateCorrection', () => {
  const shape: [number, number, number] = [8, 6, 5];
  const n = 240;
  const r = lcg(9);
  const k = Float64Array.from({ length: n }, () => Math.exp(2 * r()));
  const A = gridOperator(shape, k);
  const b = randomVector(n, 4);
  const xs = cg(A, b, { rtol: 1e-14, maxIterations: 5000 }).x;
  const energyError = (x: Float64Array) => {
    const e = x.map((v, i) => v - xs[i]);
    const Ae = new Float64Array(n); A.apply(e, Ae);
    return Math.sqrt(dot(e, Ae));
  };

  for (const [name, aggregate, count] of [
    ['slabs along x (tridiagonal coarse system)', Int32Array.from({ length: n }, (_, i) => i % 8), 8],
    ['2×2×2 blocks (dense coarse system), with unused ids', aggregateOnGrid(A, shape, identityCells(n), 0).aggregate.map((a) => 2 * a), 2 * 60],
  ] as const) {
    it(`${name}: residual sums to zero per aggregate, energy error does not grow`, () => {
      const x = randomVector(n, 8);
      const before = energyError(x);
      aggregateCorrection(A, aggregate, count, b, x);
      const res = new Float64Array(n);
      A.residual(b, x, res);
      const sums = new Float64Array(count);
      for (let i = 0; i < n; i++) sums[aggregate[i]] += res[i];
      for (const s of sums) expect(Math.abs(s)).toBeLessThan(1e-12);
      expect(energyError(x)).toBeLessThan(before);
    });
  }
});

describe('MultigridPreconditioner coarsest level', () => {
  it('solves isolated coarse unknowns by division and falls back to CG above maxDirectSize', () => {
    // 16×16×4 grid split into 2×16×4 slabs not coupled to each other (every other x-face cut):
    // 8 independent blocks → the coarsest level keeps ≥ 8 decoupled unknowns.
    const shape: [number, number, number] = [16, 16, 4];
    const n = 1024;
    const k = new Float64Array(n).fill(1);
    const A0 = gridOperator(shape, k);
    const rows: number[] = [], cols: number[] = [], vals: number[] = [];
    for (let i = 0; i < n; i++) for (let t = A0.rowPtr[i]; t < A0.rowPtr[i + 1]; t++) {
      const j = A0.colIdx[t];
      const cut = Math.abs(j - i) === 1 && Math.floor(Math.min(i, j) % 16) % 2 === 1; // x-face between x = 2m+1 and 2m+2
      if (cut) { rows.push(i); cols.push(i); vals.push(-A0.values[t]); continue; } // keep row sums: move to the diagonal
      rows.push(i); cols.push(j); vals.push(A0.values[t]);
    }
    const A = CsrMatrix.fromCoo(n, n, rows, cols, vals);
    const grid = { shape, cellOfUnknown: identityCells(n) };
    const b = randomVector(n, 3);
    const ref = cg(A, b, { rtol: 1e-12, maxIterations: 5000 });
    const direct = new MultigridPreconditioner(A, grid, { maxCoarseSize: 1 });
    expect(direct.levelInfo[direct.levelInfo.length - 1].n).toBeGreaterThanOrEqual(8);
    expect(maxRelDiff(cg(A, b, { rtol: 1e-12, preconditioner: direct }).x, ref.x)).toBeLessThan(1e-9);
    const iterative = new MultigridPreconditioner(A, grid, { maxCoarseSize: 200, maxDirectSize: 2, cycle: 'V' });
    expect(iterative.variable).toBe(true);
    expect(maxRelDiff(cg(A, b, { rtol: 1e-12, preconditioner: iterative }).x, ref.x)).toBeLessThan(1e-9);
  });
});

describe('Float32 coarse levels', () => {
  const shape: [number, number, number] = [26, 23, 29];
  const r = lcg(31);
  const mask = Uint8Array.from({ length: shape[0] * shape[1] * shape[2] }, () => ((r() + 1) / 2 < 0.6 ? 1 : 0));
  const multi = Float64Array.from(mask, (m) => (m ? ((r() + 1) / 2 < 0.5 ? 1 : 0.1) : 0));
  const build = (k: ArrayLike<number>, coefficients: 'auto' | 'float64', spacing?: [number, number, number]) => {
    const op = assembleDiffusionOperator({ shape, conductivity: k, axis: 2, coefficients, spacing });
    return { op, mg: new MultigridPreconditioner(op.stencil, op.grid) };
  };
  // cubic voxels: integer couplings, every level Float32; voxels 1 × 0.5 × 2: dyadic couplings
  // (4, 1, 0.25), the stencil Float32 but the coarse sums not integers, so Float64 levels
  for (const [name, spacing, coarseBytes] of [['mask, cubic voxels', undefined, 4], ['mask, voxels 1 × 0.5 × 2', [1, 0.5, 2], 8]] as const) {
    it(`${name}: fine level Float32, coarse levels ${coarseBytes} bytes, the cycle bitwise that of Float64 storage`, () => {
      const sp = spacing as [number, number, number] | undefined;
      const a = build(mask, 'auto', sp), b = build(mask, 'float64', sp);
      expect(a.mg.levelInfo.length).toBeGreaterThan(2);
      expect(a.mg.levelInfo.map((l) => l.valueBytes)).toEqual(a.mg.levelInfo.map((_, l) => (l === 0 ? 4 : coarseBytes)));
      expect(b.mg.levelInfo.map((l) => l.valueBytes)).toEqual(b.mg.levelInfo.map(() => 8));
      const x = randomVector(a.op.n, 5), za = new Float64Array(a.op.n), zb = new Float64Array(a.op.n);
      a.mg.apply(x, za);
      b.mg.apply(x, zb);
      expect(Array.from(za)).toEqual(Array.from(zb));
    });
  }
  it('two conductivities: Float64 levels', () => {
    const { mg } = build(multi, 'auto');
    expect(mg.levelInfo.every((l) => l.valueBytes === 8)).toBe(true);
  });
});

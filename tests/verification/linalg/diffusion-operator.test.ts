/**
 * Properties of the assembled FV diffusion operator: symmetry, positivity, M-matrix structure,
 * removal of floating clusters, discrete conservation, scaling invariance.
 */
import { describe, expect, it } from 'vitest';
import type { Shape3 } from '../../../src/core/volume.js';
import { InputError } from '../../../src/core/errors.js';
import { labelFaceComponents } from '../../../src/assembly/components.js';
import { assembleDiffusionOperator } from '../../../src/assembly/diffusion-operator.js';
import { cg } from '../../../src/linalg/cg.js';
import { MultigridPreconditioner } from '../../../src/linalg/multigrid-preconditioner.js';
import { dot } from '../../../src/linalg/vector.js';
import { threePhase, twoPhase } from './media.js';

function randomVector(n: number, seed: number): Float64Array {
  let s = seed >>> 0;
  return Float64Array.from({ length: n }, () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2147483648 - 1; });
}

describe('diffusion operator: symmetry and positivity', () => {
  const shape: Shape3 = [13, 11, 9];
  const k = threePhase(shape, 0.5, 0.2, 0.05);
  const op = assembleDiffusionOperator({ shape, spacing: [1e-6, 0.5e-6, 2e-6], conductivity: k, axis: 1 });

  it('xᵀAy = yᵀAx and xᵀAx > 0 on random vectors', () => {
    for (let s = 1; s <= 5; s++) {
      const x = randomVector(op.n, s), y = randomVector(op.n, 100 + s);
      const Ax = new Float64Array(op.n), Ay = new Float64Array(op.n);
      op.apply(x, Ax); op.apply(y, Ay);
      expect(Math.abs(dot(y, Ax) - dot(x, Ay))).toBeLessThanOrEqual(1e-14 * Math.abs(dot(x, Ax)));
      expect(dot(x, Ax)).toBeGreaterThan(0);
      expect(dot(y, Ay)).toBeGreaterThan(0);
    }
    expect(op.matrix.asymmetry()).toBe(0);
  });

  it('is an M-matrix: positive diagonal, non-positive off-diagonals, row sums = Dirichlet conductances ≥ 0', () => {
    const A = op.matrix;
    const ones = new Float64Array(op.n).fill(1), rowSum = new Float64Array(op.n);
    A.apply(ones, rowSum);
    const [nx, ny] = shape;
    for (let i = 0; i < op.n; i++) {
      for (let t = A.rowPtr[i]; t < A.rowPtr[i + 1]; t++) {
        if (A.colIdx[t] === i) expect(A.values[t]).toBeGreaterThan(0);
        else expect(A.values[t]).toBeLessThan(0);
      }
      const v = op.voxelOfUnknown[i];
      const y = Math.floor(v / nx) % ny;
      if (y === 0 || y === ny - 1) expect(rowSum[i]).toBeGreaterThan(0);
      else expect(Math.abs(rowSum[i])).toBeLessThan(1e-15);
    }
  });
});

describe('diffusion operator: domain and components', () => {
  it('removes floating clusters, keeps dead ends, maps indices consistently', () => {
    // 6×3×3, axis x. Channel along x at (y=1,z=1); a dead-end stub at x=2 going to y=0;
    // a floating voxel at (x=4, y=0, z=2) not touching the channel (diagonal only).
    const shape: Shape3 = [6, 3, 3];
    const idx = (x: number, y: number, z: number) => x + 6 * (y + 3 * z);
    const k = new Float64Array(54);
    for (let x = 0; x < 6; x++) k[idx(x, 1, 1)] = 1;
    k[idx(2, 0, 1)] = 1; // dead end
    k[idx(4, 0, 2)] = 1; // floating
    const dead = new Float64Array(54); dead[idx(0, 2, 2)] = 1; dead[idx(1, 2, 2)] = 1; // touches inlet only
    for (let i = 0; i < 54; i++) k[i] = Math.max(k[i], dead[i]);
    const op = assembleDiffusionOperator({ shape, conductivity: k, axis: 0 });
    expect(op.n).toBe(6 + 1 + 2);
    expect(op.unknownOfVoxel[idx(4, 0, 2)]).toBe(-1);
    expect(op.components).toMatchObject({ count: 3, kept: 2, percolating: true, removedVoxels: 1, deadEndVoxels: 2, percolatingVoxels: 7 });
    for (let u = 0; u < op.n; u++) expect(op.unknownOfVoxel[op.voxelOfUnknown[u]]).toBe(u);
    for (let u = 1; u < op.n; u++) expect(op.voxelOfUnknown[u]).toBeGreaterThan(op.voxelOfUnknown[u - 1]);
    // solve: the inlet-only dead end sits at the inlet value, flux balances
    const res = cg(op, op.rhs, { rtol: 1e-14 });
    expect(res.x[op.unknownOfVoxel[idx(1, 2, 2)]]).toBeCloseTo(1, 12);
    const f = op.boundaryFlux(res.x);
    expect(f.inlet).toBeCloseTo(f.outlet, 12);
    // straight channel of 6 voxels, 2 half-cells at the faces: conductance 1/6 per unit area
    expect(f.inlet).toBeCloseTo(1 / 6, 12);
  });

  it('labels 6-connected components and their face contacts', () => {
    const shape: Shape3 = [3, 3, 1];
    // x . x
    // x . .
    // . x x     (rows y = 0, 1, 2)
    const v = [1, 0, 1, 1, 0, 0, 0, 1, 1];
    const c = labelFaceComponents(v, shape, 0);
    expect(c.count).toBe(3);
    expect(Array.from(c.size)).toEqual([2, 1, 2]);
    expect(Array.from(c.touchesLow)).toEqual([1, 0, 0]);
    expect(Array.from(c.touchesHigh)).toEqual([0, 1, 1]);
    expect(c.label[4]).toBe(-1);
  });

  it('rejects bad input', () => {
    const shape: Shape3 = [2, 2, 2];
    expect(() => assembleDiffusionOperator({ shape, conductivity: new Float64Array(7), axis: 0 })).toThrow(InputError);
    expect(() => assembleDiffusionOperator({ shape, conductivity: new Float64Array(8).fill(-1), axis: 0 })).toThrow(InputError);
    expect(() => assembleDiffusionOperator({ shape, conductivity: new Float64Array(8).fill(1), axis: 0, spacing: [1, 0, 1] })).toThrow(InputError);
  });
});

describe('diffusion operator: conservation and scaling', () => {
  it('Σ residual = F_in − F_out (discrete conservation), and both fluxes agree at convergence', () => {
    const shape: Shape3 = [16, 16, 16];
    const k = twoPhase(shape, 0.6, 0);
    const op = assembleDiffusionOperator({ shape, conductivity: k, axis: 2 });
    const res = cg(op, op.rhs, { rtol: 1e-4, preconditioner: new MultigridPreconditioner(op.matrix, op.grid) });
    const r = new Float64Array(op.n);
    op.matrix.residual(op.rhs, res.x, r);
    const sum = r.reduce((s, v) => s + v, 0);
    const f = op.boundaryFlux(res.x);
    expect(Math.abs(sum - (f.inlet - f.outlet))).toBeLessThan(1e-12 * Math.abs(f.inlet));
    const tight = cg(op, op.rhs, { rtol: 1e-12, preconditioner: new MultigridPreconditioner(op.matrix, op.grid) });
    const g = op.boundaryFlux(tight.x);
    expect(Math.abs(g.inlet - g.outlet) / g.inlet).toBeLessThan(1e-9);
  });

  it('matrix entries do not depend on the voxel size or conductivity unit; fluxes scale physically', () => {
    const shape: Shape3 = [8, 7, 6];
    const k = threePhase(shape, 0.6, 0.2, 0.1);
    const a = assembleDiffusionOperator({ shape, conductivity: k, axis: 0 });
    const kb = k.map((v) => v * 3e-4);
    const b = assembleDiffusionOperator({ shape, conductivity: kb, axis: 0, spacing: [2e-6, 2e-6, 2e-6] });
    // equal up to rounding of k / k_ref
    const close = (u: Float64Array, v: Float64Array) => u.every((x, i) => Math.abs(x - v[i]) <= 1e-15 * Math.max(1, Math.abs(v[i])));
    expect(b.matrix.nnz).toBe(a.matrix.nnz);
    expect(close(b.matrix.values, a.matrix.values)).toBe(true);
    expect(close(b.rhs, a.rhs)).toBe(true);
    expect(Math.max(...a.matrix.values)).toBeLessThan(10); // O(1) entries
    const x = cg(a, a.rhs, { rtol: 1e-12 }).x;
    // F = σ h Σ G_s Δu: factor 3e-4 × 2e-6
    expect(b.boundaryFlux(x).inlet / a.boundaryFlux(x).inlet).toBeCloseTo(3e-4 * 2e-6, 18);
  });
});

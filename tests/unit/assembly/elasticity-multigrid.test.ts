/**
 * The matrix-free geometric multigrid of the voxel elasticity operator
 * (src/assembly/elasticity-multigrid.ts): its level-0 kernel against the operator's element loop,
 * the element-wise Galerkin coarse operators against P̃ᵀ A P̃ with the split coarse nodes, the
 * symmetry and positivity of the V-cycle, the CG solution against AMG-CG, the threaded kernel
 * against the serial one, and the iteration counts under refinement.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ElasticityMultigridPreconditioner } from '../../../src/assembly/elasticity-multigrid.js';
import { ElasticityOperator, type DirichletSpec } from '../../../src/assembly/elasticity-operator.js';
import type { Shape3 } from '../../../src/core/volume.js';
import { isotropicStiffness } from '../../../src/fem/q1-hexahedron.js';
import { cg } from '../../../src/linalg/cg.js';
import { SmoothedAggregationPreconditioner } from '../../../src/linalg/smoothed-aggregation.js';
import { configureThreads, shutdownThreadPool } from '../../../src/linalg/thread-pool.js';

afterAll(() => { configureThreads({ threads: undefined, minUnknowns: 200_000 }); shutdownThreadPool(); });

/** Overlapping random spheres (two materials by sphere parity): a porous, multiply connected solid. */
function spheres(n: number, radius: number, count: number, seed = 3): Uint8Array {
  const m = new Uint8Array(n * n * n);
  let s = seed >>> 0;
  const rnd = (): number => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 4294967296; };
  for (let k = 0; k < count; k++) {
    const cx = rnd() * n, cy = rnd() * n, cz = rnd() * n, id = 1 + (k % 2);
    for (let z = 0; z < n; z++) for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
      if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 + (z + 0.5 - cz) ** 2 <= radius * radius) m[x + n * (y + n * z)] = id;
    }
  }
  return m;
}

const STIFF = [null, isotropicStiffness(200e9, 0.3), isotropicStiffness(2e9, 0.25)];
/** Collector-like condition: u_z = 0 on z = 0, clusters pinned minimally (as `swell` builds it). */
const COLLECTOR: DirichletSpec[] = [{ face: { axis: 2, side: 'low' }, components: [2] }];

function porous(n: number): ElasticityOperator {
  return new ElasticityOperator({ shape: [n, n, n], spacing: [4e-7, 4e-7, 4e-7], material: spheres(n, n / 5, 14), stiffness: STIFF, dirichlet: COLLECTOR, floatingClusters: 'pin' });
}

function randomVector(n: number, seed: number): Float64Array {
  let s = seed >>> 0;
  return Float64Array.from({ length: n }, () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2147483648 - 1; });
}

const dot = (a: Float64Array, b: Float64Array): number => { let t = 0; for (let i = 0; i < a.length; i++) t += a[i] * b[i]; return t; };
const norm = (a: Float64Array): number => Math.sqrt(dot(a, a));

describe('ElasticityMultigridPreconditioner', () => {
  const op = porous(20);
  const M = new ElasticityMultigridPreconditioner(op);

  it('builds a hierarchy with split coarse nodes and deduplicated element matrices', () => {
    expect(op.clusters.pinnedDofs).toBeGreaterThan(0);
    expect(M.levels.length).toBeGreaterThanOrEqual(3);
    const l1 = M.levels[1];
    expect(l1.cellShape).toEqual([10, 10, 10]);
    // split nodes: more level-1 nodes than plain trilinear coarsening (one node per grid position)
    expect(l1.nodes).toBeGreaterThan(new ElasticityMultigridPreconditioner(op, { splitNodes: false }).levels[1].nodes);
    expect(l1.distinctMatrices).toBeLessThan(l1.elements);
    expect(M.levels.at(-1)!.coarseSolver).toBe('cholesky');
  });

  it('level 0 (grid kernel) equals the operator (element loop) on the free DOFs', () => {
    const x = randomVector(op.n, 1), y = new Float64Array(op.n);
    op.apply(x, y);
    const L0 = M.ops[0];
    const xg = new Float64Array(L0.n), yg = new Float64Array(L0.n);
    for (let d = 0; d < op.n; d++) xg[3 * op.nodeOfDof[d] + op.componentOfDof[d]] = x[d];
    L0.apply(xg, yg);
    let err = 0;
    for (let d = 0; d < op.n; d++) err = Math.max(err, Math.abs(yg[3 * op.nodeOfDof[d] + op.componentOfDof[d]] - y[d]));
    expect(err / Math.max(...y.map(Math.abs))).toBeLessThan(1e-13);
    expect(L0.kernelInfo!.uniformNodes).toBeGreaterThan(0);
    expect(L0.kernelInfo!.mixedNodes).toBeGreaterThan(0);
  });

  it('coarse operators are the Galerkin products P̃ᵀ A P̃ (element-wise, with split nodes and masked constraints)', () => {
    for (let l = 0; l + 1 < M.ops.length; l++) {
      const F = M.ops[l], C = M.ops[l + 1], T = M.transfers[l];
      const xc = randomVector(C.n, 7 + l);
      for (let i = 0; i < C.n; i++) xc[i] *= C.activeMask[i];
      const xf = new Float64Array(F.n), yf = new Float64Array(F.n), yc = new Float64Array(C.n), ref = new Float64Array(C.n);
      T.prolongAdd(xc, xf);
      F.apply(xf, yf);
      for (let i = 0; i < F.n; i++) yf[i] *= F.activeMask[i];
      T.restrict(yf, ref);
      C.apply(xc, yc);
      for (let i = 0; i < C.n; i++) yc[i] *= C.activeMask[i];
      let err = 0;
      for (let i = 0; i < C.n; i++) err = Math.max(err, Math.abs(yc[i] - ref[i]));
      expect(err / Math.max(...ref.map(Math.abs))).toBeLessThan(1e-12);
    }
  });

  it('the V-cycle is symmetric and positive definite', () => {
    const r1 = randomVector(op.n, 11), r2 = randomVector(op.n, 12), z1 = new Float64Array(op.n), z2 = new Float64Array(op.n);
    M.apply(r1, z1);
    M.apply(r2, z2);
    expect(Math.abs(dot(z1, r2) - dot(r1, z2)) / (norm(z1) * norm(r2))).toBeLessThan(1e-12);
    expect(dot(r1, z1)).toBeGreaterThan(0);
    expect(dot(r2, z2)).toBeGreaterThan(0);
  });

  it('CG with it solves to the AMG-CG solution', () => {
    const b = op.rhs({ eigenstrain: { isotropic: randomVector(20 ** 3, 5).map((v) => 0.01 * (1 + v)) } });
    const g = M.solve(b, { rtol: 1e-10, maxIterations: 300 });
    expect(g.relativeResidual).toBeLessThanOrEqual(1e-10);
    const A = op.toCsr();
    const amg = new SmoothedAggregationPreconditioner(A, { nearNullSpace: op.rigidBodyModes(), nodeOfUnknown: op.aggregationNodes() });
    const a = cg(A, b, { rtol: 1e-10, preconditioner: amg, maxIterations: 500 });
    const diff = g.u.map((v, i) => v - a.x[i]);
    expect(norm(diff) / norm(a.x)).toBeLessThan(1e-8);
    // and its true residual through the operator's own element loop
    const r = new Float64Array(op.n);
    op.apply(g.u, r);
    for (let i = 0; i < op.n; i++) r[i] = b[i] - r[i];
    expect(norm(r) / norm(b)).toBeLessThan(2e-10);
  });

  it('splitting the coarse nodes by connectivity lowers the iterations on a porous solid', () => {
    const b = op.rhs({ eigenstrain: { isotropic: new Float64Array(20 ** 3).fill(0.01) } });
    const split = M.solve(b, { rtol: 1e-8 }).iterations;
    const plain = new ElasticityMultigridPreconditioner(op, { splitNodes: false }).solve(b, { rtol: 1e-8 }).iterations;
    expect(split).toBeLessThan(plain);
  });

  it('on a threaded level-0 kernel: the same result bitwise', () => {
    configureThreads({ threads: 2, minUnknowns: 1000 });
    const T = new ElasticityMultigridPreconditioner(op);
    expect(T.kernelInfo.threads).toBe(2);
    const b = op.rhs({ eigenstrain: { isotropic: new Float64Array(20 ** 3).fill(0.01) } });
    const serial = M.solve(b, { rtol: 1e-8 }), threaded = T.solve(b, { rtol: 1e-8 });
    expect(threaded.iterations).toBe(serial.iterations);
    expect(Array.from(threaded.u)).toEqual(Array.from(serial.u));
    configureThreads({ threads: 1 });
  });
});

describe('ElasticityMultigridPreconditioner iterations under refinement', () => {
  it('stay within ±20 % on a clamped two-phase block from 8³ to 32³ (no void)', () => {
    const its: number[] = [];
    for (const n of [8, 16, 32]) {
      const shape: Shape3 = [n, n, n];
      const material = new Uint8Array(n ** 3).map((_, v) => 1 + (((v % n) * 4 < n * 2 ? 1 : 0) ^ ((Math.floor(v / (n * n)) * 4 < n * 2) ? 1 : 0)));
      const op = new ElasticityOperator({ shape, spacing: [1 / n, 1 / n, 1 / n], material, stiffness: STIFF, dirichlet: [{ face: { axis: 2, side: 'low' }, components: [0, 1, 2] }] });
      const M = new ElasticityMultigridPreconditioner(op);
      const b = op.rhs({ eigenstrain: { uniform: [0.01, 0.01, 0.01, 0, 0, 0] } });
      const r = M.solve(b, { rtol: 1e-8 });
      expect(r.relativeResidual).toBeLessThanOrEqual(1e-8);
      its.push(r.iterations);
    }
    const mean = its.reduce((a, b) => a + b, 0) / its.length;
    for (const k of its) expect(Math.abs(k - mean) / mean).toBeLessThanOrEqual(0.2);
  });
});

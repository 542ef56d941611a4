/**
 * The accelerated-backend layer (src/linalg/backends): one spec, run over every available backend
 * (js always; tfjs when TensorFlow.js loads — float32 tolerances there).
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { Shape3 } from '../../../src/core/volume.js';
import { assembleDiffusionOperator, type DiffusionOperator } from '../../../src/assembly/diffusion-operator.js';
import { cg } from '../../../src/linalg/cg.js';
import { norm2 } from '../../../src/linalg/vector.js';
import { gatherFromGrid, gridStencilFromCsr, scatterToGrid, stencilGershgorinBound, validateGridStencil } from '../../../src/linalg/backends/js-backend.js';
import { getKernel, listBackends, selectBackend, type GridStencil } from '../../../src/linalg/backends/registry.js';
import { TFJS_NODE_PACKAGES, tfjsMemory } from '../../../src/linalg/backends/tfjs-backend.js';
import { lcg } from './helpers.js';

/** Random 3-phase conductivity: σ = 1 (55 %), 1e-3 (25 %), 0 (20 %). */
function threePhase(shape: Shape3, seed: number): Float64Array {
  const r = lcg(seed);
  const k = new Float64Array(shape[0] * shape[1] * shape[2]);
  for (let i = 0; i < k.length; i++) {
    const u = (r() + 1) / 2;
    k[i] = u < 0.55 ? 1 : u < 0.8 ? 1e-3 : 0;
  }
  return k;
}

function problem(shape: Shape3, seed: number): { op: DiffusionOperator; stencil: GridStencil } {
  const op = assembleDiffusionOperator({ shape, conductivity: threePhase(shape, seed), axis: 2 });
  return { op, stencil: gridStencilFromCsr(op.matrix, shape, op.voxelOfUnknown) };
}

function relDiff(a: Float64Array, b: Float64Array): number {
  let d = 0, s = 0;
  for (let i = 0; i < a.length; i++) { d += (a[i] - b[i]) ** 2; s += b[i] ** 2; }
  return Math.sqrt(d / s);
}

/** ‖e‖_A² for e = x − x* (CSR, Float64). */
function energyError(op: DiffusionOperator, x: Float64Array, xStar: Float64Array): number {
  const e = x.map((v, i) => v - xStar[i]);
  const Ae = new Float64Array(e.length);
  op.matrix.apply(e, Ae);
  return e.reduce((s, v, i) => s + v * Ae[i], 0);
}

const statuses = await listBackends();
const available = statuses.filter((s) => s.available).map((s) => s.name);
const small: Shape3 = [11, 9, 8];

describe('backend registry', () => {
  it('lists js (Float64, always available) and reports tfjs without throwing', () => {
    const js = statuses.find((s) => s.name === 'js');
    expect(js?.available).toBe(true);
    expect(js?.precision).toBe('float64');
    const tf = statuses.find((s) => s.name === 'tfjs');
    expect(tf).toBeDefined();
    expect(tf?.precision).toBe('float32');
    expect(typeof tf?.detail).toBe('string');
  });

  it('reports a missing @tensorflow/tfjs-node(-gpu) as absent, not as an error', () => {
    const tf = statuses.find((s) => s.name === 'tfjs');
    const require = createRequire(import.meta.url);
    for (const pkg of TFJS_NODE_PACKAGES) {
      let installed = true;
      try { require.resolve(pkg); } catch { installed = false; }
      const reported = tf?.optional?.[pkg] ?? '';
      if (!installed) expect(reported, pkg).toBe('absent');
      else expect(reported, pkg).not.toBe('absent');
    }
    // absent optional bindings do not make tfjs unavailable when tfjs-core and wasm are installed
    if (tf?.optional?.['@tensorflow/tfjs-backend-wasm'] === 'loaded') expect(tf.available).toBe(true);
  });

  it('throws a clear error for an unregistered kernel or backend', () => {
    expect(() => getKernel('stencilApply', 'nope')).toThrow(/no kernel 'stencilApply' registered for backend 'nope'/);
  });

  it("'auto' returns a valid, available backend from a measured benchmark, cached per process", async () => {
    const shape: Shape3 = [24, 24, 24];
    const a = await selectBackend('auto', shape);
    expect(available).toContain(a.name);
    expect(a.status.available).toBe(true);
    expect(a.timings?.js).toBeGreaterThan(0);
    expect(a.reason).toMatch(/auto on 24x24x24/);
    const b = await selectBackend('auto', shape);
    expect(b).toBe(a);
    const js = await selectBackend('js');
    expect(js.name).toBe('js');
  });
});

describe.each(available)("backend '%s'", (name) => {
  const f32 = statuses.find((s) => s.name === name)?.precision === 'float32';
  const tol = f32 ? 2e-6 : 1e-13;

  it('stencil apply matches the CSR matrix-vector product', () => {
    const { op, stencil } = problem(small, 3);
    validateGridStencil(stencil);
    expect(stencilGershgorinBound(stencil)).toBeLessThanOrEqual(2 + 1e-12);
    const r = lcg(7);
    const x = Float64Array.from({ length: op.n }, () => r());
    const yRef = new Float64Array(op.n);
    op.matrix.apply(x, yRef);
    const N = small[0] * small[1] * small[2];
    const xg = new Float64Array(N), yg = new Float64Array(N).fill(Number.NaN);
    scatterToGrid(x, op.voxelOfUnknown, xg);
    getKernel('stencilApply', name)(stencil, xg, yg);
    const y = new Float64Array(op.n);
    gatherFromGrid(yg, op.voxelOfUnknown, y);
    expect(relDiff(y, yRef)).toBeLessThan(tol);
    for (let v = 0; v < N; v++) if (!stencil.mask[v]) expect(yg[v]).toBe(0);
  });

  it('dot and axpy', () => {
    const r = lcg(9);
    const x = Float64Array.from({ length: 1000 }, () => r());
    const y = Float64Array.from({ length: 1000 }, () => r());
    const ref = x.reduce((s, v, i) => s + v * y[i], 0);
    expect(Math.abs(getKernel('dot', name)(x, y) - ref)).toBeLessThan(tol * 1000);
    const z = y.slice();
    getKernel('axpy', name)(-0.5, x, z);
    expect(relDiff(z, y.map((v, i) => v - 0.5 * x[i]))).toBeLessThan(tol);
  });

  it('Jacobi and Chebyshev smoothing reduce the energy-norm error', () => {
    const { op, stencil } = problem(small, 4);
    const r = lcg(11);
    const xStar = Float64Array.from({ length: op.n }, () => r());
    const b = new Float64Array(op.n);
    op.matrix.apply(xStar, b);
    const N = stencil.mask.length;
    const bg = new Float64Array(N);
    scatterToGrid(b, op.voxelOfUnknown, bg);
    const e0 = energyError(op, new Float64Array(op.n), xStar);
    const errAfter = (xg: Float64Array): number => {
      const x = new Float64Array(op.n);
      gatherFromGrid(xg, op.voxelOfUnknown, x);
      return energyError(op, x, xStar);
    };
    const xj = new Float64Array(N);
    getKernel('jacobiSmooth', name)(stencil, bg, xj, 10, 0.6);
    const ej = errAfter(xj);
    expect(ej).toBeLessThan(0.5 * e0);
    const lambdaHigh = stencilGershgorinBound(stencil);
    const xc = new Float64Array(N);
    getKernel('chebyshevSmooth', name)(stencil, bg, xc, { degree: 10, lambdaLow: lambdaHigh / 30, lambdaHigh, xIsZero: true });
    const ec = errAfter(xc);
    expect(ec).toBeLessThan(ej); // same number of stencil applies, better polynomial
    // continuing from a non-zero guess keeps reducing it
    getKernel('chebyshevSmooth', name)(stencil, bg, xc, { degree: 4, lambdaLow: lambdaHigh / 30, lambdaHigh });
    expect(errAfter(xc)).toBeLessThan(ec);
  });

  it('Float64 PCG with the Chebyshev polynomial preconditioner reaches true relative residual 1e-8 (32³, contrast 1000)', () => {
    const shape: Shape3 = [32, 32, 32];
    const { op, stencil } = problem(shape, 5);
    const M = getKernel('chebyshevPreconditioner', name)(stencil, { degree: 8, cellOfUnknown: op.voxelOfUnknown });
    try {
      expect(M.n).toBe(op.n);
      expect(M.variable ?? false).toBe(f32); // float32 ⇒ flexible CG
      const res = cg(op, op.rhs, { preconditioner: M, rtol: 1e-8, maxIterations: 2000 });
      const r = new Float64Array(op.n);
      op.matrix.residual(op.rhs, res.x, r);
      const trueRel = norm2(r) / norm2(op.rhs);
      expect(trueRel).toBeLessThanOrEqual(1e-8);
      const jac = cg(op, op.rhs, { rtol: 1e-8, maxIterations: 20000, preconditioner: { n: op.n, apply: (a, z) => { const d = op.matrix.diagonal(); for (let i = 0; i < op.n; i++) z[i] = a[i] / d[i]; } } });
      expect(res.iterations).toBeLessThan(jac.iterations / 3); // degree 8 ⇒ ≥ 3× fewer outer iterations than Jacobi
    } finally {
      M.dispose();
    }
  });

  it('does not leak backend memory across iterations', () => {
    if (!f32) return; // Float64Array kernels hold no backend resources
    const { op, stencil } = problem(small, 6);
    const N = stencil.mask.length;
    const x = new Float64Array(N).fill(1), y = new Float64Array(N);
    const M = getKernel('chebyshevPreconditioner', name)(stencil, { degree: 6, cellOfUnknown: op.voxelOfUnknown });
    const z = new Float64Array(op.n);
    M.apply(op.rhs, z); // warm-up: uploads the stencil tensors
    getKernel('stencilApply', name)(stencil, x, y);
    const before = tfjsMemory();
    for (let k = 0; k < 25; k++) {
      M.apply(op.rhs, z);
      getKernel('stencilApply', name)(stencil, x, y);
      getKernel('jacobiSmooth', name)(stencil, x, y, 2, 0.6);
      getKernel('chebyshevSmooth', name)(stencil, x, y, { degree: 3, lambdaLow: 0.1, lambdaHigh: 2 });
      getKernel('dot', name)(x, y);
      getKernel('axpy', name)(1, x, y);
    }
    const after = tfjsMemory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    M.dispose();
    expect(tfjsMemory().numTensors).toBe(before.numTensors - 8); // the 8 stencil tensors are freed
  });
});

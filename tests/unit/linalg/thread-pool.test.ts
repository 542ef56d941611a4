/**
 * The worker-thread pool (src/linalg/thread-pool.ts): threaded fine-level and level-1 kernels give
 * the serial results (SpMV / residual / restriction bitwise; Gauss–Seidel in its parallel row
 * order ≈ the same iteration count), deterministically; the threaded multigrid setup (aggregation,
 * Galerkin product) is bitwise the serial one.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Shape3 } from '../../../src/core/volume.js';
import { assembleDiffusionOperator } from '../../../src/assembly/diffusion-operator.js';
import { tortuosity } from '../../../src/sim/tortuosity.js';
import { configureThreads, CsrParallel, shutdownThreadPool, StencilParallel, threadedCsr, ThreadPool } from '../../../src/linalg/thread-pool.js';
import { aggregateOnGrid, galerkinAggregation } from '../../../src/linalg/aggregation.js';
import { CMD } from '../../../src/linalg/parallel-kernels.js';
import { MultigridPreconditioner } from '../../../src/linalg/multigrid-preconditioner.js';
import { lcg } from './helpers.js';

function medium(shape: Shape3, seed: number): Uint8Array {
  const r = lcg(seed);
  const m = new Uint8Array(shape[0] * shape[1] * shape[2]);
  for (let i = 0; i < m.length; i++) m[i] = (r() + 1) / 2 < 0.7 ? 1 : 0;
  return m;
}

const shape: Shape3 = [24, 22, 30];
const mask = medium(shape, 7);

afterAll(() => { configureThreads({ threads: undefined, minUnknowns: 200_000 }); shutdownThreadPool(); });

describe('thread pool', () => {
  it('threaded SpMV and residual are bitwise the serial ones', () => {
    configureThreads({ threads: 2, minUnknowns: 1000 });
    const op = assembleDiffusionOperator({ shape, conductivity: mask, axis: 2 });
    expect(op.stencil.diag.buffer).toBeInstanceOf(SharedArrayBuffer);
    const par = StencilParallel.create(op.stencil);
    if (typeof par === 'string') throw new Error(par);
    expect(par.threads).toBe(2);
    const n = op.n;
    const x = par.vector(n), y = par.vector(n), r = par.vector(n);
    for (let i = 0; i < n; i++) x[i] = Math.sin(i);
    const xy = par.applyDot(x, y);
    const ys = new Float64Array(n);
    op.stencil.applyRange(x, ys, 0, n);
    expect(Array.from(y)).toEqual(Array.from(ys));
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i] * ys[i];
    expect(Math.abs(xy - s)).toBeLessThan(1e-12 * Math.abs(s));
    par.residual(op.rhs, x, r);
    const rs = new Float64Array(n);
    op.stencil.residualRange(op.rhs, x, rs, 0, n);
    expect(Array.from(r)).toEqual(Array.from(rs));
  });

  it('after a zero-start forward sweep the cheap (upper) residual restriction equals the full one, serial and threaded', () => {
    configureThreads({ threads: 2, minUnknowns: 1000 });
    const big: Shape3 = [26, 24, 28];
    const op = assembleDiffusionOperator({ shape: big, conductivity: medium(big, 17), axis: 2 });
    const agg = aggregateOnGrid(op.stencil, big, op.voxelOfUnknown);
    const par = StencilParallel.create(op.stencil, agg.aggregate);
    if (typeof par === 'string') throw new Error(par);
    expect(par.upperFrom[1]).toBeGreaterThan(par.bodies[1]); // rows next to the band take the full residual
    const n = op.n, nc = agg.nCoarse;
    const b = par.vector(n);
    for (let i = 0; i < n; i++) b[i] = Math.sin(0.3 * i) + op.rhs[i];
    const close = (u: Float64Array, w: Float64Array) => {
      let m = 0, d = 0;
      for (let I = 0; I < u.length; I++) { m = Math.max(m, Math.abs(w[I])); d = Math.max(d, Math.abs(u[I] - w[I])); }
      return d / m;
    };
    // threaded: the sweep in the partitions' order (bodies, then bands)
    const x = par.vector(n), full = par.vector(nc), cheap = par.vector(nc);
    par.gaussSeidelForward(b, x, true);
    par.restrictResidual(b, x, agg.aggregate, full);
    par.restrictResidualAfterForward(b, x, agg.aggregate, cheap);
    expect(close(cheap, full)).toBeLessThan(1e-12);
    // serial
    const bs = Float64Array.from(b), xs = new Float64Array(n), fs = new Float64Array(nc), cs = new Float64Array(nc);
    op.stencil.gaussSeidel(bs, xs, true, true);
    op.stencil.restrictResidual(bs, xs, agg.aggregate, fs);
    op.stencil.restrictResidualAfterForward(bs, xs, agg.aggregate, cs);
    expect(close(cs, fs)).toBeLessThan(1e-12);
  });

  it('threaded CSR restriction (partitions respecting the aggregates) is bitwise the serial residual + sum', () => {
    configureThreads({ threads: 2, minUnknowns: 1000 });
    const big: Shape3 = [30, 30, 30];
    const op = assembleDiffusionOperator({ shape: big, conductivity: medium(big, 5), axis: 0 });
    const agg0 = aggregateOnGrid(op.stencil, big, op.voxelOfUnknown);
    const A1 = galerkinAggregation(op.stencil, agg0.aggregate, agg0.nCoarse);
    const A = threadedCsr(A1).A;
    const agg = aggregateOnGrid(A, agg0.coarseShape, agg0.coarseCellOf);
    expect(agg.aggregate.buffer).toBeInstanceOf(SharedArrayBuffer);
    const par = CsrParallel.create(A, agg.aggregate);
    if (typeof par === 'string') throw new Error(par);
    // no aggregate has rows in both partitions
    const side = new Int8Array(agg.nCoarse).fill(-1);
    let spanning = 0;
    for (let i = 0; i < A.nRows; i++) {
      const s = i < par.ranges[1] ? 0 : 1, g = agg.aggregate[i];
      if (side[g] < 0) side[g] = s; else if (side[g] !== s) spanning++;
    }
    expect(spanning).toBe(0);
    expect(par.ranges[1]).toBeGreaterThan(0.3 * A.nRows);
    expect(par.ranges[1]).toBeLessThan(0.7 * A.nRows);
    const n = A.nRows;
    const shared = (m: number, f: (i: number) => number) => {
      const v = new Float64Array(new SharedArrayBuffer(8 * m));
      for (let i = 0; i < m; i++) v[i] = f(i);
      return v;
    };
    const b = shared(n, Math.sin), x = shared(n, (i) => Math.cos(3 * i));
    const rc = shared(agg.nCoarse, () => 0);
    par.restrictResidual(b, x, rc);
    const r = new Float64Array(n), rs = new Float64Array(agg.nCoarse);
    A1.residual(b, x, r);
    for (let i = 0; i < n; i++) rs[agg.aggregate[i]] += r[i];
    expect(Array.from(rc)).toEqual(Array.from(rs));
    const xs = Float64Array.from(x);
    par.prolong(rc, x);
    for (let i = 0; i < n; i++) xs[i] += rs[agg.aggregate[i]];
    expect(Array.from(x)).toEqual(Array.from(xs));
  });

  it('threaded tortuosity agrees with serial (τ to 1e-9, iterations ±20 %) and is deterministic', () => {
    configureThreads({ threads: 1, minUnknowns: 1000 });
    const serial = tortuosity({ shape, mask, axis: 2 });
    expect(serial.threads.threads).toBe(1);
    configureThreads({ threads: 2, minUnknowns: 1000 });
    const a = tortuosity({ shape, mask, axis: 2 });
    const b = tortuosity({ shape, mask, axis: 2 });
    expect(a.threads.threads).toBe(2);
    expect(a.threads.reason).not.toMatch(/level 1 serial/); // the first coarse (CSR) level is threaded too
    expect(Math.abs(a.tortuosityFactor - serial.tortuosityFactor)).toBeLessThan(1e-9 * serial.tortuosityFactor);
    expect(Math.abs(a.iterations - serial.iterations)).toBeLessThanOrEqual(Math.max(1, Math.round(0.2 * serial.iterations)));
    expect(b.tortuosityFactor).toBe(a.tortuosityFactor);
    expect(b.iterations).toBe(a.iterations);
    expect(a.relativeResidual).toBeLessThanOrEqual(1e-8);
  });

  it('every coarse level above the threshold is threaded too, with the serial answer', () => {
    const big: Shape3 = [40, 40, 40];
    const m = medium(big, 9);
    configureThreads({ threads: 1, minUnknowns: 500 });
    const serial = tortuosity({ shape: big, mask: m, axis: 1 });
    configureThreads({ threads: 2, minUnknowns: 500 });
    const op = assembleDiffusionOperator({ shape: big, conductivity: m, axis: 1 });
    const mg = new MultigridPreconditioner(op.stencil, op.grid);
    const info = mg.levelInfo;
    // levels 0, 1 and 2 (≥ 500 unknowns) on the pool, the small ones serial
    expect(info.slice(0, 3).map((l) => l.threaded)).toEqual([true, true, true]);
    for (const l of info) expect(l.threaded).toBe(l === info[0] || (l.n >= 500 && info.indexOf(l) < info.length - 1));
    // the coarse levels' restriction and K-cycle vector work run on the pool too
    const run = vi.spyOn(ThreadPool.prototype, 'run');
    let a;
    try {
      a = tortuosity({ shape: big, mask: m, axis: 1 });
      const cmds = new Set(run.mock.calls.map((c) => c[0]));
      for (const c of [CMD.CSR_RESTRICT, CMD.AXPY_NORM2, CMD.LINEAR_COMBINATION, CMD.DOT]) expect(cmds.has(c), `command ${c}`).toBe(true);
    } finally { run.mockRestore(); }
    expect(Math.abs(a.tortuosityFactor - serial.tortuosityFactor)).toBeLessThan(1e-9 * serial.tortuosityFactor);
    expect(Math.abs(a.iterations - serial.iterations)).toBeLessThanOrEqual(Math.max(1, Math.round(0.2 * serial.iterations)));
    expect(a.relativeResidual).toBeLessThanOrEqual(1e-8);
  });

  it('threaded aggregation and Galerkin product are bitwise the serial ones', () => {
    const cases: { name: string; shape: Shape3; k: (s: Shape3) => Float64Array | Uint8Array }[] = [
      { name: 'mask, even nz', shape: [24, 22, 30], k: (sh) => medium(sh, 11) },
      { name: 'mask, odd sizes', shape: [25, 19, 33], k: (sh) => medium(sh, 12) },
      {
        // several conductivities (Float64 coefficients, weak couplings split blocks)
        name: 'three phases 1 / 0.1 / 1e-3 and pores', shape: [21, 26, 31], k: (sh) => {
          const r = lcg(13), m = medium(sh, 14), out = new Float64Array(m.length);
          for (let i = 0; i < m.length; i++) { const u = (r() + 1) / 2; out[i] = m[i] ? (u < 0.6 ? 1 : u < 0.8 ? 0.1 : 1e-3) : 0; }
          return out;
        },
      },
    ];
    const setup = (sh: Shape3, k: ArrayLike<number>) => {
      const op = assembleDiffusionOperator({ shape: sh, conductivity: k, axis: 0 });
      const agg = aggregateOnGrid(op.stencil, sh, op.voxelOfUnknown, 0.25);
      const Ac = galerkinAggregation(op.stencil, agg.aggregate, agg.nCoarse, agg.partitions);
      return { op, agg, Ac };
    };
    const run = vi.spyOn(ThreadPool.prototype, 'run');
    let splitChecked = 0;
    try {
      for (const c of cases) {
        const k = c.k(c.shape);
        configureThreads({ threads: 1, minUnknowns: 1000 });
        const serial = setup(c.shape, k);
        // 5000: the coarse level is below the threshold (its arrays are shared all the same)
        for (const [threads, minUnknowns] of [[2, 1000], [3, 1000], [2, 5000]]) {
          configureThreads({ threads, minUnknowns });
          run.mockClear();
          const t = setup(c.shape, k);
          const cmds = new Set(run.mock.calls.map((a) => a[0]));
          expect([CMD.AGG_STRONG, CMD.AGG_NUMBER, CMD.GAL_COUNT, CMD.GAL_PATTERN, CMD.GAL_VALUES].every((x) => cmds.has(x)), `${c.name}: ran on the pool`).toBe(true);
          expect(t.agg.nCoarse, c.name).toBe(serial.agg.nCoarse);
          expect(Array.from(t.agg.aggregate), c.name).toEqual(Array.from(serial.agg.aggregate));
          expect(Array.from(t.agg.coarseCellOf), c.name).toEqual(Array.from(serial.agg.coarseCellOf));
          expect(Array.from(t.Ac.rowPtr), c.name).toEqual(Array.from(serial.Ac.rowPtr));
          expect(Array.from(t.Ac.colIdx), c.name).toEqual(Array.from(serial.Ac.colIdx));
          expect(Array.from(t.Ac.values), c.name).toEqual(Array.from(serial.Ac.values));
          // the fine level's threads take the aggregation's partition as it is …
          const parts = t.agg.partitions!;
          expect(parts.length, c.name).toBe(threads + 1);
          const par = StencilParallel.create(t.op.stencil, t.agg.aggregate, parts);
          if (typeof par === 'string') throw new Error(par);
          expect(Array.from(par.ranges), c.name).toEqual(Array.from(parts));
          // … but not one that splits an aggregate (a boundary one row off)
          const bad = Int32Array.from(parts);
          bad[1] += t.agg.aggregate[bad[1]] === t.agg.aggregate[bad[1] + 1] ? 1 : 0;
          if (bad[1] !== parts[1]) {
            splitChecked++;
            const p2 = StencilParallel.create(t.op.stencil, t.agg.aggregate, bad);
            if (typeof p2 === 'string') throw new Error(p2);
            expect(Array.from(p2.ranges), c.name).not.toEqual(Array.from(bad));
          }
        }
      }
      expect(splitChecked).toBeGreaterThan(0);
    } finally {
      run.mockRestore();
      shutdownThreadPool();
    }
  });

  it('threaded assembly of the diffusion operator is bitwise the serial one', () => {
    const sh: Shape3 = [23, 20, 27];
    const m = medium(sh, 21);
    const N = m.length;
    const inShared = (a: ArrayLike<number>) => { const b = new Float64Array(new SharedArrayBuffer(8 * N)); b.set(Array.from(a)); return b; };
    const r = lcg(22);
    const multi = inShared(Array.from(m, (x) => (x ? ((r() + 1) / 2 < 0.5 ? 1 : 0.05) : 0)));
    const source = inShared(Array.from({ length: N }, () => r()));
    const cases: { name: string; k: ArrayLike<number>; source?: Float64Array; spacing?: [number, number, number] }[] = [
      { name: 'mask', k: m },
      { name: 'two conductivities (shared)', k: multi, spacing: [1, 0.5, 2] },
      { name: 'mask with a source (shared)', k: m, source },
    ];
    const run = vi.spyOn(ThreadPool.prototype, 'run');
    try {
      for (const c of cases) for (const axis of [0, 1, 2] as const) {
        const problem = { shape: sh, conductivity: c.k, axis, source: c.source, spacing: c.spacing, inletValue: 0.7, outletValue: -0.2 };
        configureThreads({ threads: 1, minUnknowns: 1000 });
        const a = assembleDiffusionOperator(problem);
        configureThreads({ threads: 2, minUnknowns: 1000 });
        run.mockClear();
        const b = assembleDiffusionOperator(problem);
        const label = `${c.name}, axis ${axis}`;
        expect(run.mock.calls.some((x) => x[0] === CMD.CELL_STENCIL), `${label}: ran on the pool`).toBe(true);
        for (const key of ['diag', 'gx', 'gy', 'gz', 'up', 'front', 'down', 'back'] as const) {
          expect(Array.from(b.stencil[key]), `${label}: ${key}`).toEqual(Array.from(a.stencil[key]));
        }
        expect(Array.from(b.rhs), `${label}: rhs`).toEqual(Array.from(a.rhs));
        expect(Array.from(b.voxelOfUnknown), label).toEqual(Array.from(a.voxelOfUnknown));
        const u = Float64Array.from({ length: a.n }, (_, i) => Math.cos(i));
        expect(b.boundaryFlux(u), label).toEqual(a.boundaryFlux(u));
      }
    } finally {
      run.mockRestore();
      shutdownThreadPool();
    }
  });
});

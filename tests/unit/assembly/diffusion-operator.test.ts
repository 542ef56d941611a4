/**
 * Coefficient storage of the diffusion operator: Float32 exactly when lossless, and then the very
 * same operator (solutions bitwise equal to the Float64 assembly, threaded kernels included).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Shape3, Vec3 } from '../../../src/core/volume.js';
import { assembleDiffusionOperator } from '../../../src/assembly/diffusion-operator.js';
import { cg } from '../../../src/linalg/cg.js';
import { MultigridPreconditioner } from '../../../src/linalg/multigrid-preconditioner.js';
import { configureThreads, shutdownThreadPool } from '../../../src/linalg/thread-pool.js';
import { lcg } from '../linalg/helpers.js';

const shape: Shape3 = [20, 18, 24];
const N = 20 * 18 * 24;
const r = lcg(5);
const mask = Uint8Array.from({ length: N }, () => ((r() + 1) / 2 < 0.65 ? 1 : 0));

afterAll(() => { configureThreads({ threads: undefined, minUnknowns: 200_000 }); shutdownThreadPool(); });

describe('diffusion operator coefficient storage', () => {
  it.each<[string, ArrayLike<number>, Vec3 | undefined, 'Float32Array' | 'Float64Array']>([
    ['a phase mask on cubic voxels', mask, undefined, 'Float32Array'],
    ['one conductivity value (0.3) on cubic voxels of 2 µm', Float64Array.from(mask, (m) => 0.3 * m), [2e-6, 2e-6, 2e-6], 'Float32Array'],
    ['a mask on anisotropic voxels (geometry factors not dyadic)', mask, [1, 1, 2], 'Float64Array'],
    ['two conductivity values', Float64Array.from(mask, (m, i) => m * (i % 7 === 0 ? 0.1 : 1)), undefined, 'Float64Array'],
  ])('%s → %s, the same values as the Float64 assembly', (_, conductivity, spacing, kind) => {
    const a = assembleDiffusionOperator({ shape, spacing, conductivity, axis: 1 });
    const b = assembleDiffusionOperator({ shape, spacing, conductivity, axis: 1, coefficients: 'float64' });
    expect(a.stencil.diag.constructor.name).toBe(kind);
    expect(b.stencil.diag).toBeInstanceOf(Float64Array);
    for (const k of ['diag', 'gx', 'gy', 'gz'] as const) expect(Array.from(a.stencil[k])).toEqual(Array.from(b.stencil[k]));
    expect(a.stencil.bytes).toBe(a.n * (kind === 'Float32Array' ? 32 : 48));
  });

  it.each([1, 2])('multigrid-CG on the Float32 operator gives bitwise the Float64 solution (%d thread(s))', (threads) => {
    configureThreads({ threads, minUnknowns: 1000 });
    const solve = (coefficients: 'auto' | 'float64') => {
      const op = assembleDiffusionOperator({ shape, conductivity: mask, axis: 2, coefficients });
      const mg = new MultigridPreconditioner(op.stencil, op.grid);
      expect(mg.threads.threads).toBe(threads);
      return { op, res: cg(op, op.rhs, { rtol: 1e-10, preconditioner: mg }) };
    };
    const f32 = solve('auto'), f64 = solve('float64');
    expect(f32.op.stencil.diag).toBeInstanceOf(Float32Array);
    expect(f32.res.iterations).toBe(f64.res.iterations);
    expect(Array.from(f32.res.x)).toEqual(Array.from(f64.res.x));
  });
});

/**
 * Accelerated backends (src/linalg/backends): js (Float64Array loops) vs tfjs (float32, wasm
 * here) on the same problems, in the same run, so their RATIO is meaningful even on a loaded
 * machine:
 *  - stencil apply (host-level kernel: Float64Array in/out; tfjs includes one float32 upload and
 *    download) and, for tfjs, the device-resident tensor kernel alone;
 *  - one Float64 PCG solve to rtol 1e-8 preconditioned by the degree-8 Chebyshev polynomial
 *    preconditioner of each backend (flexible CG for tfjs).
 * Problem: random 3-phase conductivity σ = 1 (55 %), 1e-3 (25 %), 0 (20 %), n³ voxels, Dirichlet
 * faces normal to z, for n = 64 and 128.
 * Run: `npx vitest bench --run tests/bench/backends.bench.ts` (medians are printed as `[backends] …`).
 */
import { bench, describe } from 'vitest';
import type { Shape3 } from '../../src/core/volume.js';
import { assembleDiffusionOperator, type DiffusionOperator } from '../../src/assembly/diffusion-operator.js';
import { cg } from '../../src/linalg/cg.js';
import { gridStencilFromCsr } from '../../src/linalg/backends/js-backend.js';
import { getKernel, listBackends, type GridStencil } from '../../src/linalg/backends/registry.js';
import { requireTf, stencilApplyTensor } from '../../src/linalg/backends/tfjs-backend.js';

const statuses = await listBackends();
const backends = statuses.filter((s) => s.available).map((s) => s.name);
// eslint-disable-next-line no-console
const log = (m: string): void => console.log(`[backends] ${m}`);
for (const s of statuses) log(`${s.name}: available=${s.available} ${s.detail} ${s.optional ? JSON.stringify(s.optional) : ''}`);

function threePhase(n: number, seed: number): Float64Array {
  let s = seed >>> 0;
  const k = new Float64Array(n * n * n);
  for (let i = 0; i < k.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 4294967296;
    k[i] = u < 0.55 ? 1 : u < 0.8 ? 1e-3 : 0;
  }
  return k;
}

const problems = new Map<number, { op: DiffusionOperator; stencil: GridStencil; x: Float64Array; y: Float64Array }>();
function problem(n: number): { op: DiffusionOperator; stencil: GridStencil; x: Float64Array; y: Float64Array } {
  let p = problems.get(n);
  if (!p) {
    const shape: Shape3 = [n, n, n];
    const op = assembleDiffusionOperator({ shape, conductivity: threePhase(n, 17), axis: 2 });
    const stencil = gridStencilFromCsr(op.matrix, shape, op.voxelOfUnknown);
    const x = new Float64Array(n * n * n);
    for (let i = 0; i < x.length; i++) x[i] = stencil.mask[i] ? Math.sin(i) : 0;
    p = { op, stencil, x, y: new Float64Array(x.length) };
    problems.set(n, p);
  }
  return p;
}

const medians = new Map<string, number[]>();
function timed(label: string, f: () => void): () => void {
  return () => {
    const t0 = performance.now();
    f();
    const dt = performance.now() - t0;
    const a = medians.get(label) ?? [];
    a.push(dt);
    medians.set(label, a);
  };
}
function report(label: string): void {
  const a = [...(medians.get(label) ?? [])].sort((p, q) => p - q);
  if (a.length) log(`${label}: median ${a[a.length >> 1].toFixed(2)} ms over ${a.length} runs (incl. warm-up)`);
}

for (const n of [64, 128]) {
  describe(`stencil apply ${n}³`, () => {
    for (const b of backends) {
      const label = `stencil ${b} ${n}³ (host Float64 in/out)`;
      bench(label, timed(label, () => { const p = problem(n); getKernel('stencilApply', b)(p.stencil, p.x, p.y); }),
        { time: 1500, iterations: 5, warmupIterations: 2, teardown: () => report(label) });
    }
    if (backends.includes('tfjs')) {
      const label = `stencil tfjs ${n}³ (device-resident tensor)`;
      let xp: ReturnType<typeof requireTf>['Tensor']['prototype'] | undefined;
      bench(label, timed(label, () => {
        const p = problem(n);
        const tf = requireTf();
        xp ??= tf.pad(tf.tensor3d(Float32Array.from(p.x), [n, n, n]), [[1, 1], [1, 1], [1, 1]]);
        stencilApplyTensor(p.stencil, xp as never).dispose();
      }), { time: 1500, iterations: 5, warmupIterations: 2, teardown: () => { report(label); } });
    }
  });

  describe(`Chebyshev(8)-preconditioned CG solve to 1e-8, ${n}³`, () => {
    for (const b of backends) {
      const label = `solve ${b} ${n}³`;
      bench(label, timed(label, () => {
        const { op, stencil } = problem(n);
        const M = getKernel('chebyshevPreconditioner', b)(stencil, { degree: 8, cellOfUnknown: op.voxelOfUnknown });
        try {
          const r = cg(op, op.rhs, { preconditioner: M, rtol: 1e-8, maxIterations: 5000 });
          log(`${label}: ${op.n} unknowns, ${r.iterations} iterations, true rel. residual ${r.relativeResidual.toExponential(2)}`);
        } finally { M.dispose(); }
      }), { time: 0, iterations: 1, warmupIterations: 0, warmupTime: 0, teardown: () => report(label) });
    }
  });
}

/**
 * 'auto' backend choice: a short measured micro-benchmark of the stencil kernel on the actual
 * problem size, cached per process (key: grid shape and number of active voxels).
 *
 * What is timed, for every available backend: the host-level `chebyshevSmooth` kernel of degree 4
 * from a zero guess — i.e. 3 stencil applies plus the vector updates, plus (tfjs) one float32
 * upload and download — which is exactly the work of one application of the Chebyshev polynomial
 * preconditioner per 3 stencil applies. One warm-up call, then up to `repetitions` timed calls
 * (stopping early after `budgetMs`), median taken.
 *
 * The rule is deliberately conservative: a float32 backend is chosen only when it is at least
 * `margin` (default 1.25×) faster than the Float64 reference, because float32 inside a
 * preconditioner costs some extra outer iterations. On the 2-core development machine
 * (tfjs-wasm, no threads) the js loops were faster at every size measured, so 'auto' picks 'js'
 * there (docs/backends.md).
 */
import type { Shape3 } from '../../core/volume.js';
import {
  backendStatus,
  getKernel,
  loadBuiltinBackends,
  type BackendName,
  type BackendSelection,
  type GridStencil,
} from './registry.js';

export interface AutoOptions {
  /** Timed calls per backend (after one warm-up). Default 5. */
  repetitions?: number;
  /** Stop timing a backend after this many milliseconds. Default 1500. */
  budgetMs?: number;
  /** A float32 backend must be this many times faster than 'js' to be chosen. Default 1.25. */
  margin?: number;
  /** Ignore the per-process cache. Default false. */
  fresh?: boolean;
}

const cache = new Map<string, BackendSelection>();

/** Uniform unit-conductance stencil on a full grid with Dirichlet faces normal to z (for when no problem is given). */
export function syntheticStencil(shape: Shape3): GridStencil {
  const [nx, ny, nz] = shape;
  const N = nx * ny * nz, nxy = nx * ny;
  const mask = new Uint8Array(N).fill(1);
  const gx = new Float64Array(N), gy = new Float64Array(N), gz = new Float64Array(N), diagonal = new Float64Array(N);
  for (let z = 0, v = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++, v++) {
    if (x < nx - 1) { gx[v] = 1; diagonal[v] += 1; diagonal[v + 1] += 1; }
    if (y < ny - 1) { gy[v] = 1; diagonal[v] += 1; diagonal[v + nx] += 1; }
    if (z < nz - 1) { gz[v] = 1; diagonal[v] += 1; diagonal[v + nxy] += 1; }
    if (z === 0 || z === nz - 1) diagonal[v] += 2;
  }
  return { shape: [nx, ny, nz], mask, gx, gy, gz, diagonal };
}

function median(a: number[]): number {
  const s = [...a].sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : 0.5 * (s[m - 1] + s[m]);
}

/** Median milliseconds of one degree-4 Chebyshev smoothing on `backend`. */
export function timeStencilKernel(backend: BackendName, s: GridStencil, repetitions = 5, budgetMs = 1500): number {
  const smooth = getKernel('chebyshevSmooth', backend);
  const N = s.mask.length;
  const b = new Float64Array(N), x = new Float64Array(N);
  for (let i = 0; i < N; i++) b[i] = s.mask[i] ? ((i * 2654435761) % 1000) / 1000 - 0.5 : 0;
  const opts = { degree: 4, lambdaLow: 0.1, lambdaHigh: 2, xIsZero: true };
  smooth(s, b, x, opts); // warm-up (tfjs: uploads the coefficient tensors, compiles nothing else)
  const times: number[] = [];
  const start = performance.now();
  for (let k = 0; k < repetitions; k++) {
    const t0 = performance.now();
    smooth(s, b, x, opts);
    times.push(performance.now() - t0);
    if (performance.now() - start > budgetMs) break;
  }
  return median(times);
}

export async function chooseBackendAuto(problem?: GridStencil | Shape3, options: AutoOptions = {}): Promise<BackendSelection> {
  await loadBuiltinBackends();
  const s = problem === undefined ? syntheticStencil([32, 32, 32]) : Array.isArray(problem) ? syntheticStencil(problem as Shape3) : (problem as GridStencil);
  let active = 0;
  for (let i = 0; i < s.mask.length; i++) active += s.mask[i] ? 1 : 0;
  const key = `${s.shape.join('x')}:${active}`;
  const hit = cache.get(key);
  if (hit && !options.fresh) return hit;

  const margin = options.margin ?? 1.25;
  const timings: Partial<Record<BackendName, number>> = {};
  const notes: string[] = [];
  const candidates: BackendName[] = ['js', 'tfjs'];
  for (const name of candidates) {
    const st = await backendStatus(name);
    if (!st.available) { notes.push(`${name} unavailable (${st.detail})`); continue; }
    try {
      timings[name] = timeStencilKernel(name, s, options.repetitions ?? 5, options.budgetMs ?? 1500);
    } catch (e) {
      notes.push(`${name} failed the benchmark (${e instanceof Error ? e.message : String(e)})`);
    }
    if (name === 'tfjs') {
      const { disposeStencilTensors } = await import('./tfjs-backend.js');
      disposeStencilTensors(s);
    }
  }
  const js = timings.js ?? Infinity;
  const tfjs = timings.tfjs;
  const name: BackendName = tfjs !== undefined && tfjs * margin < js ? 'tfjs' : 'js';
  const fmt = (v: number | undefined): string => (v === undefined ? 'n/a' : `${v.toFixed(2)} ms`);
  const reason = `auto on ${key} (degree-4 Chebyshev smoothing, median): js ${fmt(timings.js)}, tfjs ${fmt(tfjs)}` +
    ` → ${name}${name === 'js' && tfjs !== undefined ? ` (tfjs must be ${margin}× faster)` : ''}${notes.length ? `; ${notes.join('; ')}` : ''}`;
  const sel: BackendSelection = { name, status: await backendStatus(name), reason, timings };
  cache.set(key, sel);
  return sel;
}

/**
 * The 'tfjs' backend: the structured-grid kernels of registry.ts in float32 on TensorFlow.js.
 *
 * Which TensorFlow.js backend runs them (probed once, in this order; the first that works wins):
 *  1. '@tensorflow/tfjs-node-gpu', then '@tensorflow/tfjs-node' — native libtensorflow (CUDA for
 *     -gpu). OPTIONAL and not dependencies of lithomech: their install script downloads
 *     libtensorflow, which needs internet access (`npm install @tensorflow/tfjs-node`). When they
 *     are not installed they are reported as 'absent' (never an error).
 *  2. '@tensorflow/tfjs-backend-wasm' (a dependency; XNNPACK, SIMD when the runtime has it).
 *  3. '@tensorflow/tfjs-backend-cpu' (plain JS, only as a last resort).
 * LITHOMECH_TFJS_BACKEND=tensorflow|wasm|cpu forces one of them.
 *
 * Data layout: a full-grid vector is a 3D tensor [nz+2, ny+2, nx+2] with a zero halo (axis order
 * z, y, x so that the flat order is lithomech's x-fastest order). The 7-point stencil is then 7
 * shifted slices of the padded tensor times per-voxel coefficient tensors, summed with one addN,
 * and the result padded again (16 tensor ops per apply; a conv3d with one-hot kernels was ~20×
 * slower on wasm). The halo and the inactive voxels stay exactly 0 because D⁻¹ is stored as 0 there.
 *
 * float32 only: use these kernels inside a preconditioner or an inner smoother while the outer
 * Krylov method works in Float64 (TfjsChebyshevPreconditioner is `variable`, so `cg` switches to
 * flexible CG and still reaches rtol 1e-8 on the true residual).
 *
 * Memory: every kernel runs its intermediates in tf.tidy and disposes replaced iterates, so
 * tf.memory().numTensors is unchanged by a kernel call. The coefficient tensors of a stencil are
 * uploaded once (cached per GridStencil object); free them with disposeStencilTensors(s).
 */
import type * as TF from '@tensorflow/tfjs-core';
import {
  activeCount,
  chebyshevInterval,
  inverseDiagonal,
} from './js-backend.js';
import {
  registerBackend,
  registerKernel,
  type BackendStatus,
  type ChebyshevKernelOptions,
  type ChebyshevPreconditionerOptions,
  type DisposablePreconditioner,
  type GridStencil,
} from './registry.js';

type Tf = typeof TF;
type T3 = TF.Tensor3D;

let tf: Tf | undefined;

/** Optional native bindings, probed in this order. */
export const TFJS_NODE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message.split('\n')[0] : String(e);
}

/** True when `e` says that `pkg` itself (not one of its dependencies) cannot be found. */
function isPackageAbsent(e: unknown, pkg: string): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  const msg = errorMessage(e);
  const notFound = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (package|module)|Failed to (load|resolve)/i.test(msg);
  return notFound && msg.includes(pkg);
}

// A variable specifier keeps bundlers/TypeScript from resolving optional packages statically.
const importOptional = (specifier: string): Promise<unknown> => import(specifier);

async function initTfjs(): Promise<BackendStatus> {
  const optional: Record<string, string> = {};
  const base = { name: 'tfjs', precision: 'float32' as const, optional };
  try {
    tf = (await import('@tensorflow/tfjs-core')) as Tf;
  } catch (e) {
    optional['@tensorflow/tfjs-core'] = isPackageAbsent(e, '@tensorflow/tfjs-core') ? 'absent' : `failed: ${errorMessage(e)}`;
    return { ...base, available: false, detail: `@tensorflow/tfjs-core cannot be loaded (${errorMessage(e)})` };
  }
  const forced = process.env.LITHOMECH_TFJS_BACKEND;
  const order = forced === 'tensorflow' || forced === 'wasm' || forced === 'cpu' ? [forced] : ['tensorflow', 'wasm', 'cpu'];
  const t = tf;
  const trySet = async (name: string): Promise<boolean> => {
    try {
      if (!(await t.setBackend(name))) return false;
      await t.ready();
      return true;
    } catch { return false; }
  };
  let active: string | undefined;
  for (const which of order) {
    if (which === 'tensorflow') {
      for (const pkg of TFJS_NODE_PACKAGES) {
        if (active) { optional[pkg] = 'not tried (another binding loaded)'; continue; }
        try {
          await importOptional(pkg);
          if (await trySet('tensorflow')) { optional[pkg] = 'loaded'; active = `tensorflow (${pkg})`; }
          else optional[pkg] = "failed: imported, but the 'tensorflow' backend did not initialise";
        } catch (e) {
          optional[pkg] = isPackageAbsent(e, pkg) ? 'absent' : `failed: ${errorMessage(e)}`;
        }
      }
    } else if (!active) {
      const pkg = which === 'wasm' ? '@tensorflow/tfjs-backend-wasm' : '@tensorflow/tfjs-backend-cpu';
      try {
        await importOptional(pkg);
        if (await trySet(which)) { optional[pkg] = 'loaded'; active = which; }
        else optional[pkg] = `failed: backend '${which}' did not initialise`;
      } catch (e) {
        optional[pkg] = isPackageAbsent(e, pkg) ? 'absent' : `failed: ${errorMessage(e)}`;
      }
    }
    if (active) break;
  }
  if (!active) return { ...base, available: false, detail: `no TensorFlow.js backend could be initialised (${JSON.stringify(optional)})` };
  let flags = '';
  if (t.getBackend() === 'wasm') {
    const simd = await Promise.resolve(t.env().getAsync('WASM_HAS_SIMD_SUPPORT')).catch(() => false);
    const threads = await Promise.resolve(t.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')).catch(() => false);
    flags = ` (SIMD ${simd ? 'on' : 'off'}, threads ${threads ? 'on' : 'off'})`;
  }
  return { ...base, available: true, detail: `tfjs-core ${t.version_core} on '${t.getBackend()}'${flags}: ${active}` };
}

/** The loaded tfjs module; throws when the backend was not initialised (await backendStatus('tfjs') first). */
export function requireTf(): Tf {
  if (!tf || !tf.getBackend()) throw new Error("tfjs backend not initialised: await selectBackend('tfjs') or backendStatus('tfjs') first");
  return tf;
}

/** tf.memory() of the active TensorFlow.js engine (for leak checks). */
export function tfjsMemory(): { numTensors: number; numBytes: number } {
  const m = requireTf().memory();
  return { numTensors: m.numTensors, numBytes: m.numBytes };
}

// ---------------------------------------------------------------------------------------------
// Stencil tensors

interface TfStencil {
  /** interior dims [nz, ny, nx] */
  dims: [number, number, number];
  /** diagonal (0 on inactive voxels), interior */
  diag: T3;
  /** −g for the neighbours +x, −x, +y, −y, +z, −z, interior */
  coef: T3[];
  /** D⁻¹ padded (0 on the halo and on inactive voxels) */
  invDiagP: T3;
}

const stencilTensors = new WeakMap<GridStencil, TfStencil>();

function prepare(s: GridStencil): TfStencil {
  const cached = stencilTensors.get(s);
  if (cached) return cached;
  const t = requireTf();
  const [nx, ny, nz] = s.shape;
  const N = nx * ny * nz, nxy = nx * ny;
  const dims: [number, number, number] = [nz, ny, nx];
  const diag = new Float32Array(N);
  const c = Array.from({ length: 6 }, () => new Float32Array(N));
  for (let z = 0, v = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++, v++) {
    if (!s.mask[v]) continue;
    diag[v] = s.diagonal[v];
    c[0][v] = -s.gx[v];
    if (x > 0) c[1][v] = -s.gx[v - 1];
    c[2][v] = -s.gy[v];
    if (y > 0) c[3][v] = -s.gy[v - nx];
    c[4][v] = -s.gz[v];
    if (z > 0) c[5][v] = -s.gz[v - nxy];
  }
  const T: TfStencil = {
    dims,
    diag: t.tensor3d(diag, dims),
    coef: c.map((a) => t.tensor3d(a, dims)),
    invDiagP: t.tensor3d(padHost(inverseDiagonal(s), s.shape), paddedDims(s)),
  };
  stencilTensors.set(s, T);
  return T;
}

/** Free the coefficient tensors uploaded for `s` (they are re-uploaded if `s` is used again). */
export function disposeStencilTensors(s: GridStencil): void {
  const T = stencilTensors.get(s);
  if (!T) return;
  T.diag.dispose();
  for (const c of T.coef) c.dispose();
  T.invDiagP.dispose();
  stencilTensors.delete(s);
}

function paddedDims(s: GridStencil): [number, number, number] {
  const [nx, ny, nz] = s.shape;
  return [nz + 2, ny + 2, nx + 2];
}

/** Host full-grid vector → padded float32 buffer (zero halo). */
function padHost(v: ArrayLike<number>, shape: readonly [number, number, number], out?: Float32Array): Float32Array {
  const [nx, ny, nz] = shape;
  const px = nx + 2, pxy = px * (ny + 2);
  const o = out ?? new Float32Array(pxy * (nz + 2));
  if (out) o.fill(0);
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) {
    const src = nx * (y + ny * z), dst = 1 + px * (y + 1) + pxy * (z + 1);
    for (let x = 0; x < nx; x++) o[dst + x] = v[src + x];
  }
  return o;
}

/** Padded float32 buffer → host full-grid vector. */
function unpadHost(p: Float32Array | ArrayLike<number>, shape: readonly [number, number, number], out: Float64Array): void {
  const [nx, ny, nz] = shape;
  const px = nx + 2, pxy = px * (ny + 2);
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) {
    const dst = nx * (y + ny * z), src = 1 + px * (y + 1) + pxy * (z + 1);
    for (let x = 0; x < nx; x++) out[dst + x] = p[src + x];
  }
}

function upload(s: GridStencil, x: Float64Array): T3 {
  return requireTf().tensor3d(padHost(x, s.shape), paddedDims(s));
}

function download(s: GridStencil, xp: T3, out: Float64Array): void {
  unpadHost(xp.dataSync() as Float32Array, s.shape, out);
}

// ---------------------------------------------------------------------------------------------
// Tensor kernels (padded tensors in, new padded tensors out; the caller owns the result)

/** A · xp for a padded vector; returns a new padded tensor. */
export function stencilApplyTensor(s: GridStencil, xp: T3): T3 {
  const t = requireTf();
  const S = prepare(s);
  const [nz, ny, nx] = S.dims;
  return t.tidy((): T3 => {
    const sl = (dz: number, dy: number, dx: number): T3 => t.slice(xp, [1 + dz, 1 + dy, 1 + dx], [nz, ny, nx]);
    const y = t.addN([
      t.mul(S.diag, sl(0, 0, 0)),
      t.mul(S.coef[0], sl(0, 0, 1)), t.mul(S.coef[1], sl(0, 0, -1)),
      t.mul(S.coef[2], sl(0, 1, 0)), t.mul(S.coef[3], sl(0, -1, 0)),
      t.mul(S.coef[4], sl(1, 0, 0)), t.mul(S.coef[5], sl(-1, 0, 0)),
    ]) as T3;
    return t.pad(y, [[1, 1], [1, 1], [1, 1]]);
  });
}

/** Chebyshev–Jacobi smoothing on padded tensors; `xp` null = zero initial guess. Returns the new x (caller owns it; bp and xp are not disposed). */
export function chebyshevSmoothTensor(s: GridStencil, bp: T3, xp: T3 | null, o: ChebyshevKernelOptions): T3 {
  const t = requireTf();
  const S = prepare(s);
  const theta = 0.5 * (o.lambdaHigh + o.lambdaLow), delta = 0.5 * (o.lambdaHigh - o.lambdaLow);
  const sigma = theta / delta;
  let rho = 1 / sigma;
  let r: T3 = xp ? t.tidy(() => t.sub(bp, stencilApplyTensor(s, xp))) : (t.clone(bp) as T3);
  let d: T3 = t.tidy(() => t.mul(S.invDiagP, t.mul(r, 1 / theta)));
  let x: T3 = xp ? t.add(xp, d) : (t.clone(d) as T3);
  for (let k = 1; k < o.degree; k++) {
    const rhoNew = 1 / (2 * sigma - rho);
    const c1 = rhoNew * rho, c2 = (2 * rhoNew) / delta;
    const dOld = d, rOld = r, xOld = x;
    r = t.tidy(() => t.sub(rOld, stencilApplyTensor(s, dOld)));
    d = t.tidy(() => t.add(t.mul(dOld, c1), t.mul(S.invDiagP, t.mul(r, c2))));
    x = t.add(xOld, d);
    dOld.dispose(); rOld.dispose(); xOld.dispose();
    rho = rhoNew;
  }
  r.dispose(); d.dispose();
  return x;
}

// ---------------------------------------------------------------------------------------------
// Host-level kernels (registry signatures)

function stencilApplyTfjs(s: GridStencil, x: Float64Array, y: Float64Array): void {
  const xp = upload(s, x);
  const yp = stencilApplyTensor(s, xp);
  download(s, yp, y);
  xp.dispose(); yp.dispose();
}

function jacobiSmoothTfjs(s: GridStencil, b: Float64Array, x: Float64Array, steps: number, omega: number): void {
  const t = requireTf();
  const S = prepare(s);
  const bp = upload(s, b);
  let xp = upload(s, x);
  for (let k = 0; k < steps; k++) {
    const old = xp;
    xp = t.tidy(() => t.add(old, t.mul(t.mul(S.invDiagP, omega), t.sub(bp, stencilApplyTensor(s, old)))));
    old.dispose();
  }
  download(s, xp, x);
  bp.dispose(); xp.dispose();
}

function chebyshevSmoothTfjs(s: GridStencil, b: Float64Array, x: Float64Array, o: ChebyshevKernelOptions): void {
  const bp = upload(s, b);
  const xp = o.xIsZero ? null : upload(s, x);
  const out = chebyshevSmoothTensor(s, bp, xp, o);
  download(s, out, x);
  bp.dispose(); xp?.dispose(); out.dispose();
}

function axpyTfjs(a: number, x: Float64Array, y: Float64Array): void {
  const t = requireTf();
  const out = t.tidy(() => t.add(t.tensor1d(Float32Array.from(y)), t.mul(t.tensor1d(Float32Array.from(x)), a)));
  y.set(out.dataSync());
  out.dispose();
}

function dotTfjs(x: Float64Array, y: Float64Array): number {
  const t = requireTf();
  const out = t.tidy(() => t.sum(t.mul(t.tensor1d(Float32Array.from(x)), t.tensor1d(Float32Array.from(y)))));
  const v = out.dataSync()[0];
  out.dispose();
  return v;
}

/**
 * float32 Chebyshev polynomial preconditioner z ← p(D⁻¹A) D⁻¹ r on tfjs, for use inside Float64
 * PCG: r is rounded to float32, the polynomial runs on tensors, z comes back as Float64. The
 * rounding makes it a slightly non-linear map, so it is marked `variable` (flexible CG).
 * Same polynomial as JsChebyshevPreconditioner. Call dispose() when done (frees its buffers and
 * the stencil's coefficient tensors).
 */
export class TfjsChebyshevPreconditioner implements DisposablePreconditioner {
  readonly backend = 'tfjs';
  readonly n: number;
  readonly variable = true;
  readonly degree: number;
  readonly lambdaLow: number;
  readonly lambdaHigh: number;
  /** padded flat index of every unknown (compact ordering) or of every voxel */
  private readonly paddedIndex: Int32Array;
  private readonly buf: Float32Array;
  private readonly dims: [number, number, number];

  constructor(readonly stencil: GridStencil, options: ChebyshevPreconditionerOptions = {}) {
    requireTf();
    const iv = chebyshevInterval(stencil, options);
    this.degree = iv.degree; this.lambdaLow = iv.lambdaLow; this.lambdaHigh = iv.lambdaHigh;
    const [nx, ny, nz] = stencil.shape;
    const N = nx * ny * nz;
    this.dims = paddedDims(stencil);
    const cells = options.cellOfUnknown;
    this.n = cells ? cells.length : N;
    const px = nx + 2, pxy = px * (ny + 2);
    this.paddedIndex = new Int32Array(this.n);
    for (let i = 0; i < this.n; i++) {
      const c = cells ? cells[i] : i;
      const x = c % nx, y = Math.floor(c / nx) % ny, z = Math.floor(c / (nx * ny));
      this.paddedIndex[i] = x + 1 + px * (y + 1) + pxy * (z + 1);
    }
    this.buf = new Float32Array(this.dims[0] * this.dims[1] * this.dims[2]);
    if (cells && cells.length !== activeCount(stencil)) throw new RangeError('TfjsChebyshevPreconditioner: cellOfUnknown does not match the active voxels of the stencil');
    prepare(stencil);
  }

  apply(r: Float64Array, z: Float64Array): void {
    const t = requireTf();
    const pi = this.paddedIndex, buf = this.buf;
    buf.fill(0);
    for (let i = 0; i < pi.length; i++) buf[pi[i]] = r[i];
    const bp = t.tensor3d(buf, this.dims);
    const xp = chebyshevSmoothTensor(this.stencil, bp, null, { degree: this.degree, lambdaLow: this.lambdaLow, lambdaHigh: this.lambdaHigh });
    const out = xp.dataSync() as Float32Array;
    for (let i = 0; i < pi.length; i++) z[i] = out[pi[i]];
    bp.dispose(); xp.dispose();
  }

  dispose(): void {
    disposeStencilTensors(this.stencil);
  }
}

registerBackend({ name: 'tfjs', precision: 'float32', init: initTfjs });
registerKernel('stencilApply', 'tfjs', stencilApplyTfjs);
registerKernel('jacobiSmooth', 'tfjs', jacobiSmoothTfjs);
registerKernel('chebyshevSmooth', 'tfjs', chebyshevSmoothTfjs);
registerKernel('axpy', 'tfjs', axpyTfjs);
registerKernel('dot', 'tfjs', dotTfjs);
registerKernel('chebyshevPreconditioner', 'tfjs', (s, o) => new TfjsChebyshevPreconditioner(s, o));

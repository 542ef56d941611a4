/**
 * Accelerated-backend layer of the linear algebra: backends register kernels by name (as tfjs
 * registers its kernels per backend), callers look them up by (name, backend).
 *
 * A "backend" is an implementation of the structured-grid kernels below — the reference
 * Float64Array loops ('js', js-backend.ts) or float32 tensors on TensorFlow.js ('tfjs',
 * tfjs-backend.ts). Every kernel has the same host-level signature on every backend (Float64Array
 * in, Float64Array out), so one test runs over all of them; a backend converts internally (tfjs:
 * to float32 tensors and back). Float32 backends are meant for preconditioners and inner smoothers
 * only; the outer Krylov iteration stays Float64 (flexible CG in cg.ts).
 *
 * Nothing here loads a backend eagerly: `listBackends` / `selectBackend` import the built-in
 * backends lazily (dynamic import), and the tfjs backend loads TensorFlow.js on first use.
 */
import type { Shape3 } from '../../core/volume.js';
import type { Preconditioner } from '../operator.js';

/**
 * A symmetric 7-point variable-coefficient stencil on a structured grid (matrix-free): for an
 * active voxel v (flat index x + nx·(y + ny·z)),
 *
 *   (A u)_v = diagonal_v u_v − gx_v u_{v+1} − gx_{v−1} u_{v−1} − gy_v u_{v+nx} − gy_{v−nx} u_{v−nx}
 *             − gz_v u_{v+nx·ny} − gz_{v−nx·ny} u_{v−nx·ny},
 *
 * and (A u)_v = 0 for inactive voxels. g_a[v] is the conductance of the face between v and its
 * + neighbour along axis a; it must be 0 on the last layer along a and wherever either side is
 * inactive. `diagonal` includes the face sum plus any boundary (Dirichlet) conductance; it must be
 * > 0 on active voxels and is ignored on inactive ones. All arrays have length nx·ny·nz.
 */
export interface GridStencil {
  /** [nx, ny, nz] */
  readonly shape: Shape3;
  /** 1 = active voxel (an unknown), 0 = not in the system. */
  readonly mask: Uint8Array;
  readonly gx: Float64Array;
  readonly gy: Float64Array;
  readonly gz: Float64Array;
  readonly diagonal: Float64Array;
}

export interface ChebyshevKernelOptions {
  /** Polynomial degree = stencil applications (the last step needs none). */
  degree: number;
  /** Interval [lambdaLow, lambdaHigh] of the spectrum of D⁻¹A the polynomial is small on. */
  lambdaLow: number;
  lambdaHigh: number;
  /** Treat x as zero on entry (saves one stencil apply). Default false. */
  xIsZero?: boolean;
}

export interface ChebyshevPreconditionerOptions {
  /** Polynomial degree (stencil applications per preconditioner application). Default 8. */
  degree?: number;
  /** λlow = lowerRatio · λhigh. Default 1/degree² (see js-backend.ts). */
  lowerRatio?: number;
  /** λhigh; default: the Gershgorin bound of D⁻¹A computed from the stencil (≤ 2 for M-matrices). */
  lambdaMax?: number;
  /**
   * Compact ordering: cell (flat voxel index) of every unknown, as DiffusionOperator.voxelOfUnknown
   * / `grid.cellOfUnknown`. The preconditioner then has n = cellOfUnknown.length and works on the
   * compact vectors the outer Krylov method uses. Default: n = nx·ny·nz (full-grid vectors).
   */
  cellOfUnknown?: Int32Array;
}

/** A preconditioner owning backend resources (tensors); call dispose() when done. */
export interface DisposablePreconditioner extends Preconditioner {
  readonly backend: string;
  dispose(): void;
}

/** The kernels every backend provides, with their (host-level) signatures. */
export interface KernelSignatures {
  /** y ← A x on full-grid vectors (length nx·ny·nz; inactive entries of y are set to 0). */
  stencilApply: (s: GridStencil, x: Float64Array, y: Float64Array) => void;
  /** `steps` damped-Jacobi steps x ← x + ω D⁻¹ (b − A x) (full-grid vectors). */
  jacobiSmooth: (s: GridStencil, b: Float64Array, x: Float64Array, steps: number, omega: number) => void;
  /** Chebyshev–Jacobi smoothing of x for A x = b (full-grid vectors). */
  chebyshevSmooth: (s: GridStencil, b: Float64Array, x: Float64Array, options: ChebyshevKernelOptions) => void;
  /** y ← y + a x */
  axpy: (a: number, x: Float64Array, y: Float64Array) => void;
  /** x · y */
  dot: (x: Float64Array, y: Float64Array) => number;
  /** Chebyshev polynomial preconditioner z ← p(D⁻¹A) D⁻¹ r, for use inside Float64 (flexible) PCG. */
  chebyshevPreconditioner: (s: GridStencil, options?: ChebyshevPreconditionerOptions) => DisposablePreconditioner;
}

export type KernelName = keyof KernelSignatures;
export const KERNEL_NAMES: readonly KernelName[] = ['stencilApply', 'jacobiSmooth', 'chebyshevSmooth', 'axpy', 'dot', 'chebyshevPreconditioner'];

export type BackendName = 'js' | 'tfjs';

export interface BackendStatus {
  name: string;
  /** Arithmetic of the kernels. */
  precision: 'float64' | 'float32';
  available: boolean;
  /** Human-readable: what is active (e.g. "tfjs 4.22.0 on 'wasm' (SIMD)") or why it is unavailable. */
  detail: string;
  /** Optional packages probed and what happened: 'loaded', 'absent' or 'failed: …'. */
  optional?: Record<string, string>;
}

export interface BackendDefinition {
  name: string;
  precision: 'float64' | 'float32';
  /** Load/initialise the backend (called once; the result is cached). Must not throw. */
  init(): Promise<BackendStatus>;
}

const backends = new Map<string, BackendDefinition>();
const statusCache = new Map<string, Promise<BackendStatus>>();
const kernels = new Map<string, unknown>();

const key = (name: string, backend: string): string => `${backend}\u0000${name}`;

export function registerBackend(def: BackendDefinition): void {
  backends.set(def.name, def);
  statusCache.delete(def.name);
}

export function registerKernel<K extends KernelName>(name: K, backendName: string, impl: KernelSignatures[K]): void {
  if (typeof impl !== 'function') throw new TypeError(`registerKernel: ${name}/${backendName}: impl must be a function`);
  kernels.set(key(name, backendName), impl);
}

export function hasKernel(name: KernelName, backend: string): boolean {
  return kernels.has(key(name, backend));
}

/** The kernel `name` of `backend`; throws when it is not registered. */
export function getKernel<K extends KernelName>(name: K, backend: string): KernelSignatures[K] {
  const k = kernels.get(key(name, backend));
  if (k === undefined) {
    throw new Error(`no kernel '${name}' registered for backend '${backend}' (registered backends: ${[...backends.keys()].join(', ') || 'none'}; ` +
      `call listBackends() or selectBackend() first, which load the built-in ones)`);
  }
  return k as KernelSignatures[K];
}

let builtins: Promise<void> | undefined;
/** Import the built-in backends (js, tfjs). Importing tfjs-backend.ts does not load TensorFlow.js. */
export function loadBuiltinBackends(): Promise<void> {
  builtins ??= Promise.all([import('./js-backend.js'), import('./tfjs-backend.js')]).then(() => undefined);
  return builtins;
}

/** Initialise (once) and report a backend. Never throws: an unavailable backend is reported as such. */
export async function backendStatus(name: string): Promise<BackendStatus> {
  await loadBuiltinBackends();
  const def = backends.get(name);
  if (!def) return { name, precision: 'float64', available: false, detail: `unknown backend '${name}'` };
  let p = statusCache.get(name);
  if (!p) {
    p = def.init().catch((e: unknown) => ({ name, precision: def.precision, available: false, detail: `initialisation failed: ${String(e)}` }));
    statusCache.set(name, p);
  }
  return p;
}

/** Every registered backend with its status (initialising them if needed). */
export async function listBackends(): Promise<BackendStatus[]> {
  await loadBuiltinBackends();
  return Promise.all([...backends.keys()].map((n) => backendStatus(n)));
}

export interface BackendSelection {
  /** The backend to pass to getKernel. */
  name: BackendName;
  status: BackendStatus;
  /** Why it was chosen (for 'auto': the measured timings). */
  reason: string;
  /** 'auto' only: median milliseconds of the micro-benchmark per candidate. */
  timings?: Partial<Record<BackendName, number>>;
}

/**
 * Choose a backend. 'js' always works. 'tfjs' throws when TensorFlow.js cannot be loaded (use
 * listBackends() to ask first). 'auto' measures the candidates on `problem` (a stencil, or a grid
 * shape for a synthetic one; default 32³) and picks the faster (auto.ts; cached per process).
 * The environment variable LITHOMECH_BACKEND (js | tfjs | auto) overrides `choice`.
 */
export async function selectBackend(choice: 'auto' | BackendName = 'auto', problem?: GridStencil | Shape3): Promise<BackendSelection> {
  const env = process.env.LITHOMECH_BACKEND;
  const c = env === 'js' || env === 'tfjs' || env === 'auto' ? env : choice;
  if (c === 'auto') {
    const { chooseBackendAuto } = await import('./auto.js');
    return chooseBackendAuto(problem);
  }
  const status = await backendStatus(c);
  if (!status.available) throw new Error(`backend '${c}' is not available: ${status.detail}`);
  return { name: c, status, reason: env === c ? 'LITHOMECH_BACKEND' : 'requested' };
}

/**
 * Tortuosity factor of one phase (or effective conductivity of a multi-phase voxel volume) along
 * an axis, with TauFactor's conventions (Cooper et al., SoftwareX 2016):
 *
 *   steady diffusion −∇·(σ∇c) = 0 in the conducting voxels, c = 1 on the inlet face (index 0
 *   along the axis), c = 0 on the outlet face (index n−1), both imposed on the boundary face half
 *   a voxel from the first cell centre; no flux elsewhere.
 *   σ_eff = F · L / (A · Δc),  L = n_axis h_axis,  A = cross-section of the box,  Δc = 1,
 *   F = (F_in + F_out) / 2 (they agree to `fluxTolerance`).
 *   One phase (mask): σ = 1 in the phase, D_eff/D = σ_eff, τ = ε · D / D_eff.
 *   Several phases (σ per voxel): τ = Σ_i ε_i σ_i / σ_eff = mean_box(σ) / σ_eff.
 *
 * See docs/theory/tortuosity.md for the discretisation.
 */
import { InputError } from '../core/errors.js';
import { axisIndex, type Axis, type AxisName, type Shape3, type Vec3 } from '../core/volume.js';
import { assembleDiffusionOperator, type DiffusionOperator } from '../assembly/diffusion-operator.js';
import { aggregateCorrection } from '../linalg/aggregation.js';
import { bicgstab } from '../linalg/bicgstab.js';
import { cg } from '../linalg/cg.js';
import { NonConvergenceError } from '../linalg/errors.js';
import { gmres } from '../linalg/gmres.js';
import { JacobiPreconditioner } from '../linalg/jacobi-preconditioner.js';
import { MultigridPreconditioner, type MultigridOptions } from '../linalg/multigrid-preconditioner.js';
import type { Preconditioner } from '../linalg/operator.js';
import type { KrylovMethod, SolveOptions, SolveResult } from '../linalg/solve-options.js';
import { norm2, normFromSquares } from '../linalg/vector.js';
import { gridStencilFromStencil7 } from '../linalg/backends/js-backend.js';
import { getKernel, hasKernel, selectBackend, type BackendName, type BackendSelection, type DisposablePreconditioner } from '../linalg/backends/registry.js';
import { releaseSolveMemory, startThreadPool, type ThreadStatus } from '../linalg/thread-pool.js';

export interface TortuositySolverOptions {
  /** Krylov method. Default 'cg' (the operator is SPD). */
  method?: KrylovMethod;
  /** Default 'multigrid'. */
  preconditioner?: 'multigrid' | 'jacobi' | 'none';
  multigrid?: MultigridOptions;
  /** Default 1000 (multigrid) or 100000 (jacobi/none). */
  maxIterations?: number;
  /** GMRES restart. */
  restart?: number;
}

export interface TortuosityOptions {
  shape: Shape3;
  /** Voxel edge lengths; only their ratios matter for τ. Default [1, 1, 1]. */
  spacing?: Vec3;
  /** Phase indicator per voxel (non-zero = phase). Give exactly one of mask / conductivity. */
  mask?: ArrayLike<number>;
  /** Conductivity (diffusivity) per voxel, ≥ 0, for multi-phase effective conductivity. */
  conductivity?: ArrayLike<number>;
  axis: Axis | AxisName;
  /** Relative residual tolerance ‖b − A c‖/‖b‖ (non-dimensional system). Default 1e-8. */
  rtol?: number;
  /**
   * Apply the conservative slab correction after the Krylov solve (default true): one Galerkin
   * correction on the space of functions constant on each slab perpendicular to the axis, which
   * makes the residual sum to zero over every slab, so inlet and outlet fluxes agree to rounding,
   * and can only reduce the energy-norm error (it typically makes the flux ~100× more accurate).
   */
  slabCorrection?: boolean;
  /**
   * Required agreement |F_in − F_out| / max(|F_in|, |F_out|): if a solve to `rtol` does not
   * reach it, the solve continues (warm start) with rtol / 10, ... down to 1e-13. Default 1e-8;
   * 0 disables the check. (With the slab correction it is met after the first solve.)
   */
  fluxTolerance?: number;
  /** σ of the "free" medium for effectiveDiffusivityRatio (mask: 1). Default: max σ. */
  referenceConductivity?: number;
  solver?: TortuositySolverOptions;
  /** Return the concentration field per voxel (NaN outside the system). Default false. */
  returnField?: boolean;
  /**
   * Kernel backend (src/linalg/backends): 'js' (default) = the Float64 multigrid path; 'tfjs' =
   * Float64 flexible CG preconditioned by the float32 Chebyshev polynomial on TensorFlow.js
   * (slower on CPUs; overrides `solver.preconditioner`). `tortuosity()` is synchronous and takes
   * 'js' or an already resolved selection (`await resolveTortuosityBackend('auto' | 'tfjs', shape)`);
   * `tortuosityAsync()` resolves 'auto' / 'tfjs' itself.
   */
  backend?: TortuosityBackend | BackendSelection;
  /** Chebyshev polynomial degree of the tfjs backend's preconditioner. Default 8. */
  polynomialDegree?: number;
  /**
   * Called after every Krylov iteration with the iteration count (cumulative over the flux
   * re-solves) and the relative residual (progress display; must be cheap).
   */
  onProgress?: (iteration: number, relativeResidual: number) => void;
}

export type TortuosityBackend = 'auto' | 'js' | 'tfjs';

export interface TortuosityResult {
  axis: Axis;
  /** ε: fraction of the box's voxels in the phase (σ > 0), including isolated clusters. */
  volumeFraction: number;
  /** σ_eff (units of the input conductivity; = D_eff/D for a mask). */
  effectiveConductivity: number;
  /** D_eff / D = σ_eff / referenceConductivity. */
  effectiveDiffusivityRatio: number;
  /** τ = Σ ε_i σ_i / σ_eff (= ε D / D_eff for a mask). Infinity when the phase does not percolate. */
  tortuosityFactor: number;
  percolating: boolean;
  /** Why no solve was done, when relevant. */
  message?: string;
  iterations: number;
  relativeResidual: number;
  /** Wall time: total, and split into assembly, preconditioner setup and Krylov solve. */
  seconds: number;
  timings: { assembly: number; setup: number; solve: number };
  /** Physical fluxes through the inlet and outlet faces (σ-units · length, for Δc = 1). */
  fluxIn: number;
  fluxOut: number;
  /** |F_in − F_out| / max(|F_in|, |F_out|). */
  fluxImbalance: number;
  /** Unknowns of the linear system (voxels connected to a Dirichlet face). */
  unknowns: number;
  /** Phase voxels removed because their cluster touches neither face. */
  isolatedVoxels: number;
  /** Phase voxels in clusters touching only one face. */
  deadEndVoxels: number;
  /** Concentration per voxel when `returnField`. */
  field?: Float64Array;
  /** Threads of the fine-level kernels, and why (e.g. `1, '… unknowns < 200000'`). */
  threads: ThreadStatus;
  /** Kernel backend used and why (for 'auto': the measured timings). */
  backend: { name: BackendName; reason: string };
}

/**
 * Resolve 'auto' | 'js' | 'tfjs' to a backend selection (loads TensorFlow.js when needed). 'auto'
 * times the candidates on a uniform stencil of the problem's shape capped at 64³ (the full shape
 * would allocate four N-sized arrays just to decide).
 */
export async function resolveTortuosityBackend(choice: TortuosityBackend, shape: Shape3): Promise<BackendSelection> {
  const probe: Shape3 = [Math.min(shape[0], 64), Math.min(shape[1], 64), Math.min(shape[2], 64)];
  return selectBackend(choice, probe);
}

/** tortuosity() with `backend` 'auto' | 'tfjs' resolved first (see TortuosityOptions.backend). */
export async function tortuosityAsync(o: TortuosityOptions): Promise<TortuosityResult> {
  const b = o.backend;
  if (b === undefined || typeof b !== 'string' || b === 'js') return tortuosity(o);
  return tortuosity({ ...o, backend: await resolveTortuosityBackend(b, o.shape) });
}

export function tortuosity(o: TortuosityOptions): TortuosityResult {
  const cleanup: (() => void)[] = [];
  try {
    return tortuosityImpl(o, cleanup);
  } finally {
    for (const f of cleanup) f();
    // the workers end with the solve: only then is its shared memory freed (thread-pool.ts); the
    // next solve starts them again while it assembles
    releaseSolveMemory();
  }
}

function backendOf(o: TortuosityOptions): { name: BackendName; reason: string } {
  const b = o.backend ?? 'js';
  if (typeof b !== 'string') return { name: b.name, reason: b.reason };
  if (b === 'js') return { name: 'js', reason: o.backend === undefined ? 'default' : 'requested' };
  if (b === 'tfjs' && hasKernel('chebyshevPreconditioner', 'tfjs')) return { name: 'tfjs', reason: 'requested' };
  throw new InputError('backend', `'${b}' must be resolved first: use tortuosityAsync() or pass await resolveTortuosityBackend('${b}', shape)`);
}

function tortuosityImpl(o: TortuosityOptions, cleanup: (() => void)[]): TortuosityResult {
  const t0 = performance.now();
  const backend = backendOf(o);
  const axis: Axis = typeof o.axis === 'string' ? axisIndex(o.axis) : o.axis;
  const shape = o.shape;
  const N = shape[0] * shape[1] * shape[2];
  const spacing: Vec3 = o.spacing ?? [1, 1, 1];
  if ((o.mask === undefined) === (o.conductivity === undefined)) {
    throw new InputError('tortuosity', 'give exactly one of mask or conductivity');
  }
  let sigma: ArrayLike<number>;
  let refSigma: number;
  let phaseCount = 0;
  let sigmaSum = 0;
  if (o.mask) {
    if (o.mask.length !== N) throw new InputError('mask', `has ${o.mask.length} values, the grid has ${N} voxels`);
    // a 0/1 mask is used as it is (no copy of a byte per voxel); any other values become 0/1
    let binary = true;
    for (let i = 0; i < N; i++) { const v = o.mask[i]; if (v !== 0) { phaseCount++; if (v !== 1) binary = false; } }
    if (binary) sigma = o.mask;
    else {
      const m = new Uint8Array(N);
      for (let i = 0; i < N; i++) if (o.mask[i] !== 0) m[i] = 1;
      sigma = m;
    }
    sigmaSum = phaseCount;
    refSigma = o.referenceConductivity ?? 1;
  } else {
    const c = o.conductivity!;
    if (c.length !== N) throw new InputError('conductivity', `has ${c.length} values, the grid has ${N} voxels`);
    let max = 0;
    for (let i = 0; i < N; i++) {
      const s = c[i];
      if (!(s >= 0) || !Number.isFinite(s)) throw new InputError('conductivity', `voxel ${i}: expected a finite value ≥ 0, got ${s}`);
      if (s > 0) { phaseCount++; sigmaSum += s; if (s > max) max = s; }
    }
    sigma = c;
    refSigma = o.referenceConductivity ?? (max > 0 ? max : 1);
  }
  const volumeFraction = phaseCount / N;
  const sigmaMean = sigmaSum / N;
  const axisName = 'xyz'[axis];

  // the multigrid's worker threads start while the system is assembled
  if (backend.name === 'js' && (o.solver?.preconditioner ?? 'multigrid') === 'multigrid') startThreadPool(phaseCount);
  const op = assembleDiffusionOperator({ shape, spacing, conductivity: sigma, axis, inletValue: 1, outletValue: 0 });
  const tAsm = performance.now();
  const base = {
    axis, volumeFraction, unknowns: op.n,
    isolatedVoxels: op.components.removedVoxels, deadEndVoxels: op.components.deadEndVoxels,
  };
  if (!op.components.percolating) {
    const seconds = (performance.now() - t0) / 1000;
    return {
      ...base,
      effectiveConductivity: 0, effectiveDiffusivityRatio: 0, tortuosityFactor: Infinity, percolating: false,
      message: phaseCount === 0
        ? 'the phase is empty'
        : `the phase does not percolate along ${axisName}: no 6-connected cluster touches both faces`,
      iterations: 0, relativeResidual: 0, seconds,
      timings: { assembly: (tAsm - t0) / 1000, setup: 0, solve: 0 },
      fluxIn: 0, fluxOut: 0, fluxImbalance: 0,
      threads: { threads: 1, reason: 'no solve' }, backend,
    };
  }

  const s = o.solver ?? {};
  const method = s.method ?? 'cg';
  const pcKind = s.preconditioner ?? 'multigrid';
  let M: Preconditioner | undefined;
  let threads: ThreadStatus = { threads: 1, reason: `only the multigrid preconditioner is threaded (${backend.name === 'tfjs' ? 'tfjs backend' : pcKind})` };
  if (backend.name === 'tfjs') {
    const grid = gridStencilFromStencil7(op.stencil, shape, op.voxelOfUnknown);
    const pc: DisposablePreconditioner = getKernel('chebyshevPreconditioner', 'tfjs')(grid, { degree: o.polynomialDegree ?? 8, cellOfUnknown: op.voxelOfUnknown });
    cleanup.push(() => pc.dispose());
    M = pc;
  } else if (pcKind === 'multigrid') {
    const mgOptions: MultigridOptions = { ...(method === 'bicgstab' ? { cycle: 'V' } : {}), ...s.multigrid };
    const mg = new MultigridPreconditioner(op.stencil, op.grid, mgOptions);
    threads = mg.threads;
    M = mg;
  } else if (pcKind === 'jacobi') M = JacobiPreconditioner.fromOperator(op);
  const tSetup = performance.now();

  const rtol = o.rtol ?? 1e-8;
  const fluxTol = o.fluxTolerance ?? 1e-8;
  const maxIterations = s.maxIterations ?? (pcKind === 'multigrid' && backend.name === 'js' ? 1000 : 100000);
  let done = 0; // iterations of the finished solves, for onProgress
  const onIteration = o.onProgress ? (it: number, rr: number) => o.onProgress!(done + it, rr) : undefined;
  const solve = (opts0: SolveOptions): SolveResult => {
    const opts = { ...opts0, onIteration };
    return method === 'cg' || backend.name === 'tfjs' ? cg(op, op.rhs, opts) : method === 'bicgstab' ? bicgstab(op, op.rhs, opts) : gmres(op, op.rhs, opts);
  };

  const slabCorrection = o.slabCorrection ?? true;
  const finish = (r: SolveResult): SolveResult => {
    if (!slabCorrection) return r;
    // CG's residual buffer is free now: reuse it rather than allocate at the run's peak. Its first
    // half holds the slab map (Int32) during the correction, then it receives the new residual.
    const tmp = r.residual ?? (op.parallel ? op.parallel.vector(op.n) : new Float64Array(op.n));
    const slabs = op.slabs(new Int32Array(tmp.buffer, tmp.byteOffset, op.n));
    aggregateCorrection(op.stencil, slabs.slabOfUnknown, slabs.count, op.rhs, r.x);
    const s2 = op.stencil.residualNorm2(op.rhs, r.x, tmp); // threaded when r.x is shared
    const residualNorm = normFromSquares(s2, tmp);
    const bn = norm2(op.rhs);
    return { ...r, residualNorm, relativeResidual: bn > 0 ? residualNorm / bn : 0 };
  };

  let res = finish(solve({ rtol, preconditioner: M, maxIterations, restart: s.restart }));
  let iterations = res.iterations;
  done = iterations;
  let flux = op.boundaryFlux(res.x);
  let imbalance = imbalanceOf(flux.inlet, flux.outlet);
  for (let tol = rtol / 10; fluxTol > 0 && imbalance > fluxTol && tol >= 1e-13; tol /= 10) {
    try {
      const next = finish(solve({ rtol: tol, preconditioner: M, maxIterations: Math.max(1, maxIterations - iterations), restart: s.restart, x0: res.x }));
      iterations += next.iterations;
      done = iterations;
      res = next;
    } catch (e) {
      if (e instanceof NonConvergenceError) break; // keep the last converged solution
      throw e;
    }
    flux = op.boundaryFlux(res.x);
    imbalance = imbalanceOf(flux.inlet, flux.outlet);
  }
  const tSolve = performance.now();
  return {
    ...base,
    ...effective(op, flux.inlet, flux.outlet, sigmaMean, refSigma),
    percolating: true,
    iterations,
    relativeResidual: res.relativeResidual,
    seconds: (tSolve - t0) / 1000,
    timings: { assembly: (tAsm - t0) / 1000, setup: (tSetup - tAsm) / 1000, solve: (tSolve - tSetup) / 1000 },
    fluxIn: flux.inlet,
    fluxOut: flux.outlet,
    fluxImbalance: imbalance,
    ...(o.returnField ? { field: op.toVoxels(res.x) } : {}),
    threads,
    backend,
  };
}

function imbalanceOf(a: number, b: number): number {
  const m = Math.max(Math.abs(a), Math.abs(b));
  return m > 0 ? Math.abs(a - b) / m : 0;
}

function effective(op: DiffusionOperator, fin: number, fout: number, sigmaMean: number, refSigma: number) {
  const a = op.axis, b = (a + 1) % 3, c = (a + 2) % 3;
  const h = op.spacing, n = op.shape;
  const L = n[a] * h[a];
  const area = n[b] * h[b] * n[c] * h[c];
  const deltaC = op.inletValue - op.outletValue;
  const F = 0.5 * (fin + fout);
  const effectiveConductivity = (F * L) / (area * deltaC);
  return {
    effectiveConductivity,
    effectiveDiffusivityRatio: effectiveConductivity / refSigma,
    tortuosityFactor: sigmaMean / effectiveConductivity,
  };
}

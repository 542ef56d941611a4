/**
 * Options and result shared by the Krylov solvers.
 *
 * Convergence test (all methods): the TRUE, unpreconditioned residual r = b − A x,
 *   ‖b − A x‖₂ ≤ max(rtol · ‖b‖₂, atol).
 * During the iteration the methods monitor their recursively updated (unpreconditioned) residual
 * (CG, BiCGStab) or the GMRES least-squares residual (equal to ‖b − A x‖ in exact arithmetic with
 * right preconditioning). When that estimate passes the test, the true residual b − A x is
 * computed explicitly and the method only returns if it passes too; otherwise it restarts from
 * the true residual and continues.
 */
import type { LinearOperator, Preconditioner } from './operator.js';

export interface SolveOptions {
  /** Relative tolerance on ‖b − A x‖ / ‖b‖. Default 1e-8. */
  rtol?: number;
  /** Absolute tolerance on ‖b − A x‖. Default 0. */
  atol?: number;
  /** Iteration limit (matrix–vector products for CG/GMRES, double steps for BiCGStab). Default 1000. */
  maxIterations?: number;
  /** GMRES restart length. Default 30. */
  restart?: number;
  /** Record the residual norm after every iteration in `history`. Default false. */
  history?: boolean;
  /** Preconditioner (left for CG, right for BiCGStab and GMRES). Default none. */
  preconditioner?: Preconditioner;
  /** Initial guess (not modified). Default zero. */
  x0?: Float64Array;
  /**
   * CG: use the flexible (Polak–Ribière) β, needed when the preconditioner varies between
   * applications. GMRES: flexible GMRES (stores the preconditioned basis). Default:
   * `preconditioner.variable`.
   */
  flexible?: boolean;
  /**
   * Called after every iteration with the iteration count and the monitored relative residual
   * (CG/BiCGStab: recursive residual; GMRES: least-squares residual) — cheap, for progress
   * display. It must not modify the solver's vectors.
   */
  onIteration?: (iteration: number, relativeResidual: number) => void;
}

export interface SolveResult {
  x: Float64Array;
  iterations: number;
  /** ‖b − A x‖₂ of the returned x (computed explicitly). */
  residualNorm: number;
  /** residualNorm / ‖b‖₂ (0 when b = 0). */
  relativeResidual: number;
  /** Residual norm estimate per iteration, starting with the initial residual (empty unless `history`). */
  history: number[];
  method: string;
  /**
   * The solver's buffer holding b − A x for the returned x, when it has one (CG); the caller may
   * reuse it as scratch (it is in shared memory when the solve was threaded).
   */
  residual?: Float64Array;
}

export type KrylovMethod = 'cg' | 'bicgstab' | 'gmres';

/** A linear solver: anything that maps (A, b, options) to a result. */
export interface Solver {
  readonly name: string;
  solve(A: LinearOperator, b: Float64Array, options?: SolveOptions): SolveResult;
}

export interface ResolvedOptions {
  rtol: number;
  atol: number;
  maxIterations: number;
  restart: number;
  history: boolean;
}

export function resolveOptions(o: SolveOptions): ResolvedOptions {
  const rtol = o.rtol ?? 1e-8;
  const atol = o.atol ?? 0;
  const maxIterations = o.maxIterations ?? 1000;
  const restart = o.restart ?? 30;
  if (!(rtol >= 0) || !(atol >= 0)) throw new RangeError('rtol and atol must be ≥ 0');
  if (!(maxIterations >= 0) || !Number.isInteger(maxIterations)) throw new RangeError('maxIterations must be a non-negative integer');
  if (!(restart >= 1) || !Number.isInteger(restart)) throw new RangeError('restart must be a positive integer');
  return { rtol, atol, maxIterations, restart, history: o.history ?? false };
}

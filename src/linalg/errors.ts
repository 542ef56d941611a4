/**
 * Numerical failures of the linear solvers. Not an `InputError`: the CLI reports these as a
 * numerical failure (exit code 1).
 */

export type NonConvergenceReason = 'max-iterations' | 'breakdown' | 'non-finite';

export class NonConvergenceError extends Error {
  /**
   * @param method solver name (`cg`, `bicgstab`, `gmres`, ...)
   * @param iterations iterations done when the solver gave up
   * @param lastResidual last (unpreconditioned) residual 2-norm
   * @param relativeResidual lastResidual / ‖b‖
   * @param reason why it stopped
   * @param lastIterate the iterate when it stopped (may be useful for diagnostics)
   */
  constructor(
    readonly method: string,
    readonly iterations: number,
    readonly lastResidual: number,
    readonly relativeResidual: number,
    readonly reason: NonConvergenceReason,
    detail = '',
    readonly lastIterate?: Float64Array,
  ) {
    const what = reason === 'max-iterations'
      ? `did not converge in ${iterations} iterations`
      : reason === 'breakdown' ? `broke down at iteration ${iterations}` : `produced a non-finite value at iteration ${iterations}`;
    super(`${method} ${what} (relative residual ${relativeResidual.toExponential(3)})${detail ? `: ${detail}` : ''}`);
    this.name = 'NonConvergenceError';
  }
}

/**
 * The two abstractions the Krylov solvers see: a square linear operator and a preconditioner.
 * Nothing here knows about meshes or physics.
 */
import type { StencilParallel } from './thread-pool.js';

/** A square linear operator y = A x on vectors of length `n`. */
export interface LinearOperator {
  readonly n: number;
  /** y ← A x. `x` and `y` must not alias. */
  apply(x: Float64Array, y: Float64Array): void;
  /** The diagonal of A (a fresh array or a cached one the caller must not modify). */
  diagonal?(): Float64Array;
  /** y ← A x returning x · y in the same pass (optional; CG uses it). */
  applyDot?(x: Float64Array, y: Float64Array): number;
  /**
   * Threaded vector kernels over this operator's fixed row partitions (thread-pool.ts), when the
   * system is large and the pool runs; the Krylov solvers then keep their vectors in
   * SharedArrayBuffers and fuse their vector passes.
   */
  readonly parallel?: StencilParallel;
}

/**
 * A preconditioner z ← M⁻¹ r (same shape as `LinearOperator.apply`). `r` and `z` must not alias.
 *
 * `variable` is true when M⁻¹ is not a fixed linear map (e.g. a multigrid K-cycle, which runs
 * inner Krylov iterations): CG then switches to its flexible (Polak–Ribière) form and GMRES to
 * its flexible form.
 */
export interface Preconditioner {
  readonly n: number;
  apply(r: Float64Array, z: Float64Array): void;
  readonly variable?: boolean;
}

/** M = I. */
export class IdentityPreconditioner implements Preconditioner {
  constructor(readonly n: number) {}
  apply(r: Float64Array, z: Float64Array): void {
    z.set(r.length === this.n ? r : r.subarray(0, this.n));
  }
}

/** Throws unless the vector lengths match the operator size. */
export function checkLength(what: string, v: Float64Array, n: number): void {
  if (v.length !== n) throw new RangeError(`${what}: expected a vector of length ${n}, got ${v.length}`);
}

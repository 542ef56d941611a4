/**
 * Compact symmetric 7-point operator on a subset of a structured 3D grid (unknowns numbered in
 * increasing flat-cell order, x fastest), matrix-free apply:
 *
 *   (A x)_i = d_i x_i − Σ_{j ∈ N(i)} g_ij x_j,   g_ij = g_ji ≥ 0,
 *
 * stored as the diagonal d, the three FORWARD couplings per unknown gx, gy, gz (each coupling is
 * stored once, so A is exactly symmetric; Float64, or Float32 when every coefficient is exactly
 * a float32, see parallel-kernels.ts `Coefficients`) and four neighbour index maps:
 *  - +x neighbour: always i + 1 (the unknowns of consecutive cells are consecutive); gx[i] = 0
 *    when there is none (in particular gx[n−1] = 0);
 *  - +y / +z neighbour: up[i] / front[i], = i when there is none (then gy[i] / gz[i] = 0);
 *  - −y / −z neighbour: down[i] / back[i], the unknown j whose +y (+z) neighbour is i, and the
 *    sentinel n − 1 when there is none (the last unknown has no forward couplings, so
 *    gy[n−1] = gz[n−1] = 0 and the term vanishes without a branch);
 *  - −x neighbour: i − 1 with coupling gx[i − 1].
 * An off-diagonal entry exists iff its coupling is non-zero.
 *
 * Memory: 8 (d) + 24 (g) + 16 (indices) = 48 bytes per unknown (32 with Float32 coefficients), against ≈ 4 + 12 · (1 + 6) = 88
 * bytes per row for CSR with a full stencil. Linear algebra on a grid: it knows index maps, not
 * meshes or physics.
 */
import { CsrMatrix, type CsrValues } from './csr-matrix.js';
import type { LinearOperator } from './operator.js';
import {
  type Coefficients, applyDotRange, gsBackwardRange, gsForwardRange, gsForwardZeroRange, residualRange, restrictAfterForwardRange, restrictRange,
} from './parallel-kernels.js';
import { isShared, type StencilParallel } from './thread-pool.js';

export class Stencil7Matrix implements LinearOperator {
  constructor(
    readonly n: number,
    readonly diag: Coefficients,
    readonly gx: Coefficients,
    readonly gy: Coefficients,
    readonly gz: Coefficients,
    readonly up: Int32Array,
    readonly front: Int32Array,
    readonly down: Int32Array,
    readonly back: Int32Array,
  ) {
    for (const a of [diag, gx, gy, gz, up, front, down, back]) {
      if (a.length !== n) throw new RangeError(`Stencil7Matrix: array of length ${a.length}, expected ${n}`);
    }
    if (n > 0 && (gx[n - 1] !== 0 || gy[n - 1] !== 0 || gz[n - 1] !== 0)) {
      throw new RangeError('Stencil7Matrix: the last unknown must have no forward couplings');
    }
  }

  get nRows(): number { return this.n; }
  get nCols(): number { return this.n; }

  /** Stored off-diagonal entries + diagonal (as a CSR would hold them). */
  get nnz(): number {
    let c = this.n;
    for (let i = 0; i < this.n; i++) c += 2 * ((this.gx[i] !== 0 ? 1 : 0) + (this.gy[i] !== 0 ? 1 : 0) + (this.gz[i] !== 0 ? 1 : 0));
    return c;
  }

  /** Storage in bytes. */
  get bytes(): number {
    return this.n * (4 * this.diag.BYTES_PER_ELEMENT + 16);
  }

  /**
   * Fine-level thread partitions (thread-pool.ts), set by the multigrid preconditioner on large
   * systems whose arrays live in SharedArrayBuffers. `apply` / `residual` use it when the vectors
   * are shared too (the result is bitwise that of the serial loop).
   */
  parallel?: StencilParallel;

  private par(...v: Float64Array[]): StencilParallel | undefined {
    const p = this.parallel;
    if (!p) return undefined;
    for (const a of v) if (!isShared(a)) return undefined;
    return p;
  }

  /** y ← A x on rows [r0, r1). */
  applyRange(x: Float64Array, y: Float64Array, r0: number, r1: number): void {
    applyDotRange(this, x, y, r0, r1);
  }

  /** y ← A x */
  apply(x: Float64Array, y: Float64Array): void {
    const p = this.par(x, y);
    if (p) p.applyDot(x, y);
    else applyDotRange(this, x, y, 0, this.n);
  }

  /** y ← A x, returning x · y (one pass; threaded when possible). */
  applyDot(x: Float64Array, y: Float64Array): number {
    const p = this.par(x, y);
    return p ? p.applyDot(x, y) : applyDotRange(this, x, y, 0, this.n);
  }

  /** r ← b − A x on rows [r0, r1). */
  residualRange(b: Float64Array, x: Float64Array, r: Float64Array, r0: number, r1: number): void {
    residualRange(this, b, x, r, r0, r1);
  }

  /** r ← b − A x (fused residual). */
  residual(b: Float64Array, x: Float64Array, r: Float64Array): void {
    this.residualNorm2(b, x, r);
  }

  /** r ← b − A x, returning ‖r‖² (one pass; threaded when possible). */
  residualNorm2(b: Float64Array, x: Float64Array, r: Float64Array): number {
    const p = this.par(b, x, r);
    return p ? p.residual(b, x, r) : residualRange(this, b, x, r, 0, this.n);
  }

  /**
   * rc ← Pᵀ (b − A x) for the piecewise-constant prolongation `aggregate` (fine → coarse), without
   * storing the fine residual. rc is overwritten. (Serial; the multigrid cycle calls the threaded
   * version, StencilParallel.restrictResidual, itself.)
   */
  restrictResidual(b: Float64Array, x: Float64Array, aggregate: Int32Array, rc: Float64Array): void {
    rc.fill(0);
    if (this.n === 0) return;
    restrictRange(this, b, x, aggregate, rc, 0, this.n);
  }

  /**
   * restrictResidual right after one forward Gauss–Seidel sweep from x = 0 (`gaussSeidel(b, x,
   * true, true)`): the residual is then the upper part of A times x alone, which is cheaper to read.
   */
  restrictResidualAfterForward(b: Float64Array, x: Float64Array, aggregate: Int32Array, rc: Float64Array): void {
    rc.fill(0);
    if (this.n === 0) return;
    restrictAfterForwardRange(this, b, x, aggregate, rc, 0, 0, this.n);
  }

  /** A fresh copy of the diagonal. */
  diagonal(): Float64Array {
    return Float64Array.from(this.diag);
  }

  /**
   * Gauss–Seidel sweep in place, i ascending (forward) or descending. With `zeroStart` the sweep
   * assumes x = 0 on entry (forward only: the not-yet-visited neighbours are then zero, so only
   * the already updated ones are read) and overwrites x.
   */
  gaussSeidel(b: Float64Array, x: Float64Array, forward: boolean, zeroStart = false): void {
    const n = this.n;
    if (n === 0) return;
    if (forward && zeroStart) {
      // down/back are < i, or the sentinel n − 1 (coupling 0; x[n−1] is zeroed first so that
      // stale caller values cannot leak in as 0 · ∞)
      x[n - 1] = 0;
      gsForwardZeroRange(this, b, x, 0, n);
    } else if (forward) gsForwardRange(this, b, x, 0, n);
    else gsBackwardRange(this, b, x, 0, n);
  }

  /**
   * Row i as CSR would store it (sorted columns, diagonal included, entries with zero coupling
   * omitted) into cols/vals (length ≥ 7); returns the entry count.
   */
  row(i: number, cols: Int32Array, vals: Float64Array): number {
    const { diag, gx, gy, gz, up, front, down, back } = this;
    let c = 0;
    const bk = back[i], dn = down[i];
    if (gz[bk] !== 0 && bk !== i) { cols[c] = bk; vals[c++] = -gz[bk]; }
    if (gy[dn] !== 0 && dn !== i) { cols[c] = dn; vals[c++] = -gy[dn]; }
    if (i > 0 && gx[i - 1] !== 0) { cols[c] = i - 1; vals[c++] = -gx[i - 1]; }
    cols[c] = i; vals[c++] = diag[i];
    if (gx[i] !== 0) { cols[c] = i + 1; vals[c++] = -gx[i]; }
    if (gy[i] !== 0) { cols[c] = up[i]; vals[c++] = -gy[i]; }
    if (gz[i] !== 0) { cols[c] = front[i]; vals[c++] = -gz[i]; }
    return c;
  }

  /** The same matrix in CSR (columns sorted). */
  toCsr(): CsrMatrix {
    const n = this.n;
    const rp = new Int32Array(n + 1);
    const cols = new Int32Array(7), vals = new Float64Array(7);
    for (let i = 0; i < n; i++) rp[i + 1] = rp[i] + this.row(i, cols, vals);
    const ci = new Int32Array(rp[n]), v = new Float64Array(rp[n]);
    for (let i = 0; i < n; i++) {
      const c = this.row(i, cols, vals);
      ci.set(cols.subarray(0, c), rp[i]);
      v.set(vals.subarray(0, c), rp[i]);
    }
    return new CsrMatrix(n, n, rp, ci, v);
  }
}

/** Anything whose rows can be read one at a time (CSR or stencil). */
export type RowMatrix = CsrMatrix<CsrValues> | Stencil7Matrix;

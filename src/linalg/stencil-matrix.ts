/**
 * Compact symmetric 7-point operator on a subset of a structured 3D grid (unknowns numbered in
 * increasing flat-cell order, x fastest), matrix-free apply:
 *
 *   (A x)_i = d_i x_i − Σ_{j ∈ N(i)} g_ij x_j,   g_ij = g_ji ≥ 0,
 *
 * stored as the diagonal d (Float64), the three FORWARD couplings per unknown gx, gy, gz (Float64;
 * each coupling is stored once, so A is exactly symmetric) and four neighbour index maps:
 *  - +x neighbour: always i + 1 (the unknowns of consecutive cells are consecutive); gx[i] = 0
 *    when there is none (in particular gx[n−1] = 0);
 *  - +y / +z neighbour: up[i] / front[i], = i when there is none (then gy[i] / gz[i] = 0);
 *  - −y / −z neighbour: down[i] / back[i], the unknown j whose +y (+z) neighbour is i, and the
 *    sentinel n − 1 when there is none (the last unknown has no forward couplings, so
 *    gy[n−1] = gz[n−1] = 0 and the term vanishes without a branch);
 *  - −x neighbour: i − 1 with coupling gx[i − 1].
 * An off-diagonal entry exists iff its coupling is non-zero.
 *
 * Memory: 8 (d) + 24 (g) + 16 (indices) = 48 bytes per unknown, against ≈ 4 + 12 · (1 + 6) = 88
 * bytes per row for CSR with a full stencil. Linear algebra on a grid: it knows index maps, not
 * meshes or physics.
 */
import { CsrMatrix } from './csr-matrix.js';
import type { LinearOperator } from './operator.js';

export class Stencil7Matrix implements LinearOperator {
  constructor(
    readonly n: number,
    readonly diag: Float64Array,
    readonly gx: Float64Array,
    readonly gy: Float64Array,
    readonly gz: Float64Array,
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
    return this.n * 48;
  }

  /** b_i − (A x)_i for one row, with all branches (first/last rows). */
  private rowResidual(i: number, b: number, x: Float64Array): number {
    const { diag, gx, gy, gz, up, front, down, back } = this;
    let s = b - diag[i] * x[i];
    if (i > 0) s += gx[i - 1] * x[i - 1];
    if (i < this.n - 1) s += gx[i] * x[i + 1];
    s += gy[i] * x[up[i]] + gz[i] * x[front[i]];
    s += gy[down[i]] * x[down[i]] + gz[back[i]] * x[back[i]];
    return s;
  }

  /** y ← A x on rows [r0, r1). */
  applyRange(x: Float64Array, y: Float64Array, r0: number, r1: number): void {
    const { diag, gx, gy, gz, up, front, down, back } = this;
    const n = this.n;
    const lo = Math.max(r0, 1), hi = Math.min(r1, n - 1);
    if (r0 === 0 && r1 > 0) y[0] = -this.rowResidual(0, 0, x);
    for (let i = lo; i < hi; i++) {
      const dn = down[i], bk = back[i];
      y[i] = diag[i] * x[i]
        - gx[i - 1] * x[i - 1] - gx[i] * x[i + 1]
        - gy[i] * x[up[i]] - gy[dn] * x[dn]
        - gz[i] * x[front[i]] - gz[bk] * x[bk];
    }
    if (r1 === n && n > 1) y[n - 1] = -this.rowResidual(n - 1, 0, x);
  }

  /** y ← A x */
  apply(x: Float64Array, y: Float64Array): void {
    this.applyRange(x, y, 0, this.n);
  }

  /** r ← b − A x on rows [r0, r1). */
  residualRange(b: Float64Array, x: Float64Array, r: Float64Array, r0: number, r1: number): void {
    const { diag, gx, gy, gz, up, front, down, back } = this;
    const n = this.n;
    const lo = Math.max(r0, 1), hi = Math.min(r1, n - 1);
    if (r0 === 0 && r1 > 0) r[0] = this.rowResidual(0, b[0], x);
    for (let i = lo; i < hi; i++) {
      const dn = down[i], bk = back[i];
      r[i] = b[i] - diag[i] * x[i]
        + gx[i - 1] * x[i - 1] + gx[i] * x[i + 1]
        + gy[i] * x[up[i]] + gy[dn] * x[dn]
        + gz[i] * x[front[i]] + gz[bk] * x[bk];
    }
    if (r1 === n && n > 1) r[n - 1] = this.rowResidual(n - 1, b[n - 1], x);
  }

  /** r ← b − A x (fused residual). */
  residual(b: Float64Array, x: Float64Array, r: Float64Array): void {
    this.residualRange(b, x, r, 0, this.n);
  }

  /**
   * rc ← Pᵀ (b − A x) for the piecewise-constant prolongation `aggregate` (fine → coarse), without
   * storing the fine residual. rc is overwritten.
   */
  restrictResidual(b: Float64Array, x: Float64Array, aggregate: Int32Array, rc: Float64Array): void {
    const { diag, gx, gy, gz, up, front, down, back } = this;
    const n = this.n;
    rc.fill(0);
    if (n === 0) return;
    rc[aggregate[0]] += this.rowResidual(0, b[0], x);
    for (let i = 1; i < n - 1; i++) {
      const dn = down[i], bk = back[i];
      rc[aggregate[i]] += b[i] - diag[i] * x[i]
        + gx[i - 1] * x[i - 1] + gx[i] * x[i + 1]
        + gy[i] * x[up[i]] + gy[dn] * x[dn]
        + gz[i] * x[front[i]] + gz[bk] * x[bk];
    }
    if (n > 1) rc[aggregate[n - 1]] += this.rowResidual(n - 1, b[n - 1], x);
  }

  /** A fresh copy of the diagonal. */
  diagonal(): Float64Array {
    return this.diag.slice();
  }

  /**
   * Gauss–Seidel sweep in place, i ascending (forward) or descending. With `zeroStart` the sweep
   * assumes x = 0 on entry (forward only: the not-yet-visited neighbours are then zero, so only
   * the already updated ones are read) and overwrites x.
   */
  gaussSeidel(b: Float64Array, x: Float64Array, forward: boolean, zeroStart = false): void {
    const { diag, gx, gy, gz, up, front, down, back } = this;
    const n = this.n;
    if (n === 0) return;
    if (forward && zeroStart) {
      // down/back are < i, or the sentinel n − 1 (coupling 0; x[n−1] is zeroed first so that
      // stale caller values cannot leak in as 0 · ∞)
      x[n - 1] = 0;
      x[0] = b[0] / diag[0];
      for (let i = 1; i < n; i++) {
        const dn = down[i], bk = back[i];
        x[i] = (b[i] + gx[i - 1] * x[i - 1] + gy[dn] * x[dn] + gz[bk] * x[bk]) / diag[i];
      }
      return;
    }
    if (forward) {
      x[0] += this.rowResidual(0, b[0], x) / diag[0];
      for (let i = 1; i < n - 1; i++) {
        const dn = down[i], bk = back[i];
        x[i] = (b[i] + gx[i - 1] * x[i - 1] + gx[i] * x[i + 1]
          + gy[i] * x[up[i]] + gy[dn] * x[dn]
          + gz[i] * x[front[i]] + gz[bk] * x[bk]) / diag[i];
      }
      if (n > 1) x[n - 1] += this.rowResidual(n - 1, b[n - 1], x) / diag[n - 1];
    } else {
      if (n > 1) x[n - 1] += this.rowResidual(n - 1, b[n - 1], x) / diag[n - 1];
      for (let i = n - 2; i >= 1; i--) {
        const dn = down[i], bk = back[i];
        x[i] = (b[i] + gx[i - 1] * x[i - 1] + gx[i] * x[i + 1]
          + gy[i] * x[up[i]] + gy[dn] * x[dn]
          + gz[i] * x[front[i]] + gz[bk] * x[bk]) / diag[i];
      }
      x[0] += this.rowResidual(0, b[0], x) / diag[0];
    }
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
export type RowMatrix = CsrMatrix | Stencil7Matrix;

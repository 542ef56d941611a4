/**
 * Symmetric Gauss–Seidel on a CSR matrix: forward sweep(s) then backward sweep(s). As a multigrid
 * smoother use forward sweeps before and backward sweeps after the coarse correction, which makes
 * the cycle symmetric. As a preconditioner (`apply`) it is one SGS sweep from zero:
 * M = (D + L) D⁻¹ (D + U), symmetric positive definite when A is.
 */
import type { CsrMatrix, CsrValues } from './csr-matrix.js';
import type { Preconditioner } from './operator.js';

export class GaussSeidelSmoother implements Preconditioner {
  readonly n: number;
  private readonly invDiag: Float64Array;

  constructor(readonly A: CsrMatrix<CsrValues>) {
    this.n = A.nRows;
    const d = A.diagonal();
    this.invDiag = new Float64Array(this.n);
    for (let i = 0; i < this.n; i++) {
      if (!(d[i] !== 0 && Number.isFinite(d[i]))) throw new RangeError(`GaussSeidelSmoother: diagonal entry ${i} is ${d[i]}`);
      this.invDiag[i] = 1 / d[i];
    }
  }

  /** One forward sweep: x_i ← (b_i − Σ_{j≠i} a_ij x_j) / a_ii, i ascending. */
  forward(b: Float64Array, x: Float64Array): void {
    const rp = this.A.rowPtr, ci = this.A.colIdx, v = this.A.values, inv = this.invDiag, n = this.n;
    for (let i = 0; i < n; i++) {
      let s = b[i];
      const end = rp[i + 1];
      for (let k = rp[i]; k < end; k++) s -= v[k] * x[ci[k]];
      x[i] += s * inv[i]; // s includes −a_ii x_i
    }
  }

  /** One backward sweep (i descending). */
  backward(b: Float64Array, x: Float64Array): void {
    const rp = this.A.rowPtr, ci = this.A.colIdx, v = this.A.values, inv = this.invDiag;
    for (let i = this.n - 1; i >= 0; i--) {
      let s = b[i];
      const end = rp[i + 1];
      for (let k = rp[i]; k < end; k++) s -= v[k] * x[ci[k]];
      x[i] += s * inv[i];
    }
  }

  /** z ← one symmetric sweep from zero. */
  apply(r: Float64Array, z: Float64Array): void {
    z.fill(0);
    this.forward(r, z);
    this.backward(r, z);
  }
}

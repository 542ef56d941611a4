/**
 * Dense LU factorisation with partial (row) pivoting, P A = L U, for small non-symmetric matrices
 * (the multigrid coarsest level of a non-symmetric operator, where Cholesky, which reads only one
 * triangle, would factorise a different matrix and can fail). Row-major n × n storage,
 * O(2n³/3) flops.
 */
import type { CsrMatrix, CsrValues } from './csr-matrix.js';

export class DenseLu {
  readonly n: number;
  /** L (unit diagonal, below) and U (on and above the diagonal), row-major */
  private readonly lu: Float64Array;
  private readonly perm: Int32Array;
  private readonly y: Float64Array;

  /** @param a row-major dense n × n (copied) */
  constructor(a: Float64Array, n: number) {
    this.n = n;
    const lu = Float64Array.from(a.subarray(0, n * n));
    const perm = new Int32Array(n);
    for (let i = 0; i < n; i++) perm[i] = i;
    for (let k = 0; k < n; k++) {
      let p = k, best = Math.abs(lu[k * n + k]);
      for (let i = k + 1; i < n; i++) { const v = Math.abs(lu[i * n + k]); if (v > best) { best = v; p = i; } }
      if (!(best > 0)) throw new RangeError(`DenseLu: matrix is singular (column ${k})`);
      if (p !== k) {
        for (let j = 0; j < n; j++) { const t = lu[k * n + j]; lu[k * n + j] = lu[p * n + j]; lu[p * n + j] = t; }
        const t = perm[k]; perm[k] = perm[p]; perm[p] = t;
      }
      const d = lu[k * n + k];
      for (let i = k + 1; i < n; i++) {
        const f = (lu[i * n + k] /= d);
        if (f === 0) continue;
        const ri = i * n, rk = k * n;
        for (let j = k + 1; j < n; j++) lu[ri + j] -= f * lu[rk + j];
      }
    }
    this.lu = lu;
    this.perm = perm;
    this.y = new Float64Array(n);
  }

  static fromCsr(A: CsrMatrix<CsrValues>): DenseLu {
    const n = A.nRows;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let k = A.rowPtr[i]; k < A.rowPtr[i + 1]; k++) a[i * n + A.colIdx[k]] += A.values[k];
    return new DenseLu(a, n);
  }

  /** x ← A⁻¹ b (x may alias b). */
  solve(b: Float64Array, x: Float64Array): void {
    const n = this.n, lu = this.lu, perm = this.perm;
    const y = this.y;
    for (let i = 0; i < n; i++) {
      let s = b[perm[i]];
      const ri = i * n;
      for (let k = 0; k < i; k++) s -= lu[ri + k] * y[k];
      y[i] = s;
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = y[i];
      const ri = i * n;
      for (let k = i + 1; k < n; k++) s -= lu[ri + k] * y[k];
      y[i] = s / lu[ri + i];
    }
    x.set(y);
  }
}

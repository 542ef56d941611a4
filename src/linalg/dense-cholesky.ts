/**
 * Dense Cholesky factorisation A = L Lᵀ for small SPD matrices (the multigrid coarsest level).
 * Packed lower triangle storage in a Float64Array, O(n³/3) flops, O(n²/2) memory.
 */
import type { CsrMatrix, CsrValues } from './csr-matrix.js';

export class DenseCholesky {
  readonly n: number;
  /** Lower triangle row-major packed: L[i][j] at i(i+1)/2 + j, j ≤ i. */
  private readonly L: Float64Array;

  /** Pivots dropped as dependent (semi-definite mode), 0 otherwise. */
  readonly droppedPivots: number = 0;

  /**
   * @param a row-major dense n × n (only the lower triangle is read)
   * @param semidefiniteTolerance when given, A may be positive semi-definite: a pivot that falls
   *   to ≤ tolerance × its original diagonal entry marks a dependent row; its column of L is
   *   zeroed and `solve` returns 0 for that unknown (the solution with those unknowns fixed at
   *   0, exact when b is consistent, e.g. a Galerkin coarse operator whose prolongation has
   *   dependent columns). Without it such a pivot throws.
   */
  constructor(a: Float64Array, n: number, semidefiniteTolerance?: number) {
    this.n = n;
    const L = new Float64Array((n * (n + 1)) / 2);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) L[(i * (i + 1)) / 2 + j] = a[i * n + j];
    for (let j = 0; j < n; j++) {
      const jj = (j * (j + 1)) / 2;
      let d = L[jj + j];
      for (let k = 0; k < j; k++) d -= L[jj + k] * L[jj + k];
      if (semidefiniteTolerance !== undefined && d <= semidefiniteTolerance * a[j * n + j]) {
        // dependent row: L[·][j] = 0, unit placeholder pivot (solve zeroes the unknown)
        L[jj + j] = Number.POSITIVE_INFINITY;
        for (let i = j + 1; i < n; i++) L[(i * (i + 1)) / 2 + j] = 0;
        (this as { droppedPivots: number }).droppedPivots++;
        continue;
      }
      if (!(d > 0)) throw new RangeError(`DenseCholesky: matrix not positive definite (pivot ${j} = ${d})`);
      d = Math.sqrt(d);
      L[jj + j] = d;
      for (let i = j + 1; i < n; i++) {
        const ii = (i * (i + 1)) / 2;
        let s = L[ii + j];
        for (let k = 0; k < j; k++) s -= L[ii + k] * L[jj + k];
        L[ii + j] = s / d;
      }
    }
    this.L = L;
  }

  static fromCsr(A: CsrMatrix<CsrValues>): DenseCholesky {
    const n = A.nRows;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let k = A.rowPtr[i]; k < A.rowPtr[i + 1]; k++) a[i * n + A.colIdx[k]] += A.values[k];
    return new DenseCholesky(a, n);
  }

  /** x ← A⁻¹ b (x may alias b). */
  solve(b: Float64Array, x: Float64Array): void {
    const n = this.n, L = this.L;
    if (x !== b) x.set(b);
    for (let i = 0; i < n; i++) {
      const ii = (i * (i + 1)) / 2;
      let s = x[i];
      for (let k = 0; k < i; k++) s -= L[ii + k] * x[k];
      x[i] = s / L[ii + i];
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = x[i];
      for (let k = i + 1; k < n; k++) s -= L[(k * (k + 1)) / 2 + i] * x[k];
      x[i] = s / L[(i * (i + 1)) / 2 + i];
    }
  }
}

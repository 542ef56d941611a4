/**
 * Compressed sparse row matrix: Float64 values (or Float32, for multigrid levels whose entries
 * are exactly float32 numbers, e.g. the integer Galerkin levels of a phase mask), Int32 column
 * indices, Int32 row pointers. Column indices are sorted within each row and unique (both
 * constructors guarantee it). Arithmetic is Float64 either way.
 *
 * Memory: 12 (Float32: 8) bytes per stored entry + 4 bytes per row.
 */
import type { LinearOperator } from './operator.js';
import { isShared, type CsrParallel } from './thread-pool.js';

/** Stored values: Float64, or Float32 when every entry is exactly a float32. */
export type CsrValues = Float64Array | Float32Array;

export class CsrMatrix<V extends CsrValues = Float64Array> implements LinearOperator {
  /** Number of rows (the operator size when square). */
  readonly n: number;

  constructor(
    readonly nRows: number,
    readonly nCols: number,
    /** length nRows + 1 */
    readonly rowPtr: Int32Array,
    /** length nnz, sorted within each row */
    readonly colIdx: Int32Array,
    /** length nnz */
    readonly values: V,
  ) {
    if (rowPtr.length !== nRows + 1) throw new RangeError(`CsrMatrix: rowPtr has length ${rowPtr.length}, expected ${nRows + 1}`);
    const nnz = rowPtr[nRows];
    if (colIdx.length < nnz || values.length < nnz) throw new RangeError('CsrMatrix: colIdx/values shorter than rowPtr[nRows]');
    this.n = nRows;
  }

  get nnz(): number {
    return this.rowPtr[this.nRows];
  }

  /** Approximate storage in bytes. */
  get bytes(): number {
    return this.rowPtr.byteLength + this.nnz * (4 + this.values.BYTES_PER_ELEMENT);
  }

  /**
   * Row partitions for the thread pool (thread-pool.ts), set by the multigrid preconditioner on a
   * large coarse level whose arrays are shared; apply / residual use it when the vectors are
   * shared too (bitwise the serial result).
   */
  threaded?: CsrParallel;

  /** y ← A x */
  apply(x: Float64Array, y: Float64Array): void {
    const par = this.threaded;
    if (par && isShared(x) && isShared(y)) { par.applyDot(x, y); return; }
    const rp = this.rowPtr, ci = this.colIdx, v = this.values, n = this.nRows;
    let k = rp[0];
    for (let i = 0; i < n; i++) {
      const end = rp[i + 1];
      let s = 0;
      for (; k < end; k++) s += v[k] * x[ci[k]];
      y[i] = s;
    }
  }

  /** r ← b − A x (fused residual). */
  residual(b: Float64Array, x: Float64Array, r: Float64Array): void {
    const par = this.threaded;
    if (par && isShared(b) && isShared(x) && isShared(r)) { par.residual(b, x, r); return; }
    const rp = this.rowPtr, ci = this.colIdx, v = this.values, n = this.nRows;
    let k = rp[0];
    for (let i = 0; i < n; i++) {
      const end = rp[i + 1];
      let s = b[i];
      for (; k < end; k++) s -= v[k] * x[ci[k]];
      r[i] = s;
    }
  }

  /** The diagonal (a fresh array; not cached, to keep memory at 12 bytes per entry). Missing entries are 0. */
  diagonal(): Float64Array {
    const d = new Float64Array(Math.min(this.nRows, this.nCols));
    const rp = this.rowPtr, ci = this.colIdx, v = this.values;
    for (let i = 0; i < d.length; i++) {
      for (let k = rp[i]; k < rp[i + 1]; k++) if (ci[k] === i) { d[i] = v[k]; break; }
    }
    return d;
  }

  /** Entry (i, j) by binary search (for tests and debugging; not for hot loops). */
  get(i: number, j: number): number {
    let lo = this.rowPtr[i], hi = this.rowPtr[i + 1] - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = this.colIdx[mid];
      if (c === j) return this.values[mid];
      if (c < j) lo = mid + 1; else hi = mid - 1;
    }
    return 0;
  }

  /** Dense copy, row-major (for tests on small matrices). */
  toDense(): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < this.nRows; i++) {
      const row = new Array<number>(this.nCols).fill(0);
      for (let k = this.rowPtr[i]; k < this.rowPtr[i + 1]; k++) row[this.colIdx[k]] += this.values[k];
      out.push(row);
    }
    return out;
  }

  /** max_ij |a_ij − a_ji| / max |a_ij| (0 for an exactly symmetric matrix). */
  asymmetry(): number {
    let maxAbs = 0, maxDiff = 0;
    for (let i = 0; i < this.nRows; i++) {
      for (let k = this.rowPtr[i]; k < this.rowPtr[i + 1]; k++) {
        const a = this.values[k];
        maxAbs = Math.max(maxAbs, Math.abs(a));
        maxDiff = Math.max(maxDiff, Math.abs(a - this.get(this.colIdx[k], i)));
      }
    }
    return maxAbs === 0 ? 0 : maxDiff / maxAbs;
  }

  /** n × n identity. */
  static identity(n: number): CsrMatrix {
    const rp = new Int32Array(n + 1), ci = new Int32Array(n), v = new Float64Array(n);
    for (let i = 0; i < n; i++) { rp[i + 1] = i + 1; ci[i] = i; v[i] = 1; }
    return new CsrMatrix(n, n, rp, ci, v);
  }

  /**
   * Build from COO triplets; duplicate (i, j) entries are summed. Explicit zeros are kept unless
   * `dropZeros` (an entry that sums to exactly 0 is then dropped too). Two stable counting sorts
   * (by column, then by row), O(nnz + nRows + nCols).
   */
  static fromCoo(
    nRows: number,
    nCols: number,
    rows: ArrayLike<number>,
    cols: ArrayLike<number>,
    vals: ArrayLike<number>,
    options: { dropZeros?: boolean } = {},
  ): CsrMatrix {
    const m = rows.length;
    if (cols.length !== m || vals.length !== m) throw new RangeError('CsrMatrix.fromCoo: rows, cols and vals must have equal lengths');
    for (let k = 0; k < m; k++) {
      const i = rows[k], j = cols[k];
      if (!(i >= 0 && i < nRows && Number.isInteger(i))) throw new RangeError(`CsrMatrix.fromCoo: row index ${i} out of range [0, ${nRows})`);
      if (!(j >= 0 && j < nCols && Number.isInteger(j))) throw new RangeError(`CsrMatrix.fromCoo: column index ${j} out of range [0, ${nCols})`);
    }
    // 1) stable counting sort of entry ids by column
    const colStart = new Int32Array(nCols + 1);
    for (let k = 0; k < m; k++) colStart[cols[k] + 1]++;
    for (let j = 0; j < nCols; j++) colStart[j + 1] += colStart[j];
    const byCol = new Int32Array(m);
    for (let k = 0; k < m; k++) byCol[colStart[cols[k]]++] = k;
    // 2) stable counting sort of those by row → rows ascending, columns ascending within rows
    const rowStart = new Int32Array(nRows + 1);
    for (let k = 0; k < m; k++) rowStart[rows[k] + 1]++;
    for (let i = 0; i < nRows; i++) rowStart[i + 1] += rowStart[i];
    const order = new Int32Array(m);
    const fill = rowStart.slice(0, nRows);
    for (let t = 0; t < m; t++) { const k = byCol[t]; order[fill[rows[k]]++] = k; }
    // 3) merge duplicates
    const rp = new Int32Array(nRows + 1);
    const ci = new Int32Array(m);
    const v = new Float64Array(m);
    let nnz = 0;
    for (let i = 0; i < nRows; i++) {
      const rowBegin = nnz;
      for (let t = rowStart[i]; t < rowStart[i + 1]; t++) {
        const k = order[t];
        const j = cols[k];
        if (nnz > rowBegin && ci[nnz - 1] === j) v[nnz - 1] += vals[k];
        else { ci[nnz] = j; v[nnz] = vals[k]; nnz++; }
      }
      if (options.dropZeros) {
        let w = rowBegin;
        for (let t = rowBegin; t < nnz; t++) if (v[t] !== 0) { ci[w] = ci[t]; v[w] = v[t]; w++; }
        nnz = w;
      }
      rp[i + 1] = nnz;
    }
    return new CsrMatrix(nRows, nCols, rp, nnz === m ? ci : ci.slice(0, nnz), nnz === m ? v : v.slice(0, nnz));
  }
}

/**
 * Row-by-row CSR builder for stencils: `add(col, value)` any number of times, then `endRow()`.
 * Within a row, entries may come in any order and may repeat (they are sorted and summed at
 * `endRow`). Give `nnzCapacity` (exact or an upper bound) to avoid reallocation.
 */
export class CsrBuilder {
  private rowPtr: Int32Array;
  private colIdx: Int32Array;
  private values: Float64Array;
  private row = 0;
  private nnz = 0;

  constructor(readonly nRows: number, readonly nCols: number, nnzCapacity = 8 * nRows) {
    this.rowPtr = new Int32Array(nRows + 1);
    const cap = Math.max(1, nnzCapacity);
    this.colIdx = new Int32Array(cap);
    this.values = new Float64Array(cap);
  }

  /** Rows completed so far. */
  get rowsDone(): number {
    return this.row;
  }

  add(col: number, value: number): void {
    if (this.row >= this.nRows) throw new RangeError('CsrBuilder: all rows already ended');
    if (!(col >= 0 && col < this.nCols)) throw new RangeError(`CsrBuilder: column ${col} out of range [0, ${this.nCols})`);
    if (this.nnz === this.colIdx.length) this.grow();
    this.colIdx[this.nnz] = col;
    this.values[this.nnz] = value;
    this.nnz++;
  }

  endRow(): void {
    if (this.row >= this.nRows) throw new RangeError('CsrBuilder: too many rows');
    const begin = this.rowPtr[this.row];
    const ci = this.colIdx, v = this.values;
    // insertion sort (rows are short)
    let sorted = true;
    for (let t = begin + 1; t < this.nnz; t++) if (ci[t] <= ci[t - 1]) { sorted = false; break; }
    if (!sorted) {
      for (let t = begin + 1; t < this.nnz; t++) {
        const c = ci[t], x = v[t];
        let s = t - 1;
        while (s >= begin && ci[s] > c) { ci[s + 1] = ci[s]; v[s + 1] = v[s]; s--; }
        ci[s + 1] = c; v[s + 1] = x;
      }
      let w = begin;
      for (let t = begin; t < this.nnz; t++) {
        if (w > begin && ci[w - 1] === ci[t]) v[w - 1] += v[t];
        else { ci[w] = ci[t]; v[w] = v[t]; w++; }
      }
      this.nnz = w;
    }
    this.row++;
    this.rowPtr[this.row] = this.nnz;
  }

  build(): CsrMatrix {
    if (this.row !== this.nRows) throw new RangeError(`CsrBuilder: ${this.row} of ${this.nRows} rows ended`);
    const exact = this.colIdx.length === this.nnz;
    return new CsrMatrix(
      this.nRows,
      this.nCols,
      this.rowPtr,
      exact ? this.colIdx : this.colIdx.slice(0, this.nnz),
      exact ? this.values : this.values.slice(0, this.nnz),
    );
  }

  private grow(): void {
    const cap = Math.max(16, this.colIdx.length * 2);
    const ci = new Int32Array(cap); ci.set(this.colIdx);
    const v = new Float64Array(cap); v.set(this.values);
    this.colIdx = ci;
    this.values = v;
  }
}

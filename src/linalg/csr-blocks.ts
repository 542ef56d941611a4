/**
 * Sub-blocks of CSR matrices, for block (field-split) preconditioners: the linear algebra only
 * sees index sets, not what the fields mean.
 */
import { CsrMatrix } from './csr-matrix.js';

/**
 * A[rows, cols] as a CSR matrix: `rows` lists the global rows of the block in order; `colMap`
 * maps a global column to its local index (−1: not in the block).
 */
export function extractBlock(A: CsrMatrix, rows: Int32Array, colMap: Int32Array, nCols: number): CsrMatrix {
  const rp = A.rowPtr, ci = A.colIdx, v = A.values;
  const rowPtr = new Int32Array(rows.length + 1);
  let nnz = 0;
  for (let r = 0; r < rows.length; r++) {
    const g = rows[r];
    for (let k = rp[g]; k < rp[g + 1]; k++) if (colMap[ci[k]] >= 0) nnz++;
    rowPtr[r + 1] = nnz;
  }
  const colIdx = new Int32Array(nnz), vals = new Float64Array(nnz);
  let p = 0;
  for (let r = 0; r < rows.length; r++) {
    const g = rows[r];
    const start = p;
    for (let k = rp[g]; k < rp[g + 1]; k++) {
      const c = colMap[ci[k]];
      if (c < 0) continue;
      colIdx[p] = c; vals[p] = v[k]; p++;
    }
    // keep columns sorted (colMap may permute)
    for (let a = start + 1; a < p; a++) {
      const c = colIdx[a], x = vals[a];
      let b = a - 1;
      while (b >= start && colIdx[b] > c) { colIdx[b + 1] = colIdx[b]; vals[b + 1] = vals[b]; b--; }
      colIdx[b + 1] = c; vals[b + 1] = x;
    }
  }
  return new CsrMatrix(rows.length, nCols, rowPtr, colIdx, vals);
}

/** C = A + diag(s) B for two matrices of the same shape (the union of their patterns). */
export function addRowScaled(A: CsrMatrix, s: Float64Array, B: CsrMatrix): CsrMatrix {
  if (A.nRows !== B.nRows || A.nCols !== B.nCols) throw new RangeError('addRowScaled: shapes differ');
  if (s.length !== A.nRows) throw new RangeError('addRowScaled: one scale per row');
  const n = A.nRows;
  const rowPtr = new Int32Array(n + 1);
  const cols: number[] = [], vals: number[] = [];
  for (let i = 0; i < n; i++) {
    let a = A.rowPtr[i], b = B.rowPtr[i];
    const ae = A.rowPtr[i + 1], be = B.rowPtr[i + 1];
    while (a < ae || b < be) {
      const ca = a < ae ? A.colIdx[a] : Infinity, cb = b < be ? B.colIdx[b] : Infinity;
      if (ca === cb) { cols.push(ca); vals.push(A.values[a++] + s[i] * B.values[b++]); }
      else if (ca < cb) { cols.push(ca); vals.push(A.values[a++]); }
      else { cols.push(cb); vals.push(s[i] * B.values[b++]); }
    }
    rowPtr[i + 1] = cols.length;
  }
  return new CsrMatrix(n, A.nCols, rowPtr, Int32Array.from(cols), Float64Array.from(vals));
}

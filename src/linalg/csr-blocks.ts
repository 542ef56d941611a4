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

/**
 * The approximate Schur complement A − A[:, E] D_E⁻¹ A[E, :] on the rows and columns outside the
 * eliminated set E (`eliminated[i] = 1`), with D_E the diagonal of A on E (`dInv` holds 1/D_ii for
 * i in E, anything elsewhere). Rows of E and entries in the columns of E are copied unchanged, so the
 * result indexes like A. When every unknown of E couples to the rest only through unknowns that
 * share its cell (as a reaction couples a particle's surface concentration to the potentials at
 * that surface) this adds the local elimination of E that a field split would otherwise leave to
 * the outer Krylov method. New fill (two unknowns coupled through one eliminated unknown) is kept.
 */
export function eliminateDiagonalSchur(A: CsrMatrix, eliminated: Uint8Array, dInv: Float64Array): CsrMatrix {
  const n = A.nRows;
  if (A.nCols !== n) throw new RangeError('eliminateDiagonalSchur: matrix must be square');
  const rp = A.rowPtr, ci = A.colIdx, v = A.values;
  const rowPtr = new Int32Array(n + 1);
  const acc = new Float64Array(n);
  const mark = new Int32Array(n).fill(-1);
  let cols = new Int32Array(Math.max(16, Math.ceil(A.nnz * 1.3)));
  let vals = new Float64Array(cols.length);
  let nnz = 0;
  const rowCols: number[] = [];
  for (let i = 0; i < n; i++) {
    rowCols.length = 0;
    for (let k = rp[i]; k < rp[i + 1]; k++) { const c = ci[k]; acc[c] = v[k]; mark[c] = i; rowCols.push(c); }
    if (!eliminated[i]) {
      for (let k = rp[i]; k < rp[i + 1]; k++) {
        const e = ci[k];
        if (!eliminated[e] || v[k] === 0) continue;
        const f = v[k] * dInv[e];
        for (let m = rp[e]; m < rp[e + 1]; m++) {
          const c = ci[m];
          if (eliminated[c]) continue;
          if (mark[c] !== i) { mark[c] = i; acc[c] = 0; rowCols.push(c); }
          acc[c] -= f * v[m];
        }
      }
      rowCols.sort((a, b) => a - b);
    }
    if (nnz + rowCols.length > cols.length) {
      const grow = Math.max(cols.length * 2, nnz + rowCols.length);
      const c2 = new Int32Array(grow); c2.set(cols.subarray(0, nnz)); cols = c2;
      const v2 = new Float64Array(grow); v2.set(vals.subarray(0, nnz)); vals = v2;
    }
    for (const c of rowCols) { cols[nnz] = c; vals[nnz] = acc[c]; nnz++; }
    rowPtr[i + 1] = nnz;
  }
  return new CsrMatrix(n, n, rowPtr, cols.slice(0, nnz), vals.slice(0, nnz));
}

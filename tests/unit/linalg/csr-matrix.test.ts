import { describe, expect, it } from 'vitest';
import { CsrBuilder, CsrMatrix } from '../../../src/linalg/csr-matrix.js';

const dense = (A: CsrMatrix) => A.toDense();

describe('CsrMatrix.fromCoo', () => {
  it('sums duplicates and sorts columns within rows', () => {
    // unsorted triplets with duplicates (0,1) ×3 and (2,0) ×2
    const rows = [2, 0, 0, 1, 0, 2, 0, 1];
    const cols = [0, 1, 2, 1, 1, 0, 1, 0];
    const vals = [1, 2, 3, 4, 5, 6, 7, 8];
    const A = CsrMatrix.fromCoo(3, 3, rows, cols, vals);
    expect(dense(A)).toEqual([
      [0, 14, 3],
      [8, 4, 0],
      [7, 0, 0],
    ]);
    expect(A.nnz).toBe(5);
    expect(Array.from(A.rowPtr)).toEqual([0, 2, 4, 5]);
    expect(Array.from(A.colIdx)).toEqual([1, 2, 0, 1, 0]);
    expect(A.colIdx).toBeInstanceOf(Int32Array);
    expect(A.values).toBeInstanceOf(Float64Array);
  });

  it('handles empty rows, rectangular shapes and dropZeros', () => {
    const A = CsrMatrix.fromCoo(4, 2, [3, 3, 1], [1, 1, 0], [2, -2, 5], { dropZeros: true });
    expect(A.nnz).toBe(1);
    expect(dense(A)).toEqual([[0, 0], [5, 0], [0, 0], [0, 0]]);
    const B = CsrMatrix.fromCoo(4, 2, [3, 3, 1], [1, 1, 0], [2, -2, 5]);
    expect(B.nnz).toBe(2); // explicit zero kept
    expect(B.get(3, 1)).toBe(0);
  });

  it('rejects out-of-range indices', () => {
    expect(() => CsrMatrix.fromCoo(2, 2, [0, 2], [0, 0], [1, 1])).toThrow(RangeError);
    expect(() => CsrMatrix.fromCoo(2, 2, [0], [-1], [1])).toThrow(RangeError);
    expect(() => CsrMatrix.fromCoo(2, 2, [0, 1], [0], [1])).toThrow(RangeError);
  });

  it('SpMV, residual and diagonal agree with the dense matrix', () => {
    const n = 7;
    const rows: number[] = [], cols: number[] = [], vals: number[] = [];
    for (let t = 0; t < 40; t++) { rows.push((t * 5) % n); cols.push((t * 3 + 1) % n); vals.push(Math.sin(t) + 0.1); }
    const A = CsrMatrix.fromCoo(n, n, rows, cols, vals);
    const D = dense(A);
    const x = Float64Array.from({ length: n }, (_, i) => Math.cos(i));
    const b = Float64Array.from({ length: n }, (_, i) => i - 3);
    const y = new Float64Array(n), r = new Float64Array(n);
    A.apply(x, y);
    A.residual(b, x, r);
    for (let i = 0; i < n; i++) {
      const ref = D[i].reduce((s, a, j) => s + a * x[j], 0);
      expect(y[i]).toBeCloseTo(ref, 13);
      expect(r[i]).toBeCloseTo(b[i] - ref, 13);
      expect(A.diagonal()[i]).toBe(D[i][i]);
      for (let j = 0; j < n; j++) expect(A.get(i, j)).toBe(D[i][j]);
    }
  });

  it('identity', () => {
    const I = CsrMatrix.identity(3);
    expect(dense(I)).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    expect(I.asymmetry()).toBe(0);
  });
});

describe('CsrBuilder', () => {
  it('builds rows added in any column order, summing duplicates', () => {
    const b = new CsrBuilder(3, 4, 2); // capacity too small: must grow
    b.add(2, 1); b.add(0, 2); b.add(2, 3); b.endRow();
    b.endRow(); // empty row
    b.add(3, -1); b.add(1, 4); b.endRow();
    const A = b.build();
    expect(dense(A)).toEqual([[2, 0, 4, 0], [0, 0, 0, 0], [0, 4, 0, -1]]);
    expect(Array.from(A.colIdx)).toEqual([0, 2, 1, 3]);
    expect(A.nnz).toBe(4);
  });

  it('agrees with fromCoo on a stencil', () => {
    const n = 10;
    const b = new CsrBuilder(n, n, 3 * n);
    const rows: number[] = [], cols: number[] = [], vals: number[] = [];
    for (let i = 0; i < n; i++) {
      if (i > 0) { b.add(i - 1, -1); rows.push(i); cols.push(i - 1); vals.push(-1); }
      b.add(i, 2); rows.push(i); cols.push(i); vals.push(2);
      if (i < n - 1) { b.add(i + 1, -1); rows.push(i); cols.push(i + 1); vals.push(-1); }
      b.endRow();
    }
    const A = b.build(), B = CsrMatrix.fromCoo(n, n, rows, cols, vals);
    expect(Array.from(A.rowPtr)).toEqual(Array.from(B.rowPtr));
    expect(Array.from(A.colIdx)).toEqual(Array.from(B.colIdx));
    expect(Array.from(A.values)).toEqual(Array.from(B.values));
  });

  it('refuses incomplete matrices and bad columns', () => {
    const b = new CsrBuilder(2, 2);
    expect(() => b.add(2, 1)).toThrow(RangeError);
    b.endRow();
    expect(() => b.build()).toThrow(/1 of 2 rows/);
  });
});

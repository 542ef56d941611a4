/** Small test matrices and a dense reference solve (ml-matrix). */
import { Matrix, solve } from 'ml-matrix';
import { CsrMatrix } from '../../../src/linalg/csr-matrix.js';

/** Deterministic uniform(−1, 1) numbers. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2147483648 - 1;
  };
}

/** Random sparse SPD matrix: Bᵀ B-like pattern made diagonally dominant-ish but not M-matrix. */
export function randomSpd(n: number, seed = 1): CsrMatrix {
  const r = lcg(seed);
  const rows: number[] = [], cols: number[] = [], vals: number[] = [];
  const rowAbs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < 3; t++) {
      const j = Math.floor(((r() + 1) / 2) * n) % n;
      if (j === i) continue;
      const v = r();
      rows.push(i, j); cols.push(j, i); vals.push(v, v);
      rowAbs[i] += Math.abs(v); rowAbs[j] += Math.abs(v);
    }
  }
  for (let i = 0; i < n; i++) { rows.push(i); cols.push(i); vals.push(rowAbs[i] + 0.05 + (i % 7) * 0.3); }
  return CsrMatrix.fromCoo(n, n, rows, cols, vals);
}

/** Random sparse nonsymmetric matrix (convection–diffusion-like 1D plus random couplings). */
export function randomNonsymmetric(n: number, seed = 2): CsrMatrix {
  const r = lcg(seed);
  const rows: number[] = [], cols: number[] = [], vals: number[] = [];
  for (let i = 0; i < n; i++) {
    rows.push(i); cols.push(i); vals.push(3 + r());
    if (i > 0) { rows.push(i); cols.push(i - 1); vals.push(-1.6); }
    if (i < n - 1) { rows.push(i); cols.push(i + 1); vals.push(-0.3); }
    const j = Math.floor(((r() + 1) / 2) * n) % n;
    rows.push(i); cols.push(j); vals.push(0.5 * r());
  }
  return CsrMatrix.fromCoo(n, n, rows, cols, vals);
}

/** 1D Dirichlet Laplacian tridiag(−1, 2, −1). */
export function laplacian1d(n: number): CsrMatrix {
  const rows: number[] = [], cols: number[] = [], vals: number[] = [];
  for (let i = 0; i < n; i++) {
    rows.push(i); cols.push(i); vals.push(2);
    if (i > 0) { rows.push(i); cols.push(i - 1); vals.push(-1); }
    if (i < n - 1) { rows.push(i); cols.push(i + 1); vals.push(-1); }
  }
  return CsrMatrix.fromCoo(n, n, rows, cols, vals);
}

export function denseSolve(A: CsrMatrix, b: Float64Array): Float64Array {
  const x = solve(new Matrix(A.toDense()), Matrix.columnVector(Array.from(b)));
  return Float64Array.from(x.getColumn(0));
}

export function randomVector(n: number, seed = 3): Float64Array {
  const r = lcg(seed);
  return Float64Array.from({ length: n }, () => r());
}

export function maxRelDiff(a: Float64Array, b: Float64Array): number {
  let m = 0, s = 0;
  for (let i = 0; i < a.length; i++) { m = Math.max(m, Math.abs(a[i] - b[i])); s = Math.max(s, Math.abs(b[i])); }
  return m / s;
}

/**
 * 7-point variable-coefficient operator on an nx×ny×nz grid (harmonic face means, Dirichlet
 * half-cell terms on the x faces), all cells active. Independent of src/assembly on purpose.
 */
export function gridOperator(shape: [number, number, number], k: Float64Array): CsrMatrix {
  const [nx, ny, nz] = shape;
  const n = nx * ny * nz;
  const rows: number[] = [], cols: number[] = [], vals: number[] = [];
  const h = (a: number, b: number) => (2 * a * b) / (a + b);
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) {
    const i = x + nx * (y + ny * z);
    let d = 0;
    const nb = (j: number) => { const g = h(k[i], k[j]); rows.push(i); cols.push(j); vals.push(-g); d += g; };
    if (x > 0) nb(i - 1);
    if (x < nx - 1) nb(i + 1);
    if (y > 0) nb(i - nx);
    if (y < ny - 1) nb(i + nx);
    if (z > 0) nb(i - nx * ny);
    if (z < nz - 1) nb(i + nx * ny);
    if (x === 0 || x === nx - 1) d += 2 * k[i];
    rows.push(i); cols.push(i); vals.push(d);
  }
  return CsrMatrix.fromCoo(n, n, rows, cols, vals);
}

export function identityCells(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

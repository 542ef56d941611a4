/**
 * Dense LU (coarsest level of non-symmetric multigrid) and the diagonal Schur elimination used by
 * the coupled-cell preconditioner, against dense reference computations.
 */
import { describe, expect, it } from 'vitest';
import { eliminateDiagonalSchur } from '../../../src/linalg/csr-blocks.js';
import { CsrMatrix } from '../../../src/linalg/csr-matrix.js';
import { DenseLu } from '../../../src/linalg/dense-lu.js';
import { MultigridPreconditioner } from '../../../src/linalg/multigrid-preconditioner.js';
import { gmres } from '../../../src/linalg/gmres.js';

function lcg(seed: number) {
  let s = seed >>> 0;
  return () => { s = (1664525 * s + 1013904223) >>> 0; return s / 2 ** 32; };
}

describe('DenseLu', () => {
  it('solves a non-symmetric system that needs pivoting to round-off', () => {
    const n = 30, rnd = lcg(7);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n * n; i++) a[i] = rnd() - 0.5;
    a[0] = 0; // a zero leading pivot: only row exchanges get past it
    const x = Float64Array.from({ length: n }, (_, i) => Math.cos(i));
    const b = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b[i] += a[i * n + j] * x[j];
    const out = new Float64Array(n);
    new DenseLu(a, n).solve(b, out);
    for (let i = 0; i < n; i++) expect(out[i]).toBeCloseTo(x[i], 10);
  });
  it('reports a singular matrix', () => {
    expect(() => new DenseLu(Float64Array.from([1, 2, 2, 4]), 2)).toThrow(/singular/);
  });
});

describe('eliminateDiagonalSchur', () => {
  it('equals A_RR − A_RE D_E⁻¹ A_ER on the kept rows and columns, A elsewhere', () => {
    const n = 12, rnd = lcg(3);
    const rows: number[] = [], cols: number[] = [], vals: number[] = [];
    const dense = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      if (i !== j && rnd() > 0.3) continue;
      const v = i === j ? 4 + rnd() : rnd() - 0.5;
      rows.push(i); cols.push(j); vals.push(v); dense[i][j] = v;
    }
    const A = CsrMatrix.fromCoo(n, n, rows, cols, vals);
    const elim = new Uint8Array(n);
    for (const e of [1, 4, 5, 9]) elim[e] = 1;
    const dInv = new Float64Array(n);
    for (let i = 0; i < n; i++) if (elim[i]) dInv[i] = 1 / dense[i][i];
    const S = eliminateDiagonalSchur(A, elim, dInv);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let expected = dense[i][j];
      if (!elim[i] && !elim[j]) for (let e = 0; e < n; e++) if (elim[e]) expected -= (dense[i][e] * dense[e][j]) / dense[e][e];
      expect(S.get(i, j)).toBeCloseTo(expected, 13);
    }
  });
});

describe('multigrid on a non-symmetric operator', () => {
  it('converges with a non-symmetric coarsest level (LU), where Cholesky would read one triangle only', () => {
    // 1D convection–diffusion on 200 cells: −u'' + c u' (upwind), strongly non-symmetric
    const n = 200, c = 40, h = 1 / n;
    const rows: number[] = [], cols: number[] = [], vals: number[] = [];
    for (let i = 0; i < n; i++) {
      rows.push(i); cols.push(i); vals.push(2 / h ** 2 + c / h);
      if (i > 0) { rows.push(i); cols.push(i - 1); vals.push(-1 / h ** 2 - c / h); }
      if (i < n - 1) { rows.push(i); cols.push(i + 1); vals.push(-1 / h ** 2); }
    }
    const A = CsrMatrix.fromCoo(n, n, rows, cols, vals);
    const mg = new MultigridPreconditioner(A, { shape: [n, 1, 1], cellOfUnknown: Int32Array.from({ length: n }, (_, i) => i) }, { cycle: 'V', maxCoarseSize: 60 });
    const b = new Float64Array(n).fill(1);
    const res = gmres(A, b, { rtol: 1e-10, preconditioner: mg, maxIterations: 200 });
    const r = new Float64Array(n);
    A.apply(res.x, r);
    let e = 0;
    for (let i = 0; i < n; i++) e = Math.max(e, Math.abs(r[i] - b[i]));
    expect(e).toBeLessThan(1e-6);
    expect(res.iterations).toBeLessThan(60);
  });
});

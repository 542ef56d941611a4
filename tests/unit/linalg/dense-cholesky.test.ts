import { describe, expect, it } from 'vitest';
import { DenseCholesky } from '../../../src/linalg/dense-cholesky.js';

describe('DenseCholesky', () => {
  // B = [[1,0],[0,1],[1,1]] (3 × 2): A = B Bᵀ is 3 × 3, rank 2, positive semi-definite
  const A = new Float64Array([1, 0, 1, 0, 1, 1, 1, 1, 2]);

  it('refuses a singular matrix by default', () => {
    expect(() => new DenseCholesky(A, 3)).toThrow(/not positive definite \(pivot 2/);
  });

  it('semi-definite mode: drops the dependent pivot and solves a consistent system', () => {
    const c = new DenseCholesky(A, 3, 1e-10);
    expect(c.droppedPivots).toBe(1);
    const b = new Float64Array([2, -1, 1]); // = A·[2, −1, 0], in the range of A
    const x = new Float64Array(3);
    c.solve(b, x);
    expect(x[2]).toBe(0);
    for (let i = 0; i < 3; i++) {
      let s = 0;
      for (let j = 0; j < 3; j++) s += A[3 * i + j] * x[j];
      expect(s).toBeCloseTo(b[i], 12);
    }
  });

  it('semi-definite mode leaves a positive definite matrix exact', () => {
    const S = new Float64Array([4, 1, 0, 1, 3, 1, 0, 1, 2]);
    const c = new DenseCholesky(S, 3, 1e-10);
    expect(c.droppedPivots).toBe(0);
    const x = new Float64Array(3);
    c.solve(new Float64Array([5, 5, 3]), x);
    expect(Array.from(x).map((v) => +v.toFixed(12))).toEqual([1, 1, 1]);
  });
});

import { describe, expect, it } from 'vitest';
import { axpby, axpy, dot, norm1, norm2, normInf, scale, xpay } from '../../../src/linalg/vector.js';

describe('vector kernels', () => {
  const x = Float64Array.from([1, -2, 3, -4, 5]);
  const y = Float64Array.from([2, 1, 0, 1, -1]);
  it('dot and norms', () => {
    expect(dot(x, y)).toBe(2 - 2 + 0 - 4 - 5);
    expect(norm2(x)).toBeCloseTo(Math.sqrt(55), 14);
    expect(normInf(x)).toBe(5);
    expect(norm1(x)).toBe(15);
    expect(norm2(Float64Array.from([3e200, 4e200]))).toBeCloseTo(5e200, -186);
    expect(norm2(Float64Array.from([3e-200, 4e-200])) / 5e-200).toBeCloseTo(1, 12);
  });
  it('axpy, xpay, axpby, scale', () => {
    const a = y.slice(); axpy(2, x, a);
    expect(Array.from(a)).toEqual([4, -3, 6, -7, 9]);
    const b = y.slice(); xpay(x, 2, b);
    expect(Array.from(b)).toEqual([5, 0, 3, -2, 3]);
    const w = new Float64Array(5); axpby(1, x, -1, y, w);
    expect(Array.from(w)).toEqual([-1, -3, 3, -5, 6]);
    const s = x.slice(); scale(-1, s);
    expect(Array.from(s)).toEqual([-1, 2, -3, 4, -5]);
  });
});

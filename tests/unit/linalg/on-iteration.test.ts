/** SolveOptions.onIteration: called once per iteration by cg, bicgstab and gmres, in order. */
import { describe, expect, it } from 'vitest';
import { bicgstab } from '../../../src/linalg/bicgstab.js';
import { cg } from '../../../src/linalg/cg.js';
import { gmres } from '../../../src/linalg/gmres.js';
import type { SolveOptions, SolveResult } from '../../../src/linalg/solve-options.js';
import type { CsrMatrix } from '../../../src/linalg/csr-matrix.js';
import { lcg, randomNonsymmetric, randomSpd } from './helpers.js';

const cases: [string, (A: CsrMatrix, b: Float64Array, o: SolveOptions) => SolveResult, CsrMatrix][] = [
  ['cg', cg, randomSpd(60, 3)],
  ['bicgstab', bicgstab, randomNonsymmetric(60, 4)],
  ['gmres', gmres, randomNonsymmetric(60, 5)],
];

describe('onIteration', () => {
  for (const [name, solve, A] of cases) {
    it(`${name} reports every iteration with its relative residual`, () => {
      const r = lcg(9);
      const b = Float64Array.from({ length: A.nRows }, () => r());
      const calls: [number, number][] = [];
      const res = solve(A, b, { rtol: 1e-8, maxIterations: 500, onIteration: (it, rel) => calls.push([it, rel]) });
      expect(calls.length).toBeGreaterThan(0);
      for (let k = 1; k < calls.length; k++) expect(calls[k][0]).toBeGreaterThanOrEqual(calls[k - 1][0]);
      expect(calls[calls.length - 1][0]).toBe(res.iterations);
      for (const [, rel] of calls) expect(Number.isFinite(rel) && rel >= 0).toBe(true);
      expect(calls[calls.length - 1][1]).toBeLessThan(1e-7);
      // the same answer as without the callback
      const plain = solve(A, b, { rtol: 1e-8, maxIterations: 500 });
      expect(plain.iterations).toBe(res.iterations);
    });
  }
});

import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { ElasticityOperator } from '../../../src/assembly/elasticity-operator.js';
import {
  GAUSS_2, Q1_NODE_OFFSETS, gaussRule, isotropicStiffness, q1EigenstrainLoad, q1ElasticityStiffness, q1LaplaceStiffness,
  q1MassMatrix, q1ShapeFunctions, q1ShapeGradients, q1StrainMatrix, type BoxSize,
} from '../../../src/fem/q1-hexahedron.js';
import { cg } from '../../../src/linalg/cg.js';

const h: BoxSize = [1, 2, 0.5];

/** A general anisotropic SPD stiffness (orthotropic + some coupling). */
function anisotropic(): Float64Array {
  const C = Float64Array.from(isotropicStiffness(3, 0.25));
  C[0] += 2; C[6 * 1 + 1] += 0.5;
  C[6 * 0 + 5] = C[6 * 5 + 0] = 0.3;
  C[6 * 3 + 4] = C[6 * 4 + 3] = 0.1;
  return C;
}

function symmetricEigenvalues(a: Float64Array, n: number): number[] {
  const m = new Matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m.set(i, j, a[n * i + j]);
  return new EigenvalueDecomposition(m, { assumeSymmetric: true }).realEigenvalues.slice().sort((x, y) => x - y);
}

function maxAsymmetry(a: Float64Array, n: number): number {
  let d = 0, m = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { d = Math.max(d, Math.abs(a[n * i + j] - a[n * j + i])); m = Math.max(m, Math.abs(a[n * i + j])); }
  return d / m;
}

describe('Q1 hexahedron', () => {
  it('shape functions: partition of unity, Kronecker property, gradients sum to zero', () => {
    for (const [xi, eta, zeta] of [[0, 0, 0], [0.3, -0.7, 0.9], [-1, 1, 0.2]]) {
      const N = q1ShapeFunctions(xi, eta, zeta);
      expect(N.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 14);
      const g = q1ShapeGradients(h, xi, eta, zeta);
      for (let d = 0; d < 3; d++) {
        let s = 0;
        for (let k = 0; k < 8; k++) s += g[3 * k + d];
        expect(Math.abs(s)).toBeLessThan(1e-14);
      }
    }
    for (let k = 0; k < 8; k++) {
      const [i, j, l] = Q1_NODE_OFFSETS[k];
      const N = q1ShapeFunctions(2 * i - 1, 2 * j - 1, 2 * l - 1);
      for (let m = 0; m < 8; m++) expect(N[m]).toBe(m === k ? 1 : 0);
    }
  });

  it('gradients match finite differences of the shape functions', () => {
    const p = [0.2, -0.4, 0.6], eps = 1e-6;
    const g = q1ShapeGradients(h, p[0], p[1], p[2]);
    for (let d = 0; d < 3; d++) {
      const a = [...p], b = [...p];
      a[d] += eps; b[d] -= eps;
      const Na = q1ShapeFunctions(a[0], a[1], a[2]), Nb = q1ShapeFunctions(b[0], b[1], b[2]);
      for (let k = 0; k < 8; k++) expect(g[3 * k + d]).toBeCloseTo(((Na[k] - Nb[k]) / (2 * eps)) * (2 / h[d]), 8);
    }
  });

  it('Gauss rules have the right weights and integrate polynomials exactly', () => {
    for (const n of [1, 2, 3] as const) {
      const r = gaussRule(n);
      expect(r.weights.reduce((s, w) => s + w, 0)).toBeCloseTo(8, 14);
      // ∫ ξ² η² ζ² over [−1,1]³ = (2/3)³ (exact for n ≥ 2)
      if (n >= 2) {
        let s = 0;
        for (let q = 0; q < r.count; q++) s += r.weights[q] * (r.points[3 * q] * r.points[3 * q + 1] * r.points[3 * q + 2]) ** 2;
        expect(s).toBeCloseTo(8 / 27, 14);
      }
    }
    expect(GAUSS_2.count).toBe(8);
  });

  it('scalar stiffness and mass: symmetric, constants in the kernel, mass sums to the volume', () => {
    const K = q1LaplaceStiffness(h), M = q1MassMatrix(h);
    expect(maxAsymmetry(K, 8)).toBeLessThan(1e-15);
    expect(maxAsymmetry(M, 8)).toBeLessThan(1e-15);
    for (let a = 0; a < 8; a++) {
      let s = 0;
      for (let b = 0; b < 8; b++) s += K[8 * a + b];
      expect(Math.abs(s)).toBeLessThan(1e-14);
    }
    expect(M.reduce((s, v) => s + v, 0)).toBeCloseTo(h[0] * h[1] * h[2], 14);
    const ev = symmetricEigenvalues(K, 8);
    expect(Math.abs(ev[0])).toBeLessThan(1e-13);
    expect(ev[1]).toBeGreaterThan(1e-3);
  });

  for (const [name, C] of [['isotropic', isotropicStiffness(210, 0.3)], ['anisotropic', anisotropic()]] as const) {
    it(`elasticity stiffness (${name}): symmetric, exactly 6 zero eigenvalues = rigid-body modes`, () => {
      const K = q1ElasticityStiffness(h, C);
      expect(maxAsymmetry(K, 24)).toBeLessThan(1e-14);
      const ev = symmetricEigenvalues(K, 24);
      const top = ev[23];
      for (let i = 0; i < 6; i++) expect(Math.abs(ev[i]) / top).toBeLessThan(1e-12);
      expect(ev[6] / top).toBeGreaterThan(1e-4);
      // the rigid-body modes themselves are in the kernel
      for (let mode = 0; mode < 6; mode++) {
        const u = new Float64Array(24);
        for (let k = 0; k < 8; k++) {
          const x = Q1_NODE_OFFSETS[k][0] * h[0], y = Q1_NODE_OFFSETS[k][1] * h[1], z = Q1_NODE_OFFSETS[k][2] * h[2];
          const v = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, -z, y], [z, 0, -x], [-y, x, 0]][mode];
          for (let c = 0; c < 3; c++) u[3 * k + c] = v[c];
        }
        for (let a = 0; a < 24; a++) {
          let s = 0;
          for (let b = 0; b < 24; b++) s += K[24 * a + b] * u[b];
          expect(Math.abs(s) / top).toBeLessThan(1e-13);
        }
      }
    });

    it(`eigenstrain load (${name}) equals K times the displacement with strain ε*`, () => {
      const eps = [1e-2, -2e-3, 5e-3, 4e-3, -1e-3, 2e-3]; // engineering shear
      const f = q1EigenstrainLoad(h, C, eps);
      const K = q1ElasticityStiffness(h, C);
      // u = E x with the symmetric strain tensor E from ε*
      const E = [[eps[0], eps[5] / 2, eps[4] / 2], [eps[5] / 2, eps[1], eps[3] / 2], [eps[4] / 2, eps[3] / 2, eps[2]]];
      const u = new Float64Array(24);
      for (let k = 0; k < 8; k++) {
        const p = [Q1_NODE_OFFSETS[k][0] * h[0], Q1_NODE_OFFSETS[k][1] * h[1], Q1_NODE_OFFSETS[k][2] * h[2]];
        for (let c = 0; c < 3; c++) u[3 * k + c] = E[c][0] * p[0] + E[c][1] * p[1] + E[c][2] * p[2];
      }
      // and the strain at any point is ε*
      const B = q1StrainMatrix(h, 0.3, -0.2, 0.7);
      for (let i = 0; i < 6; i++) {
        let s = 0;
        for (let a = 0; a < 24; a++) s += B[24 * i + a] * u[a];
        expect(s).toBeCloseTo(eps[i], 15);
      }
      for (let a = 0; a < 24; a++) {
        let s = 0;
        for (let b = 0; b < 24; b++) s += K[24 * a + b] * u[b];
        expect(Math.abs(s - f[a])).toBeLessThan(1e-12 * Math.max(...f.map(Math.abs)));
      }
    });
  }

  it('rejects a non-symmetric or indefinite stiffness', () => {
    const C = Float64Array.from(isotropicStiffness(1, 0.3));
    C[1] += 0.5;
    expect(() => q1ElasticityStiffness(h, C)).toThrow(/symmetric/);
    const D = Float64Array.from(isotropicStiffness(1, 0.3));
    D[6 * 3 + 3] = -1;
    expect(() => q1ElasticityStiffness(h, D)).toThrow(/positive definite/);
  });

  it('patch test: a linear displacement field is reproduced exactly (anisotropic material, non-cubic voxels)', () => {
    const shape: [number, number, number] = [4, 3, 3];
    const spacing: [number, number, number] = [0.5, 1, 2];
    const material = new Uint8Array(36).fill(2);
    const lin = (x: number, y: number, z: number): number[] => [
      1e-3 + 0.01 * x - 0.02 * y + 0.005 * z, -2e-3 + 0.003 * x + 0.004 * y - 0.01 * z, 0.002 * x + 0.006 * y + 0.015 * z,
    ];
    const op = new ElasticityOperator({
      shape, spacing, material,
      stiffness: [null, isotropicStiffness(10, 0.3), anisotropic()],
      dirichlet: ([0, 1, 2] as const).flatMap((axis) => (['low', 'high'] as const).flatMap((side) =>
        ([0, 1, 2] as const).map((c) => ({ face: { axis, side }, components: [c], value: (x: number, y: number, z: number) => lin(x, y, z)[c] })))),
    });
    expect(op.n).toBe(3 * 3 * 2 * 2); // interior nodes 3 × 2 × 2
    const res = cg(op, op.rhs(), { rtol: 1e-14 });
    const U = op.fullDisplacement(res.x);
    for (let node = 0; node < op.nodeCount; node++) {
      const [x, y, z] = op.nodePosition(node);
      const e = lin(x, y, z);
      for (let c = 0; c < 3; c++) expect(Math.abs(U[3 * node + c] - e[c])).toBeLessThan(1e-12);
    }
    // the matrix-free operator and its CSR agree
    const A = op.toCsr();
    expect(A.asymmetry()).toBeLessThan(1e-14);
    const x = Float64Array.from({ length: op.n }, (_, i) => Math.sin(i + 1));
    const y1 = new Float64Array(op.n), y2 = new Float64Array(op.n);
    op.apply(x, y1);
    A.apply(x, y2);
    for (let i = 0; i < op.n; i++) expect(y1[i]).toBeCloseTo(y2[i], 12);
    const d = op.diagonal(), dA = A.diagonal();
    for (let i = 0; i < op.n; i++) expect(d[i]).toBeCloseTo(dA[i], 12);
  });
});

/**
 * A free body with a uniform eigenstrain is stress-free and its displacement is the affine field
 * u = ε*·x + (rigid motion fixed by the minimal pins), for any (here anisotropic, with shear)
 * eigenstrain and any heterogeneous stiffness: the affine field is compatible, so σ = C(ε − ε*) = 0
 * solves equilibrium with zero tractions. Also the rotated lattice strain of src/physics/chemical-strain
 * (ε_s = gᵀ diag(εa, εa, εc) g) keeps its invariants, and the c axis lands where g says.
 */
import { describe, expect, it } from 'vitest';
import { ElasticityOperator } from '../../src/assembly/elasticity-operator.js';
import { Rng } from '../../src/core/rng.js';
import { isotropicStiffness } from '../../src/fem/q1-hexahedron.js';
import { bungeMatrix, randomOrientations, rotatedLatticeStrain } from '../../src/physics/chemical-strain.js';
import { principalValues } from '../../src/physics/linear-elastic.js';
import { solveElasticity } from './mechanics-helpers.js';

describe('free body with a uniform eigenstrain', () => {
  it('is stress-free to round-off and its displacement is the exact affine field', () => {
    const n = 10, h = 0.5e-6;
    const rng = new Rng(7);
    const material = new Uint8Array(n * n * n).map(() => (rng.uniform() < 0.5 ? 1 : 2));
    // NMC-like and CBD-like moduli: contrast 375 GPa / 1 GPa
    const stiffness = [null, isotropicStiffness(375e9, 0.2), isotropicStiffness(1e9, 0.3)];
    const g = bungeMatrix(randomOrientations(1, 3)[0]);
    const eps = rotatedLatticeStrain(-0.01, 0.02, g); // anisotropic, with shear
    const op = new ElasticityOperator({ shape: [n, n, n], spacing: [h, h, h], material, stiffness, floatingClusters: 'pin' });
    expect(op.clusters.pinnedDofs).toBe(6);
    const field = { uniform: eps };
    const { u, relativeResidual } = solveElasticity(op, op.rhs({ eigenstrain: field }), 1e-12);
    expect(relativeResidual).toBeLessThan(1e-11);
    const U = op.fullDisplacement(u);
    const f = op.fields(U, field);
    const sigmaScale = 375e9 * 0.02;
    let maxStress = 0, maxGauss = 0;
    for (let v = 0; v < n * n * n; v++) {
      for (let j = 0; j < 6; j++) maxStress = Math.max(maxStress, Math.abs(f.stress[6 * v + j]));
      maxGauss = Math.max(maxGauss, f.gaussMaxVonMises[v]);
    }
    expect(maxStress / sigmaScale).toBeLessThan(1e-8);
    expect(maxGauss / sigmaScale).toBeLessThan(1e-8);
    // affine: u(x) − u(x0) = (E* + W)(x − x0) with E* the tensor eigenstrain and W skew (rigid rotation)
    const Et = [[eps[0], eps[5] / 2, eps[4] / 2], [eps[5] / 2, eps[1], eps[3] / 2], [eps[4] / 2, eps[3] / 2, eps[2]]];
    // recover W from three nodes: u(e_i) − u(0) − E* e_i = W e_i
    const node = (X: number, Y: number, Z: number): number => op.nodeIndex(X, Y, Z);
    const u0 = [0, 1, 2].map((c) => U[3 * node(0, 0, 0) + c]);
    const W = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
    for (let i = 0; i < 3; i++) {
      const id = [0, 0, 0]; id[i] = n;
      const ui = [0, 1, 2].map((c) => U[3 * node(id[0], id[1], id[2]) + c]);
      for (let r = 0; r < 3; r++) W[r][i] = (ui[r] - u0[r]) / (n * h) - Et[r][i];
    }
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(Math.abs(W[i][j] + W[j][i])).toBeLessThan(1e-12);
    let maxErr = 0, maxU = 0;
    for (let node = 0; node < op.nodeCount; node++) {
      const p = op.nodePosition(node);
      for (let r = 0; r < 3; r++) {
        let exact = u0[r];
        for (let c = 0; c < 3; c++) exact += (Et[r][c] + W[r][c]) * p[c];
        maxErr = Math.max(maxErr, Math.abs(U[3 * node + r] - exact));
        maxU = Math.max(maxU, Math.abs(U[3 * node + r]));
      }
    }
    expect(maxErr / maxU).toBeLessThan(1e-9);
  });
});

describe('rotated lattice strain', () => {
  it('keeps the principal strains and puts εc along the crystal c axis', () => {
    for (const angles of randomOrientations(20, 11)) {
      const g = bungeMatrix(angles);
      const e = rotatedLatticeStrain(-0.007, 0.013, g);
      // principalValues takes tensor components: halve the engineering shears
      const t = [e[0], e[1], e[2], e[3] / 2, e[4] / 2, e[5] / 2];
      const p = principalValues(t);
      // the trigonometric closed form loses half the digits at a double root (acos near ±1):
      // |error| ≈ √(machine ε) · |ε| ≈ 1e-10 here
      expect(p[0]).toBeCloseTo(0.013, 9);
      expect(p[1]).toBeCloseTo(-0.007, 9);
      expect(p[2]).toBeCloseTo(-0.007, 9);
      // c axis in the sample frame = third row of g: ε·c = εc c
      const c = [g[6], g[7], g[8]];
      const Et = [[t[0], t[5], t[4]], [t[5], t[1], t[3]], [t[4], t[3], t[2]]];
      for (let i = 0; i < 3; i++) expect(Et[i][0] * c[0] + Et[i][1] * c[1] + Et[i][2] * c[2]).toBeCloseTo(0.013 * c[i], 12);
    }
    // identity orientation: crystal c along sample z
    expect(Array.from(rotatedLatticeStrain(0.001, 0.002, bungeMatrix([0, 0, 0])))).toEqual([0.001, 0.001, 0.002, 0, 0, 0]);
  });
});

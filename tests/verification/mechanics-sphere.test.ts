/**
 * Diffusion-induced stress in a sphere (thermal-stress analogy, Timoshenko & Goodier §151;
 * Zhang, Shyy & Sastry 2007, J. Electrochem. Soc. 154 A910, eqs. 6–7; Cheng & Verbrugge 2009,
 * J. Power Sources 190, 453): a free sphere of radius R with the isotropic eigenstrain
 * θ(r) = (Ω/3) Δc(r) has
 *   σ_r = 2E/(1−ν) [ I(R)/R³ − I(r)/r³ ],   σ_θ = E/(1−ν) [ 2 I(R)/R³ + I(r)/r³ − θ(r) ],
 * I(r) = ∫₀ʳ θ ρ² dρ. For the parabolic profile Δc = c₀ + k r², θ = θ₀ + α r² (α = Ω k / 3):
 *   σ_r = 2Eα (R² − r²) / (5(1−ν)),   σ_θ = Eα (2R² − 4r²) / (5(1−ν))   (θ₀ gives no stress).
 *
 * FE model: one octant of the voxelised sphere (voxel centre inside R) with symmetry rollers on
 * the three coordinate planes; eigenstrain evaluated at each voxel centre. The error is the
 * relative L2 norm (over the solid voxels) of the cell-centre stress tensor against the exact
 * tensor σ_r n⊗n + σ_θ (I − n⊗n) at the same centre, over the whole sphere and over the core
 * r < R/2. The staircase surface does not converge to the sphere in the sense of the traction-free
 * condition (its normals never approach the sphere's), so the whole-sphere error converges slowly
 * (measured order ≈ ½ or less) while the core converges faster.
 */
import { describe, expect, it } from 'vitest';
import { ElasticityOperator, type DirichletSpec } from '../../src/assembly/elasticity-operator.js';
import { isotropicStiffness } from '../../src/fem/q1-hexahedron.js';
import { orders, solveElasticity } from './mechanics-helpers.js';

const E = 10e9, NU = 0.3; // Zhang–Shyy–Sastry's LiMn2O4 values
const OMEGA = 3.497e-6, K = 2.29e4; // Ω [m³/mol]; Δc = c0 + K (r/R)² [mol/m³]
const R = 5e-6;
const ALPHA = (OMEGA * K) / 3 / (R * R); // θ = θ0 + α r²
const THETA0 = 0.002;

function exactStress(x: number, y: number, z: number, out: Float64Array): void {
  const r2 = x * x + y * y + z * z, r = Math.sqrt(r2);
  const sr = (2 * E * ALPHA * (R * R - r2)) / (5 * (1 - NU));
  const st = (E * ALPHA * (2 * R * R - 4 * r2)) / (5 * (1 - NU));
  const n = [x / r, y / r, z / r];
  const t = (i: number, j: number): number => (st - 0) * (i === j ? 1 : 0) + (sr - st) * n[i] * n[j];
  out[0] = t(0, 0); out[1] = t(1, 1); out[2] = t(2, 2); out[3] = t(1, 2); out[4] = t(0, 2); out[5] = t(0, 1);
}

function sphere(nr: number): { all: number; core: number; iterations: number } {
  const n = nr + 1, h = R / nr;
  const N = n * n * n;
  const material = new Uint8Array(N), theta = new Float64Array(N);
  for (let z = 0, v = 0; z < n; z++) for (let y = 0; y < n; y++) for (let x = 0; x < n; x++, v++) {
    const r2 = ((x + 0.5) * h) ** 2 + ((y + 0.5) * h) ** 2 + ((z + 0.5) * h) ** 2;
    if (r2 < R * R) { material[v] = 1; theta[v] = THETA0 + ALPHA * r2; }
  }
  const dirichlet: DirichletSpec[] = ([0, 1, 2] as const).map((a) => ({ face: { axis: a, side: 'low' as const }, components: [a] }));
  const op = new ElasticityOperator({ shape: [n, n, n], spacing: [h, h, h], material, stiffness: [null, isotropicStiffness(E, NU)], dirichlet, floatingClusters: 'error' });
  const field = { isotropic: theta };
  const { u, iterations } = solveElasticity(op, op.rhs({ eigenstrain: field }));
  const s = op.cellStress(op.fullDisplacement(u), field);
  const ex = new Float64Array(6);
  let eA = 0, nA = 0, eC = 0, nC = 0;
  for (let z = 0, v = 0; z < n; z++) for (let y = 0; y < n; y++) for (let x = 0; x < n; x++, v++) {
    if (!material[v]) continue;
    const px = (x + 0.5) * h, py = (y + 0.5) * h, pz = (z + 0.5) * h;
    exactStress(px, py, pz, ex);
    let d = 0, m = 0;
    for (let j = 0; j < 6; j++) { const w = j < 3 ? 1 : 2; d += w * (s[6 * v + j] - ex[j]) ** 2; m += w * ex[j] ** 2; }
    eA += d; nA += m;
    if (px * px + py * py + pz * pz < (R * R) / 4) { eC += d; nC += m; }
  }
  return { all: Math.sqrt(eA / nA), core: Math.sqrt(eC / nC), iterations };
}

describe('sphere with a parabolic concentration profile vs the closed-form stresses', () => {
  it('converges under refinement (radius 8, 16, 24 voxels)', () => {
    const radii = [8, 16, 24];
    const res = radii.map(sphere);
    const h = radii.map((r) => 1 / r);
    const oAll = orders(res.map((r) => r.all), h), oCore = orders(res.map((r) => r.core), h);
    console.log('sphere', JSON.stringify(res), 'orders all', oAll, 'core', oCore);
    // measured (this code): all 0.197, 0.137, 0.110 (order ≈ 0.5); core 0.015, 0.0082, 0.0091
    // (≈ 0.5 overall, not monotone: the voxelised radius jitters). R = 32 gives all 0.098, core 0.0059.
    for (let i = 1; i < res.length; i++) expect(res[i].all).toBeLessThan(res[i - 1].all);
    expect(res[2].all).toBeLessThan(0.125);
    expect(Math.log(res[0].all / res[2].all) / Math.log(3)).toBeGreaterThan(0.35);
    expect(res[2].core).toBeLessThan(0.015);
    expect(Math.max(...res.map((r) => r.core))).toBeLessThan(0.025);
  });
});

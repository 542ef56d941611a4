/**
 * Boundary conditions of `swell` (src/sim/swell.ts) on slabs whose exact solutions are homogeneous
 * (E, ν, isotropic eigenstrain e, pressure p; M = E(1−ν)/((1+ν)(1−2ν)) the P-wave modulus):
 *  - lateral free, top free:   stress-free, Δt/t = e;
 *  - lateral roller, top free: σ_lat = −E e/(1−ν), σ_n = 0, Δt/t = e(1+ν)/(1−ν);
 *  - lateral roller, top fixed: σ = −E e/(1−2ν) I, Δt = 0;
 *  - lateral roller, pressure p, e = 0: σ_n = −p, σ_lat = −p ν/(1−ν), Δt/t = −p/M.
 * Run with the thickness along y and the separator on the low side, so the axis bookkeeping is
 * exercised. Plus: a porous slab with a floating particle (removed and reported), and a
 * polycrystalline-like slab with per-particle random lattice strains (non-zero stresses whose mean
 * vanishes with free boundaries: the average stress of a traction-free body is zero).
 */
import { describe, expect, it } from 'vitest';
import type { Rve } from '../../src/mesh/rve.js';
import { LinearElastic } from '../../src/physics/linear-elastic.js';
import { swell, type SwellPhase, type TopCondition } from '../../src/sim/swell.js';

const E = 100e9, NU = 0.3, EIG = 0.01, P = 0.3e6;
const M = (E * (1 - NU)) / ((1 + NU) * (1 - 2 * NU));

function slab(shape: [number, number, number], fill: (x: number, y: number, z: number) => number): Rve {
  const [nx, ny, nz] = shape;
  const phase = new Uint8Array(nx * ny * nz);
  const particle = new Int32Array(nx * ny * nz);
  for (let z = 0, v = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++, v++) {
    phase[v] = fill(x, y, z) > 0 ? 1 : 0;
    particle[v] = fill(x, y, z);
  }
  return {
    shape, voxelSize: [1e-6, 1e-6, 1e-6], phase, particle,
    phases: [{ id: 0, name: 'pore', role: 'electrolyte', labels: [0] }, { id: 1, name: 'NMC', role: 'active', labels: [1] }],
    thicknessAxis: 1, separatorSide: 'low',
  };
}

const solid = (e = EIG): SwellPhase[] => [{ id: 1, name: 'NMC', elastic: new LinearElastic(E, NU), eigenstrain: { kind: 'uniform', voigt: [e, e, e, 0, 0, 0] } }];

function uniformStress(r: ReturnType<typeof swell>): { mean: number[]; spread: number } {
  const s = r.fields.stress;
  const mean = r.summary.phases[0].meanStress;
  let spread = 0;
  for (const v of r.operator.elementVoxel) for (let j = 0; j < 6; j++) spread = Math.max(spread, Math.abs(s[6 * v + j] - mean[j]));
  return { mean, spread };
}

describe('swell: slab boundary conditions against exact homogeneous solutions', () => {
  const rve = slab([5, 8, 4], () => 1);
  const scale = E * EIG;
  const cases: { name: string; lateral: 'free' | 'roller' | 'periodic'; top: TopCondition; e: number; stress: number[]; strain: number }[] = [
    { name: 'free / free', lateral: 'free', top: { kind: 'free' }, e: EIG, stress: [0, 0, 0], strain: EIG },
    { name: 'roller / free', lateral: 'roller', top: { kind: 'free' }, e: EIG, stress: [-E * EIG / (1 - NU), 0, -E * EIG / (1 - NU)], strain: (EIG * (1 + NU)) / (1 - NU) },
    { name: 'roller / fixed', lateral: 'roller', top: { kind: 'fixed' }, e: EIG, stress: [1, 1, 1].map(() => -E * EIG / (1 - 2 * NU)), strain: 0 },
    { name: 'roller / pressure', lateral: 'roller', top: { kind: 'pressure', pascal: P }, e: 0, stress: [-P * NU / (1 - NU), -P, -P * NU / (1 - NU)], strain: -P / M },
    // periodic lateral faces with zero mean lateral strain: the same homogeneous states as roller
    { name: 'periodic / free', lateral: 'periodic', top: { kind: 'free' }, e: EIG, stress: [-E * EIG / (1 - NU), 0, -E * EIG / (1 - NU)], strain: (EIG * (1 + NU)) / (1 - NU) },
    { name: 'periodic / fixed', lateral: 'periodic', top: { kind: 'fixed' }, e: EIG, stress: [1, 1, 1].map(() => -E * EIG / (1 - 2 * NU)), strain: 0 },
    { name: 'periodic / pressure', lateral: 'periodic', top: { kind: 'pressure', pascal: P }, e: 0, stress: [-P * NU / (1 - NU), -P, -P * NU / (1 - NU)], strain: -P / M },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = swell({ rve, phases: solid(c.e), lateral: c.lateral, top: c.top, rtol: 1e-12 });
      const { mean, spread } = uniformStress(r);
      const ref = c.e === 0 ? P : scale;
      expect(spread / ref).toBeLessThan(1e-8);
      for (let j = 0; j < 3; j++) expect(Math.abs(mean[j] - c.stress[j]) / ref).toBeLessThan(1e-8);
      for (let j = 3; j < 6; j++) expect(Math.abs(mean[j]) / ref).toBeLessThan(1e-8);
      expect(Math.abs(r.summary.thicknessStrain - c.strain)).toBeLessThan(1e-10 * (Math.abs(c.strain) + 1e-6));
      expect(r.summary.thicknessStrain * r.summary.thickness_m).toBeCloseTo(r.summary.thicknessChange_m, 20);
      expect(r.summary.removedVoxels).toBe(0);
    });
  }

  it('removes solid not attached to the collector and keeps the rest stress-free when free', () => {
    // columns from the collector (high y) with a free-floating block near the separator
    const rve2 = slab([8, 10, 8], (x, y, z) => ((x < 3 && z < 3) || (x > 4 && z > 4) ? 1 : x === 6 && z === 1 && y < 3 ? 2 : 0));
    const r = swell({ rve: rve2, phases: solid(), rtol: 1e-12 });
    expect(r.summary.removedVoxels).toBe(3);
    expect(r.summary.phases[0].maxVonMises_Pa / scale).toBeLessThan(1e-8);
    expect(r.summary.thicknessStrain).toBeCloseTo(EIG, 10);
  });

  it('random per-particle lattice strains: self-stressed, zero mean stress when traction-free', () => {
    // 4 × 4 × 4 blocks of 3³ voxels, each its own particle (grain)
    const rve3 = slab([12, 12, 12], (x, y, z) => 1 + Math.floor(x / 3) + 4 * (Math.floor(y / 3) + 4 * Math.floor(z / 3)));
    const phases: SwellPhase[] = [{ id: 1, name: 'NMC', elastic: new LinearElastic(E, NU), eigenstrain: { kind: 'lattice', ea: -0.005, ec: 0.01 } }];
    const r = swell({ rve: rve3, phases, orientationSeed: 5, rtol: 1e-12 });
    const st = r.summary.phases[0];
    expect(r.summary.orientations?.particles).toBe(64);
    expect(st.maxVonMises_Pa).toBeGreaterThan(0.05 * E * 0.01);
    for (const m of st.meanStress) expect(Math.abs(m) / st.maxVonMises_Pa).toBeLessThan(1e-8);
    expect(st.maxGaussVonMises_Pa).toBeGreaterThanOrEqual(st.maxVonMises_Pa * 0.999);
  });

  it('periodic lateral faces: free-standing pillars (no lateral wrap) are pinned without stress', () => {
    // 2 × 2 pillars from the collector (high y) to the separator, not touching each other or the
    // lateral faces: each is a laterally periodic cluster of wrap rank 0 (rotation about y pinned)
    const rve4 = slab([8, 6, 8], (x, y, z) => ((x % 4 === 1 || x % 4 === 2) && (z % 4 === 1 || z % 4 === 2) ? 1 : 0));
    const r = swell({ rve: rve4, phases: solid(), lateral: 'periodic', rtol: 1e-12 });
    expect(r.summary.boundaryConditions.periodic).toBe(true);
    expect(r.summary.pinnedDofs).toBe(4 * 3); // 2 translations + 1 rotation per pillar
    expect(r.summary.phases[0].maxVonMises_Pa / (E * EIG)).toBeLessThan(1e-8);
    expect(r.summary.thicknessStrain).toBeCloseTo(EIG, 10);
    // the same pillars joined by a bridge across the periodic x seam (x = 0 and x = 7) feel it
    const rve5 = slab([8, 6, 8], (x, y, z) => ((x % 4 === 1 || x % 4 === 2) && (z % 4 === 1 || z % 4 === 2)) || (y === 0 && z === 1) ? 1 : 0);
    const r5 = swell({ rve: rve5, phases: solid(), lateral: 'periodic', rtol: 1e-12 });
    const rFree = swell({ rve: rve5, phases: solid(), lateral: 'free', rtol: 1e-12 });
    expect(r5.summary.phases[0].maxVonMises_Pa / (E * EIG)).toBeGreaterThan(1e-3); // the wrapping bridge is constrained
    expect(rFree.summary.phases[0].maxVonMises_Pa / (E * EIG)).toBeLessThan(1e-8); // free: uniform expansion is stress-free
  });
});

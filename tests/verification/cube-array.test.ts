/**
 * Periodic arrays of inclusions against known effective conductivities.
 *
 * A periodic cell that is mirror-symmetric about its mid-planes has equipotential faces normal to
 * the applied gradient and no flux through the others, so the tortuosity solver's boundary
 * conditions (Dirichlet on the two faces normal to the axis, no flux elsewhere) on ONE cell give
 * the effective conductivity of the infinite periodic array exactly.
 *
 * 1. Square prisms, side 1/2 of the period (φ = 1/4), flux across them: the exact value
 *    σ_eff/σ_m = √((1 + 3s)/(3 + s)), s = σ_i/σ_m (Obnosov 1999, SIAM J. Appl. Math. 59:1267;
 *    it satisfies Keller's reciprocity f(s)·f(1/s) = 1). Insulating prisms: 1/√3.
 * 2. Cubes, side 1/2 (φ = 1/8), in a simple cubic array — the "periodic array of cubes".
 *    No closed form exists and we found no published value to four digits, so the reference is
 *    the same finite-volume scheme implemented independently (NumPy/SciPy + PyAMG on one octant,
 *    tests/verification/reference/cube-array-octant.py) at N = 16…256 voxels per period, and its
 *    Richardson extrapolation; the limits lie inside the Hashin–Shtrikman bounds.
 *
 * The discretisation error decays like h^(4/3) (the r^(2/3) field singularity at the re-entrant
 * edges); the tests measure that order.
 */
import { describe, expect, it } from 'vitest';
import type { Shape3 } from '../../src/core/volume.js';
import { tortuosity } from '../../src/sim/tortuosity.js';

/** σ on an N×N×(N or 1) cell with a centred inclusion [N/4, 3N/4) of conductivity s (0: removed). */
function cell(N: number, s: number, kind: 'prism' | 'cube'): { shape: Shape3; sigma: Float64Array } {
  const nz = kind === 'cube' ? N : 1;
  const shape: Shape3 = [N, N, nz];
  const sigma = new Float64Array(N * N * nz).fill(1);
  const a = N / 4, b = (3 * N) / 4;
  for (let z = 0; z < nz; z++) for (let y = a; y < b; y++) for (let x = a; x < b; x++) {
    if (kind === 'prism' || (z >= a && z < b)) sigma[x + N * (y + N * z)] = s;
  }
  return { shape, sigma };
}

const sigmaEff = (N: number, s: number, kind: 'prism' | 'cube', axis: 0 | 1 | 2): number => {
  const { shape, sigma } = cell(N, s, kind);
  const r = tortuosity({ shape, conductivity: sigma, axis, referenceConductivity: 1, rtol: 1e-10 });
  expect(r.fluxImbalance).toBeLessThan(1e-8);
  return r.effectiveConductivity;
};

/** Observed order of three solutions on grids refined by 2, and their Richardson limit. */
function richardson(f1: number, f2: number, f3: number): { order: number; limit: number } {
  const ratio = (f2 - f1) / (f3 - f2);
  const order = Math.log2(ratio);
  return { order, limit: f3 + (f3 - f2) / (ratio - 1) };
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('square-prism array, φ = 1/4: exact effective conductivity (Obnosov)', () => {
  const exact = (s: number) => Math.sqrt((1 + 3 * s) / (3 + s));
  const Ns = [64, 128, 256, 512];

  it.each([0, 10])('contrast s = %d: converges to √((1+3s)/(3+s)) at order 4/3; the extrapolated value to 1e-6', (s) => {
    const f = Ns.map((N) => sigmaEff(N, s, 'prism', 0));
    const err = f.map((v) => rel(v, exact(s)));
    // the finest grid alone is within 0.02 %
    expect(err[3]).toBeLessThan(2e-4);
    for (let k = 1; k < Ns.length; k++) {
      const order = Math.log2(err[k - 1] / err[k]);
      expect(order).toBeGreaterThan(1.2);
      expect(order).toBeLessThan(1.6);
    }
    const r = richardson(f[1], f[2], f[3]);
    expect(rel(r.limit, exact(s))).toBeLessThan(1e-6);
    // the same along y (the cell is symmetric under the x ↔ y swap)
    expect(rel(sigmaEff(128, s, 'prism', 1), f[1])).toBeLessThan(1e-9);
  });
});

describe('simple cubic array of cubes, φ = 1/8', () => {
  // Independent implementation of the same scheme (reference/cube-array-octant.py), σ_eff/σ_m at
  // N = 16, 32, 64, and its Richardson limit from N = 64, 128, 256.
  const reference = {
    0: { values: [0.80426861, 0.80800791, 0.80953002], limit: 0.810545 },
    10: { values: [1.33047170, 1.33910694, 1.34238428], limit: 1.344297 },
  } as const;
  // Hashin–Shtrikman bounds for φ = 1/8 (3D, isotropic): insulating cubes σ ≤ 2(1−φ)/(2+φ);
  // s = 10: [1 + φ/(1/(s−1) + (1−φ)/3), s + (1−φ)/(1/(1−s) + φ/(3s))]
  const phi = 1 / 8;
  const bounds = {
    0: [0, (2 * (1 - phi)) / (2 + phi)],
    10: [1 + phi / (1 / 9 + (1 - phi) / 3), 10 + (1 - phi) / (1 / (1 - 10) + phi / 30)],
  } as const;

  it.each([0, 10] as const)('contrast s = %d: isotropic, equal to the independent implementation, extrapolates to its limit', (s) => {
    const Ns = [16, 32, 64];
    const f = Ns.map((N) => sigmaEff(N, s, 'cube', 0));
    for (let k = 0; k < Ns.length; k++) expect(rel(f[k], reference[s].values[k])).toBeLessThan(1e-7);
    // cubic symmetry: the same along y and z
    for (const axis of [1, 2] as const) expect(rel(sigmaEff(32, s, 'cube', axis), f[1])).toBeLessThan(1e-9);
    const r = richardson(f[0], f[1], f[2]);
    expect(r.order).toBeGreaterThan(1.1);
    expect(r.order).toBeLessThan(1.6);
    expect(rel(r.limit, reference[s].limit)).toBeLessThan(3e-4);
    expect(r.limit).toBeGreaterThan(bounds[s][0]);
    expect(r.limit).toBeLessThan(bounds[s][1]);
  });
});

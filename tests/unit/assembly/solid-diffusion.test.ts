/**
 * Solid-diffusion finite volumes (src/assembly/solid-diffusion.ts): cells, particle separation,
 * interface faces, Jacobian against finite differences, backward-Euler residual.
 */
import { describe, expect, it } from 'vitest';
import { SolidDiffusion } from '../../../src/assembly/solid-diffusion.js';
import { generateSingleSphere, generateSphereArray } from '../../../src/mesh/generate.js';
import { parsePhaseMapText } from '../../../src/mesh/phases.js';
import type { Rve } from '../../../src/mesh/rve.js';
import { concentrationDependentDiffusivity, constantDiffusivity } from '../../../src/physics/fickian-diffusion.js';

const H = 1e-6;

/** A 4×2×2 bar of active voxels split into particles 1 (x < 2) and 2 (x ≥ 2), electrolyte around. */
function twoParticleBar(): Rve {
  const shape: [number, number, number] = [6, 4, 4];
  const N = 6 * 4 * 4;
  const phase = new Uint8Array(N), particle = new Int32Array(N);
  for (let z = 1; z < 3; z++) for (let y = 1; y < 3; y++) for (let x = 1; x < 5; x++) {
    const v = x + 6 * (y + 4 * z);
    phase[v] = 1;
    particle[v] = x < 3 ? 1 : 2;
  }
  return { shape, voxelSize: [H, H, H], phase, phases: parsePhaseMapText('0=pore:electrolyte,1=NMC:active'), thicknessAxis: 2, separatorSide: 'high', particle };
}

describe('SolidDiffusion geometry', () => {
  it('no flux between different particles; every outer face of the bar is an interface face', () => {
    const rve = twoParticleBar();
    const sd = new SolidDiffusion(rve, { diffusivity: constantDiffusivity(1e-14) });
    expect(sd.n).toBe(16);
    // 2×2×2 cubes have 12 internal faces each; the 4 contact faces between the particles are cut
    expect(sd.faceCount).toBe(24);
    for (let f = 0; f < sd.faceCount; f++) expect(sd.bodyOfCell[sd.faceLow[f]]).toBe(sd.bodyOfCell[sd.faceHigh[f]]);
    // bar surface: 2·(2·2) ends + 4·(4·2) sides = 40 faces; the contact faces are not interface faces
    expect(sd.surfaceFaceCount).toBe(40);
    expect(sd.totalSurfaceVoxelArea).toBeCloseTo(40 * H * H, 20);
    // a uniform influx into a non-uniform state: each particle gains exactly N × its own area
    const c = Float64Array.from({ length: sd.n }, (_, i) => 1000 + 50 * i);
    const f = new Float64Array(sd.n);
    sd.rhs(c, 2e-5, f);
    const byBody = new Map<number, number>();
    for (let i = 0; i < sd.n; i++) byBody.set(sd.bodyOfCell[i], (byBody.get(sd.bodyOfCell[i]) ?? 0) + f[i]);
    const areaByBody = new Map<number, number>();
    for (let k = 0; k < sd.surfaceFaceCount; k++) {
      const b = sd.bodyOfCell[sd.surfaceCell[k]];
      areaByBody.set(b, (areaByBody.get(b) ?? 0) + sd.surfaceArea[k]);
    }
    for (const [b, a] of areaByBody) expect(byBody.get(b)! / (2e-5 * a)).toBeCloseTo(1, 10);
    // without particle separation the bar is one body
    const joined = new SolidDiffusion(rve, { diffusivity: constantDiffusivity(1e-14), separateParticles: false });
    expect(joined.faceCount).toBe(28);
  });

  it('sphere array: corrected interface area close to N·4πR², voxel-face area ~1.5× larger', () => {
    const R = 6 * H;
    const { rve } = generateSphereArray({ counts: [2, 2, 1], radius: R, spacing: 16 * H, voxelSize: H });
    const sd = new SolidDiffusion(rve, { diffusivity: constantDiffusivity(1e-14) });
    const exact = 4 * 4 * Math.PI * R * R;
    expect(Math.abs(sd.totalSurfaceArea / exact - 1)).toBeLessThan(0.03);
    expect(sd.totalSurfaceVoxelArea / exact).toBeGreaterThan(1.4);
    expect(new Set(sd.bodyOfCell).size).toBe(4);
  });

  it('rejects RVEs without active voxels and bad flux arrays', () => {
    const rve = twoParticleBar();
    expect(() => new SolidDiffusion({ ...rve, phase: new Uint8Array(rve.phase.length) }, { diffusivity: constantDiffusivity(1e-14) })).toThrow(/active/);
    const sd = new SolidDiffusion(rve, { diffusivity: constantDiffusivity(1e-14) });
    expect(() => sd.rhs(new Float64Array(sd.n), new Float64Array(3), new Float64Array(sd.n))).toThrow(/interface face/);
  });
});

describe('SolidDiffusion residual and Jacobian', () => {
  const { rve } = generateSingleSphere({ shape: [10, 10, 10], voxelSize: H, radius: 3.2 * H });

  for (const [name, law] of [
    ['constant D', constantDiffusivity(1e-14)],
    ['D(c) = D0 (1 + 2c/cmax)², derivative by finite differences', concentrationDependentDiffusivity((c) => 1e-14 * (1 + (2 * c) / 5e4) ** 2, undefined, { cScale: 1e4 })],
  ] as const) {
    it(`∂f/∂c matches central differences (${name}); diffusion conserves Σ f = N A`, () => {
      const sd = new SolidDiffusion(rve, { diffusivity: law });
      const c = Float64Array.from({ length: sd.n }, (_, i) => 1e4 + 3e3 * Math.sin(0.7 * i));
      const J = sd.rhsJacobian(c).toDense();
      const f0 = new Float64Array(sd.n), f1 = new Float64Array(sd.n), f2 = new Float64Array(sd.n);
      sd.rhs(c, 1e-5, f0);
      expect(f0.reduce((a, b) => a + b, 0) / sd.totalInflux(1e-5)).toBeCloseTo(1, 10);
      let maxErr = 0, maxJ = 0;
      for (const j of [0, 5, Math.floor(sd.n / 2), sd.n - 1]) {
        const d = 1e-2;
        const cp = Float64Array.from(c), cm = Float64Array.from(c);
        cp[j] += d; cm[j] -= d;
        sd.rhs(cp, 1e-5, f1); sd.rhs(cm, 1e-5, f2);
        for (let i = 0; i < sd.n; i++) {
          const fd = (f1[i] - f2[i]) / (2 * d);
          maxErr = Math.max(maxErr, Math.abs(fd - J[i][j]));
          maxJ = Math.max(maxJ, Math.abs(J[i][j]));
        }
      }
      expect(maxErr / maxJ).toBeLessThan(1e-6);
      // backward-Euler residual and its Jacobian
      const dt = 10;
      const cOld = Float64Array.from(c, (x) => x - 5);
      const F = new Float64Array(sd.n);
      sd.residual(c, cOld, dt, 1e-5, F);
      for (let i = 0; i < sd.n; i++) expect(F[i]).toBeCloseTo(sd.volume[i] * 5 / dt - f0[i], 25);
      const JF = sd.residualJacobian(c, dt);
      expect(JF.get(0, 0)).toBeCloseTo(sd.volume[0] / dt - J[0][0], 25);
      if (sd.symmetric) expect(JF.asymmetry()).toBe(0);
    });
  }
});

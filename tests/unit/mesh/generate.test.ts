import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors.js';
import type { Shape3 } from '../../../src/core/volume.js';
import {
  generateSingleSphere,
  generateSphereArray,
  generateSpherePack,
  type SpherePackOptions,
  type Sphere,
} from '../../../src/mesh/generate.js';

const H = 0.5e-6;

function packOpts(over: Partial<SpherePackOptions> = {}): SpherePackOptions {
  return {
    shape: [48, 48, 48],
    voxelSize: H,
    activeFraction: 0.4,
    radiusMedian: 2.5e-6,
    radiusSigmaLog: 0.3,
    overlap: 0.1,
    cbdFraction: 0.2,
    seed: 7,
    ...over,
  };
}

function countOf(a: Uint8Array, v: number): number {
  let c = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === v) c++;
  return c;
}

/**
 * Brute-force reference over all voxels and all spheres: which voxel centres are inside a
 * sphere, the owning particle (smallest |x-c|/r) and the neck score d1 + d2 of outside voxels.
 * `periodic[a]` applies the minimum-image convention along axis a with box length n[a]·h.
 */
function reference(spheres: Sphere[], shape: Shape3, h: number, periodic: [boolean, boolean, boolean]) {
  const [nx, ny, nz] = shape;
  const N = nx * ny * nz;
  const inside = new Uint8Array(N);
  /** Number of spheres containing each voxel centre. */
  const cover = new Uint8Array(N);
  const owner = new Int32Array(N);
  const score = new Float64Array(N).fill(Infinity);
  const L = [nx * h, ny * h, nz * h];
  const p = [0, 0, 0];
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) {
    const i = x + nx * (y + ny * z);
    p[0] = (x + 0.5) * h; p[1] = (y + 0.5) * h; p[2] = (z + 0.5) * h;
    let best = Infinity, d1 = Infinity, d2 = Infinity;
    for (const s of spheres) {
      let q = 0;
      for (let a = 0; a < 3; a++) {
        let d = p[a] - s.c[a];
        if (periodic[a]) d -= L[a] * Math.round(d / L[a]);
        q += d * d;
      }
      const dist = Math.sqrt(q);
      if (q <= s.r * s.r) {
        inside[i] = 1;
        cover[i]++;
        if (dist / s.r < best) { best = dist / s.r; owner[i] = s.id; }
      }
      const ds = dist - s.r;
      if (ds < d1) { d2 = d1; d1 = ds; } else if (ds < d2) d2 = ds;
    }
    if (!inside[i]) score[i] = d1 + d2;
  }
  return { inside, owner, score, cover };
}

describe('generateSpherePack', () => {
  it('is deterministic by seed', () => {
    const a = generateSpherePack(packOpts({ shape: [40, 40, 40] }));
    const b = generateSpherePack(packOpts({ shape: [40, 40, 40] }));
    const c = generateSpherePack(packOpts({ shape: [40, 40, 40], seed: 8 }));
    expect(Buffer.from(a.rve.phase).equals(Buffer.from(b.rve.phase))).toBe(true);
    expect(Buffer.from(a.rve.particle!.buffer).equals(Buffer.from(b.rve.particle!.buffer))).toBe(true);
    expect(a.spheres).toEqual(b.spheres);
    expect(Buffer.from(a.rve.phase).equals(Buffer.from(c.rve.phase))).toBe(false);
  });

  it('reaches the active fraction within 0.01 and the CBD fraction within one voxel (64^3)', () => {
    const opts = packOpts({ shape: [64, 64, 64], seed: 3, cbdFraction: 0.25 });
    const { rve, stats } = generateSpherePack(opts);
    const N = 64 ** 3;
    expect(rve.shape).toEqual([64, 64, 64]);
    expect(rve.phases.map((p) => `${p.id}=${p.name}:${p.role}`)).toEqual(['0=pore:electrolyte', '1=NMC:active', '2=CBD:cbd']);
    const active = countOf(rve.phase, 1) / N;
    expect(Math.abs(active - 0.4)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(countOf(rve.phase, 2) - 0.25 * N)).toBeLessThanOrEqual(1);
    expect(countOf(rve.phase, 0) + countOf(rve.phase, 1) + countOf(rve.phase, 2)).toBe(N);
    expect(stats.activeFraction).toBeCloseTo(active, 12);
    expect(stats.cbdFraction).toBeCloseTo(countOf(rve.phase, 2) / N, 12);
  });

  it('voxelises the returned spheres exactly and labels particles by smallest scaled distance', () => {
    for (const periodicLateral of [false, true]) {
      const shape: Shape3 = [28, 24, 20];
      const { rve, spheres } = generateSpherePack(packOpts({ shape, periodicLateral, seed: 11, radiusMedian: 2e-6, overlap: 0.3 }));
      const ref = reference(spheres, shape, H, [periodicLateral, periodicLateral, false]);
      expect(countOf(ref.cover, 2)).toBeGreaterThan(20); // overlaps exist, so labelling is tested
      const particle = rve.particle!;
      let mismatches = 0;
      for (let i = 0; i < rve.phase.length; i++) {
        const isActive = rve.phase[i] === 1 ? 1 : 0;
        if (isActive !== ref.inside[i]) mismatches++;
        if (isActive ? particle[i] !== ref.owner[i] : particle[i] !== 0) mismatches++;
      }
      expect(mismatches).toBe(0);
      expect(spheres.every((s, k) => s.id === k + 1)).toBe(true);
    }
  });

  it('wraps spheres laterally when periodic and cuts them at the faces otherwise', () => {
    const shape: Shape3 = [32, 32, 32];
    const per = generateSpherePack(packOpts({ shape, periodicLateral: true, seed: 5 }));
    const cut = generateSpherePack(packOpts({ shape, periodicLateral: false, seed: 5 }));
    // Some particle appears at both x = 0 and x = nx-1 only when wrapping.
    const spansX = (rve: typeof per.rve) => {
      const lo = new Set<number>(), hi = new Set<number>();
      const [nx, ny, nz] = rve.shape;
      for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) {
        lo.add(rve.particle![nx * (y + ny * z)]);
        hi.add(rve.particle![nx - 1 + nx * (y + ny * z)]);
      }
      return [...lo].filter((p) => p > 0 && hi.has(p)).length;
    };
    expect(spansX(per.rve)).toBeGreaterThan(0);
    expect(spansX(cut.rve)).toBe(0);
  });

  it('fills CBD in increasing order of the neck score d1 + d2', () => {
    const shape: Shape3 = [36, 36, 36];
    const { rve, spheres } = generateSpherePack(packOpts({ shape, seed: 21 }));
    const { score } = reference(spheres, shape, H, [false, false, false]);
    let sumC = 0, nC = 0, sumE = 0, nE = 0, maxC = -Infinity, minE = Infinity;
    for (let i = 0; i < rve.phase.length; i++) {
      if (rve.phase[i] === 2) { sumC += score[i]; nC++; maxC = Math.max(maxC, score[i]); }
      if (rve.phase[i] === 0) { sumE += score[i]; nE++; minE = Math.min(minE, score[i]); }
    }
    expect(nC).toBeGreaterThan(0);
    expect(sumC / nC).toBeLessThan(0.5 * (sumE / nE));
    // Strict ordering up to float32 rounding of the stored distances.
    expect(maxC).toBeLessThanOrEqual(minE + 1e-5 * H);
  });

  it('appends a separator layer of round(t/h) voxels at the high end of the thickness axis', () => {
    const t = 2.6e-6; // 5.2 voxels → 5
    const { rve, stats } = generateSpherePack(packOpts({ shape: [32, 32, 32], separatorThickness: t }));
    expect(rve.shape).toEqual([32, 32, 37]);
    expect(rve.phases[3]).toEqual({ id: 3, name: 'separator', role: 'separator', labels: [3] });
    expect(rve.separatorSide).toBe('high');
    expect(rve.thicknessAxis).toBe(2);
    expect(stats.separatorVoxels).toBe(5);
    const slab = 32 * 32;
    for (let z = 0; z < 37; z++) {
      const layer = rve.phase.subarray(z * slab, (z + 1) * slab);
      const sep = countOf(layer, 3);
      expect(sep).toBe(z >= 32 ? slab : 0);
    }
    // fractions refer to the electrode region
    const electrode = rve.phase.subarray(0, 32 * slab);
    expect(Math.abs(countOf(electrode, 1) / electrode.length - 0.4)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(countOf(electrode, 2) - Math.round(0.2 * electrode.length))).toBeLessThanOrEqual(1);
  });

  it('puts the separator along another thickness axis', () => {
    const { rve } = generateSpherePack(packOpts({ shape: [24, 30, 30], thicknessAxis: 0, separatorThickness: 1.5e-6, periodicLateral: true }));
    expect(rve.shape).toEqual([27, 30, 30]);
    expect(rve.thicknessAxis).toBe(0);
    const [nx, ny, nz] = rve.shape;
    let bad = 0;
    for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) {
      if ((rve.phase[x + nx * (y + ny * z)] === 3) !== x >= 24) bad++;
    }
    expect(bad).toBe(0);
  });

  it('draws lognormal radii with the requested median', () => {
    const { spheres } = generateSpherePack(packOpts({ shape: [96, 96, 96], radiusMedian: 2e-6, radiusSigmaLog: 0.3, seed: 99 }));
    expect(spheres.length).toBeGreaterThan(300);
    const r = spheres.map((s) => s.r).sort((a, b) => a - b);
    const med = r[Math.floor(r.length / 2)];
    expect(Math.abs(med / 2e-6 - 1)).toBeLessThan(0.15);
    const logs = r.map(Math.log);
    const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
    const sd = Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / logs.length);
    expect(sd).toBeGreaterThan(0.2);
    expect(sd).toBeLessThan(0.4);
  });

  it('keeps neighbours apart by (1 - overlap)(r1 + r2), except the final fill-up', () => {
    const { spheres } = generateSpherePack(packOpts({ shape: [40, 40, 40], overlap: 0.2, radiusSigmaLog: 0 }));
    let violations = 0;
    for (let a = 0; a < spheres.length; a++) for (let b = a + 1; b < spheres.length; b++) {
      const A = spheres[a], B = spheres[b];
      const d = Math.hypot(A.c[0] - B.c[0], A.c[1] - B.c[1], A.c[2] - B.c[2]);
      if (d < 0.8 * (A.r + B.r) * (1 - 1e-12)) violations++;
    }
    expect(violations).toBe(0);
    // monodisperse except the last few, shrunk to fill up to the target
    const full = spheres.filter((s) => s.r === 2.5e-6).length;
    expect(full).toBeGreaterThanOrEqual(spheres.length - 6);
    expect(spheres.slice(0, full).every((s) => s.r === 2.5e-6)).toBe(true);
    for (let k = full + 1; k < spheres.length; k++) expect(spheres[k].r).toBeLessThanOrEqual(spheres[k - 1].r);
  });

  it('throws an InputError when the active fraction cannot be reached', () => {
    let err: unknown;
    try {
      generateSpherePack(packOpts({ shape: [32, 32, 32], activeFraction: 0.9, overlap: 0, cbdFraction: 0.05 }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).source).toBe('activeFraction');
    expect((err as InputError).message).toMatch(/reached 0\.[0-6]\d*/);
  });

  it('rejects bad options', () => {
    expect(() => generateSpherePack(packOpts({ activeFraction: 0.7, cbdFraction: 0.3 }))).toThrow(InputError);
    expect(() => generateSpherePack(packOpts({ overlap: 1 }))).toThrow(InputError);
    expect(() => generateSpherePack(packOpts({ shape: [0, 10, 10] }))).toThrow(InputError);
    expect(() => generateSpherePack(packOpts({ separatorThickness: 0.1e-6 }))).toThrow(InputError);
  });
});

describe('generateSingleSphere', () => {
  it('voxelises a sphere of radius 10 voxels to within 2% of its volume', () => {
    const { rve, spheres, stats } = generateSingleSphere({ shape: [32, 32, 32], voxelSize: H, radius: 10 * H });
    const n = countOf(rve.phase, 1);
    const exact = (4 / 3) * Math.PI * 1000;
    expect(Math.abs(n / exact - 1)).toBeLessThan(0.02);
    expect(countOf(rve.phase, 2)).toBe(0);
    expect(countOf(rve.phase, 0)).toBe(32 ** 3 - n);
    expect(spheres).toEqual([{ c: [16 * H, 16 * H, 16 * H], r: 10 * H, id: 1 }]);
    expect(stats.activeFraction).toBeCloseTo(n / 32 ** 3, 12);
    for (let i = 0; i < rve.phase.length; i++) {
      if ((rve.particle![i] === 1) !== (rve.phase[i] === 1)) throw new Error(`particle id mismatch at ${i}`);
    }
    // voxel (16,16,16) has its corner at the centre: inside; (26,16,16) centre at 10.5 h: outside
    expect(rve.phase[16 + 32 * (16 + 32 * 16)]).toBe(1);
    expect(rve.phase[26 + 32 * (16 + 32 * 16)]).toBe(0);
    expect(rve.phase[25 + 32 * (16 + 32 * 16)]).toBe(1);
  });

  it('honours an off-centre centre and phase names', () => {
    const { rve } = generateSingleSphere({
      shape: [20, 20, 20], voxelSize: 1, radius: 6, center: [0, 10, 10], phaseNames: { active: 'LFP', electrolyte: 'elyte' },
    });
    expect(rve.phases.map((p) => p.name)).toEqual(['elyte', 'LFP', 'CBD']);
    // half a sphere survives the cut at the x = 0 face
    const n = countOf(rve.phase, 1);
    expect(Math.abs(n / ((2 / 3) * Math.PI * 216) - 1)).toBeLessThan(0.03);
    expect(rve.phase[0 + 20 * (10 + 20 * 10)]).toBe(1);
    expect(rve.phase[5 + 20 * (10 + 20 * 10)]).toBe(1);
    expect(rve.phase[6 + 20 * (10 + 20 * 10)]).toBe(0);
  });
});

describe('generateSphereArray', () => {
  it('builds counts × spacing with identical spheres', () => {
    const { rve, spheres } = generateSphereArray({ counts: [3, 2, 2], radius: 4 * H, spacing: 10 * H, voxelSize: H });
    expect(rve.shape).toEqual([30, 20, 20]);
    expect(spheres.length).toBe(12);
    expect(spheres[1].c).toEqual([15 * H, 5 * H, 5 * H]);
    const perParticle = new Map<number, number>();
    const particle = rve.particle!;
    for (let i = 0; i < particle.length; i++) {
      if ((particle[i] > 0) !== (rve.phase[i] === 1)) throw new Error(`particle id mismatch at ${i}`);
      if (particle[i] > 0) perParticle.set(particle[i], (perParticle.get(particle[i]) ?? 0) + 1);
    }
    expect([...perParticle.keys()].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const counts = [...perParticle.values()];
    expect(new Set(counts).size).toBe(1);
    const single = generateSingleSphere({ shape: [10, 10, 10], voxelSize: H, radius: 4 * H });
    expect(counts[0]).toBe(countOf(single.rve.phase, 1));
  });

  it('splits overlapping spheres between particles and puts CBD into the necks', () => {
    const { rve, spheres } = generateSphereArray({
      counts: [2, 2, 2], radius: 6.2 * H, spacing: 10 * H, voxelSize: H, cbdFraction: 0.1, separatorThickness: 2 * H,
    });
    expect(rve.shape).toEqual([20, 20, 22]);
    const N = 20 * 20 * 20;
    expect(Math.abs(countOf(rve.phase, 2) - 0.1 * N)).toBeLessThanOrEqual(1);
    expect(countOf(rve.phase, 3)).toBe(20 * 20 * 2);
    const ref = reference(spheres, [20, 20, 20], H, [false, false, false]);
    expect(countOf(ref.cover, 2)).toBeGreaterThan(50);
    let sumC = 0, nC = 0, sumE = 0, nE = 0;
    for (let i = 0; i < N; i++) {
      expect(rve.particle![i]).toBe(ref.inside[i] ? ref.owner[i] : 0);
      if (rve.phase[i] === 2) { sumC += ref.score[i]; nC++; }
      if (rve.phase[i] === 0) { sumE += ref.score[i]; nE++; }
    }
    expect(sumC / nC).toBeLessThan(sumE / nE);
  });

  it('rejects a spacing that is not a whole number of voxels', () => {
    expect(() => generateSphereArray({ counts: [2, 2, 2], radius: 2 * H, spacing: 7.5 * H, voxelSize: H })).toThrow(InputError);
  });
});

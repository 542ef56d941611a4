/**
 * Voronoi grains inside particles (src/mesh/grains.ts): grains lie inside their particle and
 * partition it, each is the restricted Voronoi cell of its seed, counts follow the rule, and grains
 * and orientations are reproducible by seed.
 */
import { describe, expect, it } from 'vitest';
import { voronoiGrains } from '../../../src/mesh/grains.js';
import { randomOrientations } from '../../../src/physics/chemical-strain.js';
import { swellEigenstrain } from '../../../src/sim/swell.js';
import { LinearElastic } from '../../../src/physics/linear-elastic.js';
import type { Rve } from '../../../src/mesh/rve.js';
import { loadOrientations } from '../../../src/io/mechanics-inputs.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Two balls (particles 1, 2) and a cube (particle 3) in a 24³ box. */
function particles(): { particle: Int32Array; shape: [number, number, number] } {
  const n = 24, shape: [number, number, number] = [n, n, n];
  const particle = new Int32Array(n * n * n);
  for (let z = 0, v = 0; z < n; z++) for (let y = 0; y < n; y++) for (let x = 0; x < n; x++, v++) {
    if ((x - 6) ** 2 + (y - 6) ** 2 + (z - 6) ** 2 < 25) particle[v] = 1;
    else if ((x - 16) ** 2 + (y - 15) ** 2 + (z - 14) ** 2 < 49) particle[v] = 2;
    else if (x >= 18 && y < 6 && z < 6) particle[v] = 3;
  }
  return { particle, shape };
}

describe('voronoiGrains', () => {
  const { particle, shape } = particles();

  it('grains are inside their particle, partition it, and follow the count rule', () => {
    const g = voronoiGrains(particle, shape, { perParticle: 5, seed: 3 });
    expect(g.count).toBe(15);
    const seen = new Set<number>();
    for (let v = 0; v < particle.length; v++) {
      if (particle[v] === 0) { expect(g.grain[v]).toBe(0); continue; }
      expect(g.grain[v]).toBeGreaterThan(0);
      expect(g.particleOfGrain[g.grain[v]]).toBe(particle[v]);
      seen.add(g.grain[v]);
    }
    expect(seen.size).toBe(15); // every grain owns at least its seed voxel
    expect([...g.grainsOfParticle]).toEqual([0, 5, 5, 5]);
  });

  it('grains in a convex particle are convex (restricted Voronoi cells)', () => {
    const g = voronoiGrains(particle, shape, { perParticle: 4, seed: 11 });
    // Voronoi cells are convex and ball 2 is convex, so a grain restricted to it is convex: the
    // midpoint of two voxels of one grain (when it is a voxel centre) belongs to the same grain.
    // A wrong assignment (e.g. nearest seed of another particle, or a non-Voronoi rule) breaks this.
    const [nx, ny] = shape;
    const pos = (v: number): number[] => [v % nx, Math.floor(v / nx) % ny, Math.floor(v / (nx * ny))];
    let checked = 0, ok = 0;
    const byGrain = new Map<number, number[]>();
    for (let v = 0; v < particle.length; v++) if (particle[v] === 2) { const a = g.grain[v]; if (!byGrain.has(a)) byGrain.set(a, []); byGrain.get(a)!.push(v); }
    for (const [a, vs] of byGrain) {
      for (let i = 0; i < vs.length; i += 7) for (let j = i + 3; j < vs.length; j += 11) {
        const p = pos(vs[i]), q = pos(vs[j]);
        if ((p[0] + q[0]) % 2 || (p[1] + q[1]) % 2 || (p[2] + q[2]) % 2) continue; // exact midpoints only
        const m = ((p[0] + q[0]) / 2) + nx * (((p[1] + q[1]) / 2) + ny * ((p[2] + q[2]) / 2));
        checked++;
        if (g.grain[m] === a) ok++;
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(ok).toBe(checked); // Voronoi cells are convex; the ball is convex; midpoints stay
  });

  it('grain size rule: k = round(V / (π d³/6)), at least 1', () => {
    const h = 0.5e-6;
    const g = voronoiGrains(particle, shape, { grainSize: 2e-6, voxelSize: [h, h, h], seed: 1 });
    const counts = [0, 0, 0, 0];
    for (const p of particle) counts[p]++;
    const vg = (Math.PI / 6) * (2e-6) ** 3;
    for (let p = 1; p <= 3; p++) expect(g.grainsOfParticle[p]).toBe(Math.max(1, Math.round((counts[p] * h ** 3) / vg)));
    const big = voronoiGrains(particle, shape, { grainSize: 100e-6, voxelSize: [h, h, h], seed: 1 });
    expect([...big.grainsOfParticle]).toEqual([0, 1, 1, 1]);
  });

  it('reproducible by seed: same seed → same grains and orientations; another seed → different', () => {
    const a = voronoiGrains(particle, shape, { perParticle: 6, seed: 42 });
    const b = voronoiGrains(particle, shape, { perParticle: 6, seed: 42 });
    const c = voronoiGrains(particle, shape, { perParticle: 6, seed: 43 });
    expect(Buffer.from(a.grain.buffer).equals(Buffer.from(b.grain.buffer))).toBe(true);
    expect(Buffer.from(a.grain.buffer).equals(Buffer.from(c.grain.buffer))).toBe(false);
    expect(randomOrientations(a.count + 1, 42)).toEqual(randomOrientations(b.count + 1, 42));
    expect(randomOrientations(a.count + 1, 42)).not.toEqual(randomOrientations(a.count + 1, 43));
  });

  it('swell eigenstrain: one orientation per grain, reproducible by seed', () => {
    const N = particle.length;
    const rve: Rve = {
      shape, voxelSize: [1e-6, 1e-6, 1e-6], phase: Uint8Array.from(particle, (p) => (p > 0 ? 1 : 0)), particle,
      phases: [{ id: 0, name: 'pore', role: 'electrolyte', labels: [0] }, { id: 1, name: 'NMC', role: 'active', labels: [1] }],
      thicknessAxis: 2, separatorSide: 'low',
    };
    const phases = [{ id: 1, name: 'NMC', elastic: new LinearElastic(100e9, 0.3), eigenstrain: { kind: 'lattice' as const, ea: -0.01, ec: 0.02 } }];
    const r1 = swellEigenstrain({ rve, phases, orientationSeed: 9, grains: { perParticle: 3 } });
    const r2 = swellEigenstrain({ rve, phases, orientationSeed: 9, grains: { perParticle: 3 } });
    expect(r1.orientations?.grains).toBe(9);
    const e1 = (r1.field as { voigt: Float64Array }).voigt, e2 = (r2.field as { voigt: Float64Array }).voigt;
    expect(Buffer.from(e1.buffer).equals(Buffer.from(e2.buffer))).toBe(true);
    // within a grain the eigenstrain is constant; a particle with 3 grains has 3 distinct strains
    const distinct = new Map<number, string>();
    const inParticle2 = new Set<string>();
    for (let v = 0; v < N; v++) {
      if (!particle[v]) continue;
      const key = Array.from(e1.subarray(6 * v, 6 * v + 6)).map((x) => x.toExponential(12)).join(',');
      const gid = r1.label![v];
      if (distinct.has(gid)) expect(distinct.get(gid)).toBe(key); else distinct.set(gid, key);
      if (particle[v] === 2) inParticle2.add(key);
      // trace is invariant under rotation: 2 ea + ec
      expect(e1[6 * v] + e1[6 * v + 1] + e1[6 * v + 2]).toBeCloseTo(-0.01 * 2 + 0.02, 12);
    }
    expect(inParticle2.size).toBe(3);
  });

  it('bad options are InputErrors naming the option', () => {
    expect(() => voronoiGrains(particle, shape, { perParticle: 0 })).toThrow(/--grains/);
    expect(() => voronoiGrains(particle, shape, { grainSize: -1 })).toThrow(/--grain-size/);
    expect(() => voronoiGrains(particle, shape, {})).toThrow(/--grains/);
  });

  it('orientations from a file override the random ones (degrees → radians); bad lines name file:line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lithomech-orient-'));
    try {
      const f = join(dir, 'o.txt');
      writeFileSync(f, 'id phi1 Phi phi2\n# particle 2 with its c axis along sample z\n2, 0, 0, 0\n3 90 90 0  # c axis along sample x\n');
      const o = loadOrientations(f);
      expect([...o.keys()]).toEqual([2, 3]);
      expect(o.get(3)![0]).toBeCloseTo(Math.PI / 2, 14);
      const rve: Rve = {
        shape, voxelSize: [1e-6, 1e-6, 1e-6], phase: Uint8Array.from(particle, (p) => (p > 0 ? 1 : 0)), particle,
        phases: [{ id: 0, name: 'pore', role: 'electrolyte', labels: [0] }, { id: 1, name: 'NMC', role: 'active', labels: [1] }],
        thicknessAxis: 2, separatorSide: 'low',
      };
      const phases = [{ id: 1, name: 'NMC', elastic: new LinearElastic(100e9, 0.3), eigenstrain: { kind: 'lattice' as const, ea: -0.01, ec: 0.02 } }];
      const r = swellEigenstrain({ rve, phases, orientationSeed: 4, orientationOverrides: o });
      const e = (r.field as { voigt: Float64Array }).voigt;
      const v2 = particle.indexOf(2), v3 = particle.indexOf(3);
      expect(Array.from(e.subarray(6 * v2, 6 * v2 + 6)).map((x) => +x.toFixed(12) + 0)).toEqual([-0.01, -0.01, 0.02, 0, 0, 0]);
      // φ1 = 90°, Φ = 90°: rows of g are the crystal axes; the c axis (third row) = (s1 sΦ, −c1 sΦ, cΦ) = (1, 0, 0)
      expect(Array.from(e.subarray(6 * v3, 6 * v3 + 6)).map((x) => +x.toFixed(12) + 0)).toEqual([0.02, -0.01, -0.01, 0, 0, 0]);
      expect(r.orientations?.fromFile).toBe(2);
      writeFileSync(f, '1 0 0\n');
      expect(() => loadOrientations(f)).toThrow(/o\.txt:1: expected "id phi1 Phi phi2"/);
      writeFileSync(f, '9 0 0 0\n');
      expect(() => swellEigenstrain({ rve, phases, orientationOverrides: loadOrientations(f) })).toThrow(/--orientations: particle id 9 is not in the RVE/);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
});

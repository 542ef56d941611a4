import { describe, expect, it } from 'vitest';
import type { Shape3 } from '../../../src/core/volume.js';
import { generateSphereArray } from '../../../src/mesh/generate.js';
import { padLayers } from '../../../src/mesh/ops.js';
import { analyseParticles } from '../../../src/mesh/particles.js';
import { parsePhaseMapText } from '../../../src/mesh/phases.js';
import { labelParticles } from '../../../src/mesh/pipeline.js';
import type { Rve } from '../../../src/mesh/rve.js';
import { computeStats, representativeness } from '../../../src/mesh/stats.js';

describe('particle table', () => {
  it('a sphere array: volumes, centroids, depth, areas, sphericity, contacts', () => {
    // 2×2×3 spheres of radius 4.6 voxels, centres 12 voxels apart (gaps of 2.8 voxels: the
    // smoothed-normal estimate needs gaps of a few σ; 0.8-voxel gaps bias areas by ~8 %)
    const h = 1e-6;
    const g = generateSphereArray({ counts: [2, 2, 3], radius: 4.6 * h, spacing: 12 * h, voxelSize: h });
    const rve = padLayers(g.rve, 0, 0);
    const { particles, areas } = analyseParticles(rve);
    expect(particles).toHaveLength(12);
    const vExact = (4 / 3) * Math.PI * (4.6 * h) ** 3;
    const aExact = 4 * Math.PI * (4.6 * h) ** 2;
    for (const p of particles) {
      const s = g.spheres[p.id - 1];
      expect(p.volume).toBeCloseTo(p.voxels * h ** 3, 30);
      // voxelised spheres centred on voxel corners hold ~6 % fewer voxels than the exact volume here
      expect(Math.abs(p.volume / vExact - 1)).toBeLessThan(0.08);
      for (let a = 0; a < 3; a++) expect(Math.abs(p.centroid[a] - s.c[a])).toBeLessThan(0.05 * h);
      expect(Math.abs(p.areaElectrolyte / aExact - 1)).toBeLessThan(0.04);
      expect(p.areaParticles).toBe(0);
      expect(Math.abs(p.sphericity - 1)).toBeLessThan(0.05);
      // separator at the high z end (generator convention): depth = box top − centroid z
      expect(p.depth).toBeCloseTo(36 * h - s.c[2], 12);
      expect(p.touchesBoundary).toBe(false);
    }
    expect(areas.corrected['pore|NMC']).toBeCloseTo(particles.reduce((s, p) => s + p.areaElectrolyte, 0), 18);
    // no particle reaches the collector face (z = 0) and there is no CBD to connect them
    expect(particles.every((p) => !p.connectedToCollector)).toBe(true);
  });

  it('touching spheres: the watershed contact area is the planar disc area', () => {
    // two spheres R = 10 voxels, centres 16 apart along x: contact disc radius √(100−64) = 6
    const n: Shape3 = [48, 30, 30];
    const phase = new Uint8Array(n[0] * n[1] * n[2]);
    const c = [[15.5, 15, 15], [31.5, 15, 15]];
    for (let z = 0; z < n[2]; z++) for (let y = 0; y < n[1]; y++) for (let x = 0; x < n[0]; x++) {
      if (c.some(([a, b, d]) => (x + 0.5 - a) ** 2 + (y + 0.5 - b) ** 2 + (z + 0.5 - d) ** 2 < 100)) phase[x + n[0] * (y + n[1] * z)] = 1;
    }
    const rve: Rve = { shape: n, voxelSize: [1, 1, 1], phase, phases: parsePhaseMapText('0=pore:electrolyte,1=NMC:active'), thicknessAxis: 2, separatorSide: 'low' };
    rve.particle = labelParticles(rve, { method: 'watershed', h: 1.5, connectivity: 26 });
    const { particles } = analyseParticles(rve);
    expect(particles).toHaveLength(2);
    const disc = Math.PI * 36;
    for (const p of particles) expect(Math.abs(p.areaParticles / disc - 1)).toBeLessThan(0.15);
  });
});

describe('stats', () => {
  it('layers: fractions, percolation by axis, representativeness shrinking with size', () => {
    const n: Shape3 = [32, 32, 32];
    const phase = new Uint8Array(n[0] * n[1] * n[2]);
    // z-layers alternating every 4 voxels: each phase percolates in x and y but not z
    for (let z = 0; z < n[2]; z++) for (let y = 0; y < n[1]; y++) for (let x = 0; x < n[0]; x++) phase[x + n[0] * (y + n[1] * z)] = Math.floor(z / 4) % 2;
    const rve: Rve = { shape: n, voxelSize: [1e-6, 1e-6, 1e-6], phase, phases: parsePhaseMapText('0=pore:electrolyte,1=NMC:active'), thicknessAxis: 2, separatorSide: 'low' };
    const s = computeStats(rve, null);
    expect(s.volumeFractions).toEqual({ pore: 0.5, NMC: 0.5 });
    expect(s.percolation.pore).toEqual({ x: true, y: true, z: false });
    expect(s.percolation.NMC).toEqual({ x: true, y: true, z: false });
    // 7 interfaces of 32×32 µm² in a 32³ µm³ box (plane faces: corrected = voxel)
    expect(s.specificSurfaceArea['pore|NMC']).toBeCloseTo((7 * 32 * 32) / (32 ** 3 * 1e-6), 3);
    expect(s.particles).toBeNull();
    const rep = representativeness(rve);
    expect(rep[0].edge).toBe(8);
    expect(rep[rep.length - 1]).toMatchObject({ edge: 32, samples: 1 });
    expect(rep[rep.length - 1].std.NMC).toBe(0);
    // summed-volume-table counts equal direct counts: the whole box mean is the volume fraction
    expect(rep[rep.length - 1].mean.NMC).toBe(0.5);
    for (const r of rep) expect(Math.abs(r.mean.NMC - 0.5)).toBeLessThan(0.2);
  });
});

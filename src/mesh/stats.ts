/**
 * Microstructure statistics of an RVE (what `stats.json` holds).
 *
 * Definitions:
 * - volumeFractions: voxel count of each phase / all voxels of the box (padding layers included);
 *   electrodeVolumeFractions: the same over the electrode only (separator and current-collector
 *   roles excluded).
 * - specificSurfaceArea["A|B"]: corrected interface area between A and B / volume of the box [m⁻¹]
 *   (estimator in surface.ts); specificSurfaceAreaVoxel: the same from raw voxel faces.
 * - percolation[phase][axis]: a 6-connected cluster of the phase touches both box faces normal to
 *   the axis.
 * - representativeness: spread (standard deviation over random sub-cubes) of each phase's volume
 *   fraction as a function of the sub-cube edge; a volume is representative for a property when
 *   the spread at its own size is small compared with the differences you want to resolve.
 */
import { Rng } from '../core/rng.js';
import { AXES, type Axis, type Shape3 } from '../core/volume.js';
import { componentsTouching, labelComponents } from './components.js';
import type { ParticleRow } from './particles.js';
import type { Rve } from './rve.js';
import { phaseInterfaceAreas, type InterfaceAreas } from './surface.js';

export interface RepresentativenessRow {
  /** Sub-cube edge [voxels] */
  edge: number;
  /** Sub-cube edge [m] (x spacing) */
  edgeLength: number;
  samples: number;
  /** Mean and standard deviation of the volume fraction per phase over the samples. */
  mean: Record<string, number>;
  std: Record<string, number>;
}

export interface RveStats {
  shape: Shape3;
  voxelSize: [number, number, number];
  thicknessAxis: string;
  separatorSide: string;
  volumeFractions: Record<string, number>;
  electrodeVolumeFractions: Record<string, number>;
  specificSurfaceArea: Record<string, number>;
  specificSurfaceAreaVoxel: Record<string, number>;
  interfaceArea: Record<string, number>;
  interfaceAreaVoxel: Record<string, number>;
  particles: {
    count: number;
    meanEquivalentRadius: number;
    medianEquivalentRadius: number;
    d10EquivalentRadius: number;
    d90EquivalentRadius: number;
    meanSphericity: number;
    touchingBoundary: number;
    notConnectedToCollector: number;
  } | null;
  percolation: Record<string, { x: boolean; y: boolean; z: boolean }>;
  representativeness: RepresentativenessRow[];
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function volumeFractions(rve: Pick<Rve, 'phase' | 'phases'>, include: (role: string) => boolean = () => true): Record<string, number> {
  const counts = new Float64Array(256);
  for (let i = 0; i < rve.phase.length; i++) counts[rve.phase[i]]++;
  let total = 0;
  for (const p of rve.phases) if (include(p.role)) total += counts[p.id];
  const out: Record<string, number> = {};
  for (const p of rve.phases) if (include(p.role)) out[p.name] = total > 0 ? counts[p.id] / total : 0;
  return out;
}

/**
 * Volume-fraction spread over `samples` random sub-cubes for edges in a geometric sequence from
 * 8 voxels to the smallest box dimension (seeded: deterministic). Counts come from a summed-volume
 * table per phase (one at a time, Int32), so each sample costs O(1).
 */
export function representativeness(rve: Pick<Rve, 'shape' | 'voxelSize' | 'phase' | 'phases'>, samples = 64, seed = 1): RepresentativenessRow[] {
  const [nx, ny, nz] = rve.shape;
  const nmin = Math.min(nx, ny, nz);
  const edges: number[] = [];
  for (let e = 8; e < nmin; e = Math.round(e * 1.5)) edges.push(e);
  if (nmin >= 1) edges.push(nmin);
  // sub-cube corners, drawn once and shared by all phases
  const rng = new Rng(seed);
  const corners = edges.map((edge) => {
    const whole = nx === edge && ny === edge && nz === edge;
    const m = whole ? 1 : samples;
    return Array.from({ length: m }, () => [
      Math.floor(rng.uniform() * (nx - edge + 1)),
      Math.floor(rng.uniform() * (ny - edge + 1)),
      Math.floor(rng.uniform() * (nz - edge + 1)),
    ]);
  });
  // summed-volume table S of size (nx+1)(ny+1)(nz+1): S[x,y,z] = count in [0,x)×[0,y)×[0,z)
  const sx = nx + 1, sxy = (nx + 1) * (ny + 1);
  const S = new Int32Array(sxy * (nz + 1));
  const fr = rve.phases.map(() => edges.map(() => [] as number[]));
  for (const [k, p] of rve.phases.entries()) {
    for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) {
      let rowSum = 0;
      const src = nx * (y + ny * z);
      const d = 1 + sx * (y + 1) + sxy * (z + 1);
      for (let x = 0; x < nx; x++) {
        rowSum += rve.phase[src + x] === p.id ? 1 : 0;
        S[d + x] = rowSum + S[d + x - sx] + S[d + x - sxy] - S[d + x - sx - sxy];
      }
    }
    const at = (x: number, y: number, z: number) => S[x + sx * y + sxy * z];
    edges.forEach((e, ei) => {
      for (const [x0, y0, z0] of corners[ei]) {
        const x1 = x0 + e, y1 = y0 + e, z1 = z0 + e;
        const c = at(x1, y1, z1) - at(x0, y1, z1) - at(x1, y0, z1) - at(x1, y1, z0)
          + at(x0, y0, z1) + at(x0, y1, z0) + at(x1, y0, z0) - at(x0, y0, z0);
        fr[k][ei].push(c / e ** 3);
      }
    });
  }
  return edges.map((edge, ei) => {
    const mean: Record<string, number> = {}, std: Record<string, number> = {};
    rve.phases.forEach((p, k) => {
      const xs = fr[k][ei];
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1);
      mean[p.name] = m;
      std[p.name] = Math.sqrt(v);
    });
    return { edge, edgeLength: edge * rve.voxelSize[0], samples: corners[ei].length, mean, std };
  });
}

export function computeStats(rve: Rve, particles: ParticleRow[] | null, opts: { sigma?: number; areas?: InterfaceAreas } = {}): RveStats {
  const [hx, hy, hz] = rve.voxelSize;
  const boxVolume = rve.phase.length * hx * hy * hz;
  const areas = opts.areas ?? phaseInterfaceAreas(rve, { sigma: opts.sigma });
  const per = (rec: Record<string, number>) => Object.fromEntries(Object.entries(rec).map(([k, v]) => [k, v / boxVolume]));
  const percolation: RveStats['percolation'] = {};
  for (const p of rve.phases) {
    const mask = new Uint8Array(rve.phase.length);
    let any = false;
    for (let i = 0; i < mask.length; i++) if (rve.phase[i] === p.id) { mask[i] = 1; any = true; }
    const res = { x: false, y: false, z: false };
    if (any) {
      const { labels } = labelComponents(mask, rve.shape, 6);
      AXES.forEach((ax, a) => {
        const low = componentsTouching(labels, rve.shape, a as Axis, 'low');
        const high = componentsTouching(labels, rve.shape, a as Axis, 'high');
        res[ax] = [...high].some((l) => low.has(l));
      });
    }
    percolation[p.name] = res;
  }
  let particleSummary: RveStats['particles'] = null;
  if (particles) {
    const radii = particles.map((r) => r.equivalentRadius).sort((a, b) => a - b);
    const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
    particleSummary = {
      count: particles.length,
      meanEquivalentRadius: mean(radii),
      medianEquivalentRadius: quantile(radii, 0.5),
      d10EquivalentRadius: quantile(radii, 0.1),
      d90EquivalentRadius: quantile(radii, 0.9),
      meanSphericity: mean(particles.filter((r) => !r.touchesBoundary).map((r) => r.sphericity)),
      touchingBoundary: particles.filter((r) => r.touchesBoundary).length,
      notConnectedToCollector: particles.filter((r) => !r.connectedToCollector).length,
    };
  }
  return {
    shape: [...rve.shape] as Shape3,
    voxelSize: [hx, hy, hz],
    thicknessAxis: AXES[rve.thicknessAxis],
    separatorSide: rve.separatorSide,
    volumeFractions: volumeFractions(rve),
    electrodeVolumeFractions: volumeFractions(rve, (role) => role !== 'separator' && role !== 'current-collector'),
    specificSurfaceArea: per(areas.corrected),
    specificSurfaceAreaVoxel: per(areas.voxel),
    interfaceArea: areas.corrected,
    interfaceAreaVoxel: areas.voxel,
    particles: particleSummary,
    percolation,
    representativeness: representativeness(rve),
  };
}

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
import { AXES, type Shape3 } from '../core/volume.js';
import { percolates } from './components.js';
import type { ParticleRow } from './particles.js';
import type { Rve } from './rve.js';
import { phaseInterfaceAreas } from './surface.js';

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
 * 8 voxels to the smallest box dimension (seeded: deterministic).
 */
export function representativeness(rve: Pick<Rve, 'shape' | 'voxelSize' | 'phase' | 'phases'>, samples = 24, seed = 1): RepresentativenessRow[] {
  const [nx, ny, nz] = rve.shape;
  const nmin = Math.min(nx, ny, nz);
  const edges: number[] = [];
  for (let e = 8; e < nmin; e = Math.round(e * 1.5)) edges.push(e);
  if (nmin >= 1) edges.push(nmin);
  const rng = new Rng(seed);
  const counts = new Float64Array(256);
  const rows: RepresentativenessRow[] = [];
  for (const edge of edges) {
    const fr: number[][] = rve.phases.map(() => []);
    const nSamples = edge === nmin && nx === nmin && ny === nmin && nz === nmin ? 1 : samples;
    for (let s = 0; s < nSamples; s++) {
      const x0 = Math.floor(rng.uniform() * (nx - edge + 1));
      const y0 = Math.floor(rng.uniform() * (ny - edge + 1));
      const z0 = Math.floor(rng.uniform() * (nz - edge + 1));
      counts.fill(0);
      for (let z = z0; z < z0 + edge; z++) for (let y = y0; y < y0 + edge; y++) {
        const row = nx * (y + ny * z);
        for (let x = x0; x < x0 + edge; x++) counts[rve.phase[row + x]]++;
      }
      const v = edge ** 3;
      rve.phases.forEach((p, k) => fr[k].push(counts[p.id] / v));
    }
    const mean: Record<string, number> = {}, std: Record<string, number> = {};
    rve.phases.forEach((p, k) => {
      const m = fr[k].reduce((a, b) => a + b, 0) / fr[k].length;
      const v = fr[k].reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, fr[k].length - 1);
      mean[p.name] = m;
      std[p.name] = Math.sqrt(v);
    });
    rows.push({ edge, edgeLength: edge * rve.voxelSize[0], samples: nSamples, mean, std });
  }
  return rows;
}

export function computeStats(rve: Rve, particles: ParticleRow[] | null, opts: { sigma?: number } = {}): RveStats {
  const [hx, hy, hz] = rve.voxelSize;
  const boxVolume = rve.phase.length * hx * hy * hz;
  const areas = phaseInterfaceAreas(rve, { sigma: opts.sigma });
  const per = (rec: Record<string, number>) => Object.fromEntries(Object.entries(rec).map(([k, v]) => [k, v / boxVolume]));
  const percolation: RveStats['percolation'] = {};
  for (const p of rve.phases) {
    const mask = new Uint8Array(rve.phase.length);
    let any = false;
    for (let i = 0; i < mask.length; i++) if (rve.phase[i] === p.id) { mask[i] = 1; any = true; }
    const res = { x: false, y: false, z: false };
    if (any) AXES.forEach((ax, a) => { res[ax] = percolates(mask, rve.shape, a as 0 | 1 | 2, 6); });
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

/**
 * The particle table: one row per active particle with its size, position, interface areas
 * (staircase-corrected, see surface.ts) and connectivity to the current collector.
 */
import { labelComponents } from './components.js';
import { electrodeExtent } from './ops.js';
import { DEFAULT_SMOOTHING_SIGMA, forEachPhaseInterfaceFace, gaussianKernel, visitFaces } from './surface.js';
import type { Rve } from './rve.js';

export interface ParticleRow {
  id: number;
  phase: string;
  voxels: number;
  volume: number;
  equivalentRadius: number;
  centroid: [number, number, number];
  /** Distance of the centroid from the separator-side face of the electrode, along the thickness axis [m]. */
  depth: number;
  areaElectrolyte: number;
  areaCbd: number;
  areaParticles: number;
  /** Interfaces with anything else (separator, current collector). */
  areaOther: number;
  /** Corrected area of all interior faces of the particle [m²]. */
  areaTotal: number;
  /** π^(1/3) (6V)^(2/3) / A; 1 for a sphere. Biased low for particles cut by the box. */
  sphericity: number;
  /** The particle touches a face of the box (it is cut; its size and shape are partial). */
  touchesBoundary: boolean;
  connectedToCollector: boolean;
}

export const PARTICLE_CSV_COLUMNS = [
  'id', 'phase', 'voxels', 'volume_m3', 'equivalent_radius_m', 'centroid_x_m', 'centroid_y_m', 'centroid_z_m',
  'depth_m', 'area_electrolyte_m2', 'area_cbd_m2', 'area_particles_m2', 'area_other_m2', 'area_total_m2',
  'sphericity', 'touches_boundary', 'connected_to_collector',
] as const;

/** Solid voxels connected (6-connectivity through active, CBD, current collector) to the collector face. */
export function collectorConnectedMask(rve: Rve): Uint8Array {
  const conducting = new Uint8Array(256);
  for (const p of rve.phases) conducting[p.id] = p.role === 'active' || p.role === 'cbd' || p.role === 'current-collector' ? 1 : 0;
  const mask = new Uint8Array(rve.phase.length);
  for (let i = 0; i < mask.length; i++) mask[i] = conducting[rve.phase[i]];
  const { labels, count } = labelComponents(mask, rve.shape, 6);
  const keep = new Uint8Array(count + 1);
  const a = rve.thicknessAxis;
  const [nx, ny] = rve.shape;
  const t = rve.separatorSide === 'low' ? rve.shape[a] - 1 : 0;
  const lo = [0, 0, 0], hi = [...rve.shape];
  lo[a] = t; hi[a] = t + 1;
  for (let z = lo[2]; z < hi[2]; z++) for (let y = lo[1]; y < hi[1]; y++) for (let x = lo[0]; x < hi[0]; x++) keep[labels[x + nx * (y + ny * z)]] = 1;
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < out.length; i++) out[i] = labels[i] > 0 && keep[labels[i]] ? 1 : 0;
  return out;
}

export function particleTable(rve: Rve, sigma = DEFAULT_SMOOTHING_SIGMA): ParticleRow[] {
  const particle = rve.particle;
  if (!particle) throw new Error('particleTable: the RVE has no particle labels');
  const [nx, ny, nz] = rve.shape;
  const [hx, hy, hz] = rve.voxelSize;
  let count = 0;
  for (let i = 0; i < particle.length; i++) if (particle[i] > count) count = particle[i];
  const vox = new Float64Array(count + 1);
  const cx = new Float64Array(count + 1), cy = new Float64Array(count + 1), cz = new Float64Array(count + 1);
  const phaseOf = new Int32Array(count + 1).fill(-1);
  const boundary = new Uint8Array(count + 1);
  const connected = new Uint8Array(count + 1);
  const conn = collectorConnectedMask(rve);
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) {
    const i = x + nx * (y + ny * z);
    const id = particle[i];
    if (id === 0) continue;
    vox[id]++;
    cx[id] += x; cy[id] += y; cz[id] += z;
    phaseOf[id] = rve.phase[i];
    if (conn[i]) connected[id] = 1;
    if (x === 0 || y === 0 || z === 0 || x === nx - 1 || y === ny - 1 || z === nz - 1) boundary[id] = 1;
  }
  const areaE = new Float64Array(count + 1), areaC = new Float64Array(count + 1), areaP = new Float64Array(count + 1), areaO = new Float64Array(count + 1);
  const roleOf = rve.phases.map((p) => p.role);
  const addArea = (id: number, otherPhase: number, area: number) => {
    const role = roleOf[otherPhase];
    if (role === 'electrolyte') areaE[id] += area;
    else if (role === 'cbd') areaC[id] += area;
    else if (role === 'active') areaP[id] += area;
    else areaO[id] += area;
  };
  // Faces between different phases.
  forEachPhaseInterfaceFace(rve, (p, q, _a, _av, ac) => {
    if (particle[p] > 0) addArea(particle[p], rve.phase[q], ac);
    if (particle[q] > 0) addArea(particle[q], rve.phase[p], ac);
  }, { sigma });
  // Faces between two particles of the same phase: the normal comes from the locally smoothed
  // indicator χ_p − χ_q of the two particles (they are few, so local convolution is cheap).
  const kern = gaussianKernel(sigma);
  const r = (kern.length - 1) / 2;
  const localField = (pid: number, qid: number) => (i: number) => {
    const x0 = i % nx, y0 = Math.floor(i / nx) % ny, z0 = Math.floor(i / (nx * ny));
    let s = 0;
    for (let dz = -r; dz <= r; dz++) {
      const z = Math.min(nz - 1, Math.max(0, z0 + dz));
      for (let dy = -r; dy <= r; dy++) {
        const y = Math.min(ny - 1, Math.max(0, y0 + dy));
        const wzy = kern[dz + r] * kern[dy + r];
        const row = nx * (y + ny * z);
        for (let dx = -r; dx <= r; dx++) {
          const x = Math.min(nx - 1, Math.max(0, x0 + dx));
          const id = particle[row + x];
          if (id === pid) s += wzy * kern[dx + r];
          else if (id === qid) s -= wzy * kern[dx + r];
        }
      }
    }
    return s;
  };
  visitFaces(
    rve.shape, rve.voxelSize, particle,
    (p, q) => localField(particle[p], particle[q]),
    (p, q, _a, _av, ac) => { areaP[particle[p]] += ac; areaP[particle[q]] += ac; },
    (p, q) => particle[p] > 0 && particle[q] > 0 && rve.phase[p] === rve.phase[q],
  );
  const ax = rve.thicknessAxis;
  const h = [hx, hy, hz];
  const [lo, hi] = electrodeExtent(rve);
  const rows: ParticleRow[] = [];
  const vv = hx * hy * hz;
  for (let id = 1; id <= count; id++) {
    if (vox[id] === 0) continue;
    const centroid: [number, number, number] = [(cx[id] / vox[id] + 0.5) * hx, (cy[id] / vox[id] + 0.5) * hy, (cz[id] / vox[id] + 0.5) * hz];
    const sepFace = rve.separatorSide === 'low' ? lo * h[ax] : hi * h[ax];
    const volume = vox[id] * vv;
    const areaTotal = areaE[id] + areaC[id] + areaP[id] + areaO[id];
    rows.push({
      id,
      phase: rve.phases[phaseOf[id]].name,
      voxels: vox[id],
      volume,
      equivalentRadius: Math.cbrt((3 * volume) / (4 * Math.PI)),
      centroid,
      depth: Math.abs(centroid[ax] - sepFace),
      areaElectrolyte: areaE[id],
      areaCbd: areaC[id],
      areaParticles: areaP[id],
      areaOther: areaO[id],
      areaTotal,
      sphericity: areaTotal > 0 ? (Math.cbrt(Math.PI) * Math.pow(6 * volume, 2 / 3)) / areaTotal : 0,
      touchesBoundary: boundary[id] === 1,
      connectedToCollector: connected[id] === 1,
    });
  }
  return rows;
}

export function particleCsv(rows: ParticleRow[]): string {
  const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toPrecision(8));
  const lines = [PARTICLE_CSV_COLUMNS.join(',')];
  for (const r of rows) {
    lines.push([
      r.id, r.phase, r.voxels, fmt(r.volume), fmt(r.equivalentRadius), fmt(r.centroid[0]), fmt(r.centroid[1]), fmt(r.centroid[2]),
      fmt(r.depth), fmt(r.areaElectrolyte), fmt(r.areaCbd), fmt(r.areaParticles), fmt(r.areaOther), fmt(r.areaTotal),
      fmt(r.sphericity), r.touchesBoundary ? 1 : 0, r.connectedToCollector ? 1 : 0,
    ].join(','));
  }
  return lines.join('\n') + '\n';
}

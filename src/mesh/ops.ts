/**
 * RVE operations on labelled voxel volumes: crop, majority-vote downsampling, padding with
 * separator / current-collector layers, and removal of solid clusters that cannot carry electrons
 * to the current collector.
 */
import { InputError } from '../core/errors.js';
import { allocate, dtypeOf, voxelCount, AXES, type Axis, type Shape3, type Volume, type VoxelArray } from '../core/volume.js';
import { labelComponents } from './components.js';
import type { PhaseDef, PhaseRole, Rve } from './rve.js';

export type Range = [number, number];

/** Parse `x0:x1,y0:y1,z0:z1` (voxel ranges, end exclusive; an empty bound means the volume's). */
export function parseCrop(text: string, shape: Shape3, source = '--crop'): [Range, Range, Range] {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length !== 3) throw new InputError(source, `expected x0:x1,y0:y1,z0:z1, got "${text}"`);
  return parts.map((p, a) => {
    const m = /^(-?\d*)\s*:\s*(-?\d*)$/.exec(p);
    if (!m) throw new InputError(source, `cannot parse "${p}" as a range lo:hi`);
    const lo = m[1] === '' ? 0 : Number(m[1]);
    const hi = m[2] === '' ? shape[a] : Number(m[2]);
    if (lo < 0 || hi > shape[a] || lo >= hi) {
      throw new InputError(source, `${AXES[a]} range ${lo}:${hi} is outside the volume (0:${shape[a]}) or empty`);
    }
    return [lo, hi] as Range;
  }) as [Range, Range, Range];
}

/** Copy the sub-box `ranges` (end exclusive) of a volume. */
export function crop<T extends VoxelArray>(data: T, shape: Shape3, ranges: [Range, Range, Range]): { data: T; shape: Shape3 } {
  const [[x0, x1], [y0, y1], [z0, z1]] = ranges;
  const [nx, ny] = shape;
  const out = allocate(dtypeOf(data), (x1 - x0) * (y1 - y0) * (z1 - z0)) as T;
  let o = 0;
  for (let z = z0; z < z1; z++) {
    for (let y = y0; y < y1; y++) {
      const row = x0 + nx * (y + ny * z);
      out.set(data.subarray(row, row + (x1 - x0)) as never, o);
      o += x1 - x0;
    }
  }
  return { data: out, shape: [x1 - x0, y1 - y0, z1 - z0] };
}

export function cropVolume<T extends VoxelArray>(vol: Volume<T>, ranges: [Range, Range, Range]): Volume<T> {
  const c = crop(vol.data, vol.shape, ranges);
  return { ...vol, data: c.data, shape: c.shape };
}

/**
 * Majority-vote downsampling of a phase-id volume by an integer factor f. Output shape is
 * ceil(n/f) per axis: blocks at the far end may be partial and vote among the voxels they hold.
 * Ties go to the smallest phase id (deterministic).
 */
export function downsampleMajority(phase: Uint8Array, shape: Shape3, factor: number): { data: Uint8Array; shape: Shape3 } {
  if (!Number.isInteger(factor) || factor < 1) throw new InputError('--downsample', `expected a positive integer, got ${factor}`);
  if (factor === 1) return { data: phase.slice(), shape: [...shape] as Shape3 };
  const [nx, ny, nz] = shape;
  const out: Shape3 = [Math.ceil(nx / factor), Math.ceil(ny / factor), Math.ceil(nz / factor)];
  const data = new Uint8Array(voxelCount(out));
  const counts = new Int32Array(256);
  for (let Z = 0; Z < out[2]; Z++) {
    for (let Y = 0; Y < out[1]; Y++) {
      for (let X = 0; X < out[0]; X++) {
        counts.fill(0);
        const zEnd = Math.min(nz, (Z + 1) * factor), yEnd = Math.min(ny, (Y + 1) * factor), xEnd = Math.min(nx, (X + 1) * factor);
        for (let z = Z * factor; z < zEnd; z++) {
          for (let y = Y * factor; y < yEnd; y++) {
            const row = nx * (y + ny * z);
            for (let x = X * factor; x < xEnd; x++) counts[phase[row + x]]++;
          }
        }
        let best = 0;
        for (let p = 1; p < 256; p++) if (counts[p] > counts[best]) best = p;
        data[X + out[0] * (Y + out[1] * Z)] = best;
      }
    }
  }
  return { data, shape: out };
}

/** Number of voxels a layer of the given thickness occupies (rounded, at least 1 if > 0). */
export function layerVoxels(thickness: number, voxel: number): number {
  if (thickness <= 0) return 0;
  return Math.max(1, Math.round(thickness / voxel));
}

function ensurePhase(phases: PhaseDef[], role: PhaseRole, name: string): PhaseDef {
  const existing = phases.find((p) => p.role === role);
  if (existing) return existing;
  if (phases.length >= 255) throw new InputError('--phases', 'too many phases to add a padding layer');
  const p: PhaseDef = { id: phases.length, name, role, labels: [] };
  phases.push(p);
  return p;
}

/**
 * Pad the RVE along its thickness axis with a separator layer (on the separator side) and a
 * current-collector layer (on the other side), each `n` voxels thick. Phases with roles
 * separator / current-collector are added to the phase list when missing.
 */
export function padLayers(rve: Rve, separatorVoxels: number, collectorVoxels: number): Rve {
  if (separatorVoxels === 0 && collectorVoxels === 0) return rve;
  const phases = rve.phases.map((p) => ({ ...p }));
  const sep = separatorVoxels > 0 ? ensurePhase(phases, 'separator', 'separator') : undefined;
  const cc = collectorVoxels > 0 ? ensurePhase(phases, 'current-collector', 'current-collector') : undefined;
  const a = rve.thicknessAxis;
  const lowPad = rve.separatorSide === 'low' ? separatorVoxels : collectorVoxels;
  const highPad = rve.separatorSide === 'low' ? collectorVoxels : separatorVoxels;
  const lowId = rve.separatorSide === 'low' ? sep?.id : cc?.id;
  const highId = rve.separatorSide === 'low' ? cc?.id : sep?.id;
  const shape = [...rve.shape] as Shape3;
  shape[a] += lowPad + highPad;
  const [nx, ny, nz] = shape;
  const phase = new Uint8Array(voxelCount(shape));
  const particle = rve.particle ? new Int32Array(phase.length) : undefined;
  const [ox, oy, oz] = rve.shape;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const c = [x, y, z];
        const i = x + nx * (y + ny * z);
        const t = c[a];
        if (t < lowPad) { phase[i] = lowId!; continue; }
        if (t >= shape[a] - highPad) { phase[i] = highId!; continue; }
        c[a] -= lowPad;
        const j = c[0] + ox * (c[1] + oy * c[2]);
        phase[i] = rve.phase[j];
        if (particle) particle[i] = rve.particle![j];
      }
    }
  }
  void oz;
  return { ...rve, shape, phase, phases, particle };
}

/** Index (along the thickness axis) of the first and one-past-last plane holding electrode. */
export function electrodeExtent(rve: Rve): Range {
  const a = rve.thicknessAxis;
  const n = rve.shape[a];
  const isLayer = new Uint8Array(256);
  for (const p of rve.phases) isLayer[p.id] = p.role === 'separator' || p.role === 'current-collector' ? 1 : 0;
  const planeIsLayer = (t: number) => {
    const [nx, ny, nz] = rve.shape;
    const lo = [0, 0, 0], hi = [nx, ny, nz];
    lo[a] = t; hi[a] = t + 1;
    for (let z = lo[2]; z < hi[2]; z++) for (let y = lo[1]; y < hi[1]; y++) for (let x = lo[0]; x < hi[0]; x++) {
      if (!isLayer[rve.phase[x + nx * (y + ny * z)]]) return false;
    }
    return true;
  };
  let lo = 0, hi = n;
  while (lo < n && planeIsLayer(lo)) lo++;
  while (hi > lo && planeIsLayer(hi - 1)) hi--;
  return [lo, hi];
}

export interface RemovalReport {
  /** Clusters (6-connected components of electron-conducting solid) that were removed. */
  clusters: number;
  /** Voxels removed, per phase name. */
  voxels: Record<string, number>;
  /** Name of the phase the removed voxels became. */
  replacedBy: string;
}

/**
 * Remove active/CBD clusters that are not connected (6-connectivity, through active, CBD and
 * current-collector voxels) to the current-collector face of the box — the side opposite the
 * separator. Their voxels become electrolyte. Returns the new RVE and what was removed; the caller
 * reports it (never silent).
 */
/**
 * 6-connected components of electron-conducting solid (active, CBD, current collector) and which
 * of them touch the current-collector face of the box (the face opposite the separator).
 */
export function collectorComponents(rve: Rve): { labels: Int32Array; count: number; keep: Uint8Array } {
  const conducting = new Uint8Array(256);
  for (const p of rve.phases) conducting[p.id] = p.role === 'active' || p.role === 'cbd' || p.role === 'current-collector' ? 1 : 0;
  const mask = new Uint8Array(rve.phase.length);
  for (let i = 0; i < mask.length; i++) mask[i] = conducting[rve.phase[i]];
  const { labels, count } = labelComponents(mask, rve.shape, 6);
  const a = rve.thicknessAxis;
  const keep = new Uint8Array(count + 1);
  const [nx, ny] = rve.shape;
  const t = rve.separatorSide === 'low' ? rve.shape[a] - 1 : 0;
  const lo = [0, 0, 0], hi = [...rve.shape];
  lo[a] = t; hi[a] = t + 1;
  for (let z = lo[2]; z < hi[2]; z++) for (let y = lo[1]; y < hi[1]; y++) for (let x = lo[0]; x < hi[0]; x++) {
    keep[labels[x + nx * (y + ny * z)]] = 1;
  }
  keep[0] = 0;
  return { labels, count, keep };
}

export function removeIsolatedSolid(rve: Rve): { rve: Rve; report: RemovalReport } {
  const electrolyte = rve.phases.find((p) => p.role === 'electrolyte');
  const { labels, count, keep } = collectorComponents(rve);
  const report: RemovalReport = { clusters: 0, voxels: {}, replacedBy: electrolyte?.name ?? '' };
  for (let c = 1; c <= count; c++) if (!keep[c]) report.clusters++;
  if (report.clusters === 0) return { rve, report };
  if (!electrolyte) throw new InputError('--phases', 'isolated solid clusters must become electrolyte, but no phase has role electrolyte');
  const phase = rve.phase.slice();
  const particle = rve.particle?.slice();
  const removed = new Float64Array(256);
  for (let i = 0; i < phase.length; i++) {
    const c = labels[i];
    if (c > 0 && !keep[c]) {
      removed[phase[i]]++;
      phase[i] = electrolyte.id;
      if (particle) particle[i] = 0;
    }
  }
  for (const p of rve.phases) if (removed[p.id] > 0) report.voxels[p.name] = removed[p.id];
  return { rve: { ...rve, phase, particle }, report };
}

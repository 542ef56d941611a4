/**
 * From a label volume to an analysed RVE: the steps `lithomech mesh` runs, in order.
 *
 *   labels ─ crop ─ downsample ─ phase map ─ remove isolated solid ─ pad layers ─ particles ─ stats
 *
 * Cropping comes first (voxel ranges refer to the input volume); downsampling works on phase ids
 * after mapping (majority vote of phases, not of raw labels).
 */
import { InputError } from '../core/errors.js';
import type { Axis, Shape3, Vec3, Volume } from '../core/volume.js';
import { labelComponents } from './components.js';
import { crop, downsampleMajority, padLayers, removeIsolatedSolid, type Range, type RemovalReport } from './ops.js';
import { analyseParticles, type ParticleRow } from './particles.js';
import { applyPhaseMap } from './phases.js';
import type { PhaseDef, Rve, Side } from './rve.js';
import { computeStats, type RveStats } from './stats.js';
import { splitParticles } from './watershed.js';

export interface ParticleOptions {
  /** 'watershed' splits touching particles (marker-controlled); 'components' only labels connected components. */
  method: 'watershed' | 'components';
  /** h-maxima depth for watershed markers [voxels]. */
  h: number;
  connectivity: 6 | 26;
}

export const DEFAULT_PARTICLE_OPTIONS: ParticleOptions = { method: 'watershed', h: 1.5, connectivity: 26 };

export interface MeshOptions {
  phases: PhaseDef[];
  voxelSize: Vec3;
  crop?: [Range, Range, Range];
  downsample?: number;
  thicknessAxis: Axis;
  separatorSide: Side;
  /** Layer thicknesses [m] added by padding (0 = none). */
  separatorThickness: number;
  collectorThickness: number;
  removeIsolated: boolean;
  particles: ParticleOptions;
  /** Gaussian σ [voxels] for the surface-normal estimate. */
  surfaceSigma?: number;
}

export interface MeshReport {
  inputShape: Shape3;
  removed: RemovalReport | null;
  separatorVoxels: number;
  collectorVoxels: number;
  particleMethod: string;
}

/**
 * Crop, map labels to phases and downsample: the phase grid alone (what transport solvers need),
 * without removal of isolated solid, padding or particles.
 */
export function phaseGridFromLabels(vol: Volume, opts: Pick<MeshOptions, 'phases' | 'voxelSize' | 'crop' | 'downsample'>): { phase: Uint8Array; shape: Shape3; voxelSize: Vec3 } {
  let data = vol.data;
  let shape = vol.shape;
  if (opts.crop) ({ data, shape } = crop(data, shape, opts.crop));
  // Empty phases are an error unless they are layers that padding will fill.
  let phase = applyPhaseMap(data, opts.phases, vol.source, (p) => p.role === 'separator' || p.role === 'current-collector');
  let voxelSize = opts.voxelSize;
  if (opts.downsample && opts.downsample > 1) {
    const f = opts.downsample;
    ({ data: phase, shape } = downsampleMajority(phase, shape, f));
    voxelSize = [voxelSize[0] * f, voxelSize[1] * f, voxelSize[2] * f];
    const counts = new Float64Array(256);
    for (let i = 0; i < phase.length; i++) counts[phase[i]]++;
    for (const p of opts.phases) {
      if (counts[p.id] === 0 && p.role !== 'separator' && p.role !== 'current-collector') {
        throw new InputError('--downsample', `phase "${p.name}" vanishes after downsampling by ${f}`);
      }
    }
  }
  return { phase, shape, voxelSize };
}

export function rveFromLabels(vol: Volume, opts: MeshOptions): { rve: Rve; report: MeshReport } {
  const { phase, shape, voxelSize } = phaseGridFromLabels(vol, opts);
  let rve: Rve = {
    shape, voxelSize, phase, phases: opts.phases.map((p) => ({ ...p, labels: [...p.labels] })),
    thicknessAxis: opts.thicknessAxis, separatorSide: opts.separatorSide,
  };
  let removed: RemovalReport | null = null;
  if (opts.removeIsolated) ({ rve, report: removed } = removeIsolatedSolid(rve));
  const h = voxelSize[opts.thicknessAxis];
  const separatorVoxels = opts.separatorThickness > 0 ? Math.max(1, Math.round(opts.separatorThickness / h)) : 0;
  const collectorVoxels = opts.collectorThickness > 0 ? Math.max(1, Math.round(opts.collectorThickness / h)) : 0;
  rve = padLayers(rve, separatorVoxels, collectorVoxels);
  rve.particle = labelParticles(rve, opts.particles);
  return {
    rve,
    report: { inputShape: vol.shape, removed, separatorVoxels, collectorVoxels, particleMethod: opts.particles.method },
  };
}

/** Label particles of every active phase (ids are unique across phases, 1..N). */
export function labelParticles(rve: Rve, opts: ParticleOptions): Int32Array {
  const out = new Int32Array(rve.phase.length);
  let offset = 0;
  for (const p of rve.phases) {
    if (p.role !== 'active') continue;
    const mask = new Uint8Array(rve.phase.length);
    for (let i = 0; i < mask.length; i++) mask[i] = rve.phase[i] === p.id ? 1 : 0;
    const { labels, count } = opts.method === 'watershed'
      ? splitParticles(mask, rve.shape, rve.voxelSize, { h: opts.h, connectivity: opts.connectivity })
      : labelComponents(mask, rve.shape, opts.connectivity);
    for (let i = 0; i < labels.length; i++) if (labels[i] > 0) out[i] = labels[i] + offset;
    offset += count;
  }
  return out;
}

export function analyseRve(rve: Rve, surfaceSigma?: number): { particles: ParticleRow[]; stats: RveStats } {
  if (!rve.particle) return { particles: [], stats: computeStats(rve, null, { sigma: surfaceSigma }) };
  const { particles, areas } = analyseParticles(rve, surfaceSigma);
  return { particles, stats: computeStats(rve, particles, { areas }) };
}

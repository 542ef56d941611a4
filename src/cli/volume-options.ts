/**
 * Options shared by the commands that read a volume (mesh, stats, later tortuosity):
 * reading, segmentation of greyscale data, phase map, voxel size, crop, downsampling, orientation.
 * The yargs option builders live here; resolving the options into `MeshOptions` is in
 * src/io/volume-inputs.ts (shared with scenario files) and re-exported.
 */
import type { Argv } from 'yargs';
import { DEFAULT_PARTICLE_OPTIONS, type MeshReport } from '../mesh/pipeline.js';

export { loadPhaseMap, resolveVolumeInputs, resolveVoxelSize, type VolumeArgs } from '../io/volume-inputs.js';

/** Options that say how to read a volume and turn its labels into phases. */
export function volumeInputOptions<T>(y: Argv<T>) {
  return y
    .positional('volume', { type: 'string', demandOption: true, describe: 'segmented or greyscale volume: .tif/.tiff stack, .raw/.bin (+ .json sidecar), .npy, .vti' })
    .option('phases', { type: 'string', describe: 'label=name:role,... (roles: electrolyte, active, cbd, separator, current-collector, ignore) or a .yaml/.json file; optional for a lithomech rve.vti, which carries its phases' })
    .option('voxel-size', { type: 'string', describe: 'voxel edge with units, e.g. 0.398um, or dx,dy,dz (required when the file does not state it)' })
    .option('crop', { type: 'string', describe: 'x0:x1,y0:y1,z0:z1 voxel ranges, end exclusive (empty bound = whole axis)' })
    .option('downsample', { type: 'number', default: 1, describe: 'integer factor, majority vote of phases (ties → lowest phase id)' })
    .option('thresholds', { type: 'string', describe: 'greyscale → labels: comma-separated thresholds t0,t1,… (value < t0 → 0, t0 ≤ value < t1 → 1, …)' })
    .option('otsu', { type: 'number', describe: 'greyscale → labels 0..N-1 by multi-level Otsu with N classes' })
    .option('thickness-axis', { choices: ['x', 'y', 'z'] as const, describe: 'through-thickness axis (default: from a lithomech .vti, else z)' })
    .option('separator-side', { choices: ['low', 'high'] as const, describe: 'which end of the thickness axis faces the separator (default: from a lithomech .vti, else low)' });
}

/** Input options plus what building an RVE needs (particles, isolated solid, surface areas). */
export function volumeOptions<T>(y: Argv<T>) {
  return volumeInputOptions(y)
    .option('particles', { choices: ['watershed', 'components'] as const, default: DEFAULT_PARTICLE_OPTIONS.method, describe: 'particle labelling: marker-controlled watershed, or connected components only' })
    .option('watershed-h', { type: 'number', default: DEFAULT_PARTICLE_OPTIONS.h, describe: 'h-maxima depth of watershed markers [voxels]; larger merges more' })
    .option('connectivity', { choices: [6, 26] as const, default: DEFAULT_PARTICLE_OPTIONS.connectivity, describe: 'particle connectivity' })
    .option('keep-isolated', { type: 'boolean', default: false, describe: 'keep active/CBD clusters not connected to the current collector (they are removed and reported by default)' })
    .option('surface-sigma', { type: 'number', default: 1.0, describe: 'Gaussian σ [voxels] of the surface-normal estimate for corrected areas' });
}

/** Say on stderr what the isolated-solid removal did (never silent). */
export function reportRemovals(report: MeshReport): void {
  const r = report.removed;
  if (!r || r.clusters === 0) return;
  const v = Object.entries(r.voxels).map(([k, n]) => `${n} ${k}`).join(', ');
  process.stderr.write(`lithomech: removed ${r.clusters} solid clusters not connected to the current collector (${v} voxels → ${r.replacedBy}); --keep-isolated keeps them\n`);
}

/**
 * Options shared by the commands that read a volume (mesh, stats, later tortuosity):
 * reading, segmentation of greyscale data, phase map, voxel size, crop, downsampling, orientation.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { Argv } from 'yargs';
import { InputError } from '../core/errors.js';
import { parseVoxelSize } from '../core/units.js';
import { axisIndex, type Vec3, type Volume } from '../core/volume.js';
import { parseCrop } from '../mesh/ops.js';
import { parsePhaseMapText, phaseMapFromObject } from '../mesh/phases.js';
import { DEFAULT_PARTICLE_OPTIONS, type MeshOptions, type MeshReport } from '../mesh/pipeline.js';
import type { PhaseDef } from '../mesh/rve.js';
import { multiOtsu, segmentThresholds } from '../mesh/segment.js';
import { readVolume } from '../io/volume/index.js';

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

export interface VolumeArgs {
  volume: string;
  phases?: string;
  voxelSize?: string;
  crop?: string;
  downsample: number;
  thresholds?: string;
  otsu?: number;
  thicknessAxis?: 'x' | 'y' | 'z';
  separatorSide?: 'low' | 'high';
  particles?: 'watershed' | 'components';
  watershedH?: number;
  connectivity?: 6 | 26;
  keepIsolated?: boolean;
  surfaceSigma?: number;
}

export async function loadPhaseMap(text: string): Promise<PhaseDef[]> {
  if (/\.(ya?ml|json)$/i.test(text)) {
    let content: string;
    try {
      content = await fs.readFile(text, 'utf8');
    } catch (err) {
      throw new InputError(text, `cannot read phase map: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    let obj: unknown;
    try {
      obj = /\.json$/i.test(text) ? JSON.parse(content) : YAML.parse(content);
    } catch (err) {
      throw new InputError(text, `cannot parse: ${(err as Error).message.split('\n')[0]}`);
    }
    const inner = obj && typeof obj === 'object' && !Array.isArray(obj) && 'phases' in obj ? (obj as { phases: unknown }).phases : obj;
    return phaseMapFromObject(inner, text);
  }
  return parsePhaseMapText(text);
}

const isAxis = (v: string | undefined): v is 'x' | 'y' | 'z' => v === 'x' || v === 'y' || v === 'z';

/** A lithomech .vti stores its phase list (ids are the stored values) as JSON field data. */
function phasesFromVtiMeta(json: string, source: string): PhaseDef[] {
  let list: unknown;
  try { list = JSON.parse(json); } catch { throw new InputError(source, 'field data "phases" is not valid JSON'); }
  if (!Array.isArray(list)) throw new InputError(source, 'field data "phases" is not a list');
  // the stored values are the phase ids: map each id to itself
  return phaseMapFromObject(list.map((p: PhaseDef) => ({ labels: [p.id], name: p.name, role: p.role })), `${source} (phases)`);
}

/** --voxel-size "0.398um" or "dx,dy,dz"; else the file's own; else an error naming the file. */
export function resolveVoxelSize(text: string | undefined, fromFile: Vec3 | undefined, source: string): Vec3 {
  if (text !== undefined) return parseVoxelSize(text.includes(',') ? text.split(',').map((s) => s.trim()) : text, '--voxel-size');
  if (fromFile) return fromFile;
  throw new InputError(source, 'the file does not state a voxel size: pass --voxel-size (e.g. 0.398um)');
}

/** Read the volume, segment if asked, and resolve every option into `MeshOptions` (SI units). */
export async function resolveVolumeInputs(
  args: VolumeArgs,
  opts: { voxelSizeOptional?: boolean } = {},
): Promise<{ volume: Volume; options: MeshOptions; resolved: Record<string, unknown> }> {
  let volume = await readVolume(args.volume);
  const meta = volume.meta ?? {};
  let phases: PhaseDef[];
  if (args.phases !== undefined) phases = await loadPhaseMap(args.phases);
  else if (meta.phases !== undefined) phases = phasesFromVtiMeta(meta.phases, args.volume);
  else throw new InputError('--phases', `required: ${args.volume} does not carry a phase map (label=name:role,...)`);
  const thicknessAxis = args.thicknessAxis ?? (isAxis(meta.thicknessAxis) ? meta.thicknessAxis : 'z');
  const separatorSide = args.separatorSide ?? (meta.separatorSide === 'high' || meta.separatorSide === 'low' ? meta.separatorSide : 'low');
  let segmentation: Record<string, unknown> | null = null;
  if (args.thresholds !== undefined && args.otsu !== undefined) throw new InputError('--otsu', 'give either --thresholds or --otsu, not both');
  if (args.thresholds !== undefined) {
    const t = args.thresholds.split(',').map((s) => Number(s.trim()));
    if (t.some((v) => !Number.isFinite(v))) throw new InputError('--thresholds', `expected numbers, got "${args.thresholds}"`);
    volume = segmentThresholds(volume, t);
    segmentation = { method: 'thresholds', thresholds: t };
  } else if (args.otsu !== undefined) {
    if (!Number.isInteger(args.otsu) || args.otsu < 2) throw new InputError('--otsu', 'expected an integer number of classes ≥ 2');
    const t = multiOtsu(volume, args.otsu);
    volume = segmentThresholds(volume, t);
    segmentation = { method: 'multi-otsu', classes: args.otsu, thresholds: t };
  }
  // Dimensionless results (τ) need only voxel-size ratios: cubic voxels of 1 m when none is known.
  const voxelSize = opts.voxelSizeOptional && args.voxelSize === undefined && !volume.voxelSize
    ? ([1, 1, 1] as Vec3)
    : resolveVoxelSize(args.voxelSize, volume.voxelSize, args.volume);
  const crop = args.crop !== undefined ? parseCrop(args.crop, volume.shape) : undefined;
  const options: MeshOptions = {
    phases,
    voxelSize,
    crop,
    downsample: args.downsample,
    thicknessAxis: axisIndex(thicknessAxis),
    separatorSide,
    separatorThickness: 0,
    collectorThickness: 0,
    removeIsolated: !args.keepIsolated,
    particles: {
      method: args.particles ?? DEFAULT_PARTICLE_OPTIONS.method,
      h: args.watershedH ?? DEFAULT_PARTICLE_OPTIONS.h,
      connectivity: args.connectivity ?? DEFAULT_PARTICLE_OPTIONS.connectivity,
    },
    surfaceSigma: args.surfaceSigma ?? 1.0,
  };
  const resolved = {
    input: { file: path.resolve(args.volume), shape: volume.shape, dtype: volume.data.constructor.name.replace('Array', '').toLowerCase() },
    segmentation,
    phases,
    voxelSize_m: voxelSize,
    crop: crop ?? null,
    downsample: args.downsample,
    thicknessAxis,
    separatorSide,
    removeIsolated: !args.keepIsolated,
    particles: options.particles,
    surfaceSigma_voxels: args.surfaceSigma,
  };
  return { volume, options, resolved };
}

/** Say on stderr what the isolated-solid removal did (never silent). */
export function reportRemovals(report: MeshReport): void {
  const r = report.removed;
  if (!r || r.clusters === 0) return;
  const v = Object.entries(r.voxels).map(([k, n]) => `${n} ${k}`).join(', ');
  process.stderr.write(`lithomech: removed ${r.clusters} solid clusters not connected to the current collector (${v} voxels → ${r.replacedBy}); --keep-isolated keeps them\n`);
}

/**
 * Resolving how to read a volume and turn its labels into phases (reading, segmentation of
 * greyscale data, phase map, voxel size, crop, downsampling, orientation, particle options) into
 * `MeshOptions` in SI units. Used by the volume commands (src/cli/volume-options.ts holds their
 * yargs options) and by scenario files (src/io/scenario.ts, `rve.mesh`), and reading back an RVE
 * written by lithomech (`rve.vti`: phases, orientation and particle labels).
 *
 * Error sources are the CLI option names (`--phases`, `--voxel-size`, `--crop`, ...); callers
 * with other key names (scenario files) rename them.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { InputError } from '../core/errors.js';
import { parseVoxelSize } from '../core/units.js';
import { axisIndex, type Vec3, type Volume } from '../core/volume.js';
import { parseCrop } from '../mesh/ops.js';
import { parsePhaseMapText, phaseMapFromObject } from '../mesh/phases.js';
import { DEFAULT_PARTICLE_OPTIONS, labelParticles, type MeshOptions } from '../mesh/pipeline.js';
import type { PhaseDef, Rve } from '../mesh/rve.js';
import { multiOtsu, segmentThresholds } from '../mesh/segment.js';
import { readVolume } from './volume/index.js';
import { readVti } from './vtk/vti.js';

export interface VolumeArgs {
  volume: string;
  /** Phase map: text (`0=pore:electrolyte,...`), a .yaml/.json file, or already built (scenario files). */
  phases?: string | PhaseDef[];
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
export function phasesFromVtiMeta(json: string, source: string): PhaseDef[] {
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
  if (args.phases !== undefined) phases = typeof args.phases === 'string' ? await loadPhaseMap(args.phases) : args.phases;
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


/**
 * Read an RVE written by lithomech (`rve.vti` of `lithomech mesh` / `generate`): the phase ids,
 * the phase list, the orientation and, when stored, the particle labels. Without a `particle`
 * array, particles are labelled again with `particleOptions`.
 */
export async function readRveVti(
  file: string,
  particleOptions = DEFAULT_PARTICLE_OPTIONS,
): Promise<{ rve: Rve; particlesFromFile: boolean }> {
  const image = await readVti(file);
  const phase = image.cellData.phase;
  if (!(phase instanceof Uint8Array)) {
    throw new InputError(file, 'not a lithomech RVE: no uint8 cell array "phase" (write one with lithomech mesh or generate)');
  }
  const meta = image.fieldData;
  if (meta.phases === undefined) throw new InputError(file, 'not a lithomech RVE: no field data "phases"');
  const phases = phasesFromVtiMeta(meta.phases, file);
  for (let i = 0; i < phase.length; i++) {
    if (phase[i] >= phases.length) throw new InputError(file, `phase id ${phase[i]} at voxel ${i} is not in the phase list (${phases.length} phases)`);
  }
  const rve: Rve = {
    shape: image.shape,
    voxelSize: image.spacing,
    phase,
    phases,
    thicknessAxis: axisIndex(isAxis(meta.thicknessAxis) ? meta.thicknessAxis : 'z'),
    separatorSide: meta.separatorSide === 'high' ? 'high' : 'low',
  };
  const particle = image.cellData.particle;
  if (particle !== undefined) {
    if (!(particle instanceof Int32Array)) throw new InputError(file, 'cell array "particle" must be int32');
    rve.particle = particle;
    return { rve, particlesFromFile: true };
  }
  rve.particle = labelParticles(rve, particleOptions);
  return { rve, particlesFromFile: false };
}

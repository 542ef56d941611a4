/**
 * Read a voxel volume from any supported format, chosen by file extension:
 *   .tif .tiff  multi-page TIFF stack (tiff.ts)
 *   .raw .bin   raw binary + JSON sidecar (raw.ts)
 *   .npy        NumPy array (npy.ts)
 *   .vti        VTK ImageData: the cell array "phase", else the first cell array
 */
import { extname } from 'node:path';
import { InputError } from '../../core/errors.js';
import { voxelCount, type Vec3, type Volume } from '../../core/volume.js';
import { readVti } from '../vtk/vti.js';
import { readNpyVolume } from './npy.js';
import { formatShape, readRawVolume } from './raw.js';
import { readTiffVolume } from './tiff.js';

export { readTiffVolume } from './tiff.js';
export { readRawVolume } from './raw.js';
export { readNpyVolume } from './npy.js';

export const VOLUME_EXTENSIONS = ['.tif', '.tiff', '.raw', '.bin', '.npy', '.vti'] as const;

export interface ReadVolumeOptions {
  /** Voxel edge lengths [m]; overrides whatever the file states. */
  voxelSize?: Vec3;
}

export async function readVolume(path: string, opts: ReadVolumeOptions = {}): Promise<Volume> {
  const ext = extname(path).toLowerCase();
  let vol: Volume;
  switch (ext) {
    case '.tif':
    case '.tiff':
      vol = await readTiffVolume(path);
      break;
    case '.raw':
    case '.bin':
      vol = await readRawVolume(path);
      break;
    case '.npy':
      vol = await readNpyVolume(path);
      break;
    case '.vti':
      vol = await readVtiVolume(path);
      break;
    default:
      throw new InputError(path, `unknown volume format "${ext || '(no extension)'}": expected ${VOLUME_EXTENSIONS.join(', ')}`);
  }
  if (vol.data.length !== voxelCount(vol.shape)) {
    throw new InputError(path, `holds ${vol.data.length} values but its shape ${formatShape(vol.shape)} needs ${voxelCount(vol.shape)}`);
  }
  if (opts.voxelSize) {
    const v = opts.voxelSize;
    if (v.length !== 3 || !v.every((x) => Number.isFinite(x) && x > 0)) {
      throw new InputError(path, `voxel size must be 3 positive lengths, got ${JSON.stringify(v)}`);
    }
    vol = { ...vol, voxelSize: [v[0], v[1], v[2]] };
  }
  return vol;
}

async function readVtiVolume(path: string): Promise<Volume> {
  const image = await readVti(path);
  const names = Object.keys(image.cellData);
  const name = 'phase' in image.cellData ? 'phase' : names[0];
  if (name === undefined) {
    const points = Object.keys(image.pointData);
    throw new InputError(path, 'the image has no cell data: lithomech reads one value per voxel from a CellData array (e.g. "phase")'
      + (points.length ? `; point arrays (${points.join(', ')}) are not voxel values` : ''));
  }
  const components = image.components?.cellData[name] ?? 1;
  if (components !== 1) {
    throw new InputError(path, `cell array "${name}" has ${components} components; lithomech needs one value per voxel`);
  }
  return { shape: image.shape, data: image.cellData[name], voxelSize: image.spacing, source: path, meta: image.fieldData };
}

/**
 * A 3D voxel volume: the common currency between readers, meshing and solvers.
 *
 * Axis convention (everywhere in lithomech, same as VTK ImageData and as TIFF stacks):
 *   x = column (fastest), y = row, z = page / slice (slowest);
 *   flat index i = x + nx * (y + ny * z).
 */
export type VoxelArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array;

export type DType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';

export type Shape3 = [number, number, number];
export type Vec3 = [number, number, number];

export interface Volume<T extends VoxelArray = VoxelArray> {
  /** [nx, ny, nz] */
  shape: Shape3;
  data: T;
  /** Voxel edge lengths in metres [dx, dy, dz], when the file states them. */
  voxelSize?: Vec3;
  /** Where the data came from (for error messages and provenance). */
  source: string;
  /** Text metadata the file carries (e.g. a lithomech .vti's phases, thicknessAxis, separatorSide). */
  meta?: Record<string, string>;
}

export const AXES = ['x', 'y', 'z'] as const;
export type Axis = 0 | 1 | 2;
export type AxisName = (typeof AXES)[number];

export function axisIndex(name: string): Axis {
  const i = AXES.indexOf(name as AxisName);
  if (i < 0) throw new Error(`axis must be x, y or z, got "${name}"`);
  return i as Axis;
}

export function voxelCount(shape: Shape3): number {
  return shape[0] * shape[1] * shape[2];
}

export function dtypeOf(a: VoxelArray): DType {
  if (a instanceof Uint8Array) return 'uint8';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Uint16Array) return 'uint16';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Uint32Array) return 'uint32';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Float32Array) return 'float32';
  return 'float64';
}

export function allocate(dtype: DType, n: number): VoxelArray {
  switch (dtype) {
    case 'uint8': return new Uint8Array(n);
    case 'int8': return new Int8Array(n);
    case 'uint16': return new Uint16Array(n);
    case 'int16': return new Int16Array(n);
    case 'uint32': return new Uint32Array(n);
    case 'int32': return new Int32Array(n);
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
  }
}

export const BYTES_PER: Record<DType, number> = {
  uint8: 1, int8: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float32: 4, float64: 8,
};

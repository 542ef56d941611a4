/**
 * Raw binary volumes with a JSON sidecar, plus the byte-level helpers shared by the other volume
 * readers (file reading with one-line errors, byte swapping, typed-array decoding).
 *
 * Sidecar: `vol.raw.json` next to `vol.raw` (preferred) or `vol.json` (same stem):
 *
 *   {
 *     "shape": [nx, ny, nz],            // always listed x, y, z; [nx, ny] means nz = 1
 *     "dtype": "uint16",                // uint8 int8 uint16 int16 uint32 int32 float32 float64
 *     "endianness": "little",           // "little" | "big"; required unless the dtype is 1 byte
 *     "voxelSize": "0.4 um",            // optional: "0.4 um", [dx, dy, dz] (numbers in m or
 *                                       //   strings with units), or a number in m
 *     "order": "F",                     // optional, default "F", see below
 *     "offset": 0                       // optional: header bytes to skip
 *   }
 *
 * `order` follows NumPy's meaning for an array indexed [x, y, z] with the listed shape:
 *   "F" (default): the FIRST listed axis (x) varies fastest, i.e. lithomech's own layout
 *                  (flat index x + nx*(y + ny*z)). This is what you get from a NumPy array
 *                  indexed vol[z, y, x] (e.g. from tifffile) written with `vol.tofile(...)`;
 *                  that array's numpy shape is (nz, ny, nx), but the sidecar still says
 *                  [nx, ny, nz].
 *   "C":           the LAST listed axis (z) varies fastest (flat index z + nz*(y + ny*x)), i.e.
 *                  a NumPy array indexed vol[x, y, z] written with `vol.tofile(...)`. The reader
 *                  transposes it to x-fastest.
 * The file size must be exactly offset + nx*ny*nz*bytesPerVoxel.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { InputError } from '../../core/errors.js';
import { parseQuantity, parseVoxelSize } from '../../core/units.js';
import {
  allocate, BYTES_PER, dtypeOf, voxelCount,
  type DType, type Shape3, type Vec3, type Volume, type VoxelArray,
} from '../../core/volume.js';

/** True on little-endian hosts (every platform Node realistically runs on, but we check). */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const DTYPES: readonly DType[] = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'float64'];

/**
 * Read a whole input file, turning the usual filesystem failures into one-line `InputError`s.
 * @param what short description used in the message (e.g. "volume", "sidecar")
 */
export async function readInputFile(path: string, what = 'file'): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(path, `${what} not found`);
    if (code === 'EISDIR') throw new InputError(path, `is a directory, expected a ${what}`);
    if (code === 'EACCES' || code === 'EPERM') throw new InputError(path, `permission denied reading the ${what}`);
    if (code === 'ERR_FS_FILE_TOO_LARGE' || err instanceof RangeError) {
      throw new InputError(path, `${what} is too large to read into memory`);
    }
    throw new InputError(path, `cannot read the ${what}: ${(err as Error).message}`);
  }
}

/** Reverse the byte order of every `width`-byte word of `bytes`, in place. */
export function swapBytesInPlace(bytes: Uint8Array, width: number): void {
  if (width <= 1) return;
  const n = bytes.length - (bytes.length % width);
  if (width === 2) {
    for (let i = 0; i < n; i += 2) {
      const a = bytes[i]; bytes[i] = bytes[i + 1]; bytes[i + 1] = a;
    }
  } else if (width === 4) {
    for (let i = 0; i < n; i += 4) {
      const a = bytes[i], b = bytes[i + 1];
      bytes[i] = bytes[i + 3]; bytes[i + 1] = bytes[i + 2]; bytes[i + 2] = b; bytes[i + 3] = a;
    }
  } else {
    for (let i = 0; i < n; i += width) {
      for (let lo = i, hi = i + width - 1; lo < hi; lo++, hi--) {
        const a = bytes[lo]; bytes[lo] = bytes[hi]; bytes[hi] = a;
      }
    }
  }
}

/**
 * Decode `count` values of `dtype` stored at `bytes` (any alignment) with the given byte order
 * into a freshly allocated typed array (one bulk copy, plus a swap pass if the byte order
 * differs from the host's).
 */
export function decodeTypedArray(bytes: Uint8Array, dtype: DType, count: number, littleEndian: boolean): VoxelArray {
  const out = allocate(dtype, count);
  const width = BYTES_PER[dtype];
  const outBytes = new Uint8Array(out.buffer, out.byteOffset, count * width);
  outBytes.set(bytes.subarray(0, count * width));
  if (width > 1 && littleEndian !== HOST_LITTLE_ENDIAN) swapBytesInPlace(outBytes, width);
  return out;
}

/**
 * Reorder a volume stored z-fastest (flat index z + nz*(y + ny*x)) into lithomech's x-fastest
 * layout. Returns a new array of the same type.
 */
export function transposeZFastest<T extends VoxelArray>(src: T, shape: Shape3): T {
  const [nx, ny, nz] = shape;
  const dst = allocate(dtypeOf(src), src.length) as T;
  let i = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      // source index for (x, y, z) is z + nz*(y + ny*x): stride ny*nz along x
      let j = z + nz * y;
      const stride = ny * nz;
      for (let x = 0; x < nx; x++, j += stride) dst[i++] = src[j];
    }
  }
  return dst;
}

/** "1×2×3" for messages. */
export function formatShape(shape: readonly number[]): string {
  return shape.join('×');
}

/** The parsed content of a raw-volume sidecar. */
export interface RawSidecar {
  shape: Shape3;
  dtype: DType;
  littleEndian: boolean;
  voxelSize?: Vec3;
  order: 'F' | 'C';
  offset: number;
}

/** Validate the JSON object of a sidecar (`source` = the sidecar path, for messages). */
export function parseRawSidecar(obj: unknown, source: string): RawSidecar {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new InputError(source, 'expected a JSON object with shape, dtype and endianness');
  }
  const r = obj as Record<string, unknown>;
  const known = new Set(['shape', 'dtype', 'endianness', 'voxelSize', 'order', 'offset']);
  for (const k of Object.keys(r)) {
    if (!known.has(k)) throw new InputError(source, `unknown key "${k}" (expected ${[...known].join(', ')})`);
  }

  const shapeRaw = r.shape;
  if (!Array.isArray(shapeRaw) || (shapeRaw.length !== 2 && shapeRaw.length !== 3)
      || !shapeRaw.every((n) => Number.isInteger(n) && (n as number) > 0)) {
    throw new InputError(source, `"shape" must be [nx, ny, nz] (or [nx, ny]) of positive integers, got ${JSON.stringify(shapeRaw)}`);
  }
  const shape: Shape3 = [shapeRaw[0] as number, shapeRaw[1] as number, (shapeRaw[2] ?? 1) as number];

  if (typeof r.dtype !== 'string' || !DTYPES.includes(r.dtype as DType)) {
    throw new InputError(source, `"dtype" must be one of ${DTYPES.join(', ')}, got ${JSON.stringify(r.dtype)}`);
  }
  const dtype = r.dtype as DType;

  let littleEndian = true;
  if (r.endianness === undefined) {
    if (BYTES_PER[dtype] > 1) throw new InputError(source, `"endianness" ("little" or "big") is required for ${dtype} data`);
  } else if (r.endianness === 'little' || r.endianness === 'big') {
    littleEndian = r.endianness === 'little';
  } else {
    throw new InputError(source, `"endianness" must be "little" or "big", got ${JSON.stringify(r.endianness)}`);
  }

  let order: 'F' | 'C' = 'F';
  if (r.order !== undefined) {
    if (r.order !== 'F' && r.order !== 'C') throw new InputError(source, `"order" must be "F" (x fastest) or "C" (z fastest), got ${JSON.stringify(r.order)}`);
    order = r.order;
  }

  let offset = 0;
  if (r.offset !== undefined) {
    if (!Number.isInteger(r.offset) || (r.offset as number) < 0) throw new InputError(source, `"offset" must be a non-negative integer number of bytes, got ${JSON.stringify(r.offset)}`);
    offset = r.offset as number;
  }

  const voxelSize = r.voxelSize === undefined ? undefined : parseVoxelSize(r.voxelSize, `${source} (voxelSize)`);
  return { shape, dtype, littleEndian, voxelSize, order, offset };
}

/** Candidate sidecar paths for a raw file: `vol.raw.json`, then `vol.json`. */
export function sidecarCandidates(path: string): string[] {
  const out = [`${path}.json`];
  const m = /^(.*?)(\.[^./\\]+)$/.exec(path);
  if (m) out.push(`${m[1]}.json`);
  return out;
}

/**
 * Read a raw binary volume described by a JSON sidecar.
 * @param sidecarPath explicit sidecar; by default `path + ".json"`, then the same stem + `.json`.
 */
export async function readRawVolume(path: string, sidecarPath?: string): Promise<Volume> {
  let side = sidecarPath;
  if (side === undefined) {
    const candidates = sidecarCandidates(path);
    side = candidates.find((c) => existsSync(c));
    if (side === undefined) {
      // Report a missing data file before a missing sidecar: it is the likelier mistake.
      if (!existsSync(path)) throw new InputError(path, 'volume file not found');
      throw new InputError(path, `no JSON sidecar found (looked for ${candidates.join(' and ')}); it must give shape, dtype and endianness`);
    }
  }
  const sideText = (await readInputFile(side, 'sidecar')).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(sideText);
  } catch (err) {
    throw new InputError(side, `invalid JSON: ${(err as Error).message}`);
  }
  const meta = parseRawSidecar(json, side);

  const bytes = await readInputFile(path, 'volume file');
  const n = voxelCount(meta.shape);
  const need = meta.offset + n * BYTES_PER[meta.dtype];
  if (bytes.length !== need) {
    const what = bytes.length < need ? 'is too short (truncated?)' : 'is longer than expected';
    throw new InputError(path, `${what}: it has ${bytes.length} bytes but ${side} describes `
      + `${formatShape(meta.shape)} ${meta.dtype}${meta.offset ? ` after a ${meta.offset}-byte header` : ''} = ${need} bytes`);
  }
  let data = decodeTypedArray(bytes.subarray(meta.offset), meta.dtype, n, meta.littleEndian);
  if (meta.order === 'C') data = transposeZFastest(data, meta.shape);
  return { shape: meta.shape, data, voxelSize: meta.voxelSize, source: path };
}

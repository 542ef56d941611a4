/**
 * NumPy `.npy` files (format versions 1.0, 2.0 and 3.0).
 *
 * Axis mapping (no data is moved in either case):
 *   - a C-order array (numpy's default) of shape (nz, ny, nx), i.e. indexed vol[z, y, x] as
 *     tifffile/scikit-image produce, has its last axis fastest, which is our x;
 *   - a Fortran-order array of shape (nx, ny, nz), i.e. indexed vol[x, y, z], has its first axis
 *     fastest, again our x.
 * So the reported shape is [nx, ny, nz] = reversed numpy shape for C order and the numpy shape
 * itself for Fortran order. A 2-D array is one slice (nz = 1): (ny, nx) in C order, (nx, ny) in
 * Fortran order. Extra size-1 axes on the slow side (leading in C order, trailing in Fortran
 * order) are dropped.
 *
 * dtypes: u1 i1 u2 i2 u4 i4 f4 f8 in either byte order, b1 (bool → uint8), and i8/u8 (int64 as
 * numpy produces for label images by default), which are narrowed to int32/uint32 when every
 * value fits.
 */
import { InputError } from '../../core/errors.js';
import { allocate, BYTES_PER, type DType, type Shape3, type Volume, type VoxelArray } from '../../core/volume.js';
import { decodeTypedArray, formatShape, HOST_LITTLE_ENDIAN, readInputFile, swapBytesInPlace } from './raw.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

/** Parsed `.npy` header. */
export interface NpyHeader {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the array data. */
  dataOffset: number;
}

/** Read a `.npy` array as a volume. */
export async function readNpyVolume(path: string): Promise<Volume> {
  const file = await readInputFile(path, '.npy file');
  const header = parseNpyHeader(file, path);
  const { dtype, itemBytes, littleEndian, wide } = npyDtype(header.descr, path);
  const shape = npyShape(header.shape, header.fortranOrder, path);
  const n = shape[0] * shape[1] * shape[2];
  const need = header.dataOffset + n * itemBytes;
  if (file.length < need) {
    throw new InputError(path, `truncated .npy: ${formatShape(header.shape)} '${header.descr}' needs ${need} bytes but the file has ${file.length}`);
  }
  if (file.length > need) {
    throw new InputError(path, `.npy file has ${file.length - need} bytes more than ${formatShape(header.shape)} '${header.descr}' needs`);
  }
  const bytes = file.subarray(header.dataOffset, need);
  const data = wide ? narrowInt64(bytes, n, littleEndian, wide, path) : decodeTypedArray(bytes, dtype, n, littleEndian);
  return { shape, data, source: path };
}

/** Check the magic string and parse the header dictionary. */
export function parseNpyHeader(file: Uint8Array, path: string): NpyHeader {
  if (file.length < 10 || !MAGIC.every((b, i) => file[i] === b)) {
    throw new InputError(path, 'not a NumPy .npy file (missing the \\x93NUMPY magic string)');
  }
  const major = file[6];
  let headerLen: number, start: number;
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (file.length < 12) throw new InputError(path, 'truncated .npy header');
    headerLen = view.getUint32(8, true);
    start = 12;
  } else {
    throw new InputError(path, `unsupported .npy format version ${major}.${file[7]} (expected 1.x, 2.x or 3.x)`);
  }
  if (start + headerLen > file.length) throw new InputError(path, 'truncated .npy header');
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(file.subarray(start, start + headerLen));

  let dict: unknown;
  try {
    dict = new PyLiteralParser(text).parseTop();
  } catch (err) {
    throw new InputError(path, `malformed .npy header: ${(err as Error).message}`);
  }
  if (!(dict instanceof Map)) throw new InputError(path, 'malformed .npy header: expected a dictionary');
  const descr = dict.get('descr');
  const fortran = dict.get('fortran_order');
  const shape = dict.get('shape');
  if (Array.isArray(descr)) throw new InputError(path, 'structured (record) .npy arrays are not supported: save a plain numeric array');
  if (typeof descr !== 'string') throw new InputError(path, "malformed .npy header: missing 'descr'");
  if (typeof fortran !== 'boolean') throw new InputError(path, "malformed .npy header: missing 'fortran_order'");
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
    throw new InputError(path, "malformed .npy header: 'shape' must be a tuple of non-negative integers");
  }
  return { descr, fortranOrder: fortran, shape: shape as number[], dataOffset: start + headerLen };
}

interface NpyType {
  dtype: DType;
  itemBytes: number;
  littleEndian: boolean;
  /** Set for 64-bit integers, which are narrowed after reading. */
  wide?: 'i8' | 'u8';
}

function npyDtype(descr: string, path: string): NpyType {
  const m = /^([<>|=]?)([a-zA-Z])(\d+)$/.exec(descr);
  if (!m) throw new InputError(path, `unsupported .npy dtype '${descr}'`);
  const [, order, kind, size] = m;
  const littleEndian = order === '>' ? false : order === '=' ? HOST_LITTLE_ENDIAN : true;
  const key = `${kind}${size}`;
  const table: Record<string, DType> = {
    u1: 'uint8', i1: 'int8', b1: 'uint8', u2: 'uint16', i2: 'int16',
    u4: 'uint32', i4: 'int32', f4: 'float32', f8: 'float64',
  };
  if (key === 'i8' || key === 'u8') {
    return { dtype: key === 'i8' ? 'int32' : 'uint32', itemBytes: 8, littleEndian, wide: key };
  }
  const dtype = table[key];
  if (!dtype) {
    throw new InputError(path, `unsupported .npy dtype '${descr}' (supported: u1 i1 b1 u2 i2 u4 i4 u8 i8 f4 f8)`);
  }
  return { dtype, itemBytes: BYTES_PER[dtype], littleEndian };
}

function npyShape(shape: number[], fortran: boolean, path: string): Shape3 {
  // Put the fastest-varying axis first, then drop size-1 axes beyond the third.
  const fast = fortran ? [...shape] : [...shape].reverse();
  while (fast.length > 3 && fast[fast.length - 1] === 1) fast.pop();
  if (fast.length < 2 || fast.length > 3) {
    throw new InputError(path, `.npy array has shape (${shape.join(', ')}): expected a 2-D or 3-D array`);
  }
  if (fast.some((d) => d === 0)) throw new InputError(path, `.npy array has shape (${shape.join(', ')}): it is empty`);
  return [fast[0], fast[1], fast[2] ?? 1];
}

/** int64/uint64 → int32/uint32 when all values fit; else an InputError. */
function narrowInt64(bytes: Uint8Array, n: number, littleEndian: boolean, kind: 'i8' | 'u8', path: string): VoxelArray {
  const copy = new Uint8Array(bytes.subarray(0, n * 8)); // a copy: aligned, own buffer
  if (littleEndian !== HOST_LITTLE_ENDIAN) swapBytesInPlace(copy, 8);
  const halves = new Int32Array(copy.buffer, 0, n * 2);
  const lo = HOST_LITTLE_ENDIAN ? 0 : 1, hi = 1 - lo;
  const out = allocate(kind === 'i8' ? 'int32' : 'uint32', n);
  for (let i = 0; i < n; i++) {
    const l = halves[2 * i + lo], h = halves[2 * i + hi];
    // int64 fits int32 iff the high word is the sign extension of the low word;
    // uint64 fits uint32 iff the high word is zero.
    if (kind === 'i8' ? h !== (l >> 31) : h !== 0) {
      throw new InputError(path, `.npy ${kind === 'i8' ? 'int64' : 'uint64'} values outside the ${kind === 'i8' ? 'int32' : 'uint32'} range are not supported (voxel ${i})`);
    }
    out[i] = kind === 'i8' ? l : l >>> 0;
  }
  return out;
}

/**
 * Parser for the Python literal subset `.npy` headers use: dicts, tuples, lists, strings,
 * integers, True/False/None. Dicts become Maps, tuples and lists arrays.
 */
class PyLiteralParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parseTop(): unknown {
    const v = this.value();
    this.ws();
    if (this.pos < this.text.length) throw new Error(`unexpected "${this.text[this.pos]}" at character ${this.pos}`);
    return v;
  }

  private ws(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  private fail(what: string): never {
    const at = this.pos < this.text.length ? `"${this.text[this.pos]}" at character ${this.pos}` : 'end of header';
    throw new Error(`expected ${what}, found ${at}`);
  }

  private value(): unknown {
    this.ws();
    const c = this.text[this.pos];
    if (c === '{') return this.dict();
    if (c === '(') return this.sequence(')');
    if (c === '[') return this.sequence(']');
    if (c === "'" || c === '"') return this.string();
    const word = /^(True|False|None|[-+]?\d+L?)/.exec(this.text.slice(this.pos));
    if (!word) this.fail('a value');
    this.pos += word[0].length;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    if (word[0] === 'None') return null;
    return Number(word[0].replace(/L$/, ''));
  }

  private string(): string {
    const quote = this.text[this.pos++];
    let s = '';
    while (this.pos < this.text.length && this.text[this.pos] !== quote) {
      if (this.text[this.pos] === '\\') this.pos++;
      s += this.text[this.pos++];
    }
    if (this.pos >= this.text.length) this.fail(`closing ${quote}`);
    this.pos++;
    return s;
  }

  private sequence(close: string): unknown[] {
    this.pos++;
    const items: unknown[] = [];
    for (;;) {
      this.ws();
      if (this.text[this.pos] === close) { this.pos++; return items; }
      items.push(this.value());
      this.ws();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== close) this.fail(`"," or "${close}"`);
    }
  }

  private dict(): Map<unknown, unknown> {
    this.pos++;
    const map = new Map<unknown, unknown>();
    for (;;) {
      this.ws();
      if (this.text[this.pos] === '}') { this.pos++; return map; }
      const key = this.value();
      this.ws();
      if (this.text[this.pos] !== ':') this.fail('":"');
      this.pos++;
      map.set(key, this.value());
      this.ws();
      if (this.text[this.pos] === ',') this.pos++;
      else if (this.text[this.pos] !== '}') this.fail('"," or "}"');
    }
  }
}

/**
 * Multi-page TIFF stacks: one page per z slice, row = y, column = x.
 *
 * geotiff parses the file structure (header, IFD chain, tag values) and provides the LZW and
 * Deflate decoders. The pixel path is our own, for speed and correctness: geotiff's
 * `readRasters` reads every sample through a DataView call, and its PackBits decoder grows a JS
 * array (and mis-handles the -128 no-op header), so we decode each strip or tile once and copy
 * whole rows into one preallocated typed array. Byte order and predictors are handled here too:
 * decoders run with predictor 1, the block is brought to host byte order, then the predictor is
 * undone in host order (as libtiff does; geotiff applies it before swapping, which is wrong for
 * big-endian files).
 *
 * Supported: 1 sample per pixel; 8/16/32-bit integers (signed or not), 32/64-bit floats;
 * compression none (1), LZW (5), Deflate (8, 32946), PackBits (32773); predictor 1, 2, 3;
 * strips or tiles; little- or big-endian; classic TIFF and BigTIFF; ImageJ stacks stored with a
 * single IFD (files > 4 GB written by ImageJ). Reduced-resolution and mask subfiles
 * (NewSubfileType bits 0 and 2) are skipped. Values are returned as stored: Orientation and
 * PhotometricInterpretation (WhiteIsZero, Palette) are not applied, since the values are labels
 * or raw greyscale.
 *
 * Voxel size: taken only from an ImageJ calibration (ImageDescription "ImageJ=..." with a length
 * `unit=`, XResolution/YResolution in pixels per unit, `spacing=` for z). Plain TIFF resolution
 * tags are nearly always print defaults (72 dpi), so they are ignored and voxelSize is left
 * undefined.
 */
import { fromArrayBuffer, getDecoder, type GeoTIFF, type GeoTIFFImage } from 'geotiff';
import { InputError } from '../../core/errors.js';
import { allocate, BYTES_PER, type DType, type Vec3, type Volume, type VoxelArray } from '../../core/volume.js';
import { HOST_LITTLE_ENDIAN, readInputFile, swapBytesInPlace } from './raw.js';

/** TIFF tag ids used here. */
const TAG = {
  NewSubfileType: 254,
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  ImageDescription: 270,
  StripOffsets: 273,
  SamplesPerPixel: 277,
  RowsPerStrip: 278,
  StripByteCounts: 279,
  XResolution: 282,
  YResolution: 283,
  PlanarConfiguration: 284,
  Predictor: 317,
  TileWidth: 322,
  TileLength: 323,
  TileOffsets: 324,
  TileByteCounts: 325,
  SampleFormat: 339,
} as const;

const SUPPORTED_COMPRESSION: Record<number, string> = {
  1: 'none', 5: 'LZW', 8: 'Deflate', 32946: 'Deflate', 32773: 'PackBits',
};
const OTHER_COMPRESSION: Record<number, string> = {
  2: 'CCITT RLE', 3: 'CCITT fax 3', 4: 'CCITT fax 4', 6: 'old-style JPEG', 7: 'JPEG',
  34712: 'JPEG 2000', 33003: 'JPEG 2000', 33005: 'JPEG 2000', 34887: 'LERC', 34925: 'LZMA',
  50000: 'Zstandard', 50001: 'WebP', 52546: 'JPEG XL',
};

/** Layout of one z slice: where its strips/tiles are and how to decode them. */
interface Page {
  /** IFD index in the file, for messages. */
  ifd: number;
  width: number;
  height: number;
  dtype: DType;
  compression: number;
  predictor: number;
  tiled: boolean;
  blockWidth: number;
  blockHeight: number;
  offsets: number[];
  counts: number[];
}

/** Read a multi-page TIFF (one page per z slice) into a volume. */
export async function readTiffVolume(path: string): Promise<Volume> {
  const file = await readInputFile(path, 'TIFF file');
  checkHeader(file, path);
  // geotiff and the decoders address the whole ArrayBuffer: small Buffers live in Node's shared
  // pool and need a copy; large files get their own buffer, which we use as is (no extra copy).
  const buffer = (file.byteOffset === 0 && file.byteLength === file.buffer.byteLength
    ? file.buffer : file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength)) as ArrayBuffer;
  const fileSize = buffer.byteLength;

  let tiff: GeoTIFF;
  try {
    tiff = await fromArrayBuffer(buffer);
  } catch (err) {
    throw new InputError(path, `not a readable TIFF file: ${errorText(err)}`);
  }
  const images = await listImages(tiff, path, fileSize);
  let pages: Page[] = [];
  for (const { image, ifd } of images) pages.push(await describePage(image, ifd, path));
  if (pages.length === 0) throw new InputError(path, 'the TIFF file holds no full-resolution image');

  const first = pages[0];
  for (const p of pages) {
    if (p.width !== first.width || p.height !== first.height) {
      throw new InputError(path, `page ${p.ifd} is ${p.width}×${p.height} pixels but page ${first.ifd} is `
        + `${first.width}×${first.height}: all pages of a stack must have the same size`);
    }
    if (p.dtype !== first.dtype) {
      throw new InputError(path, `page ${p.ifd} holds ${p.dtype} values but page ${first.ifd} holds ${first.dtype}: `
        + 'all pages of a stack must have the same sample type');
    }
  }

  const description = await loadString(images[0].image, TAG.ImageDescription);
  const imagej = parseImageJ(description);
  if (imagej) {
    const channels = Number(imagej.get('channels') ?? 1);
    const frames = Number(imagej.get('frames') ?? 1);
    if (channels > 1) throw new InputError(path, `ImageJ hyperstack with ${channels} channels: lithomech needs one value per voxel (split the channels first)`);
    if (frames > 1) throw new InputError(path, `ImageJ hyperstack with ${frames} time frames: save a single time point`);
    pages = expandImageJSingleIfd(pages, imagej, path);
  }

  const [nx, ny, nz] = [first.width, first.height, pages.length];
  const bytesPer = BYTES_PER[first.dtype];
  let data: VoxelArray;
  try {
    data = allocate(first.dtype, nx * ny * nz);
  } catch {
    throw new InputError(path, `volume ${nx}×${ny}×${nz} ${first.dtype} is too large to hold in memory`);
  }
  const out = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const littleEndian = images[0].image.littleEndian;
  for (let z = 0; z < nz; z++) {
    await decodePage(pages[z], out, z * nx * ny * bytesPer, littleEndian, fileSize, buffer, path);
  }

  const voxelSize = imagej ? await imageJVoxelSize(images[0].image, imagej) : undefined;
  return { shape: [nx, ny, nz], data, voxelSize, source: path };
}

function checkHeader(file: Buffer, path: string): void {
  if (file.length < 8) throw new InputError(path, `not a TIFF file (only ${file.length} bytes)`);
  const order = file.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') throw new InputError(path, 'not a TIFF file (missing the II/MM byte-order mark)');
  const magic = order === 'II' ? file.readUInt16LE(2) : file.readUInt16BE(2);
  if (magic !== 42 && magic !== 43) throw new InputError(path, `not a TIFF file (magic number ${magic}, expected 42 or 43)`);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Walk the IFD chain, keeping full-resolution images; guards against loops and truncation. */
async function listImages(tiff: GeoTIFF, path: string, fileSize: number): Promise<{ image: GeoTIFFImage; ifd: number }[]> {
  const out: { image: GeoTIFFImage; ifd: number }[] = [];
  const seen = new Set<number>([Number(tiff.firstIFDOffset)]);
  for (let ifd = 0; ; ifd++) {
    let image: GeoTIFFImage;
    try {
      image = await tiff.getImage(ifd);
    } catch (err) {
      if (err instanceof RangeError) {
        throw new InputError(path, `truncated TIFF: the directory of page ${ifd} is cut off by the end of the file (${fileSize} bytes)`);
      }
      throw new InputError(path, `truncated or corrupt TIFF: cannot read the directory of page ${ifd} (${errorText(err)})`);
    }
    const fd = image.fileDirectory;
    const subfileType = Number(await fd.loadValue(TAG.NewSubfileType) ?? 0);
    // bit 0: reduced-resolution copy (pyramid/thumbnail); bit 2: transparency mask
    if ((subfileType & 0b101) === 0) out.push({ image, ifd });
    const next = Number(fd.nextIFDByteOffset);
    if (!next) return out;
    if (next + 2 > fileSize) {
      throw new InputError(path, `truncated TIFF: the directory of page ${ifd + 1} should be at byte ${next} but the file has ${fileSize} bytes`);
    }
    if (seen.has(next)) throw new InputError(path, `corrupt TIFF: the chain of page directories loops back at page ${ifd + 1}`);
    seen.add(next);
  }
}

async function loadNumbers(image: GeoTIFFImage, tag: number): Promise<number[] | undefined> {
  const v: unknown = await image.fileDirectory.loadValue(tag);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' || typeof v === 'bigint') return [Number(v)];
  if (Array.isArray(v) || ArrayBuffer.isView(v)) return Array.from(v as ArrayLike<number | bigint>, Number);
  return undefined;
}

async function loadNumber(image: GeoTIFFImage, tag: number): Promise<number | undefined> {
  return (await loadNumbers(image, tag))?.[0];
}

async function loadString(image: GeoTIFFImage, tag: number): Promise<string | undefined> {
  const v: unknown = await image.fileDirectory.loadValue(tag);
  return typeof v === 'string' ? v : undefined;
}

function dtypeFor(format: number, bits: number): DType | undefined {
  const table: Record<string, DType> = {
    '1:8': 'uint8', '2:8': 'int8', '1:16': 'uint16', '2:16': 'int16',
    '1:32': 'uint32', '2:32': 'int32', '3:32': 'float32', '3:64': 'float64',
  };
  return table[`${format}:${bits}`];
}

/** Read and check the tags of one page. */
async function describePage(image: GeoTIFFImage, ifd: number, path: string): Promise<Page> {
  const where = `page ${ifd}`;
  let width: number | undefined, height: number | undefined;
  let spp: number, bits: number[], formats: number[];
  let compression: number, predictor: number;
  let tiled: boolean, blockWidth: number, blockHeight: number;
  let offsets: number[] | undefined, counts: number[] | undefined;
  try {
    width = await loadNumber(image, TAG.ImageWidth);
    height = await loadNumber(image, TAG.ImageLength);
    spp = (await loadNumber(image, TAG.SamplesPerPixel)) ?? 1;
    bits = (await loadNumbers(image, TAG.BitsPerSample)) ?? [1];
    formats = (await loadNumbers(image, TAG.SampleFormat)) ?? [1];
    compression = (await loadNumber(image, TAG.Compression)) ?? 1;
    predictor = (await loadNumber(image, TAG.Predictor)) ?? 1;
    tiled = image.fileDirectory.hasTag(TAG.TileWidth);
    if (tiled) {
      blockWidth = (await loadNumber(image, TAG.TileWidth)) ?? 0;
      blockHeight = (await loadNumber(image, TAG.TileLength)) ?? 0;
      offsets = await loadNumbers(image, TAG.TileOffsets);
      counts = await loadNumbers(image, TAG.TileByteCounts);
    } else {
      blockWidth = width ?? 0;
      blockHeight = Math.min((await loadNumber(image, TAG.RowsPerStrip)) ?? Infinity, height ?? 0);
      offsets = await loadNumbers(image, TAG.StripOffsets);
      counts = await loadNumbers(image, TAG.StripByteCounts);
    }
  } catch (err) {
    throw new InputError(path, `truncated or corrupt TIFF: cannot read the tags of ${where} (${errorText(err)})`);
  }

  if (!width || !height) throw new InputError(path, `${where} has no ImageWidth/ImageLength`);
  if (spp !== 1) {
    throw new InputError(path, `${where} has ${spp} samples per pixel (RGB or multi-channel); `
      + 'lithomech needs one greyscale or label value per voxel: save a single-channel stack');
  }
  const bitsPerSample = bits[0];
  const format = formats[0];
  const dtype = dtypeFor(format, bitsPerSample);
  if (!dtype) {
    const kind = format === 2 ? 'signed integer' : format === 3 ? 'floating-point' : format === 1 ? 'unsigned integer' : `sample format ${format}`;
    throw new InputError(path, `${where} has ${bitsPerSample}-bit ${kind} samples, which are not supported `
      + '(use 8, 16 or 32-bit integers or 32/64-bit floats)');
  }
  if (!(compression in SUPPORTED_COMPRESSION)) {
    const name = OTHER_COMPRESSION[compression] ?? 'an unknown';
    throw new InputError(path, `${where} uses ${name} compression (code ${compression}), which is not supported: `
      + 're-save it uncompressed or with LZW, Deflate or PackBits compression');
  }
  if (predictor !== 1 && predictor !== 2 && predictor !== 3) {
    throw new InputError(path, `${where} uses predictor ${predictor}, which is not supported (only 1, 2 and 3 exist)`);
  }
  if (predictor === 2 && BYTES_PER[dtype] > 4) throw new InputError(path, `${where}: horizontal predictor with 64-bit samples is not supported`);
  if (predictor === 3 && format !== 3) throw new InputError(path, `${where}: floating-point predictor on ${dtype} samples`);
  if (!(blockWidth > 0) || !(blockHeight > 0)) throw new InputError(path, `${where} has an invalid strip or tile size`);
  const nBlocks = Math.ceil(width / blockWidth) * Math.ceil(height / blockHeight);
  if (!offsets || offsets.length < nBlocks) {
    throw new InputError(path, `${where} lists ${offsets?.length ?? 0} ${tiled ? 'tile' : 'strip'} offsets, expected ${nBlocks}`);
  }
  if (!counts) {
    // Some old writers omit byte counts for uncompressed single-strip images.
    if (compression === 1 && nBlocks === 1) counts = [width * height * BYTES_PER[dtype]];
    else throw new InputError(path, `${where} has no ${tiled ? 'TileByteCounts' : 'StripByteCounts'}`);
  }
  if (counts.length < nBlocks) throw new InputError(path, `${where} lists ${counts.length} byte counts, expected ${nBlocks}`);
  return { ifd, width, height, dtype, compression, predictor, tiled, blockWidth, blockHeight, offsets, counts };
}

/** Key/value lines of an ImageJ ImageDescription, or undefined if it is not one. */
function parseImageJ(description: string | undefined): Map<string, string> | undefined {
  if (!description || !description.startsWith('ImageJ=')) return undefined;
  const map = new Map<string, string>();
  for (const line of description.split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (eq > 0) map.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return map;
}

/**
 * ImageJ writes stacks larger than 4 GB with a single IFD; the other slices follow the first one
 * contiguously. Turn such a file into one virtual page per slice.
 */
function expandImageJSingleIfd(pages: Page[], imagej: Map<string, string>, path: string): Page[] {
  const images = Number(imagej.get('images') ?? 1);
  if (pages.length !== 1 || !(images > 1)) return pages;
  const p = pages[0];
  const planeBytes = p.width * p.height * BYTES_PER[p.dtype];
  const contiguous = p.offsets.every((o, i) => i === 0 || o === p.offsets[i - 1] + p.counts[i - 1]);
  const total = p.counts.reduce((a, b) => a + b, 0);
  if (p.compression !== 1 || p.tiled || !contiguous || total !== planeBytes) {
    throw new InputError(path, `ImageJ stack of ${images} images stored with a single directory must be uncompressed and contiguous`);
  }
  const out: Page[] = [];
  for (let k = 0; k < images; k++) {
    out.push({ ...p, offsets: p.offsets.map((o) => o + k * planeBytes) });
  }
  return out;
}

/** Voxel size from an ImageJ calibration, or undefined when uncalibrated. */
async function imageJVoxelSize(image: GeoTIFFImage, imagej: Map<string, string>): Promise<Vec3 | undefined> {
  const unit = (imagej.get('unit') ?? '').replace(/\\u00b5/i, 'µ').toLowerCase();
  const scale: Record<string, number> = {
    micron: 1e-6, microns: 1e-6, um: 1e-6, 'µm': 1e-6, 'μm': 1e-6, nm: 1e-9, mm: 1e-3, cm: 1e-2,
    m: 1, meter: 1, metre: 1, inch: 0.0254,
  };
  const s = scale[unit];
  if (s === undefined) return undefined; // "pixel" or no unit: uncalibrated
  const xr = await loadNumbers(image, TAG.XResolution);
  const yr = await loadNumbers(image, TAG.YResolution);
  // RATIONAL [numerator, denominator] in pixels per unit
  const edge = (r: number[] | undefined): number | undefined =>
    r && r.length >= 2 && r[0] > 0 && r[1] > 0 ? (r[1] / r[0]) * s : undefined;
  const dx = edge(xr);
  const dy = edge(yr) ?? dx;
  // ImageJ omits spacing= when the slice spacing is 1 unit.
  const spacing = Number(imagej.get('spacing') ?? 1);
  if (dx === undefined || dy === undefined || !(spacing > 0)) return undefined;
  return [dx, dy, spacing * s];
}

type Decoder = { decode(buffer: ArrayBuffer): Promise<ArrayBufferLike> };
const decoderCache = new Map<number, Promise<Decoder>>();

/** geotiff decoder for LZW / Deflate, constructed with predictor 1 (we undo predictors ourselves). */
function geotiffDecoder(compression: number): Promise<Decoder> {
  let d = decoderCache.get(compression);
  if (!d) {
    d = getDecoder(compression, {
      tileWidth: 1, tileHeight: 1, predictor: 1, bitsPerSample: 8, planarConfiguration: 1,
    }) as Promise<Decoder>;
    decoderCache.set(compression, d);
  }
  return d;
}

/**
 * Decode every strip/tile of one page into `out` (the volume's bytes) at byte `base`.
 */
async function decodePage(
  page: Page, out: Uint8Array, base: number, littleEndian: boolean,
  fileSize: number, buffer: ArrayBuffer, path: string,
): Promise<void> {
  const { width, height, blockWidth, blockHeight, tiled, compression, predictor } = page;
  const bytesPer = BYTES_PER[page.dtype];
  const across = Math.ceil(width / blockWidth);
  const down = Math.ceil(height / blockHeight);
  const kind = tiled ? 'tile' : 'strip';
  const rowBytes = blockWidth * bytesPer;
  const swap = bytesPer > 1 && littleEndian !== HOST_LITTLE_ENDIAN && predictor !== 3;

  for (let by = 0; by < down; by++) {
    // Tiles are always full size (padded); the last strip may be shorter.
    const rowsUsed = Math.min(blockHeight, height - by * blockHeight);
    const rowsStored = tiled ? blockHeight : rowsUsed;
    for (let bx = 0; bx < across; bx++) {
      const b = by * across + bx;
      const offset = page.offsets[b], count = page.counts[b];
      if (count === 0) continue; // sparse block: stays zero
      if (offset + count > fileSize) {
        throw new InputError(path, `truncated TIFF: ${kind} ${b} of page ${page.ifd} spans bytes ${offset}–${offset + count} `
          + `but the file has ${fileSize} bytes`);
      }
      const need = rowsStored * rowBytes;
      let block: Uint8Array;
      try {
        block = await decodeBlock(buffer, offset, count, compression, need);
      } catch (err) {
        throw new InputError(path, `page ${page.ifd}: cannot decode ${SUPPORTED_COMPRESSION[compression]} data of ${kind} ${b} `
          + `(${errorText(err)}); the file is corrupt or truncated`);
      }
      if (block.length < rowsUsed * rowBytes) {
        throw new InputError(path, `page ${page.ifd}: ${kind} ${b} decodes to ${block.length} bytes, expected ${rowsUsed * rowBytes}; `
          + 'the file is corrupt or truncated');
      }
      block = block.subarray(0, rowsUsed * rowBytes);
      if (swap) swapBytesInPlace(block, bytesPer);
      if (predictor === 2) undoHorizontalDifferencing(block, bytesPer, blockWidth, rowsUsed);
      else if (predictor === 3) undoFloatingPointPredictor(block, bytesPer, blockWidth, rowsUsed);

      // Copy rows into the slice; whole-width strips are a single copy.
      const x0 = bx * blockWidth, y0 = by * blockHeight;
      const cols = Math.min(blockWidth, width - x0);
      const dest = base + (y0 * width + x0) * bytesPer;
      if (cols === width) {
        out.set(block, dest);
      } else {
        for (let r = 0; r < rowsUsed; r++) {
          out.set(block.subarray(r * rowBytes, r * rowBytes + cols * bytesPer), dest + r * width * bytesPer);
        }
      }
    }
  }
}

/** Decompress one strip/tile into a fresh, writable Uint8Array at byte offset 0 of its buffer. */
async function decodeBlock(buffer: ArrayBuffer, offset: number, count: number, compression: number, need: number): Promise<Uint8Array> {
  const src = new Uint8Array(buffer, offset, count);
  if (compression === 1) return src.slice(0, Math.min(count, need));
  if (compression === 32773) return unpackBits(src, need);
  const decoder = await geotiffDecoder(compression);
  const decoded = await decoder.decode(buffer.slice(offset, offset + count));
  return new Uint8Array(decoded as ArrayBuffer);
}

/**
 * PackBits (Apple/TIFF run-length): header n in 0..127 → n+1 literal bytes; n in -127..-1 →
 * the next byte repeated 1-n times; -128 → no-op. Stops once `expected` bytes are produced.
 * Returns fewer bytes if the input runs out (the caller reports the truncation).
 */
export function unpackBits(src: Uint8Array, expected: number): Uint8Array {
  const out = new Uint8Array(expected);
  let i = 0, o = 0;
  const n = src.length;
  while (i < n && o < expected) {
    const h = src[i++];
    // Runs are mostly short: plain loops beat set()/fill() call overhead there.
    if (h < 128) {
      const len = Math.min(h + 1, n - i, expected - o);
      if (len > 32) out.set(src.subarray(i, i + len), o);
      else for (let k = 0; k < len; k++) out[o + k] = src[i + k];
      i += h + 1;
      o += len;
    } else if (h > 128) {
      if (i >= n) break;
      const len = Math.min(257 - h, expected - o);
      const v = src[i++];
      if (len > 32) out.fill(v, o, o + len);
      else for (let k = 0; k < len; k++) out[o + k] = v;
      o += len;
    }
    // h === 128 (-128): no-op
  }
  return o === expected ? out : out.subarray(0, o);
}

/** Undo TIFF predictor 2 (horizontal differencing), host byte order, 1 sample per pixel. */
function undoHorizontalDifferencing(block: Uint8Array, bytesPer: number, width: number, rows: number): void {
  // The block starts at offset 0 of its own buffer, so wider views are aligned.
  const view = bytesPer === 1 ? block
    : bytesPer === 2 ? new Uint16Array(block.buffer, block.byteOffset, width * rows)
      : new Uint32Array(block.buffer, block.byteOffset, width * rows);
  for (let r = 0; r < rows; r++) {
    const start = r * width;
    for (let i = start + 1; i < start + width; i++) view[i] += view[i - 1]; // wraps modulo 2^bits
  }
}

/**
 * Undo TIFF predictor 3 (floating point): each row holds the bytes of its samples split into
 * planes (most significant first), byte-differenced. Produces host byte order.
 */
function undoFloatingPointPredictor(block: Uint8Array, bytesPer: number, width: number, rows: number): void {
  const rowBytes = width * bytesPer;
  const tmp = new Uint8Array(rowBytes);
  for (let r = 0; r < rows; r++) {
    const row = block.subarray(r * rowBytes, (r + 1) * rowBytes);
    for (let i = 1; i < rowBytes; i++) row[i] = (row[i] + row[i - 1]) & 0xff;
    tmp.set(row);
    for (let i = 0; i < width; i++) {
      for (let b = 0; b < bytesPer; b++) {
        // b = significance (0 = most significant byte)
        row[i * bytesPer + (HOST_LITTLE_ENDIAN ? bytesPer - 1 - b : b)] = tmp[b * width + i];
      }
    }
  }
}

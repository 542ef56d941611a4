/**
 * Minimal multi-page TIFF writer for tests: strips or tiles, little- or big-endian, compression
 * none / LZW / Deflate (8 and 32946) / PackBits, optional horizontal predictor, and knobs to
 * produce deliberately odd files (a claimed compression different from the real encoding,
 * ImageJ single-IFD stacks, PackBits no-op bytes, arbitrary extra tags).
 */
import { deflateSync } from 'node:zlib';

export type TiffSampleArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

export interface TiffPage {
  width: number;
  height: number;
  /** Row-major pixels (x fastest), `samplesPerPixel` interleaved samples per pixel. */
  data: TiffSampleArray;
  samplesPerPixel?: number;
}

export interface TiffExtraTag {
  tag: number;
  /** 2 ASCII, 3 SHORT, 4 LONG, 5 RATIONAL */
  type: 2 | 3 | 4 | 5;
  values: number[] | string;
}

export interface TiffWriteOptions {
  /** How the data is encoded (default 1 = none). */
  compression?: 1 | 5 | 8 | 32773 | 32946;
  /** Compression code written to the tag, if different from the real encoding (for bad-input tests). */
  claimCompression?: number;
  /** Byte order (default little-endian). */
  littleEndian?: boolean;
  /** Rows per strip (default: about 4 KiB per strip, so most pages have several strips). */
  rowsPerStrip?: number;
  /** Write tiles of this [width, height] instead of strips. */
  tile?: [number, number];
  /** TIFF predictor 2 (horizontal differencing) for integer data. */
  predictor?: 1 | 2;
  /** ImageDescription, e.g. an ImageJ header. */
  description?: string;
  /** XResolution / YResolution as [numerator, denominator] and ResolutionUnit. */
  xResolution?: [number, number];
  yResolution?: [number, number];
  resolutionUnit?: number;
  /** Write only the first IFD (the data of all pages still follows contiguously), as ImageJ does for huge stacks. */
  onlyFirstIfd?: boolean;
  /** Start each PackBits row with a -128 no-op header byte. */
  packBitsNoop?: boolean;
  /** Per-page NewSubfileType values (e.g. 1 = reduced-resolution copy). */
  subfileTypes?: number[];
  extraTags?: TiffExtraTag[];
}

/** Split a volume (x fastest, then y, then z) into TIFF pages. */
export function volumeToPages(data: TiffSampleArray, shape: [number, number, number]): TiffPage[] {
  const [nx, ny, nz] = shape;
  const pages: TiffPage[] = [];
  for (let z = 0; z < nz; z++) pages.push({ width: nx, height: ny, data: data.subarray(z * nx * ny, (z + 1) * nx * ny) });
  return pages;
}

function sampleFormatOf(a: TiffSampleArray): number {
  if (a instanceof Float32Array || a instanceof Float64Array) return 3;
  if (a instanceof Int8Array || a instanceof Int16Array || a instanceof Int32Array) return 2;
  return 1;
}

/** The bytes of `a` in the requested byte order (a copy). */
function toBytes(a: TiffSampleArray, littleEndian: boolean): Uint8Array {
  const bytes = new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
  const w = a.BYTES_PER_ELEMENT;
  const hostLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (w > 1 && littleEndian !== hostLE) {
    for (let i = 0; i < bytes.length; i += w) bytes.subarray(i, i + w).reverse();
  }
  return bytes;
}

/** Horizontal differencing (predictor 2) on a copy, modulo 2^bits. */
function applyPredictor2(page: TiffPage): TiffSampleArray {
  const spp = page.samplesPerPixel ?? 1;
  const src = page.data;
  const copy = src.slice();
  // Work in an unsigned view so differences wrap modulo 2^bits.
  const U = src.BYTES_PER_ELEMENT === 1 ? Uint8Array : src.BYTES_PER_ELEMENT === 2 ? Uint16Array : Uint32Array;
  const u = new U(copy.buffer, copy.byteOffset, copy.length);
  const orig = new U(src.length);
  orig.set(new U(src.buffer as ArrayBuffer, src.byteOffset, src.length));
  const rowLen = page.width * spp;
  for (let y = 0; y < page.height; y++) {
    for (let i = spp; i < rowLen; i++) u[y * rowLen + i] = orig[y * rowLen + i] - orig[y * rowLen + i - spp];
  }
  return copy;
}

/** PackBits-encode one row. */
export function packBits(row: Uint8Array, noop = false): number[] {
  const out: number[] = noop ? [0x80] : [];
  const n = row.length;
  let i = 0;
  while (i < n) {
    let run = 1;
    while (i + run < n && run < 128 && row[i + run] === row[i]) run++;
    if (run >= 2) {
      out.push(257 - run, row[i]); // header -(run-1) as a byte
      i += run;
      continue;
    }
    const start = i;
    let len = 0;
    while (i < n && len < 128 && !(i + 1 < n && row[i] === row[i + 1])) { i++; len++; }
    out.push(len - 1);
    for (let k = start; k < start + len; k++) out.push(row[k]);
  }
  return out;
}

/**
 * TIFF LZW encoder: MSB-first codes, Clear = 256, EOI = 257, first free code 258, code width
 * 9..12 bits growing when the next free code passes 2^width - 1 (the TIFF/libtiff "early
 * change" convention as seen by the decoder, which lags one code behind), Clear when code 4094
 * would be assigned.
 */
export function lzwEncode(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  let bitBuf = 0, bitCount = 0;
  let width = 9;
  const emit = (code: number): void => {
    bitBuf = (bitBuf << width) | code;
    bitCount += width;
    while (bitCount >= 8) {
      out.push((bitBuf >>> (bitCount - 8)) & 0xff);
      bitCount -= 8;
    }
    bitBuf &= (1 << bitCount) - 1;
  };
  let dict = new Map<number, number>();
  let next = 258;
  // After a code is assigned: grow the width, or clear a full table.
  const advance = (): void => {
    next++;
    if (next === 4094) {
      emit(256);
      dict = new Map();
      next = 258;
      width = 9;
    } else if (next > (1 << width) - 1) {
      width++;
    }
  };
  emit(256);
  if (data.length > 0) {
    let w = data[0];
    for (let i = 1; i < data.length; i++) {
      const c = data[i];
      const key = w * 256 + c;
      const hit = dict.get(key);
      if (hit !== undefined) { w = hit; continue; }
      emit(w);
      dict.set(key, next);
      advance();
      w = c;
    }
    emit(w);
    advance(); // the decoder adds an entry for the last code too
  }
  emit(257);
  if (bitCount > 0) out.push((bitBuf << (8 - bitCount)) & 0xff);
  return Uint8Array.from(out);
}

function compressBlock(block: Uint8Array, compression: number, rowBytes: number, noop: boolean): Uint8Array {
  switch (compression) {
    case 1: return block;
    case 5: return lzwEncode(block);
    case 8:
    case 32946: return new Uint8Array(deflateSync(block));
    case 32773: {
      const out: number[] = [];
      for (let r = 0; r < block.length; r += rowBytes) out.push(...packBits(block.subarray(r, r + rowBytes), noop));
      return Uint8Array.from(out);
    }
    default: throw new Error(`tiff-writer: cannot encode compression ${compression}`);
  }
}

/** Growable output with patchable words. */
class Sink {
  private chunks: Uint8Array[] = [];
  size = 0;
  constructor(readonly littleEndian: boolean) {}
  append(bytes: Uint8Array): number {
    const at = this.size;
    this.chunks.push(bytes);
    this.size += bytes.length;
    return at;
  }
  align(): void {
    if (this.size % 2) this.append(new Uint8Array(1));
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) { out.set(c, o); o += c.length; }
    return out;
  }
}

interface Entry { tag: number; type: 2 | 3 | 4 | 5; values: number[] | string }

const TYPE_SIZE = { 2: 1, 3: 2, 4: 4, 5: 8 } as const;

function encodeValues(e: Entry, le: boolean): Uint8Array {
  if (e.type === 2) {
    const s = typeof e.values === 'string' ? e.values : String(e.values);
    return Uint8Array.from([...Buffer.from(s, 'latin1'), 0]);
  }
  const vals = e.values as number[];
  const count = e.type === 5 ? vals.length / 2 : vals.length;
  const out = new Uint8Array(count * TYPE_SIZE[e.type]);
  const dv = new DataView(out.buffer);
  vals.forEach((v, i) => {
    if (e.type === 3) dv.setUint16(i * 2, v, le);
    else dv.setUint32(i * 4, v, le); // LONG, and RATIONAL numerator/denominator pairs
  });
  return out;
}

function entryCount(e: Entry): number {
  if (e.type === 2) return (typeof e.values === 'string' ? e.values.length : String(e.values).length) + 1;
  return e.type === 5 ? (e.values as number[]).length / 2 : (e.values as number[]).length;
}

/** Write a multi-page TIFF; returns the file bytes. */
export function writeTiff(pages: TiffPage[], opts: TiffWriteOptions = {}): Uint8Array {
  const le = opts.littleEndian ?? true;
  const compression = opts.compression ?? 1;
  const sink = new Sink(le);
  const header = new Uint8Array(8);
  const hv = new DataView(header.buffer);
  header[0] = header[1] = le ? 0x49 : 0x4d;
  hv.setUint16(2, 42, le);
  sink.append(header);
  // Where to patch the offset of the next IFD: [chunk view, byte offset in it]
  let patch: [DataView, number] = [hv, 4];

  // Phase 1: the strips/tiles of a page; returns the IFD entries describing the page.
  const writeData = (page: TiffPage, pageIndex: number): Entry[] => {
    const spp = page.samplesPerPixel ?? 1;
    const bps = page.data.BYTES_PER_ELEMENT;
    const values = (opts.predictor ?? 1) === 2 ? applyPredictor2(page) : page.data;
    const pageBytes = toBytes(values, le);
    const rowBytes = page.width * spp * bps;

    const offsets: number[] = [], counts: number[] = [];
    let tileEntries: Entry[];
    if (opts.tile) {
      const [tw, th] = opts.tile;
      const tileRow = tw * spp * bps;
      for (let ty = 0; ty < page.height; ty += th) {
        for (let tx = 0; tx < page.width; tx += tw) {
          const block = new Uint8Array(tileRow * th); // padded with zeros
          for (let r = 0; r < th && ty + r < page.height; r++) {
            const cols = Math.min(tw, page.width - tx);
            const src = (ty + r) * rowBytes + tx * spp * bps;
            block.set(pageBytes.subarray(src, src + cols * spp * bps), r * tileRow);
          }
          const enc = compressBlock(block, compression, tileRow, !!opts.packBitsNoop);
          sink.align();
          offsets.push(sink.append(enc));
          counts.push(enc.length);
        }
      }
      tileEntries = [
        { tag: 322, type: 4, values: [tw] },
        { tag: 323, type: 4, values: [th] },
        { tag: 324, type: 4, values: offsets },
        { tag: 325, type: 4, values: counts },
      ];
    } else {
      const rps = opts.rowsPerStrip ?? Math.max(1, Math.floor(4096 / rowBytes));
      for (let y = 0; y < page.height; y += rps) {
        const block = pageBytes.subarray(y * rowBytes, Math.min(page.height, y + rps) * rowBytes);
        const enc = compressBlock(block, compression, rowBytes, !!opts.packBitsNoop);
        sink.align();
        offsets.push(sink.append(enc));
        counts.push(enc.length);
      }
      tileEntries = [
        { tag: 273, type: 4, values: offsets },
        { tag: 278, type: 4, values: [rps] },
        { tag: 279, type: 4, values: counts },
      ];
    }

    const entries: Entry[] = [
      { tag: 256, type: 4, values: [page.width] },
      { tag: 257, type: 4, values: [page.height] },
      { tag: 258, type: 3, values: new Array(spp).fill(bps * 8) },
      { tag: 259, type: 3, values: [opts.claimCompression ?? compression] },
      { tag: 262, type: 3, values: [spp >= 3 ? 2 : 1] },
      { tag: 277, type: 3, values: [spp] },
      { tag: 284, type: 3, values: [1] },
      { tag: 339, type: 3, values: new Array(spp).fill(sampleFormatOf(page.data)) },
      ...tileEntries,
    ];
    if (opts.subfileTypes) entries.push({ tag: 254, type: 4, values: [opts.subfileTypes[pageIndex] ?? 0] });
    if (opts.description !== undefined) entries.push({ tag: 270, type: 2, values: opts.description });
    if (opts.xResolution) entries.push({ tag: 282, type: 5, values: opts.xResolution });
    if (opts.yResolution) entries.push({ tag: 283, type: 5, values: opts.yResolution });
    if (opts.resolutionUnit !== undefined) entries.push({ tag: 296, type: 3, values: [opts.resolutionUnit] });
    if ((opts.predictor ?? 1) !== 1) entries.push({ tag: 317, type: 3, values: [opts.predictor ?? 1] });
    for (const t of opts.extraTags ?? []) {
      const i = entries.findIndex((e) => e.tag === t.tag);
      if (i >= 0) entries.splice(i, 1);
      entries.push(t);
    }
    return entries.sort((a, b) => a.tag - b.tag);
  };

  // Phase 2: out-of-line values, then the IFD itself, linked from the previous one.
  const writeIfd = (entries: Entry[]): void => {
    const inline: (Uint8Array | number)[] = entries.map((e) => {
      const bytes = encodeValues(e, le);
      if (bytes.length <= 4) return bytes;
      sink.align();
      return sink.append(bytes);
    });
    sink.align();
    const ifd = new Uint8Array(2 + entries.length * 12 + 4);
    const dv = new DataView(ifd.buffer);
    dv.setUint16(0, entries.length, le);
    entries.forEach((e, i) => {
      const at = 2 + i * 12;
      dv.setUint16(at, e.tag, le);
      dv.setUint16(at + 2, e.type, le);
      dv.setUint32(at + 4, entryCount(e), le);
      const v = inline[i];
      if (typeof v === 'number') dv.setUint32(at + 8, v, le);
      else ifd.set(v, at + 8);
    });
    const ifdOffset = sink.append(ifd);
    patch[0].setUint32(patch[1], ifdOffset, le);
    patch = [dv, 2 + entries.length * 12];
  };

  if (opts.onlyFirstIfd) {
    // ImageJ layout for huge stacks: every page's data back to back, one IFD describing page 0.
    const first = pages.map(writeData)[0];
    writeIfd(first);
  } else {
    pages.forEach((page, i) => writeIfd(writeData(page, i)));
  }
  return sink.bytes();
}

/**
 * Shared machinery for VTK XML files (.vti, .vtu): binary array encoding (raw appended or inline
 * base64, optionally zlib-compressed in the vtkZLibDataCompressor block format), a small streaming
 * file writer, and the decoding side (a minimal XML parser plus array decoders) for readers.
 *
 * Binary layout of one array, as VTK defines it (all header words are `header_type`, UInt64 here
 * by default, in the file's byte order):
 *   uncompressed: [nbytes] payload
 *   zlib:         [nblocks, blockSize, lastBlockSize, csize_1 .. csize_n] zblock_1 .. zblock_n
 * where every block but the last holds `blockSize` uncompressed bytes and `lastBlockSize` is the
 * uncompressed size of the last block (0 meaning "full").
 *
 * In base64 mode VTK encodes the compression header and the compressed blocks as two separate
 * base64 streams (each padded on its own), while an uncompressed header + payload form a single
 * stream. Readers (VTK's vtkXMLDataParser, vtk.js) rely on exactly this split.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import { promisify } from 'node:util';
import { deflate, inflateSync } from 'node:zlib';
import { InputError } from '../../core/errors.js';
import type { VoxelArray } from '../../core/volume.js';

const deflateAsync = promisify(deflate);

const HOST_LITTLE_ENDIAN = endianness() === 'LE';

export type VtkScalarType =
  | 'Int8' | 'UInt8' | 'Int16' | 'UInt16' | 'Int32' | 'UInt32' | 'Int64' | 'UInt64' | 'Float32' | 'Float64';

export const VTK_TYPE_BYTES: Record<VtkScalarType, number> = {
  Int8: 1, UInt8: 1, Int16: 2, UInt16: 2, Int32: 4, UInt32: 4, Int64: 8, UInt64: 8, Float32: 4, Float64: 8,
};

/** Typed arrays we can write: the voxel dtypes plus 64-bit integers (large connectivity). */
export type NumericArray = VoxelArray | BigInt64Array | BigUint64Array;

export function vtkTypeOf(a: NumericArray): VtkScalarType {
  if (a instanceof Uint8Array) return 'UInt8';
  if (a instanceof Int8Array) return 'Int8';
  if (a instanceof Uint16Array) return 'UInt16';
  if (a instanceof Int16Array) return 'Int16';
  if (a instanceof Uint32Array) return 'UInt32';
  if (a instanceof Int32Array) return 'Int32';
  if (a instanceof Float32Array) return 'Float32';
  if (a instanceof Float64Array) return 'Float64';
  if (a instanceof BigInt64Array) return 'Int64';
  if (a instanceof BigUint64Array) return 'UInt64';
  throw new Error('vtkTypeOf: unsupported array type');
}

export interface VtkEncodingOptions {
  /** Default 'zlib' (vtkZLibDataCompressor). */
  compression?: 'zlib' | 'none';
  /** 'appended-raw' (default): binary <AppendedData>; 'base64': inline `format="binary"`. */
  encoding?: 'appended-raw' | 'base64';
  /** Uncompressed bytes per zlib block. Default 1 MiB. */
  blockSize?: number;
  /** zlib level 1..9. Default 6. */
  compressionLevel?: number;
  /** Width of the size headers. Default 'UInt64' (needed for arrays over 4 GiB). */
  headerType?: 'UInt32' | 'UInt64';
}

/** Little-endian bytes of an array, produced piecewise so large data never need one big copy. */
export interface ByteSource {
  byteLength: number;
  /** Chunks that together hold exactly `byteLength` bytes; each must stay unmodified afterwards. */
  chunks(): Iterable<Uint8Array>;
}

/** Bytes per chunk handed out by sources (views, not copies, on little-endian hosts). */
const SOURCE_CHUNK_BYTES = 4 << 20;

/** Reverse the byte order of each `wordSize`-byte word, in place. */
export function swapBytes(bytes: Uint8Array, wordSize: number): void {
  if (wordSize === 1) return;
  for (let i = 0; i + wordSize <= bytes.length; i += wordSize) {
    for (let a = i, b = i + wordSize - 1; a < b; a++, b--) {
      const t = bytes[a]; bytes[a] = bytes[b]; bytes[b] = t;
    }
  }
}

/** A typed array as a little-endian byte source (zero-copy on little-endian hosts). */
export function typedArraySource(a: NumericArray): ByteSource {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const wordSize = a.BYTES_PER_ELEMENT;
  return {
    byteLength: bytes.length,
    *chunks() {
      for (let i = 0; i < bytes.length; i += SOURCE_CHUNK_BYTES) {
        const view = bytes.subarray(i, Math.min(bytes.length, i + SOURCE_CHUNK_BYTES));
        if (HOST_LITTLE_ENDIAN) { yield view; continue; }
        const copy = view.slice();
        swapBytes(copy, wordSize);
        yield copy;
      }
    },
  };
}

/**
 * A byte source computed on the fly: `fill(out, start)` writes elements start.. into `out` (a fresh
 * typed array of the right type per chunk). Used for derived arrays (mesh points, connectivity,
 * restricted cell data) so they never exist in full in memory. Chunks hold whole tuples of
 * `tupleSize` elements (so `start` and `out.length` are multiples of it).
 */
export function generatedSource<T extends NumericArray>(
  count: number,
  alloc: (n: number) => T,
  fill: (out: T, start: number) => void,
  tupleSize = 1,
): ByteSource {
  const probe = alloc(0);
  const bpe = probe.BYTES_PER_ELEMENT;
  const perChunk = tupleSize * Math.max(1, Math.floor(SOURCE_CHUNK_BYTES / bpe / tupleSize));
  return {
    byteLength: count * bpe,
    *chunks() {
      for (let start = 0; start < count; start += perChunk) {
        const out = alloc(Math.min(perChunk, count - start));
        fill(out, start);
        const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
        if (!HOST_LITTLE_ENDIAN) swapBytes(bytes, bpe);
        yield bytes;
      }
    },
  };
}

/** Re-cut a byte source into blocks of exactly `blockSize` bytes (the last may be shorter). */
function* reblock(source: ByteSource, blockSize: number): Iterable<Uint8Array> {
  let pending: Uint8Array | null = null;
  let filled = 0;
  for (const chunk of source.chunks()) {
    let i = 0;
    while (i < chunk.length) {
      if (filled === 0 && chunk.length - i >= blockSize) {
        yield chunk.subarray(i, i + blockSize); // aligned: no copy
        i += blockSize;
        continue;
      }
      pending ??= new Uint8Array(blockSize);
      const n = Math.min(blockSize - filled, chunk.length - i);
      pending.set(chunk.subarray(i, i + n), filled);
      filled += n; i += n;
      if (filled === blockSize) { yield pending; pending = null; filled = 0; }
    }
  }
  if (pending && filled > 0) yield pending.subarray(0, filled);
}

/** Compress blocks on the libuv thread pool, a few at a time, yielding results in order. */
async function* compressBlocks(source: ByteSource, blockSize: number, level: number): AsyncIterable<Buffer> {
  const inFlight: Promise<Buffer>[] = [];
  const maxInFlight = 4;
  for (const block of reblock(source, blockSize)) {
    const p = deflateAsync(block, { level });
    p.catch(() => undefined); // surfaced when awaited below; avoid unhandled-rejection noise
    inFlight.push(p);
    if (inFlight.length >= maxInFlight) yield await inFlight.shift()!;
  }
  while (inFlight.length > 0) yield await inFlight.shift()!;
}

export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Shortest round-tripping text for a finite number. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`cannot write non-finite number ${v} as a VTK attribute`);
  return String(v);
}

export interface DataArraySpec {
  name: string;
  type: VtkScalarType;
  components: number;
  source: ByteSource;
  /** Written as NumberOfTuples (needed in FieldData only). */
  numberOfTuples?: number;
}

/** Characters reserved for an appended-data offset attribute, patched once the offset is known. */
const OFFSET_FIELD_WIDTH = 40;

/**
 * Writes one VTK XML file through a file handle: XML text is buffered, binary data streamed, and
 * values known only later (appended offsets, compression headers) are patched in place, the way
 * VTK's own writer reserves attribute space.
 */
export class VtkXmlWriter {
  private pos = 0;
  private textParts: Buffer[] = [];
  private textBytes = 0;
  private appended: { spec: DataArraySpec; patchAt: number }[] = [];
  readonly compression: 'zlib' | 'none';
  readonly encoding: 'appended-raw' | 'base64';
  readonly headerType: 'UInt32' | 'UInt64';
  private readonly blockSize: number;
  private readonly level: number;

  private constructor(private readonly fh: FileHandle, opts: VtkEncodingOptions) {
    this.compression = opts.compression ?? 'zlib';
    this.encoding = opts.encoding ?? 'appended-raw';
    this.headerType = opts.headerType ?? 'UInt64';
    this.blockSize = opts.blockSize ?? 1 << 20;
    this.level = opts.compressionLevel ?? 6;
    if (!Number.isInteger(this.blockSize) || this.blockSize < 1) throw new Error(`invalid VTK block size ${this.blockSize}`);
    if (this.headerType === 'UInt32' && this.blockSize > 0xffffffff) throw new Error('block size too large for a UInt32 header');
  }

  static async open(path: string, opts: VtkEncodingOptions = {}): Promise<VtkXmlWriter> {
    return new VtkXmlWriter(await open(path, 'w'), opts);
  }

  /** `<VTKFile ...>` opening tag for the given data set type. */
  fileOpenTag(type: string): string {
    const compressor = this.compression === 'zlib' ? ' compressor="vtkZLibDataCompressor"' : '';
    const version = this.headerType === 'UInt64' ? '1.0' : '0.1';
    return `<VTKFile type="${type}" version="${version}" byte_order="LittleEndian" header_type="${this.headerType}"${compressor}>\n`;
  }

  /** Queue XML text. */
  text(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.textParts.push(b);
    this.textBytes += b.length;
  }

  /** File position of the next byte written. */
  private get cursor(): number {
    return this.pos + this.textBytes;
  }

  private async flushText(): Promise<void> {
    if (this.textBytes === 0) return;
    const b = this.textParts.length === 1 ? this.textParts[0] : Buffer.concat(this.textParts, this.textBytes);
    this.textParts = [];
    this.textBytes = 0;
    await this.writeBytes(b);
  }

  private async writeBytes(b: Uint8Array): Promise<void> {
    let done = 0;
    while (done < b.length) {
      const { bytesWritten } = await this.fh.write(b, done, b.length - done, this.pos + done);
      done += bytesWritten;
    }
    this.pos += b.length;
  }

  private async patch(at: number, b: Uint8Array): Promise<void> {
    let done = 0;
    while (done < b.length) {
      const { bytesWritten } = await this.fh.write(b, done, b.length - done, at + done);
      done += bytesWritten;
    }
  }

  /**
   * Write a <DataArray> element: inline (base64) right away, or as a self-closing tag whose data
   * go to <AppendedData> in `finish()`.
   */
  async dataArray(spec: DataArraySpec, indent: string): Promise<void> {
    const wordSize = VTK_TYPE_BYTES[spec.type];
    if (spec.source.byteLength % (wordSize * spec.components) !== 0) {
      throw new Error(`array "${spec.name}": byte length is not a whole number of tuples`);
    }
    let tag = `${indent}<DataArray type="${spec.type}" Name="${xmlEscape(spec.name)}"`;
    if (spec.components !== 1) tag += ` NumberOfComponents="${spec.components}"`;
    if (spec.numberOfTuples !== undefined) tag += ` NumberOfTuples="${spec.numberOfTuples}"`;
    if (this.encoding === 'appended-raw') {
      this.text(`${tag} format="appended" `);
      const patchAt = this.cursor;
      this.text(`offset="0"`.padEnd(OFFSET_FIELD_WIDTH, ' ') + '/>\n');
      this.appended.push({ spec, patchAt });
      return;
    }
    this.text(`${tag} format="binary">\n${indent}  `);
    await this.flushText();
    await this.writeArrayPayload(spec.source);
    this.text(`\n${indent}</DataArray>\n`);
  }

  /** Write appended data (if any) and close the file. The caller has closed its data set element. */
  async finish(): Promise<void> {
    if (this.appended.length > 0) {
      this.text('  <AppendedData encoding="raw">\n   _');
      await this.flushText();
      const start = this.pos;
      for (const { spec, patchAt } of this.appended) {
        const offset = this.pos - start;
        await this.patch(patchAt, Buffer.from(`offset="${offset}"`.padEnd(OFFSET_FIELD_WIDTH, ' '), 'latin1'));
        await this.writeArrayPayload(spec.source);
      }
      this.text('\n  </AppendedData>\n');
    }
    this.text('</VTKFile>\n');
    await this.flushText();
    await this.fh.close();
  }

  /** Close the handle after a failure (the caller removes the partial file). */
  async abort(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }

  private headerBytes(words: number[]): Buffer {
    const ws = this.headerType === 'UInt64' ? 8 : 4;
    const b = Buffer.alloc(words.length * ws);
    words.forEach((w, i) => {
      if (ws === 8) b.writeBigUInt64LE(BigInt(w), i * 8);
      else {
        if (w > 0xffffffff) throw new Error(`value ${w} does not fit a UInt32 header (use headerType UInt64)`);
        b.writeUInt32LE(w, i * 4);
      }
    });
    return b;
  }

  /** Header + (compressed) payload of one array, raw or base64 as configured. */
  private async writeArrayPayload(source: ByteSource): Promise<void> {
    const base64 = this.encoding === 'base64';
    const ws = this.headerType === 'UInt64' ? 8 : 4;
    if (this.compression === 'none') {
      // One stream: size word followed by the payload.
      const out = base64 ? new Base64Stream((b) => this.writeBytes(b)) : null;
      const header = this.headerBytes([source.byteLength]);
      if (out) await out.write(header); else await this.writeBytes(header);
      for (const chunk of source.chunks()) {
        if (out) await out.write(chunk); else await this.writeBytes(chunk);
      }
      if (out) await out.end();
      return;
    }
    const n = source.byteLength;
    const nBlocks = Math.ceil(n / this.blockSize);
    const lastBlock = n % this.blockSize;
    const headerLen = (3 + nBlocks) * ws;
    // Reserve the header (its own base64 stream in base64 mode), fill it in once sizes are known.
    const headerAt = this.pos;
    const reserved = base64 ? 4 * Math.ceil(headerLen / 3) : headerLen;
    await this.writeBytes(Buffer.alloc(reserved, base64 ? 0x41 /* 'A' */ : 0));
    const sizes: number[] = [];
    const out = base64 ? new Base64Stream((b) => this.writeBytes(b)) : null;
    for await (const z of compressBlocks(source, this.blockSize, this.level)) {
      sizes.push(z.length);
      if (out) await out.write(z); else await this.writeBytes(z);
    }
    if (out) await out.end();
    if (sizes.length !== nBlocks) throw new Error('internal error: block count mismatch');
    const header = this.headerBytes([nBlocks, this.blockSize, lastBlock, ...sizes]);
    await this.patch(headerAt, base64 ? Buffer.from(header.toString('base64'), 'latin1') : header);
  }
}

/** Streaming base64 encoder: carries 0..2 leftover bytes between writes so no padding appears mid-stream. */
class Base64Stream {
  private carry = Buffer.alloc(0);
  constructor(private readonly sink: (b: Uint8Array) => Promise<void>) {}

  async write(bytes: Uint8Array): Promise<void> {
    let data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (this.carry.length > 0) {
      const take = Math.min(3 - this.carry.length, data.length);
      this.carry = Buffer.concat([this.carry, data.subarray(0, take)]);
      data = data.subarray(take);
      if (this.carry.length < 3) return;
      await this.sink(Buffer.from(this.carry.toString('base64'), 'latin1'));
      this.carry = Buffer.alloc(0);
    }
    const aligned = data.length - (data.length % 3);
    // Encode in pieces (multiples of 3 bytes) to keep strings small.
    const piece = 3 * (1 << 18);
    for (let i = 0; i < aligned; i += piece) {
      const part = data.subarray(i, Math.min(aligned, i + piece));
      await this.sink(Buffer.from(part.toString('base64'), 'latin1'));
    }
    if (aligned < data.length) this.carry = Buffer.from(data.subarray(aligned));
  }

  async end(): Promise<void> {
    if (this.carry.length > 0) await this.sink(Buffer.from(this.carry.toString('base64'), 'latin1'));
    this.carry = Buffer.alloc(0);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Range of the element's inner content in the parsed text ([start, start) for <x/>). */
  contentStart: number;
  contentEnd: number;
  /** Range of the whole element, from its '<' to just after its closing '>'. */
  start: number;
  end: number;
}

function xmlUnescape(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#x[0-9a-fA-F]+|#\d+);/g, (_m, e: string) => {
    switch (e) {
      case 'lt': return '<';
      case 'gt': return '>';
      case 'amp': return '&';
      case 'quot': return '"';
      case 'apos': return "'";
      default: return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    }
  });
}

/**
 * Minimal XML parser for VTK headers: elements, attributes, text ranges; skips the prolog,
 * comments and doctype. Throws InputError(source, ...) on malformed or truncated input.
 */
export function parseXml(text: string, source: string): XmlElement {
  const root: XmlElement = { name: '#document', attrs: {}, children: [], contentStart: 0, contentEnd: text.length, start: 0, end: text.length };
  const stack: XmlElement[] = [root];
  let i = 0;
  const fail = (why: string): never => { throw new InputError(source, `malformed VTK XML: ${why}`); };
  while (true) {
    const lt = text.indexOf('<', i);
    if (lt < 0) break;
    if (text.startsWith('<?', lt)) {
      const end = text.indexOf('?>', lt);
      if (end < 0) fail('unterminated processing instruction');
      i = end + 2; continue;
    }
    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt);
      if (end < 0) fail('unterminated comment');
      i = end + 3; continue;
    }
    if (text.startsWith('<!', lt)) {
      const end = text.indexOf('>', lt);
      if (end < 0) fail('unterminated declaration');
      i = end + 1; continue;
    }
    // Find the end of the tag, honouring quoted attribute values.
    let j = lt + 1;
    let quote = '';
    for (; j < text.length; j++) {
      const c = text[j];
      if (quote) { if (c === quote) quote = ''; } else if (c === '"' || c === "'") quote = c; else if (c === '>') break;
    }
    if (j >= text.length) fail('unterminated tag (file truncated?)');
    const inner = text.slice(lt + 1, j);
    if (inner.startsWith('/')) {
      const name = inner.slice(1).trim();
      const open = stack.pop();
      if (!open || open === root || open.name !== name) fail(`unexpected </${name}>`);
      open!.contentEnd = lt;
      open!.end = j + 1;
      i = j + 1; continue;
    }
    const selfClosing = inner.endsWith('/');
    const body = selfClosing ? inner.slice(0, -1) : inner;
    const m = /^([A-Za-z_][\w.:-]*)/.exec(body);
    if (!m) fail(`bad tag <${inner.slice(0, 40)}>`);
    const el: XmlElement = { name: m![1], attrs: {}, children: [], contentStart: j + 1, contentEnd: j + 1, start: lt, end: j + 1 };
    const attrRe = /([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
    let a: RegExpExecArray | null;
    const rest = body.slice(m![1].length);
    while ((a = attrRe.exec(rest)) !== null) el.attrs[a[1]] = xmlUnescape(a[2] ?? a[3] ?? '');
    stack[stack.length - 1].children.push(el);
    if (!selfClosing) stack.push(el);
    i = j + 1;
  }
  if (stack.length > 1) fail(`<${stack[stack.length - 1].name}> is not closed (file truncated?)`);
  return root;
}

/**
 * The element's own text, without child elements (VTK puts <InformationKey> children inside
 * DataArray elements next to the data).
 */
export function ownText(el: XmlElement, text: string): string {
  if (el.children.length === 0) return text.slice(el.contentStart, el.contentEnd);
  let out = '';
  let at = el.contentStart;
  for (const c of el.children) { out += text.slice(at, c.start); at = c.end; }
  return out + text.slice(at, el.contentEnd);
}

export function childElements(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}

export function childElement(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}

/** What a reader needs to decode the binary arrays of one file. */
export interface DecodeContext {
  /** For error messages (the file path). */
  source: string;
  /** The parsed text (element content ranges index into it). */
  text: string;
  headerType: 'UInt32' | 'UInt64';
  compressed: boolean;
  littleEndian: boolean;
  appended?: { kind: 'raw'; bytes: Uint8Array } | { kind: 'base64'; text: string };
}

/**
 * Read the <VTKFile> root of a VTK XML file held in `buf`: parses the XML header (everything before
 * <AppendedData>), validates byte order, header type and compressor, and locates appended data.
 */
export function openVtkXml(buf: Buffer, source: string, expectedType: string): { root: XmlElement; ctx: DecodeContext } {
  const marker = buf.indexOf('<AppendedData');
  let text: string;
  let appended: DecodeContext['appended'];
  if (marker >= 0) {
    const tagEnd = buf.indexOf('>', marker);
    if (tagEnd < 0) throw new InputError(source, 'truncated file (inside <AppendedData>)');
    const tag = parseXml(buf.toString('latin1', marker, tagEnd + 1) + '</AppendedData>', source).children[0];
    const encoding = tag?.attrs.encoding ?? 'raw';
    let underscore = tagEnd + 1;
    while (underscore < buf.length && (buf[underscore] === 0x20 || buf[underscore] === 0x0a || buf[underscore] === 0x0d || buf[underscore] === 0x09)) underscore++;
    if (buf[underscore] !== 0x5f /* _ */) throw new InputError(source, 'appended data do not start with "_" (file truncated or corrupt?)');
    const end = buf.lastIndexOf('</AppendedData>');
    if (end < underscore) throw new InputError(source, 'truncated file: </AppendedData> is missing');
    // Text form of the header with the appended block replaced by an empty element.
    text = buf.toString('utf8', 0, marker) + '<AppendedData/>' + buf.toString('utf8', end + '</AppendedData>'.length);
    if (encoding === 'raw') {
      // Trailing whitespace before </AppendedData> is harmless: offsets index from "_".
      appended = { kind: 'raw', bytes: buf.subarray(underscore + 1, end) };
    } else if (encoding === 'base64') {
      appended = { kind: 'base64', text: buf.toString('latin1', underscore + 1, end).replace(/\s+/g, '') };
    } else {
      throw new InputError(source, `unsupported AppendedData encoding "${encoding}"`);
    }
  } else {
    text = buf.toString('utf8');
  }
  const doc = parseXml(text, source);
  const root = childElement(doc, 'VTKFile');
  if (!root) throw new InputError(source, 'not a VTK XML file (no <VTKFile> element)');
  const type = root.attrs.type;
  if (type !== expectedType) throw new InputError(source, `expected a VTK ${expectedType} file, got type "${type ?? '?'}"`);
  const byteOrder = root.attrs.byte_order ?? 'LittleEndian';
  if (byteOrder !== 'LittleEndian' && byteOrder !== 'BigEndian') throw new InputError(source, `unknown byte_order "${byteOrder}"`);
  const headerType = root.attrs.header_type ?? 'UInt32';
  if (headerType !== 'UInt32' && headerType !== 'UInt64') throw new InputError(source, `unsupported header_type "${headerType}"`);
  const compressor = root.attrs.compressor;
  if (compressor !== undefined && compressor !== '' && compressor !== 'vtkZLibDataCompressor') {
    throw new InputError(source, `unsupported compressor "${compressor}" (only vtkZLibDataCompressor or none)`);
  }
  return {
    root,
    ctx: {
      source, text, headerType, compressed: compressor === 'vtkZLibDataCompressor',
      littleEndian: byteOrder === 'LittleEndian', appended,
    },
  };
}

const TYPED_ARRAYS = {
  Int8: Int8Array, UInt8: Uint8Array, Int16: Int16Array, UInt16: Uint16Array,
  Int32: Int32Array, UInt32: Uint32Array, Float32: Float32Array, Float64: Float64Array,
} as const;
type ReadableType = keyof typeof TYPED_ARRAYS;

/** Reads header words from bytes in the file's byte order. */
function headerWord(bytes: Uint8Array, at: number, ctx: DecodeContext, what: string): number {
  const ws = ctx.headerType === 'UInt64' ? 8 : 4;
  if (at + ws > bytes.length) throw new InputError(ctx.source, `truncated data in ${what}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset + at, ws);
  if (ws === 4) return dv.getUint32(0, ctx.littleEndian);
  const v = dv.getBigUint64(0, ctx.littleEndian);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new InputError(ctx.source, `implausible size ${v} in ${what}`);
  return Number(v);
}

/** Inflate zlib blocks given the decoded header words [nb, bs, last, sizes...] and the block bytes. */
function inflateBlocks(words: number[], blocks: Uint8Array, blocksAt: number, ctx: DecodeContext, what: string): Uint8Array {
  const [nb, bs, last] = words;
  const total = nb === 0 ? 0 : last === 0 ? nb * bs : (nb - 1) * bs + last;
  if (total > 2 ** 32) throw new InputError(ctx.source, `${what}: implausible uncompressed size ${total}`);
  const out = new Uint8Array(total);
  let at = blocksAt;
  for (let b = 0; b < nb; b++) {
    const size = words[3 + b];
    if (at + size > blocks.length) throw new InputError(ctx.source, `truncated data in ${what}`);
    let raw: Buffer;
    try {
      raw = inflateSync(blocks.subarray(at, at + size));
    } catch (err) {
      throw new InputError(ctx.source, `${what}: corrupt zlib block ${b} (${(err as Error).message})`);
    }
    const expect = b === nb - 1 && last !== 0 ? last : bs;
    if (raw.length !== expect) throw new InputError(ctx.source, `${what}: zlib block ${b} holds ${raw.length} bytes, expected ${expect}`);
    out.set(raw, b * bs);
    at += size;
  }
  return out;
}

/** Payload bytes of a binary array stored raw at `offset` in `bytes`. */
function rawPayload(bytes: Uint8Array, offset: number, ctx: DecodeContext, what: string): Uint8Array {
  const ws = ctx.headerType === 'UInt64' ? 8 : 4;
  if (!ctx.compressed) {
    const n = headerWord(bytes, offset, ctx, what);
    if (offset + ws + n > bytes.length) throw new InputError(ctx.source, `truncated data in ${what}`);
    return bytes.subarray(offset + ws, offset + ws + n);
  }
  const nb = headerWord(bytes, offset, ctx, what);
  const words: number[] = [];
  for (let k = 0; k < 3 + nb; k++) words.push(headerWord(bytes, offset + k * ws, ctx, what));
  return inflateBlocks(words, bytes, offset + (3 + nb) * ws, ctx, what);
}

function decodeBase64Exact(s: string, start: number, chars: number, ctx: DecodeContext, what: string): Buffer {
  if (start + chars > s.length) throw new InputError(ctx.source, `truncated data in ${what}`);
  const part = s.slice(start, start + chars);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(part)) throw new InputError(ctx.source, `${what}: invalid base64 data`);
  return Buffer.from(part, 'base64');
}

/** Payload bytes of a base64 array (whitespace removed) starting at character `start`. */
function base64Payload(s: string, start: number, ctx: DecodeContext, what: string): Uint8Array {
  const ws = ctx.headerType === 'UInt64' ? 8 : 4;
  const charsFor = (nbytes: number) => 4 * Math.ceil(nbytes / 3);
  const first = decodeBase64Exact(s, start, charsFor(ws), ctx, what);
  const w0 = headerWord(first, 0, ctx, what);
  if (!ctx.compressed) {
    const all = decodeBase64Exact(s, start, charsFor(ws + w0), ctx, what);
    if (all.length < ws + w0) throw new InputError(ctx.source, `truncated data in ${what}`);
    return all.subarray(ws, ws + w0);
  }
  const headerChars = charsFor((3 + w0) * ws);
  const header = decodeBase64Exact(s, start, headerChars, ctx, what);
  const words: number[] = [];
  for (let k = 0; k < 3 + w0; k++) words.push(headerWord(header, k * ws, ctx, what));
  const compressedTotal = words.slice(3).reduce((a, b) => a + b, 0);
  const data = decodeBase64Exact(s, start + headerChars, charsFor(compressedTotal), ctx, what);
  return inflateBlocks(words, data, 0, ctx, what);
}

/** Decoded (uncompressed, file byte order) bytes of a binary/appended array element. */
function elementPayload(el: XmlElement, ctx: DecodeContext, what: string): Uint8Array {
  const format = el.attrs.format;
  if (format === 'appended') {
    const offset = Number(el.attrs.offset);
    if (!Number.isInteger(offset) || offset < 0) throw new InputError(ctx.source, `${what}: bad offset "${el.attrs.offset}"`);
    if (!ctx.appended) throw new InputError(ctx.source, `${what}: format="appended" but the file has no <AppendedData>`);
    return ctx.appended.kind === 'raw'
      ? rawPayload(ctx.appended.bytes, offset, ctx, what)
      : base64Payload(ctx.appended.text, offset, ctx, what);
  }
  if (format === 'binary') {
    const s = ownText(el, ctx.text).replace(/\s+/g, '');
    return base64Payload(s, 0, ctx, what);
  }
  throw new InputError(ctx.source, `${what}: unsupported format "${format ?? '?'}"`);
}

/**
 * Decode a numeric <DataArray> holding `tuples` tuples. Returns a fresh typed array (host byte
 * order) with tuples × components values.
 */
export function readDataArray(el: XmlElement, ctx: DecodeContext, tuples: number, what: string): { data: VoxelArray; components: number } {
  const type = el.attrs.type;
  if (!type || !(type in TYPED_ARRAYS)) throw new InputError(ctx.source, `${what}: unsupported data type "${type ?? '?'}"`);
  const Ctor = TYPED_ARRAYS[type as ReadableType];
  const components = Number(el.attrs.NumberOfComponents ?? '1');
  if (!Number.isInteger(components) || components < 1) throw new InputError(ctx.source, `${what}: bad NumberOfComponents`);
  const count = tuples * components;
  if (el.attrs.format === 'ascii') {
    const tokens = ownText(el, ctx.text).trim().split(/\s+/).filter((t) => t.length > 0);
    if (tokens.length !== count) throw new InputError(ctx.source, `${what}: ${tokens.length} values, expected ${count} (shape mismatch)`);
    const out = new Ctor(count);
    for (let k = 0; k < count; k++) {
      const v = Number(tokens[k]);
      if (Number.isNaN(v) && tokens[k].toLowerCase() !== 'nan') throw new InputError(ctx.source, `${what}: bad value "${tokens[k]}"`);
      out[k] = v;
    }
    return { data: out, components };
  }
  const payload = elementPayload(el, ctx, what);
  const bpe = Ctor.BYTES_PER_ELEMENT;
  if (payload.length !== count * bpe) {
    throw new InputError(ctx.source, `${what}: ${payload.length / bpe} values, expected ${count} (shape mismatch)`);
  }
  const out = new Ctor(count);
  const outBytes = new Uint8Array(out.buffer);
  outBytes.set(payload);
  if (ctx.littleEndian !== HOST_LITTLE_ENDIAN) swapBytes(outBytes, bpe);
  return { data: out, components };
}

/** Decode a string <Array type="String"> (strings are NUL-terminated UTF-8 byte runs). */
export function readStringArray(el: XmlElement, ctx: DecodeContext, what: string): string[] {
  let bytes: Uint8Array;
  if (el.attrs.format === 'ascii') {
    const tokens = ownText(el, ctx.text).trim().split(/\s+/).filter((t) => t.length > 0);
    bytes = Uint8Array.from(tokens.map((t) => Number(t) & 0xff));
  } else {
    bytes = elementPayload(el, ctx, what);
  }
  const out: string[] = [];
  let start = 0;
  for (let k = 0; k < bytes.length; k++) {
    if (bytes[k] === 0) { out.push(Buffer.from(bytes.subarray(start, k)).toString('utf8')); start = k + 1; }
  }
  if (start < bytes.length) out.push(Buffer.from(bytes.subarray(start)).toString('utf8'));
  return out;
}

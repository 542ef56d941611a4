/**
 * VTK XML ImageData (.vti) writer and reader.
 *
 * The image has `shape` = [nx, ny, nz] cells (voxels), hence (nx+1)(ny+1)(nz+1) points;
 * WholeExtent is "0 nx 0 ny 0 nz" in point indices. Cell arrays use the lithomech/VTK flat index
 * x + nx*(y + ny*z); point arrays the same with (nx+1, ny+1).
 *
 * Default encoding: binary appended raw data, UInt64 headers, zlib blocks (see xml-encoding.ts).
 */
import { readFile, rm } from 'node:fs/promises';
import { InputError } from '../../core/errors.js';
import type { Shape3, Vec3, VoxelArray } from '../../core/volume.js';
import {
  childElement, childElements, formatNumber, openVtkXml, readDataArray, readStringArray, typedArraySource,
  vtkTypeOf, VtkXmlWriter, xmlEscape, type VtkEncodingOptions,
} from './xml-encoding.js';

/** A data array, optionally with several components per tuple (interleaved). */
export type VtkArrayInput = VoxelArray | { data: VoxelArray; components: number };

export interface VtiData {
  /** Cells per axis [nx, ny, nz]. */
  shape: Shape3;
  /** Voxel edge lengths. */
  spacing: Vec3;
  /** Position of the first point (corner of voxel 0). Default [0, 0, 0]. */
  origin?: Vec3;
  cellData?: Record<string, VtkArrayInput>;
  pointData?: Record<string, VtkArrayInput>;
  /** Metadata: strings become string arrays, number lists Float64 arrays. */
  fieldData?: Record<string, string | number[]>;
}

export interface VtiContents {
  shape: Shape3;
  spacing: Vec3;
  origin: Vec3;
  /** Flat arrays (tuples × components values, interleaved). */
  cellData: Record<string, VoxelArray>;
  pointData: Record<string, VoxelArray>;
  /** Number of components of each array with more than one (absent means 1). */
  components: { cellData: Record<string, number>; pointData: Record<string, number> };
  /** String field arrays as text (several strings joined with "\n"); numeric ones as space-separated numbers. */
  fieldData: Record<string, string>;
}

export type { VtkEncodingOptions } from './xml-encoding.js';

function normalize(input: VtkArrayInput): { data: VoxelArray; components: number } {
  return ArrayBuffer.isView(input) ? { data: input, components: 1 } : input;
}

function checkVec3(v: Vec3, what: string): void {
  if (!Array.isArray(v) || v.length !== 3 || v.some((x) => !Number.isFinite(x))) throw new Error(`writeVti: ${what} must be 3 finite numbers`);
}

/** Write a .vti file. Large arrays are streamed (never converted to one big string or buffer). */
export async function writeVti(path: string, data: VtiData, opts: VtkEncodingOptions = {}): Promise<void> {
  const [nx, ny, nz] = data.shape;
  if (!data.shape.every((n) => Number.isInteger(n) && n >= 1)) throw new Error(`writeVti: bad shape ${JSON.stringify(data.shape)}`);
  checkVec3(data.spacing, 'spacing');
  const origin = data.origin ?? [0, 0, 0];
  checkVec3(origin, 'origin');
  const nCells = nx * ny * nz;
  const nPoints = (nx + 1) * (ny + 1) * (nz + 1);
  const groups = [
    { tag: 'PointData', arrays: data.pointData ?? {}, tuples: nPoints },
    { tag: 'CellData', arrays: data.cellData ?? {}, tuples: nCells },
  ];
  // Validate everything before touching the file.
  for (const g of groups) {
    for (const [name, input] of Object.entries(g.arrays)) {
      const { data: arr, components } = normalize(input);
      if (name.length === 0) throw new Error(`writeVti: empty ${g.tag} array name`);
      if (!Number.isInteger(components) || components < 1) throw new Error(`writeVti: ${g.tag} "${name}": bad components ${components}`);
      if (arr.length !== g.tuples * components) {
        throw new Error(`writeVti: ${g.tag} "${name}" has ${arr.length} values, expected ${g.tuples * components}`);
      }
    }
  }

  const w = await VtkXmlWriter.open(path, opts);
  try {
    const extent = `0 ${nx} 0 ${ny} 0 ${nz}`;
    w.text('<?xml version="1.0"?>\n');
    w.text(w.fileOpenTag('ImageData'));
    w.text(`  <ImageData WholeExtent="${extent}" Origin="${origin.map(formatNumber).join(' ')}" Spacing="${data.spacing.map(formatNumber).join(' ')}">\n`);
    const fieldEntries = Object.entries(data.fieldData ?? {});
    if (fieldEntries.length > 0) {
      w.text('    <FieldData>\n');
      for (const [name, value] of fieldEntries) w.text(fieldArrayXml(name, value, '      '));
      w.text('    </FieldData>\n');
    }
    w.text(`    <Piece Extent="${extent}">\n`);
    for (const g of groups) {
      const entries = Object.entries(g.arrays);
      if (entries.length === 0) { w.text(`      <${g.tag}>\n      </${g.tag}>\n`); continue; }
      // Mark the first single-component array as the active scalars (ParaView colours by it).
      const scalars = entries.find(([, v]) => normalize(v).components === 1)?.[0];
      w.text(`      <${g.tag}${scalars !== undefined ? ` Scalars="${xmlEscape(scalars)}"` : ''}>\n`);
      for (const [name, input] of entries) {
        const { data: arr, components } = normalize(input);
        await w.dataArray({ name, type: vtkTypeOf(arr), components, source: typedArraySource(arr) }, '        ');
      }
      w.text(`      </${g.tag}>\n`);
    }
    w.text('    </Piece>\n  </ImageData>\n');
    await w.finish();
  } catch (err) {
    await w.abort();
    await rm(path, { force: true });
    throw err;
  }
}

/** FieldData entry as ASCII XML (small metadata only). */
function fieldArrayXml(name: string, value: string | number[], indent: string): string {
  if (typeof value === 'string') {
    // VTK ASCII string arrays: the bytes of each string as numbers, each string NUL-terminated.
    const bytes = [...Buffer.from(value, 'utf8'), 0];
    return `${indent}<Array type="String" Name="${xmlEscape(name)}" NumberOfTuples="1" format="ascii">\n${indent}  ${bytes.join(' ')}\n${indent}</Array>\n`;
  }
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
    throw new Error(`writeVti: field data "${name}" must be a string or finite numbers`);
  }
  return `${indent}<DataArray type="Float64" Name="${xmlEscape(name)}" NumberOfTuples="${value.length}" format="ascii">\n${indent}  ${value.map(formatNumber).join(' ')}\n${indent}</DataArray>\n`;
}

function parseNumbers(text: string | undefined, n: number, path: string, what: string): number[] {
  const parts = (text ?? '').trim().split(/\s+/).filter((s) => s.length > 0).map(Number);
  if (parts.length !== n || parts.some((v) => !Number.isFinite(v))) {
    throw new InputError(path, `ImageData ${what} must be ${n} numbers, got "${text ?? ''}"`);
  }
  return parts;
}

/**
 * Read a .vti file written by `writeVti` (or by VTK/ParaView with the same feature set: one piece,
 * appended raw/base64 or inline base64/ascii arrays, zlib or no compression, UInt32/UInt64 headers,
 * axis-aligned). Anything else raises InputError(path, reason).
 */
export async function readVti(path: string): Promise<VtiContents> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    throw new InputError(path, `cannot read file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const { root, ctx } = openVtkXml(buf, path, 'ImageData');
  const image = childElement(root, 'ImageData');
  if (!image) throw new InputError(path, 'no <ImageData> element');
  const whole = parseNumbers(image.attrs.WholeExtent, 6, path, 'WholeExtent');
  if (whole.some((v) => !Number.isInteger(v))) throw new InputError(path, 'WholeExtent must be integers');
  const spacing = parseNumbers(image.attrs.Spacing ?? '1 1 1', 3, path, 'Spacing') as Vec3;
  const origin0 = parseNumbers(image.attrs.Origin ?? '0 0 0', 3, path, 'Origin');
  if (image.attrs.Direction !== undefined) {
    const d = parseNumbers(image.attrs.Direction, 9, path, 'Direction');
    if (d.some((v, k) => v !== (k % 4 === 0 ? 1 : 0))) throw new InputError(path, 'rotated images (non-identity Direction) are not supported');
  }
  const shape = [whole[1] - whole[0], whole[3] - whole[2], whole[5] - whole[4]] as Shape3;
  if (shape.some((n) => n < 1)) {
    throw new InputError(path, `WholeExtent "${image.attrs.WholeExtent}" describes no cells (lithomech volumes have at least one cell per axis)`);
  }
  // A non-zero extent start shifts the first point.
  const origin = origin0.map((o, k) => o + whole[2 * k] * spacing[k]) as Vec3;

  const pieces = childElements(image, 'Piece');
  if (pieces.length !== 1) throw new InputError(path, `expected exactly one <Piece>, found ${pieces.length}`);
  const piece = pieces[0];
  const pieceExtent = parseNumbers(piece.attrs.Extent, 6, path, 'Piece Extent');
  if (pieceExtent.some((v, k) => v !== whole[k])) throw new InputError(path, 'the piece does not cover WholeExtent (partial pieces are not supported)');

  const nCells = shape[0] * shape[1] * shape[2];
  const nPoints = (shape[0] + 1) * (shape[1] + 1) * (shape[2] + 1);
  const result: VtiContents = {
    shape, spacing, origin, cellData: {}, pointData: {}, components: { cellData: {}, pointData: {} }, fieldData: {},
  };
  for (const [tag, key, tuples] of [['CellData', 'cellData', nCells], ['PointData', 'pointData', nPoints]] as const) {
    const group = childElement(piece, tag);
    if (!group) continue;
    for (const el of group.children) {
      const name = el.attrs.Name ?? '';
      const what = `${tag} array "${name}"`;
      if (el.name !== 'DataArray') throw new InputError(path, `${what}: unsupported <${el.name}> (only numeric DataArray)`);
      if (name in result[key]) throw new InputError(path, `${what} appears twice`);
      const { data, components } = readDataArray(el, ctx, tuples, what);
      result[key][name] = data;
      if (components !== 1) result.components[key][name] = components;
    }
  }
  const field = childElement(image, 'FieldData') ?? childElement(piece, 'FieldData');
  if (field) {
    for (const el of field.children) {
      const name = el.attrs.Name ?? '';
      const what = `FieldData array "${name}"`;
      if (el.name === 'Array' && el.attrs.type === 'String') {
        result.fieldData[name] = readStringArray(el, ctx, what).join('\n');
      } else if (el.name === 'DataArray') {
        const tuples = Number(el.attrs.NumberOfTuples ?? NaN);
        if (!Number.isInteger(tuples) || tuples < 0) throw new InputError(path, `${what}: missing NumberOfTuples`);
        result.fieldData[name] = Array.from(readDataArray(el, ctx, tuples, what).data).join(' ');
      } else {
        throw new InputError(path, `${what}: unsupported <${el.name}> type "${el.attrs.type ?? '?'}"`);
      }
    }
  }
  return result;
}

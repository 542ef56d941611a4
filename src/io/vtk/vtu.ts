/**
 * VTK XML UnstructuredGrid (.vtu) writer for voxel meshes: every kept voxel becomes one
 * VTK_HEXAHEDRON (type 12) with corners shared between neighbouring voxels.
 *
 * Points are the used grid corners, numbered in flat corner order (x fastest), at
 * origin + (i, j, k) * spacing. Cells are the kept voxels in flat voxel order; their cell arrays are
 * the input arrays restricted to those voxels. Points, connectivity and restricted arrays are
 * generated chunk by chunk while writing, so the full mesh never exists in memory.
 */
import { rm } from 'node:fs/promises';
import type { Shape3, Vec3, VoxelArray } from '../../core/volume.js';
import {
  generatedSource, vtkTypeOf, VtkXmlWriter, xmlEscape,
  type ByteSource, type NumericArray, type VtkEncodingOptions,
} from './xml-encoding.js';

export const VTK_HEXAHEDRON = 12;

export interface VtuVoxelData {
  /** Cells per axis [nx, ny, nz]. */
  shape: Shape3;
  spacing: Vec3;
  /** Corner of voxel 0. Default [0, 0, 0]. */
  origin?: Vec3;
  /** Phase id per voxel; also written as the cell array "phase" unless `cellData.phase` is given. */
  phase: Uint8Array;
  /** Which voxels become cells: a predicate on the phase id, or a per-voxel mask (non-zero = keep). */
  keep: ((phaseId: number) => boolean) | Uint8Array;
  /** Per-voxel arrays (length = voxel count × components), written for the kept voxels only. */
  cellData?: Record<string, VoxelArray | { data: VoxelArray; components: number }>;
}

export interface VtuSummary {
  cells: number;
  points: number;
}

/** Corner offsets of a VTK hexahedron in VTK order: bottom face (z=0) counter-clockwise, then top. */
const HEX_CORNERS: [number, number, number][] = [
  [0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0],
  [0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1],
];

/** Write the kept voxels as a hexahedral .vtu. */
export async function writeVtu(path: string, data: VtuVoxelData, opts: VtkEncodingOptions = {}): Promise<VtuSummary> {
  const [nx, ny, nz] = data.shape;
  if (!data.shape.every((n) => Number.isInteger(n) && n >= 1)) throw new Error(`writeVtu: bad shape ${JSON.stringify(data.shape)}`);
  const n = nx * ny * nz;
  if (data.phase.length !== n) throw new Error(`writeVtu: phase has ${data.phase.length} values, expected ${n}`);
  const origin = data.origin ?? [0, 0, 0];
  for (const v of [...origin, ...data.spacing]) if (!Number.isFinite(v)) throw new Error('writeVtu: non-finite origin/spacing');

  // Kept voxels, in flat order.
  let keepVoxel: (i: number) => boolean;
  if (typeof data.keep === 'function') {
    const lut = new Uint8Array(256);
    for (let p = 0; p < 256; p++) lut[p] = data.keep(p) ? 1 : 0;
    const phase = data.phase;
    keepVoxel = (i) => lut[phase[i]] === 1;
  } else {
    const mask = data.keep;
    if (mask.length !== n) throw new Error(`writeVtu: keep mask has ${mask.length} values, expected ${n}`);
    keepVoxel = (i) => mask[i] !== 0;
  }
  let nCells = 0;
  for (let i = 0; i < n; i++) if (keepVoxel(i)) nCells++;
  const kept = new Uint32Array(nCells);
  for (let i = 0, c = 0; i < n; i++) if (keepVoxel(i)) kept[c++] = i;

  // Used corners → point ids in flat corner order.
  const px = nx + 1, py = ny + 1, pz = nz + 1;
  const nCorners = px * py * pz;
  const cornerOffsets = HEX_CORNERS.map(([a, b, c]) => a + px * (b + py * c));
  /** Flat corner index of a voxel's (0,0,0) corner. */
  const cellBase = (i: number) => {
    const x = i % nx;
    const t = (i - x) / nx;
    const y = t % ny;
    return x + px * (y + py * ((t - y) / ny));
  };
  const NONE = 0xffffffff;
  const pointId = new Uint32Array(nCorners).fill(NONE);
  for (let c = 0; c < nCells; c++) {
    const base = cellBase(kept[c]);
    for (const off of cornerOffsets) pointId[base + off] = 0;
  }
  let nPoints = 0;
  for (let k = 0; k < nCorners; k++) if (pointId[k] !== NONE) pointId[k] = nPoints++;
  const usedCorners = new Uint32Array(nPoints);
  for (let k = 0; k < nCorners; k++) if (pointId[k] !== NONE) usedCorners[pointId[k]] = k;

  // Streams for the mesh arrays; each fill works on whole tuples (see generatedSource).
  const [ox, oy, oz] = origin;
  const [dx, dy, dz] = data.spacing;
  const points = generatedSource(nPoints * 3, (m) => new Float64Array(m), (out, start) => {
    for (let v = 0, p = start / 3; v < out.length; v += 3, p++) {
      const k = usedCorners[p];
      const ix = k % px;
      const t = (k - ix) / px;
      const iy = t % py;
      out[v] = ox + ix * dx;
      out[v + 1] = oy + iy * dy;
      out[v + 2] = oz + ((t - iy) / py) * dz;
    }
  }, 3);
  const bigIds = nPoints > 0x7fffffff || nCells * 8 > 0x7fffffff;
  const idType = bigIds ? 'Int64' : 'Int32';
  const c0 = cornerOffsets[0], c1 = cornerOffsets[1], c2 = cornerOffsets[2], c3 = cornerOffsets[3];
  const c4 = cornerOffsets[4], c5 = cornerOffsets[5], c6 = cornerOffsets[6], c7 = cornerOffsets[7];
  const fillConnectivity = (out: Int32Array | BigInt64Array, start: number) => {
    const ids = out instanceof Int32Array ? out : new Int32Array(0);
    for (let v = 0, c = start / 8; v < out.length; v += 8, c++) {
      const b = cellBase(kept[c]);
      if (out instanceof BigInt64Array) {
        for (let m = 0; m < 8; m++) out[v + m] = BigInt(pointId[b + cornerOffsets[m]]);
        continue;
      }
      ids[v] = pointId[b + c0]; ids[v + 1] = pointId[b + c1]; ids[v + 2] = pointId[b + c2]; ids[v + 3] = pointId[b + c3];
      ids[v + 4] = pointId[b + c4]; ids[v + 5] = pointId[b + c5]; ids[v + 6] = pointId[b + c6]; ids[v + 7] = pointId[b + c7];
    }
  };
  const fillOffsets = (out: Int32Array | BigInt64Array, start: number) => {
    for (let v = 0; v < out.length; v++) {
      if (out instanceof BigInt64Array) out[v] = BigInt(8 * (start + v + 1)); else out[v] = 8 * (start + v + 1);
    }
  };
  const connectivity = bigIds
    ? generatedSource(nCells * 8, (m) => new BigInt64Array(m), fillConnectivity, 8)
    : generatedSource(nCells * 8, (m) => new Int32Array(m), fillConnectivity, 8);
  const offsets = bigIds
    ? generatedSource(nCells, (m) => new BigInt64Array(m), fillOffsets)
    : generatedSource(nCells, (m) => new Int32Array(m), fillOffsets);
  const types = generatedSource(nCells, (m) => new Uint8Array(m), (out) => out.fill(VTK_HEXAHEDRON));

  const restrict = (arr: VoxelArray, components: number): ByteSource =>
    generatedSource(nCells * components, (m) => allocLike(arr, m), (out, start) => {
      if (components === 1) {
        for (let v = 0; v < out.length; v++) out[v] = arr[kept[start + v]];
        return;
      }
      for (let v = 0, c = start / components; v < out.length; v += components, c++) {
        const from = kept[c] * components;
        for (let m = 0; m < components; m++) out[v + m] = arr[from + m];
      }
    }, components);
  const cellArrays: { name: string; arr: VoxelArray; components: number }[] = [];
  const userArrays = data.cellData ?? {};
  if (!('phase' in userArrays)) cellArrays.push({ name: 'phase', arr: data.phase, components: 1 });
  for (const [name, input] of Object.entries(userArrays)) {
    const { data: arr, components } = ArrayBuffer.isView(input) ? { data: input, components: 1 } : input;
    if (!Number.isInteger(components) || components < 1) throw new Error(`writeVtu: cell array "${name}": bad components`);
    if (arr.length !== n * components) throw new Error(`writeVtu: cell array "${name}" has ${arr.length} values, expected ${n * components}`);
    cellArrays.push({ name, arr, components });
  }

  const w = await VtkXmlWriter.open(path, opts);
  try {
    w.text('<?xml version="1.0"?>\n');
    w.text(w.fileOpenTag('UnstructuredGrid'));
    w.text('  <UnstructuredGrid>\n');
    w.text(`    <Piece NumberOfPoints="${nPoints}" NumberOfCells="${nCells}">\n`);
    w.text('      <PointData>\n      </PointData>\n');
    const scalars = cellArrays.find((a) => a.components === 1)?.name;
    w.text(`      <CellData${scalars !== undefined ? ` Scalars="${xmlEscape(scalars)}"` : ''}>\n`);
    for (const a of cellArrays) {
      await w.dataArray({ name: a.name, type: vtkTypeOf(a.arr), components: a.components, source: restrict(a.arr, a.components) }, '        ');
    }
    w.text('      </CellData>\n');
    w.text('      <Points>\n');
    await w.dataArray({ name: 'Points', type: 'Float64', components: 3, source: points }, '        ');
    w.text('      </Points>\n');
    w.text('      <Cells>\n');
    await w.dataArray({ name: 'connectivity', type: idType, components: 1, source: connectivity }, '        ');
    await w.dataArray({ name: 'offsets', type: idType, components: 1, source: offsets }, '        ');
    await w.dataArray({ name: 'types', type: 'UInt8', components: 1, source: types }, '        ');
    w.text('      </Cells>\n');
    w.text('    </Piece>\n  </UnstructuredGrid>\n');
    await w.finish();
  } catch (err) {
    await w.abort();
    await rm(path, { force: true });
    throw err;
  }
  return { cells: nCells, points: nPoints };
}

function allocLike(a: NumericArray, n: number): VoxelArray {
  const Ctor = a.constructor as new (n: number) => VoxelArray;
  return new Ctor(n);
}

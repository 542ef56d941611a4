import { describe, expect, it } from 'vitest';
import type { Shape3 } from '../../../src/core/volume.js';
import { crop, downsampleMajority, electrodeExtent, padLayers, parseCrop, removeIsolatedSolid } from '../../../src/mesh/ops.js';
import { parsePhaseMapText } from '../../../src/mesh/phases.js';
import type { Rve } from '../../../src/mesh/rve.js';

const idx = (s: Shape3, x: number, y: number, z: number) => x + s[0] * (y + s[1] * z);

describe('crop', () => {
  it('parses ranges and copies the sub-box', () => {
    const shape: Shape3 = [4, 3, 2];
    const data = new Uint16Array(24).map((_, i) => i);
    const r = parseCrop('1:3,:,1:', shape);
    expect(r).toEqual([[1, 3], [0, 3], [1, 2]]);
    const c = crop(data, shape, r);
    expect(c.shape).toEqual([2, 3, 1]);
    expect([...c.data]).toEqual([13, 14, 17, 18, 21, 22]);
    expect(c.data).toBeInstanceOf(Uint16Array);
  });
  it('rejects ranges outside the volume', () => {
    expect(() => parseCrop('0:5,:,:', [4, 3, 2])).toThrow(/--crop: x range 0:5 is outside the volume \(0:4\)/);
    expect(() => parseCrop('2:2,:,:', [4, 3, 2])).toThrow(/empty/);
    expect(() => parseCrop('0:1,0:1', [4, 3, 2])).toThrow(/expected/);
  });
});

describe('downsampleMajority', () => {
  it('votes per block, ties to the lowest id, partial blocks at the end', () => {
    const shape: Shape3 = [3, 2, 2];
    const ph = new Uint8Array(12);
    // block (0,0,0) covers x 0..1, y 0..1, z 0..1: 8 voxels, 4 of phase 2 and 4 of phase 1 → tie → 1
    for (let z = 0; z < 2; z++) for (let y = 0; y < 2; y++) { ph[idx(shape, 0, y, z)] = 2; ph[idx(shape, 1, y, z)] = 1; }
    // partial block x = 2: phase 3 in 3 of 4 voxels
    ph[idx(shape, 2, 0, 0)] = 3; ph[idx(shape, 2, 1, 0)] = 3; ph[idx(shape, 2, 0, 1)] = 3;
    const d = downsampleMajority(ph, shape, 2);
    expect(d.shape).toEqual([2, 1, 1]);
    expect([...d.data]).toEqual([1, 3]);
  });
});

function slab(shape: Shape3, fill: (x: number, y: number, z: number) => number): Rve {
  const phase = new Uint8Array(shape[0] * shape[1] * shape[2]);
  for (let z = 0; z < shape[2]; z++) for (let y = 0; y < shape[1]; y++) for (let x = 0; x < shape[0]; x++) phase[idx(shape, x, y, z)] = fill(x, y, z);
  return { shape, voxelSize: [1e-6, 1e-6, 1e-6], phase, phases: parsePhaseMapText('0=pore:electrolyte,1=NMC:active,2=CBD:cbd'), thicknessAxis: 2, separatorSide: 'low' };
}

describe('padLayers / electrodeExtent', () => {
  it('adds separator on the separator side and collector on the other', () => {
    const rve = padLayers(slab([2, 2, 3], () => 1), 2, 1);
    expect(rve.shape).toEqual([2, 2, 6]);
    expect(rve.phases.map((p) => p.role)).toEqual(['electrolyte', 'active', 'cbd', 'separator', 'current-collector']);
    const zcol = [0, 1, 2, 3, 4, 5].map((z) => rve.phase[idx(rve.shape, 1, 1, z)]);
    expect(zcol).toEqual([3, 3, 1, 1, 1, 4]);
    expect(electrodeExtent(rve)).toEqual([2, 5]);
    const high = padLayers({ ...slab([1, 1, 2], () => 1), separatorSide: 'high' }, 1, 1);
    expect([...high.phase]).toEqual([4, 1, 1, 3]);
  });
});

describe('removeIsolatedSolid', () => {
  it('removes solid not connected to the collector face and reports it', () => {
    // collector face is z = nz-1 (separator low). A column touching it survives; a floating blob does not.
    const rve = slab([5, 5, 6], (x, y, z) => (x === 1 && y === 1 ? 1 : x === 3 && y === 3 && z >= 1 && z <= 2 ? 2 : 0));
    const { rve: out, report } = removeIsolatedSolid(rve);
    expect(report.clusters).toBe(1);
    expect(report.voxels).toEqual({ CBD: 2 });
    expect(out.phase[idx(rve.shape, 3, 3, 1)]).toBe(0);
    expect(out.phase[idx(rve.shape, 1, 1, 0)]).toBe(1);
    // diagonal contact does not conduct (6-connectivity)
    const diag = slab([3, 3, 3], (x, y, z) => (z === 2 && x === 0 && y === 0) || (z === 1 && x === 1 && y === 1) ? 1 : 0);
    expect(removeIsolatedSolid(diag).report.clusters).toBe(1);
  });
});

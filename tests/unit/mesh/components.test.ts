import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/core/rng.js';
import type { Shape3 } from '../../../src/core/volume.js';
import { componentsTouching, labelComponents, percolates } from '../../../src/mesh/components.js';

/** Plain BFS reference: components numbered in flat order of their first voxel. */
function referenceLabels(mask: Uint8Array, shape: Shape3, conn: 6 | 26): { labels: Int32Array; count: number } {
  const [nx, ny, nz] = shape;
  const labels = new Int32Array(mask.length);
  const offs: number[][] = [];
  for (let dz = -1; dz <= 1; dz++) for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
    const m = Math.abs(dx) + Math.abs(dy) + Math.abs(dz);
    if (m === 0 || (conn === 6 && m > 1)) continue;
    offs.push([dx, dy, dz]);
  }
  let count = 0;
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || labels[start]) continue;
    labels[start] = ++count;
    const stack = [start];
    while (stack.length) {
      const i = stack.pop()!;
      const x = i % nx, y = Math.floor(i / nx) % ny, z = Math.floor(i / (nx * ny));
      for (const [dx, dy, dz] of offs) {
        const xx = x + dx, yy = y + dy, zz = z + dz;
        if (xx < 0 || yy < 0 || zz < 0 || xx >= nx || yy >= ny || zz >= nz) continue;
        const j = xx + nx * (yy + ny * zz);
        if (mask[j] && !labels[j]) { labels[j] = count; stack.push(j); }
      }
    }
  }
  return { labels, count };
}

function randomMask(rng: Rng, shape: Shape3, p: number): Uint8Array {
  const m = new Uint8Array(shape[0] * shape[1] * shape[2]);
  for (let i = 0; i < m.length; i++) m[i] = rng.uniform() < p ? 1 : 0;
  return m;
}

describe('labelComponents', () => {
  it('distinguishes 6- from 26-connectivity on diagonally touching voxels', () => {
    const shape: Shape3 = [3, 3, 3];
    const idx = (x: number, y: number, z: number) => x + 3 * (y + 3 * z);
    // edge-adjacent pair
    const m = new Uint8Array(27);
    m[idx(0, 0, 0)] = 1; m[idx(1, 1, 0)] = 1;
    expect(labelComponents(m, shape, 6).count).toBe(2);
    expect(labelComponents(m, shape, 26).count).toBe(1);
    // corner-adjacent chain along the main diagonal
    const d = new Uint8Array(27);
    d[idx(0, 0, 0)] = 1; d[idx(1, 1, 1)] = 1; d[idx(2, 2, 2)] = 1;
    expect(labelComponents(d, shape, 6).count).toBe(3);
    expect(labelComponents(d, shape, 26).count).toBe(1);
    // anti-diagonal corner contact (x decreasing while y, z increase)
    const a = new Uint8Array(27);
    a[idx(2, 0, 0)] = 1; a[idx(1, 1, 1)] = 1; a[idx(0, 2, 2)] = 1;
    expect(labelComponents(a, shape, 26).count).toBe(1);
    expect(labelComponents(a, shape, 6).count).toBe(3);
    // edge contact in the x-z plane going backwards in x
    const b = new Uint8Array(27);
    b[idx(2, 1, 0)] = 1; b[idx(1, 1, 1)] = 1;
    expect(labelComponents(b, shape, 26).count).toBe(1);
    expect(labelComponents(b, shape, 6).count).toBe(2);
  });

  it('numbers components in flat order of their first voxel and reports sizes', () => {
    const shape: Shape3 = [5, 1, 1];
    const m = Uint8Array.from([1, 0, 1, 1, 0]);
    const r = labelComponents(m, shape, 6);
    expect(Array.from(r.labels)).toEqual([1, 0, 2, 2, 0]);
    expect(r.count).toBe(2);
    expect(Array.from(r.sizes)).toEqual([0, 1, 2]);
  });

  it('merges a U shape whose arms meet late in raster order into one component', () => {
    // Two arms starting separately on row y=0, joined at the bottom row y=4: the union must
    // relabel the second arm (provisional label 2) to 1.
    const shape: Shape3 = [5, 5, 1];
    const m = new Uint8Array(25);
    for (let y = 0; y < 5; y++) { m[0 + 5 * y] = 1; m[4 + 5 * y] = 1; }
    for (let x = 0; x < 5; x++) m[x + 5 * 4] = 1;
    const r = labelComponents(m, shape, 6);
    expect(r.count).toBe(1);
    expect(r.sizes[1]).toBe(13);
  });

  for (const conn of [6, 26] as const) {
    it(`matches a BFS reference on random masks (connectivity ${conn})`, () => {
      const rng = new Rng(1234 + conn);
      const shapes: Shape3[] = [[12, 10, 9], [7, 13, 5], [1, 9, 11], [17, 1, 1], [6, 6, 1], [9, 8, 7]];
      for (const shape of shapes) {
        for (const p of [0.1, 0.3, 0.5, 0.7, 0.9]) {
          const m = randomMask(rng, shape, p);
          const got = labelComponents(m, shape, conn);
          const ref = referenceLabels(m, shape, conn);
          expect(got.count).toBe(ref.count);
          expect(Array.from(got.labels)).toEqual(Array.from(ref.labels));
          const sizes = new Float64Array(ref.count + 1);
          for (const l of ref.labels) if (l) sizes[l]++;
          expect(Array.from(got.sizes)).toEqual(Array.from(sizes));
        }
      }
    });
  }

  it('handles empty and full masks', () => {
    const shape: Shape3 = [4, 3, 2];
    expect(labelComponents(new Uint8Array(24), shape, 6).count).toBe(0);
    const full = labelComponents(new Uint8Array(24).fill(1), shape, 26);
    expect(full.count).toBe(1);
    expect(full.sizes[1]).toBe(24);
    expect(labelComponents(new Uint8Array(0), [0, 3, 2], 6).count).toBe(0);
  });

  it('rejects a mask that does not match the shape', () => {
    expect(() => labelComponents(new Uint8Array(10), [3, 3, 1], 6)).toThrow(/does not match/);
  });
});

describe('componentsTouching / percolates', () => {
  const shape: Shape3 = [8, 6, 5];
  const idx = (x: number, y: number, z: number) => x + 8 * (y + 6 * z);

  function channel(blocked: boolean): Uint8Array {
    const m = new Uint8Array(8 * 6 * 5);
    for (let x = 0; x < 8; x++) m[idx(x, 2, 3)] = 1;
    if (blocked) m[idx(4, 2, 3)] = 0;
    return m;
  }

  it('a straight channel along x percolates along x only', () => {
    const m = channel(false);
    expect(percolates(m, shape, 0)).toBe(true);
    expect(percolates(m, shape, 1)).toBe(false);
    expect(percolates(m, shape, 2)).toBe(false);
  });

  it('a blocked channel does not percolate', () => {
    const m = channel(true);
    expect(percolates(m, shape, 0)).toBe(false);
    expect(percolates(m, shape, 0, 26)).toBe(false);
  });

  it('a diagonal step percolates with 26- but not 6-connectivity', () => {
    const m = new Uint8Array(8 * 6 * 5);
    for (let x = 0; x < 4; x++) m[idx(x, 2, 2)] = 1;
    for (let x = 4; x < 8; x++) m[idx(x, 3, 3)] = 1;
    expect(percolates(m, shape, 0, 6)).toBe(false);
    expect(percolates(m, shape, 0, 26)).toBe(true);
  });

  it('componentsTouching lists the ids on each face', () => {
    const m = new Uint8Array(8 * 6 * 5);
    m[idx(0, 0, 0)] = 1;          // id 1: low x, low y, low z
    m[idx(7, 5, 4)] = 1;          // id 3: high x, high y, high z
    m[idx(3, 3, 2)] = 1;          // id 2: interior
    const { labels } = labelComponents(m, shape, 6);
    expect([...componentsTouching(labels, shape, 0, 'low')]).toEqual([1]);
    expect([...componentsTouching(labels, shape, 0, 'high')]).toEqual([3]);
    expect([...componentsTouching(labels, shape, 1, 'low')]).toEqual([1]);
    expect([...componentsTouching(labels, shape, 1, 'high')]).toEqual([3]);
    expect([...componentsTouching(labels, shape, 2, 'low')]).toEqual([1]);
    expect([...componentsTouching(labels, shape, 2, 'high')]).toEqual([3]);
  });
});

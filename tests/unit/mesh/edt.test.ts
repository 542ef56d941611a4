import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/core/rng.js';
import type { Shape3, Vec3 } from '../../../src/core/volume.js';
import { distanceTransform, squaredDistanceTransform } from '../../../src/mesh/edt.js';

/** O(n^2) reference; with `outside`, the one-voxel layer around the box is background too. */
function bruteForce(mask: Uint8Array, shape: Shape3, h: Vec3, outside = false): Float64Array {
  const [nx, ny, nz] = shape;
  const bg: number[][] = [];
  const lo = outside ? -1 : 0;
  for (let z = lo; z < nz - lo; z++) for (let y = lo; y < ny - lo; y++) for (let x = lo; x < nx - lo; x++) {
    const inside = x >= 0 && y >= 0 && z >= 0 && x < nx && y < ny && z < nz;
    if (!inside || mask[x + nx * (y + ny * z)] === 0) bg.push([x, y, z]);
  }
  const out = new Float64Array(mask.length);
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) {
    const i = x + nx * (y + ny * z);
    if (mask[i] === 0) continue;
    let best = Infinity;
    for (const [bx, by, bz] of bg) {
      const dx = (x - bx) * h[0], dy = (y - by) * h[1], dz = (z - bz) * h[2];
      const d = dx * dx + dy * dy + dz * dz;
      if (d < best) best = d;
    }
    out[i] = best;
  }
  return out;
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rel: number): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const w = want[i], g = got[i];
    if (w === Infinity) { expect(g).toBe(Infinity); continue; }
    if (Math.abs(g - w) > rel * Math.max(1, Math.abs(w))) {
      throw new Error(`voxel ${i}: got ${g}, want ${w}`);
    }
  }
}

describe('squaredDistanceTransform', () => {
  it('equals brute force on random 12x10x9 masks with anisotropic spacing', () => {
    const rng = new Rng(7);
    const shape: Shape3 = [12, 10, 9];
    const spacings: Vec3[] = [[1, 1, 1], [0.7, 1.3, 2.1], [2.5, 0.4, 1], [1e-6, 3e-6, 2e-6]];
    for (const h of spacings) {
      for (const p of [0.5, 0.9, 0.99, 0.999]) {
        const m = new Uint8Array(12 * 10 * 9);
        for (let i = 0; i < m.length; i++) m[i] = rng.uniform() < p ? 1 : 0;
        expectClose(squaredDistanceTransform(m, shape, h), bruteForce(m, shape, h), 1e-12);
        expectClose(
          squaredDistanceTransform(m, shape, h, { outsideIsBackground: true }),
          bruteForce(m, shape, h, true),
          1e-12,
        );
      }
    }
  });

  it('gives the exact squared distance to a single background voxel', () => {
    const shape: Shape3 = [7, 6, 5];
    const h: Vec3 = [0.5, 2, 3];
    const m = new Uint8Array(7 * 6 * 5).fill(1);
    const c = [2, 4, 1];
    m[c[0] + 7 * (c[1] + 6 * c[2])] = 0;
    const d = squaredDistanceTransform(m, shape, h);
    for (let z = 0; z < 5; z++) for (let y = 0; y < 6; y++) for (let x = 0; x < 7; x++) {
      const want = ((x - c[0]) * h[0]) ** 2 + ((y - c[1]) * h[1]) ** 2 + ((z - c[2]) * h[2]) ** 2;
      expect(d[x + 7 * (y + 6 * z)]).toBeCloseTo(want, 12);
    }
    expect(d[c[0] + 7 * (c[1] + 6 * c[2])]).toBe(0);
  });

  it('is Infinity everywhere without background, finite with outsideIsBackground', () => {
    const shape: Shape3 = [4, 3, 5];
    const m = new Uint8Array(60).fill(1);
    const d = squaredDistanceTransform(m, shape);
    expect(Array.from(d).every((v) => v === Infinity)).toBe(true);
    const f = distanceTransform(m, shape);
    expect(Array.from(f).every((v) => v === Infinity)).toBe(true);
    const p = squaredDistanceTransform(m, shape, [1, 1, 1], { outsideIsBackground: true });
    // voxel (1,1,2): nearest outside centres are 2 away in x, 2 in y, 3 in z
    expect(p[1 + 4 * (1 + 3 * 2)]).toBe(4);
    expect(p[0]).toBe(1);
  });

  it('is zero on background and works on a 1D line', () => {
    const shape: Shape3 = [10, 1, 1];
    const m = Uint8Array.from([1, 1, 0, 1, 1, 1, 1, 0, 1, 1]);
    const d = squaredDistanceTransform(m, shape, [2, 1, 1]);
    expect(Array.from(d)).toEqual([16, 4, 0, 4, 16, 16, 4, 0, 4, 16]);
    // with the outside as background, y and z neighbours outside are 1 spacing away: make those large
    const e = distanceTransform(m, shape, [2, 10, 10], { outsideIsBackground: true });
    expect(Array.from(distanceTransform(m, shape, [2, 1, 1], { outsideIsBackground: true }))).toEqual([1, 1, 0, 1, 1, 1, 1, 0, 1, 1]);
    expect(Array.from(e)).toEqual([2, 2, 0, 2, 4, 4, 2, 0, 2, 2]);
    // lines along y and z too
    const dy = squaredDistanceTransform(m, [1, 10, 1]);
    const dz = squaredDistanceTransform(m, [1, 1, 10]);
    expect(Array.from(dy)).toEqual([4, 1, 0, 1, 4, 4, 1, 0, 1, 4]);
    expect(Array.from(dz)).toEqual(Array.from(dy));
  });

  it('distanceTransform is the square root in single precision', () => {
    const rng = new Rng(99);
    const shape: Shape3 = [9, 8, 7];
    const m = new Uint8Array(9 * 8 * 7);
    for (let i = 0; i < m.length; i++) m[i] = rng.uniform() < 0.95 ? 1 : 0;
    const h: Vec3 = [1, 1.5, 0.8];
    const sq = squaredDistanceTransform(m, shape, h);
    const d = distanceTransform(m, shape, h);
    expect(d).toBeInstanceOf(Float32Array);
    expectClose(d, Array.from(sq, Math.sqrt), 1e-6);
  });
});

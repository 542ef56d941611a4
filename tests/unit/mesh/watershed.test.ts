import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/core/rng.js';
import type { Shape3, Vec3 } from '../../../src/core/volume.js';
import { labelComponents } from '../../../src/mesh/components.js';
import { distanceTransform } from '../../../src/mesh/edt.js';
import { splitParticles } from '../../../src/mesh/watershed.js';

type Sphere = [number, number, number, number]; // cx, cy, cz, r (physical units)

/** Voxelised union of spheres: voxel centre (x*h0, y*h1, z*h2) inside some sphere. */
function spheres(shape: Shape3, list: Sphere[], h: Vec3 = [1, 1, 1]): Uint8Array {
  const [nx, ny, nz] = shape;
  const m = new Uint8Array(nx * ny * nz);
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) {
    for (const [cx, cy, cz, r] of list) {
      const dx = x * h[0] - cx, dy = y * h[1] - cy, dz = z * h[2] - cz;
      if (dx * dx + dy * dy + dz * dz <= r * r) { m[x + nx * (y + ny * z)] = 1; break; }
    }
  }
  return m;
}

function volumes(labels: Int32Array, count: number): number[] {
  const v = new Array<number>(count + 1).fill(0);
  for (const l of labels) v[l]++;
  return v.slice(1);
}

function expectCoversMask(mask: Uint8Array, labels: Int32Array, count: number): void {
  for (let i = 0; i < mask.length; i++) {
    if ((mask[i] !== 0) !== (labels[i] !== 0)) throw new Error(`voxel ${i}: mask ${mask[i]} label ${labels[i]}`);
    if (labels[i] < 0 || labels[i] > count) throw new Error(`voxel ${i}: label ${labels[i]} out of range`);
  }
  // ids are 1..count, numbered in flat order of first voxel
  let seen = 0;
  for (const l of labels) {
    if (l === 0) continue;
    if (l > seen + 1) throw new Error(`label ${l} appears before label ${seen + 1}`);
    if (l === seen + 1) seen++;
  }
  expect(seen).toBe(count);
}


/**
 * Literal, slow reference: h-maxima markers (reconstruction by iterated geodesic dilation of
 * EDT - h under EDT, regional maxima of the result) and a voxel-wise priority flood (highest EDT
 * first, FIFO on ties) from the markers, 26-connectivity.
 */
function referenceWatershed(mask: Uint8Array, shape: Shape3, h: number): { labels: Int32Array; count: number } {
  const [nx, ny, nz] = shape;
  const n = mask.length;
  const f = distanceTransform(mask, shape);
  const nbrs = (i: number): number[] => {
    const x = i % nx, y = Math.floor(i / nx) % ny, z = Math.floor(i / (nx * ny));
    const out: number[] = [];
    for (let dz = -1; dz <= 1; dz++) for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
      if (!dx && !dy && !dz) continue;
      const xx = x + dx, yy = y + dy, zz = z + dz;
      if (xx < 0 || yy < 0 || zz < 0 || xx >= nx || yy >= ny || zz >= nz) continue;
      const j = xx + nx * (yy + ny * zz);
      if (mask[j]) out.push(j);
    }
    return out;
  };
  const adj: number[][] = [];
  for (let i = 0; i < n; i++) adj.push(mask[i] ? nbrs(i) : []);
  // reconstruction by dilation, iterated to stability
  const rec = new Float64Array(n);
  for (let i = 0; i < n; i++) rec[i] = mask[i] ? f[i] - h : 0;
  for (let changed = true; changed;) {
    changed = false;
    for (let i = 0; i < n; i++) {
      if (!mask[i]) continue;
      let m = rec[i];
      for (const j of adj[i]) if (rec[j] > m) m = rec[j];
      if (m > f[i]) m = f[i];
      if (m > rec[i]) { rec[i] = m; changed = true; }
    }
  }
  // regional maxima of rec: plateaus without a higher neighbour
  const seen = new Uint8Array(n);
  const marker = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (!mask[i] || seen[i]) continue;
    const plateau = [i];
    seen[i] = 1;
    let isMax = true;
    for (let k = 0; k < plateau.length; k++) {
      for (const j of adj[plateau[k]]) {
        if (rec[j] > rec[i]) isMax = false;
        else if (rec[j] === rec[i] && !seen[j]) { seen[j] = 1; plateau.push(j); }
      }
    }
    if (isMax) for (const j of plateau) marker[j] = 1;
  }
  const { labels, count } = labelComponents(marker, shape, 26);
  // priority flood: sort key (-f, insertion counter), simple binary heap
  const heap: Array<[number, number, number]> = [];
  let counter = 0;
  const less = (a: [number, number, number], b: [number, number, number]) => a[0] > b[0] || (a[0] === b[0] && a[1] < b[1]);
  const push = (e: [number, number, number]) => {
    heap.push(e);
    for (let k = heap.length - 1; k > 0;) {
      const p = (k - 1) >> 1;
      if (!less(heap[k], heap[p])) break;
      [heap[k], heap[p]] = [heap[p], heap[k]]; k = p;
    }
  };
  const pop = (): [number, number, number] => {
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length) {
      heap[0] = last;
      for (let k = 0; ;) {
        const l = 2 * k + 1, r = l + 1;
        let m = k;
        if (l < heap.length && less(heap[l], heap[m])) m = l;
        if (r < heap.length && less(heap[r], heap[m])) m = r;
        if (m === k) break;
        [heap[k], heap[m]] = [heap[m], heap[k]]; k = m;
      }
    }
    return top;
  };
  for (let i = 0; i < n; i++) if (labels[i]) push([f[i], counter++, i]);
  while (heap.length) {
    const [lev, , i] = pop();
    for (const j of adj[i]) {
      if (labels[j]) continue;
      labels[j] = labels[i];
      push([Math.min(lev, f[j]), counter++, j]);
    }
  }
  return { labels, count };
}

/** Fraction of mask voxels on which two labellings agree after matching ids by majority overlap. */
function agreement(mask: Uint8Array, a: Int32Array, b: Int32Array): number {
  const pairs = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    total++;
    const key = `${a[i]},${b[i]}`;
    pairs.set(key, (pairs.get(key) ?? 0) + 1);
  }
  const best = new Map<number, number>();
  for (const [key, c] of pairs) {
    const la = Number(key.split(',')[0]);
    best.set(la, Math.max(best.get(la) ?? 0, c));
  }
  let agree = 0;
  for (const c of best.values()) agree += c;
  return agree / total;
}

describe('splitParticles', () => {
  const shape2: Shape3 = [44, 30, 30];
  const two: Sphere[] = [[16, 15, 15, 8], [28, 15, 15, 8]];

  it('splits two overlapping spheres (r = 8, centre distance 12) into two halves', () => {
    const mask = spheres(shape2, two);
    const { labels, count } = splitParticles(mask, shape2, [1, 1, 1]);
    expect(count).toBe(2);
    expectCoversMask(mask, labels, count);
    const union = mask.reduce((a, b) => a + b, 0);
    for (const v of volumes(labels, count)) expect(Math.abs(v - union / 2)).toBeLessThan(0.1 * (union / 2));
    // voxels clearly on one side of the mid-plane x = 22 belong to that side's particle
    const [nx, ny] = shape2;
    for (let i = 0; i < mask.length; i++) {
      if (!mask[i]) continue;
      const x = i % nx;
      if (x <= 20) expect(labels[i]).toBe(1);
      if (x >= 24) expect(labels[i]).toBe(labels[28 + nx * (15 + ny * 15)]);
    }
  });

  it('splits three spheres in a row into three', () => {
    const shape: Shape3 = [52, 26, 26];
    const mask = spheres(shape, [[13, 12.5, 13.2, 8], [25, 12.5, 13.2, 8], [37, 12.5, 13.2, 8]]);
    const { labels, count } = splitParticles(mask, shape);
    expect(count).toBe(3);
    expectCoversMask(mask, labels, count);
    const v = volumes(labels, count);
    expect(Math.min(...v) / Math.max(...v)).toBeGreaterThan(0.7);
  });

  it('does not over-segment single spheres with the default h', () => {
    for (const r of [3, 4.5, 6, 8, 10.3, 12]) {
      const n = Math.ceil(2 * r + 6);
      const shape: Shape3 = [n, n, n];
      const c = n / 2 - 0.3;
      const mask = spheres(shape, [[c, c + 0.17, c - 0.41, r]]);
      const { labels, count } = splitParticles(mask, shape);
      expect(count, `radius ${r}`).toBe(1);
      expectCoversMask(mask, labels, count);
    }
  });

  it('keeps a sphere with a noisy surface as one particle', () => {
    // sphere r = 9 with 40 small bumps (r 1..2.5) centred on its surface and 30 % of the voxels
    // within 1 voxel of the surface flipped
    for (const seed of [1, 4]) {
      const rng = new Rng(seed);
      const n = 34;
      const shape: Shape3 = [n, n, n];
      const c = 16.5, r = 9;
      const bumps: Sphere[] = [];
      for (let k = 0; k < 40; k++) {
        const ux = rng.normal(), uy = rng.normal(), uz = rng.normal();
        const u = Math.hypot(ux, uy, uz);
        bumps.push([c + (r * ux) / u, c + (r * uy) / u, c + (r * uz) / u, 1 + 1.5 * rng.uniform()]);
      }
      const mask = spheres(shape, [[c, c, c, r], ...bumps]);
      for (let z = 0; z < n; z++) for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
        if (Math.abs(Math.hypot(x - c, y - c, z - c) - r) < 1 && rng.uniform() < 0.3) mask[x + n * (y + n * z)] ^= 1;
      }
      expect(labelComponents(mask, shape, 26).count).toBe(1);
      const { labels, count } = splitParticles(mask, shape);
      expect(count, `seed ${seed}`).toBe(1);
      expectCoversMask(mask, labels, count);
      // the noise does create spurious shallow maxima: a tiny h over-segments
      expect(splitParticles(mask, shape, [1, 1, 1], { h: 0.05 }).count).toBeGreaterThan(1);
    }
  });

  it('agrees with a literal h-maxima + priority-flood reference on random sphere packs', () => {
    for (const seed of [11, 12, 13]) {
      const rng = new Rng(seed);
      const shape: Shape3 = [30, 28, 26];
      const list: Sphere[] = [];
      for (let k = 0; k < 14; k++) list.push([rng.uniform() * 30, rng.uniform() * 28, rng.uniform() * 26, 3 + 4 * rng.uniform()]);
      const mask = spheres(shape, list);
      for (const h of [0.5, 1, 2]) {
        const fast = splitParticles(mask, shape, [1, 1, 1], { h });
        const ref = referenceWatershed(mask, shape, h);
        expect(fast.count, `seed ${seed} h ${h}`).toBe(ref.count);
        expect(agreement(mask, fast.labels, ref.labels), `seed ${seed} h ${h}`).toBeGreaterThan(0.97);
      }
    }
  });

  it('is deterministic', () => {
    const rng = new Rng(5);
    const shape: Shape3 = [40, 36, 32];
    const list: Sphere[] = [];
    for (let k = 0; k < 25; k++) list.push([rng.uniform() * 40, rng.uniform() * 36, rng.uniform() * 32, 3 + 5 * rng.uniform()]);
    const mask = spheres(shape, list);
    const a = splitParticles(mask, shape);
    const b = splitParticles(mask.slice(), shape);
    expect(a.count).toBe(b.count);
    expect(a.count).toBeGreaterThan(5);
    expect(Buffer.from(a.labels.buffer).equals(Buffer.from(b.labels.buffer))).toBe(true);
    expectCoversMask(mask, a.labels, a.count);
    const c = splitParticles(mask, shape, [1, 1, 1], { connectivity: 6 });
    expectCoversMask(mask, c.labels, c.count);
  });

  it('honours anisotropic spacing', () => {
    // the same two spheres in physical units, sampled with voxels twice as long along z
    const h: Vec3 = [1, 1, 2];
    const shape: Shape3 = [44, 30, 15];
    const mask = spheres(shape, [[16, 15, 14, 8], [28, 15, 14, 8]], h);
    const { labels, count } = splitParticles(mask, shape, h);
    expect(count).toBe(2);
    const v = volumes(labels, count);
    expect(Math.abs(v[0] - v[1])).toBeLessThan(0.1 * (v[0] + v[1]) / 2);
  });

  it('merges markers closer than minDistance, and larger h merges shallow necks', () => {
    const mask = spheres(shape2, two);
    expect(splitParticles(mask, shape2, [1, 1, 1], { minDistance: 11 }).count).toBe(2);
    expect(splitParticles(mask, shape2, [1, 1, 1], { minDistance: 13 }).count).toBe(1);
    // neck EDT ~ 5.3 vs peaks ~ 8: dynamic ~ 2.7
    expect(splitParticles(mask, shape2, [1, 1, 1], { h: 2 }).count).toBe(2);
    expect(splitParticles(mask, shape2, [1, 1, 1], { h: 4 }).count).toBe(1);
  });

  it('labels disjoint components separately and handles trivial masks', () => {
    const shape: Shape3 = [30, 14, 14];
    const mask = spheres(shape, [[7, 7, 7, 5], [22, 7, 7, 5]]);
    const r = splitParticles(mask, shape);
    expect(r.count).toBe(2);
    expectCoversMask(mask, r.labels, r.count);
    expect(splitParticles(new Uint8Array(27), [3, 3, 3]).count).toBe(0);
    const full = splitParticles(new Uint8Array(27).fill(1), [3, 3, 3]);
    expect(full.count).toBe(1);
    expect(Array.from(full.labels).every((l) => l === 1)).toBe(true);
    expect(() => splitParticles(mask, shape, [1, 1, 1], { h: 0 })).toThrow(RangeError);
  });
});

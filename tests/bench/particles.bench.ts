/**
 * Timing of the particle-finding kernels on a 256^3 random sphere pack.
 * Run with `npx vitest bench --run tests/bench/particles.bench.ts`.
 */
import { bench, describe } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import type { Shape3 } from '../../src/core/volume.js';
import { labelComponents } from '../../src/mesh/components.js';
import { squaredDistanceTransform } from '../../src/mesh/edt.js';
import { splitParticles } from '../../src/mesh/watershed.js';

/** Overlapping spheres (radius 6..14 voxels) dropped at random until ~55 % solid. */
function spherePack(n: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  const mask = new Uint8Array(n * n * n);
  let solid = 0;
  const target = 0.55 * mask.length;
  while (solid < target) {
    const cx = rng.uniform() * n, cy = rng.uniform() * n, cz = rng.uniform() * n;
    const r = 6 + 8 * rng.uniform();
    const r2 = r * r;
    const z0 = Math.max(0, Math.ceil(cz - r)), z1 = Math.min(n - 1, Math.floor(cz + r));
    const y0 = Math.max(0, Math.ceil(cy - r)), y1 = Math.min(n - 1, Math.floor(cy + r));
    const x0 = Math.max(0, Math.ceil(cx - r)), x1 = Math.min(n - 1, Math.floor(cx + r));
    for (let z = z0; z <= z1; z++) for (let y = y0; y <= y1; y++) {
      const row = n * (y + n * z);
      const dyz = (y - cy) ** 2 + (z - cz) ** 2;
      for (let x = x0; x <= x1; x++) {
        if (dyz + (x - cx) ** 2 <= r2 && mask[row + x] === 0) { mask[row + x] = 1; solid++; }
      }
    }
  }
  return mask;
}

const N = 256;
const shape: Shape3 = [N, N, N];
const mask = spherePack(N, 42);
const opts = { iterations: 3, warmupIterations: 1, time: 0, warmupTime: 0 };

describe(`particle kernels on a ${N}^3 sphere pack`, () => {
  bench('labelComponents 6', () => { labelComponents(mask, shape, 6); }, opts);
  bench('labelComponents 26', () => { labelComponents(mask, shape, 26); }, opts);
  bench('labelComponents 26 (pore phase)', () => {
    const pore = new Uint8Array(mask.length);
    for (let i = 0; i < pore.length; i++) pore[i] = 1 - mask[i];
    labelComponents(pore, shape, 26);
  }, opts);
  bench('squaredDistanceTransform', () => { squaredDistanceTransform(mask, shape, [1, 1, 1]); }, opts);
  bench('squaredDistanceTransform anisotropic', () => { squaredDistanceTransform(mask, shape, [1, 1, 1.7]); }, opts);
  bench('splitParticles (h = 1, 26-conn)', () => { splitParticles(mask, shape); }, opts);
});

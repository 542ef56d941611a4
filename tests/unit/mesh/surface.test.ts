import { expect, it } from 'vitest';
import { gaussianSmooth, gaussianKernel } from '../../../src/mesh/surface.js';
it('separable row-wise Gaussian smoothing equals the direct 3D convolution with mirror boundaries', () => {
  const shape: [number, number, number] = [7, 5, 4];
  let seed = 1;
  const f = new Float32Array(140).map(() => ((seed = (seed * 16807) % 2147483647) / 2147483647));
  const out = gaussianSmooth(f, shape, 1);
  const k = gaussianKernel(1); const r = 3;
  const m = (j: number, n: number) => { while (j < 0 || j >= n) j = j < 0 ? -j - 1 : 2 * n - j - 1; return j; };
  let maxe = 0;
  for (let z = 0; z < 4; z++) for (let y = 0; y < 5; y++) for (let x = 0; x < 7; x++) {
    let s = 0;
    for (let a = -r; a <= r; a++) for (let b = -r; b <= r; b++) for (let c = -r; c <= r; c++) s += k[a + r] * k[b + r] * k[c + r] * f[m(x + a, 7) + 7 * (m(y + b, 5) + 5 * m(z + c, 4))];
    maxe = Math.max(maxe, Math.abs(s - out[x + 7 * (y + 5 * z)]));
  }
  expect(maxe).toBeLessThan(1e-5);
});

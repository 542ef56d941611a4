/**
 * Tortuosity solves (assembly + multigrid setup + MG-PCG to rtol 1e-8):
 *  - random 3-phase volumes (45 % pore σ = 1, 10 % carbon-binder σ = 0.1, 45 % solid σ = 0),
 *    64³ and 128³: pore τ (mask) and pore + CBD effective conductivity;
 *  - the real segmented volume ../shared/data/tomography/superres-nmc-lr.tif (128³, 0 = pore):
 *    pore τ along x, y, z.
 * Run with `npx vitest bench --run tests/bench/linalg.bench.ts`; seconds and iterations are printed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fromArrayBuffer } from 'geotiff';
import { bench, describe } from 'vitest';
import { Rng } from '../../src/core/rng.js';
import type { Shape3 } from '../../src/core/volume.js';
import { tortuosity, type TortuosityResult } from '../../src/sim/tortuosity.js';

const once = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };

function threePhase(n: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const s = new Float64Array(n * n * n);
  for (let i = 0; i < s.length; i++) {
    const u = rng.uniform();
    s[i] = u < 0.45 ? 1 : u < 0.55 ? 0.1 : 0;
  }
  return s;
}

function report(label: string, r: TortuosityResult): void {
  const t = r.timings;
  // eslint-disable-next-line no-console
  console.log(
    `${label}: τ = ${r.tortuosityFactor.toFixed(5)}  ε = ${r.volumeFraction.toFixed(4)}  D_eff/D = ${r.effectiveDiffusivityRatio.toExponential(4)}  ` +
      `unknowns = ${r.unknowns}  iterations = ${r.iterations}  rel.res = ${r.relativeResidual.toExponential(2)}  ` +
      `flux imbalance = ${r.fluxImbalance.toExponential(2)}  seconds = ${r.seconds.toFixed(2)} ` +
      `(assembly ${t.assembly.toFixed(2)}, setup ${t.setup.toFixed(2)}, solve ${t.solve.toFixed(2)})`,
  );
}

for (const n of [64, 128]) {
  const shape: Shape3 = [n, n, n];
  const sigma = threePhase(n, 2024);
  const pore = sigma.map((v) => (v === 1 ? 1 : 0));
  describe(`random 3-phase ${n}^3`, () => {
    bench(`pore τ along x (${n}^3)`, () => { report(`pore τ x ${n}^3`, tortuosity({ shape, mask: pore, axis: 0 })); }, once);
    bench(`pore+CBD σ_eff along z (${n}^3)`, () => { report(`pore+CBD z ${n}^3`, tortuosity({ shape, conductivity: sigma, axis: 2 })); }, once);
  });
}

const TIF = new URL('../../../shared/data/tomography/superres-nmc-lr.tif', import.meta.url);
if (existsSync(TIF)) {
  const buf = readFileSync(TIF);
  const tiff = await fromArrayBuffer(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
  const pages = await tiff.getImageCount();
  const first = await tiff.getImage(0);
  const [nx, ny, nz] = [first.getWidth(), first.getHeight(), pages];
  const mask = new Uint8Array(nx * ny * nz);
  for (let z = 0; z < nz; z++) {
    const img = await tiff.getImage(z);
    const raster = (await img.readRasters({ interleave: true })) as unknown as ArrayLike<number>;
    const off = nx * ny * z;
    for (let i = 0; i < nx * ny; i++) mask[off + i] = raster[i] === 0 ? 1 : 0; // 0 = pore
  }
  const shape: Shape3 = [nx, ny, nz];
  describe(`superres-nmc-lr.tif (${nx}x${ny}x${nz}) pore phase`, () => {
    for (const axis of ['x', 'y', 'z'] as const) {
      bench(`pore τ along ${axis}`, () => { report(`superres-nmc-lr pore τ ${axis}`, tortuosity({ shape, mask, axis })); }, once);
    }
  });
}

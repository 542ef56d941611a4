/** `lithomech tortuosity|conductivity` on volumes with exact answers. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lithomech } from '../helpers/cli.js';
import { volumeToPages, writeTiff } from '../helpers/tiff-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'lithomech-e2e-transport-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const shape: [number, number, number] = [12, 10, 8];
function tif(name: string, fill: (x: number, y: number, z: number) => number): string {
  const a = new Uint8Array(shape[0] * shape[1] * shape[2]);
  for (let z = 0; z < shape[2]; z++) for (let y = 0; y < shape[1]; y++) for (let x = 0; x < shape[0]; x++) a[x + shape[0] * (y + shape[1] * z)] = fill(x, y, z);
  const f = join(dir, name);
  writeFileSync(f, writeTiff(volumeToPages(a, shape), { compression: 8 }));
  return f;
}

describe('lithomech tortuosity', () => {
  it('straight pore channels along z: τ = 1 along z, ∞ (null, with a message) across', () => {
    const f = tif('channels.tif', (x, y) => (x % 3 === 0 && y % 2 === 0 ? 0 : 1));
    const r = lithomech(['tortuosity', f, '--phases', '0=pore:electrolyte,1=NMC:active', '--phase', 'pore', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rec = JSON.parse(r.stdout) as { axis: string; tortuosityFactor: number | null; percolating: boolean; volumeFraction: number; message?: string }[];
    expect(rec.map((o) => o.axis)).toEqual(['x', 'y', 'z']);
    expect(rec[2].tortuosityFactor).toBeCloseTo(1, 8);
    expect(rec[2].volumeFraction).toBeCloseTo(20 / 120, 12);
    expect(rec[0]).toMatchObject({ tortuosityFactor: null, percolating: false });
    expect(rec[0].message).toMatch(/percolat/);
  });
  it('unknown phase name → exit 2', () => {
    const f = tif('u.tif', (x) => x % 2);
    const r = lithomech(['tortuosity', f, '--phases', '0=pore:electrolyte,1=NMC:active', '--phase', 'CBD']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--phase: no phase named "CBD"/);
  });
});

describe('lithomech conductivity', () => {
  it('layers across the axis give the series (harmonic) mean; along it the parallel mean', () => {
    // z-layers: 4 planes of σ = 1, 4 planes of σ = 0.01
    const f = tif('layers.tif', (_x, _y, z) => (z < 4 ? 0 : 1));
    const r = lithomech(['conductivity', f, '--phases', '0=a:electrolyte,1=b:cbd', '--conductivity', 'a=1,b=10 mS/m', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rec = JSON.parse(r.stdout) as { axis: string; effectiveConductivity: number; tortuosityFactor: number }[];
    const series = 1 / (0.5 / 1 + 0.5 / 0.01);
    const parallel = 0.5 * 1 + 0.5 * 0.01;
    expect(rec[2].effectiveConductivity / series).toBeCloseTo(1, 8);
    expect(rec[0].effectiveConductivity / parallel).toBeCloseTo(1, 8);
    expect(rec[0].tortuosityFactor).toBeCloseTo(1, 8);
    expect(rec[2].tortuosityFactor).toBeCloseTo(parallel / series, 6);
  });
});

/**
 * Bad input to `lithomech mesh`: a one-line error naming the file or key and the cause, exit code
 * 2, and nothing left at --out (nor temporary directories beside it).
 */
import { mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lithomech } from '../helpers/cli.js';
import { volumeToPages, writeTiff } from '../helpers/tiff-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'lithomech-e2e-err-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const shape: [number, number, number] = [8, 6, 5];
function labels(fill: (x: number, y: number, z: number) => number): Uint8Array {
  const a = new Uint8Array(shape[0] * shape[1] * shape[2]);
  for (let z = 0; z < shape[2]; z++) for (let y = 0; y < shape[1]; y++) for (let x = 0; x < shape[0]; x++) a[x + shape[0] * (y + shape[1] * z)] = fill(x, y, z);
  return a;
}
const good = labels((x, y, z) => ((x + y + z) % 3 === 0 ? 1 : (x * y) % 5 === 0 ? 2 : 0));
const put = (name: string, bytes: Uint8Array | string) => { const f = join(dir, name); writeFileSync(f, bytes); return f; };
const PHASES = '0=pore:electrolyte,1=NMC:active,2=CBD:cbd';

function expectCleanFailure(args: string[], pattern: RegExp) {
  const out = join(dir, `out-${Math.random().toString(36).slice(2)}`);
  const r = lithomech(['mesh', ...args, '--out', out]);
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^lithomech: /);
  expect(lines[0]).toMatch(pattern);
  expect(existsSync(out)).toBe(false);
  expect(readdirSync(dir).filter((f) => f.startsWith('out-'))).toEqual([]);
  expect(r.stdout).toBe('');
}

describe('lithomech mesh: bad input', () => {
  it('sanity: the good volume meshes (so the failures below are about the defect)', () => {
    const f = put('good.tif', writeTiff(volumeToPages(good, shape), { compression: 32773 }));
    const out = join(dir, 'good-out');
    const r = lithomech(['mesh', f, '--phases', PHASES, '--voxel-size', '1um', '--particles', 'components', '--keep-isolated', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['particles.csv', 'rve.json', 'rve.vti', 'stats.json']);
    rmSync(out, { recursive: true });
  });
  it('missing file', () => {
    expectCleanFailure([join(dir, 'nope.tif'), '--phases', PHASES, '--voxel-size', '1um'], /nope\.tif: .*(not found|no such file|does not exist)/i);
  });
  it('truncated TIFF', () => {
    const f = put('trunc.tif', writeTiff(volumeToPages(good, shape), { compression: 1 }));
    truncateSync(f, 200);
    expectCleanFailure([f, '--phases', PHASES, '--voxel-size', '1um'], /trunc\.tif: .*(truncat|beyond|end of file|short)/i);
  });
  it('unsupported compression', () => {
    const f = put('jpeg.tif', writeTiff(volumeToPages(good, shape), { compression: 1, claimCompression: 7 }));
    expectCleanFailure([f, '--phases', PHASES, '--voxel-size', '1um'], /jpeg\.tif: .*compression/i);
  });
  it('pages of different sizes', () => {
    const pages = volumeToPages(good, shape);
    pages[2] = { width: 4, height: 6, data: new Uint8Array(24) };
    const f = put('ragged.tif', writeTiff(pages));
    expectCleanFailure([f, '--phases', PHASES, '--voxel-size', '1um'], /ragged\.tif: .*(page|size|differ)/i);
  });
  it('truncated raw', () => {
    const f = put('short.raw', good.subarray(0, good.length - 7));
    put('short.raw.json', JSON.stringify({ shape, dtype: 'uint8', endianness: 'little', voxelSize: '1 um' }));
    expectCleanFailure([f, '--phases', PHASES], /short\.raw.*(bytes|size|truncat|short)/i);
  });
  it('sidecar/shape mismatch', () => {
    const f = put('long.raw', new Uint8Array(good.length + 40));
    put('long.raw.json', JSON.stringify({ shape, dtype: 'uint16', endianness: 'little', voxelSize: '1 um' }));
    expectCleanFailure([f, '--phases', PHASES], /long\.raw.*(bytes|size|shape)/i);
  });
  it('unknown label', () => {
    const bad = good.slice(); bad[5] = 7; bad[9] = 9;
    const f = put('unknown.tif', writeTiff(volumeToPages(bad, shape)));
    expectCleanFailure([f, '--phases', PHASES, '--voxel-size', '1um'], /unknown\.tif: labels present in the volume but not in the phase map: 7, 9/);
  });
  it('empty phase', () => {
    const f = put('nocbd.tif', writeTiff(volumeToPages(good.map((v) => (v === 2 ? 0 : v)), shape)));
    expectCleanFailure([f, '--phases', PHASES, '--voxel-size', '1um'], /nocbd\.tif: phase "CBD" .*no voxels/);
  });
  it('crop outside the volume', () => {
    const f = put('crop.tif', writeTiff(volumeToPages(good, shape)));
    expectCleanFailure([f, '--phases', PHASES, '--voxel-size', '1um', '--crop', '0:8,0:6,2:9'], /--crop: z range 2:9 is outside the volume \(0:5\)/);
  });
  it('no voxel size', () => {
    const f = put('novox.tif', writeTiff(volumeToPages(good, shape)));
    expectCleanFailure([f, '--phases', PHASES], /novox\.tif: .*voxel size/);
  });
  it('bad units and phase roles', () => {
    const f = put('units.tif', writeTiff(volumeToPages(good, shape)));
    expectCleanFailure([f, '--phases', PHASES, '--voxel-size', '3 s'], /--voxel-size: .*not a length/);
    expectCleanFailure([f, '--phases', '0=pore:liquid,1=NMC:active,2=CBD:cbd', '--voxel-size', '1um'], /--phases: .*unknown role/);
  });
});

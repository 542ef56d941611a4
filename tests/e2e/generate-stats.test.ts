/** `lithomech generate` (the README's main job) and `lithomech stats`, as a user runs them. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readVti } from '../../src/io/vtk/vti.js';
import { lithomech } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'lithomech-e2e-gen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lithomech generate spheres', () => {
  it('writes a deterministic default RVE with the requested fractions', async () => {
    const a = join(dir, 'a'), b = join(dir, 'b');
    expect(lithomech(['generate', 'spheres', '--out', a]).code).toBe(0);
    expect(lithomech(['generate', 'spheres', '--out', b]).code).toBe(0);
    expect(readdirSync(a).sort()).toEqual(['particles.csv', 'rve.json', 'rve.vti', 'stats.json']);
    expect(readFileSync(join(a, 'rve.vti'))).toEqual(readFileSync(join(b, 'rve.vti')));
    const stats = JSON.parse(readFileSync(join(a, 'stats.json'), 'utf8'));
    expect(stats.shape).toEqual([40, 40, 80]);
    expect(stats.volumeFractions.NMC).toBeCloseTo(0.4, 2);
    expect(stats.volumeFractions.CBD).toBeCloseTo(0.3, 3);
    const resolved = JSON.parse(readFileSync(join(a, 'rve.json'), 'utf8'));
    expect(resolved.lithomech.command).toBe('generate spheres');
    expect(resolved.spheres.length).toBe(stats.particles.count);
    const vti = await readVti(join(a, 'rve.vti'));
    expect(vti.shape).toEqual([40, 40, 80]);
    expect(vti.spacing).toEqual([5e-7, 5e-7, 5e-7]);
    // the README's second step: stats of the written RVE, phases and orientation from the file
    const again = lithomech(['stats', join(a, 'rve.vti'), '--keep-isolated', '--json']);
    expect(again.code, again.stderr).toBe(0);
    const s2 = JSON.parse(again.stdout);
    expect(s2.volumeFractions).toEqual(stats.volumeFractions);
    expect(s2.separatorSide).toBe('high');
    expect(s2.specificSurfaceArea['pore|NMC']).toBeCloseTo(stats.specificSurfaceArea['pore|NMC'], 6);
  });
  it('adds a separator layer and writes a .vtu of the solid on request', () => {
    const out = join(dir, 'sep');
    const r = lithomech(['generate', 'spheres', '--shape', '32,32,40', '--separator', '2um', '--seed', '3', '--vtu', 'NMC,CBD', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const stats = JSON.parse(readFileSync(join(out, 'stats.json'), 'utf8'));
    expect(stats.shape).toEqual([32, 32, 44]);
    expect(stats.volumeFractions.separator).toBeCloseTo(4 / 44, 10);
    expect(stats.electrodeVolumeFractions.NMC).toBeCloseTo(0.4, 2);
    expect(readdirSync(out)).toContain('rve.vtu');
  });
  it('rejects impossible requests with exit code 2', () => {
    const r = lithomech(['generate', 'spheres', '--active-fraction', '1.5', '--out', join(dir, 'bad')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--active-fraction/);
  });
});

describe('lithomech mesh: RVE operations together', () => {
  it('crop, downsample, separator and collector layers, orientation', () => {
    const tif = resolve(__dirname, '../../../shared/data/tomography/superres-nmc-lr.tif');
    const out = join(dir, 'ops');
    const r = lithomech(['mesh', tif, '--phases', '0=pore:electrolyte,1=NMC:active', '--voxel-size', '0.5um', '--crop', '0:64,0:64,0:64',
      '--downsample', '2', '--separator', '2um', '--collector', '1um', '--separator-side', 'high', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const stats = JSON.parse(readFileSync(join(out, 'stats.json'), 'utf8'));
    // 64³ → 32³ at 1 µm voxels; + 2 separator planes (high z) + 1 collector plane (low z)
    expect(stats.shape).toEqual([32, 32, 35]);
    expect(stats.voxelSize).toEqual([1e-6, 1e-6, 1e-6]);
    expect(stats.volumeFractions.separator).toBeCloseTo(2 / 35, 12);
    expect(stats.volumeFractions['current-collector']).toBeCloseTo(1 / 35, 12);
    expect(stats.separatorSide).toBe('high');
    const resolved = JSON.parse(readFileSync(join(out, 'rve.json'), 'utf8'));
    expect(resolved.crop).toEqual([[0, 64], [0, 64], [0, 64]]);
    expect(resolved.report).toMatchObject({ separatorVoxels: 2, collectorVoxels: 1 });
    // particle depths are measured from the separator face of the electrode (z = 33 µm here)
    const rows = readFileSync(join(out, 'particles.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    for (const row of rows) expect(Number(row[8]) + Number(row[7])).toBeCloseTo(33e-6, 9);
  });
});

describe('lithomech mesh: greyscale input', () => {
  it('segments the NREL micro-CT greyscale by 2-class Otsu and meshes it', () => {
    const tif = resolve(__dirname, '../../../shared/data/tomography/nrel-nmc1cal-greyscale.tif');
    const out = join(dir, 'grey');
    const r = lithomech(['mesh', tif, '--otsu', '2', '--phases', '0=pore:electrolyte,1=NMC:active', '--voxel-size', '0.4um', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const resolved = JSON.parse(readFileSync(join(out, 'rve.json'), 'utf8'));
    expect(resolved.segmentation.method).toBe('multi-otsu');
    const [t] = resolved.segmentation.thresholds as number[];
    expect(t).toBeGreaterThan(12471);
    expect(t).toBeLessThan(48892);
    const stats = JSON.parse(readFileSync(join(out, 'stats.json'), 'utf8'));
    expect(stats.shape).toEqual([75, 75, 75]);
    expect(stats.volumeFractions.NMC).toBeGreaterThan(0.3);
    expect(stats.volumeFractions.NMC).toBeLessThan(0.6);
    expect(stats.particles.count).toBeGreaterThan(5);
  });
});

describe('lithomech stats', () => {
  const tif = resolve(__dirname, '../../../shared/data/tomography/superres-nmc-lr.tif');
  it('prints a table on a terminal-less stdout, and JSON with --json', () => {
    const t = lithomech(['stats', tif, '--phases', '0=pore:electrolyte,1=NMC:active', '--voxel-size', '1um', '--particles', 'components']);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/NMC\s+0\.41\d\d/); // 0.420 less the isolated clusters removed by default
    expect(t.stderr).toMatch(/removed \d+ solid clusters not connected to the current collector/);
    const j = lithomech(['stats', tif, '--phases', '0=pore:electrolyte,1=NMC:active', '--voxel-size', '1um', '--particles', 'components', '--keep-isolated', '--json']);
    const s = JSON.parse(j.stdout);
    expect(s.volumeFractions.NMC).toBeCloseTo(0.420, 3);
    expect(s.representativeness.length).toBeGreaterThan(3);
    const last = s.representativeness[s.representativeness.length - 1];
    expect(last.edge).toBe(128);
    expect(last.std.NMC).toBe(0);
  });
});

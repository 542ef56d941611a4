/**
 * The meshing issue's acceptance run on the real NREL NMC-1-cal volume (read in place from
 * ../shared), checked against independent sources: geotiff's own raster decoding for the label
 * counts, and Debian's VTK for the written rve.vti.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fromArrayBuffer } from 'geotiff';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lithomech } from '../helpers/cli.js';
import { HAVE_VTK, runPythonJson, VTK_MISSING, VTK_REQUIRED } from '../helpers/system-vtk.js';

const NREL = resolve(__dirname, '../../../shared/data/tomography/nrel-nmc1cal-bridge-cbd.tif');
const PHASES = '0=pore:electrolyte,1=NMC:active,2=CBD:cbd';
const dir = mkdtempSync(join(tmpdir(), 'lithomech-e2e-nrel-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Labels decoded by geotiff's readRasters (not lithomech's reader), x fastest, page = z. */
let labels: Uint8Array;
beforeAll(async () => {
  const buf = readFileSync(NREL);
  const tif = await fromArrayBuffer(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const n = await tif.getImageCount();
  const first = await tif.getImage(0);
  const plane = first.getWidth() * first.getHeight();
  labels = new Uint8Array(plane * n);
  for (let z = 0; z < n; z++) {
    const r = (await (await tif.getImage(z)).readRasters({ interleave: true })) as unknown as Uint8Array;
    labels.set(r, z * plane);
  }
});

const vtkRead = (file: string) => runPythonJson<{ files: { dimensions: number[]; spacing: number[]; cells: number; cellData: Record<string, { sha256: string; type: string; range: number[][] }>; messages: string }[] }>(
  resolve(__dirname, '../helpers/vtk_read.py'), ['--max-values', '0', file]).files[0];

describe('lithomech mesh on nrel-nmc1cal-bridge-cbd.tif', () => {
  it('writes the four files; volume fractions equal an independent count (with the reported removals)', () => {
    const out = join(dir, 'nrel');
    const r = lithomech(['mesh', NREL, '--phases', PHASES, '--voxel-size', '0.398um', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['particles.csv', 'rve.json', 'rve.vti', 'stats.json']);
    const stats = JSON.parse(readFileSync(join(out, 'stats.json'), 'utf8'));
    const resolved = JSON.parse(readFileSync(join(out, 'rve.json'), 'utf8'));
    expect(stats.shape).toEqual([301, 301, 251]);
    expect(stats.voxelSize).toEqual([0.398e-6, 0.398e-6, 0.398e-6]);
    const counts = [0, 0, 0];
    for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
    const removed = resolved.report.removed.voxels as Record<string, number>;
    expect(r.stderr).toMatch(new RegExp(`removed ${resolved.report.removed.clusters} solid clusters`));
    const N = labels.length;
    const nmc = (counts[1] - (removed.NMC ?? 0)) / N;
    const cbd = (counts[2] - (removed.CBD ?? 0)) / N;
    const pore = (counts[0] + (removed.NMC ?? 0) + (removed.CBD ?? 0)) / N;
    expect(Math.abs(stats.volumeFractions.NMC - nmc)).toBeLessThan(1e-6);
    expect(Math.abs(stats.volumeFractions.CBD - cbd)).toBeLessThan(1e-6);
    expect(Math.abs(stats.volumeFractions.pore - pore)).toBeLessThan(1e-6);
    // the README's fractions, to its printed precision
    expect(counts[1] / N).toBeCloseTo(0.4995, 4);
    // particles: a physically sensible table (NREL reports NMC particle radii of a few µm)
    const csv = readFileSync(join(out, 'particles.csv'), 'utf8').trim().split('\n');
    expect(csv.length - 1).toBe(stats.particles.count);
    expect(stats.particles.medianEquivalentRadius).toBeGreaterThan(2e-6);
    expect(stats.particles.medianEquivalentRadius).toBeLessThan(8e-6);
    expect(stats.specificSurfaceArea['pore|NMC']).toBeLessThan(stats.specificSurfaceAreaVoxel['pore|NMC']);
    for (const ax of ['x', 'y', 'z']) expect(stats.percolation.NMC[ax]).toBe(true);
  });

  if (!HAVE_VTK && VTK_REQUIRED) it('rve.vti check needs python3-vtk9 on CI', () => { throw new Error(VTK_MISSING); });
  it.skipIf(!HAVE_VTK)(`rve.vti reads in Debian's VTK with the right dimensions, spacing and phase array${HAVE_VTK ? '' : ` (skipped: ${VTK_MISSING})`}`, () => {
    const out = join(dir, 'nrel-keep');
    const r = lithomech(['mesh', NREL, '--phases', PHASES, '--voxel-size', '0.398um', '--keep-isolated', '--particles', 'components', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const f = vtkRead(join(out, 'rve.vti'));
    expect(f.messages).toBe('');
    expect(f.dimensions).toEqual([302, 302, 252]);
    expect(f.spacing).toEqual([0.398e-6, 0.398e-6, 0.398e-6]);
    expect(f.cells).toBe(labels.length);
    expect(f.cellData.phase.type).toBe('unsigned char');
    // phase ids equal the labels here (map 0,1,2 → ids 0,1,2), so the arrays must be identical
    expect(f.cellData.phase.sha256).toBe(createHash('sha256').update(labels).digest('hex'));
    expect(f.cellData.particle.type).toBe('int');
  });
});

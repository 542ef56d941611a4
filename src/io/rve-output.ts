/**
 * Writing an RVE and its analysis: rve.vti, stats.json, particles.csv, rve.json (resolved inputs),
 * optionally rve.vtu (hexahedra of chosen phases). Always into a fresh temporary directory that is
 * renamed onto --out at the end (withAtomicOutputDir), so a failure leaves nothing behind.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ParticleRow } from '../mesh/particles.js';
import { particleCsv } from '../mesh/particles.js';
import type { Rve } from '../mesh/rve.js';
import type { RveStats } from '../mesh/stats.js';
import { writeVti } from './vtk/vti.js';
import { writeVtu } from './vtk/vtu.js';

export const RVE_FILES = { vti: 'rve.vti', vtu: 'rve.vtu', stats: 'stats.json', particles: 'particles.csv', resolved: 'rve.json' } as const;

export interface RveOutput {
  rve: Rve;
  stats: RveStats;
  particles: ParticleRow[];
  /** Everything needed to reproduce the RVE: command, inputs in SI, report. */
  resolved: Record<string, unknown>;
  /** Phase names whose voxels go into rve.vtu (none → no .vtu). */
  vtuPhases?: string[];
}

export async function writeRveOutputs(dir: string, out: RveOutput): Promise<string[]> {
  const { rve } = out;
  const files: string[] = [];
  const phasesJson = JSON.stringify(rve.phases);
  await writeVti(path.join(dir, RVE_FILES.vti), {
    shape: rve.shape,
    spacing: rve.voxelSize,
    cellData: { phase: rve.phase, ...(rve.particle ? { particle: rve.particle } : {}) },
    fieldData: { phases: phasesJson, thicknessAxis: 'xyz'[rve.thicknessAxis], separatorSide: rve.separatorSide },
  });
  files.push(RVE_FILES.vti);
  if (out.vtuPhases && out.vtuPhases.length > 0) {
    const keep = new Set(rve.phases.filter((p) => out.vtuPhases!.includes(p.name)).map((p) => p.id));
    await writeVtu(path.join(dir, RVE_FILES.vtu), {
      shape: rve.shape, spacing: rve.voxelSize, phase: rve.phase, keep: (id: number) => keep.has(id),
      cellData: { phase: rve.phase, ...(rve.particle ? { particle: rve.particle } : {}) },
    });
    files.push(RVE_FILES.vtu);
  }
  await fs.writeFile(path.join(dir, RVE_FILES.stats), JSON.stringify(out.stats, null, 2) + '\n');
  await fs.writeFile(path.join(dir, RVE_FILES.particles), particleCsv(out.particles));
  files.push(RVE_FILES.stats, RVE_FILES.particles);
  await fs.writeFile(path.join(dir, RVE_FILES.resolved), JSON.stringify({ ...out.resolved, files: [...files, RVE_FILES.resolved] }, null, 2) + '\n');
  files.push(RVE_FILES.resolved);
  return files;
}

/** Human-readable summary of stats.json for the terminal. */
import type { RveStats } from '../mesh/stats.js';

const um = (m: number) => `${(m * 1e6).toPrecision(4)} µm`;

export function formatStatsTable(s: RveStats): string {
  const lines: string[] = [];
  lines.push(`shape ${s.shape.join(' × ')} voxels, voxel ${s.voxelSize.map(um).join(' × ')}, thickness axis ${s.thicknessAxis} (separator ${s.separatorSide})`);
  lines.push('');
  lines.push('phase                  volume fraction   percolates x y z');
  for (const [name, f] of Object.entries(s.volumeFractions)) {
    const p = s.percolation[name];
    const yn = (b: boolean) => (b ? 'yes' : 'no ');
    lines.push(`${name.padEnd(22)} ${f.toFixed(4).padStart(15)}   ${yn(p.x)} ${yn(p.y)} ${yn(p.z)}`);
  }
  lines.push('');
  lines.push('interface              specific area [1/µm]  (corrected / voxel faces)');
  for (const [k, v] of Object.entries(s.specificSurfaceArea)) {
    lines.push(`${k.padEnd(22)} ${(v * 1e-6).toFixed(4).padStart(10)} / ${(s.specificSurfaceAreaVoxel[k] * 1e-6).toFixed(4)}`);
  }
  if (s.particles) {
    const p = s.particles;
    lines.push('');
    lines.push(`particles: ${p.count} (${p.touchingBoundary} cut by the box, ${p.notConnectedToCollector} not connected to the collector)`);
    lines.push(`equivalent radius: mean ${um(p.meanEquivalentRadius)}, d10 ${um(p.d10EquivalentRadius)}, d50 ${um(p.medianEquivalentRadius)}, d90 ${um(p.d90EquivalentRadius)}; mean sphericity ${Number.isFinite(p.meanSphericity) ? p.meanSphericity.toFixed(3) : 'n/a (every particle is cut by the box)'}`);
  }
  lines.push('');
  lines.push('representativeness: std of volume fraction over random sub-cubes');
  const names = Object.keys(s.volumeFractions);
  lines.push(`${'edge'.padStart(12)}  ${names.map((n) => n.padStart(12)).join('')}`);
  for (const r of s.representativeness) {
    lines.push(`${um(r.edgeLength).padStart(12)}  ${names.map((n) => r.std[n].toFixed(4).padStart(12)).join('')}`);
  }
  return lines.join('\n') + '\n';
}

// Mean SoC change of the particles in the separator-side and collector-side halves (and quarters)
// of the electrode at one snapshot of a run's output (docs/benchmarks.md, the nano-CT comparison).
//   node tests/bench/particle-halves.mjs <runDir> <snapshotIndex> <electrodeThickness_m>
import fs from 'node:fs';

const [dir, idx, thick] = process.argv.slice(2);
if (!dir || idx === undefined || !thick) { console.error('usage: node tests/bench/particle-halves.mjs <runDir> <snapshotIndex> <electrodeThickness_m>'); process.exit(2); }
const csv = fs.readFileSync(`${dir}/particles/particles_${String(idx).padStart(4, '0')}.csv`, 'utf8').trim().split('\n');
const head = csv[0].split(',');
const rows = csv.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [head[i], Number(v)])));
const L = Number(thick);
const agg = (lo, hi) => {
  let w = 0, s = 0, u = 0, n = 0;
  for (const r of rows) if (r.depth_m >= lo && r.depth_m < hi) { w += r.volume_m3; s += r.volume_m3 * r.soc_change; u += r.soc_change; n++; }
  return { particles: n, volumeWeightedSocChange: s / w, meanSocChange: u / n };
};
console.log(JSON.stringify({
  separatorHalf: agg(0, L / 2), collectorHalf: agg(L / 2, Infinity),
  quarters: [0, 1, 2, 3].map((q) => agg((q * L) / 4, q === 3 ? Infinity : ((q + 1) * L) / 4)),
}, null, 1));

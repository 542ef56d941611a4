// Mean SoC change of the particles in the separator-side and collector-side halves (and quarters)
// of the electrode at one snapshot of a run's output (docs/benchmarks.md, the nano-CT comparison),
// and, when the run solved mechanics, the mean (over particles with a stress) of their peak and
// mean von Mises stress, and how many particles of each half have a peak above the median.
//   node tests/bench/particle-halves.mjs <runDir> <snapshotIndex> <electrodeThickness_m>
import fs from 'node:fs';

const [dir, idx, thick] = process.argv.slice(2);
if (!dir || idx === undefined || !thick) { console.error('usage: node tests/bench/particle-halves.mjs <runDir> <snapshotIndex> <electrodeThickness_m>'); process.exit(2); }
const csv = fs.readFileSync(`${dir}/particles/particles_${String(idx).padStart(4, '0')}.csv`, 'utf8').trim().split('\n');
const head = csv[0].split(',');
const rows = csv.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [head[i], Number(v)])));
const L = Number(thick);
const mech = head.includes('von_mises_max_Pa');
const peaks = rows.map((r) => r.von_mises_max_Pa).filter((v) => Number.isFinite(v) && v > 0).sort((a, b) => a - b);
const median = peaks.length ? peaks[Math.floor(peaks.length / 2)] : NaN;
const agg = (lo, hi) => {
  let w = 0, s = 0, u = 0, n = 0, nm = 0, vmMax = 0, vmMean = 0, above = 0;
  for (const r of rows) {
    if (!(r.depth_m >= lo && r.depth_m < hi)) continue;
    w += r.volume_m3; s += r.volume_m3 * r.soc_change; u += r.soc_change; n++;
    if (mech && Number.isFinite(r.von_mises_max_Pa) && r.von_mises_max_Pa > 0) { nm++; vmMax += r.von_mises_max_Pa; vmMean += r.von_mises_mean_Pa; if (r.von_mises_max_Pa > median) above++; }
  }
  return {
    particles: n, volumeWeightedSocChange: s / w, meanSocChange: u / n,
    ...(mech ? { particlesWithStress: nm, meanPeakVonMises_Pa: vmMax / nm, meanMeanVonMises_Pa: vmMean / nm, peaksAboveMedian: above } : {}),
  };
};
console.log(JSON.stringify({
  separatorHalf: agg(0, L / 2), collectorHalf: agg(L / 2, Infinity),
  quarters: [0, 1, 2, 3].map((q) => agg((q * L) / 4, q === 3 ? Infinity : ((q + 1) * L) / 4)),
}, null, 1));

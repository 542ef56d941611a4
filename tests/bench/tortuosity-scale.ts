/**
 * Scale benchmark of the pore-phase tortuosity solve (assembly + multigrid setup + MG-PCG to
 * rtol 1e-8), one child process per run so that peak RSS is per case.
 *
 *   npx tsx tests/bench/tortuosity-scale.ts [--cases rand64,rand128,rand256,nrel] [--runs 3] [--axis z]
 *       [--compare /path/to/other/checkout]
 *   npx tsx tests/bench/tortuosity-scale.ts --save-volume DIR [--cases rand256]
 *
 * --save-volume writes each random case as DIR/randN.raw (uint8 labels, 0 pore, 1 NMC, 2 CBD) with
 * its DIR/randN.raw.json sidecar and exits, so that the CLI itself can be timed on it:
 *   /usr/bin/time -f "%e s %M KB" lithomech tortuosity DIR/rand256.raw --phase pore --axis z \
 *     --phases "0=pore:electrolyte,1=NMC:active,2=CBD:cbd" --json
 *
 * The fine-level thread count follows LITHOMECH_THREADS (default os.availableParallelism()); the
 * table's `threads` column is what the solve reported.
 *
 * With --compare, every run of this checkout is interleaved with a run of the same script in the
 * other checkout (e.g. a copy of the previous src/), so both see the same machine load, and the
 * table gets one row per checkout plus the ratio of total times.
 *
 * Cases:
 *  - randN: random three-phase N³ electrode. Seeded uniform noise (Rng seed 2024) smoothed by a
 *    separable box filter of radius 2 (5³ voxels, applied 2×, ≈ a 9-voxel-wide tent), then
 *    thresholded at the 45 % and 55 % quantiles of the smoothed field: the lowest 45 % of voxels
 *    are pore (label 0), the next 10 % carbon-binder (2), the rest NMC (1). The smoothing gives
 *    blob-like phases a few voxels wide (like a real electrode) instead of site-percolation noise.
 *  - nrel: the 256 × 256 × 251 crop (x, y < 256, all 251 pages) of
 *    ../shared/data/tomography/nrel-nmc1cal-bridge-cbd.tif (0 pore, 1 NMC, 2 CBD), read with
 *    readVolume.
 * The pore phase (label 0) is solved along `--axis` (default z = page / thickness direction).
 * Peak RSS is the child's process.resourceUsage().maxRSS (whole process, including the volume).
 * Prints a markdown table of medians over `--runs` runs, and the load average before and after.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Rng } from '../../src/core/rng.js';
import type { Shape3 } from '../../src/core/volume.js';
import { readVolume } from '../../src/io/volume/index.js';
import { tortuosity } from '../../src/sim/tortuosity.js';

const SELF = fileURLToPath(import.meta.url);
const TIF = fileURLToPath(new URL('../../../shared/data/tomography/nrel-nmc1cal-bridge-cbd.tif', import.meta.url));

interface RunResult {
  label: string;
  shape: Shape3;
  unknowns: number;
  iterations: number;
  assembly: number;
  setup: number;
  solve: number;
  total: number;
  maxRssBytes: number;
  tau: number;
  relres: number;
  porosity: number;
  /** fine-level threads (absent in results of older checkouts) */
  threads?: number;
  threadsReason?: string;
}

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}

/** In-place separable box filter of radius r along each axis (running sums, one line buffer). */
function boxBlur(f: Float32Array, shape: Shape3, r: number): void {
  const [nx, ny, nz] = shape;
  const strides = [1, nx, nx * ny];
  for (let a = 0; a < 3; a++) {
    const len = shape[a], s = strides[a];
    const line = new Float64Array(len);
    const b = (a + 1) % 3, c = (a + 2) % 3;
    for (let jc = 0; jc < shape[c]; jc++) for (let jb = 0; jb < shape[b]; jb++) {
      const base = jb * strides[b] + jc * strides[c];
      for (let t = 0; t < len; t++) line[t] = f[base + t * s];
      // mirrored boundary
      const at = (t: number) => line[t < 0 ? -t - 1 : t >= len ? 2 * len - t - 1 : t];
      let sum = 0;
      for (let t = -r; t <= r; t++) sum += at(t);
      for (let t = 0; t < len; t++) {
        f[base + t * s] = sum / (2 * r + 1);
        sum += at(t + r + 1) - at(t - r);
      }
    }
  }
  void nx; void ny; void nz;
}

function randomElectrode(n: number): { shape: Shape3; labels: Uint8Array } {
  const shape: Shape3 = [n, n, n];
  const N = n * n * n;
  const rng = new Rng(2024);
  const f = new Float32Array(N);
  for (let i = 0; i < N; i++) f[i] = rng.uniform();
  boxBlur(f, shape, 2);
  boxBlur(f, shape, 2);
  // quantiles by a histogram of 4096 bins on [min, max]
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < N; i++) { if (f[i] < lo) lo = f[i]; if (f[i] > hi) hi = f[i]; }
  const B = 4096, hist = new Float64Array(B);
  const bin = (v: number) => Math.min(B - 1, Math.floor(((v - lo) / (hi - lo)) * B));
  for (let i = 0; i < N; i++) hist[bin(f[i])]++;
  const quantileBin = (q: number) => { let s = 0; for (let k = 0; k < B; k++) { s += hist[k]; if (s >= q * N) return k; } return B - 1; };
  const q45 = quantileBin(0.45), q55 = quantileBin(0.55);
  const labels = new Uint8Array(N);
  for (let i = 0; i < N; i++) { const k = bin(f[i]); labels[i] = k <= q45 ? 0 : k <= q55 ? 2 : 1; }
  return { shape, labels };
}

async function nrelCrop(): Promise<{ shape: Shape3; labels: Uint8Array }> {
  const vol = await readVolume(TIF);
  const [nx, ny, nz] = vol.shape;
  const cx = Math.min(256, nx), cy = Math.min(256, ny);
  const labels = new Uint8Array(cx * cy * nz);
  for (let z = 0; z < nz; z++) for (let y = 0; y < cy; y++) for (let x = 0; x < cx; x++) {
    labels[x + cx * (y + cy * z)] = Number(vol.data[x + nx * (y + ny * z)]);
  }
  return { shape: [cx, cy, nz], labels };
}

async function child(label: string, axis: 0 | 1 | 2): Promise<void> {
  const vol = label === 'nrel' ? await nrelCrop() : randomElectrode(Number(label.replace('rand', '')));
  const N = vol.labels.length;
  const mask = new Uint8Array(N);
  let pore = 0;
  for (let i = 0; i < N; i++) if (vol.labels[i] === 0) { mask[i] = 1; pore++; }
  (vol as { labels?: Uint8Array }).labels = undefined;
  const r = tortuosity({ shape: vol.shape, mask, axis });
  const out: RunResult = {
    label, shape: vol.shape, unknowns: r.unknowns, iterations: r.iterations,
    assembly: r.timings.assembly, setup: r.timings.setup, solve: r.timings.solve, total: r.seconds,
    maxRssBytes: process.resourceUsage().maxRSS * 1024, tau: r.tortuosityFactor, relres: r.relativeResidual, porosity: pore / N,
    threads: r.threads.threads, threadsReason: r.threads.reason,
  };
  process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) >> 1] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
}

async function main(): Promise<void> {
  const axis = ({ x: 0, y: 1, z: 2 } as const)[arg('axis', 'z') as 'x' | 'y' | 'z'];
  if (process.argv.includes('--child')) { await child(arg('child', ''), axis); return; }
  const saveDir = arg('save-volume', '');
  if (saveDir) {
    mkdirSync(saveDir, { recursive: true });
    for (const c of arg('cases', 'rand256').split(',').filter((c) => c.startsWith('rand'))) {
      const { shape, labels } = randomElectrode(Number(c.replace('rand', '')));
      writeFileSync(`${saveDir}/${c}.raw`, labels);
      writeFileSync(`${saveDir}/${c}.raw.json`, JSON.stringify({ shape, dtype: 'uint8' }));
      process.stderr.write(`wrote ${saveDir}/${c}.raw (${shape.join('×')})\n`);
    }
    return;
  }
  const cases = arg('cases', 'rand64,rand128,rand256,nrel').split(',').filter((c) => c !== 'nrel' || existsSync(TIF));
  const runs = Number(arg('runs', '3'));
  const other = arg('compare', '');
  const trees: [string, string][] = [['this', SELF]];
  if (other) trees.push([other, `${other}/tests/bench/tortuosity-scale.ts`]);
  const load0 = loadavg();
  const rows: string[] = [];
  for (const c of cases) {
    const results: RunResult[][] = trees.map(() => []);
    for (let k = 0; k < runs; k++) {
      for (let t = 0; t < trees.length; t++) {
        const p = spawnSync(process.execPath, ['--import', 'tsx', trees[t][1], '--child', c, '--axis', 'xyz'[axis]], { encoding: 'utf8', maxBuffer: 1 << 24 });
        const line = p.stdout.split('\n').find((l) => l.startsWith('RESULT '));
        if (!line) { process.stderr.write(`case ${c} (${trees[t][0]}) failed (status ${p.status}):\n${p.stderr}\n`); continue; }
        const r = JSON.parse(line.slice(7)) as RunResult;
        results[t].push(r);
        process.stderr.write(`${c} [${trees[t][0]}] run ${k + 1}: ${r.total.toFixed(2)} s, ${r.iterations} it, ${(r.maxRssBytes / 2 ** 20).toFixed(0)} MiB, τ = ${r.tau.toPrecision(8)}, rel.res ${r.relres.toExponential(2)}, threads ${r.threads ?? 1}${r.threadsReason ? ` (${r.threadsReason})` : ''}, load ${loadavg()[0].toFixed(2)}\n`);
      }
    }
    const totals: number[] = [];
    for (let t = 0; t < trees.length; t++) {
      const rs = results[t];
      if (rs.length === 0) continue;
      const m = (f: (r: RunResult) => number) => median(rs.map(f));
      const r0 = rs[0];
      totals.push(m((r) => r.total));
      const name = trees.length > 1 ? `${c} (${trees[t][0]})` : c;
      rows.push(`| ${name} | ${r0.shape.join('×')} | ${r0.unknowns} | ${(100 * r0.porosity).toFixed(1)} | ${m((r) => r.iterations)} | ${m((r) => r.assembly).toFixed(2)} | ${m((r) => r.setup).toFixed(2)} | ${m((r) => r.solve).toFixed(2)} | ${m((r) => r.total).toFixed(2)} | ${(m((r) => r.maxRssBytes) / 2 ** 20).toFixed(0)} | ${(m((r) => r.maxRssBytes) / r0.unknowns).toFixed(0)} | ${r0.threads ?? 1} | ${r0.tau.toPrecision(8)} |`);
    }
    if (totals.length === 2) rows.push(`| ${c}: total time this / other | | | | | | | | ${(totals[0] / totals[1]).toFixed(2)} | | | | |`);
  }
  const load1 = loadavg();
  console.log(`\naxis ${'xyz'[axis]}, rtol 1e-8, median of ${runs} run(s); load average before ${load0.map((l) => l.toFixed(2)).join(' ')}, after ${load1.map((l) => l.toFixed(2)).join(' ')}\n`);
  console.log('| case | shape | unknowns | pore % | iterations | assembly s | setup s | solve s | total s | peak RSS MiB | bytes/unknown | threads | τ |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

await main();

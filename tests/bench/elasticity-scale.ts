/**
 * Q1 elasticity scaling benchmark (not part of `npm test`):
 *   npx tsx tests/bench/elasticity-scale.ts [sizes...]      (default: 32 64; add 128 if it fits)
 *
 * Electrode-like solid: the active + carbon-binder phases of a random lognormal sphere pack
 * (src/mesh/generate.ts; pores are void). Active E = 140 GPa, ν = 0.3; CBD E = 0.5 GPa, ν = 0.3.
 * u_z = 0 on the z = 0 face; under-constrained clusters pinned minimally (policy 'pin').
 * Load: isotropic eigenstrain 1 % in the active phase. Solver: CG + smoothed-aggregation AMG
 * (rigid-body near-null space) to rtol 1e-8.
 * Reports DOFs, iterations, seconds (assembly = operator + CSR, AMG setup, solve, total), peak RSS,
 * bytes per DOF (peak RSS / DOFs) as a markdown table, and the load average (shared machine).
 * Each size runs in a fresh process so that the peak RSS is its own. Extra AMG options as JSON in
 * the environment variable SA_OPTIONS (e.g. SA_OPTIONS='{"cycle":"W"}').
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { ElasticityOperator } from '../../src/assembly/elasticity-operator.js';
import { isotropicStiffness } from '../../src/fem/q1-hexahedron.js';
import { cg } from '../../src/linalg/cg.js';
import { SmoothedAggregationPreconditioner, type SmoothedAggregationOptions } from '../../src/linalg/smoothed-aggregation.js';
import { generateSpherePack } from '../../src/mesh/generate.js';

interface Row {
  n: number; dofs: number; solidFraction: number; pinned: number; levels: string; iterations: number;
  assembly: number; setup: number; solve: number; total: number; rssMB: number; bytesPerDof: number;
}

function runOne(n: number): Row {
  const voxel = 0.5e-6;
  const gen = generateSpherePack({
    shape: [n, n, n], voxelSize: voxel, activeFraction: 0.5, radiusMedian: 4 * voxel, radiusSigmaLog: 0.25, overlap: 0.15,
    cbdFraction: 0.1, seed: 1,
  });
  const phase = gen.rve.phase;
  const material = Uint8Array.from(phase, (p) => (p === 1 ? 1 : p === 2 ? 2 : 0));
  let solid = 0;
  for (const m of material) if (m) solid++;
  const t0 = performance.now();
  const op = new ElasticityOperator({
    shape: [n, n, n], spacing: [0.5, 0.5, 0.5], material, // µm
    stiffness: [null, isotropicStiffness(140, 0.3), isotropicStiffness(0.5, 0.3)], // GPa
    dirichlet: [{ face: { axis: 2, side: 'low' }, components: [2] }],
    floatingClusters: 'pin',
  });
  const iso = Float64Array.from(material, (m) => (m === 1 ? 0.01 : 0));
  const b = op.rhs({ eigenstrain: { isotropic: iso } });
  const A = op.toCsr();
  const t1 = performance.now();
  const extra = JSON.parse(process.env.SA_OPTIONS ?? '{}') as SmoothedAggregationOptions;
  const M = new SmoothedAggregationPreconditioner(A, { nearNullSpace: op.rigidBodyModes(), nodeOfUnknown: op.aggregationNodes(), ...extra });
  const t2 = performance.now();
  const res = cg(A, b, { rtol: 1e-8, preconditioner: M, maxIterations: 2000 });
  const t3 = performance.now();
  const rss = process.resourceUsage().maxRSS * 1024;
  return {
    n, dofs: op.n, solidFraction: solid / material.length, pinned: op.clusters.pinnedDofs,
    levels: M.levelInfo.map((l) => l.n).join('→'), iterations: res.iterations,
    assembly: (t1 - t0) / 1e3, setup: (t2 - t1) / 1e3, solve: (t3 - t2) / 1e3, total: (t3 - t0) / 1e3,
    rssMB: rss / 2 ** 20, bytesPerDof: rss / op.n,
  };
}

const argv = process.argv.slice(2);
if (argv[0] === '--one') {
  process.stdout.write(JSON.stringify(runOne(Number(argv[1]))) + '\n');
} else {
  const sizes = argv.length ? argv.map(Number) : [32, 64];
  const self = fileURLToPath(import.meta.url);
  const rows: Row[] = [];
  const load0 = os.loadavg();
  for (const n of sizes) {
    const out = execFileSync(process.execPath, [...process.execArgv, self, '--one', String(n)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    const row = JSON.parse(out.trim().split('\n').pop()!) as Row;
    rows.push(row);
    // eslint-disable-next-line no-console
    console.error(`${n}³ done: ${row.total.toFixed(1)} s`);
  }
  const load1 = os.loadavg();
  const lines = [
    '| grid | solid | DOFs | pins | AMG levels (unknowns) | CG its | assembly s | AMG setup s | solve s | total s | peak RSS MB | bytes/DOF |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.n}³ | ${(100 * r.solidFraction).toFixed(0)} % | ${r.dofs} | ${r.pinned} | ${r.levels} | ${r.iterations} | ${r.assembly.toFixed(2)} | ${r.setup.toFixed(2)} | ${r.solve.toFixed(2)} | ${r.total.toFixed(2)} | ${r.rssMB.toFixed(0)} | ${r.bytesPerDof.toFixed(0)} |`),
    '',
    `load average before ${load0.map((v) => v.toFixed(2)).join(' ')}, after ${load1.map((v) => v.toFixed(2)).join(' ')} (${os.cpus().length} cores); node ${process.version}`,
  ];
  // eslint-disable-next-line no-console
  console.log(lines.join('\n'));
}

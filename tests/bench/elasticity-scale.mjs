// Q1 voxel elasticity: set-up + one CG solve to rtol 1e-8, matrix-free geometric multigrid (gmg)
// against smoothed-aggregation AMG on the assembled matrix (amg), one case per process so that
// peak RSS is the case's own. Not part of npm test; needs the build (npm run build).
//
//   node tests/bench/elasticity-scale.mjs <case> <gmg|amg|auto>     (auto: nrel/rve cases only)
//   cases:  solid-N   homogeneous N³ cube (one material, E = 200 GPa; the block-N spheres swell), the
//                     issue's 6.4 M-unknown case at N = 128
//           block-N   two-phase composite N³ (stiff spheres, E = 200 GPa, ≈ 40 vol %, in a
//                     1 GPa matrix: contrast 200, no void), clamped at z = 0, uniform swelling of
//                     the spheres; 3 (N+1)³ − 3 (N+1)² unknowns (128: 6.39 M)
//           nrel-N    the nmc622-fast-charge-5C-stress scenario's NREL crop 0:N,0:N,0:⌈1.56 N⌉
//                     (active phase only, pores void; collector u_n = 0 with rigid-body pins),
//                     the run's lattice eigenstrain of a non-uniform lithiation
//           rve-N     the quick-start generator's N³ NMC sphere pack (the NMC phase solid, all
//                     else void, as `run` with mechanics builds it), collector u_n = 0 with pins,
//                     uniform 2 % volumetric NMC swelling
// Prints one JSON line: case, preconditioner, unknowns, levels, setup_s, solve_s, iterations,
// relativeResidual, threads. Wrap in /usr/bin/time -f "%e %M" for the whole-process time and RSS.
import { ElasticityOperator } from '../../dist/assembly/elasticity-operator.js';
import { isotropicStiffness } from '../../dist/fem/q1-hexahedron.js';
import { loadScenario } from '../../dist/io/scenario.js';
import { LinearElastic } from '../../dist/physics/linear-elastic.js';
import { RunMechanics } from '../../dist/sim/run-mechanics.js';
import { buildSwellSystem, solveSwellDisplacement } from '../../dist/sim/swell.js';
import { ElasticityMultigridPreconditioner } from '../../dist/assembly/elasticity-multigrid.js';
import { cg } from '../../dist/linalg/cg.js';
import { SmoothedAggregationPreconditioner } from '../../dist/linalg/smoothed-aggregation.js';
import { threadedCsr } from '../../dist/linalg/thread-pool.js';

const [kase, pre] = process.argv.slice(2);
const m = /^(solid|block|nrel|rve)-(\d+)$/.exec(kase ?? '');
if (!m || (pre !== 'gmg' && pre !== 'amg' && pre !== 'auto')) { console.error('usage: node tests/bench/elasticity-scale.mjs <solid-N|block-N|nrel-N|rve-N> <gmg|amg|auto>'); process.exit(2); }
const kind = m[1], n = Number(m[2]);
const out = { case: kase, preconditioner: pre };

if (kind === 'block' || kind === 'solid') {
  const N = n ** 3, material = new Uint8Array(N).fill(2);
  let s = 11;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
  const R = n / 10, count = Math.round((0.5 * N) / ((4 / 3) * Math.PI * R ** 3));
  for (let k = 0; k < count; k++) {
    const cx = rnd() * n, cy = rnd() * n, cz = rnd() * n;
    for (let z = Math.max(0, Math.floor(cz - R)); z < Math.min(n, cz + R + 1); z++) for (let y = Math.max(0, Math.floor(cy - R)); y < Math.min(n, cy + R + 1); y++) for (let x = Math.max(0, Math.floor(cx - R)); x < Math.min(n, cx + R + 1); x++) {
      if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 + (z + 0.5 - cz) ** 2 <= R * R) material[x + n * (y + n * z)] = 1;
    }
  }
  let stiff = 0;
  for (const v of material) if (v === 1) stiff++;
  out.stiffFraction = +(stiff / N).toFixed(3);
  const eig = new Float64Array(N);
  for (let v = 0; v < N; v++) eig[v] = material[v] === 1 ? 0.02 : 0;
  // solid: one material everywhere (the spheres only carry the eigenstrain)
  if (kind === 'solid') material.fill(1);
  let t0 = performance.now();
  const op = new ElasticityOperator({ shape: [n, n, n], spacing: [5e-7, 5e-7, 5e-7], material, stiffness: [null, isotropicStiffness(200e9, 0.3), isotropicStiffness(kind === 'solid' ? 200e9 : 1e9, 0.3)], dirichlet: [{ face: { axis: 2, side: 'low' }, components: [0, 1, 2] }] });
  const b = op.rhs({ eigenstrain: { isotropic: eig } });
  out.operator_s = +((performance.now() - t0) / 1000).toFixed(2);
  out.unknowns = op.n;
  t0 = performance.now();
  if (pre === 'auto') throw new Error('auto is a swell-system choice: use it with the nrel-N and rve-N cases');
  if (pre === 'gmg') {
    const M = new ElasticityMultigridPreconditioner(op);
    out.setup_s = +((performance.now() - t0) / 1000).toFixed(2);
    out.levels = M.levels.length;
    out.threads = M.kernelInfo.threads;
    t0 = performance.now();
    const r = M.solve(b, { rtol: 1e-8, maxIterations: 2000 });
    Object.assign(out, { solve_s: +((performance.now() - t0) / 1000).toFixed(2), iterations: r.iterations, relativeResidual: r.relativeResidual });
  } else {
    const { A, threads } = threadedCsr(op.toCsr());
    const M = new SmoothedAggregationPreconditioner(A, { nearNullSpace: op.rigidBodyModes(), nodeOfUnknown: op.aggregationNodes(), smoothedLevels: 1 });
    out.setup_s = +((performance.now() - t0) / 1000).toFixed(2);
    out.threads = threads;
    t0 = performance.now();
    const r = cg(A, b, { rtol: 1e-8, preconditioner: M, maxIterations: 2000 });
    Object.assign(out, { solve_s: +((performance.now() - t0) / 1000).toFixed(2), iterations: r.iterations, relativeResidual: r.relativeResidual });
  }
} else {
  let rve, phases, field, lateral = 'free', top = { kind: 'free' };
  if (kind === 'nrel') {
    const spec = await loadScenario('nmc622-fast-charge-5C-stress', { overrides: { 'rve.mesh.crop': `0:${n},0:${n},0:${Math.ceil(1.5625 * n)}` } });
    rve = spec.rve;
    const N = rve.phase.length, active = spec.mechanics.phases[0].phaseId;
    const x = new Float64Array(N).fill(NaN), ref = new Float64Array(N).fill(NaN);
    for (let v = 0; v < N; v++) if (rve.phase[v] === active) { ref[v] = 0.89; x[v] = 0.89 - 0.01 * (1 + Math.sin(v)); }
    field = new RunMechanics(rve, { ...spec.mechanics, solveAt: 'snapshots', preconditioner: 'amg' }, ref).eigenstrain(x).field;
    phases = spec.mechanics.phases.map((p) => ({ id: p.phaseId, name: p.name, elastic: new LinearElastic(p.youngsModulus, p.poissonRatio, p.elasticSource), eigenstrain: { kind: 'none' } }));
    lateral = spec.mechanics.lateral; top = spec.mechanics.top;
  } else {
    const spec = await loadScenario('quick-start', { overrides: { 'rve.generate.shape': [n, n, n], 'mechanics.enabled': true, 'mechanics.lattice': { NMC: 'none' } } });
    rve = spec.rve;
    const N = rve.phase.length, nmc = spec.mechanics.phases[0].phaseId;
    const eps = new Float64Array(N);
    for (let v = 0; v < N; v++) if (rve.phase[v] === nmc) eps[v] = 0.02 / 3;
    field = { isotropic: eps };
    phases = spec.mechanics.phases.map((p) => ({ id: p.phaseId, name: p.name, elastic: new LinearElastic(p.youngsModulus, p.poissonRatio, p.elasticSource), eigenstrain: { kind: 'none' } }));
  }
  let t0 = performance.now();
  const sys = buildSwellSystem({ rve, phases, lateral, top, preconditioner: pre, amgSmoothedLevels: 1 });
  out.setup_s = +((performance.now() - t0) / 1000).toFixed(2);
  out.unknowns = sys.unknowns;
  if (sys.multigrid) out.levels = sys.multigrid.length;
  const setupBefore = sys.setupSeconds;
  const r = solveSwellDisplacement(sys, field, { rtol: 1e-8, maxIterations: 3000 });
  // an auto switch builds AMG inside the solve: count that set-up as solve time
  Object.assign(out, { solve_s: +r.seconds.toFixed(2), iterations: r.iterations, relativeResidual: r.relativeResidual, threads: sys.threads?.threads, used: sys.preconditioner.kind });
  if (sys.setupSeconds !== setupBefore) out.switchSetup_s = +(sys.setupSeconds - setupBefore).toFixed(2);
}
out.total_s = +(out.setup_s + out.solve_s).toFixed(2);
console.log(JSON.stringify(out));

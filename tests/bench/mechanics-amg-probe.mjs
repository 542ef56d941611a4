// AMG set-up vs CG iterations of the run's elasticity problem (docs/benchmarks.md, "Mechanics
// inside lithomech run"): builds the swelling system of nmc622-fast-charge-5C-stress on a crop
// with a given number of smoothed prolongator levels, then solves three non-uniform loads in a row
// (each warm-started from the previous, as the run does).
//   node tests/bench/mechanics-amg-probe.mjs "0:48,0:48,0:75" 2      (levels: 1, 2, … or Infinity)
// Needs the build (npm run build). Not part of npm test.
import { loadScenario } from '../../dist/io/scenario.js';
import { LinearElastic } from '../../dist/physics/linear-elastic.js';
import { RunMechanics } from '../../dist/sim/run-mechanics.js';
import { buildSwellSystem, solveSwellSystem } from '../../dist/sim/swell.js';

const [crop, levelsArg] = process.argv.slice(2);
if (!crop) { console.error('usage: node tests/bench/mechanics-amg-probe.mjs <crop x0:x1,y0:y1,z0:z1> [smoothed levels]'); process.exit(2); }
const levels = Number(levelsArg ?? 1);
const spec = await loadScenario('nmc622-fast-charge-5C-stress', { overrides: { 'rve.mesh.crop': crop } });
const rve = spec.rve, N = rve.phase.length, active = spec.mechanics.phases[0].phaseId;
const ref = new Float64Array(N).fill(NaN);
for (let v = 0; v < N; v++) if (rve.phase[v] === active) ref[v] = 0.89;
// the run's eigenstrain (lattice table, random orientation per particle) of a stoichiometry field
const mech = new RunMechanics(rve, { ...spec.mechanics, solveAt: 'snapshots' }, ref);
let t0 = performance.now();
const phases = spec.mechanics.phases.map((p) => ({ id: p.phaseId, name: p.name, elastic: new LinearElastic(p.youngsModulus, p.poissonRatio, p.elasticSource), eigenstrain: { kind: 'none' } }));
const sys = buildSwellSystem({ rve, phases, lateral: spec.mechanics.lateral, top: spec.mechanics.top, amgSmoothedLevels: levels });
console.log(`crop ${crop}: ${sys.unknowns} unknowns, ${levels} smoothed level(s): set-up ${((performance.now() - t0) / 1000).toFixed(2)} s; threads ${JSON.stringify(sys.threads)}`);
let x0;
for (const dx of [0.001, 0.002, 0.01]) {
  const x = ref.map((r, v) => (Number.isFinite(r) ? r - dx * (1 + Math.sin(v)) : NaN));
  t0 = performance.now();
  const s = solveSwellSystem(sys, mech.eigenstrain(x).field, { rtol: 1e-8, ...(x0 ? { x0 } : {}) });
  x0 = s.solverVector;
  console.log(`solve: ${((performance.now() - t0) / 1000).toFixed(2)} s (CG ${s.seconds.toFixed(2)} s, ${s.iterations} iterations, relative residual ${s.relativeResidual.toExponential(2)})`);
}

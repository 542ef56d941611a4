// Run a scenario through the same path as `lithomech run` (loadScenario + runScenario + RunWriter)
// printing wall time per accepted step, for long benchmark runs (docs/benchmarks.md).
//   node tests/bench/run-steps.mjs <scenario> <outDir>     (env OV='{"key": value}' for overrides)
// Needs the build (npm run build). Not part of npm test.
import fs from 'node:fs';
import { loadScenario } from '../../dist/io/scenario.js';
import { runScenario } from '../../dist/sim/run.js';
import { RunWriter } from '../../dist/io/run-writer.js';

const [name, out] = process.argv.slice(2);
if (!name || !out) { console.error('usage: node tests/bench/run-steps.mjs <scenario> <outDir>'); process.exit(2); }
const spec = await loadScenario(name, { overrides: JSON.parse(process.env.OV ?? '{}') });
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
const writer = new RunWriter(out, { shape: spec.rve.shape, voxelSize: spec.rve.voxelSize, mechanics: spec.mechanics?.enabled === true });
const t0 = performance.now();
let last = t0;
try {
  const r = await runScenario(spec, writer, {
    onProgress: (p) => {
      const now = performance.now();
      console.log(`${((now - t0) / 1000).toFixed(1)} s wall (+${((now - last) / 1000).toFixed(1)}): t=${p.time.toFixed(2)} V=${p.voltage.toFixed(4)} soc=${p.soc.toFixed(4)}`);
      last = now;
    },
  });
  const m = r.summary.mechanics;
  console.log('DONE', JSON.stringify({ wall: (performance.now() - t0) / 1000, solver: r.summary.solver, li: r.summary.lithiumBalanceError, stepEnds: r.summary.stepEnds, ...(m ? { mechanics: { solves: m.solves, cgIterations: m.cgIterations, cgIterationsMax: m.cgIterationsMax, seconds: m.seconds, setupSeconds: m.solver?.setupSeconds, unknowns: m.unknowns } } : {}) }));
} catch (e) {
  console.log('ERR', e.message);
  process.exitCode = 1;
}

/**
 * `lithomech tortuosity` and `lithomech conductivity`: effective transport properties with
 * TauFactor's definitions (Cooper et al. 2016), solved by src/sim/tortuosity.ts.
 */
import cliProgress from 'cli-progress';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { InputError } from '../core/errors.js';
import { parseQuantity } from '../core/units.js';
import { axisIndex, type Axis } from '../core/volume.js';
import { phaseGridFromLabels } from '../mesh/pipeline.js';
import type { PhaseDef } from '../mesh/rve.js';
import type { BackendSelection } from '../linalg/backends/registry.js';
import { resolveTortuosityBackend, tortuosity, type TortuosityBackend, type TortuosityOptions, type TortuosityResult } from '../sim/tortuosity.js';
import { DEFAULT_SOLVER, listSolverPresets, loadSolverPreset, tortuositySolverOptions } from '../io/solver-presets.js';
import { StepLog } from './log.js';
import { resolveVolumeInputs, volumeInputOptions, type VolumeArgs } from './volume-options.js';

interface TransportArgs extends VolumeArgs {
  axis: 'x' | 'y' | 'z' | 'all';
  json: boolean;
  rtol?: number;
  solver: string;
  verbose: boolean;
  backend?: TortuosityBackend;
}
interface TortuosityArgs extends TransportArgs { phase: string }
interface ConductivityArgs extends TransportArgs { conductivity: string }

/** One line of `--json` output per axis. τ = Infinity is written as null with percolating: false. */
export interface TransportRecord {
  phase: string;
  axis: string;
  volumeFraction: number;
  effectiveDiffusivityRatio: number;
  tortuosityFactor: number | null;
  percolating: boolean;
  message?: string;
  iterations: number;
  relativeResidual: number;
  seconds: number;
  effectiveConductivity?: number;
  unknowns: number;
  isolatedVoxels: number;
  deadEndVoxels: number;
  /** kernel backend and why it was chosen (for auto: the measured timings) */
  backend: { name: string; reason: string };
  /** threads of the fine-level kernels and why */
  threads: { threads: number; reason: string };
}

function transportOptions<T>(y: Argv<T>) {
  return volumeInputOptions(y)
    .option('axis', { choices: ['x', 'y', 'z', 'all'] as const, default: 'all' as const, describe: 'direction of the imposed gradient' })
    .option('json', { type: 'boolean', default: false, describe: 'print a JSON array, one object per axis' })
    .option('solver', { type: 'string', default: DEFAULT_SOLVER, describe: `solver preset from solvers/ (${listSolverPresets().join(', ')}) or a .yaml file` })
    .option('rtol', { type: 'number', describe: 'relative residual of the linear solve (default: the preset\'s, 1e-8)' })
    .option('backend', {
      choices: ['auto', 'js', 'tfjs'] as const,
      describe: 'kernel backend: js = Float64 multigrid; tfjs = float32 Chebyshev polynomial preconditioner on TensorFlow.js (slower on CPUs); auto = measured choice (default: the preset\'s, js)',
    })
    .option('verbose', { type: 'boolean', default: Boolean(process.stderr.isTTY), describe: 'print progress on stderr' });
}

function solverFor(args: TransportArgs) {
  const { rtol, solver } = tortuositySolverOptions(loadSolverPreset(args.solver).preset);
  if (args.rtol !== undefined && !(args.rtol > 0 && args.rtol < 1)) throw new InputError('--rtol', `expected a value in (0, 1), got ${args.rtol}`);
  return { rtol: args.rtol ?? rtol, solver };
}

/** --backend (or the preset's), resolved once per command ('auto' measures, 'tfjs' loads TensorFlow.js). */
async function backendFor(args: TransportArgs, shape: TortuosityOptions['shape']): Promise<'js' | BackendSelection> {
  const choice = args.backend ?? loadSolverPreset(args.solver).preset.backend ?? 'js';
  return choice === 'js' ? 'js' : resolveTortuosityBackend(choice, shape);
}

/** Solves that take longer than this get a progress bar (TTY + verbose only). */
const PROGRESS_AFTER_MS = 1500;

/**
 * A progress bar on stderr (cli-progress) showing the relative residual on a log scale from 1
 * down to rtol. Only when stderr is a TTY and `enabled` (--verbose); it appears only once a
 * solve has run for PROGRESS_AFTER_MS, so short solves print nothing. Returns the onProgress
 * callback and a function that removes the bar.
 */
function progressBar(enabled: boolean, label: string, rtol: number): { onProgress?: TortuosityOptions['onProgress']; stop: () => void } {
  if (!enabled || !process.stderr.isTTY) return { stop: () => {} };
  const t0 = performance.now();
  const span = Math.max(1e-12, -Math.log10(rtol));
  let bar: cliProgress.SingleBar | undefined;
  return {
    onProgress: (iteration, rel) => {
      if (!bar) {
        if (performance.now() - t0 < PROGRESS_AFTER_MS) return;
        bar = new cliProgress.SingleBar({
          stream: process.stderr,
          format: `  ${label} [{bar}] {percentage}% | iteration {iteration} | residual {residual}`,
          clearOnComplete: true,
          hideCursor: true,
        }, cliProgress.Presets.shades_classic);
        bar.start(100, 0, { iteration: 0, residual: '1' });
      }
      const done = Math.min(100, Math.max(0, (100 * -Math.log10(Math.max(rel, 1e-300))) / span));
      bar.update(Math.round(done), { iteration, residual: rel.toExponential(2) });
    },
    stop: () => { bar?.stop(); },
  };
}

/** One tortuosity() call with the progress bar around it. */
function solveWithProgress(args: TransportArgs, label: string, o: TortuosityOptions): TortuosityResult {
  const { onProgress, stop } = progressBar(args.verbose, label, o.rtol ?? 1e-8);
  try {
    return tortuosity({ ...o, onProgress });
  } finally {
    stop();
  }
}

const axesOf = (a: TransportArgs['axis']): Axis[] => (a === 'all' ? [0, 1, 2] : [axisIndex(a)]);

function findPhases(phases: PhaseDef[], names: string, key: string): PhaseDef[] {
  return names.split(',').map((n) => n.trim()).filter(Boolean).map((n) => {
    const p = phases.find((q) => q.name === n);
    if (!p) throw new InputError(key, `no phase named "${n}" (phases: ${phases.map((q) => q.name).join(', ')})`);
    return p;
  });
}

function record(phase: string, r: TortuosityResult, withConductivity: boolean): TransportRecord {
  return {
    phase,
    axis: 'xyz'[r.axis],
    volumeFraction: r.volumeFraction,
    effectiveDiffusivityRatio: r.effectiveDiffusivityRatio,
    tortuosityFactor: Number.isFinite(r.tortuosityFactor) ? r.tortuosityFactor : null,
    percolating: r.percolating,
    ...(r.message ? { message: r.message } : {}),
    iterations: r.iterations,
    relativeResidual: r.relativeResidual,
    seconds: r.seconds,
    ...(withConductivity ? { effectiveConductivity: r.effectiveConductivity } : {}),
    unknowns: r.unknowns,
    isolatedVoxels: r.isolatedVoxels,
    deadEndVoxels: r.deadEndVoxels,
    backend: r.backend,
    threads: r.threads,
  };
}

function print(records: TransportRecord[], json: boolean, what: string): void {
  if (json) { process.stdout.write(JSON.stringify(records, null, 2) + '\n'); return; }
  const lines = [`${what.padEnd(20)} axis   ε        D_eff/D       τ           iterations  seconds`];
  for (const r of records) {
    const tau = r.tortuosityFactor === null ? '∞' : r.tortuosityFactor.toPrecision(6);
    lines.push(`${r.phase.padEnd(20)} ${r.axis.padEnd(6)} ${r.volumeFraction.toFixed(4)}   ${r.effectiveDiffusivityRatio.toExponential(4).padEnd(12)}  ${tau.padEnd(10)}  ${String(r.iterations).padStart(10)}  ${r.seconds.toFixed(2).padStart(7)}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
  for (const r of records) if (r.message) process.stderr.write(`lithomech: ${r.phase} along ${r.axis}: ${r.message}\n`);
}

export const tortuosityCommand: CommandModule<object, TortuosityArgs> = {
  command: 'tortuosity <volume>',
  describe: 'tortuosity factor of a phase (TauFactor definition: τ = ε D / D_eff)',
  builder: (y: Argv) =>
    transportOptions(y)
      .option('phase', { type: 'string', demandOption: true, describe: 'phase name (or names joined by commas, treated as one conducting set)' })
      .example('$0 tortuosity nmc.tif --phases "0=pore:electrolyte,1=NMC:active,2=CBD:cbd" --phase pore', 'pore-phase τ along x, y and z')
      .example('$0 tortuosity rve/rve.vti --phase pore --axis z --json', 'one axis, machine-readable') as unknown as Argv<TortuosityArgs>,
  handler: async (args: ArgumentsCamelCase<TortuosityArgs>) => {
    const log = new StepLog(args.verbose);
    const { volume, options } = await resolveVolumeInputs(args, { voxelSizeOptional: true });
    const chosen = findPhases(options.phases, args.phase, '--phase');
    const grid = phaseGridFromLabels(volume, options);
    log.step(`read ${args.volume}, ${grid.shape.join('×')} voxels`);
    const inPhase = new Uint8Array(256);
    for (const p of chosen) inPhase[p.id] = 1;
    const mask = new Uint8Array(grid.phase.length);
    for (let i = 0; i < mask.length; i++) mask[i] = inPhase[grid.phase[i]];
    const name = chosen.map((p) => p.name).join('+');
    const backend = await backendFor(args, grid.shape);
    if (typeof backend !== 'string') log.step(`backend ${backend.name}: ${backend.reason}`);
    const records = axesOf(args.axis).map((axis) => {
      const r = solveWithProgress(args, `${name} along ${'xyz'[axis]}`, { shape: grid.shape, spacing: grid.voxelSize, mask, axis, backend, ...solverFor(args) });
      log.step(`${name} along ${'xyz'[axis]}: τ = ${r.tortuosityFactor}, ${r.iterations} iterations, threads ${r.threads.threads} (${r.threads.reason})`);
      return record(name, r, false);
    });
    print(records, args.json, 'phase');
  },
};

export const conductivityCommand: CommandModule<object, ConductivityArgs> = {
  command: 'conductivity <volume>',
  describe: 'effective conductivity of a multi-phase volume (τ = Σ εᵢσᵢ / σ_eff)',
  builder: (y: Argv) =>
    transportOptions(y)
      .option('conductivity', { type: 'string', demandOption: true, describe: 'phase=σ,... (numbers in S/m or values with units; phases not listed do not conduct)' })
      .example('$0 conductivity nmc.tif --phases "0=pore:electrolyte,1=NMC:active,2=CBD:cbd" --conductivity "pore=1,NMC=1e-3,CBD=0.1"', 'three-phase effective conductivity') as unknown as Argv<ConductivityArgs>,
  handler: async (args: ArgumentsCamelCase<ConductivityArgs>) => {
    const log = new StepLog(args.verbose);
    const { volume, options } = await resolveVolumeInputs(args, { voxelSizeOptional: true });
    const sigmaOf = new Float64Array(256);
    const listed: string[] = [];
    for (const entry of args.conductivity.split(',').map((s) => s.trim()).filter(Boolean)) {
      const m = /^([^=]+)=(.+)$/.exec(entry);
      if (!m) throw new InputError('--conductivity', `cannot parse "${entry}" (expected phase=value)`);
      const [p] = findPhases(options.phases, m[1], '--conductivity');
      const v = parseQuantity(m[2], 'conductivity', '--conductivity');
      if (!(v >= 0)) throw new InputError('--conductivity', `${p.name}: expected a value ≥ 0, got ${m[2]}`);
      sigmaOf[p.id] = v;
      listed.push(p.name);
    }
    const grid = phaseGridFromLabels(volume, options);
    log.step(`read ${args.volume}, ${grid.shape.join('×')} voxels`);
    const sigma = new Float64Array(grid.phase.length);
    for (let i = 0; i < sigma.length; i++) sigma[i] = sigmaOf[grid.phase[i]];
    const name = listed.join('+');
    const backend = await backendFor(args, grid.shape);
    if (typeof backend !== 'string') log.step(`backend ${backend.name}: ${backend.reason}`);
    const records = axesOf(args.axis).map((axis) => {
      const r = solveWithProgress(args, `along ${'xyz'[axis]}`, { shape: grid.shape, spacing: grid.voxelSize, conductivity: sigma, axis, backend, ...solverFor(args) });
      log.step(`along ${'xyz'[axis]}: σ_eff = ${r.effectiveConductivity}, ${r.iterations} iterations, threads ${r.threads.threads} (${r.threads.reason})`);
      return record(name, r, true);
    });
    print(records, args.json, 'conducting phases');
  },
};

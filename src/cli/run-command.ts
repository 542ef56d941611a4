/**
 * `lithomech run <scenario> --out DIR`: load and validate a scenario (src/io/scenario.ts), run
 * the coupled half cell through its protocol (src/sim/run.ts) and write the outputs
 * (src/io/run-writer.ts) into a temporary directory renamed onto --out at the end.
 *
 * A run that stops early (a step that does not converge after the step-size reductions, a Li
 * balance violation, a cut-off never reached) still leaves its outputs, with summary.json
 * `status: incomplete` and the error; the command then prints the error on one line and exits 1.
 */
import cliProgress from 'cli-progress';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { withAtomicOutputDir } from '../io/atomic-dir.js';
import { RunWriter } from '../io/run-writer.js';
import { listScenarios, loadScenario, parseOverride } from '../io/scenario.js';
import { RunError, runScenario } from '../sim/run.js';
import { StepLog } from './log.js';

interface RunArgs {
  scenario: string;
  out: string;
  set?: string[];
  progress: boolean;
  verbose: boolean;
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run <scenario>',
  describe: 'run a scenario (a YAML/JSON file, or the name of a shipped one) and write timeseries, fields and summary',
  builder: (y: Argv) =>
    y
      .positional('scenario', { type: 'string', demandOption: true, describe: `scenario file, or a shipped scenario: ${listScenarios().join(', ')}` })
      .option('out', { type: 'string', demandOption: true, describe: 'output directory (written atomically)' })
      .option('set', { type: 'string', array: true, describe: 'override a scenario key, e.g. --set solver.time.maxStep="10 s" (repeatable)' })
      .option('progress', { type: 'boolean', default: Boolean(process.stderr.isTTY), describe: 'progress bar on stderr' })
      .option('verbose', { type: 'boolean', default: false, describe: 'print the set-up steps and timings on stderr' }) as unknown as Argv<RunArgs>,
  handler: async (args: ArgumentsCamelCase<RunArgs>) => {
    const log = new StepLog(args.verbose);
    const overrides: Record<string, unknown> = {};
    for (const s of args.set ?? []) {
      const [k, v] = parseOverride(s);
      overrides[k] = v;
    }
    const spec = await loadScenario(args.scenario, { overrides });
    log.step(`scenario ${spec.name}: RVE ${spec.rve.shape.join('×')}, ${spec.protocol.length} protocol step(s)`);
    let failure: RunError | undefined;
    let bar: cliProgress.SingleBar | undefined;
    await withAtomicOutputDir(args.out, async (dir) => {
      const writer = new RunWriter(dir, { shape: spec.rve.shape, voxelSize: spec.rve.voxelSize, mechanics: spec.mechanics?.enabled === true });
      if (args.progress) {
        bar = new cliProgress.SingleBar({
          format: 'run |{bar}| step {step}/{steps} t = {time} s  V = {voltage} V  SoC = {soc}',
          stream: process.stderr, hideCursor: true, clearOnComplete: true,
        }, cliProgress.Presets.shades_classic);
        bar.start(spec.protocol.length, 0, { step: 1, steps: spec.protocol.length, time: '0', voltage: '-', soc: '-' });
      }
      try {
        const res = await runScenario(spec, writer, {
          onProgress: (p) => bar?.update(p.step, { step: p.step + 1, steps: p.stepsTotal, time: p.time.toFixed(1), voltage: p.voltage.toFixed(4), soc: p.soc.toFixed(3) }),
        });
        bar?.update(spec.protocol.length);
        bar?.stop();
        const s = res.summary;
        log.step(`done in ${s.wallTime_s.toFixed(1)} s: ${String(s.solver.steps)} steps, charge ${(s.chargeCapacity_Ah * 1e3).toExponential(4)} mA h, Li balance ${s.lithiumBalanceError.toExponential(2)}`);
      } catch (err) {
        bar?.stop();
        if (err instanceof RunError) failure = err; // outputs are complete up to the failure: keep them
        else throw err;
      }
    });
    if (failure) {
      process.stderr.write(`lithomech: ${spec.source}: run incomplete (outputs in ${args.out}): ${failure.message}\n`);
      process.exitCode = 1;
    } else {
      process.stdout.write(`${args.out}\n`);
    }
  },
};

/**
 * The `lithomech` command line. Each command resolves its inputs (units → SI), does its work,
 * and writes outputs into a temporary directory renamed onto --out at the end.
 * User errors (InputError) print one line `lithomech: <file or key>: <cause>` and exit 2.
 */
import yargs, { type Argv } from 'yargs';
import { InputError } from '../core/errors.js';
import { meshCommand, statsCommand } from './mesh-commands.js';
import { generateCommand } from './generate-commands.js';
import { conductivityCommand, tortuosityCommand } from './transport-commands.js';
import { runCommand } from './run-command.js';
import { stiffnessCommand, swellCommand } from './mechanics-commands.js';

export { VERSION } from '../core/version.js';
import { VERSION } from '../core/version.js';

export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const parser = yargs(argv)
    .scriptName('lithomech')
    .usage('$0 <command> [options]\n\nElectro-chemo-mechanics of Li-ion electrode microstructures: tomography → voxel RVE → simulation.')
    .command(meshCommand)
    .command(statsCommand)
    .command(generateCommand)
    .command(tortuosityCommand)
    .command(conductivityCommand)
    .command(runCommand)
    .command(swellCommand)
    .command(stiffnessCommand)
    .demandCommand(1, 'give a command (see --help)')
    .strict()
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((msg: string | null, err: Error | null, y: Argv) => {
      if (err) throw err;
      void y;
      process.stderr.write(`lithomech: ${msg}\nRun 'lithomech --help' for usage.\n`);
      exitCode = 2;
    });
  try {
    await parser.parseAsync();
  } catch (err) {
    if (err instanceof InputError) {
      process.stderr.write(`lithomech: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
  // a command may set process.exitCode (e.g. `run` finishing with incomplete outputs)
  return exitCode || (typeof process.exitCode === 'number' ? process.exitCode : 0);
}

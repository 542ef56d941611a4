/**
 * Named solver presets (solvers/*.yaml), validated against solvers/solver-preset.schema.json.
 * `--solver multigrid-cg` picks solvers/multigrid-cg.yaml; a path to a .yaml/.json file works too.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { InputError } from '../core/errors.js';
import type { TortuositySolverOptions } from '../sim/tortuosity.js';
import { validate } from './schema.js';

/** The package's solvers/ folder (from dist/io or src/io alike). */
export const SOLVERS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../solvers');
export const DEFAULT_SOLVER = 'multigrid-cg';

export interface SolverPreset {
  description?: string;
  method: 'cg' | 'bicgstab' | 'gmres';
  rtol?: number;
  maxIterations?: number;
  restart?: number;
  preconditioner: 'multigrid' | 'jacobi' | 'none';
  multigrid?: NonNullable<TortuositySolverOptions['multigrid']>;
  backend?: 'auto' | 'js' | 'tfjs';
}

export function listSolverPresets(): string[] {
  return readdirSync(SOLVERS_DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')).sort();
}

export function loadSolverPreset(nameOrPath: string = DEFAULT_SOLVER): { name: string; file: string; preset: SolverPreset } {
  const isPath = /\.(ya?ml|json)$/i.test(nameOrPath);
  const file = isPath ? nameOrPath : path.join(SOLVERS_DIR, `${nameOrPath}.yaml`);
  if (!existsSync(file)) {
    throw new InputError('--solver', isPath ? `${nameOrPath}: file not found` : `no preset "${nameOrPath}" (available: ${listSolverPresets().join(', ')})`);
  }
  let obj: unknown;
  try {
    obj = /\.json$/i.test(file) ? JSON.parse(readFileSync(file, 'utf8')) : YAML.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InputError(file, `cannot parse: ${(err as Error).message.split('\n')[0]}`);
  }
  const schema = JSON.parse(readFileSync(path.join(SOLVERS_DIR, 'solver-preset.schema.json'), 'utf8'));
  const preset = validate<SolverPreset>(obj, schema, file);
  return { name: isPath ? path.basename(file).replace(/\.(ya?ml|json)$/i, '') : nameOrPath, file, preset };
}

/**
 * The options `tortuosity()` takes, from a preset. The preset's `backend` is not among them: 'auto'
 * and 'tfjs' must be resolved asynchronously first (the CLI does it once per command, see
 * resolveTortuosityBackend / tortuosityAsync in src/sim/tortuosity.ts).
 */
export function tortuositySolverOptions(p: SolverPreset): { rtol?: number; solver: TortuositySolverOptions } {
  return {
    rtol: p.rtol,
    solver: { method: p.method, preconditioner: p.preconditioner, multigrid: p.multigrid, maxIterations: p.maxIterations, restart: p.restart },
  };
}

/** The Krylov methods behind the `Solver` interface, by name. */
import { bicgstab } from './bicgstab.js';
import { cg } from './cg.js';
import { gmres } from './gmres.js';
import type { KrylovMethod, Solver } from './solve-options.js';

const SOLVERS: Record<KrylovMethod, Solver> = {
  cg: { name: 'cg', solve: cg },
  bicgstab: { name: 'bicgstab', solve: bicgstab },
  gmres: { name: 'gmres', solve: gmres },
};

export function solverByName(name: KrylovMethod): Solver {
  const s = SOLVERS[name];
  if (!s) throw new RangeError(`unknown Krylov method "${String(name)}" (expected cg, bicgstab or gmres)`);
  return s;
}

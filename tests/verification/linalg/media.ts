/** Random voxel media for the verification tests (deterministic). */
import { Rng } from '../../../src/core/rng.js';
import type { Shape3 } from '../../../src/core/volume.js';

/** Two-phase medium: conductivity 1 with probability p, else `low` (i.i.d. voxels). */
export function twoPhase(shape: Shape3, p: number, low: number, seed = 42): Float64Array {
  const rng = new Rng(seed);
  const k = new Float64Array(shape[0] * shape[1] * shape[2]);
  for (let i = 0; i < k.length; i++) k[i] = rng.uniform() < p ? 1 : low;
  return k;
}

/**
 * Three-phase medium: pore (σ = 1) with probability `pore`, CBD (σ = cbd) with probability
 * `cbdFraction`, solid (σ = 0) otherwise.
 */
export function threePhase(shape: Shape3, pore: number, cbdFraction: number, cbd: number, seed = 7): Float64Array {
  const rng = new Rng(seed);
  const k = new Float64Array(shape[0] * shape[1] * shape[2]);
  for (let i = 0; i < k.length; i++) {
    const u = rng.uniform();
    k[i] = u < pore ? 1 : u < pore + cbdFraction ? cbd : 0;
  }
  return k;
}

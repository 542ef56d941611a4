/**
 * Polycrystalline particles: Voronoi grains inside each labelled particle.
 *
 * For particle p with V_p voxels, k_p grain seeds are drawn uniformly (without replacement) among
 * its own voxels; every voxel of p goes to the nearest seed of p (Euclidean distance between voxel
 * centres in physical units, so anisotropic voxels are handled; ties → the lower seed index).
 * The grains are therefore inside their particle by construction and partition it; a grain of a
 * non-convex particle may be disconnected (the restricted Voronoi cell is cut by the particle's
 * boundary) — it still has a single orientation.
 * k_p is either fixed (`perParticle`), or from a grain size d (equivalent-sphere diameter):
 * k_p = max(1, round(V_p h_x h_y h_z / (π d³ / 6))), capped at V_p.
 * Deterministic by seed (src/core/rng: the same seed gives the same grains on every machine):
 * particles are processed in increasing id, each drawing its seeds from one stream.
 * Grain ids: 1..count in order of (particle id, seed index); 0 outside particles.
 */
import { InputError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { Shape3, Vec3 } from '../core/volume.js';

export interface GrainOptions {
  /** Grains per particle (integer ≥ 1). */
  perParticle?: number;
  /** Grain size: equivalent-sphere diameter [m] (with `voxelSize`). */
  grainSize?: number;
  voxelSize?: Vec3;
  seed?: number;
}

export interface Grains {
  /** Grain id per voxel (0 outside particles). */
  grain: Int32Array;
  /** Number of grains. */
  count: number;
  /** Particle of each grain, index = grain id (entry 0 unused). */
  particleOfGrain: Int32Array;
  /** Grains per particle id (index = particle id). */
  grainsOfParticle: Int32Array;
}

/** Voronoi grains inside the particles of `particle` (particle id per voxel, 0 = none). */
export function voronoiGrains(particle: ArrayLike<number>, shape: Shape3, opts: GrainOptions): Grains {
  const [nx, ny, nz] = shape;
  const N = nx * ny * nz;
  if (particle.length !== N) throw new InputError('particles', `has ${particle.length} values, the grid has ${N} voxels`);
  const byCount = opts.perParticle !== undefined;
  if (byCount === (opts.grainSize !== undefined)) throw new InputError('--grains', 'give exactly one of a number of grains per particle and a grain size');
  if (byCount && !(Number.isInteger(opts.perParticle) && opts.perParticle! >= 1)) throw new InputError('--grains', `expected an integer ≥ 1, got ${opts.perParticle}`);
  if (!byCount && !(opts.grainSize! > 0 && Number.isFinite(opts.grainSize))) throw new InputError('--grain-size', `expected a positive length, got ${opts.grainSize}`);
  const [hx, hy, hz] = opts.voxelSize ?? [1, 1, 1];
  let maxId = 0;
  for (let v = 0; v < N; v++) {
    const p = particle[v];
    if (!(Number.isInteger(p) && p >= 0)) throw new InputError('particles', `voxel ${v}: expected an integer id ≥ 0, got ${p}`);
    if (p > maxId) maxId = p;
  }
  // voxels grouped by particle (counting sort)
  const size = new Int32Array(maxId + 2);
  for (let v = 0; v < N; v++) size[particle[v] + 1]++;
  const start = new Int32Array(maxId + 2);
  for (let p = 1; p <= maxId + 1; p++) start[p] = start[p - 1] + size[p];
  // start[p] = first slot of particle p (slots of particle 0 first)
  const fill = start.slice();
  const byParticle = new Int32Array(N);
  for (let v = 0; v < N; v++) byParticle[fill[particle[v]]++] = v;

  const rng = new Rng(opts.seed ?? 1);
  const grain = new Int32Array(N);
  const grainsOfParticle = new Int32Array(maxId + 1);
  const particleOfGrain: number[] = [0];
  const grainVolume = byCount ? 0 : (Math.PI / 6) * opts.grainSize! ** 3;
  let next = 1;
  const sx: number[] = [], sy: number[] = [], sz: number[] = [];
  for (let p = 1; p <= maxId; p++) {
    const n = size[p + 1];
    if (n === 0) continue;
    const voxels = byParticle.subarray(start[p], start[p] + n);
    const k = Math.min(n, byCount ? opts.perParticle! : Math.max(1, Math.round((n * hx * hy * hz) / grainVolume)));
    // k distinct voxels: partial Fisher–Yates over a copy of the particle's voxel list
    const pool = Int32Array.from(voxels);
    sx.length = sy.length = sz.length = 0;
    for (let i = 0; i < k; i++) {
      const j = i + Math.min(n - i - 1, Math.floor(rng.uniform() * (n - i)));
      const t = pool[i]; pool[i] = pool[j]; pool[j] = t;
      const v = pool[i];
      sx.push((v % nx) * hx); sy.push((Math.floor(v / nx) % ny) * hy); sz.push(Math.floor(v / (nx * ny)) * hz);
    }
    for (const v of voxels) {
      const x = (v % nx) * hx, y = (Math.floor(v / nx) % ny) * hy, z = Math.floor(v / (nx * ny)) * hz;
      let best = 0, bestD = Infinity;
      for (let i = 0; i < k; i++) {
        const d = (x - sx[i]) ** 2 + (y - sy[i]) ** 2 + (z - sz[i]) ** 2;
        if (d < bestD) { bestD = d; best = i; }
      }
      grain[v] = next + best;
    }
    for (let i = 0; i < k; i++) particleOfGrain.push(p);
    grainsOfParticle[p] = k;
    next += k;
  }
  return { grain, count: next - 1, particleOfGrain: Int32Array.from(particleOfGrain), grainsOfParticle };
}

/**
 * Cell-centred finite-volume operator for −∇·(k ∇u) = f on a voxel grid (7-point stencil).
 *
 * - One unknown per voxel with k > 0 that belongs to a 6-connected component of conducting voxels
 *   touching at least one of the two Dirichlet faces. Voxels with k = 0 are not part of the
 *   domain; components touching neither Dirichlet face ("floating clusters", which would make the
 *   matrix singular) are removed. Components touching one face only (dead ends) are kept.
 * - Face between cells i, j along axis a: conductance G = 2 k_i k_j / (k_i + k_j) · A_a / h_a
 *   (harmonic mean = two half-cells in series), A_a = area of the face.
 * - Dirichlet u = inletValue on the low face and u = outletValue on the high face normal to
 *   `axis`, imposed on the boundary FACE, half a voxel from the first cell centre:
 *   G_b = 2 k_i A_a / h_a, contributing G_b to the diagonal and G_b·u_face to the right-hand side.
 * - Zero flux on every other boundary and on the interface with non-conducting voxels.
 *
 * Scaling: entries are stored NON-DIMENSIONALLY, G_s = G / (k_ref · h_ref) with k_ref = max k and
 * h_ref = (h_x h_y h_z)^(1/3), so for unit isotropic voxels and k = k_ref a face has G_s = 1,
 * whatever h is in metres (with h = 1e-6 m the physical entries would be ~1e-6 and any absolute
 * tolerance meaningless). The solution u keeps the units of the boundary values; fluxes are
 * converted back: F = k_ref · h_ref · Σ G_s Δu. A relative residual ‖b − A u‖/‖b‖ is unchanged by
 * the scaling, so rtol = 1e-8 means the same thing for any voxel size and conductivity unit.
 */
import { InputError } from '../core/errors.js';
import type { Axis, Shape3, Vec3 } from '../core/volume.js';
import type { CsrMatrix } from '../linalg/csr-matrix.js';
import type { LinearOperator } from '../linalg/operator.js';
import { Stencil7Matrix } from '../linalg/stencil-matrix.js';
import { CELL_STENCIL_PARAMS, cellStencilRange, type CellStencilParams } from '../linalg/cell-stencil-kernels.js';
import { CMD, type View } from '../linalg/parallel-kernels.js';
import {
  getThreadPool, isShared, recycleShared, sharedFloat32, sharedFloat64, sharedInt32, wantsParallel, type StencilParallel,
} from '../linalg/thread-pool.js';
import { labelFaceComponents } from './components.js';

export interface DiffusionProblem {
  /** [nx, ny, nz] */
  shape: Shape3;
  /** Voxel edge lengths [hx, hy, hz] (any consistent length unit). Default [1, 1, 1]. */
  spacing?: Vec3;
  /** Conductivity (or diffusivity) per voxel, ≥ 0; 0 = not part of the domain. */
  conductivity: ArrayLike<number>;
  /** Axis normal to the two Dirichlet faces. */
  axis: Axis;
  /** u on the low face (index 0 along `axis`). Default 1. */
  inletValue?: number;
  /** u on the high face (index n−1 along `axis`). Default 0. */
  outletValue?: number;
  /** Volumetric source density f per voxel (u-units · conductivity / length²), optional. */
  source?: ArrayLike<number>;
  /**
   * Storage of the stencil coefficients: 'auto' (default) = Float32 when that is lossless (one
   * conductivity value on a grid whose geometry factors are coarse dyadic numbers, e.g. a phase
   * mask on cubic voxels), else Float64; 'float64' always. The operator is the same either way.
   */
  coefficients?: 'auto' | 'float64';
}

export interface ComponentSummary {
  /** 6-connected components of conducting voxels. */
  count: number;
  /** Components kept (touching at least one Dirichlet face). */
  kept: number;
  /** Some component touches both Dirichlet faces. */
  percolating: boolean;
  /** Conducting voxels removed because their component touches neither face. */
  removedVoxels: number;
  /** Conducting voxels in components touching exactly one face (kept; carry no through-flux). */
  deadEndVoxels: number;
  /** Conducting voxels in components touching both faces. */
  percolatingVoxels: number;
}

export interface BoundaryFlux {
  /** Flux entering the domain through the low (inlet) face: Σ G_b (u_in − u_i). */
  inlet: number;
  /** Flux leaving through the high (outlet) face: Σ G_b (u_i − u_out). */
  outlet: number;
}

export class DiffusionOperator implements LinearOperator {
  readonly n: number;
  private csr?: CsrMatrix;

  constructor(
    /** Non-dimensional matrix (see the module comment), compact 7-point storage (32 or 48 B/unknown). */
    readonly stencil: Stencil7Matrix,
    /** Non-dimensional right-hand side. */
    readonly rhs: Float64Array,
    /** unknown → voxel (ascending) */
    readonly voxelOfUnknown: Int32Array,
    readonly shape: Shape3,
    readonly spacing: Vec3,
    readonly axis: Axis,
    readonly inletValue: number,
    readonly outletValue: number,
    /** k_ref: physical conductance = conductivityScale · lengthScale · matrix entry */
    readonly conductivityScale: number,
    /** h_ref */
    readonly lengthScale: number,
    readonly components: ComponentSummary,
    private readonly inletUnknowns: Int32Array,
    private readonly inletConductance: Float64Array,
    private readonly outletUnknowns: Int32Array,
    private readonly outletConductance: Float64Array,
  ) {
    this.n = stencil.n;
  }

  private voxelMap?: Int32Array;

  /**
   * voxel → unknown, −1 when the voxel is not in the system: built on first use from
   * voxelOfUnknown and cached (4 bytes per voxel, which a solve alone does not need).
   */
  get unknownOfVoxel(): Int32Array {
    if (!this.voxelMap) {
      const m = new Int32Array(this.shape[0] * this.shape[1] * this.shape[2]).fill(-1);
      const v = this.voxelOfUnknown;
      for (let u = 0; u < v.length; u++) m[v[u]] = u;
      this.voxelMap = m;
    }
    return this.voxelMap;
  }

  /** The same matrix in CSR, built on first use and cached (≈ 2× the memory of the stencil). */
  get matrix(): CsrMatrix {
    this.csr ??= this.stencil.toCsr();
    return this.csr;
  }

  apply(x: Float64Array, y: Float64Array): void {
    this.stencil.apply(x, y);
  }

  /** y ← A x, returning x · y (one pass). */
  applyDot(x: Float64Array, y: Float64Array): number {
    return this.stencil.applyDot(x, y);
  }

  /** Threaded vector kernels for this operator (set up by the multigrid preconditioner). */
  get parallel(): StencilParallel | undefined {
    return this.stencil.parallel;
  }

  diagonal(): Float64Array {
    return this.stencil.diagonal();
  }

  /** Grid position of every unknown (for geometric multigrid). */
  get grid(): { shape: Shape3; cellOfUnknown: Int32Array } {
    return { shape: this.shape, cellOfUnknown: this.voxelOfUnknown };
  }

  /**
   * Slab index (position along the Dirichlet axis) of every unknown, for the conservative
   * slab correction (aggregateCorrection): after it the residual sums to zero over every slab, so
   * the flux through every cross-section, in particular inlet and outlet, is the same.
   * `out` (length ≥ n) receives the map instead of a new array.
   */
  slabs(out: Int32Array = new Int32Array(this.n)): { slabOfUnknown: Int32Array; count: number } {
    const [nx, ny] = this.shape;
    if (out.length < this.n) throw new RangeError(`slabs: out has ${out.length} entries, need ${this.n}`);
    if (out.length > this.n) out = out.subarray(0, this.n);
    const v = this.voxelOfUnknown;
    for (let i = 0; i < this.n; i++) {
      const c = v[i];
      out[i] = this.axis === 0 ? c % nx : this.axis === 1 ? Math.floor(c / nx) % ny : Math.floor(c / (nx * ny));
    }
    return { slabOfUnknown: out, count: this.shape[this.axis] };
  }

  /** Physical boundary fluxes (conductivity × u × length) for a solution u. */
  boundaryFlux(u: Float64Array): BoundaryFlux {
    let fin = 0, fout = 0;
    const ui = this.inletUnknowns, gi = this.inletConductance, uo = this.outletUnknowns, go = this.outletConductance;
    for (let t = 0; t < ui.length; t++) fin += gi[t] * (this.inletValue - u[ui[t]]);
    for (let t = 0; t < uo.length; t++) fout += go[t] * (u[uo[t]] - this.outletValue);
    const s = this.conductivityScale * this.lengthScale;
    return { inlet: fin * s, outlet: fout * s };
  }

  /** Scatter a solution to a voxel field; voxels not in the system get `fill`. */
  toVoxels(u: Float64Array, fill = Number.NaN): Float64Array {
    const out = new Float64Array(this.shape[0] * this.shape[1] * this.shape[2]).fill(fill);
    const v = this.voxelOfUnknown;
    for (let i = 0; i < v.length; i++) out[v[i]] = u[i];
    return out;
  }
}

/** A typed array the thread pool can take (Float64 / Float32 / Int32 in a SharedArrayBuffer). */
function isSharedView(a: ArrayLike<number>): boolean {
  return (a instanceof Float64Array || a instanceof Float32Array || a instanceof Int32Array) && isShared(a);
}

export function assembleDiffusionOperator(p: DiffusionProblem): DiffusionOperator {
  const shape = p.shape;
  const [nx, ny, nz] = shape;
  for (const s of shape) if (!(Number.isInteger(s) && s >= 1)) throw new InputError('shape', `expected positive integers, got [${shape.join(', ')}]`);
  const N = nx * ny * nz;
  const spacing: Vec3 = p.spacing ?? [1, 1, 1];
  for (const h of spacing) if (!(h > 0 && Number.isFinite(h))) throw new InputError('spacing', `expected positive voxel sizes, got [${spacing.join(', ')}]`);
  const axis = p.axis;
  if (axis !== 0 && axis !== 1 && axis !== 2) throw new InputError('axis', `expected 0, 1 or 2, got ${String(axis)}`);
  const k = p.conductivity;
  if (k.length !== N) throw new InputError('conductivity', `has ${k.length} values, the grid has ${N} voxels`);
  let kRef = 0;
  let kFirst = 0, singleValue = true; // every non-zero conductivity equal (a phase mask)
  for (let i = 0; i < N; i++) {
    const v = k[i];
    if (!(v >= 0) || !Number.isFinite(v)) throw new InputError('conductivity', `voxel ${i}: expected a finite value ≥ 0, got ${v}`);
    if (v > kRef) kRef = v;
    if (v > 0) { if (kFirst === 0) kFirst = v; else if (v !== kFirst) singleValue = false; }
  }
  if (p.source && p.source.length !== N) throw new InputError('source', `has ${p.source.length} values, the grid has ${N} voxels`);
  const uIn = p.inletValue ?? 1;
  const uOut = p.outletValue ?? 0;

  // Components: keep those touching a Dirichlet face.
  // labels in shared memory when large: they become the voxel → unknown map the threads read
  const comp = labelFaceComponents(k, shape, axis, wantsParallel(N) ? sharedInt32(N) : undefined);
  const keep = new Uint8Array(comp.count);
  const summary: ComponentSummary = { count: comp.count, kept: 0, percolating: false, removedVoxels: 0, deadEndVoxels: 0, percolatingVoxels: 0 };
  for (let c = 0; c < comp.count; c++) {
    const lo = comp.touchesLow[c], hi = comp.touchesHigh[c];
    if (lo || hi) { keep[c] = 1; summary.kept++; }
    if (lo && hi) { summary.percolating = true; summary.percolatingVoxels += comp.size[c]; }
    else if (lo || hi) summary.deadEndVoxels += comp.size[c];
    else summary.removedVoxels += comp.size[c];
  }
  const unknownOfVoxel = comp.label; // reused in place: component label → unknown index
  let n = 0;
  for (let v = 0; v < N; v++) {
    const c = unknownOfVoxel[v];
    unknownOfVoxel[v] = c >= 0 && keep[c] ? n++ : -1;
  }
  const voxelOfUnknown = sharedInt32(n); // shared: the multigrid setup's threads read it
  for (let v = 0; v < N; v++) { const u = unknownOfVoxel[v]; if (u >= 0) voxelOfUnknown[u] = v; }

  // Geometry factors (non-dimensional): g_a = A_a / (h_a h_ref)
  const [hx, hy, hz] = spacing;
  const hRef = Math.cbrt(hx * hy * hz);
  const g = [(hy * hz) / (hx * hRef), (hx * hz) / (hy * hRef), (hx * hy) / (hz * hRef)];
  const volumeScale = (hx * hy * hz) / (kRef > 0 ? kRef * hRef : 1);
  const invK = kRef > 0 ? 1 / kRef : 0;
  const nAxis = shape[axis];

  // The rows, plane by plane (src/linalg/cell-stencil-kernels.ts): each face conductance is
  // computed by both of its cells with the same expression, and diagonals are summed in the order
  // −z, −y, −x, +x, +y, +z, boundary — on the thread pool for large systems, bitwise the serial result.
  const [gx, gy, gz] = g;
  const gb = 2 * g[axis];
  // large systems: in SharedArrayBuffers, so that the thread pool can use them (thread-pool.ts).
  // Coefficients in Float32 when that is lossless: one conductivity value (the couplings are then
  // the geometry factors g_a, each face of a voxel one of them) and g_a coarse dyadic numbers
  // (multiples of 2⁻¹² up to 2¹⁰: on a cubic grid all 1), so every coupling and every diagonal —
  // a sum of at most 8 of them — is exactly a float32 and the operator is the same matrix.
  const float32 = (p.coefficients ?? 'auto') === 'auto' && singleValue && [gx, gy, gz, gb].every((v) => Number.isInteger(v * 4096) && v <= 1024);
  const coefficients = float32 ? sharedFloat32 : sharedFloat64;
  const out = {
    diag: coefficients(n), gx: coefficients(n), gy: coefficients(n), gz: coefficients(n),
    up: sharedInt32(n), front: sharedInt32(n), down: sharedInt32(n), back: sharedInt32(n), rhs: sharedFloat64(n),
  };
  const q: CellStencilParams = { nx, ny, nz, axis, n, invK, gx, gy, gz, gb, uIn, uOut, volumeScale };
  // one conductivity value: every face's harmonic mean is exactly 1, k itself is not read
  const kArg = singleValue ? null : k;
  const src = p.source ?? null;
  const threadedArgs = [kArg, src].filter((a): a is ArrayLike<number> => a !== null);
  const pool = wantsParallel(n) && isShared(unknownOfVoxel) && threadedArgs.every(isSharedView) ? getThreadPool() : undefined;
  if (pool) {
    const T = pool.threads;
    const zr = Array.from({ length: T + 1 }, (_, t) => Math.floor((nz * t) / T));
    const views = [unknownOfVoxel, out.diag, out.gx, out.gy, out.gz, out.up, out.front, out.down, out.back, out.rhs, ...(threadedArgs as View[])];
    pool.run(CMD.CELL_STENCIL, zr, views, zr, [...CELL_STENCIL_PARAMS.map((key) => q[key]), kArg ? 1 : 0, src ? 1 : 0]);
  } else cellStencilRange(q, unknownOfVoxel, kArg, src, out, 0, nz);
  // the boundary faces' unknowns and conductances, in voxel order
  const inletU: number[] = [], inletG: number[] = [], outletU: number[] = [], outletG: number[] = [];
  for (const [face, U, G] of [[0, inletU, inletG], [nAxis - 1, outletU, outletG]] as const) {
    const lo = [0, 0, 0], hi = [nx, ny, nz];
    lo[axis] = face; hi[axis] = face + 1;
    for (let z = lo[2]; z < hi[2]; z++) for (let y = lo[1]; y < hi[1]; y++) for (let x = lo[0]; x < hi[0]; x++) {
      const v = x + nx * (y + ny * z), u = unknownOfVoxel[v];
      if (u < 0) continue;
      U.push(u); G.push(gb * (kArg ? kArg[v] * invK : 1));
    }
  }
  pool?.forget(threadedArgs as View[]);
  recycleShared([unknownOfVoxel]);
  const matrix = new Stencil7Matrix(n, out.diag, out.gx, out.gy, out.gz, out.up, out.front, out.down, out.back);
  return new DiffusionOperator(
    matrix, out.rhs, voxelOfUnknown, shape, spacing, axis, uIn, uOut,
    kRef > 0 ? kRef : 1, hRef, summary,
    Int32Array.from(inletU), Float64Array.from(inletG), Int32Array.from(outletU), Float64Array.from(outletG),
  );
}

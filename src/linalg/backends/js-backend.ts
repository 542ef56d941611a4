/**
 * The reference backend 'js': Float64Array loops for the structured-grid kernels of registry.ts,
 * plus the shared helpers every backend uses (stencil construction from a CSR matrix, the
 * Gershgorin bound, compact ↔ grid scatter/gather).
 *
 * Stencil loops walk the grid z, y, x with the boundary cases hoisted out of the inner x loop, so
 * the hot loop has no divisions and no branches on the position.
 */
import type { Shape3 } from '../../core/volume.js';
import type { CsrMatrix } from '../csr-matrix.js';
import type { Stencil7Matrix } from '../stencil-matrix.js';
import {
  registerBackend,
  registerKernel,
  type ChebyshevKernelOptions,
  type ChebyshevPreconditionerOptions,
  type DisposablePreconditioner,
  type GridStencil,
} from './registry.js';

export type { GridStencil } from './registry.js';

/** Throws unless the stencil is well formed (lengths, zero faces on the last layers and at inactive voxels, diagonal > 0). */
export function validateGridStencil(s: GridStencil): void {
  const [nx, ny, nz] = s.shape;
  const N = nx * ny * nz;
  for (const [name, a] of [['mask', s.mask], ['gx', s.gx], ['gy', s.gy], ['gz', s.gz], ['diagonal', s.diagonal]] as const) {
    if (a.length !== N) throw new RangeError(`GridStencil: ${name} has length ${a.length}, expected ${N}`);
  }
  const nxy = nx * ny;
  for (let z = 0, v = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++, v++) {
    const on = s.mask[v] !== 0;
    if (on && !(s.diagonal[v] > 0)) throw new RangeError(`GridStencil: diagonal at active voxel ${v} is ${s.diagonal[v]} (expected > 0)`);
    const faces: [Float64Array, boolean, number][] = [[s.gx, x < nx - 1, 1], [s.gy, y < ny - 1, nx], [s.gz, z < nz - 1, nxy]];
    for (const [g, inside, step] of faces) {
      const c = g[v];
      if (c === 0) continue;
      if (!inside || !on || s.mask[v + step] === 0) throw new RangeError(`GridStencil: non-zero face conductance at voxel ${v} on a boundary or next to an inactive voxel`);
      if (!(c > 0) || !Number.isFinite(c)) throw new RangeError(`GridStencil: face conductance at voxel ${v} is ${c} (expected ≥ 0)`);
    }
  }
}

/**
 * The grid stencil of a CSR matrix whose unknowns sit on a structured grid (e.g. the
 * DiffusionOperator: `gridStencilFromCsr(op.matrix, op.shape, op.voxelOfUnknown)`). The matrix must
 * be symmetric with off-diagonal entries only between 6-neighbours; face conductance = −a_ij.
 */
export function gridStencilFromCsr(A: CsrMatrix, shape: Shape3, cellOfUnknown: Int32Array): GridStencil {
  const [nx, ny, nz] = shape;
  const N = nx * ny * nz, nxy = nx * ny;
  if (cellOfUnknown.length !== A.nRows) throw new RangeError(`gridStencilFromCsr: ${cellOfUnknown.length} cells for ${A.nRows} unknowns`);
  const mask = new Uint8Array(N), gx = new Float64Array(N), gy = new Float64Array(N), gz = new Float64Array(N), diagonal = new Float64Array(N);
  for (let i = 0; i < A.nRows; i++) {
    const c = cellOfUnknown[i];
    if (!(c >= 0 && c < N)) throw new RangeError(`gridStencilFromCsr: cell ${c} of unknown ${i} outside the grid`);
    mask[c] = 1;
  }
  const rp = A.rowPtr, ci = A.colIdx, val = A.values;
  for (let i = 0; i < A.nRows; i++) {
    const c = cellOfUnknown[i];
    const x = c % nx, y = Math.floor(c / nx) % ny;
    for (let k = rp[i]; k < rp[i + 1]; k++) {
      const j = ci[k];
      if (j === i) { diagonal[c] += val[k]; continue; }
      const d = cellOfUnknown[j] - c;
      // Record each face once, from its lower cell; the upper cell's entry is checked for symmetry.
      let g: Float64Array, at: number;
      if (d === 1 && x < nx - 1) { g = gx; at = c; }
      else if (d === -1 && x > 0) { g = gx; at = c - 1; }
      else if (d === nx && y < ny - 1) { g = gy; at = c; }
      else if (d === -nx && y > 0) { g = gy; at = c - nx; }
      else if (d === nxy) { g = gz; at = c; }
      else if (d === -nxy) { g = gz; at = c - nxy; }
      else throw new RangeError(`gridStencilFromCsr: entry (${i}, ${j}) does not couple grid neighbours`);
      const G = -val[k];
      if (d > 0) g[at] = G;
      else if (g[at] !== 0 && Math.abs(g[at] - G) > 1e-12 * Math.abs(G)) throw new RangeError(`gridStencilFromCsr: matrix not symmetric at (${i}, ${j})`);
      else if (g[at] === 0) g[at] = G; // provisional; overwritten (identically) by the lower cell's row
    }
  }
  return { shape: [nx, ny, nz], mask, gx, gy, gz, diagonal };
}

/**
 * The grid stencil of a compact Stencil7Matrix whose unknown i sits in cell cellOfUnknown[i]
 * (ascending, x fastest: its forward couplings are the faces to the +x, +y, +z cells). O(N), no
 * CSR needed.
 */
export function gridStencilFromStencil7(A: Stencil7Matrix, shape: Shape3, cellOfUnknown: Int32Array): GridStencil {
  const [nx, ny, nz] = shape;
  const N = nx * ny * nz;
  if (cellOfUnknown.length !== A.n) throw new RangeError(`gridStencilFromStencil7: ${cellOfUnknown.length} cells for ${A.n} unknowns`);
  const mask = new Uint8Array(N), gx = new Float64Array(N), gy = new Float64Array(N), gz = new Float64Array(N), diagonal = new Float64Array(N);
  for (let i = 0; i < A.n; i++) {
    const c = cellOfUnknown[i];
    if (!(c >= 0 && c < N)) throw new RangeError(`gridStencilFromStencil7: cell ${c} of unknown ${i} outside the grid`);
    mask[c] = 1;
    diagonal[c] = A.diag[i];
    gx[c] = A.gx[i];
    gy[c] = A.gy[i];
    gz[c] = A.gz[i];
  }
  return { shape: [nx, ny, nz], mask, gx, gy, gz, diagonal };
}

/** max over active voxels of (diagonal + Σ faces) / diagonal: an upper bound on λmax(D⁻¹A) (≤ 2 for M-matrices). */
export function stencilGershgorinBound(s: GridStencil): number {
  const [nx, ny, nz] = s.shape;
  const nxy = nx * ny;
  let bound = 0;
  for (let z = 0, v = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++, v++) {
    if (!s.mask[v]) continue;
    let f = s.gx[v] + s.gy[v] + s.gz[v];
    if (x > 0) f += s.gx[v - 1];
    if (y > 0) f += s.gy[v - nx];
    if (z > 0) f += s.gz[v - nxy];
    bound = Math.max(bound, (s.diagonal[v] + f) / s.diagonal[v]);
  }
  return bound;
}

/** Number of active voxels. */
export function activeCount(s: GridStencil): number {
  let n = 0;
  for (let i = 0; i < s.mask.length; i++) n += s.mask[i] !== 0 ? 1 : 0;
  return n;
}

/** Resolved Chebyshev interval for a preconditioner (shared by all backends). */
export function chebyshevInterval(s: GridStencil, o: ChebyshevPreconditionerOptions = {}): { degree: number; lambdaLow: number; lambdaHigh: number } {
  const degree = o.degree ?? 8;
  if (!(degree >= 1) || !Number.isInteger(degree)) throw new RangeError('chebyshevPreconditioner: degree must be a positive integer');
  const lambdaHigh = o.lambdaMax ?? stencilGershgorinBound(s);
  // A degree-k Chebyshev polynomial resolves the spectrum down to ~λhigh/k²; a smaller λlow gains
  // nothing on the low end and loses damping on the high end.
  const lowerRatio = o.lowerRatio ?? 1 / (degree * degree);
  if (!(lambdaHigh > 0) || !(lowerRatio > 0 && lowerRatio < 1)) throw new RangeError('chebyshevPreconditioner: need lambdaMax > 0 and 0 < lowerRatio < 1');
  return { degree, lambdaLow: lowerRatio * lambdaHigh, lambdaHigh };
}

/** full-grid ← compact (entries of inactive cells are set to 0). */
export function scatterToGrid(compact: Float64Array, cellOfUnknown: Int32Array, grid: Float64Array | Float32Array): void {
  grid.fill(0);
  for (let i = 0; i < cellOfUnknown.length; i++) grid[cellOfUnknown[i]] = compact[i];
}

/** compact ← full-grid */
export function gatherFromGrid(grid: Float64Array | Float32Array, cellOfUnknown: Int32Array, compact: Float64Array): void {
  for (let i = 0; i < cellOfUnknown.length; i++) compact[i] = grid[cellOfUnknown[i]];
}

// ---------------------------------------------------------------------------------------------
// Kernels

/** y ← A x (full-grid vectors; y = 0 on inactive voxels). */
export function stencilApplyJs(s: GridStencil, x: Float64Array, y: Float64Array): void {
  const [nx, ny, nz] = s.shape;
  const nxy = nx * ny;
  const { mask, gx, gy, gz, diagonal: d } = s;
  for (let z = 0; z < nz; z++) {
    const zlo = z > 0, zhi = z < nz - 1;
    for (let yy = 0; yy < ny; yy++) {
      const ylo = yy > 0, yhi = yy < ny - 1;
      const row = nx * (yy + ny * z);
      for (let xx = 0; xx < nx; xx++) {
        const v = row + xx;
        if (mask[v] === 0) { y[v] = 0; continue; }
        // Faces are 0 next to inactive voxels, so neighbours need no mask test.
        let s0 = d[v] * x[v];
        if (xx < nx - 1) s0 -= gx[v] * x[v + 1];
        if (xx > 0) s0 -= gx[v - 1] * x[v - 1];
        if (yhi) s0 -= gy[v] * x[v + nx];
        if (ylo) s0 -= gy[v - nx] * x[v - nx];
        if (zhi) s0 -= gz[v] * x[v + nxy];
        if (zlo) s0 -= gz[v - nxy] * x[v - nxy];
        y[v] = s0;
      }
    }
  }
}

/** D⁻¹ on active voxels, 0 elsewhere (cached per stencil). */
const invDiagCache = new WeakMap<GridStencil, Float64Array>();
export function inverseDiagonal(s: GridStencil): Float64Array {
  let inv = invDiagCache.get(s);
  if (!inv) {
    inv = new Float64Array(s.diagonal.length);
    for (let i = 0; i < inv.length; i++) inv[i] = s.mask[i] ? 1 / s.diagonal[i] : 0;
    invDiagCache.set(s, inv);
  }
  return inv;
}

export function jacobiSmoothJs(s: GridStencil, b: Float64Array, x: Float64Array, steps: number, omega: number): void {
  const N = x.length, inv = inverseDiagonal(s);
  const w = new Float64Array(N);
  for (let k = 0; k < steps; k++) {
    stencilApplyJs(s, x, w);
    for (let i = 0; i < N; i++) x[i] += omega * inv[i] * (b[i] - w[i]);
  }
}

/**
 * Chebyshev–Jacobi smoothing (the three-term recurrence of chebyshev-smoother.ts on D⁻¹A):
 * `degree` updates of x, `degree − 1` stencil applies (+1 when x is not zero on entry).
 * `work` (3 full-grid vectors) may be passed to avoid allocation.
 */
export function chebyshevSmoothJs(s: GridStencil, b: Float64Array, x: Float64Array, o: ChebyshevKernelOptions, work?: [Float64Array, Float64Array, Float64Array]): void {
  const N = x.length, inv = inverseDiagonal(s);
  const [r, d, w] = work ?? [new Float64Array(N), new Float64Array(N), new Float64Array(N)];
  const theta = 0.5 * (o.lambdaHigh + o.lambdaLow), delta = 0.5 * (o.lambdaHigh - o.lambdaLow);
  const sigma = theta / delta;
  let rho = 1 / sigma;
  if (o.xIsZero) { r.set(b); x.fill(0); }
  else { stencilApplyJs(s, x, w); for (let i = 0; i < N; i++) r[i] = b[i] - w[i]; }
  for (let i = 0; i < N; i++) d[i] = (inv[i] * r[i]) / theta;
  for (let k = 1; ; k++) {
    for (let i = 0; i < N; i++) x[i] += d[i];
    if (k >= o.degree) break;
    stencilApplyJs(s, d, w);
    const rhoNew = 1 / (2 * sigma - rho);
    const c1 = rhoNew * rho, c2 = (2 * rhoNew) / delta;
    for (let i = 0; i < N; i++) { const ri = r[i] - w[i]; r[i] = ri; d[i] = c1 * d[i] + c2 * inv[i] * ri; }
    rho = rhoNew;
  }
}

export function axpyJs(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i] += a * x[i];
}

export function dotJs(x: Float64Array, y: Float64Array): number {
  let s0 = 0, s1 = 0, i = 0;
  for (; i + 1 < x.length; i += 2) { s0 += x[i] * y[i]; s1 += x[i + 1] * y[i + 1]; }
  if (i < x.length) s0 += x[i] * y[i];
  return s0 + s1;
}

/**
 * Float64 Chebyshev polynomial preconditioner z ← p(D⁻¹A) D⁻¹ r on the grid stencil: the
 * reference for the float32 tfjs one (same polynomial). SPD for any 0 < λlow < λhigh when
 * λhigh ≥ λmax(D⁻¹A) (the default Gershgorin bound guarantees it), so it is a fixed SPD
 * preconditioner for ordinary PCG.
 */
export class JsChebyshevPreconditioner implements DisposablePreconditioner {
  readonly backend = 'js';
  readonly n: number;
  readonly variable = false;
  readonly degree: number;
  readonly lambdaLow: number;
  readonly lambdaHigh: number;
  private readonly cells?: Int32Array;
  private readonly bGrid: Float64Array;
  private readonly xGrid: Float64Array;
  private readonly work: [Float64Array, Float64Array, Float64Array];

  constructor(readonly stencil: GridStencil, options: ChebyshevPreconditionerOptions = {}) {
    const N = stencil.mask.length;
    const iv = chebyshevInterval(stencil, options);
    this.degree = iv.degree; this.lambdaLow = iv.lambdaLow; this.lambdaHigh = iv.lambdaHigh;
    this.cells = options.cellOfUnknown;
    this.n = this.cells ? this.cells.length : N;
    this.bGrid = new Float64Array(N);
    this.xGrid = new Float64Array(N);
    this.work = [new Float64Array(N), new Float64Array(N), new Float64Array(N)];
  }

  apply(r: Float64Array, z: Float64Array): void {
    const opts = { degree: this.degree, lambdaLow: this.lambdaLow, lambdaHigh: this.lambdaHigh, xIsZero: true };
    if (!this.cells) { chebyshevSmoothJs(this.stencil, r, z, opts, this.work); return; }
    scatterToGrid(r, this.cells, this.bGrid);
    chebyshevSmoothJs(this.stencil, this.bGrid, this.xGrid, opts, this.work);
    gatherFromGrid(this.xGrid, this.cells, z);
  }

  dispose(): void { /* nothing to free */ }
}

registerBackend({
  name: 'js',
  precision: 'float64',
  init: () => Promise.resolve({ name: 'js', precision: 'float64', available: true, detail: 'Float64Array loops (reference)' }),
});
registerKernel('stencilApply', 'js', stencilApplyJs);
registerKernel('jacobiSmooth', 'js', jacobiSmoothJs);
registerKernel('chebyshevSmooth', 'js', (s, b, x, o) => chebyshevSmoothJs(s, b, x, o));
registerKernel('axpy', 'js', axpyJs);
registerKernel('dot', 'js', dotJs);
registerKernel('chebyshevPreconditioner', 'js', (s, o) => new JsChebyshevPreconditioner(s, o));

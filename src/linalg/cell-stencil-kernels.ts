/**
 * The compact 7-point operator (stencil-matrix.ts) of a cell-centred discretisation on a voxel
 * grid, built plane by plane: face couplings are harmonic means of the two cells' coefficients
 * times a geometry factor per axis, and cells on the two faces normal to `axis` get an extra
 * diagonal term (a boundary value imposed on the outer face) and its right-hand side. What the
 * coefficients mean is the caller's business (src/assembly/diffusion-operator.ts).
 *
 * Every row is written by the range holding its cell only, and each coupling is computed by both
 * of its cells with the same expression and operand order, so z-plane ranges can run on different
 * threads (thread-pool.ts) with results bitwise those of one serial range.
 */
import type { Coefficients } from './parallel-kernels.js';

/** Scalars of the operator (all numbers, so they travel in the pool's parameter block). */
export interface CellStencilParams {
  nx: number;
  ny: number;
  nz: number;
  /** axis normal to the two faces with a boundary value */
  axis: number;
  /** number of unknowns (n − 1 is the sentinel of absent −y / −z neighbours) */
  n: number;
  /** 1 / coefficient scale (coefficients are used as k · invK) */
  invK: number;
  /** geometry factor of the faces normal to x, y, z and of the boundary half-cell */
  gx: number;
  gy: number;
  gz: number;
  gb: number;
  /** boundary values on the low and high face */
  uIn: number;
  uOut: number;
  /** multiplies `source` into the right-hand side */
  volumeScale: number;
}

export const CELL_STENCIL_PARAMS: (keyof CellStencilParams)[] = ['nx', 'ny', 'nz', 'axis', 'n', 'invK', 'gx', 'gy', 'gz', 'gb', 'uIn', 'uOut', 'volumeScale'];

/** Output arrays (a Stencil7Matrix's, plus the right-hand side). */
export interface CellStencilOutput {
  diag: Coefficients;
  gx: Coefficients;
  gy: Coefficients;
  gz: Coefficients;
  up: Int32Array;
  front: Int32Array;
  down: Int32Array;
  back: Int32Array;
  rhs: Float64Array;
}

/**
 * Rows of the cells in z planes [z0, z1). `unknownOf`: unknown per voxel (−1 = not in the
 * system); `k`: coefficient per voxel, or null when every cell of the system has the same one
 * (then every face's harmonic mean is exactly 1); `source` (optional): per-voxel source density.
 * Diagonal sums run −z, −y, −x, +x, +y, +z, boundary, and couplings absent in a direction leave
 * up / front = the row itself and down / back = n − 1 (the sentinel convention of stencil-matrix.ts).
 * Output arrays must be zero where written for the first time (fresh or zeroed memory).
 */
export function cellStencilRange(
  q: CellStencilParams, unknownOf: Int32Array, k: ArrayLike<number> | null, source: ArrayLike<number> | null,
  out: CellStencilOutput, z0: number, z1: number,
): void {
  const { nx, ny, nz, axis, n, invK, gx, gy, gz, gb, uIn, uOut, volumeScale } = q;
  const { diag, up, front, down, back, rhs } = out;
  const gxA = out.gx, gyA = out.gy, gzA = out.gz;
  const nxy = nx * ny;
  const nAxis = axis === 0 ? nx : axis === 1 ? ny : nz;
  for (let z = z0; z < z1; z++) for (let y = 0, v = z * nxy; y < ny; y++) for (let x = 0; x < nx; x++, v++) {
    const u = unknownOf[v];
    if (u < 0) continue;
    const ki = k ? k[v] * invK : 1;
    let d = 0;
    // lower faces: the coupling as the lower cell computes it (its k first)
    if (z > 0) {
      const w = v - nxy, j = unknownOf[w];
      if (j >= 0) { const kj = k ? k[w] * invK : 1; d += k ? ((2 * kj * ki) / (kj + ki)) * gz : gz; back[u] = j; } else back[u] = n - 1;
    } else back[u] = n - 1;
    if (y > 0) {
      const w = v - nx, j = unknownOf[w];
      if (j >= 0) { const kj = k ? k[w] * invK : 1; d += k ? ((2 * kj * ki) / (kj + ki)) * gy : gy; down[u] = j; } else down[u] = n - 1;
    } else down[u] = n - 1;
    if (x > 0) {
      const w = v - 1, j = unknownOf[w];
      if (j >= 0) { const kj = k ? k[w] * invK : 1; d += k ? ((2 * kj * ki) / (kj + ki)) * gx : gx; }
    }
    up[u] = u; front[u] = u;
    if (x < nx - 1) {
      const w = v + 1, j = unknownOf[w];
      if (j >= 0) { const G = k ? ((2 * ki * (k[w] * invK)) / (ki + k[w] * invK)) * gx : gx; gxA[u] = G; d += G; }
    }
    if (y < ny - 1) {
      const w = v + nx, j = unknownOf[w];
      if (j >= 0) { const G = k ? ((2 * ki * (k[w] * invK)) / (ki + k[w] * invK)) * gy : gy; gyA[u] = G; up[u] = j; d += G; }
    }
    if (z < nz - 1) {
      const w = v + nxy, j = unknownOf[w];
      if (j >= 0) { const G = k ? ((2 * ki * (k[w] * invK)) / (ki + k[w] * invK)) * gz : gz; gzA[u] = G; front[u] = j; d += G; }
    }
    const a = axis === 0 ? x : axis === 1 ? y : z;
    let b = 0;
    if (a === 0) { const G = gb * ki; d += G; b += G * uIn; }
    if (a === nAxis - 1) { const G = gb * ki; d += G; b += G * uOut; }
    if (source) b += source[v] * volumeScale;
    if (b !== 0) rhs[u] = b;
    diag[u] = d;
  }
}

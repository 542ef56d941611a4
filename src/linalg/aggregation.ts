/**
 * Aggregation for grid-based multigrid: each unknown sits in a cell of a structured grid; the
 * candidate aggregates are the 2×2×2 blocks of cells (the cells of the next, 2× coarser grid).
 * Inside a block, unknowns are grouped by the connected components of the STRONG connections
 * (a_ij < 0 with −a_ij ≥ θ·max_k(−a_ik) and ≥ θ·max_k(−a_jk)), so an aggregate never mixes
 * cells that are only weakly coupled (high-contrast coefficient jumps, or cells of the block
 * that are not connected inside it, e.g. pore voxels only touching diagonally). A unknown left
 * alone is then attached to the neighbouring aggregate in its block it is most strongly coupled
 * to from its own side (−a_ij ≥ θ·max_k(−a_ik)): a low-conductivity voxel next to a conductor
 * follows the conductor. With θ = 0 this reduces to "connected parts of each 2×2×2 block".
 *
 * The coarse operator is the Galerkin product Pᵀ A P with the piecewise-constant prolongation
 * P (P_iI = 1 when unknown i belongs to aggregate I): A_c[I][J] = Σ_{i∈I, j∈J} a_ij. It keeps
 * symmetry, positive definiteness, the M-matrix sign pattern and row sums (conservation), and for
 * a 7-point operator on blocks the coarse operator is again (at most) 7-point per block pair.
 *
 * Knows only grid coordinates (Shape3 and a cell index per unknown), not meshes or physics.
 */
import type { Shape3 } from '../core/volume.js';
import { CsrMatrix } from './csr-matrix.js';
import { DenseCholesky } from './dense-cholesky.js';
import { Stencil7Matrix, type RowMatrix } from './stencil-matrix.js';
import { sharedFloat64, sharedInt32, wantsParallel } from './thread-pool.js';

/** Reads row i of A into cols/vals (sorted columns); returns the entry count. */
type RowReader = (i: number, cols: Int32Array, vals: Float64Array) => number;

function rowReader(A: RowMatrix): { read: RowReader; maxRow: number } {
  if (A instanceof Stencil7Matrix) return { read: (i, c, v) => A.row(i, c, v), maxRow: 7 };
  const rp = A.rowPtr, ci = A.colIdx, v = A.values;
  let maxRow = 1;
  for (let i = 0; i < A.nRows; i++) maxRow = Math.max(maxRow, rp[i + 1] - rp[i]);
  return {
    read: (i, cols, vals) => {
      const k0 = rp[i], c = rp[i + 1] - k0;
      for (let t = 0; t < c; t++) { cols[t] = ci[k0 + t]; vals[t] = v[k0 + t]; }
      return c;
    },
    maxRow,
  };
}

export interface GridAggregation {
  /** fine unknown → aggregate (coarse unknown) */
  aggregate: Int32Array;
  nCoarse: number;
  /** coarse unknown → cell index in `coarseShape` (flat, x fastest) */
  coarseCellOf: Int32Array;
  coarseShape: Shape3;
}

export function coarsenShape(shape: Shape3): Shape3 {
  return [(shape[0] + 1) >> 1, (shape[1] + 1) >> 1, (shape[2] + 1) >> 1];
}

function find(uf: Int32Array, i: number): number {
  let r = i;
  while (uf[r] !== r) r = uf[r];
  while (uf[i] !== r) { const next = uf[i]; uf[i] = r; i = next; }
  return r;
}

export function aggregateOnGrid(A: RowMatrix, shape: Shape3, cellOf: Int32Array, theta = 0.25): GridAggregation {
  const n = A.nRows;
  if (cellOf.length !== n) throw new RangeError(`aggregateOnGrid: cellOf has length ${cellOf.length}, expected ${n}`);
  const [nx, ny] = shape;
  const coarseShape = coarsenShape(shape);
  const [cx, cy, cz] = coarseShape;
  const nParents = cx * cy * cz;
  const parentOf = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = cellOf[i];
    const x = c % nx;
    const t = (c - x) / nx;
    const y = t % ny;
    const z = (t - y) / ny;
    parentOf[i] = (x >> 1) + cx * ((y >> 1) + cy * (z >> 1));
  }
  const { uf, size } = A instanceof Stencil7Matrix ? strongComponentsStencil(A, parentOf, theta) : strongComponentsRows(A, parentOf, theta);
  // number the aggregates in order of parent cell (then of first member): good locality
  const start = new Int32Array(nParents + 1);
  for (let i = 0; i < n; i++) start[parentOf[i] + 1]++;
  for (let p = 0; p < nParents; p++) start[p + 1] += start[p];
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[start[parentOf[i]]++] = i;
  const idOfRoot = size; // reuse as the root → coarse id map
  idOfRoot.fill(-1);
  const aggregate = A instanceof Stencil7Matrix ? sharedInt32(n) : new Int32Array(n); // fine level: usable by the thread pool
  // the coarse cell of aggregate id is written to order[id]: ids are numbered in visiting order,
  // so id ≤ t and order[id] has already been read
  const coarseCell = order;
  let nc = 0;
  for (let t = 0; t < n; t++) {
    const i = order[t];
    const r = find(uf, i);
    let id = idOfRoot[r];
    if (id < 0) { id = nc++; idOfRoot[r] = id; coarseCell[id] = parentOf[i]; }
    aggregate[i] = id;
  }
  return { aggregate, nCoarse: nc, coarseCellOf: coarseCell.slice(0, nc), coarseShape };
}

function strongComponentsRows(A: RowMatrix, parentOf: Int32Array, theta: number): { uf: Int32Array; size: Int32Array } {
  const n = A.nRows;
  const { read, maxRow } = rowReader(A);
  const ci = new Int32Array(maxRow), v = new Float64Array(maxRow);
  const maxOff = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let m = 0;
    const c = read(i, ci, v);
    for (let k = 0; k < c; k++) if (ci[k] !== i && -v[k] > m) m = -v[k];
    maxOff[i] = m;
  }
  const uf = new Int32Array(n);
  for (let i = 0; i < n; i++) uf[i] = i;
  for (let i = 0; i < n; i++) {
    const pi = parentOf[i];
    const ti = theta * maxOff[i];
    const cnt = read(i, ci, v);
    for (let k = 0; k < cnt; k++) {
      const j = ci[k];
      if (j <= i || parentOf[j] !== pi) continue;
      const c = -v[k];
      if (c > 0 && c >= ti && c >= theta * maxOff[j]) {
        const ri = find(uf, i), rj = find(uf, j);
        if (ri !== rj) { if (ri < rj) uf[rj] = ri; else uf[ri] = rj; }
      }
    }
  }
  // sizes of the strong components
  const size = new Int32Array(n);
  for (let i = 0; i < n; i++) size[find(uf, i)]++;
  // attach singletons
  for (let i = 0; i < n; i++) {
    if (size[find(uf, i)] !== 1) continue;
    const pi = parentOf[i];
    const ti = theta * maxOff[i];
    let best = -1, bestC = 0;
    const cnt = read(i, ci, v);
    for (let k = 0; k < cnt; k++) {
      const j = ci[k];
      if (j === i || parentOf[j] !== pi) continue;
      const c = -v[k];
      if (c > 0 && c >= ti && c > bestC) { bestC = c; best = j; }
    }
    if (best >= 0) {
      const ri = find(uf, i), rj = find(uf, best);
      if (ri !== rj) { uf[ri] = rj; size[rj] += size[ri]; size[ri] = 0; }
    }
  }
  return { uf, size };
}

/**
 * strongComponentsRows specialised to the 7-point stencil (no row copies; neighbours visited in
 * the same ascending-column order, so the aggregates are identical).
 */
function strongComponentsStencil(A: Stencil7Matrix, parentOf: Int32Array, theta: number): { uf: Int32Array; size: Int32Array } {
  const { n, gx, gy, gz, up, front, down, back } = A;
  // largest coupling of a row, recomputed where needed (six loads) rather than stored: an array
  // of n doubles would be the largest work array of the aggregation
  const maxOff = (i: number): number => {
    let m = gx[i];
    if (i > 0 && gx[i - 1] > m) m = gx[i - 1];
    if (gy[i] > m) m = gy[i];
    if (gy[down[i]] > m) m = gy[down[i]];
    if (gz[i] > m) m = gz[i];
    if (gz[back[i]] > m) m = gz[back[i]];
    return m;
  };
  const uf = new Int32Array(n);
  for (let i = 0; i < n; i++) uf[i] = i;
  const link = (i: number, j: number, c: number, ti: number): void => {
    if (parentOf[j] !== parentOf[i]) return;
    if (c > 0 && c >= ti && c >= theta * maxOff(j)) {
      const ri = find(uf, i), rj = find(uf, j);
      if (ri !== rj) { if (ri < rj) uf[rj] = ri; else uf[ri] = rj; }
    }
  };
  for (let i = 0; i < n; i++) {
    const ti = theta * maxOff(i);
    if (gx[i] !== 0) link(i, i + 1, gx[i], ti);
    if (gy[i] !== 0) link(i, up[i], gy[i], ti);
    if (gz[i] !== 0) link(i, front[i], gz[i], ti);
  }
  const size = new Int32Array(n);
  for (let i = 0; i < n; i++) size[find(uf, i)]++;
  for (let i = 0; i < n; i++) {
    if (size[find(uf, i)] !== 1) continue;
    const pi = parentOf[i];
    const ti = theta * maxOff(i);
    let best = -1, bestC = 0;
    const consider = (j: number, c: number): void => {
      if (parentOf[j] !== pi) return;
      if (c > 0 && c >= ti && c > bestC) { bestC = c; best = j; }
    };
    // ascending column order: −z, −y, −x, +x, +y, +z
    if (gz[back[i]] !== 0) consider(back[i], gz[back[i]]);
    if (gy[down[i]] !== 0) consider(down[i], gy[down[i]]);
    if (i > 0 && gx[i - 1] !== 0) consider(i - 1, gx[i - 1]);
    if (gx[i] !== 0) consider(i + 1, gx[i]);
    if (gy[i] !== 0) consider(up[i], gy[i]);
    if (gz[i] !== 0) consider(front[i], gz[i]);
    if (best >= 0) {
      const ri = find(uf, i), rj = find(uf, best);
      if (ri !== rj) { uf[ri] = rj; size[rj] += size[ri]; size[ri] = 0; }
    }
  }
  return { uf, size };
}

/**
 * galerkinAggregation for the 7-point stencil. The pattern comes from the fine rows grouped by
 * aggregate (counting pass, then a fill pass with a marker: the output is allocated exactly, and
 * the only work array of fine size is the member list); the values are then accumulated in one
 * sweep over the unknowns in their own order, each fine coupling added to (I, J) and (J, I) in the
 * same sequence, so the coarse matrix is bitwise symmetric.
 */
function galerkinStencil(A: Stencil7Matrix, aggregate: Int32Array, nCoarse: number): CsrMatrix {
  const { n, diag, gx, gy, gz, up, front, down, back } = A;
  const start = new Int32Array(nCoarse + 1);
  for (let i = 0; i < n; i++) start[aggregate[i] + 1]++;
  for (let I = 0; I < nCoarse; I++) start[I + 1] += start[I];
  const members = new Int32Array(n);
  const marker = start.slice(0, nCoarse); // fill pointers first, then the column marker
  for (let i = 0; i < n; i++) members[marker[aggregate[i]]++] = i;
  marker.fill(-1);
  // the aggregates coupled to fine unknown i (its non-zero couplings) → nb[0..count)
  const nb = new Int32Array(6);
  const neighbours = (i: number): number => {
    let c = 0;
    const bk = back[i], dn = down[i];
    if (gz[bk] !== 0 && bk !== i) nb[c++] = aggregate[bk];
    if (gy[dn] !== 0 && dn !== i) nb[c++] = aggregate[dn];
    if (i > 0 && gx[i - 1] !== 0) nb[c++] = aggregate[i - 1];
    if (gx[i] !== 0) nb[c++] = aggregate[i + 1];
    if (gy[i] !== 0) nb[c++] = aggregate[up[i]];
    if (gz[i] !== 0) nb[c++] = aggregate[front[i]];
    return c;
  };
  const crp = sharedInt32(nCoarse + 1);
  for (let I = 0; I < nCoarse; I++) {
    let count = 1; marker[I] = I; // the diagonal
    for (let t = start[I]; t < start[I + 1]; t++) {
      const c = neighbours(members[t]);
      for (let e = 0; e < c; e++) { const J = nb[e]; if (marker[J] !== I) { marker[J] = I; count++; } }
    }
    crp[I + 1] = crp[I] + count;
  }
  // large coarse levels in shared memory, usable by the thread pool (CsrParallel)
  const nnz = crp[nCoarse];
  const cols = wantsParallel(nCoarse) ? sharedInt32(nnz) : new Int32Array(nnz);
  const vals = wantsParallel(nCoarse) ? sharedFloat64(nnz) : new Float64Array(nnz);
  marker.fill(-1);
  for (let I = 0; I < nCoarse; I++) {
    const rowStart = crp[I];
    let end = rowStart;
    marker[I] = I; cols[end++] = I;
    for (let t = start[I]; t < start[I + 1]; t++) {
      const c = neighbours(members[t]);
      for (let e = 0; e < c; e++) { const J = nb[e]; if (marker[J] !== I) { marker[J] = I; cols[end++] = J; } }
    }
    // sort the short row (insertion sort)
    for (let u = rowStart + 1; u < end; u++) {
      const cu = cols[u];
      let w = u - 1;
      while (w >= rowStart && cols[w] > cu) { cols[w + 1] = cols[w]; w--; }
      cols[w + 1] = cu;
    }
  }
  const at = (I: number, J: number): number => {
    for (let k = crp[I]; k < crp[I + 1]; k++) if (cols[k] === J) return k;
    throw new Error(`galerkinStencil: entry (${I}, ${J}) missing from the pattern`);
  };
  const couple = (I: number, J: number, g: number): void => {
    if (J === I) vals[at(I, I)] += -2 * g;
    else { vals[at(I, J)] += -g; vals[at(J, I)] += -g; }
  };
  for (let i = 0; i < n; i++) {
    const I = aggregate[i];
    vals[at(I, I)] += diag[i];
    if (gx[i] !== 0) couple(I, aggregate[i + 1], gx[i]);
    if (gy[i] !== 0) couple(I, aggregate[up[i]], gy[i]);
    if (gz[i] !== 0) couple(I, aggregate[front[i]], gz[i]);
  }
  return new CsrMatrix(nCoarse, nCoarse, crp, cols, vals);
}

/** Galerkin product Pᵀ A P for the piecewise-constant prolongation given by `aggregate`. */
export function galerkinAggregation(A: RowMatrix, aggregate: Int32Array, nCoarse: number): CsrMatrix {
  if (A instanceof Stencil7Matrix) return galerkinStencil(A, aggregate, nCoarse);
  const n = A.nRows;
  const { read, maxRow } = rowReader(A);
  const ci = new Int32Array(maxRow), v = new Float64Array(maxRow);
  // fine rows grouped by aggregate
  const start = new Int32Array(nCoarse + 1);
  for (let i = 0; i < n; i++) start[aggregate[i] + 1]++;
  for (let I = 0; I < nCoarse; I++) start[I + 1] += start[I];
  const members = new Int32Array(n);
  const fill = start.slice(0, nCoarse);
  for (let i = 0; i < n; i++) members[fill[aggregate[i]]++] = i;
  // pass 1: entries per coarse row (so the output is allocated exactly)
  const marker = new Int32Array(nCoarse).fill(-1);
  const crp = sharedInt32(nCoarse + 1);
  for (let I = 0; I < nCoarse; I++) {
    let c = 0;
    for (let t = start[I]; t < start[I + 1]; t++) {
      const i = members[t];
      const cnt = read(i, ci, v);
      for (let k = 0; k < cnt; k++) {
        const J = aggregate[ci[k]];
        if (marker[J] !== I) { marker[J] = I; c++; }
      }
    }
    crp[I + 1] = crp[I] + c;
  }
  // pass 2: fill
  // large coarse levels in shared memory, usable by the thread pool (CsrParallel)
  const cols = wantsParallel(nCoarse) ? sharedInt32(crp[nCoarse]) : new Int32Array(crp[nCoarse]);
  const vals = wantsParallel(nCoarse) ? sharedFloat64(crp[nCoarse]) : new Float64Array(crp[nCoarse]);
  marker.fill(-1);
  let nnz = 0;
  for (let I = 0; I < nCoarse; I++) {
    const rowStart = nnz;
    for (let t = start[I]; t < start[I + 1]; t++) {
      const i = members[t];
      const cnt = read(i, ci, v);
      for (let k = 0; k < cnt; k++) {
        const J = aggregate[ci[k]];
        const pos = marker[J];
        if (pos >= rowStart) vals[pos] += v[k];
        else { marker[J] = nnz; cols[nnz] = J; vals[nnz] = v[k]; nnz++; }
      }
    }
    // sort the row by column (short rows: insertion sort)
    for (let t = rowStart + 1; t < nnz; t++) {
      const c = cols[t], x = vals[t];
      let s = t - 1;
      while (s >= rowStart && cols[s] > c) { cols[s + 1] = cols[s]; vals[s + 1] = vals[s]; s--; }
      cols[s + 1] = c; vals[s + 1] = x;
    }
  }
  return new CsrMatrix(nCoarse, nCoarse, crp, cols, vals);
}

/**
 * One Galerkin coarse correction with a piecewise-constant coarse space:
 * x ← x + P (Pᵀ A P)⁻¹ Pᵀ (b − A x). Afterwards Pᵀ(b − A x) = 0 (the residual sums to zero over
 * every aggregate) and, for SPD A, the A-norm of the error has not increased (A-orthogonal
 * projection). The coarse system is solved directly (tridiagonal or dense Cholesky); meant for
 * small coarse spaces (≤ a few thousand aggregates), e.g. the slabs of a grid along one axis.
 */
export function aggregateCorrection(A: RowMatrix, aggregate: Int32Array, nCoarse: number, b: Float64Array, x: Float64Array): void {
  const n = A.nRows;
  // compact away empty aggregates (they would make Pᵀ A P singular)
  const id = new Int32Array(nCoarse).fill(-1);
  let nc = 0;
  for (let i = 0; i < n; i++) { const a = aggregate[i]; if (id[a] < 0) id[a] = 0; }
  for (let a = 0; a < nCoarse; a++) if (id[a] === 0) id[a] = nc++;
  let agg = aggregate;
  if (nc !== nCoarse) {
    agg = new Int32Array(n);
    for (let i = 0; i < n; i++) agg[i] = id[aggregate[i]];
  }
  const rc = new Float64Array(nc);
  if (A instanceof Stencil7Matrix) A.restrictResidual(b, x, agg, rc);
  else {
    const r = new Float64Array(n);
    A.residual(b, x, r);
    for (let i = 0; i < n; i++) rc[agg[i]] += r[i];
  }
  const ec = new Float64Array(nc);
  const tri = tridiagonalGalerkin(A, agg, nc);
  if (tri) solveTridiagonal(tri.lower, tri.diag, tri.upper, rc, ec);
  else {
    if (nc > 4000) throw new RangeError(`aggregateCorrection: coarse system of ${nc} unknowns is too large for a dense solve`);
    DenseCholesky.fromCsr(galerkinAggregation(A, agg, nc)).solve(rc, ec);
  }
  for (let i = 0; i < n; i++) x[i] += ec[agg[i]];
}

/**
 * Pᵀ A P in one sequential pass over A when it is tridiagonal (each fine entry couples
 * aggregates I and J with |I − J| ≤ 1, e.g. slabs along an axis); undefined otherwise.
 */
function tridiagonalGalerkin(A: RowMatrix, agg: Int32Array, nc: number): { lower: Float64Array; diag: Float64Array; upper: Float64Array } | undefined {
  if (A instanceof Stencil7Matrix) return tridiagonalGalerkinStencil(A, agg, nc);
  const lower = new Float64Array(nc), diag = new Float64Array(nc), upper = new Float64Array(nc);
  const { read, maxRow } = rowReader(A);
  const ci = new Int32Array(maxRow), v = new Float64Array(maxRow);
  for (let i = 0; i < A.nRows; i++) {
    const I = agg[i];
    const cnt = read(i, ci, v);
    for (let k = 0; k < cnt; k++) {
      const d = agg[ci[k]] - I;
      if (d === 0) diag[I] += v[k];
      else if (d === 1) upper[I] += v[k];
      else if (d === -1) lower[I] += v[k];
      else return undefined;
    }
  }
  return { lower, diag, upper };
}

/** tridiagonalGalerkin on the 7-point stencil: each stored (forward) coupling visited once. */
function tridiagonalGalerkinStencil(A: Stencil7Matrix, agg: Int32Array, nc: number): { lower: Float64Array; diag: Float64Array; upper: Float64Array } | undefined {
  const lower = new Float64Array(nc), diag = new Float64Array(nc), upper = new Float64Array(nc);
  const { n, gx, gy, gz, up, front } = A;
  const d = A.diag;
  // a coupling g between unknowns i (aggregate I) and j (aggregate J)
  const couple = (I: number, J: number, g: number): boolean => {
    const k = J - I;
    if (k === 0) diag[I] -= 2 * g;
    else if (k === 1) { upper[I] -= g; lower[J] -= g; } else if (k === -1) { lower[I] -= g; upper[J] -= g; } else return false;
    return true;
  };
  for (let i = 0; i < n; i++) {
    const I = agg[i];
    diag[I] += d[i];
    if (gx[i] !== 0 && !couple(I, agg[i + 1], gx[i])) return undefined;
    if (gy[i] !== 0 && !couple(I, agg[up[i]], gy[i])) return undefined;
    if (gz[i] !== 0 && !couple(I, agg[front[i]], gz[i])) return undefined;
  }
  return { lower, diag, upper };
}

/** Thomas algorithm; `lower[i]` couples i to i−1, `upper[i]` couples i to i+1. */
function solveTridiagonal(lower: Float64Array, diag: Float64Array, upper: Float64Array, b: Float64Array, x: Float64Array): void {
  const n = diag.length;
  const c = new Float64Array(n), d = new Float64Array(n);
  let prevC = 0, prevD = 0;
  for (let i = 0; i < n; i++) {
    const lo = i > 0 ? lower[i] : 0;
    const m = diag[i] - lo * prevC;
    if (!(m !== 0 && Number.isFinite(m))) throw new RangeError(`aggregateCorrection: singular coarse system (pivot ${i})`);
    prevC = c[i] = (i < n - 1 ? upper[i] : 0) / m;
    prevD = d[i] = (b[i] - lo * prevD) / m;
  }
  for (let i = n - 1; i >= 0; i--) x[i] = d[i] - (i < n - 1 ? c[i] * x[i + 1] : 0);
}

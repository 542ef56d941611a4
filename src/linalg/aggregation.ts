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

export function aggregateOnGrid(A: CsrMatrix, shape: Shape3, cellOf: Int32Array, theta = 0.25): GridAggregation {
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
  const rp = A.rowPtr, ci = A.colIdx, v = A.values;
  const maxOff = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let m = 0;
    for (let k = rp[i]; k < rp[i + 1]; k++) if (ci[k] !== i && -v[k] > m) m = -v[k];
    maxOff[i] = m;
  }
  const uf = new Int32Array(n);
  for (let i = 0; i < n; i++) uf[i] = i;
  for (let i = 0; i < n; i++) {
    const pi = parentOf[i];
    const ti = theta * maxOff[i];
    for (let k = rp[i]; k < rp[i + 1]; k++) {
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
    for (let k = rp[i]; k < rp[i + 1]; k++) {
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
  // number the aggregates in order of parent cell (then of first member): good locality
  const start = new Int32Array(nParents + 1);
  for (let i = 0; i < n; i++) start[parentOf[i] + 1]++;
  for (let p = 0; p < nParents; p++) start[p + 1] += start[p];
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[start[parentOf[i]]++] = i;
  const idOfRoot = size; // reuse as the root → coarse id map
  idOfRoot.fill(-1);
  const aggregate = new Int32Array(n);
  const coarseCellTmp = new Int32Array(n);
  let nc = 0;
  for (let t = 0; t < n; t++) {
    const i = order[t];
    const r = find(uf, i);
    let id = idOfRoot[r];
    if (id < 0) { id = nc++; idOfRoot[r] = id; coarseCellTmp[id] = parentOf[i]; }
    aggregate[i] = id;
  }
  return { aggregate, nCoarse: nc, coarseCellOf: coarseCellTmp.slice(0, nc), coarseShape };
}

/** Galerkin product Pᵀ A P for the piecewise-constant prolongation given by `aggregate`. */
export function galerkinAggregation(A: CsrMatrix, aggregate: Int32Array, nCoarse: number): CsrMatrix {
  const n = A.nRows;
  const rp = A.rowPtr, ci = A.colIdx, v = A.values;
  // fine rows grouped by aggregate
  const start = new Int32Array(nCoarse + 1);
  for (let i = 0; i < n; i++) start[aggregate[i] + 1]++;
  for (let I = 0; I < nCoarse; I++) start[I + 1] += start[I];
  const members = new Int32Array(n);
  const fill = start.slice(0, nCoarse);
  for (let i = 0; i < n; i++) members[fill[aggregate[i]]++] = i;
  // pass 1: entries per coarse row (so the output is allocated exactly)
  const marker = new Int32Array(nCoarse).fill(-1);
  const crp = new Int32Array(nCoarse + 1);
  for (let I = 0; I < nCoarse; I++) {
    let c = 0;
    for (let t = start[I]; t < start[I + 1]; t++) {
      const i = members[t];
      for (let k = rp[i]; k < rp[i + 1]; k++) {
        const J = aggregate[ci[k]];
        if (marker[J] !== I) { marker[J] = I; c++; }
      }
    }
    crp[I + 1] = crp[I] + c;
  }
  // pass 2: fill
  const cols = new Int32Array(crp[nCoarse]);
  const vals = new Float64Array(crp[nCoarse]);
  marker.fill(-1);
  let nnz = 0;
  for (let I = 0; I < nCoarse; I++) {
    const rowStart = nnz;
    for (let t = start[I]; t < start[I + 1]; t++) {
      const i = members[t];
      for (let k = rp[i]; k < rp[i + 1]; k++) {
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
export function aggregateCorrection(A: CsrMatrix, aggregate: Int32Array, nCoarse: number, b: Float64Array, x: Float64Array): void {
  const n = A.nRows;
  // compact away empty aggregates (they would make Pᵀ A P singular)
  const id = new Int32Array(nCoarse).fill(-1);
  let nc = 0;
  for (let i = 0; i < n; i++) { const a = aggregate[i]; if (id[a] < 0) id[a] = 0; }
  for (let a = 0; a < nCoarse; a++) if (id[a] === 0) id[a] = nc++;
  const agg = new Int32Array(n);
  for (let i = 0; i < n; i++) agg[i] = id[aggregate[i]];
  const r = new Float64Array(n);
  A.residual(b, x, r);
  const rc = new Float64Array(nc);
  for (let i = 0; i < n; i++) rc[agg[i]] += r[i];
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
function tridiagonalGalerkin(A: CsrMatrix, agg: Int32Array, nc: number): { lower: Float64Array; diag: Float64Array; upper: Float64Array } | undefined {
  const lower = new Float64Array(nc), diag = new Float64Array(nc), upper = new Float64Array(nc);
  const rp = A.rowPtr, ci = A.colIdx, v = A.values;
  for (let i = 0; i < A.nRows; i++) {
    const I = agg[i];
    for (let k = rp[i]; k < rp[i + 1]; k++) {
      const d = agg[ci[k]] - I;
      if (d === 0) diag[I] += v[k];
      else if (d === 1) upper[I] += v[k];
      else if (d === -1) lower[I] += v[k];
      else return undefined;
    }
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

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
import { CsrMatrix, type CsrValues } from './csr-matrix.js';
import { DenseCholesky } from './dense-cholesky.js';
import { Stencil7Matrix, type RowMatrix } from './stencil-matrix.js';
import {
  aggregateStencilRange, find, galerkinCountRange, galerkinCrossingRange, galerkinPatternRange, galerkinValuesRange,
  numberByParentRange, parentsRange,
} from './aggregation-kernels.js';
import { CMD, type View } from './parallel-kernels.js';
import { getThreadPool, isShared, recycleShared, sharedBuffer, sharedInt32, sharedInt32Work, wantsParallel, type ThreadPool } from './thread-pool.js';

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
  /**
   * Row partition the aggregation ran on (thread pool), r_0 = 0 … r_T = n: no aggregate spans two
   * of its parts, so the fine level's threads can use it as it is.
   */
  partitions?: Int32Array;
}

export function coarsenShape(shape: Shape3): Shape3 {
  return [(shape[0] + 1) >> 1, (shape[1] + 1) >> 1, (shape[2] + 1) >> 1];
}

export function aggregateOnGrid(A: RowMatrix, shape: Shape3, cellOf: Int32Array, theta = 0.25): GridAggregation {
  const n = A.nRows;
  if (cellOf.length !== n) throw new RangeError(`aggregateOnGrid: cellOf has length ${cellOf.length}, expected ${n}`);
  if (A instanceof Stencil7Matrix) return aggregateStencil(A, shape, cellOf, theta);
  const [nx, ny] = shape;
  const coarseShape = coarsenShape(shape);
  const [cx, cy, cz] = coarseShape;
  const nParents = cx * cy * cz;
  const parentOf = new Int32Array(n);
  parentsRange(cellOf, { nx, ny, cx, cy }, parentOf, 0, n);
  const { uf, size } = strongComponentsRows(A, parentOf, theta);
  const aggregate = sharedInt32(n); // large levels: usable by the thread pool
  const order = new Int32Array(n);
  const nc = numberByParentRange(parentOf, uf, size, new Int32Array(nParents), order, aggregate, 0, n, 0, nParents);
  return { aggregate, nCoarse: nc, coarseCellOf: order.slice(0, nc), coarseShape };
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
 * Partitions of a grid operator's rows for the setup kernels (aggregation-kernels.ts): T row
 * ranges whose boundaries lie on even z planes of the fine grid, i.e. between two layers of
 * 2×2×2 parent blocks, with the matching ranges of parent blocks. Rows are in cell order
 * (cellOf ascending), so each boundary is found by bisection.
 */
function blockLayerPartitions(n: number, shape: Shape3, cellOf: Int32Array, T: number): { rows: Int32Array; parents: Int32Array } {
  const [nx, ny, nz] = shape;
  const plane = nx * ny, layer = ((nx + 1) >> 1) * ((ny + 1) >> 1);
  const rows = new Int32Array(T + 1), parents = new Int32Array(T + 1);
  rows[T] = n; parents[T] = layer * ((nz + 1) >> 1);
  let zPrev = 0;
  for (let p = 1; p < T; p++) {
    const target = Math.floor((n * p) / T);
    let z = target < n ? Math.floor(cellOf[target] / plane) : nz;
    z = Math.max(z & ~1, zPrev);
    zPrev = z;
    let lo = 0, hi = n; // first row with cell ≥ z · plane
    while (lo < hi) { const mid = (lo + hi) >> 1; if (cellOf[mid] < z * plane) lo = mid + 1; else hi = mid; }
    rows[p] = lo;
    parents[p] = layer * (z >> 1);
  }
  return { rows, parents };
}

/**
 * The thread pool and partitions for the setup of a stencil level, when it is large, its arrays
 * (and cellOf) are shared and the pool runs; undefined for the serial path.
 */
function setupPool(A: Stencil7Matrix, extra: Int32Array[]): ThreadPool | undefined {
  if (!wantsParallel(A.n)) return undefined;
  for (const a of [A.diag, A.gx, A.gy, A.gz, A.up, A.front, A.down, A.back, ...extra]) if (!isShared(a)) return undefined;
  return getThreadPool();
}

/**
 * aggregateOnGrid for the 7-point stencil (aggregation-kernels.ts), on the thread pool when the
 * level is large: partitions by layers of parent blocks, each aggregated independently, then the
 * aggregates renumbered with the partitions' offsets. Bitwise the serial aggregation.
 */
function aggregateStencil(A: Stencil7Matrix, shape: Shape3, cellOf: Int32Array, theta: number): GridAggregation {
  const n = A.n;
  const coarseShape = coarsenShape(shape);
  const [cx, cy, cz] = coarseShape;
  const g = { nx: shape[0], ny: shape[1], cx, cy };
  const pool = setupPool(A, [cellOf]);
  // the result (usable by the thread pool) and work arrays (shared when large: recycled at the end)
  const aggregate = sharedInt32(n);
  const work = sharedInt32Work(n, 4);
  const [parentOf, uf, size, order] = work;
  const start = pool ? new Int32Array(new SharedArrayBuffer(4 * cx * cy * cz)) : new Int32Array(cx * cy * cz);
  if (!pool) {
    const nc = aggregateStencilRange(A, cellOf, g, theta, parentOf, uf, size, start, order, aggregate, 0, n, 0, cx * cy * cz);
    const coarseCellOf = order.slice(0, nc);
    recycleShared(work);
    return { aggregate, nCoarse: nc, coarseCellOf, coarseShape };
  }
  const T = pool.threads;
  const { rows, parents } = blockLayerPartitions(n, shape, cellOf, T);
  const aux = new Int32Array(new SharedArrayBuffer(4 * (4 + T + 1)));
  aux.set([g.nx, g.ny, cx, cy]); aux.set(parents, 4);
  const S: View[] = [A.diag, A.gx, A.gy, A.gz, A.up, A.front, A.down, A.back];
  const counts = pool.run(CMD.AGG_STRONG, rows, [...S, cellOf, parentOf, uf, size, start, order, aggregate, aux], rows, theta);
  const offsets = new Int32Array(new SharedArrayBuffer(4 * (T + 1)));
  for (let p = 0; p < T; p++) offsets[p + 1] = offsets[p] + counts[2 * p];
  const nc = offsets[T];
  const coarseCellOf = new Int32Array(new SharedArrayBuffer(4 * nc));
  pool.run(CMD.AGG_NUMBER, rows, [order, aggregate, coarseCellOf, offsets], rows);
  pool.forget([cellOf, start, aux, offsets, coarseCellOf]);
  recycleShared(work);
  return { aggregate, nCoarse: nc, coarseCellOf, coarseShape, partitions: rows };
}

/**
 * galerkinAggregation for the 7-point stencil (aggregation-kernels.ts): the pattern from the fine
 * rows grouped by aggregate (exact allocation), then the values in one sweep over the unknowns in
 * their own order, each fine coupling added to (I, J) and (J, I) in the same sequence, so the
 * coarse matrix is bitwise symmetric. On the thread pool when the level is large, with the
 * partitions of the aggregation (no aggregate spans two; checked, else serial) and the few
 * couplings between partitions added afterwards in row order: bitwise the serial product.
 */
function galerkinStencil(A: Stencil7Matrix, aggregate: Int32Array, nCoarse: number, partitions?: Int32Array): CsrMatrix<CsrValues> {
  const n = A.n;
  let pool = partitions ? setupPool(A, [aggregate]) : undefined;
  if (pool && partitions!.length !== pool.threads + 1) pool = undefined;
  const T = pool ? pool.threads : 1;
  const rows = pool ? partitions! : Int32Array.of(0, n);
  // coarse rows of each partition: its aggregates, which must be one contiguous range per
  // partition (as aggregateOnGrid numbers them); otherwise the product runs serially
  const cRanges = new Int32Array(pool ? new SharedArrayBuffer(4 * (T + 1)) : new ArrayBuffer(4 * (T + 1)));
  cRanges[T] = nCoarse;
  for (let p = 0; pool && p < T; p++) {
    let lo = nCoarse, hi = -1;
    for (let i = rows[p]; i < rows[p + 1]; i++) { const a = aggregate[i]; if (a < lo) lo = a; if (a > hi) hi = a; }
    if (hi < 0) { lo = cRanges[p]; hi = lo - 1; }
    if (lo !== cRanges[p]) pool = undefined;
    else cRanges[p + 1] = hi + 1;
  }
  if (pool && cRanges[T] !== nCoarse) pool = undefined;
  if (!pool && T > 1) return galerkinStencil(A, aggregate, nCoarse);
  const shared = pool !== undefined || wantsParallel(nCoarse); // the pool writes them; large levels are threaded later
  const rowPtr = shared ? new Int32Array(new SharedArrayBuffer(4 * (nCoarse + 1))) : new Int32Array(nCoarse + 1);
  // work arrays: members (n) and start (nCoarse ≤ n) in one buffer, recycled at the end
  const [members, startWork] = sharedInt32Work(n, 2);
  const start = startWork.subarray(0, nCoarse);
  const S: View[] = [A.diag, A.gx, A.gy, A.gz, A.up, A.front, A.down, A.back];
  if (pool) pool.run(CMD.GAL_COUNT, rows, [...S, aggregate, start, members, rowPtr, cRanges], rows);
  else galerkinCountRange(A, aggregate, start, members, rowPtr, 0, n, 0, nCoarse);
  for (let I = 0; I < nCoarse; I++) rowPtr[I + 1] += rowPtr[I];
  // largest aggregate (members of I: start[I] … the next start, or the end of its partition)
  let maxMembers = 0;
  for (let p = 0; p < T; p++) {
    for (let I = cRanges[p]; I < cRanges[p + 1]; I++) {
      const m = (I + 1 < cRanges[p + 1] ? start[I + 1] : rows[p + 1]) - start[I];
      if (m > maxMembers) maxMembers = m;
    }
  }
  // large coarse levels in shared memory, usable by the thread pool (CsrParallel)
  const nnz = rowPtr[nCoarse];
  const cols = shared ? new Int32Array(sharedBuffer(4 * nnz), 0, nnz) : new Int32Array(nnz);
  const vals = coarseValues(nnz, shared, float32Sums(A, maxMembers));
  if (pool) pool.run(CMD.GAL_PATTERN, rows, [...S, aggregate, start, members, rowPtr, cols, cRanges], rows);
  else galerkinPatternRange(A, aggregate, start, members, rowPtr, cols, n, 0, nCoarse);
  if (pool) {
    const first = pool.run(CMD.GAL_VALUES, rows, [...S, aggregate, rowPtr, cols, vals], rows);
    const from = Array.from({ length: T }, (_, p) => first[2 * p]);
    for (let p = 0; p + 1 < T; p++) galerkinCrossingRange(A, aggregate, rowPtr, cols, vals, from[p], rows[p + 1]);
    pool.forget([cRanges]);
  } else galerkinValuesRange(A, aggregate, rowPtr, cols, vals, 0, n);
  recycleShared([members, start, startWork]);
  return new CsrMatrix(nCoarse, nCoarse, rowPtr, cols, vals);
}

/**
 * Galerkin product Pᵀ A P for the piecewise-constant prolongation given by `aggregate`.
 * `partitions` (the row partition of the aggregation, GridAggregation.partitions) lets a large
 * stencil level use the thread pool.
 */
export function galerkinAggregation(A: RowMatrix, aggregate: Int32Array, nCoarse: number, partitions?: Int32Array): CsrMatrix<CsrValues> {
  if (A instanceof Stencil7Matrix) return galerkinStencil(A, aggregate, nCoarse, partitions);
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
  let maxMembers = 0;
  for (let I = 0; I < nCoarse; I++) maxMembers = Math.max(maxMembers, start[I + 1] - start[I]);
  const cols = wantsParallel(nCoarse) ? sharedInt32(crp[nCoarse]) : new Int32Array(crp[nCoarse]);
  const vals = coarseValues(crp[nCoarse], wantsParallel(nCoarse), float32Sums(A, maxMembers));
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

/** The coarse values: Float32 when its sums are exact (float32Sums), in shared memory when asked. */
function coarseValues(nnz: number, shared: boolean, float32: boolean): CsrValues {
  if (float32) return shared ? new Float32Array(sharedBuffer(4 * nnz), 0, nnz) : new Float32Array(nnz);
  return shared ? new Float64Array(sharedBuffer(8 * nnz), 0, nnz) : new Float64Array(nnz);
}

/**
 * Whether the Galerkin product of A (aggregates of at most maxMembers rows) can be summed in
 * Float32 with no rounding at all: A is stored in Float32, every entry is an integer (a phase
 * mask on cubic voxels: couplings 1, and so every coarse level), and no partial sum can reach
 * 2²⁴ (it is bounded by maxMembers × the largest absolute row sum). The coarse level is then the
 * same matrix in 8 instead of 12 bytes per entry, which the bandwidth-bound smoothing and
 * products of the coarse levels read less of; arithmetic elsewhere stays Float64.
 */
function float32Sums(A: RowMatrix, maxMembers: number): boolean {
  let rowMax = 0;
  if (A instanceof Stencil7Matrix) {
    const { diag, gx, gy, gz, down, back } = A;
    if (!(diag instanceof Float32Array)) return false;
    for (let i = 0; i < A.n; i++) {
      const d = diag[i];
      if (!Number.isInteger(d) || !Number.isInteger(gx[i]) || !Number.isInteger(gy[i]) || !Number.isInteger(gz[i])) return false;
      const s = Math.abs(d) + Math.abs(gx[i]) + (i > 0 ? Math.abs(gx[i - 1]) : 0) + Math.abs(gy[i]) + Math.abs(gy[down[i]]) + Math.abs(gz[i]) + Math.abs(gz[back[i]]);
      if (s > rowMax) rowMax = s;
    }
  } else {
    const { rowPtr, values } = A;
    if (!(values instanceof Float32Array)) return false;
    for (let i = 0; i < A.nRows; i++) {
      let s = 0;
      for (let k = rowPtr[i]; k < rowPtr[i + 1]; k++) { const v = values[k]; if (!Number.isInteger(v)) return false; s += Math.abs(v); }
      if (s > rowMax) rowMax = s;
    }
  }
  return maxMembers * rowMax < 2 ** 24;
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

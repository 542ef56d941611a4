/**
 * Row-range kernels of the multigrid setup on a 7-point stencil (aggregation.ts): the 2×2×2-block
 * aggregation and the Galerkin product Pᵀ A P. They run serially over one range [0, n), or on the
 * thread pool (parallel-kernels.ts, thread-pool.ts) over partitions whose boundaries lie between
 * two layers of parent blocks (an even z plane of the grid), so that no aggregate — and no
 * coarse row — has fine rows in two partitions. Every kernel writes only to its own rows and
 * aggregates, reads neighbours in other partitions only where those are not being written, and
 * visits its rows in ascending order: the result is bitwise that of the serial loop, whatever the
 * partition. Like parallel-kernels.ts: no module state, no imports beyond types.
 */
import type { Coefficients, StencilArrays } from './parallel-kernels.js';

/** Union-find root with path compression (only sets inside one block are ever joined). */
export function find(uf: Int32Array, i: number): number {
  let r = i;
  while (uf[r] !== r) r = uf[r];
  while (uf[i] !== r) { const next = uf[i]; uf[i] = r; i = next; }
  return r;
}

/** Largest coupling of row i (six loads; rows without a neighbour read the sentinel's zero). */
function maxOff(S: StencilArrays, i: number): number {
  const { gx, gy, gz, down, back } = S;
  let m = gx[i];
  if (i > 0 && gx[i - 1] > m) m = gx[i - 1];
  if (gy[i] > m) m = gy[i];
  if (gy[down[i]] > m) m = gy[down[i]];
  if (gz[i] > m) m = gz[i];
  if (gz[back[i]] > m) m = gz[back[i]];
  return m;
}

/** Grid geometry of an aggregation step: fine shape (x, y) and coarse (parent) shape (x, y). */
export interface BlockGeometry {
  nx: number;
  ny: number;
  cx: number;
  cy: number;
}

/** parentOf[i] = the 2×2×2 block (cell of the 2× coarser grid) of the cell of row i, rows [r0, r1). */
export function parentsRange(cellOf: Int32Array, g: BlockGeometry, parentOf: Int32Array, r0: number, r1: number): void {
  const { nx, ny, cx, cy } = g;
  for (let i = r0; i < r1; i++) {
    const c = cellOf[i];
    const x = c % nx;
    const t = (c - x) / nx;
    const y = t % ny;
    const z = (t - y) / ny;
    parentOf[i] = (x >> 1) + cx * ((y >> 1) + cy * (z >> 1));
  }
}

/**
 * Aggregation, first pass, on rows [r0, r1) whose parent blocks are exactly [P0, P1):
 *  - parentOf[i]: the 2×2×2 block (cell of the coarse grid) of every row;
 *  - strong components inside each block (union-find in `uf`), then lone rows attached to the
 *    neighbour in their block they are most strongly coupled to (see aggregation.ts);
 *  - rows sorted by parent block (counting sort: `start` over [P0, P1), `order` over [r0, r1));
 *  - aggregates numbered from 0 in that order: aggregate[i] = local id, and the parent block of
 *    local id k is left in order[r0 + k].
 * `size` is work space (n). Returns the number of aggregates of the range.
 */
export function aggregateStencilRange(
  S: StencilArrays, cellOf: Int32Array, g: BlockGeometry, theta: number,
  parentOf: Int32Array, uf: Int32Array, size: Int32Array, start: Int32Array, order: Int32Array, aggregate: Int32Array,
  r0: number, r1: number, P0: number, P1: number,
): number {
  const { gx, gy, gz, up, front, down, back } = S;
  parentsRange(cellOf, g, parentOf, r0, r1);
  for (let i = r0; i < r1; i++) uf[i] = i;
  // rows outside [r0, r1) are in other blocks: never compared (their parentOf may be in flight)
  const link = (i: number, j: number, c: number, ti: number): void => {
    if (j >= r1 || parentOf[j] !== parentOf[i]) return;
    if (c > 0 && c >= ti && c >= theta * maxOff(S, j)) {
      const ri = find(uf, i), rj = find(uf, j);
      if (ri !== rj) { if (ri < rj) uf[rj] = ri; else uf[ri] = rj; }
    }
  };
  for (let i = r0; i < r1; i++) {
    const ti = theta * maxOff(S, i);
    if (gx[i] !== 0) link(i, i + 1, gx[i], ti);
    if (gy[i] !== 0) link(i, up[i], gy[i], ti);
    if (gz[i] !== 0) link(i, front[i], gz[i], ti);
  }
  for (let i = r0; i < r1; i++) size[i] = 0;
  for (let i = r0; i < r1; i++) size[find(uf, i)]++;
  for (let i = r0; i < r1; i++) {
    if (size[find(uf, i)] !== 1) continue;
    const pi = parentOf[i];
    const ti = theta * maxOff(S, i);
    let best = -1, bestC = 0;
    const consider = (j: number, c: number): void => {
      if (j < r0 || j >= r1 || parentOf[j] !== pi) return;
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
  return numberByParentRange(parentOf, uf, size, start, order, aggregate, r0, r1, P0, P1);
}

/**
 * Rows [r0, r1) grouped by key (key[i] in [k0, k1)), ascending within a group (a stable counting
 * sort): sorted[start[k] …] holds the rows of key k, start[k] absolute (from r0), the last group
 * ending at r1.
 */
function groupRowsRange(key: Int32Array, start: Int32Array, sorted: Int32Array, r0: number, r1: number, k0: number, k1: number): void {
  for (let k = k0; k < k1; k++) start[k] = 0;
  for (let i = r0; i < r1; i++) start[key[i]]++;
  for (let k = k0, run = r0; k < k1; k++) { const c = start[k]; start[k] = run; run += c; }
  for (let i = r0; i < r1; i++) sorted[start[key[i]]++] = i;
  // start[k] is now the end of k: shift back
  for (let k = k1 - 1; k > k0; k--) start[k] = start[k - 1];
  if (k1 > k0) start[k0] = r0;
}

/**
 * The aggregates of rows [r0, r1) (parent blocks [P0, P1)), given their union-find forest `uf`:
 * rows sorted by parent block, then by row (counting sort: `start` over [P0, P1), `order` over
 * [r0, r1)), and each set numbered from 0 when first met in that order — good locality of the
 * coarse numbering. aggregate[i] = local id; the parent block of local id k is left in
 * order[r0 + k]. `idOfRoot` is work space (n). Returns the number of aggregates.
 */
export function numberByParentRange(
  parentOf: Int32Array, uf: Int32Array, idOfRoot: Int32Array, start: Int32Array, order: Int32Array, aggregate: Int32Array,
  r0: number, r1: number, P0: number, P1: number,
): number {
  groupRowsRange(parentOf, start, order, r0, r1, P0, P1);
  for (let i = r0; i < r1; i++) idOfRoot[i] = -1;
  // ids are numbered in visiting order, so id ≤ t − r0 and order[r0 + id] has been read already
  let nc = 0;
  for (let t = r0; t < r1; t++) {
    const i = order[t];
    const r = find(uf, i);
    let id = idOfRoot[r];
    if (id < 0) { id = nc++; idOfRoot[r] = id; order[r0 + id] = parentOf[i]; }
    aggregate[i] = id;
  }
  return nc;
}

/** Aggregation, second pass: local ids of [r0, r1) + `offset`; coarse cells of its nc aggregates. */
export function numberAggregatesRange(order: Int32Array, aggregate: Int32Array, coarseCellOf: Int32Array, offset: number, nc: number, r0: number, r1: number): void {
  for (let i = r0; i < r1; i++) aggregate[i] += offset;
  for (let k = 0; k < nc; k++) coarseCellOf[offset + k] = order[r0 + k];
}

/** The aggregates coupled to fine row i (non-zero couplings, column order) → nb; returns the count. */
function neighbourAggregates(S: StencilArrays, aggregate: Int32Array, i: number, nb: Int32Array): number {
  const { gx, gy, gz, up, front, down, back } = S;
  let c = 0;
  const bk = back[i], dn = down[i];
  if (gz[bk] !== 0 && bk !== i) nb[c++] = aggregate[bk];
  if (gy[dn] !== 0 && dn !== i) nb[c++] = aggregate[dn];
  if (i > 0 && gx[i - 1] !== 0) nb[c++] = aggregate[i - 1];
  if (gx[i] !== 0) nb[c++] = aggregate[i + 1];
  if (gy[i] !== 0) nb[c++] = aggregate[up[i]];
  if (gz[i] !== 0) nb[c++] = aggregate[front[i]];
  return c;
}

/**
 * Galerkin product, first pass, on fine rows [r0, r1) = the members of coarse rows [c0, c1):
 * members grouped by aggregate (members[start[I] … end of I), start[I] absolute, the end of the
 * last one r1), and the entry count of every coarse row (diagonal + distinct coupled aggregates)
 * in rowPtr[I + 1].
 */
export function galerkinCountRange(
  S: StencilArrays, aggregate: Int32Array, start: Int32Array, members: Int32Array, rowPtr: Int32Array,
  r0: number, r1: number, c0: number, c1: number,
): void {
  groupRowsRange(aggregate, start, members, r0, r1, c0, c1);
  const nb = new Int32Array(6);
  const row = new Int32Array(64);
  for (let I = c0; I < c1; I++) rowPtr[I + 1] = rowColumns(S, aggregate, members, I, start[I], I + 1 < c1 ? start[I + 1] : r1, nb, row, 0);
}

/**
 * The columns of coarse row I — I itself, then the distinct aggregates coupled to its members
 * members[m0 … m1) in the order met — written to out[at …); returns their count.
 */
function rowColumns(S: StencilArrays, aggregate: Int32Array, members: Int32Array, I: number, m0: number, m1: number, nb: Int32Array, out: Int32Array, at: number): number {
  let end = at;
  out[end++] = I;
  for (let t = m0; t < m1; t++) {
    const c = neighbourAggregates(S, aggregate, members[t], nb);
    for (let e = 0; e < c; e++) {
      const J = nb[e];
      let seen = false;
      for (let q = at; q < end; q++) if (out[q] === J) { seen = true; break; }
      if (!seen) out[end++] = J;
    }
  }
  return end - at;
}

/** Galerkin product, second pass: the sorted column indices of coarse rows [c0, c1). */
export function galerkinPatternRange(
  S: StencilArrays, aggregate: Int32Array, start: Int32Array, members: Int32Array, rowPtr: Int32Array, cols: Int32Array,
  r1: number, c0: number, c1: number,
): void {
  const nb = new Int32Array(6);
  for (let I = c0; I < c1; I++) {
    const rowStart = rowPtr[I];
    const end = rowStart + rowColumns(S, aggregate, members, I, start[I], I + 1 < c1 ? start[I + 1] : r1, nb, cols, rowStart);
    for (let u = rowStart + 1; u < end; u++) {
      const cu = cols[u];
      let w = u - 1;
      while (w >= rowStart && cols[w] > cu) { cols[w + 1] = cols[w]; w--; }
      cols[w + 1] = cu;
    }
  }
}

function entryOf(rowPtr: Int32Array, cols: Int32Array, I: number, J: number): number {
  for (let k = rowPtr[I]; k < rowPtr[I + 1]; k++) if (cols[k] === J) return k;
  throw new Error(`galerkin: entry (${I}, ${J}) missing from the pattern`);
}

/** Adds the coupling g between fine rows of aggregates I and J: −2g on (I, I), else −g on (I, J) and (J, I). */
function couple(rowPtr: Int32Array, cols: Int32Array, vals: Coefficients, I: number, J: number, g: number): void {
  if (J === I) vals[entryOf(rowPtr, cols, I, I)] += -2 * g;
  else { vals[entryOf(rowPtr, cols, I, J)] += -g; vals[entryOf(rowPtr, cols, J, I)] += -g; }
}

/**
 * Galerkin product, values, over fine rows [r0, r1) in ascending order: each fine row's diagonal,
 * and each forward coupling (+x, +y, +z) added to (I, J) and (J, I) in the same sequence, so the
 * coarse matrix is bitwise symmetric. `vals` is Float32 only when every partial sum is an exact
 * float32 (aggregation.ts checks it). Couplings to rows ≥ r1 (another partition's aggregates) are
 * skipped: the caller adds them afterwards with galerkinCrossingRange. Returns the first row with
 * such a coupling (r1 when none).
 */
export function galerkinValuesRange(
  S: StencilArrays, aggregate: Int32Array, rowPtr: Int32Array, cols: Int32Array, vals: Coefficients, r0: number, r1: number,
): number {
  const { diag, gx, gy, gz, up, front } = S;
  let firstCross = r1;
  for (let i = r0; i < r1; i++) {
    const I = aggregate[i];
    vals[entryOf(rowPtr, cols, I, I)] += diag[i];
    if (gx[i] !== 0) { const j = i + 1; if (j < r1) couple(rowPtr, cols, vals, I, aggregate[j], gx[i]); else if (i < firstCross) firstCross = i; }
    if (gy[i] !== 0) { const j = up[i]; if (j < r1) couple(rowPtr, cols, vals, I, aggregate[j], gy[i]); else if (i < firstCross) firstCross = i; }
    if (gz[i] !== 0) { const j = front[i]; if (j < r1) couple(rowPtr, cols, vals, I, aggregate[j], gz[i]); else if (i < firstCross) firstCross = i; }
  }
  return firstCross;
}

/**
 * The couplings galerkinValuesRange skipped: fine rows [from, r1) coupled to rows ≥ r1, in the
 * same ascending order. Entries between aggregates of two partitions receive nothing else, so
 * adding them after the partitions gives the serial sums.
 */
export function galerkinCrossingRange(
  S: StencilArrays, aggregate: Int32Array, rowPtr: Int32Array, cols: Int32Array, vals: Coefficients, from: number, r1: number,
): void {
  const { gx, gy, gz, up, front } = S;
  for (let i = from; i < r1; i++) {
    const I = aggregate[i];
    if (gx[i] !== 0 && i + 1 >= r1) couple(rowPtr, cols, vals, I, aggregate[i + 1], gx[i]);
    if (gy[i] !== 0 && up[i] >= r1) couple(rowPtr, cols, vals, I, aggregate[up[i]], gy[i]);
    if (gz[i] !== 0 && front[i] >= r1) couple(rowPtr, cols, vals, I, aggregate[front[i]], gz[i]);
  }
}

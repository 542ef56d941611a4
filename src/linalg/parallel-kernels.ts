/**
 * Row-range kernels of the compact 7-point operator (stencil-matrix.ts) and of CG, shared by the
 * main thread and the worker threads (parallel-worker.ts). Every kernel works on rows [r0, r1)
 * only, reads nothing but its arguments (no module state), and returns its partial reduction, so
 * a fixed partition of [0, n) gives results independent of timing. The multigrid-setup kernels
 * live in aggregation-kernels.ts; `executeCommand` dispatches to both.
 *
 * Boundary rows 0 and n − 1 take the branchy path (their −x / +x neighbour does not exist); the
 * interior loop is branch-free (see the sentinel conventions in stencil-matrix.ts).
 */

import {
  aggregateStencilRange, galerkinCountRange, galerkinPatternRange, galerkinValuesRange, numberAggregatesRange,
} from './aggregation-kernels.js';
import { CELL_STENCIL_PARAMS, cellStencilRange, type CellStencilParams } from './cell-stencil-kernels.js';

/**
 * Stencil coefficients: Float64, or Float32 when every coefficient is exactly a float32 (e.g. a
 * single-phase mask on a cubic grid: all couplings 1, integer diagonals), which halves their memory
 * traffic without changing the operator. Vectors and arithmetic stay Float64.
 */
export type Coefficients = Float64Array | Float32Array;

/** The arrays of a Stencil7Matrix (structural: the class itself fits). */
export interface StencilArrays {
  readonly n: number;
  readonly diag: Coefficients;
  readonly gx: Coefficients;
  readonly gy: Coefficients;
  readonly gz: Coefficients;
  readonly up: Int32Array;
  readonly front: Int32Array;
  readonly down: Int32Array;
  readonly back: Int32Array;
}

/** b_i − (A x)_i for one row, with all branches (first/last rows). */
export function rowResidual(S: StencilArrays, i: number, b: number, x: Float64Array): number {
  const { diag, gx, gy, gz, up, front, down, back } = S;
  let s = b - diag[i] * x[i];
  if (i > 0) s += gx[i - 1] * x[i - 1];
  if (i < S.n - 1) s += gx[i] * x[i + 1];
  s += gy[i] * x[up[i]] + gz[i] * x[front[i]];
  s += gy[down[i]] * x[down[i]] + gz[back[i]] * x[back[i]];
  return s;
}

/** y ← A x on rows [r0, r1); returns Σ x_i y_i over the range. */
export function applyDotRange(S: StencilArrays, x: Float64Array, y: Float64Array, r0: number, r1: number): number {
  const { diag, gx, gy, gz, up, front, down, back } = S;
  const n = S.n;
  const lo = Math.max(r0, 1), hi = Math.min(r1, n - 1);
  let s = 0;
  if (r0 === 0 && r1 > 0) { y[0] = -rowResidual(S, 0, 0, x); s += x[0] * y[0]; }
  for (let i = lo; i < hi; i++) {
    const dn = down[i], bk = back[i];
    const v = diag[i] * x[i]
      - gx[i - 1] * x[i - 1] - gx[i] * x[i + 1]
      - gy[i] * x[up[i]] - gy[dn] * x[dn]
      - gz[i] * x[front[i]] - gz[bk] * x[bk];
    y[i] = v;
    s += x[i] * v;
  }
  if (r1 === n && n > 1 && r0 < n - 1) { y[n - 1] = -rowResidual(S, n - 1, 0, x); s += x[n - 1] * y[n - 1]; }
  return s;
}

/** r ← b − A x on rows [r0, r1); returns Σ r_i² over the range. */
export function residualRange(S: StencilArrays, b: Float64Array, x: Float64Array, r: Float64Array, r0: number, r1: number): number {
  const { diag, gx, gy, gz, up, front, down, back } = S;
  const n = S.n;
  const lo = Math.max(r0, 1), hi = Math.min(r1, n - 1);
  let s = 0;
  if (r0 === 0 && r1 > 0) { r[0] = rowResidual(S, 0, b[0], x); s += r[0] * r[0]; }
  for (let i = lo; i < hi; i++) {
    const dn = down[i], bk = back[i];
    const v = b[i] - diag[i] * x[i]
      + gx[i - 1] * x[i - 1] + gx[i] * x[i + 1]
      + gy[i] * x[up[i]] + gy[dn] * x[dn]
      + gz[i] * x[front[i]] + gz[bk] * x[bk];
    r[i] = v;
    s += v * v;
  }
  if (r1 === n && n > 1 && r0 < n - 1) { r[n - 1] = rowResidual(S, n - 1, b[n - 1], x); s += r[n - 1] * r[n - 1]; }
  return s;
}

/**
 * rc[aggregate[i]] += (b − A x)_i for rows [r0, r1) (rc is not cleared). Rows are visited in
 * ascending order, so when no aggregate has rows in two partitions the sums are bitwise those of
 * the serial loop.
 */
export function restrictRange(S: StencilArrays, b: Float64Array, x: Float64Array, aggregate: Int32Array, rc: Float64Array, r0: number, r1: number): void {
  const { diag, gx, gy, gz, up, front, down, back } = S;
  const n = S.n;
  const lo = Math.max(r0, 1), hi = Math.min(r1, n - 1);
  if (r0 === 0 && r1 > 0) rc[aggregate[0]] += rowResidual(S, 0, b[0], x);
  for (let i = lo; i < hi; i++) {
    const dn = down[i], bk = back[i];
    rc[aggregate[i]] += b[i] - diag[i] * x[i]
      + gx[i - 1] * x[i - 1] + gx[i] * x[i + 1]
      + gy[i] * x[up[i]] + gy[dn] * x[dn]
      + gz[i] * x[front[i]] + gz[bk] * x[bk];
  }
  if (r1 === n && n > 1 && r0 < n - 1) rc[aggregate[n - 1]] += rowResidual(S, n - 1, b[n - 1], x);
}

/**
 * restrictRange right after a forward Gauss–Seidel sweep from x = 0 (one sweep): on rows
 * [t, r1) whose neighbours before them in the sweep order are exactly the lower-index ones, the
 * residual is the upper part alone, (b − A x)_i = Σ_{j > i} g_ij x_j (the sweep zeroed the rest
 * of the row), which reads about 40 % fewer bytes; rows [r0, t) take the full residual.
 */
export function restrictAfterForwardRange(S: StencilArrays, b: Float64Array, x: Float64Array, aggregate: Int32Array, rc: Float64Array, r0: number, t: number, r1: number): void {
  const { gx, gy, gz, up, front } = S;
  const n = S.n;
  if (t > r0) restrictRange(S, b, x, aggregate, rc, r0, t);
  const hi = Math.min(r1, n - 1);
  for (let i = Math.max(t, r0); i < hi; i++) rc[aggregate[i]] += gx[i] * x[i + 1] + gy[i] * x[up[i]] + gz[i] * x[front[i]];
  // the last row has no +x neighbour (x[n] does not exist)
  if (r1 === n && n > 0 && n - 1 >= Math.max(t, r0)) rc[aggregate[n - 1]] += gy[n - 1] * x[up[n - 1]] + gz[n - 1] * x[front[n - 1]];
}

/** x_i += xc[aggregate[i]] on rows [r0, r1) (piecewise-constant prolongation). */
export function prolongRange(aggregate: Int32Array, xc: Float64Array, x: Float64Array, r0: number, r1: number): void {
  for (let i = r0; i < r1; i++) x[i] += xc[aggregate[i]];
}

/**
 * Forward Gauss–Seidel on rows [r0, r1), ascending, full stencil (x is read everywhere).
 */
export function gsForwardRange(S: StencilArrays, b: Float64Array, x: Float64Array, r0: number, r1: number): void {
  const { diag, gx, gy, gz, up, front, down, back } = S;
  const n = S.n;
  const lo = Math.max(r0, 1), hi = Math.min(r1, n - 1);
  if (r0 === 0 && r1 > 0) x[0] += rowResidual(S, 0, b[0], x) / diag[0];
  for (let i = lo; i < hi; i++) {
    const dn = down[i], bk = back[i];
    x[i] = (b[i] + gx[i - 1] * x[i - 1] + gx[i] * x[i + 1]
      + gy[i] * x[up[i]] + gy[dn] * x[dn]
      + gz[i] * x[front[i]] + gz[bk] * x[bk]) / diag[i];
  }
  if (r1 === n && n > 1 && r0 < n - 1) x[n - 1] += rowResidual(S, n - 1, b[n - 1], x) / diag[n - 1];
}

/** Backward Gauss–Seidel on rows [r0, r1), descending, full stencil. */
export function gsBackwardRange(S: StencilArrays, b: Float64Array, x: Float64Array, r0: number, r1: number): void {
  const { diag, gx, gy, gz, up, front, down, back } = S;
  const n = S.n;
  const lo = Math.max(r0, 1), hi = Math.min(r1, n - 1);
  if (r1 === n && n > 1 && r0 < n - 1) x[n - 1] += rowResidual(S, n - 1, b[n - 1], x) / diag[n - 1];
  for (let i = hi - 1; i >= lo; i--) {
    const dn = down[i], bk = back[i];
    x[i] = (b[i] + gx[i - 1] * x[i - 1] + gx[i] * x[i + 1]
      + gy[i] * x[up[i]] + gy[dn] * x[dn]
      + gz[i] * x[front[i]] + gz[bk] * x[bk]) / diag[i];
  }
  if (r0 === 0 && r1 > 0) x[0] += rowResidual(S, 0, b[0], x) / diag[0];
}

/**
 * Forward Gauss–Seidel on rows [r0, r1) assuming the rows of the range not yet visited are zero:
 * only the −x, −y, −z neighbours are read (they must be either already updated or zero). The
 * sentinel row n − 1 is read with coupling 0 and must hold a finite value.
 */
export function gsForwardZeroRange(S: StencilArrays, b: Float64Array, x: Float64Array, r0: number, r1: number): void {
  const { diag, gx, gy, gz, down, back } = S;
  let i = r0;
  if (i === 0 && r1 > 0) { x[0] = b[0] / diag[0]; i = 1; }
  for (; i < r1; i++) {
    const dn = down[i], bk = back[i];
    x[i] = (b[i] + gx[i - 1] * x[i - 1] + gy[dn] * x[dn] + gz[bk] * x[bk]) / diag[i];
  }
}

/** CG update on [r0, r1): x += α p, r −= α q; returns Σ r_i². */
export function cgUpdateRange(alpha: number, p: Float64Array, q: Float64Array, x: Float64Array, r: Float64Array, r0: number, r1: number): number {
  let s = 0;
  for (let i = r0; i < r1; i++) {
    x[i] += alpha * p[i];
    const v = r[i] - alpha * q[i];
    r[i] = v;
    s += v * v;
  }
  return s;
}

/** Returns [Σ r_i z_i, Σ z_i q_i] over [r0, r1) (q may be null: second sum 0). */
export function dot2Range(r: Float64Array, z: Float64Array, q: Float64Array | null, r0: number, r1: number, out: Float64Array, at: number): void {
  let a = 0, c = 0;
  if (q) for (let i = r0; i < r1; i++) { const zi = z[i]; a += r[i] * zi; c += zi * q[i]; }
  else for (let i = r0; i < r1; i++) a += r[i] * z[i];
  out[at] = a;
  out[at + 1] = c;
}

/** p ← z + β p on [r0, r1). */
export function xpayRange(z: Float64Array, beta: number, p: Float64Array, r0: number, r1: number): void {
  for (let i = r0; i < r1; i++) p[i] = z[i] + beta * p[i];
}

/** CSR y ← A x on rows [r0, r1) (same loop as CsrMatrix.apply); returns Σ x_i y_i. */
export function csrApplyDotRange(rp: Int32Array, ci: Int32Array, v: Coefficients, x: Float64Array, y: Float64Array, r0: number, r1: number): number {
  let d = 0;
  let k = rp[r0];
  for (let i = r0; i < r1; i++) {
    const end = rp[i + 1];
    let s = 0;
    for (; k < end; k++) s += v[k] * x[ci[k]];
    y[i] = s;
    d += x[i] * s;
  }
  return d;
}

/**
 * CSR rc[aggregate[i]] += (b − A x)_i on rows [r0, r1), ascending (rc is not cleared): the serial
 * residual followed by the serial restriction, fused, bitwise when no aggregate spans two partitions.
 */
export function csrRestrictRange(rp: Int32Array, ci: Int32Array, v: Coefficients, b: Float64Array, x: Float64Array, aggregate: Int32Array, rc: Float64Array, r0: number, r1: number): void {
  let k = rp[r0];
  for (let i = r0; i < r1; i++) {
    const end = rp[i + 1];
    let s = b[i];
    for (; k < end; k++) s -= v[k] * x[ci[k]];
    rc[aggregate[i]] += s;
  }
}

/** r ← b − a w on [r0, r1); partials [Σ r_i², Σ b_i²] (K-cycle). */
export function axpyNorm2Range(a: number, b: Float64Array, w: Float64Array, r: Float64Array, r0: number, r1: number, out: Float64Array, at: number): void {
  let s = 0, t = 0;
  for (let i = r0; i < r1; i++) { const bi = b[i], ri = bi - a * w[i]; r[i] = ri; s += ri * ri; t += bi * bi; }
  out[at] = s;
  out[at + 1] = t;
}

/** x ← s1 c1 + s2 c2 on [r0, r1). */
export function linearCombinationRange(s1: number, c1: Float64Array, s2: number, c2: Float64Array, x: Float64Array, r0: number, r1: number): void {
  if (s2 === 0) for (let i = r0; i < r1; i++) x[i] = s1 * c1[i];
  else for (let i = r0; i < r1; i++) x[i] = s1 * c1[i] + s2 * c2[i];
}

/** CSR r ← b − A x on rows [r0, r1) (same loop as CsrMatrix.residual); returns Σ r_i². */
export function csrResidualRange(rp: Int32Array, ci: Int32Array, v: Coefficients, b: Float64Array, x: Float64Array, r: Float64Array, r0: number, r1: number): number {
  let d = 0;
  let k = rp[r0];
  for (let i = r0; i < r1; i++) {
    const end = rp[i + 1];
    let s = b[i];
    for (; k < end; k++) s -= v[k] * x[ci[k]];
    r[i] = s;
    d += s * s;
  }
  return d;
}

/** CSR Gauss–Seidel on rows [r0, r1), ascending (same update as GaussSeidelSmoother.forward). */
export function csrGsForwardRange(rp: Int32Array, ci: Int32Array, v: Coefficients, inv: Float64Array, b: Float64Array, x: Float64Array, r0: number, r1: number): void {
  for (let i = r0; i < r1; i++) {
    let s = b[i];
    const end = rp[i + 1];
    for (let k = rp[i]; k < end; k++) s -= v[k] * x[ci[k]];
    x[i] += s * inv[i];
  }
}

/** CSR Gauss–Seidel on rows [r0, r1), descending. */
export function csrGsBackwardRange(rp: Int32Array, ci: Int32Array, v: Coefficients, inv: Float64Array, b: Float64Array, x: Float64Array, r0: number, r1: number): void {
  for (let i = r1 - 1; i >= r0; i--) {
    let s = b[i];
    const end = rp[i + 1];
    for (let k = rp[i]; k < end; k++) s -= v[k] * x[ci[k]];
    x[i] += s * inv[i];
  }
}

// ---- command protocol (thread-pool.ts ↔ parallel-worker.ts) ----

/** Int32 control block layout. */
export const CTRL = {
  SEQ: 0, DONE: 1, CMD: 2, ERR: 3, READY: 4, NPART: 5,
  /** buffer ids of the command's arguments */
  IDS: 8, NIDS: 16,
  /** partition bounds r_0 … r_T */
  RANGES: 24,
} as const;
export const MAX_THREADS = 64;
/** Scalar parameters per command (Float64). */
export const PARAMS_LENGTH = 16;
/** Gauss–Seidel body starts a_p (p = 0 … T − 1), after the ranges. */
export const CTRL_BODY = CTRL.RANGES + MAX_THREADS + 1;
export const CTRL_LENGTH = CTRL_BODY + MAX_THREADS;

export const CMD = {
  NOOP: 0, STOP: 1, APPLY_DOT: 2, RESIDUAL: 3, RESTRICT: 4, PROLONG: 5,
  GS_FWD_BODY: 6, GS_FWD_ZERO_BODY: 7, GS_BWD_BODY: 8, CG_UPDATE: 9, DOT2: 10, XPAY: 11,
  /** CSR: ids rowPtr colIdx values invDiag, then vectors */
  CSR_APPLY_DOT: 12, CSR_RESIDUAL: 13, CSR_GS_FWD_BODY: 14, CSR_GS_BWD_BODY: 15, FILL0: 16,
  /** 3-block stencil rows + element rows (blockStencilRange): 12 ids, x, y, neighbors */
  BLOCK_STENCIL: 17,
  /**
   * Multigrid setup on a stencil (aggregation-kernels.ts), stencil ids 0–7 then:
   * AGG_STRONG cellOf parentOf uf size start order aggregate aux(nx ny cx cy P_0 … P_T), θ in params;
   * AGG_NUMBER (no stencil) order aggregate coarseCellOf offsets(T + 1);
   * GAL_COUNT aggregate start members rowPtr aux(c_0 … c_T); GAL_PATTERN … rowPtr cols aux;
   * GAL_VALUES aggregate rowPtr cols values. Reductions (aggregate counts, first crossing rows) in the partials.
   */
  AGG_STRONG: 18, AGG_NUMBER: 19, GAL_COUNT: 20, GAL_PATTERN: 21, GAL_VALUES: 22,
  /**
   * cellStencilRange (cell-stencil-kernels.ts) over z planes: ids unknownOf diag gx gy gz up front
   * down back rhs [k] [source]; params CELL_STENCIL_PARAMS then has-k, has-source.
   */
  CELL_STENCIL: 23,
  /** CSR ids (rowPtr colIdx values invDiag) b x aggregate rc */
  CSR_RESTRICT: 24,
  /** b w r, params a (axpyNorm2Range); c1 c2 x, params s1 s2 (linearCombinationRange); r z (DOT2 without q) */
  AXPY_NORM2: 25, LINEAR_COMBINATION: 26, DOT: 27,
  /** as RESTRICT, after a zero-start forward sweep: full residual on rows before the body value t_p */
  RESTRICT_AFTER_FORWARD: 28,
} as const;

export type View = Float64Array | Float32Array | Int32Array;

function stencilOf(views: View[], ctrl: Int32Array, n: number): StencilArrays {
  const at = (k: number) => views[ctrl[CTRL.IDS + k]];
  return {
    n,
    diag: at(0) as Coefficients, gx: at(1) as Coefficients, gy: at(2) as Coefficients, gz: at(3) as Coefficients,
    up: at(4) as Int32Array, front: at(5) as Int32Array, down: at(6) as Int32Array, back: at(7) as Int32Array,
  };
}

/**
 * Run command `cmd` on partition `p`: rows [ctrl[RANGES + p], ctrl[RANGES + p + 1]). Arguments:
 * buffer ids in ctrl[IDS …] (a stencil takes the first 8: diag gx gy gz up front down back),
 * scalars in `params`, partial reductions written to partials[2p], partials[2p + 1].
 */
export function executeCommand(cmd: number, p: number, ctrl: Int32Array, params: Float64Array, partials: Float64Array, views: View[]): void {
  const r0 = ctrl[CTRL.RANGES + p], r1 = ctrl[CTRL.RANGES + p + 1];
  const T = ctrl[CTRL.NPART];
  const n = ctrl[CTRL.RANGES + T];
  const v = (k: number) => views[ctrl[CTRL.IDS + k]] as Float64Array;
  const iv = (k: number) => views[ctrl[CTRL.IDS + k]] as Int32Array;
  const cv = (k: number) => views[ctrl[CTRL.IDS + k]] as Coefficients;
  const a = ctrl[CTRL_BODY + p];
  switch (cmd) {
    case CMD.NOOP: return;
    case CMD.APPLY_DOT: partials[2 * p] = applyDotRange(stencilOf(views, ctrl, n), v(8), v(9), r0, r1); return;
    case CMD.RESIDUAL: partials[2 * p] = residualRange(stencilOf(views, ctrl, n), v(8), v(9), v(10), r0, r1); return;
    case CMD.RESTRICT: restrictRange(stencilOf(views, ctrl, n), v(8), v(9), iv(10), v(11), r0, r1); return;
    case CMD.RESTRICT_AFTER_FORWARD: restrictAfterForwardRange(stencilOf(views, ctrl, n), v(8), v(9), iv(10), v(11), r0, a, r1); return;
    case CMD.PROLONG: prolongRange(iv(0), v(1), v(2), r0, r1); return;
    case CMD.GS_FWD_BODY: gsForwardRange(stencilOf(views, ctrl, n), v(8), v(9), a, r1); return;
    case CMD.GS_FWD_ZERO_BODY: {
      const x = v(9);
      x.fill(0, r0, a);
      gsForwardZeroRange(stencilOf(views, ctrl, n), v(8), x, a, r1);
      return;
    }
    case CMD.GS_BWD_BODY: gsBackwardRange(stencilOf(views, ctrl, n), v(8), v(9), a, r1); return;
    case CMD.CG_UPDATE: partials[2 * p] = cgUpdateRange(params[0], v(0), v(1), v(2), v(3), r0, r1); return;
    case CMD.DOT2: dot2Range(v(0), v(1), v(2), r0, r1, partials, 2 * p); return;
    case CMD.XPAY: xpayRange(v(0), params[0], v(1), r0, r1); return;
    case CMD.CSR_APPLY_DOT: partials[2 * p] = csrApplyDotRange(iv(0), iv(1), cv(2), v(4), v(5), r0, r1); return;
    case CMD.CSR_RESIDUAL: partials[2 * p] = csrResidualRange(iv(0), iv(1), cv(2), v(4), v(5), v(6), r0, r1); return;
    case CMD.CSR_GS_FWD_BODY: csrGsForwardRange(iv(0), iv(1), cv(2), v(3), v(4), v(5), a, r1); return;
    case CMD.CSR_GS_BWD_BODY: csrGsBackwardRange(iv(0), iv(1), cv(2), v(3), v(4), v(5), a, r1); return;
    case CMD.FILL0: v(0).fill(0, r0, r1); return;
    case CMD.BLOCK_STENCIL: blockStencilRange({
      uniform: iv(0), uniformTable: iv(1), stencils: v(2), slotOffset: iv(3), neighbors: iv(14),
      mixed: iv(4), mixedPtr: iv(5), mixedElem: iv(6), mixedLocal: iv(7),
      elemNodes: iv(8), elemTable: iv(9), tables: v(10), mask: v(11),
    }, v(12), v(13), r0, r1); return;
    case CMD.AGG_STRONG: {
      const aux = iv(15), T0 = 4;
      partials[2 * p] = aggregateStencilRange(stencilOf(views, ctrl, n), iv(8), { nx: aux[0], ny: aux[1], cx: aux[2], cy: aux[3] }, params[0],
        iv(9), iv(10), iv(11), iv(12), iv(13), iv(14), r0, r1, aux[T0 + p], aux[T0 + p + 1]);
      return;
    }
    case CMD.AGG_NUMBER: { const off = iv(3); numberAggregatesRange(iv(0), iv(1), iv(2), off[p], off[p + 1] - off[p], r0, r1); return; }
    case CMD.GAL_COUNT: { const c = iv(12); galerkinCountRange(stencilOf(views, ctrl, n), iv(8), iv(9), iv(10), iv(11), r0, r1, c[p], c[p + 1]); return; }
    case CMD.GAL_PATTERN: { const c = iv(13); galerkinPatternRange(stencilOf(views, ctrl, n), iv(8), iv(9), iv(10), iv(11), iv(12), r1, c[p], c[p + 1]); return; }
    case CMD.GAL_VALUES: partials[2 * p] = galerkinValuesRange(stencilOf(views, ctrl, n), iv(8), iv(9), iv(10), cv(11), r0, r1); return;
    case CMD.CSR_RESTRICT: csrRestrictRange(iv(0), iv(1), cv(2), v(4), v(5), iv(6), v(7), r0, r1); return;
    case CMD.AXPY_NORM2: axpyNorm2Range(params[0], v(0), v(1), v(2), r0, r1, partials, 2 * p); return;
    case CMD.LINEAR_COMBINATION: linearCombinationRange(params[0], v(0), params[1], v(1), v(2), r0, r1); return;
    case CMD.DOT: dot2Range(v(0), v(1), null, r0, r1, partials, 2 * p); return;
    case CMD.CELL_STENCIL: {
      const q = {} as CellStencilParams;
      CELL_STENCIL_PARAMS.forEach((key, t) => { q[key] = params[t]; });
      const P = CELL_STENCIL_PARAMS.length, hasK = params[P] !== 0, hasSource = params[P + 1] !== 0;
      const out = {
        diag: v(1) as Coefficients, gx: v(2) as Coefficients, gy: v(3) as Coefficients, gz: v(4) as Coefficients,
        up: iv(5), front: iv(6), down: iv(7), back: iv(8), rhs: v(9),
      };
      cellStencilRange(q, iv(0), hasK ? views[ctrl[CTRL.IDS + 10]] : null, hasSource ? views[ctrl[CTRL.IDS + (hasK ? 11 : 10)]] : null, out, r0, r1);
      return;
    }
    default: throw new Error(`parallel worker: unknown command ${cmd}`);
  }
}

/**
 * Arrays of a block-3 operator applied row-block by row-block (each output block written once,
 * so row ranges can run on different threads): "uniform" row blocks are a 3 × 81 stencil
 * (`stencils`, 243 values per table, columns = 27 neighbour blocks at `slotOffset` from the row's
 * own offset 3·node), the other ("mixed") row blocks sum, over a list of (element, local node),
 * the 3 rows of a 24 × 24 element matrix (`tables`, 576 values per table) against the element's
 * 8 blocks (`elemNodes`), inputs multiplied by `mask`. Nothing here knows what the rows mean.
 */
export interface BlockStencilArrays {
  uniform: Int32Array;
  uniformTable: Int32Array;
  stencils: Float64Array;
  slotOffset: Int32Array;
  /** Instead of `slotOffset` (empty then): the 27 neighbour blocks of every uniform row block. */
  neighbors: Int32Array;
  mixed: Int32Array;
  mixedPtr: Int32Array;
  mixedElem: Int32Array;
  mixedLocal: Int32Array;
  elemNodes: Int32Array;
  elemTable: Int32Array;
  tables: Float64Array;
  mask: Float64Array;
}

/** y ← A x for the row blocks [t0, t1) of the combined list (uniform blocks first, then mixed). */
export function blockStencilRange(a: BlockStencilArrays, x: Float64Array, y: Float64Array, t0: number, t1: number): void {
  const { uniform: uni, uniformTable: uniT, stencils: st, slotOffset: so, neighbors: nb } = a;
  const nU = uni.length;
  const uEnd = Math.min(t1, nU);
  if (so.length === 0) {
    for (let t = t0; t < uEnd; t++) {
      const g = 3 * uni[t], o0 = 243 * uniT[t], n0 = 27 * t;
      let s0 = 0, s1 = 0, s2 = 0;
      for (let q = 0; q < 27; q++) {
        const h = 3 * nb[n0 + q], o = o0 + 3 * q;
        const x0 = x[h], x1 = x[h + 1], x2 = x[h + 2];
        s0 += st[o] * x0 + st[o + 1] * x1 + st[o + 2] * x2;
        s1 += st[81 + o] * x0 + st[82 + o] * x1 + st[83 + o] * x2;
        s2 += st[162 + o] * x0 + st[163 + o] * x1 + st[164 + o] * x2;
      }
      y[g] = s0; y[g + 1] = s1; y[g + 2] = s2;
    }
  } else {
    for (let t = t0; t < uEnd; t++) {
      const g = 3 * uni[t], o0 = 243 * uniT[t];
      let s0 = 0, s1 = 0, s2 = 0;
      for (let q = 0; q < 27; q++) {
        const h = g + so[q], o = o0 + 3 * q;
        const x0 = x[h], x1 = x[h + 1], x2 = x[h + 2];
        s0 += st[o] * x0 + st[o + 1] * x1 + st[o + 2] * x2;
        s1 += st[81 + o] * x0 + st[82 + o] * x1 + st[83 + o] * x2;
        s2 += st[162 + o] * x0 + st[163 + o] * x1 + st[164 + o] * x2;
      }
      y[g] = s0; y[g + 1] = s1; y[g + 2] = s2;
    }
  }
  const { mixed: mix, mixedPtr: ptr, mixedElem: mel, mixedLocal: mloc, elemNodes: en, elemTable: tab, tables, mask: m } = a;
  for (let t = Math.max(t0, nU) - nU; t < t1 - nU; t++) {
    const g = 3 * mix[t];
    let s0 = 0, s1 = 0, s2 = 0;
    for (let p = ptr[t]; p < ptr[t + 1]; p++) {
      const e = mel[p], K0 = 576 * tab[e], r = K0 + 72 * mloc[p];
      for (let k = 0; k < 8; k++) {
        const h = 3 * en[8 * e + k];
        const v0 = x[h] * m[h], v1 = x[h + 1] * m[h + 1], v2 = x[h + 2] * m[h + 2];
        const b = r + 3 * k;
        s0 += tables[b] * v0 + tables[b + 1] * v1 + tables[b + 2] * v2;
        s1 += tables[b + 24] * v0 + tables[b + 25] * v1 + tables[b + 26] * v2;
        s2 += tables[b + 48] * v0 + tables[b + 49] * v1 + tables[b + 50] * v2;
      }
    }
    y[g] = s0; y[g + 1] = s1; y[g + 2] = s2;
  }
}

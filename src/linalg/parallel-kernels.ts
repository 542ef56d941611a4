/**
 * Row-range kernels of the compact 7-point operator (stencil-matrix.ts) and of CG, shared by the
 * main thread and the worker threads (parallel-worker.ts). Every kernel works on rows [r0, r1)
 * only, reads nothing but its arguments (no module state, no imports), and returns its partial
 * reduction, so a fixed partition of [0, n) gives results independent of timing.
 *
 * Boundary rows 0 and n − 1 take the branchy path (their −x / +x neighbour does not exist); the
 * interior loop is branch-free (see the sentinel conventions in stencil-matrix.ts).
 */

/** The arrays of a Stencil7Matrix (structural: the class itself fits). */
export interface StencilArrays {
  readonly n: number;
  readonly diag: Float64Array;
  readonly gx: Float64Array;
  readonly gy: Float64Array;
  readonly gz: Float64Array;
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
export function csrApplyDotRange(rp: Int32Array, ci: Int32Array, v: Float64Array, x: Float64Array, y: Float64Array, r0: number, r1: number): number {
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

/** CSR r ← b − A x on rows [r0, r1) (same loop as CsrMatrix.residual); returns Σ r_i². */
export function csrResidualRange(rp: Int32Array, ci: Int32Array, v: Float64Array, b: Float64Array, x: Float64Array, r: Float64Array, r0: number, r1: number): number {
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
export function csrGsForwardRange(rp: Int32Array, ci: Int32Array, v: Float64Array, inv: Float64Array, b: Float64Array, x: Float64Array, r0: number, r1: number): void {
  for (let i = r0; i < r1; i++) {
    let s = b[i];
    const end = rp[i + 1];
    for (let k = rp[i]; k < end; k++) s -= v[k] * x[ci[k]];
    x[i] += s * inv[i];
  }
}

/** CSR Gauss–Seidel on rows [r0, r1), descending. */
export function csrGsBackwardRange(rp: Int32Array, ci: Int32Array, v: Float64Array, inv: Float64Array, b: Float64Array, x: Float64Array, r0: number, r1: number): void {
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
/** Gauss–Seidel body starts a_p (p = 0 … T − 1), after the ranges. */
export const CTRL_BODY = CTRL.RANGES + MAX_THREADS + 1;
export const CTRL_LENGTH = CTRL_BODY + MAX_THREADS;

export const CMD = {
  NOOP: 0, STOP: 1, APPLY_DOT: 2, RESIDUAL: 3, RESTRICT: 4, PROLONG: 5,
  GS_FWD_BODY: 6, GS_FWD_ZERO_BODY: 7, GS_BWD_BODY: 8, CG_UPDATE: 9, DOT2: 10, XPAY: 11,
  /** CSR: ids rowPtr colIdx values invDiag, then vectors */
  CSR_APPLY_DOT: 12, CSR_RESIDUAL: 13, CSR_GS_FWD_BODY: 14, CSR_GS_BWD_BODY: 15, FILL0: 16,
} as const;

export type View = Float64Array | Int32Array;

function stencilOf(views: View[], ctrl: Int32Array, n: number): StencilArrays {
  const at = (k: number) => views[ctrl[CTRL.IDS + k]];
  return {
    n,
    diag: at(0) as Float64Array, gx: at(1) as Float64Array, gy: at(2) as Float64Array, gz: at(3) as Float64Array,
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
  const a = ctrl[CTRL_BODY + p];
  switch (cmd) {
    case CMD.NOOP: return;
    case CMD.APPLY_DOT: partials[2 * p] = applyDotRange(stencilOf(views, ctrl, n), v(8), v(9), r0, r1); return;
    case CMD.RESIDUAL: partials[2 * p] = residualRange(stencilOf(views, ctrl, n), v(8), v(9), v(10), r0, r1); return;
    case CMD.RESTRICT: restrictRange(stencilOf(views, ctrl, n), v(8), v(9), iv(10), v(11), r0, r1); return;
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
    case CMD.CSR_APPLY_DOT: partials[2 * p] = csrApplyDotRange(iv(0), iv(1), v(2), v(4), v(5), r0, r1); return;
    case CMD.CSR_RESIDUAL: partials[2 * p] = csrResidualRange(iv(0), iv(1), v(2), v(4), v(5), v(6), r0, r1); return;
    case CMD.CSR_GS_FWD_BODY: csrGsForwardRange(iv(0), iv(1), v(2), v(3), v(4), v(5), a, r1); return;
    case CMD.CSR_GS_BWD_BODY: csrGsBackwardRange(iv(0), iv(1), v(2), v(3), v(4), v(5), a, r1); return;
    case CMD.FILL0: v(0).fill(0, r0, r1); return;
    default: throw new Error(`parallel worker: unknown command ${cmd}`);
  }
}

/**
 * Aggregation multigrid preconditioner for SPD M-matrices whose unknowns live on a structured
 * grid (cell-centred finite-volume operators on voxel grids, with inactive cells removed).
 *
 * Hierarchy: 2× coarsening by 2×2×2 block aggregation split by strong connections
 * (aggregation.ts), Galerkin coarse operators Pᵀ A P in CSR, a dense Cholesky (LU when not symmetric) solve at the
 * coarsest level. Smoother: symmetric Gauss–Seidel (forward before, backward after) or
 * Chebyshev on D⁻¹A. Cycles:
 *  - 'V': classical V-cycle (a fixed SPD preconditioner);
 *  - 'W': two coarse corrections per level (fixed SPD);
 *  - 'K' (default): Notay–Vassilevski K-cycle: at every coarse level the correction is computed by
 *    two steps of flexible CG preconditioned by the next cycle (the second step only when the
 *    first reduced the residual by less than `kCycleTolerance`). Piecewise-constant aggregation
 *    with a V-cycle degrades with the number of levels; the K-cycle restores iteration counts
 *    independent of the grid size. It is a variable (nonlinear) preconditioner: use CG in its
 *    flexible form (`cg` does so automatically because `variable` is true).
 */
import type { Shape3 } from '../core/volume.js';
import { aggregateOnGrid, galerkinAggregation } from './aggregation.js';
import { ChebyshevSmoother, type ChebyshevOptions } from './chebyshev-smoother.js';
import { CsrMatrix, type CsrValues } from './csr-matrix.js';
import { DenseCholesky } from './dense-cholesky.js';
import { DenseLu } from './dense-lu.js';
import { gmres } from './gmres.js';
import { cg } from './cg.js';
import { GaussSeidelSmoother } from './gauss-seidel-smoother.js';
import { JacobiPreconditioner } from './jacobi-preconditioner.js';
import type { Preconditioner } from './operator.js';
import { Stencil7Matrix, type RowMatrix } from './stencil-matrix.js';
import { CsrParallel, isShared, sharedFloat64, StencilParallel, threadStatus, wantsParallel, type ThreadStatus } from './thread-pool.js';
import { dot, norm2, normFromSquares } from './vector.js';

export type MultigridCycle = 'V' | 'W' | 'K';
export type MultigridSmoother = 'gauss-seidel' | 'chebyshev';

export interface MultigridOptions {
  cycle?: MultigridCycle;
  smoother?: MultigridSmoother;
  /** Gauss–Seidel: sweeps before and after the coarse correction. Default 1. */
  sweeps?: number;
  /** Chebyshev options (degree = matrix–vector products before and after). */
  chebyshev?: ChebyshevOptions;
  /** Strength-of-connection threshold θ for aggregation. Default 0.25. */
  strengthThreshold?: number;
  /** Stop coarsening at or below this many unknowns (solved by dense Cholesky). Default 500. */
  maxCoarseSize?: number;
  /** Maximum number of levels. Default 30. */
  maxLevels?: number;
  /** Stop coarsening when a level shrinks by less than this factor. Default 1.5. */
  minCoarseningRatio?: number;
  /** K-cycle: skip the second inner FCG step when ‖r₁‖ ≤ tol·‖b‖. Default 0.25. */
  kCycleTolerance?: number;
  /**
   * Largest coupled coarsest-level system factorised densely (unknowns without off-diagonal
   * entries, e.g. isolated dead-end clusters, are solved by division and do not count). Above it
   * the coarsest level is solved by Jacobi-PCG to 1e-10, which makes the preconditioner variable.
   * Default 3000.
   */
  maxDirectSize?: number;
}

/** Where the unknowns are: the fine grid shape and the cell (flat x-fastest index) of each unknown. */
export interface MultigridGrid {
  shape: Shape3;
  cellOfUnknown: Int32Array;
}

interface Smoother {
  /** x ← S b from x = 0 */
  pre(b: Float64Array, x: Float64Array): void;
  /** x ← x + S*(b − A x) */
  post(b: Float64Array, x: Float64Array): void;
}

interface Level {
  A: RowMatrix;
  n: number;
  /** fine → coarse map to the next level (absent on the coarsest) */
  aggregate?: Int32Array;
  /** the row partition the aggregation ran on (no aggregate spans two parts) */
  partitions?: Int32Array;
  smoother?: Smoother;
  /** right-hand side and solution buffers of a coarse level (empty on the finest level, where the
   * caller's vectors are used) */
  b: Float64Array;
  x: Float64Array;
  /** residual buffer (not on the coarsest level) */
  r: Float64Array;
  /** K-cycle buffers */
  k?: { c1: Float64Array; c2: Float64Array; w1: Float64Array; w2: Float64Array; r1: Float64Array };
  /** W-cycle buffers */
  w?: { rc: Float64Array; tmp: Float64Array };
}

export interface MultigridLevelInfo {
  n: number;
  nnz: number;
  /** bytes per stored coefficient: 4 when the level is exactly Float32 (e.g. every level of a phase mask), else 8 */
  valueBytes: number;
  /** its products and smoothing run on the thread pool */
  threaded: boolean;
}

export class MultigridPreconditioner implements Preconditioner {
  readonly n: number;
  readonly variable: boolean = false;
  readonly cycle: MultigridCycle;
  private readonly levels: Level[] = [];
  private readonly coarse: CoarseSolver;
  private readonly kTol: number;
  /** The pre-smoother is one forward Gauss–Seidel sweep from zero (its residual has a cheap form). */
  private readonly singleForwardSweep: boolean;
  /** Seconds spent building the hierarchy. */
  readonly setupSeconds: number;
  /** Threads of the fine-level kernels, and why (thread-pool.ts). */
  readonly threads: ThreadStatus;

  /**
   * `A` may be a CSR matrix or, for 7-point operators on grids, the compact `Stencil7Matrix`
   * (matrix-free fine level: smoothing and residual restriction read 48 bytes per unknown; the
   * coarse levels are Galerkin products in CSR).
   */
  constructor(A: RowMatrix, grid: MultigridGrid, options: MultigridOptions = {}) {
    const t0 = performance.now();
    if (A.nRows !== A.nCols) throw new RangeError('MultigridPreconditioner: matrix must be square');
    if (grid.cellOfUnknown.length !== A.nRows) throw new RangeError('MultigridPreconditioner: grid.cellOfUnknown length differs from the matrix size');
    this.n = A.nRows;
    this.cycle = options.cycle ?? 'K';
    if (this.cycle === 'K') this.variable = true;
    this.kTol = options.kCycleTolerance ?? 0.25;
    const theta = options.strengthThreshold ?? 0.25;
    const maxCoarse = options.maxCoarseSize ?? 500;
    const maxLevels = options.maxLevels ?? 30;
    const minRatio = options.minCoarseningRatio ?? 1.5;
    const smootherKind = options.smoother ?? 'gauss-seidel';
    const sweeps = options.sweeps ?? 1;
    this.singleForwardSweep = smootherKind === 'gauss-seidel' && sweeps === 1;

    let Al = A;
    let shape = grid.shape;
    let cellOf = grid.cellOfUnknown;
    for (;;) {
      const n = Al.nRows;
      const fine = this.levels.length === 0;
      // coarse levels' vectors in shared memory when they are large enough for the thread pool
      // (sharedFloat64 gives ordinary arrays below that)
      const vec = fine ? (m: number) => new Float64Array(m) : sharedFloat64;
      const level: Level = { A: Al, n, b: vec(fine ? 0 : n), x: vec(fine ? 0 : n), r: new Float64Array(0) };
      this.levels.push(level);
      const canCoarsen = n > maxCoarse && this.levels.length < maxLevels && !(shape[0] === 1 && shape[1] === 1 && shape[2] === 1);
      if (!canCoarsen) break;
      const agg = aggregateOnGrid(Al, shape, cellOf, theta);
      if (agg.nCoarse * minRatio > n) break;
      level.aggregate = agg.aggregate;
      level.partitions = agg.partitions;
      // the stencil fine level restricts its residual without storing it
      level.r = vec(Al instanceof Stencil7Matrix ? 0 : n);
      level.smoother = makeSmoother(Al, smootherKind, sweeps, options.chebyshev);
      Al = galerkinAggregation(Al, agg.aggregate, agg.nCoarse, agg.partitions);
      shape = agg.coarseShape;
      cellOf = agg.coarseCellOf;
    }
    // Threads on the fine stencil level (thread-pool.ts): partitions aligned with the aggregates.
    const L0 = this.levels[0];
    if (L0.A instanceof Stencil7Matrix && L0.aggregate && this.levels.length > 1) {
      const par = StencilParallel.create(L0.A, L0.aggregate, L0.partitions);
      if (typeof par === 'string') {
        L0.A.parallel = undefined;
        this.threads = { threads: 1, reason: par };
      } else {
        L0.A.parallel = par;
        L0.aggregate = par.sharedCopy(L0.aggregate);
        this.threads = { threads: par.threads, reason: threadStatus(this.n).reason };
        const L1 = this.levels[1];
        if (!isShared(L1.b)) { L1.b = par.vector(L1.n); L1.x = par.vector(L1.n); }
        if (smootherKind === 'gauss-seidel') L0.smoother = parallelGaussSeidel(par, sweeps);
        // the coarse (CSR) levels too, while they are large and their couplings allow partitions
        for (let l = 1; l < this.levels.length; l++) {
          const L = this.levels[l], LA = L.A;
          if (!(LA instanceof CsrMatrix && L.aggregate && smootherKind === 'gauss-seidel')) break;
          if (l > 1 && !wantsParallel(L.n)) break;
          const cp = CsrParallel.create(LA, L.aggregate);
          if (typeof cp === 'string') { this.threads = { ...this.threads, reason: `${this.threads.reason}; level ${l} serial: ${cp}` }; break; }
          LA.threaded = cp; L.smoother = parallelCsrGaussSeidel(cp, L.smoother!, sweeps);
        }
      }
    } else this.threads = { threads: 1, reason: 'fine level is not a compact stencil' };
    // The coarsest level: direct solve (CG fallback when coarsening stalled).
    const last = this.levels[this.levels.length - 1];
    this.coarse = new CoarseSolver(last.A instanceof Stencil7Matrix ? last.A.toCsr() : last.A, options.maxDirectSize ?? 3000);
    if (this.coarse.iterative) this.variable = true;
    if (this.cycle === 'K') {
      for (let l = 1; l < this.levels.length - 1; l++) {
        const n = this.levels[l].n;
        // threaded levels (CsrParallel) apply on every thread when the vectors are shared
        const v = () => sharedFloat64(n);
        this.levels[l].k = { c1: v(), c2: v(), w1: v(), w2: v(), r1: v() };
      }
    }
    if (this.cycle === 'W') {
      for (let l = 1; l < this.levels.length - 1; l++) {
        const n = this.levels[l].n;
        this.levels[l].w = { rc: new Float64Array(n), tmp: new Float64Array(n) };
      }
    }
    this.setupSeconds = (performance.now() - t0) / 1000;
  }

  get levelInfo(): MultigridLevelInfo[] {
    return this.levels.map((l) => ({
      n: l.n, nnz: l.A.nnz, valueBytes: (l.A instanceof Stencil7Matrix ? l.A.diag : l.A.values).BYTES_PER_ELEMENT,
      threaded: l.A instanceof Stencil7Matrix ? l.A.parallel !== undefined : l.A.threaded !== undefined,
    }));
  }

  /** Σ nnz over levels / nnz of the fine level. */
  get operatorComplexity(): number {
    const nnz0 = this.levels[0].A.nnz;
    return this.levels.reduce((s, l) => s + l.A.nnz, 0) / nnz0;
  }

  apply(r: Float64Array, z: Float64Array): void {
    this.cycleAt(0, r, z);
  }

  /** x ← B_l b (approximate A_l⁻¹ b) with zero initial guess. */
  private cycleAt(l: number, b: Float64Array, x: Float64Array): void {
    const L = this.levels[l];
    if (l === this.levels.length - 1) {
      this.coarse.solve(b, x);
      return;
    }
    const agg = L.aggregate!, n = L.n, r = L.r;
    L.smoother!.pre(b, x);
    const C = this.levels[l + 1];
    const bc = C.b, xc = C.x;
    const par = L.A instanceof Stencil7Matrix ? L.A.parallel : undefined;
    // a threaded CSR level whose partitions respect this level's aggregates
    const cpar = L.A instanceof CsrMatrix && L.A.threaded?.aggregate === agg && isShared(b) && isShared(x) && isShared(bc) ? L.A.threaded : undefined;
    // after one Gauss–Seidel sweep from zero the residual is the upper part of A x alone
    const afterForward = this.singleForwardSweep;
    if (par && isShared(b) && isShared(x)) {
      if (afterForward) par.restrictResidualAfterForward(b, x, agg, bc); else par.restrictResidual(b, x, agg, bc);
    } else if (L.A instanceof Stencil7Matrix) {
      if (afterForward) L.A.restrictResidualAfterForward(b, x, agg, bc); else L.A.restrictResidual(b, x, agg, bc);
    } else if (cpar) cpar.restrictResidual(b, x, bc);
    else {
      L.A.residual(b, x, r);
      bc.fill(0);
      for (let i = 0; i < n; i++) bc[agg[i]] += r[i];
    }
    const coarsest = l + 1 === this.levels.length - 1;
    if (this.cycle === 'V' || coarsest) {
      this.cycleAt(l + 1, bc, xc);
    } else if (this.cycle === 'W') {
      this.cycleAt(l + 1, bc, xc);
      // second coarse pass on the coarse residual
      const { rc, tmp } = C.w!;
      C.A.residual(bc, xc, rc);
      this.cycleAt(l + 1, rc, tmp);
      for (let i = 0; i < C.n; i++) xc[i] += tmp[i];
    } else {
      this.kCycle(l + 1, bc, xc);
    }
    if (par && isShared(x)) par.prolong(agg, xc, x);
    else if (cpar && isShared(xc)) cpar.prolong(xc, x);
    else for (let i = 0; i < n; i++) x[i] += xc[agg[i]];
    L.smoother!.post(b, x);
  }

  /**
   * x ← approx A_l⁻¹ b by ≤ 2 flexible-CG steps preconditioned with cycleAt(l). On a threaded
   * level (shared vectors) the products and vector passes run on the pool, fused where possible.
   */
  private kCycle(l: number, b: Float64Array, x: Float64Array): void {
    const L = this.levels[l];
    const { c1, c2, w1, w2, r1 } = L.k!;
    const A = L.A, n = L.n;
    const par = A instanceof CsrMatrix && A.threaded && isShared(b) && isShared(x) && isShared(c1) ? A.threaded : undefined;
    this.cycleAt(l, b, c1);
    let rho1: number, alpha1: number;
    if (par) { rho1 = par.applyDot(c1, w1); alpha1 = par.dot(c1, b); } else { A.apply(c1, w1); rho1 = dot(c1, w1); alpha1 = dot(c1, b); }
    if (!(rho1 > 0)) { x.set(c1); return; }
    const a1 = alpha1 / rho1;
    let rn: number, bn: number;
    if (par) {
      const [rr, bb] = par.axpyNorm2(a1, b, w1, r1);
      rn = normFromSquares(rr, r1);
      bn = normFromSquares(bb, b);
    } else {
      for (let i = 0; i < n; i++) r1[i] = b[i] - a1 * w1[i];
      rn = norm2(r1);
      bn = norm2(b);
    }
    if (rn <= this.kTol * bn) {
      if (par) par.linearCombination(a1, c1, 0, c1, x);
      else for (let i = 0; i < n; i++) x[i] = a1 * c1[i];
      return;
    }
    this.cycleAt(l, r1, c2);
    let gamma: number, beta: number, alpha2: number;
    if (par) { beta = par.applyDot(c2, w2); [alpha2, gamma] = par.dot2(r1, c2, w1); } else {
      A.apply(c2, w2);
      gamma = dot(c2, w1);
      beta = dot(c2, w2);
      alpha2 = dot(c2, r1);
    }
    const rho2 = beta - (gamma * gamma) / rho1;
    if (!(rho2 > 0)) {
      if (par) par.linearCombination(a1, c1, 0, c1, x);
      else for (let i = 0; i < n; i++) x[i] = a1 * c1[i];
      return;
    }
    const s1 = a1 - (gamma * alpha2) / (rho1 * rho2);
    const s2 = alpha2 / rho2;
    if (par) par.linearCombination(s1, c1, s2, c2, x);
    else for (let i = 0; i < n; i++) x[i] = s1 * c1[i] + s2 * c2[i];
  }
}

/**
 * Gauss–Seidel on the threaded fine level (StencilParallel: a serial GS sweep in a row order whose
 * partition bodies run concurrently). Falls back to the serial sweep for non-shared vectors.
 */
function parallelGaussSeidel(par: StencilParallel, sweeps: number): Smoother {
  const A = par.A as Stencil7Matrix;
  const ok = (b: Float64Array, x: Float64Array) => isShared(b) && isShared(x);
  return {
    pre(b, x) {
      if (sweeps === 0) { x.fill(0); return; }
      if (!ok(b, x)) { A.gaussSeidel(b, x, true, true); for (let s = 1; s < sweeps; s++) A.gaussSeidel(b, x, true); return; }
      par.gaussSeidelForward(b, x, true);
      for (let s = 1; s < sweeps; s++) par.gaussSeidelForward(b, x, false);
    },
    post(b, x) {
      if (!ok(b, x)) { for (let s = 0; s < sweeps; s++) A.gaussSeidel(b, x, false); return; }
      for (let s = 0; s < sweeps; s++) par.gaussSeidelBackward(b, x);
    },
  };
}

/** Gauss–Seidel on a threaded CSR level (CsrParallel); `serial` for non-shared vectors. */
function parallelCsrGaussSeidel(par: CsrParallel, serial: Smoother, sweeps: number): Smoother {
  const ok = (b: Float64Array, x: Float64Array) => isShared(b) && isShared(x);
  return {
    pre(b, x) {
      if (!ok(b, x)) { serial.pre(b, x); return; }
      if (sweeps === 0) { x.fill(0); return; }
      par.gaussSeidelForward(b, x, true);
      for (let s = 1; s < sweeps; s++) par.gaussSeidelForward(b, x, false);
    },
    post(b, x) {
      if (!ok(b, x)) { serial.post(b, x); return; }
      for (let s = 0; s < sweeps; s++) par.gaussSeidelBackward(b, x);
    },
  };
}

function makeSmoother(A: RowMatrix, kind: MultigridSmoother, sweeps: number, cheb?: ChebyshevOptions): Smoother {
  if (kind === 'gauss-seidel' && A instanceof Stencil7Matrix) {
    return {
      pre(b, x) { if (sweeps === 0) { x.fill(0); return; } A.gaussSeidel(b, x, true, true); for (let s = 1; s < sweeps; s++) A.gaussSeidel(b, x, true); },
      post(b, x) { for (let s = 0; s < sweeps; s++) A.gaussSeidel(b, x, false); },
    };
  }
  if (kind === 'gauss-seidel' && A instanceof CsrMatrix) {
    const gs = new GaussSeidelSmoother(A);
    return {
      pre(b, x) { x.fill(0); for (let s = 0; s < sweeps; s++) gs.forward(b, x); },
      post(b, x) { for (let s = 0; s < sweeps; s++) gs.backward(b, x); },
    };
  }
  const ch = new ChebyshevSmoother(A, cheb);
  return {
    pre(b, x) { x.fill(0); ch.smooth(b, x, true); },
    post(b, x) { ch.smooth(b, x, false); },
  };
}

/**
 * Coarsest-level solver: unknowns without off-diagonal entries are solved by division; the coupled
 * rest by dense Cholesky, or dense LU when the matrix is not symmetric (or by Jacobi-PCG / Jacobi-GMRES
 * when too large).
 */
class CoarseSolver {
  readonly iterative: boolean;
  private readonly isolated: Int32Array;
  private readonly isolatedInvDiag: Float64Array;
  private readonly coupled: Int32Array;
  private readonly dense?: DenseCholesky | DenseLu;
  private readonly symmetric: boolean;
  private readonly sub?: CsrMatrix;
  private readonly bSub: Float64Array;
  private readonly xSub: Float64Array;

  constructor(A: CsrMatrix<CsrValues>, maxDirect: number) {
    const n = A.nRows;
    const iso: number[] = [], isoInv: number[] = [], cpl: number[] = [];
    const local = new Int32Array(n).fill(-1);
    // coupled: a non-zero off-diagonal entry in its row or in its column (the pattern of a
    // non-symmetric matrix need not be symmetric)
    const coupled = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      for (let k = A.rowPtr[i]; k < A.rowPtr[i + 1]; k++) {
        if (A.colIdx[k] !== i && A.values[k] !== 0) { coupled[i] = 1; coupled[A.colIdx[k]] = 1; }
      }
    }
    for (let i = 0; i < n; i++) {
      let d = 0;
      for (let k = A.rowPtr[i]; k < A.rowPtr[i + 1]; k++) if (A.colIdx[k] === i) d = A.values[k];
      if (coupled[i]) { local[i] = cpl.length; cpl.push(i); } else {
        if (!(d > 0)) throw new RangeError(`MultigridPreconditioner: coarse diagonal ${i} is ${d}`);
        iso.push(i); isoInv.push(1 / d);
      }
    }
    this.isolated = Int32Array.from(iso);
    this.isolatedInvDiag = Float64Array.from(isoInv);
    this.coupled = Int32Array.from(cpl);
    const m = cpl.length;
    const rows: number[] = [], cols: number[] = [], vals: number[] = [];
    for (const i of cpl) {
      for (let k = A.rowPtr[i]; k < A.rowPtr[i + 1]; k++) {
        if (local[A.colIdx[k]] < 0) continue; // a stored zero towards an isolated unknown
        rows.push(local[i]); cols.push(local[A.colIdx[k]]); vals.push(A.values[k]);
      }
    }
    const sub = CsrMatrix.fromCoo(m, m, rows, cols, vals);
    this.iterative = m > maxDirect;
    if (this.iterative) this.sub = sub;
    this.symmetric = isSymmetric(sub);
    if (!this.iterative) this.dense = this.symmetric ? DenseCholesky.fromCsr(sub) : DenseLu.fromCsr(sub);
    this.bSub = new Float64Array(m);
    this.xSub = new Float64Array(m);
  }

  solve(b: Float64Array, x: Float64Array): void {
    const iso = this.isolated, inv = this.isolatedInvDiag;
    for (let t = 0; t < iso.length; t++) x[iso[t]] = b[iso[t]] * inv[t];
    const cpl = this.coupled;
    if (cpl.length === 0) return;
    for (let t = 0; t < cpl.length; t++) this.bSub[t] = b[cpl[t]];
    if (this.dense) this.dense.solve(this.bSub, this.xSub);
    else {
      const opts = { rtol: 1e-10, maxIterations: 10000, preconditioner: JacobiPreconditioner.fromOperator(this.sub!) };
      const res = this.symmetric ? cg(this.sub!, this.bSub, opts) : gmres(this.sub!, this.bSub, { ...opts, restart: 100 });
      this.xSub.set(res.x);
    }
    for (let t = 0; t < cpl.length; t++) x[cpl[t]] = this.xSub[t];
  }
}

/** Numerically symmetric: |a_ij − a_ji| ≤ 1e-12 max|a| for every stored entry. */
function isSymmetric(A: CsrMatrix<CsrValues>): boolean {
  let amax = 0;
  for (let k = 0; k < A.nnz; k++) amax = Math.max(amax, Math.abs(A.values[k]));
  const tol = 1e-12 * amax;
  for (let i = 0; i < A.nRows; i++) {
    for (let k = A.rowPtr[i]; k < A.rowPtr[i + 1]; k++) {
      const j = A.colIdx[k];
      if (j <= i) continue;
      if (Math.abs(A.values[k] - A.get(j, i)) > tol) return false;
    }
  }
  return true;
}

/**
 * Implicit BDF time integration of  M dy/dt = f(y, t)  (M diagonal, possibly with zeros: the
 * algebraic equations of a semi-explicit index-1 DAE, e.g. the potentials of the coupled
 * electrochemistry).
 *
 * Methods (variable step, written for arbitrary node times t_{n+1}, t_n, …, t_{n+1−q}):
 *   BDF1 (backward Euler) and BDF2. With P the polynomial through (t_{n+1−j}, y_{n+1−j}),
 *   j = 0..q, the step solves
 *     G(y) = M (a_0 y + Σ_{j≥1} a_j y_{n+1−j}) − f(y, t_{n+1}) = 0,   a_j = L_j'(t_{n+1}),
 *   L_j the Lagrange basis polynomials of the q+1 nodes, so a_0 = Σ_{j≥1} 1/(t_{n+1} − t_{n+1−j}).
 *   (BDF1: a_0 = 1/h, a_1 = −1/h. BDF2, ω = h_n/h_{n−1}: a_0 = (1+2ω)/((1+ω) h_n).) The first
 *   step (and the first after `restart()`) is BDF1; BDF2 has its variable-step zero-stability
 *   for step ratios below 1 + √2, so the controller caps growth at 2 per step.
 *
 * Newton: J_G = a_0 M − ∂f/∂y, full Newton (the Jacobian is re-evaluated every iteration), with
 *   a backtracking line search (halve the step while ‖G‖₂ does not decrease by the Armijo factor
 *   1 − 10⁻⁴ λ). Converged when ‖G‖₂ ≤ max(residualAtol, residualRtol · S), S the size of the
 *   terms G is made of (‖ |M a_0 y| + |M Σ a_j y_j| + |f| ‖₂ at the predictor: scale-free, and
 *   reachable in floating point, unlike a reduction relative to ‖G(predictor)‖, which is tiny when
 *   the predictor is good), or when a full (undamped) update is small in the error-weighted RMS
 *   norm (‖δ‖_w ≤ updateTol, weights w_i = atol_i + rtol |y_i|). Linear systems go through
 *   src/linalg: CG when the problem declares `symmetric` (a_0 M − ∂f/∂y symmetric positive
 *   definite), GMRES otherwise, Jacobi-preconditioned by default.
 *
 * Non-convergence (Newton iteration limit, failed line search, non-finite residual, linear
 *   solver failure): the step is retried with dt/2; when dt would fall below dtMin a
 *   `TimeStepError` is thrown with the time, the step and the last residual.
 *
 * Local error estimate (adaptive mode): the local truncation error of BDFq is
 *   le ≈ Π_{j=1..q}(t_{n+1} − t_{n+1−j}) / a_0 · y[t_{n+1}, t_n, …, t_{n−q}],
 *   the (q+1)-th divided difference through the new solution and q+1 past points (it estimates
 *   y^{(q+1)}/(q+1)!; for constant steps this is (1/2) h² y'' for BDF1 and (2/9) h³ y''' for
 *   BDF2). When fewer past points exist, the estimate of the next lower order is used (on the
 *   first step: half the difference from forward Euler, (y_1 − y_0 − h ẏ_0)/2, with
 *   ẏ_0 = f(y_0)/M on the differential components). Accept when ‖le‖_w ≤ 1; next step
 *   h · min(maxGrowth, max(minShrink, safety ‖le‖_w^{−1/(p+1)})), p the estimate's order.
 */
import type { LinearOperator, Preconditioner } from '../linalg/operator.js';
import { CsrMatrix } from '../linalg/csr-matrix.js';
import { cg } from '../linalg/cg.js';
import { gmres } from '../linalg/gmres.js';
import { bicgstab } from '../linalg/bicgstab.js';
import { NonConvergenceError } from '../linalg/errors.js';
import { JacobiPreconditioner } from '../linalg/jacobi-preconditioner.js';
import type { KrylovMethod, SolveResult } from '../linalg/solve-options.js';
import { norm2 } from '../linalg/vector.js';

/** The problem M dy/dt = f(y, t). The integrator knows nothing else about it. */
export interface OdeProblem {
  /** Number of unknowns. */
  readonly n: number;
  /** Diagonal of the mass matrix M (length n, entries ≥ 0; 0 marks an algebraic equation). */
  readonly mass: Float64Array;
  /** True when a_0 M − ∂f/∂y is symmetric positive definite (CG is then used). Default false. */
  readonly symmetric?: boolean;
  /** out ← f(y, t) (must not keep references to y or out). */
  rhs(y: Float64Array, t: number, out: Float64Array): void;
  /**
   * ∂f/∂y at (y, t). A CsrMatrix is copied into a new CSR matrix a_0 M − ∂f/∂y (its diagonal
   * may be stored or not); any other operator is wrapped matrix-free (its `diagonal()` then feeds the
   * Jacobi preconditioner). The returned object is not modified.
   */
  jacobian(y: Float64Array, t: number): LinearOperator;
}

export interface NewtonOptions {
  /** Newton iterations per attempt (default 10). */
  maxIterations?: number;
  /**
   * Converged when ‖G‖₂ ≤ residualRtol · S (default 1e-8), S = ‖ |M a_0 y| + |M Σ a_j y_j| + |f(y)| ‖₂
   * at the predictor: the size of the terms G is made of, so that the test is scale-free and
   * reachable (round-off leaves ‖G‖ ≈ 1e-16 S; values below 1e-14 are raised to 1e-14).
   */
  residualRtol?: number;
  /** … or ‖G‖₂ ≤ residualAtol (in the units of f; default 0). */
  residualAtol?: number;
  /** … or an undamped update with ‖δ‖_w ≤ updateTol (default 1e-3; 0 disables). */
  updateTol?: number;
  /** Backtracking line search on ‖G‖₂ (default true). */
  lineSearch?: boolean;
  /** Smallest damping factor before the attempt is declared failed (default 1/64). */
  minDamping?: number;
  /**
   * Accept y as converged when a full Newton step does not decrease ‖G‖ and ‖G‖ is already within
   * this factor of the target (the residual's round-off floor; default 10; 0 disables).
   */
  roundoffFactor?: number;
}

export interface LinearSolverOptions {
  /** Krylov method (default: cg when the problem is symmetric, else gmres). */
  method?: KrylovMethod;
  /** Relative tolerance of each Newton linear solve (default 1e-10). */
  rtol?: number;
  /** Iteration limit (default 2000). */
  maxIterations?: number;
  /** GMRES restart length (default 50). */
  restart?: number;
  /**
   * Preconditioner factory for the Newton matrix a_0 M − ∂f/∂y (default: Jacobi when the
   * diagonal is available and has no zero; return undefined for none).
   */
  preconditioner?: (A: LinearOperator) => Preconditioner | undefined;
  /**
   * Keep the preconditioner across Newton iterations and steps (default false: a new one for
   * every Newton matrix). A new one is built when a solve needs more than `growth` (default 1.5)
   * times the iterations of the first solve with the current one, when a_0 (i.e. the step size or
   * order) changed by more than the factor `a0Ratio` (default 1.5) since it was built, or when a
   * solve with a kept preconditioner fails (that solve is then repeated once with a new one).
   * Worth it when building costs a sizeable part of a solve, as for multigrid hierarchies.
   */
  reusePreconditioner?: boolean | { growth?: number; a0Ratio?: number };
  /**
   * Inexact Newton: solve each Newton system only as far as the Newton target needs,
   * rtol_k = clamp(0.05 · target/‖G_k‖, rtol, 0.1), instead of to `rtol` every time (default false).
   * The convergence test is on ‖G‖ itself, so the answer is as accurate either way.
   */
  adaptiveTolerance?: boolean;
}

export interface StepInfo {
  /** Accepted step number (1-based). */
  step: number;
  /** Time at the END of the step. */
  t: number;
  /** Step size taken. */
  dt: number;
  /** BDF order used on this step. */
  order: 1 | 2;
  /** Newton iterations of the accepted attempt. */
  newtonIterations: number;
  /** ‖G‖₂ before the first and after every Newton iteration of the accepted attempt. */
  residualNorms: number[];
  /** Krylov iterations of the accepted attempt. */
  linearIterations: number;
  /** Weighted RMS local error estimate (adaptive mode; undefined in fixed-step mode). */
  errorEstimate?: number;
  /** Attempts rejected by the error test before this one was accepted. */
  rejections: number;
  /** Attempts whose Newton iteration failed before this one was accepted. */
  newtonFailures: number;
}

export interface BdfOptions {
  /** Maximum BDF order: 1 (backward Euler) or 2 (default 2). */
  order?: 1 | 2;
  /** Fixed step (adaptive false) or initial step (adaptive true). */
  dt: number;
  /** Error-controlled step size (default false: fixed steps, halved only on Newton failure). */
  adaptive?: boolean;
  /** Relative tolerance of the error test and of the Newton weights (default 1e-4). */
  rtol?: number;
  /** Absolute tolerance, scalar or per unknown (default 1e-8, in the units of y). */
  atol?: number | Float64Array;
  /** Smallest step before giving up (default 1e-10 · dt). */
  dtMin?: number;
  /** Largest step (default ∞). */
  dtMax?: number;
  /** Step controller: safety factor (0.9), largest growth (2, must be < 1 + √2 for BDF2), smallest shrink (0.2). */
  safety?: number;
  maxGrowth?: number;
  minShrink?: number;
  /** Accepted-step limit of `advanceTo` (default 1e6). */
  maxSteps?: number;
  newton?: NewtonOptions;
  linear?: LinearSolverOptions;
  /** Called after every accepted step with the new state (do not keep a reference to y). */
  onStep?: (info: StepInfo, y: Float64Array) => void;
}

export type StepFailureReason = 'newton-max-iterations' | 'line-search' | 'non-finite' | 'linear-solver';

/** The integrator could not take a step (dt fell below dtMin, or too many steps). */
export class TimeStepError extends Error {
  constructor(
    readonly t: number,
    readonly dt: number,
    readonly reason: StepFailureReason | 'max-steps',
    /** ‖G‖₂ when the last attempt gave up (NaN when none was computed). */
    readonly lastResidual: number,
    message: string,
  ) {
    super(message);
    this.name = 'TimeStepError';
  }
}

interface Attempt {
  ok: boolean;
  reason?: StepFailureReason;
  detail?: string;
  iterations: number;
  residualNorms: number[];
  linearIterations: number;
}

/** y_new = Σ w_j y_j: Lagrange weights of nodes `nodes` evaluated at `t`. */
function lagrangeWeights(t: number, nodes: number[]): number[] {
  return nodes.map((tj, j) => {
    let w = 1;
    for (let k = 0; k < nodes.length; k++) if (k !== j) w *= (t - nodes[k]) / (tj - nodes[k]);
    return w;
  });
}

/**
 * BDF coefficients a_j = L_j'(τ_0) for nodes τ_0 (new time) > τ_1 > … > τ_q (past).
 * Exported for tests.
 */
export function bdfCoefficients(tau: number[]): number[] {
  const q = tau.length - 1;
  const a = new Array<number>(q + 1).fill(0);
  for (let k = 1; k <= q; k++) a[0] += 1 / (tau[0] - tau[k]);
  for (let j = 1; j <= q; j++) {
    let num = 1, den = 1;
    for (let k = 0; k <= q; k++) {
      if (k === j) continue;
      den *= tau[j] - tau[k];
      if (k !== 0) num *= tau[0] - tau[k];
    }
    a[j] = num / den;
  }
  return a;
}

/** a_0 M − J for a CSR Jacobian J (a new matrix; J is not modified). */
function shiftedCsr(J: CsrMatrix, a0: number, M: Float64Array): CsrMatrix {
  const n = J.nRows, rp = J.rowPtr, ci = J.colIdx, jv = J.values;
  const nnz = J.nnz;
  const v = new Float64Array(nnz);
  for (let k = 0; k < nnz; k++) v[k] = -jv[k];
  let missing = false;
  for (let i = 0; i < n; i++) {
    if (M[i] === 0) continue;
    let found = false;
    for (let k = rp[i]; k < rp[i + 1]; k++) if (ci[k] === i) { v[k] += a0 * M[i]; found = true; break; }
    if (!found) { missing = true; break; }
  }
  if (!missing) return new CsrMatrix(n, n, rp, ci, v);
  // some diagonal entries are not stored: rebuild with them
  const rows: number[] = [], cols: number[] = [], vals: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let k = rp[i]; k < rp[i + 1]; k++) { rows.push(i); cols.push(ci[k]); vals.push(-jv[k]); }
    if (M[i] !== 0) { rows.push(i); cols.push(i); vals.push(a0 * M[i]); }
  }
  return CsrMatrix.fromCoo(n, n, rows, cols, vals);
}

/** a_0 M − J, matrix-free. */
class ShiftedOperator implements LinearOperator {
  readonly n: number;
  constructor(private readonly J: LinearOperator, private readonly a0: number, private readonly M: Float64Array) {
    this.n = J.n;
    if (J.diagonal) this.diagonal = () => {
      const d = J.diagonal!();
      const out = new Float64Array(this.n);
      for (let i = 0; i < this.n; i++) out[i] = this.a0 * this.M[i] - d[i];
      return out;
    };
  }
  diagonal?: () => Float64Array;
  apply(x: Float64Array, y: Float64Array): void {
    this.J.apply(x, y);
    const a0 = this.a0, M = this.M;
    for (let i = 0; i < this.n; i++) y[i] = a0 * M[i] * x[i] - y[i];
  }
}

function defaultPreconditioner(A: LinearOperator): Preconditioner | undefined {
  if (!A.diagonal) return undefined;
  const d = A.diagonal();
  for (let i = 0; i < d.length; i++) if (!(d[i] !== 0 && Number.isFinite(d[i]))) return undefined;
  return new JacobiPreconditioner(d);
}

/**
 * Step-by-step BDF integrator. `step()` takes one accepted step; `advanceTo(t)` steps until t
 * (hitting it exactly). `restart()` drops the history (next step BDF1), e.g. after a
 * discontinuity of the forcing (a protocol step change).
 */
export class BdfIntegrator {
  /** Current time. */
  t: number;
  /** Step size the next `step()` will try (may be set between steps for manual step control). */
  dt: number;
  /** Accepted steps so far, and totals. */
  steps = 0;
  rejectedSteps = 0;
  newtonFailures = 0;
  newtonIterations = 0;
  linearIterations = 0;

  private readonly n: number;
  private readonly order: 1 | 2;
  private readonly adaptive: boolean;
  private readonly rtol: number;
  private readonly atol: Float64Array;
  private readonly dtNominal: number;
  private readonly dtMin: number;
  private readonly dtMax: number;
  private readonly safety: number;
  private readonly maxGrowth: number;
  private readonly minShrink: number;
  private readonly newton: Required<NewtonOptions>;
  private readonly linear: LinearSolverOptions;
  private readonly method: KrylovMethod;
  // history: most recent first; times and states of accepted points (at most 3)
  private readonly hT: number[] = [];
  private readonly hY: Float64Array[] = [];
  // scratch
  private readonly yNew: Float64Array;
  private readonly yTrial: Float64Array;
  private readonly g: Float64Array;
  private readonly gTrial: Float64Array;
  private readonly hist: Float64Array;
  private readonly fTmp: Float64Array;
  private readonly weights: Float64Array;

  constructor(readonly problem: OdeProblem, y0: Float64Array, t0: number, readonly options: BdfOptions) {
    const n = problem.n;
    if (y0.length !== n) throw new RangeError(`BdfIntegrator: y0 has length ${y0.length}, the problem has ${n} unknowns`);
    if (problem.mass.length !== n) throw new RangeError(`BdfIntegrator: mass has length ${problem.mass.length}, expected ${n}`);
    for (let i = 0; i < n; i++) if (!(problem.mass[i] >= 0 && Number.isFinite(problem.mass[i]))) throw new RangeError(`BdfIntegrator: mass[${i}] = ${problem.mass[i]} (must be finite and ≥ 0)`);
    if (!Number.isFinite(t0)) throw new RangeError(`BdfIntegrator: t0 must be finite, got ${t0}`);
    if (!(options.dt > 0 && Number.isFinite(options.dt))) throw new RangeError(`BdfIntegrator: dt must be > 0, got ${options.dt}`);
    this.n = n;
    this.order = options.order ?? 2;
    if (this.order !== 1 && this.order !== 2) throw new RangeError(`BdfIntegrator: order must be 1 or 2, got ${String(options.order)}`);
    this.adaptive = options.adaptive ?? false;
    this.rtol = options.rtol ?? 1e-4;
    const atol = options.atol ?? 1e-8;
    this.atol = typeof atol === 'number' ? new Float64Array(n).fill(atol) : Float64Array.from(atol);
    if (this.atol.length !== n) throw new RangeError(`BdfIntegrator: atol has length ${this.atol.length}, expected ${n}`);
    if (!(this.rtol >= 0)) throw new RangeError('BdfIntegrator: rtol must be ≥ 0');
    for (let i = 0; i < n; i++) if (!(this.atol[i] > 0 || this.rtol > 0)) throw new RangeError('BdfIntegrator: atol must be > 0 where rtol = 0');
    this.dtNominal = options.dt;
    this.dt = options.dt;
    this.dtMin = options.dtMin ?? 1e-10 * options.dt;
    this.dtMax = options.dtMax ?? Infinity;
    this.safety = options.safety ?? 0.9;
    this.maxGrowth = options.maxGrowth ?? 2;
    this.minShrink = options.minShrink ?? 0.2;
    if (this.order === 2 && this.maxGrowth >= 1 + Math.SQRT2) throw new RangeError(`BdfIntegrator: maxGrowth must be < 1 + √2 for BDF2, got ${this.maxGrowth}`);
    const nw = options.newton ?? {};
    this.newton = {
      maxIterations: nw.maxIterations ?? 10,
      residualRtol: nw.residualRtol ?? 1e-8,
      residualAtol: nw.residualAtol ?? 0,
      updateTol: nw.updateTol ?? 1e-3,
      lineSearch: nw.lineSearch ?? true,
      minDamping: nw.minDamping ?? 1 / 64,
      roundoffFactor: nw.roundoffFactor ?? 10,
    };
    this.linear = options.linear ?? {};
    this.method = this.linear.method ?? (problem.symmetric ? 'cg' : 'gmres');
    this.t = t0;
    this.hT.push(t0);
    this.hY.push(Float64Array.from(y0));
    this.yNew = new Float64Array(n);
    this.yTrial = new Float64Array(n);
    this.g = new Float64Array(n);
    this.gTrial = new Float64Array(n);
    this.hist = new Float64Array(n);
    this.fTmp = new Float64Array(n);
    this.weights = new Float64Array(n);
  }

  /** The current state (a view: copy it to keep it). */
  get y(): Float64Array {
    return this.hY[0];
  }

  /** Forget the history: the next step is BDF1 (use after a discontinuity in f). */
  restart(): void {
    this.hT.length = 1;
    this.hY.length = 1;
  }

  /** Step until `tEnd` (exactly). */
  advanceTo(tEnd: number): void {
    const maxSteps = this.options.maxSteps ?? 1e6;
    let k = 0;
    while (this.t < tEnd && !this.reached(tEnd)) {
      if (k++ >= maxSteps) {
        throw new TimeStepError(this.t, this.dt, 'max-steps', Number.NaN, `BDF integration stopped at t = ${this.t}: more than ${maxSteps} steps before t = ${tEnd}`);
      }
      this.step(tEnd);
    }
  }

  private reached(tEnd: number): boolean {
    return tEnd - this.t <= 1e-12 * Math.max(Math.abs(tEnd), this.dtNominal);
  }

  /**
   * One accepted step, not beyond `tLimit`. Retries with dt/2 after a Newton failure and with a
   * controller-chosen smaller dt after a failed error test.
   */
  step(tLimit = Infinity): StepInfo {
    const problem = this.problem;
    let rejections = 0, failures = 0;
    let dt = Math.min(this.dt, this.dtMax);
    const planned = dt;
    let last: Attempt | undefined;
    for (;;) {
      let final = false;
      if (tLimit - this.t <= dt * (1 + 1e-8)) { dt = tLimit - this.t; final = true; }
      // (a first attempt shortened only to land on tLimit may be below dtMin)
      const landing = final && failures === 0 && rejections === 0;
      if (!(dt > 0) || (!(dt >= this.dtMin) && !landing)) {
        const lr = last?.residualNorms.length ? last.residualNorms[last.residualNorms.length - 1] : Number.NaN;
        throw new TimeStepError(this.t, dt, last?.reason ?? 'newton-max-iterations', lr,
          `BDF step from t = ${this.t} failed: the step fell to ${dt} (< dtMin = ${this.dtMin}) after ${failures} Newton failure(s) and ${rejections} error-test rejection(s); `
          + `last failure: ${last?.reason ?? 'unknown'}${last?.detail ? ` (${last.detail})` : ''}, last residual ‖G‖₂ = ${lr}`);
      }
      const tNew = final ? tLimit : this.t + dt;
      const q: 1 | 2 = Math.min(this.order, this.hT.length) as 1 | 2;
      const tau = [tNew, ...this.hT.slice(0, q)];
      const a = bdfCoefficients(tau);
      // predictor: extrapolation through the available past points (up to q+1)
      const pNodes = this.hT.slice(0, Math.min(q + 1, this.hT.length));
      const pw = lagrangeWeights(tNew, pNodes);
      const yNew = this.yNew;
      yNew.fill(0);
      for (let j = 0; j < pNodes.length; j++) { const yj = this.hY[j], w = pw[j]; for (let i = 0; i < this.n; i++) yNew[i] += w * yj[i]; }
      // history part of M y'
      const hist = this.hist;
      hist.fill(0);
      for (let j = 1; j <= q; j++) { const yj = this.hY[j - 1], aj = a[j]; for (let i = 0; i < this.n; i++) hist[i] += aj * yj[i]; }
      this.setWeights(this.hY[0]);
      let att = this.newtonSolve(yNew, tNew, a[0], hist);
      if (!att.ok && att.reason === 'non-finite' && att.iterations === 0) {
        // the extrapolated predictor left the domain of f (e.g. a concentration pushed below 0
        // near the end of a stoichiometry window): start Newton from the last solution instead
        this.newtonIterations += att.iterations;
        yNew.set(this.hY[0]);
        att = this.newtonSolve(yNew, tNew, a[0], hist);
      }
      last = att;
      this.newtonIterations += att.iterations;
      this.linearIterations += att.linearIterations;
      if (!att.ok) {
        failures++;
        this.newtonFailures++;
        dt = dt / 2;
        continue;
      }
      // error estimate
      let errorEstimate: number | undefined;
      let estOrder = 1;
      if (this.adaptive) {
        const est = this.errorEstimate(yNew, tNew, q);
        errorEstimate = est.err;
        estOrder = est.order;
        if (!(errorEstimate <= 1)) {
          rejections++;
          this.rejectedSteps++;
          const fac = Number.isFinite(errorEstimate) ? Math.max(this.minShrink, this.safety * Math.pow(errorEstimate, -1 / (estOrder + 1))) : this.minShrink;
          dt = dt * Math.min(fac, 0.9);
          continue;
        }
      }
      // accept
      const keep = Math.max(this.order + 1, 3);
      const recycled = this.hY.length >= keep ? this.hY.pop()! : new Float64Array(this.n);
      if (this.hT.length >= keep) this.hT.pop();
      recycled.set(yNew);
      this.hY.unshift(recycled);
      this.hT.unshift(tNew);
      this.t = tNew;
      this.steps++;
      if (this.adaptive) {
        const fac = errorEstimate! > 0 ? this.safety * Math.pow(errorEstimate!, -1 / (estOrder + 1)) : this.maxGrowth;
        const grow = failures > 0 ? 1 : this.maxGrowth; // no growth right after a Newton failure
        this.dt = Math.min(this.dtMax, dt * Math.min(grow, Math.max(this.minShrink, fac)));
      } else {
        // back to the nominal step, growing at most maxGrowth per step after a Newton failure
        this.dt = Math.min(this.dtNominal, failures > 0 ? this.maxGrowth * dt : this.dtNominal);
      }
      // a step shortened only to land on tLimit does not shrink the next one
      if (final && rejections === 0 && failures === 0) this.dt = Math.max(this.dt, Math.min(planned, this.dtMax));
      const info: StepInfo = {
        step: this.steps, t: tNew, dt, order: q, newtonIterations: att.iterations, residualNorms: att.residualNorms,
        linearIterations: att.linearIterations, errorEstimate, rejections, newtonFailures: failures,
      };
      this.options.onStep?.(info, recycled);
      return info;
    }
  }

  private setWeights(y: Float64Array): void {
    const w = this.weights, at = this.atol, rt = this.rtol;
    for (let i = 0; i < this.n; i++) w[i] = at[i] + rt * Math.abs(y[i]);
  }

  /** Weighted RMS norm with the current weights. */
  private wrms(v: Float64Array): number {
    const w = this.weights;
    let s = 0;
    for (let i = 0; i < this.n; i++) { const x = v[i] / w[i]; s += x * x; }
    return Math.sqrt(s / Math.max(1, this.n));
  }

  /**
   * G(y) = M (a0 y + hist) − f(y, t) into out; returns ‖G‖₂ (NaN when not finite). With `scale`,
   * also returns S = ‖ |M a0 y| + |M hist| + |f| ‖₂ in scale[0].
   */
  private residual(y: Float64Array, t: number, a0: number, hist: Float64Array, out: Float64Array, scale?: number[]): number {
    this.problem.rhs(y, t, out);
    const M = this.problem.mass;
    let s2 = 0;
    for (let i = 0; i < this.n; i++) {
      const u = M[i] * a0 * y[i], v = M[i] * hist[i], f = out[i];
      if (scale) { const s = Math.abs(u) + Math.abs(v) + Math.abs(f); s2 += s * s; }
      out[i] = u + v - f;
    }
    if (scale) scale[0] = Math.sqrt(s2);
    const r = norm2(out);
    return Number.isFinite(r) ? r : Number.NaN;
  }

  /** The kept preconditioner (reusePreconditioner), the a_0 it was built at and its first solve's iterations. */
  private kept?: { pre: Preconditioner | undefined; a0: number; baseIterations: number };

  private linearSolve(A: LinearOperator, b: Float64Array, a0: number, rtol?: number): SolveResult {
    const lin = this.linear;
    const build = () => (lin.preconditioner ? lin.preconditioner(A) : defaultPreconditioner(A));
    const reuse = lin.reusePreconditioner;
    const growth = typeof reuse === 'object' ? reuse.growth ?? 1.5 : 1.5;
    const a0Ratio = typeof reuse === 'object' ? reuse.a0Ratio ?? 1.5 : 1.5;
    let fresh = true;
    let pre: Preconditioner | undefined;
    const k = this.kept;
    if (reuse && k && a0 <= k.a0 * a0Ratio && a0 >= k.a0 / a0Ratio) { pre = k.pre; fresh = false; } else pre = build();
    const solve = this.method === 'cg' ? cg : this.method === 'bicgstab' ? bicgstab : gmres;
    const run = (P: Preconditioner | undefined): SolveResult => {
      const opts = { rtol: rtol ?? lin.rtol ?? 1e-10, maxIterations: lin.maxIterations ?? 2000, restart: lin.restart ?? 50, preconditioner: P };
      try {
        return solve(A, b, opts);
      } catch (err) {
        // CG breaks down on an indefinite or non-symmetric matrix: try GMRES once
        if (this.method === 'cg' && err instanceof NonConvergenceError && err.reason === 'breakdown') return gmres(A, b, opts);
        throw err;
      }
    };
    let res: SolveResult;
    try {
      res = run(pre);
    } catch (err) {
      if (fresh || !(err instanceof NonConvergenceError)) { this.kept = undefined; throw err; }
      pre = build();
      fresh = true;
      res = run(pre);
    }
    if (!reuse) return res;
    if (fresh) this.kept = { pre, a0, baseIterations: Math.max(res.iterations, 4) };
    else if (res.iterations > growth * this.kept!.baseIterations) this.kept = undefined;
    return res;
  }

  /** Newton's method on G(y) = 0 starting from y (overwritten with the solution). */
  private newtonSolve(y: Float64Array, t: number, a0: number, hist: Float64Array): Attempt {
    const nw = this.newton;
    const M = this.problem.mass;
    const g = this.g, gt = this.gTrial, yt = this.yTrial;
    const norms: number[] = [];
    const scale = [0];
    let rn = this.residual(y, t, a0, hist, g, scale);
    norms.push(rn);
    const fail = (reason: StepFailureReason, iterations: number, linearIterations: number, detail?: string): Attempt =>
      ({ ok: false, reason, detail, iterations, residualNorms: norms, linearIterations });
    if (Number.isNaN(rn)) return fail('non-finite', 0, 0, 'at the predictor');
    const target = Math.max(nw.residualAtol, Math.max(nw.residualRtol, 1e-14) * scale[0]);
    let floor = 0;
    if (rn <= target) return { ok: true, iterations: 0, residualNorms: norms, linearIterations: 0 };
    let lin = 0;
    const b = new Float64Array(this.n);
    for (let k = 1; k <= nw.maxIterations; k++) {
      const J = this.problem.jacobian(y, t);
      if (k === 1 && J instanceof CsrMatrix) {
        // round-off floor of G: rows of f are sums of terms of size |J_ij y_j| that cancel (e.g.
        // conduction fluxes between nearly equal potentials), so ‖G‖ cannot be made much smaller
        // than ε ‖ |J| |y| ‖; inexact solves never ask the Krylov method for less (it would
        // stagnate), and a Newton iteration that stalls there is accepted (roundoffFactor)
        const rp = J.rowPtr, ci = J.colIdx, jv = J.values;
        let s2 = 0;
        for (let i = 0; i < this.n; i++) {
          let r = Math.abs(M[i] * a0 * y[i]);
          for (let q = rp[i]; q < rp[i + 1]; q++) r += Math.abs(jv[q] * y[ci[q]]);
          s2 += r * r;
        }
        floor = Number.EPSILON * Math.sqrt(s2);
      }
      const A = J instanceof CsrMatrix ? shiftedCsr(J, a0, M) : new ShiftedOperator(J, a0, M);
      for (let i = 0; i < this.n; i++) b[i] = -g[i];
      let delta: Float64Array;
      try {
        const rtolK = this.linear.adaptiveTolerance ? Math.min(0.1, Math.max(this.linear.rtol ?? 1e-10, Math.max(0.05 * target, 0.3 * floor) / rn)) : undefined;
        const res = this.linearSolve(A, b, a0, rtolK);
        lin += res.iterations;
        delta = res.x;
      } catch (err) {
        // a Krylov solve that stopped short but reduced the residual a good deal still gives an
        // inexact Newton direction; the line search and the residual test below judge it
        if (err instanceof NonConvergenceError && err.lastIterate && err.relativeResidual < 1e-2) {
          lin += err.iterations;
          delta = err.lastIterate;
        } else if (err instanceof NonConvergenceError) return fail('linear-solver', k - 1, lin, err.message);
        else throw err;
      }
      let lambda = 1;
      let rt = Number.NaN;
      for (;;) {
        for (let i = 0; i < this.n; i++) yt[i] = y[i] + lambda * delta[i];
        rt = this.residual(yt, t, a0, hist, gt);
        if (!nw.lineSearch || rt <= target) break;
        if (rt <= (1 - 1e-4 * lambda) * rn) break;
        // no decrease from a full step while already within `roundoffFactor` of the target: the
        // residual has reached its round-off floor (rows that are differences of large, nearly
        // equal fluxes), so y is as converged as it can be
        if (lambda === 1 && rn <= nw.roundoffFactor * target) return { ok: true, iterations: k, residualNorms: norms, linearIterations: lin };
        lambda /= 2;
        if (lambda < nw.minDamping) return fail(Number.isNaN(rt) ? 'non-finite' : 'line-search', k, lin, `no decrease of ‖G‖ down to damping ${nw.minDamping}`);
      }
      if (Number.isNaN(rt)) return fail('non-finite', k, lin);
      y.set(yt);
      g.set(gt);
      rn = rt;
      norms.push(rn);
      if (rn <= target) return { ok: true, iterations: k, residualNorms: norms, linearIterations: lin };
      if (lambda === 1 && nw.updateTol > 0 && this.wrms(delta) <= nw.updateTol) return { ok: true, iterations: k, residualNorms: norms, linearIterations: lin };
    }
    return fail('newton-max-iterations', nw.maxIterations, lin, `‖G‖ went from ${norms[0].toExponential(3)} to ${rn.toExponential(3)} in ${nw.maxIterations} iterations`);
  }

  /** Weighted local error estimate of the step just solved (y at tNew) and the order it estimates. */
  private errorEstimate(y: Float64Array, tNew: number, q: number): { err: number; order: number } {
    const n = this.n;
    const p = Math.min(q, this.hT.length - 1); // points available: new + hT.length
    const le = this.fTmp;
    // weights with max(|y_old|, |y_new|)
    const w = this.weights, at = this.atol, y0 = this.hY[0];
    for (let i = 0; i < n; i++) w[i] = at[i] + this.rtol * Math.max(Math.abs(y[i]), Math.abs(y0[i]));
    if (p === 0) {
      // first step: (y1 − y0 − h ẏ0)/2 with ẏ0 = f(y0)/M on the differential components
      const h = tNew - this.hT[0];
      const M = this.problem.mass;
      this.problem.rhs(y0, this.hT[0], le);
      for (let i = 0; i < n; i++) {
        const yd = M[i] > 0 ? le[i] / M[i] : 0;
        le[i] = 0.5 * (y[i] - y0[i] - (M[i] > 0 ? h * yd : 0));
      }
      const e = this.wrms(le);
      return { err: Number.isFinite(e) ? e : Infinity, order: 1 };
    }
    // BDFp estimate: Π_{j=1..p}(τ0 − τj) / a0 · y[τ0, …, τ_{p+1}]
    const tau = [tNew, ...this.hT.slice(0, p + 1)];
    const a0 = bdfCoefficients(tau.slice(0, p + 1))[0];
    let fac = 1 / a0;
    for (let j = 1; j <= p; j++) fac *= tau[0] - tau[j];
    const m = tau.length;
    const ys = [y, ...this.hY.slice(0, p + 1)];
    const dd = new Float64Array(m);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < m; k++) dd[k] = ys[k][i];
      for (let lev = 1; lev < m; lev++) {
        for (let k = 0; k + lev < m; k++) dd[k] = (dd[k] - dd[k + 1]) / (tau[k] - tau[k + lev]);
      }
      le[i] = fac * dd[0];
    }
    const e = this.wrms(le);
    return { err: Number.isFinite(e) ? e : Infinity, order: p };
  }
}

export interface IntegrateOptions extends BdfOptions {
  t0?: number;
  tEnd: number;
}

export interface BdfResult {
  /** State at tEnd (a copy). */
  y: Float64Array;
  t: number;
  steps: number;
  rejectedSteps: number;
  newtonFailures: number;
  newtonIterations: number;
  linearIterations: number;
}

/** Integrate M dy/dt = f(y, t) from t0 (default 0) to tEnd. */
export function integrateBdf(problem: OdeProblem, y0: Float64Array, options: IntegrateOptions): BdfResult {
  const integ = new BdfIntegrator(problem, y0, options.t0 ?? 0, options);
  integ.advanceTo(options.tEnd);
  return {
    y: Float64Array.from(integ.y),
    t: integ.t,
    steps: integ.steps,
    rejectedSteps: integ.rejectedSteps,
    newtonFailures: integ.newtonFailures,
    newtonIterations: integ.newtonIterations,
    linearIterations: integ.linearIterations,
  };
}

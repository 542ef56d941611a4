/**
 * Chebyshev polynomial smoother / preconditioner on D⁻¹A (A SPD, D = diag A).
 *
 * The polynomial is the Chebyshev polynomial of the first kind that is smallest on
 * [λlow, λhigh], with λhigh = min(upperFactor · λmax_est, Gershgorin bound when known) and
 * λlow = lowerRatio · λhigh. λmax_est comes from a few CG–Lanczos steps on D⁻¹A (eigen-estimate.ts).
 * As a smoother (lowerRatio ≈ 0.1–0.3) it damps the upper part of the spectrum; as a stand-alone
 * preconditioner give lowerRatio = λmin/λmax. The operator p(D⁻¹A)D⁻¹ is symmetric, so the
 * smoother may be used in a symmetric multigrid cycle and as a CG preconditioner.
 */
import { CsrMatrix } from './csr-matrix.js';
import { gershgorinBound, lanczosExtremeEigenvalues } from './eigen-estimate.js';
import type { LinearOperator, Preconditioner } from './operator.js';

export interface ChebyshevOptions {
  /** Polynomial degree = matrix–vector products per application. Default 2. */
  degree?: number;
  /** λlow = lowerRatio · λhigh. Default 0.3 (smoothing). */
  lowerRatio?: number;
  /** Safety factor on the Lanczos estimate of λmax. Default 1.1. */
  upperFactor?: number;
  /** Use this λmax instead of estimating it. */
  lambdaMax?: number;
  /** Lanczos steps for the estimate. Default 10. */
  estimateSteps?: number;
}

export class ChebyshevSmoother implements Preconditioner {
  readonly n: number;
  readonly degree: number;
  readonly lambdaLow: number;
  readonly lambdaHigh: number;
  readonly inverseDiagonal: Float64Array;
  private readonly r: Float64Array;
  private readonly d: Float64Array;
  private readonly w: Float64Array;

  constructor(readonly A: LinearOperator, options: ChebyshevOptions = {}) {
    if (!A.diagonal) throw new TypeError('ChebyshevSmoother: the operator does not provide its diagonal');
    this.n = A.n;
    this.degree = options.degree ?? 2;
    if (!(this.degree >= 1) || !Number.isInteger(this.degree)) throw new RangeError('ChebyshevSmoother: degree must be a positive integer');
    const diag = A.diagonal();
    this.inverseDiagonal = new Float64Array(this.n);
    for (let i = 0; i < this.n; i++) {
      if (!(diag[i] > 0)) throw new RangeError(`ChebyshevSmoother: diagonal entry ${i} is ${diag[i]} (expected > 0)`);
      this.inverseDiagonal[i] = 1 / diag[i];
    }
    let high: number;
    if (options.lambdaMax !== undefined) high = options.lambdaMax;
    else {
      const est = lanczosExtremeEigenvalues(A, this.inverseDiagonal, options.estimateSteps ?? 10);
      high = (options.upperFactor ?? 1.1) * est.lambdaMax;
      if (A instanceof CsrMatrix) high = Math.min(high, gershgorinBound(A));
    }
    this.lambdaHigh = high;
    this.lambdaLow = (options.lowerRatio ?? 0.3) * high;
    // a threaded CSR matrix (thread-pool.ts threadedCsr) applies on every thread when its vectors are shared
    const vec = (): Float64Array => (A instanceof CsrMatrix && A.threaded ? new Float64Array(new SharedArrayBuffer(8 * this.n)) : new Float64Array(this.n));
    this.r = vec();
    this.d = vec();
    this.w = vec();
  }

  /** z ← p(D⁻¹A) D⁻¹ r (the smoother applied from a zero initial guess). */
  apply(r: Float64Array, z: Float64Array): void {
    z.fill(0);
    this.iterate(r, z, true);
  }

  /** Improve x for A x = b by `degree` Chebyshev steps (x is used as the initial guess). */
  smooth(b: Float64Array, x: Float64Array, xIsZero = false): void {
    this.iterate(b, x, xIsZero);
  }

  private iterate(b: Float64Array, x: Float64Array, xIsZero: boolean): void {
    const n = this.n, r = this.r, d = this.d, Dinv = this.inverseDiagonal, A = this.A, w = this.w;
    const theta = 0.5 * (this.lambdaHigh + this.lambdaLow);
    const delta = 0.5 * (this.lambdaHigh - this.lambdaLow);
    const sigma = theta / delta;
    let rho = 1 / sigma;
    if (xIsZero) r.set(b);
    else if (A instanceof CsrMatrix) A.residual(b, x, r);
    else { A.apply(x, w); for (let i = 0; i < n; i++) r[i] = b[i] - w[i]; }
    for (let i = 0; i < n; i++) d[i] = (Dinv[i] * r[i]) / theta;
    for (let k = 1; ; k++) {
      for (let i = 0; i < n; i++) x[i] += d[i];
      if (k === this.degree) break;
      A.apply(d, w);
      for (let i = 0; i < n; i++) r[i] -= w[i];
      const rhoNew = 1 / (2 * sigma - rho);
      const c1 = rhoNew * rho, c2 = (2 * rhoNew) / delta;
      for (let i = 0; i < n; i++) d[i] = c1 * d[i] + c2 * Dinv[i] * r[i];
      rho = rhoNew;
    }
  }
}

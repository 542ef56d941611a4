/**
 * Preconditioned conjugate gradients for symmetric positive definite A and SPD M.
 * Flexible variant (Polak–Ribière β = z_{k+1}·(r_{k+1} − r_k) / z_k·r_k, Notay 2000) when the
 * preconditioner is variable (e.g. a multigrid K-cycle); it costs one extra dot product.
 * Convergence test: see solve-options.ts (true residual relative to ‖b‖).
 */
import { NonConvergenceError } from './errors.js';
import { checkLength, type LinearOperator } from './operator.js';
import { resolveOptions, type SolveOptions, type SolveResult } from './solve-options.js';
import { axpy, dot, norm2, normFromSquares, xpay } from './vector.js';

export function cg(A: LinearOperator, b: Float64Array, options: SolveOptions = {}): SolveResult {
  const o = resolveOptions(options);
  const n = A.n;
  checkLength('cg: b', b, n);
  const M = options.preconditioner;
  const flexible = options.flexible ?? M?.variable ?? false;
  const history: number[] = [];
  // threaded path (thread-pool.ts): vectors in SharedArrayBuffers, fused vector passes
  const par = A.parallel && A.parallel.A.n === n ? A.parallel : undefined;
  // a threaded CSR matrix (thread-pool.ts threadedCsr) applies on every thread when the vectors are shared
  const shareForCsr = !par && (A as { threaded?: unknown }).threaded !== undefined;
  const vec = (): Float64Array => (par ? par.vector(n) : shareForCsr ? new Float64Array(new SharedArrayBuffer(8 * n)) : new Float64Array(n));
  const x = vec();
  const r = vec();
  const z = M ? vec() : r;
  const p = vec();
  const q = vec();
  if ((par || shareForCsr) && !(b.buffer instanceof SharedArrayBuffer)) { const bs = vec(); bs.set(b); b = bs; }
  const onIteration = options.onIteration;

  const bnorm = norm2(b);
  const tol = Math.max(o.rtol * bnorm, o.atol);
  const rel = (res: number) => (bnorm > 0 ? res / bnorm : 0);

  if (options.x0) { checkLength('cg: x0', options.x0, n); x.set(options.x0); }
  // b = 0: the solution of the (non-singular) system is x = 0, whatever the initial guess
  if (bnorm === 0) { x.fill(0); return { x, iterations: 0, residualNorm: 0, relativeResidual: 0, history: o.history ? [0] : [], method: 'cg' }; }

  const trueResidual = (): number => {
    if (par) return normFromSquares(par.residual(b, x, r), r);
    A.apply(x, q);
    for (let i = 0; i < n; i++) r[i] = b[i] - q[i];
    return norm2(r);
  };
  /** y ← A x and x · y */
  const applyDot = (u: Float64Array, y: Float64Array): number => {
    if (par) return par.applyDot(u, y);
    A.apply(u, y);
    return dot(u, y);
  };

  let rnorm = options.x0 ? trueResidual() : (r.set(b), bnorm);
  if (o.history) history.push(rnorm);
  if (!Number.isFinite(rnorm)) throw new NonConvergenceError('cg', 0, rnorm, rel(rnorm), 'non-finite');
  if (rnorm <= tol) return { x, iterations: 0, residualNorm: rnorm, relativeResidual: rel(rnorm), history, method: 'cg', residual: r };

  let rz = 0;
  const restartDirection = (): void => {
    if (M) M.apply(r, z);
    rz = dot(r, z);
    p.set(z);
  };
  restartDirection();

  let it = 0;
  while (it < o.maxIterations) {
    if (!(rz > 0)) {
      throw new NonConvergenceError('cg', it, rnorm, rel(rnorm), Number.isFinite(rz) ? 'breakdown' : 'non-finite',
        `r·M⁻¹r = ${rz} (preconditioner not positive definite?)`, x);
    }
    const pq = applyDot(p, q);
    if (!(pq > 0)) {
      throw new NonConvergenceError('cg', it, rnorm, rel(rnorm), Number.isFinite(pq) ? 'breakdown' : 'non-finite',
        `p·Ap = ${pq} (matrix not positive definite?)`, x);
    }
    const alpha = rz / pq;
    if (par) rnorm = normFromSquares(par.cgUpdate(alpha, p, q, x, r), r);
    else {
      axpy(alpha, p, x);
      axpy(-alpha, q, r);
      rnorm = norm2(r);
    }
    it++;
    if (o.history) history.push(rnorm);
    onIteration?.(it, rel(rnorm));
    if (!Number.isFinite(rnorm)) throw new NonConvergenceError('cg', it, rnorm, rel(rnorm), 'non-finite', '', x);
    if (rnorm <= tol) {
      rnorm = trueResidual();
      if (rnorm <= tol) return { x, iterations: it, residualNorm: rnorm, relativeResidual: rel(rnorm), history, method: 'cg', residual: r };
      restartDirection(); // recursive residual drifted: restart from the true residual
      continue;
    }
    if (M) M.apply(r, z);
    let rzNew: number, zq: number;
    if (par && M) [rzNew, zq] = par.dot2(r, z, q);
    else { rzNew = dot(r, z); zq = flexible ? dot(z, q) : 0; }
    // flexible: z_{k+1}·(r_{k+1} − r_k) = −α z_{k+1}·q
    const beta = flexible ? (-alpha * zq) / rz : rzNew / rz;
    rz = rzNew;
    if (par) par.xpay(z, beta, p);
    else xpay(z, beta, p);
  }
  rnorm = trueResidual();
  if (rnorm <= tol) return { x, iterations: it, residualNorm: rnorm, relativeResidual: rel(rnorm), history, method: 'cg', residual: r };
  throw new NonConvergenceError('cg', it, rnorm, rel(rnorm), 'max-iterations', '', x);
}

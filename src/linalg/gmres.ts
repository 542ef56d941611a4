/**
 * Restarted, right-preconditioned GMRES(m) (Saad & Schultz 1986) with modified Gram–Schmidt
 * and Givens rotations. Solves A M⁻¹ y = b, x = M⁻¹ y; the least-squares residual it monitors
 * equals the true residual ‖b − A x‖ in exact arithmetic. With a variable preconditioner (or
 * `flexible: true`) it runs flexible GMRES (Saad 1993), storing the m preconditioned vectors.
 * Convergence test: see solve-options.ts (checked explicitly at every restart and at the end).
 */
import { NonConvergenceError } from './errors.js';
import { checkLength, type LinearOperator } from './operator.js';
import { resolveOptions, type SolveOptions, type SolveResult } from './solve-options.js';
import { axpy, dot, norm2 } from './vector.js';

export function gmres(A: LinearOperator, b: Float64Array, options: SolveOptions = {}): SolveResult {
  const o = resolveOptions(options);
  const n = A.n;
  checkLength('gmres: b', b, n);
  const M = options.preconditioner;
  const flexible = M !== undefined && (options.flexible ?? M.variable ?? false);
  const m = Math.min(o.restart, Math.max(1, n));
  const history: number[] = [];
  const x = new Float64Array(n);
  const r = new Float64Array(n);
  const w = new Float64Array(n);
  const zTmp = new Float64Array(n);
  const V: Float64Array[] = [];
  const Z: Float64Array[] = [];
  // Hessenberg (column-major, (m+1) × m), rotations, rhs
  const H = new Float64Array((m + 1) * m);
  const cs = new Float64Array(m);
  const sn = new Float64Array(m);
  const g = new Float64Array(m + 1);
  const y = new Float64Array(m);

  const bnorm = norm2(b);
  const tol = Math.max(o.rtol * bnorm, o.atol);
  const rel = (res: number) => (bnorm > 0 ? res / bnorm : 0);
  if (options.x0) { checkLength('gmres: x0', options.x0, n); x.set(options.x0); }
  if (bnorm === 0 && !options.x0) return { x, iterations: 0, residualNorm: 0, relativeResidual: 0, history: o.history ? [0] : [], method: 'gmres' };

  const trueResidual = (): number => {
    A.apply(x, w);
    for (let i = 0; i < n; i++) r[i] = b[i] - w[i];
    return norm2(r);
  };
  let rnorm = trueResidual();
  if (o.history) history.push(rnorm);
  if (!Number.isFinite(rnorm)) throw new NonConvergenceError('gmres', 0, rnorm, rel(rnorm), 'non-finite');
  let it = 0;
  while (rnorm > tol) {
    if (it >= o.maxIterations) throw new NonConvergenceError('gmres', it, rnorm, rel(rnorm), 'max-iterations', '', x);
    // Arnoldi cycle
    if (V.length === 0) V.push(new Float64Array(n));
    const v0 = V[0];
    for (let i = 0; i < n; i++) v0[i] = r[i] / rnorm;
    g.fill(0);
    g[0] = rnorm;
    H.fill(0);
    let k = 0; // columns completed
    let estimate = rnorm;
    let happy = false;
    while (k < m && it < o.maxIterations) {
      const vk = V[k];
      let zk: Float64Array;
      if (M) {
        if (flexible) { if (Z.length <= k) Z.push(new Float64Array(n)); zk = Z[k]; } else zk = zTmp;
        M.apply(vk, zk);
      } else zk = vk;
      A.apply(zk, w);
      const col = k * (m + 1);
      for (let j = 0; j <= k; j++) {
        const hj = dot(w, V[j]);
        H[col + j] = hj;
        axpy(-hj, V[j], w);
      }
      const hk1 = norm2(w);
      H[col + k + 1] = hk1;
      if (!Number.isFinite(hk1)) throw new NonConvergenceError('gmres', it, estimate, rel(estimate), 'non-finite', '', x);
      // previous rotations
      for (let j = 0; j < k; j++) {
        const a = H[col + j], c = H[col + j + 1];
        H[col + j] = cs[j] * a + sn[j] * c;
        H[col + j + 1] = -sn[j] * a + cs[j] * c;
      }
      const a = H[col + k], c = H[col + k + 1];
      const d = Math.hypot(a, c);
      if (d === 0) {
        throw new NonConvergenceError('gmres', it, estimate, rel(estimate), 'breakdown', 'singular Hessenberg (A M⁻¹ singular?)', x);
      }
      cs[k] = a / d; sn[k] = c / d;
      H[col + k] = d; H[col + k + 1] = 0;
      g[k + 1] = -sn[k] * g[k];
      g[k] = cs[k] * g[k];
      k++;
      it++;
      estimate = Math.abs(g[k]);
      if (o.history) history.push(estimate);
      options.onIteration?.(it, rel(estimate));
      if (estimate <= tol) break;
      if (hk1 <= 1e-14 * d) { happy = true; break; } // invariant subspace: the solution is in it
      if (V.length <= k) V.push(new Float64Array(n));
      const vk1 = V[k];
      for (let i = 0; i < n; i++) vk1[i] = w[i] / hk1;
    }
    // back substitution H(0:k,0:k) y = g(0:k)
    for (let i = k - 1; i >= 0; i--) {
      let s = g[i];
      for (let j = i + 1; j < k; j++) s -= H[j * (m + 1) + i] * y[j];
      const hii = H[i * (m + 1) + i];
      if (hii === 0) throw new NonConvergenceError('gmres', it, estimate, rel(estimate), 'breakdown', 'zero on the Hessenberg diagonal', x);
      y[i] = s / hii;
    }
    if (flexible) {
      for (let j = 0; j < k; j++) axpy(y[j], Z[j], x);
    } else if (M) {
      w.fill(0);
      for (let j = 0; j < k; j++) axpy(y[j], V[j], w);
      M.apply(w, zTmp);
      axpy(1, zTmp, x);
    } else {
      for (let j = 0; j < k; j++) axpy(y[j], V[j], x);
    }
    const before = rnorm;
    rnorm = trueResidual();
    if (!Number.isFinite(rnorm)) throw new NonConvergenceError('gmres', it, rnorm, rel(rnorm), 'non-finite', '', x);
    if (happy && rnorm > tol && rnorm >= before) {
      throw new NonConvergenceError('gmres', it, rnorm, rel(rnorm), 'breakdown', 'stagnation after an invariant subspace was found', x);
    }
  }
  return { x, iterations: it, residualNorm: rnorm, relativeResidual: rel(rnorm), history, method: 'gmres' };
}

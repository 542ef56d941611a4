/**
 * Right-preconditioned BiCGStab (van der Vorst 1992) for general nonsingular A:
 * solves A M⁻¹ y = b, x = M⁻¹ y, so the monitored residual is the true, unpreconditioned one.
 * One iteration = two matrix–vector products and two preconditioner applications.
 * Convergence test: see solve-options.ts.
 */
import { NonConvergenceError } from './errors.js';
import { checkLength, type LinearOperator } from './operator.js';
import { resolveOptions, type SolveOptions, type SolveResult } from './solve-options.js';
import { axpy, dot, norm2 } from './vector.js';

export function bicgstab(A: LinearOperator, b: Float64Array, options: SolveOptions = {}): SolveResult {
  const o = resolveOptions(options);
  const n = A.n;
  checkLength('bicgstab: b', b, n);
  const M = options.preconditioner;
  const history: number[] = [];
  const x = new Float64Array(n);
  const r = new Float64Array(n);
  const rhat = new Float64Array(n);
  const p = new Float64Array(n);
  const v = new Float64Array(n);
  const s = new Float64Array(n);
  const t = new Float64Array(n);
  const phat = M ? new Float64Array(n) : p;
  const shat = M ? new Float64Array(n) : s;

  const bnorm = norm2(b);
  const tol = Math.max(o.rtol * bnorm, o.atol);
  const rel = (res: number) => (bnorm > 0 ? res / bnorm : 0);
  if (options.x0) { checkLength('bicgstab: x0', options.x0, n); x.set(options.x0); }
  if (bnorm === 0 && !options.x0) return { x, iterations: 0, residualNorm: 0, relativeResidual: 0, history: o.history ? [0] : [], method: 'bicgstab' };

  const trueResidual = (): number => {
    A.apply(x, t);
    for (let i = 0; i < n; i++) r[i] = b[i] - t[i];
    return norm2(r);
  };
  let rnorm = options.x0 ? trueResidual() : (r.set(b), bnorm);
  if (o.history) history.push(rnorm);
  if (!Number.isFinite(rnorm)) throw new NonConvergenceError('bicgstab', 0, rnorm, rel(rnorm), 'non-finite');
  if (rnorm <= tol) return { x, iterations: 0, residualNorm: rnorm, relativeResidual: rel(rnorm), history, method: 'bicgstab' };

  let rho = 1, alpha = 1, omega = 1;
  let fresh = true;
  const restart = (): void => { rhat.set(r); fresh = true; };
  restart();
  const fail = (it: number, what: string, value: number): never => {
    throw new NonConvergenceError('bicgstab', it, rnorm, rel(rnorm), Number.isFinite(value) ? 'breakdown' : 'non-finite', `${what} = ${value}`, x);
  };
  let it = 0;
  while (it < o.maxIterations) {
    const rhoNew = dot(rhat, r);
    if (rhoNew === 0 || !Number.isFinite(rhoNew)) fail(it, 'r̂·r', rhoNew);
    if (fresh) { p.set(r); fresh = false; } else {
      const beta = (rhoNew / rho) * (alpha / omega);
      for (let i = 0; i < n; i++) p[i] = r[i] + beta * (p[i] - omega * v[i]);
    }
    rho = rhoNew;
    if (M) M.apply(p, phat);
    A.apply(phat, v);
    const rv = dot(rhat, v);
    if (rv === 0 || !Number.isFinite(rv)) fail(it, 'r̂·v', rv);
    alpha = rho / rv;
    for (let i = 0; i < n; i++) s[i] = r[i] - alpha * v[i];
    it++;
    const snorm = norm2(s);
    if (snorm <= tol) {
      options.onIteration?.(it, rel(snorm));
      axpy(alpha, phat, x);
      rnorm = trueResidual();
      if (o.history) history.push(rnorm);
      if (rnorm <= tol) return { x, iterations: it, residualNorm: rnorm, relativeResidual: rel(rnorm), history, method: 'bicgstab' };
      restart();
      continue;
    }
    if (M) M.apply(s, shat);
    A.apply(shat, t);
    const tt = dot(t, t);
    if (tt === 0 || !Number.isFinite(tt)) fail(it, 't·t', tt);
    omega = dot(t, s) / tt;
    axpy(alpha, phat, x);
    axpy(omega, shat, x);
    for (let i = 0; i < n; i++) r[i] = s[i] - omega * t[i];
    rnorm = norm2(r);
    if (o.history) history.push(rnorm);
    options.onIteration?.(it, rel(rnorm));
    if (!Number.isFinite(rnorm)) fail(it, '‖r‖', rnorm);
    if (rnorm <= tol) {
      rnorm = trueResidual();
      if (rnorm <= tol) return { x, iterations: it, residualNorm: rnorm, relativeResidual: rel(rnorm), history, method: 'bicgstab' };
      restart();
      continue;
    }
    if (omega === 0) fail(it, 'ω', omega);
  }
  rnorm = trueResidual();
  if (rnorm <= tol) return { x, iterations: it, residualNorm: rnorm, relativeResidual: rel(rnorm), history, method: 'bicgstab' };
  throw new NonConvergenceError('bicgstab', it, rnorm, rel(rnorm), 'max-iterations', '', x);
}

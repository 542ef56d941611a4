/**
 * BDF1/BDF2 integrator (src/time/bdf.ts) on scalar and small ODE/DAE systems with known
 * solutions: exact discrete solutions, convergence orders on fixed and variable steps, adaptive
 * error control, Newton failure handling.
 */
import { describe, expect, it } from 'vitest';
import { CsrMatrix } from '../../../src/linalg/csr-matrix.js';
import type { LinearOperator } from '../../../src/linalg/operator.js';
import { BdfIntegrator, bdfCoefficients, integrateBdf, TimeStepError, type OdeProblem } from '../../../src/time/bdf.js';

/** A problem from dense f and ∂f/∂y (small n). */
function denseProblem(n: number, f: (y: Float64Array, t: number, out: Float64Array) => void,
  jac: (y: Float64Array, t: number) => number[][], mass?: number[], symmetric = false): OdeProblem {
  return {
    n,
    mass: Float64Array.from(mass ?? new Array<number>(n).fill(1)),
    symmetric,
    rhs: f,
    jacobian: (y, t) => {
      const J = jac(y, t);
      const rows: number[] = [], cols: number[] = [], vals: number[] = [];
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (J[i][j] !== 0) { rows.push(i); cols.push(j); vals.push(J[i][j]); }
      return CsrMatrix.fromCoo(n, n, rows, cols, vals);
    },
  };
}

const decay = (k: number) => denseProblem(1, (y, _t, out) => { out[0] = -k * y[0]; }, () => [[-k]], undefined, true);

/** y' = −k (y − sin t) + cos t, exact y = sin t + y0 e^{−kt} (non-autonomous, stiff for large k). */
const forced = (k: number) => denseProblem(1, (y, t, out) => { out[0] = -k * (y[0] - Math.sin(t)) + Math.cos(t); }, () => [[-k]]);
const forcedExact = (k: number, y0: number, t: number) => Math.sin(t) + y0 * Math.exp(-k * t);

function order(errors: number[], ratio = 2): number[] {
  const out: number[] = [];
  for (let i = 1; i < errors.length; i++) out.push(Math.log(errors[i - 1] / errors[i]) / Math.log(ratio));
  return out;
}

const tight = { newton: { residualRtol: 1e-13 }, linear: { rtol: 1e-14 } };

describe('BDF coefficients', () => {
  it('backward Euler and constant-step BDF2', () => {
    const h = 0.1;
    const a1 = bdfCoefficients([1 + h, 1]);
    expect(a1[0]).toBeCloseTo(1 / h, 12);
    expect(a1[1]).toBeCloseTo(-1 / h, 12);
    const a2 = bdfCoefficients([2 * h, h, 0]);
    expect(a2[0]).toBeCloseTo(1.5 / h, 10);
    expect(a2[1]).toBeCloseTo(-2 / h, 10);
    expect(a2[2]).toBeCloseTo(0.5 / h, 10);
  });
  it('variable-step BDF2: a0 = (1+2ω)/((1+ω) h), coefficients sum to zero and differentiate t exactly', () => {
    const h = 0.3, hp = 0.2, w = h / hp;
    const tau = [1 + h, 1, 1 - hp];
    const a = bdfCoefficients(tau);
    expect(a[0]).toBeCloseTo((1 + 2 * w) / ((1 + w) * h), 12);
    expect(a[0] + a[1] + a[2]).toBeCloseTo(0, 12);
    expect(a[0] * tau[0] + a[1] * tau[1] + a[2] * tau[2]).toBeCloseTo(1, 12);
    expect(a[0] * tau[0] ** 2 + a[1] * tau[1] ** 2 + a[2] * tau[2] ** 2).toBeCloseTo(2 * tau[0], 12);
  });
});

describe('fixed-step BDF on dy/dt = −k y', () => {
  const k = 2, T = 1, y0 = 1.5;
  it('BDF1 reproduces the exact discrete solution y0 / (1 + k h)^N and converges with order 1', () => {
    const errs: number[] = [];
    for (const N of [20, 40, 80, 160]) {
      const h = T / N;
      const r = integrateBdf(decay(k), Float64Array.of(y0), { order: 1, dt: h, tEnd: T, ...tight });
      expect(r.steps).toBe(N);
      expect(r.t).toBe(T);
      expect(r.y[0] / (y0 / Math.pow(1 + k * h, N))).toBeCloseTo(1, 12);
      errs.push(Math.abs(r.y[0] - y0 * Math.exp(-k * T)));
    }
    const p = order(errs);
    for (const o of p) expect(Math.abs(o - 1)).toBeLessThan(0.1);
  });
  it('BDF2 (BDF1 first step) reproduces its recurrence and converges with order 2', () => {
    const errs: number[] = [];
    for (const N of [20, 40, 80, 160]) {
      const h = T / N;
      const r = integrateBdf(decay(k), Float64Array.of(y0), { order: 2, dt: h, tEnd: T, ...tight });
      // discrete solution: y1 = y0/(1+kh); (3/2 + kh) y_{n+1} = 2 y_n − y_{n−1}/2
      let ym = y0, yc = y0 / (1 + k * h);
      for (let s = 2; s <= N; s++) { const yn = (2 * yc - 0.5 * ym) / (1.5 + k * h); ym = yc; yc = yn; }
      expect(r.y[0] / yc).toBeCloseTo(1, 11);
      errs.push(Math.abs(r.y[0] - y0 * Math.exp(-k * T)));
    }
    const p = order(errs);
    for (const o of p) expect(Math.abs(o - 2)).toBeLessThan(0.1);
  });
});

describe('variable-step BDF2', () => {
  it('keeps order 2 on a non-uniform step sequence (ratios 1.5 and 1/1.5)', () => {
    const k = 5, y0 = 1, T = 2;
    const errs: number[] = [];
    for (const pairs of [20, 40, 80, 160]) {
      const h = T / (2.5 * pairs);
      const integ = new BdfIntegrator(forced(k), Float64Array.of(y0), 0, { order: 2, dt: h, ...tight });
      let s = 0;
      while (integ.t < T - 1e-12) {
        integ.dt = s % 2 === 0 ? h : 1.5 * h;
        integ.step(T);
        s++;
      }
      expect(s).toBe(2 * pairs);
      errs.push(Math.abs(integ.y[0] - forcedExact(k, y0, T)));
    }
    const p = order(errs);
    console.log(`variable-step BDF2 errors ${errs.map((e) => e.toExponential(2)).join(', ')}; orders ${p.map((o) => o.toFixed(3)).join(', ')}`);
    for (const o of p) expect(Math.abs(o - 2)).toBeLessThan(0.2);
  });

  it('order 2 on a nonlinear ODE y\' = −y² (exact 1/(1+t)), Newton converging quadratically', () => {
    const prob = denseProblem(1, (y, _t, out) => { out[0] = -y[0] * y[0]; }, (y) => [[-2 * y[0]]]);
    const errs: number[] = [];
    const ratios: number[] = [];
    for (const N of [80, 160, 320, 640]) {
      const r = new BdfIntegrator(prob, Float64Array.of(1), 0, {
        order: 2, dt: 4 / N, newton: { residualRtol: 1e-15, updateTol: 0, maxIterations: 20 }, linear: { rtol: 1e-15 },
        onStep: (info) => {
          const rn = info.residualNorms;
          // quadratic: r_{k+1} / r_k² bounded while above round-off
          for (let i = 1; i < rn.length; i++) if (rn[i] > 1e-13 && rn[i - 1] > 0) ratios.push(rn[i] / (rn[i - 1] * rn[i - 1]));
        },
      });
      r.advanceTo(4);
      errs.push(Math.abs(r.y[0] - 1 / 5));
    }
    const p = order(errs);
    console.log(`y' = −y²: BDF2 errors ${errs.map((e) => e.toExponential(2)).join(', ')}; orders ${p.map((o) => o.toFixed(3)).join(', ')}; max r_{k+1}/r_k² = ${Math.max(...ratios).toExponential(2)}`);
    // pre-asymptotic orders 2.33, 2.28, 2.20, 2.12, 2.07, 2.04 from N = 20 to 1280
    for (const o of p) expect(Math.abs(o - 2)).toBeLessThan(0.25);
    expect(ratios.length).toBeGreaterThan(0);
    expect(Math.max(...ratios)).toBeLessThan(10);
  });
});

describe('adaptive step control', () => {
  it('meets the tolerance on a stiff forced problem and takes more steps for tighter tolerances', () => {
    const k = 50, y0 = 2, T = 3;
    const res: { tol: number; err: number; steps: number }[] = [];
    for (const tol of [1e-3, 1e-4, 1e-5]) {
      for (const ord of [1, 2] as const) {
        const r = integrateBdf(forced(k), Float64Array.of(y0), { order: ord, dt: 1e-4, adaptive: true, rtol: tol, atol: tol, tEnd: T });
        const err = Math.abs(r.y[0] - forcedExact(k, y0, T));
        if (ord === 2) res.push({ tol, err, steps: r.steps });
        expect(err).toBeLessThan(20 * tol);
      }
    }
    expect(res[1].steps).toBeGreaterThan(res[0].steps);
    expect(res[2].steps).toBeGreaterThan(res[1].steps);
    expect(res[2].err).toBeLessThan(res[0].err);
    // BDF2 steps scale like tol^(-1/3)
    const slope = Math.log(res[2].steps / res[0].steps) / Math.log(100);
    console.log(`adaptive BDF2: ${res.map((r) => `tol ${r.tol}: ${r.steps} steps, err ${r.err.toExponential(2)}`).join('; ')}; steps ∝ tol^-${slope.toFixed(2)}`);
    expect(slope).toBeGreaterThan(0.2);
    expect(slope).toBeLessThan(0.5);
  });
});

describe('DAE (zero mass) and matrix-free Jacobians', () => {
  it('y1\' = −y1 + y2, 0 = y1/2 − y2: exact y1 = e^{−t/2}, order 2', () => {
    const prob = denseProblem(2, (y, _t, out) => { out[0] = -y[0] + y[1]; out[1] = 0.5 * y[0] - y[1]; }, () => [[-1, 1], [0.5, -1]], [1, 0]);
    const errs: number[] = [];
    for (const N of [16, 32, 64]) {
      const r = integrateBdf(prob, Float64Array.of(1, 0.5), { order: 2, dt: 2 / N, tEnd: 2, ...tight });
      errs.push(Math.abs(r.y[0] - Math.exp(-1)));
      expect(r.y[1]).toBeCloseTo(0.5 * r.y[0], 12);
    }
    for (const o of order(errs)) expect(Math.abs(o - 2)).toBeLessThan(0.15);
  });

  it('accepts a matrix-free LinearOperator Jacobian (with its diagonal)', () => {
    const n = 3, k = [1, 2, 3];
    const op: LinearOperator = {
      n,
      apply: (x, y) => { for (let i = 0; i < n; i++) y[i] = -k[i] * x[i]; },
      diagonal: () => Float64Array.from(k, (v) => -v),
    };
    const prob: OdeProblem = { n, mass: new Float64Array(n).fill(1), symmetric: true, rhs: (y, _t, out) => op.apply(y, out), jacobian: () => op };
    const r = integrateBdf(prob, Float64Array.of(1, 1, 1), { order: 1, dt: 0.01, tEnd: 0.5, ...tight });
    for (let i = 0; i < n; i++) expect(r.y[i] * Math.pow(1 + k[i] * 0.01, 50)).toBeCloseTo(1, 10);
  });
});

describe('non-convergence', () => {
  it('halves dt when Newton fails and still reaches the answer', () => {
    // y' = −y³ with only 2 Newton iterations allowed: large steps fail, halved ones succeed
    const prob = denseProblem(1, (y, _t, out) => { out[0] = -(y[0] ** 3); }, (y) => [[-3 * y[0] ** 2]]);
    const r = integrateBdf(prob, Float64Array.of(3), { order: 1, dt: 1, tEnd: 2, newton: { maxIterations: 2, updateTol: 0, residualRtol: 1e-10 } });
    expect(r.newtonFailures).toBeGreaterThan(0);
    expect(r.t).toBe(2);
    const exact = 1 / Math.sqrt(1 / 9 + 2 * 2);
    expect(Math.abs(r.y[0] - exact) / exact).toBeLessThan(0.2);
  });

  it('throws a TimeStepError with the last residual when dt falls below dtMin', () => {
    // f is NaN for t > 0.5: no step past 0.5 can converge
    const prob = denseProblem(1, (y, t, out) => { out[0] = t > 0.5 ? Number.NaN : -y[0]; }, () => [[-1]]);
    let caught: unknown;
    try {
      integrateBdf(prob, Float64Array.of(1), { order: 2, dt: 0.1, dtMin: 1e-6, tEnd: 1 });
    } catch (e) { caught = e; }
    expect(caught).toBeInstanceOf(TimeStepError);
    const e = caught as TimeStepError;
    expect(e.t).toBeGreaterThan(0.49);
    expect(e.t).toBeLessThanOrEqual(0.5);
    expect(e.reason).toBe('non-finite');
    expect(e.message).toMatch(/dtMin/);

    // Newton that cannot converge (iteration limit 1, unattainable tolerance): reason and residual reported
    const cubic = denseProblem(1, (y, _t, out) => { out[0] = -(y[0] ** 3); }, (y) => [[-3 * y[0] ** 2]]);
    try {
      integrateBdf(cubic, Float64Array.of(1), { order: 1, dt: 0.1, dtMin: 1e-3, tEnd: 1, newton: { maxIterations: 1, updateTol: 0, residualRtol: 1e-30 } });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(TimeStepError);
      const te = err as TimeStepError;
      expect(te.reason).toBe('newton-max-iterations');
      expect(te.lastResidual).toBeGreaterThan(0);
      expect(te.message).toMatch(/last residual/);
    }
  });

  it('rejects bad input', () => {
    expect(() => new BdfIntegrator(decay(1), Float64Array.of(1, 2), 0, { dt: 0.1 })).toThrow(/length/);
    expect(() => new BdfIntegrator(decay(1), Float64Array.of(1), 0, { dt: 0 })).toThrow(/dt/);
    expect(() => new BdfIntegrator(decay(1), Float64Array.of(1), 0, { dt: 0.1, maxGrowth: 3 })).toThrow(/maxGrowth/);
  });
});

describe('preconditioner reuse and inexact Newton', () => {
  // a 40-unknown nonlinear reaction–diffusion chain: u_i' = (u_{i−1} − 2u_i + u_{i+1})·k − u_i³ + s_i
  const n = 40, k = 50;
  const chain = denseProblem(n, (y, _t, out) => {
    for (let i = 0; i < n; i++) {
      const l = i > 0 ? y[i - 1] : 0, r = i < n - 1 ? y[i + 1] : 0;
      out[i] = k * (l - 2 * y[i] + r) - y[i] ** 3 + Math.sin(i);
    }
  }, (y) => {
    const J = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let i = 0; i < n; i++) { J[i][i] = -2 * k - 3 * y[i] ** 2; if (i > 0) J[i][i - 1] = k; if (i < n - 1) J[i][i + 1] = k; }
    return J;
  });
  const run = (linear: object) => {
    let built = 0;
    const res = integrateBdf(chain, new Float64Array(n).fill(0.5), {
      tEnd: 2, order: 2, dt: 0.01, adaptive: true, rtol: 1e-5, atol: 1e-8,
      newton: { residualRtol: 1e-12, updateTol: 0 },
      linear: { method: 'gmres', rtol: 1e-10, ...linear, preconditioner: (A) => { built++; return jacobiOf(A); } },
    });
    return { res, built };
  };
  const jacobiOf = (A: LinearOperator) => {
    const d = A.diagonal!();
    return { n: A.n, apply: (r: Float64Array, z: Float64Array) => { for (let i = 0; i < r.length; i++) z[i] = r[i] / d[i]; } };
  };

  it('reusing the preconditioner and solving inexactly give the same answer with fewer set-ups', () => {
    const ref = run({});
    const reuse = run({ reusePreconditioner: true });
    const inexact = run({ reusePreconditioner: true, adaptiveTolerance: true });
    // every Newton matrix gets its own preconditioner without reuse
    expect(ref.built).toBe(ref.res.newtonIterations);
    expect(reuse.built).toBeLessThan(ref.built / 2);
    // the Newton test is on ‖G‖ in all three: the states agree to the Newton tolerance, not just the step tolerance
    for (const other of [reuse, inexact]) {
      let d = 0;
      for (let i = 0; i < n; i++) d = Math.max(d, Math.abs(other.res.y[i] - ref.res.y[i]));
      expect(d).toBeLessThan(1e-8);
    }
    expect(inexact.res.linearIterations).toBeLessThan(reuse.res.linearIterations);
  });
});

describe('predictor outside the domain of f', () => {
  it('restarts Newton from the last solution when the extrapolated predictor is not finite', () => {
    // y' = −20 (y − 0.6), y(0) = 1, with f undefined (NaN) below y = 0.55. Fixed dt = 0.1: BDF1 gives
    // y1 = (1 + 1.2)/3 = 0.7333; the BDF2 predictor 2 y1 − y0 = 0.4667 is outside the domain, while
    // the implicit step from y1 is fine (y2 > 0.6).
    const p = denseProblem(1, (y, _t, out) => { out[0] = y[0] > 0.55 ? -20 * (y[0] - 0.6) : Number.NaN; }, () => [[-20]]);
    const integ = new BdfIntegrator(p, Float64Array.from([1]), 0, { order: 2, dt: 0.1, adaptive: false, dtMin: 1e-3, newton: { residualRtol: 1e-12 } });
    integ.step(1);
    expect(integ.y[0]).toBeCloseTo(2.2 / 3, 12);
    integ.step(1);
    // without the restart the step would have been halved (a Newton failure) and t = 0.15
    expect(integ.t).toBeCloseTo(0.2, 12);
    expect(integ.newtonFailures).toBe(0);
    // BDF2 (variable-step coefficients for equal steps): (3 y2 − 4 y1 + y0)/(2 dt) = −20 (y2 − 0.6)
    const y1 = 2.2 / 3, dt = 0.1;
    expect(integ.y[0]).toBeCloseTo((4 * y1 - 1 + 2 * dt * 20 * 0.6) / (3 + 2 * dt * 20), 10);
  });
});

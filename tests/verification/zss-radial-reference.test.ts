/**
 * Verification of the 1D radial reference solver for the Zhang–Shyy–Sastry (2007) two-way coupled
 * diffusion-induced-stress sphere (tests/helpers/zss-radial.ts), which the 3D voxel code is later
 * compared against.
 *
 *   • the closed form used for θ = 0 (Crank's constant-flux sphere series) is checked on its own:
 *     roots of tan α = α, zero initial state, exact volume mean c0 + 3 j_n t/R;
 *   • Li conservation to round-off (BDF1 and BDF2, one- and two-way, c0 = 0 and c0 > 0);
 *   • θ = 0 against the series: observed spatial order 2 (errors vs exact), time orders 2 (BDF2)
 *     and 1 (backward Euler) by self-convergence;
 *   • two-way: spatial self-convergence order 2 (n, 2n, 4n), and the surface concentration at
 *     1000 s below the one-way value (the stress gradient drives Li inwards);
 *   • stressesFromProfile: uniform c ⇒ zero stress; parabolic c = a + b r² ⇒ closed form.
 *
 * Measured (T = 298 K, c0 = 0, i = 2 A/m², t = 1000 s; Node 20):
 *   θ = 2Ω²E/(9 R_g T (1−ν)) = 1.5669e-5 m³/mol.
 *   One-way vs series, max error over the centres at n = 20/40/80: 8.07 / 2.02 / 0.505 mol/m³,
 *   order 2.000 (surface value error 12.1 / 3.03 / 0.758 mol/m³).
 *   Time (n = 50, surface c, 100/200/400 steps): BDF2 order 2.04 (one- and two-way);
 *   backward Euler (50/100/200 steps) order 1.08–1.11.
 *   Two-way space (n = 50/100/200, 2000 steps): surface c order 2.000.
 *   n = 200, Δt = 0.25 s: c_surface one-way 15360.24, two-way 14899.05 mol/m³ (−3.00 %),
 *   series value 15360.13; c_avg = 12437.12 for both (= 3 j_n t/R);
 *   surface hoop stress σ_θ(R) one-way −48.68 MPa, two-way −41.00 MPa; σ_r at the innermost
 *   centre one-way +48.51 MPa, two-way +42.97 MPa.
 *   Parabolic stress test: max error / (2KbR²/5) = 1.250, 0.611, 0.694 (h/R)² for σ_r, σ_θ, σ_h
 *   (constant to 4 digits from n = 25 to 200, i.e. order 2.000).
 *   Li balance error ≤ 2e-15 relative. Whole file ≈ 1 s.
 */
import { describe, expect, it } from 'vitest';
import {
  ZSS_2007_PARAMS, couplingTheta, crankConstantFluxSphere, solveTridiagonal, solveZssRadial,
  stressFactor, stressesFromProfile, tanAlphaRoots, type ZssParams,
} from '../helpers/zss-radial.js';

const P: ZssParams = { ...ZSS_2007_PARAMS };
const T_END = 1000;

/** Observed orders log2(d_i/d_{i+1}) of successive differences of a refinement-by-2 sequence. */
function selfOrders(values: number[]): number[] {
  const d: number[] = [];
  for (let i = 0; i + 1 < values.length; i++) d.push(Math.abs(values[i + 1] - values[i]));
  const out: number[] = [];
  for (let i = 0; i + 1 < d.length; i++) out.push(Math.log2(d[i] / d[i + 1]));
  return out;
}

/** Orders log2(e_i/e_{i+1}) from errors against an exact solution. */
function errorOrders(errors: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < errors.length; i++) out.push(Math.log2(errors[i] / errors[i + 1]));
  return out;
}

describe('helpers', () => {
  it('Thomas solver reproduces a known solution', () => {
    const n = 7;
    const lo = new Float64Array(n), di = new Float64Array(n), up = new Float64Array(n);
    const x = Float64Array.from({ length: n }, (_, k) => Math.cos(k) + 2);
    for (let k = 0; k < n; k++) { lo[k] = -1 - 0.1 * k; up[k] = -0.5; di[k] = 4 + k; }
    const b = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      b[k] = di[k] * x[k] + (k > 0 ? lo[k] * x[k - 1] : 0) + (k < n - 1 ? up[k] * x[k + 1] : 0);
    }
    solveTridiagonal(lo, di, up, b);
    for (let k = 0; k < n; k++) expect(Math.abs(b[k] - x[k])).toBeLessThan(1e-14);
  });

  it('θ and the ZSS constants', () => {
    // θ = 2 (3.497e-6)² 1e10 / (9 · 8.314462618 · 298 · 0.7) ≈ 1.5669e-5 m³/mol.
    expect(couplingTheta(P)).toBeCloseTo(1.5669e-5, 8);
    expect(P.T).toBe(298);
    expect(P.c0).toBe(0);
  });
});

describe("Crank's constant-flux sphere series (as implemented)", () => {
  it('roots of α cot α = 1, zero initial state, exact volume mean', () => {
    const roots = tanAlphaRoots(50);
    expect(roots[0]).toBeCloseTo(4.493409457909064, 12);
    for (let i = 0; i < roots.length; i++) {
      const a = roots[i];
      expect(a).toBeGreaterThan((i + 1) * Math.PI);
      expect(a).toBeLessThan((i + 1.5) * Math.PI);
      expect(Math.abs(Math.tan(a) - a) / a).toBeLessThan(1e-10);
    }
    const scale = (P.current / P.F) * P.R / P.D; // j_n R / D
    // Fo = 1e-3 (t ≈ 3.5 s): the diffusion length √Fo R ≈ 0.03 R, so the state at ρ ≤ 0.5 is
    // still c0 to far below round-off of the series.
    const tShort = 1e-3 * P.R * P.R / P.D;
    for (const rho of [0, 0.25, 0.5]) {
      expect(Math.abs(crankConstantFluxSphere(rho * P.R, tShort, P) - P.c0) / scale).toBeLessThan(1e-10);
    }
    // Volume mean (composite Simpson in ρ, 2000 intervals) = c0 + 3 j_n t/R.
    for (const t of [50, 300, 1000, 5000]) {
      const m = 2000;
      let s = 0;
      for (let i = 0; i <= m; i++) {
        const rho = i / m;
        const w = i === 0 || i === m ? 1 : i % 2 === 1 ? 4 : 2;
        s += w * rho * rho * crankConstantFluxSphere(rho * P.R, t, P);
      }
      const mean = 3 * s / (3 * m);
      const exact = P.c0 + 3 * (P.current / P.F) * t / P.R;
      expect(Math.abs(mean - exact) / scale).toBeLessThan(1e-8);
    }
  });
});

describe('ZSS radial solver', () => {
  it('conserves Li to round-off (1e-12 relative)', () => {
    for (const twoWay of [false, true]) {
      for (const order of [1, 2] as const) {
        for (const c0 of [0, 3000]) {
          const s = solveZssRadial({ params: { ...P, c0 }, n: 64, nSteps: 500, tEnd: T_END, twoWay, order });
          expect(s.balanceError).toBeLessThan(1e-12);
          // the volume mean is the exact c0 + 3 j_n t/R
          const exact = c0 + 3 * (P.current / P.F) * T_END / P.R;
          expect(Math.abs(s.cAvg - exact) / exact).toBeLessThan(1e-12);
        }
      }
    }
  });

  it('θ = 0: second order in space against the series (n = 20, 40, 80)', () => {
    const maxErr: number[] = [], surfErr: number[] = [];
    for (const n of [20, 40, 80]) {
      // 4000 BDF2 steps: the time error is < 1e-3 of the spatial error at n = 80.
      const s = solveZssRadial({ params: P, n, nSteps: 4000, tEnd: T_END, twoWay: false });
      expect(s.theta).toBe(0);
      let e = 0;
      for (let k = 0; k < n; k++) e = Math.max(e, Math.abs(s.c[k] - crankConstantFluxSphere(s.r[k], T_END, P)));
      maxErr.push(e);
      surfErr.push(Math.abs(s.cSurface - crankConstantFluxSphere(P.R, T_END, P)));
    }
    // measured: 8.07, 2.02, 0.505 mol/m³ (j_n R/D = 14640 mol/m³): orders 2.000, 2.000
    for (const q of [...errorOrders(maxErr), ...errorOrders(surfErr)]) {
      expect(q).toBeGreaterThan(1.7);
      expect(q).toBeLessThan(2.3);
    }
    expect(maxErr[2] / 14640).toBeLessThan(1e-4);
  });

  it('time orders: BDF2 ≈ 2, backward Euler ≈ 1 (self-convergence of c_surface, n = 50)', () => {
    for (const twoWay of [false, true]) {
      const bdf2 = [100, 200, 400].map((N) => solveZssRadial({ params: P, n: 50, nSteps: N, tEnd: T_END, twoWay, order: 2 }).cSurface);
      const [q2] = selfOrders(bdf2); // measured 2.04 (both couplings)
      expect(q2).toBeGreaterThan(1.7);
      expect(q2).toBeLessThan(2.3);
      const be = [50, 100, 200].map((N) => solveZssRadial({ params: P, n: 50, nSteps: N, tEnd: T_END, twoWay, order: 1 }).cSurface);
      const [q1] = selfOrders(be); // measured 1.08 (one-way), 1.11 (two-way)
      expect(q1).toBeGreaterThan(0.8);
      expect(q1).toBeLessThan(1.3);
    }
  });

  it('two-way: second order in space by self-convergence (n = 50, 100, 200)', () => {
    const runs = [50, 100, 200].map((n) => solveZssRadial({ params: P, n, nSteps: 2000, tEnd: T_END, twoWay: true }));
    for (const s of runs) {
      expect(s.theta).toBeCloseTo(couplingTheta(P), 15);
      expect(s.maxNewtonIterations).toBeLessThanOrEqual(6);
    }
    // Surface value: measured 14904.67 → … order 2.000.
    const [qs] = selfOrders(runs.map((s) => s.cSurface));
    expect(qs).toBeGreaterThan(1.7);
    expect(qs).toBeLessThan(2.3);
    // Whole profile: restrict the finer solution to the coarser shells (volume-weighted mean of
    // the two sub-shells) and take the max difference.
    const restrict = (fine: Float64Array): Float64Array => {
      const nc = fine.length / 2, h = P.R / fine.length;
      const out = new Float64Array(nc);
      for (let k = 0; k < nc; k++) {
        const v = (j: number) => ((j + 1) ** 3 - j ** 3) * h ** 3;
        out[k] = (v(2 * k) * fine[2 * k] + v(2 * k + 1) * fine[2 * k + 1]) / (v(2 * k) + v(2 * k + 1));
      }
      return out;
    };
    const maxDiff = (a: Float64Array, b: Float64Array) => a.reduce((m, x, k) => Math.max(m, Math.abs(x - b[k])), 0);
    const d1 = maxDiff(runs[0].c, restrict(runs[1].c));
    const d2 = maxDiff(runs[1].c, restrict(runs[2].c));
    const qp = Math.log2(d1 / d2);
    expect(qp).toBeGreaterThan(1.7);
    expect(qp).toBeLessThan(2.3);
  });

  it('two-way coupling lowers the surface concentration at 1000 s (n = 200, Δt = 0.25 s)', () => {
    const one = solveZssRadial({ params: P, n: 200, dt: 0.25, tEnd: T_END, twoWay: false, history: true });
    const two = solveZssRadial({ params: P, n: 200, dt: 0.25, tEnd: T_END, twoWay: true, history: true });
    // measured: one-way 15360.24, two-way 14899.05 mol/m³ ⇒ relative difference −3.00 %
    const rel = (two.cSurface - one.cSurface) / one.cSurface;
    expect(two.cSurface).toBeLessThan(one.cSurface);
    expect(rel).toBeGreaterThan(-0.04);
    expect(rel).toBeLessThan(-0.02);
    expect(Math.abs(one.cSurface - crankConstantFluxSphere(P.R, T_END, P))).toBeLessThan(0.5);
    // Same Li content, flatter profile: the two-way surface stays below at every recorded time.
    expect(Math.abs(two.cAvg - one.cAvg) / one.cAvg).toBeLessThan(1e-12);
    const h1 = one.cSurfaceHistory!, h2 = two.cSurfaceHistory!;
    expect(one.times![one.times!.length - 1]).toBeCloseTo(T_END, 9);
    for (let m = 1; m < h1.length; m++) expect(h2[m]).toBeLessThan(h1[m]);

    // Stresses of both profiles (measured: σ_θ(R) −48.68 / −41.00 MPa, σ_r(r_0) +48.51 / +42.97 MPa
    // one-/two-way): compressive hoop stress at the surface, tension at the centre, both reduced
    // by the two-way coupling.
    const s1 = stressesFromProfile(one.r, one.c, P, one.cSurface);
    const s2 = stressesFromProfile(two.r, two.c, P, two.cSurface);
    expect(s1.surface.sigmaTheta).toBeLessThan(s2.surface.sigmaTheta);
    expect(s2.surface.sigmaTheta).toBeLessThan(0);
    expect(s1.sigmaR[0]).toBeGreaterThan(s2.sigmaR[0]);
    expect(s2.sigmaR[0]).toBeGreaterThan(0);
    expect(s1.surface.sigmaTheta / 1e6).toBeCloseTo(-48.68, 1);
    expect(s2.surface.sigmaTheta / 1e6).toBeCloseTo(-41.0, 1);
  });
});

describe('stressesFromProfile', () => {
  const K = stressFactor(P);

  it('uniform c gives zero stress to round-off', () => {
    for (const n of [3, 17, 200]) {
      const h = P.R / n;
      const r = Float64Array.from({ length: n }, (_, k) => (k + 0.5) * h);
      const cu = 12345.678;
      const c = new Float64Array(n).fill(cu);
      const s = stressesFromProfile(r, c, P);
      const scale = K * cu;
      for (let k = 0; k < n; k++) {
        expect(Math.abs(s.sigmaR[k]) / scale).toBeLessThan(1e-13);
        expect(Math.abs(s.sigmaTheta[k]) / scale).toBeLessThan(1e-13);
        expect(Math.abs(s.sigmaH[k]) / scale).toBeLessThan(1e-13);
      }
      expect(Math.abs(s.surface.sigmaTheta) / scale).toBeLessThan(1e-13);
      expect(Math.abs(s.cAvg - cu) / cu).toBeLessThan(1e-14);
    }
  });

  /*
   * Closed form for c = a + b r² (from the header formulas, K = ΩE/(3(1−ν))):
   *   I(r) = a r³/3 + b r⁵/5 ⇒ I(r)/r³ = a/3 + b r²/5, I(R)/R³ = a/3 + b R²/5,
   *   σ_r = 2K b (R² − r²)/5 = 2ΩE b (R² − r²)/(15(1−ν))   (tensile inside for b > 0),
   *   σ_θ = K b (2R² − 4r²)/5 = ΩE b (2R² − 4r²)/(15(1−ν)),
   *   σ_h = (2K/3)(c_avg − c) = (2K/3) b (3R²/5 − r²),  c_avg = a + 3bR²/5.
   */
  const a = 5000, b = 8000 / (P.R * P.R);
  const exact = (r: number) => ({
    sr: (2 * K * b * (P.R * P.R - r * r)) / 5,
    st: (K * b * (2 * P.R * P.R - 4 * r * r)) / 5,
    sh: ((2 * K) / 3) * b * ((3 * P.R * P.R) / 5 - r * r),
  });

  it('parabolic profile (point values): closed form with an O(h²) error, order 2', () => {
    const errs: number[][] = [[], [], []];
    const ns = [25, 50, 100, 200];
    for (const n of ns) {
      const h = P.R / n;
      const r = Float64Array.from({ length: n }, (_, k) => (k + 0.5) * h);
      const c = r.map((x) => a + b * x * x);
      const s = stressesFromProfile(r, c, P);
      const ref = Math.abs(exact(0).sr); // 2K b R²/5, the largest magnitude of the three
      const e = [0, 0, 0];
      for (let k = 0; k < n; k++) {
        const ex = exact(r[k]);
        e[0] = Math.max(e[0], Math.abs(s.sigmaR[k] - ex.sr) / ref);
        e[1] = Math.max(e[1], Math.abs(s.sigmaTheta[k] - ex.st) / ref);
        e[2] = Math.max(e[2], Math.abs(s.sigmaH[k] - ex.sh) / ref);
        // σ_h = (σ_r + 2σ_θ)/3 = (2K/3)(c_avg − c) holds identically in the discrete formulas.
        expect(Math.abs(s.sigmaH[k] - ((2 * K) / 3) * (s.cAvg - c[k])) / ref).toBeLessThan(1e-13);
      }
      for (let i = 0; i < 3; i++) errs[i].push(e[i]);
      // error bound consistent with the grid: ≤ 1.5 (h/R)² (measured 1.250, 0.611, 0.694 (h/R)²)
      for (let i = 0; i < 3; i++) expect(e[i] * n * n).toBeLessThan(1.5);
    }
    for (let i = 0; i < 3; i++) {
      // asymptotic regime: e·n² agrees to 0.1 % between the two finest grids
      const m = ns.length - 1;
      expect(Math.abs(errs[i][m] * ns[m] ** 2 / (errs[i][m - 1] * ns[m - 1] ** 2) - 1)).toBeLessThan(1e-3);
      for (const q of errorOrders(errs[i])) {
        expect(q).toBeGreaterThan(1.9);
        expect(q).toBeLessThan(2.1);
      }
    }
  });

  it('parabolic profile (shell averages): c_avg and the surface stresses exact to 1e-10', () => {
    // With exact shell means the cumulative integral I(R) is exact, hence c_avg and the surface
    // values σ_θ(R) = K(c_avg − c(R)) = −2K b R²/5, σ_h(R) = (2K/3)(c_avg − c(R)) = −4K b R²/15.
    for (const n of [8, 40]) {
      const h = P.R / n;
      const r = Float64Array.from({ length: n }, (_, k) => (k + 0.5) * h);
      // shell mean of a + b s²: a + (3b/5)(r₊⁵ − r₋⁵)/(r₊³ − r₋³)
      const c = r.map((_, k) => {
        const ri = k * h, ro = (k + 1) * h;
        return a + (3 * b / 5) * (ro ** 5 - ri ** 5) / (ro ** 3 - ri ** 3);
      });
      const cR = a + b * P.R * P.R;
      const s = stressesFromProfile(r, c, P, cR);
      const ref = (2 * K * b * P.R * P.R) / 5;
      expect(Math.abs(s.cAvg - (a + (3 * b * P.R * P.R) / 5)) / s.cAvg).toBeLessThan(1e-12);
      expect(Math.abs(s.surface.sigmaTheta - exact(P.R).st) / ref).toBeLessThan(1e-10);
      expect(Math.abs(s.surface.sigmaH - exact(P.R).sh) / ref).toBeLessThan(1e-10);
      expect(s.surface.sigmaR).toBe(0);
      // default surface extrapolation (quadratic through the last three centres) is close
      const sd = stressesFromProfile(r, c, P);
      expect(Math.abs(sd.surface.c - cR) / cR).toBeLessThan(2 / (n * n));
    }
  });
});

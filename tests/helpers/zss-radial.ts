/**
 * Independent 1D radial (spherical) reference solver for diffusion-induced stress with two-way
 * stress–diffusion coupling: the single-particle case of X. Zhang, W. Shyy, A.M. Sastry,
 * J. Electrochem. Soc. 154 (2007) A910 ("ZSS"). The 3D voxel code is compared against it.
 *
 * Self-contained: it imports only the physical constants, nothing from src/assembly or src/sim.
 *
 * ---------------------------------------------------------------------------------------------
 * Mechanics (SI). Traction-free, isotropic linear-elastic sphere 0 ≤ r ≤ R with the chemical
 * eigenstrain ε* = (Ω/3) c I (the analogue of a thermal strain α ΔT with α ΔT ↔ Ω c / 3). With
 * K = Ω E / (3 (1 − ν)) and I(r) = ∫₀^r c(s) s² ds the classical thermal-stress solution reads
 *
 *   σ_r(r) = 2K [ I(R)/R³ − I(r)/r³ ],   σ_θ(r) = K [ 2 I(R)/R³ + I(r)/r³ − c(r) ].
 *
 * Checks (done by hand here, and numerically in the tests):
 *   • equilibrium dσ_r/dr + 2(σ_r − σ_θ)/r = 0:
 *       dσ_r/dr = 2K [ −c/r + 3 I/r⁴ ]              (since dI/dr = c r²),
 *       σ_r − σ_θ = K [ c − 3 I/r³ ]  ⇒  2(σ_r − σ_θ)/r = 2K [ c/r − 3 I/r⁴ ]; the sum vanishes;
 *   • traction-free surface σ_r(R) = 0; regular centre: I(r)/r³ → c(0)/3, so σ_r = σ_θ at r = 0;
 *   • hydrostatic stress σ_h = (σ_r + 2σ_θ)/3:
 *       σ_r + 2σ_θ = K [ 2I_R/R³ − 2I/r³ + 4I_R/R³ + 2I/r³ − 2c ] = 2K [ 3 I_R/R³ − c ],
 *     hence σ_h = (2K/3)(c_avg − c) = 2ΩE/(9(1−ν)) (c_avg − c), with c_avg = 3 I(R)/R³ the
 *     volume mean. Only the LOCAL concentration gradient survives in ∂σ_h/∂r:
 *       ∂σ_h/∂r = −2ΩE/(9(1−ν)) ∂c/∂r.
 *
 * Transport. The ZSS flux with the stress-driven term (chemical potential μ = μ₀ + R_g T ln c − Ω σ_h)
 *   J = −D ( ∂c/∂r − Ω c/(R_g T) ∂σ_h/∂r ) = −D (1 + θ c) ∂c/∂r,   θ = 2Ω²E / (9 R_g T (1−ν)),
 * i.e. a concentration-dependent effective diffusivity D(1 + θ c); one-way coupling is θ = 0
 * (stresses computed from the Fickian profile). The problem solved is
 *   ∂c/∂t = r⁻² ∂/∂r ( r² D (1 + θ c) ∂c/∂r ),   ∂c/∂r = 0 at r = 0,
 *   D (1 + θ c) ∂c/∂r = j_n = i/F at r = R (i > 0: Li INTO the particle),   c(r, 0) = c0.
 * With the ZSS numbers θ ≈ 1.57e-5 m³/mol, so θ c reaches ≈ 0.24 at the surface after 1000 s:
 * the stress gradient pushes Li inwards and flattens the profile (lower surface concentration).
 *
 * ---------------------------------------------------------------------------------------------
 * Discretisation.
 *   r: n equal shells of width h = R/n, faces r_{k+½} = (k+1) h, centres r_k = (k+½) h.
 *      Exact shell volumes v_k = (r_{k+½}³ − r_{k−½}³)/3 and face areas a_f = r_f² (the common
 *      factor 4π is dropped everywhere). Finite-volume balance of cell k:
 *        v_k dc_k/dt = G_{k+½} − G_{k−½},
 *        G_{k+½} = a_{k+½} D (1 + θ c̄_{k+½}) (c_{k+1} − c_k)/h,  c̄_{k+½} = (c_k + c_{k+1})/2,
 *        G_{½} = 0 (the centre face has zero area), G_{n−½} = R² j_n (imposed flux).
 *      Second order in h for smooth solutions. The surface value is extrapolated from the outer
 *      centre with the imposed flux, c_s = c_{n−1} + (h/2) ∂c/∂r|_R, where ∂c/∂r|_R =
 *      j_n/(D(1 + θ c_s)) — a quadratic in c_s, solved in closed form (error O(h²)).
 *   t: constant step Δt = tEnd/nSteps; backward Euler (order 1) or BDF2 (order 2, first step BE):
 *        BDF1: (c^m − c^{m−1})/Δt = L(c^m),   BDF2: (3c^m − 4c^{m−1} + c^{m−2})/(2Δt) = L(c^m).
 *   Newton on the nonlinear system, exact Jacobian (tridiagonal), Thomas algorithm.
 *
 * Li conservation. Summing the cell balances telescopes the interior fluxes: for BDF1
 * Σ v_k (c^m − c^{m−1}) = Δt R² j_n, for BDF2 3M^m − 4M^{m−1} + M^{m−2} = 2Δt R² j_n with
 * M = Σ v_k c_k; by induction (M^m = M⁰ + R² j_n t_m satisfies both) the discrete Li content is
 *   4π M(t) = c0 · (4π R³/3) + (i/F) · 4π R² · t
 * up to the Newton residual and round-off; `balanceError` reports the relative deviation.
 */
import { FARADAY, GAS_CONSTANT } from '../../src/physics/constants.js';

/** Material, geometry and operating parameters (SI). */
export interface ZssParams {
  /** Young's modulus E [Pa]. */
  E: number;
  /** Poisson ratio ν [-]. */
  nu: number;
  /** Li diffusivity D [m²/s]. */
  D: number;
  /** Partial molar volume Ω [m³/mol]. */
  Omega: number;
  /** Maximum concentration c_max [mol/m³] (used for normalisation only, not a constraint). */
  cMax: number;
  /** Particle radius R [m]. */
  R: number;
  /** Current density on the particle surface i [A/m²]; > 0 = Li inserted. */
  current: number;
  /** Temperature T [K]. */
  T: number;
  /** Gas constant R_g [J/(mol K)]. */
  Rg: number;
  /** Faraday constant F [C/mol]. */
  F: number;
  /** Initial uniform concentration c0 [mol/m³]. */
  c0: number;
}

/**
 * The ZSS 2007 case (LiMn₂O₄-like particle). T = 298 K is our choice of the (room) temperature;
 * c0 = 0 (insertion into an empty particle) is the default initial state — override it with
 * `{ ...ZSS_2007_PARAMS, c0: … }`.
 */
export const ZSS_2007_PARAMS: Readonly<ZssParams> = Object.freeze({
  E: 10e9,
  nu: 0.3,
  D: 7.08e-15,
  Omega: 3.497e-6,
  cMax: 2.29e4,
  R: 5e-6,
  current: 2,
  T: 298,
  Rg: GAS_CONSTANT, // 8.314462618
  F: FARADAY, // 96485.33212
  c0: 0,
});

/** Two-way coupling coefficient θ = 2Ω²E / (9 R_g T (1 − ν)) [m³/mol]. */
export function couplingTheta(p: ZssParams): number {
  return (2 * p.Omega * p.Omega * p.E) / (9 * p.Rg * p.T * (1 - p.nu));
}

/** Stress scale K = Ω E / (3(1 − ν)) [Pa·m³/mol] of the formulas above. */
export function stressFactor(p: ZssParams): number {
  return (p.Omega * p.E) / (3 * (1 - p.nu));
}

// ---------------------------------------------------------------------------------------------
// Linear algebra

/**
 * Thomas algorithm for a tridiagonal system: lower[k] multiplies x[k−1] (lower[0] unused),
 * diag[k] x[k], upper[k] x[k+1] (upper[n−1] unused). No pivoting: meant for the diagonally
 * dominant M-matrices of implicit diffusion. `rhs` is overwritten by the solution (also returned);
 * `work` (length ≥ n) holds the modified upper diagonal.
 */
export function solveTridiagonal(
  lower: Float64Array, diag: Float64Array, upper: Float64Array, rhs: Float64Array,
  work: Float64Array = new Float64Array(diag.length),
): Float64Array {
  const n = diag.length;
  // Forward elimination: row k becomes x_k + w_k x_{k+1} = rhs_k.
  let piv = diag[0];
  if (piv === 0) throw new Error('solveTridiagonal: zero pivot in row 0');
  work[0] = upper[0] / piv;
  rhs[0] /= piv;
  for (let k = 1; k < n; k++) {
    piv = diag[k] - lower[k] * work[k - 1];
    if (piv === 0) throw new Error(`solveTridiagonal: zero pivot in row ${k}`);
    work[k] = k < n - 1 ? upper[k] / piv : 0;
    rhs[k] = (rhs[k] - lower[k] * rhs[k - 1]) / piv;
  }
  // Back substitution.
  for (let k = n - 2; k >= 0; k--) rhs[k] -= work[k] * rhs[k + 1];
  return rhs;
}

// ---------------------------------------------------------------------------------------------
// Solver

export interface ZssRadialOptions {
  params: ZssParams;
  /** Number of radial cells (equal shells), ≥ 2. */
  n: number;
  /** Time step [s]; the effective step is tEnd / round(tEnd / dt). Give dt or nSteps. */
  dt?: number;
  /** Number of time steps (takes precedence over dt). */
  nSteps?: number;
  /** Final time [s]. */
  tEnd: number;
  /** true: D_eff = D(1 + θc) (two-way); false: θ = 0 (one-way, Fickian). */
  twoWay: boolean;
  /** 1 = backward Euler, 2 = BDF2 with a backward-Euler first step (default 2). */
  order?: 1 | 2;
  /** Record the time history of c_surface (default false). */
  history?: boolean;
  /** Newton: stop when max |update| ≤ newtonTol · c_scale (default 1e-13). */
  newtonTol?: number;
  /** Default 30. */
  maxNewtonIterations?: number;
}

export interface ZssRadialResult {
  /** Cell centres r_k = (k + ½) R/n [m]. */
  r: Float64Array;
  /** Cell concentrations at tEnd [mol/m³]. */
  c: Float64Array;
  /** Surface concentration at tEnd, extrapolated with the imposed flux (second order). */
  cSurface: number;
  /** Volume mean Σ v_k c_k / (R³/3) at tEnd. */
  cAvg: number;
  /** θ used [m³/mol] (0 for one-way). */
  theta: number;
  /** Relative Li balance error |M − M_expected| / M_expected at tEnd (M in mol). */
  balanceError: number;
  /** Li content at tEnd and its exact value c0·V + (i/F)·4πR²·t [mol]. */
  liTotal: number;
  liExpected: number;
  /** Effective time step and number of steps. */
  dt: number;
  nSteps: number;
  /** Largest number of Newton iterations in one step. */
  maxNewtonIterations: number;
  /** With `history`: t_m (m = 0..nSteps) and c_surface(t_m). */
  times?: Float64Array;
  cSurfaceHistory?: Float64Array;
}

/**
 * Surface value from the outer centre value cN and the imposed flux jn:
 * D (1 + θ c_s)(c_s − cN)/(h/2) = jn, i.e. θ c_s² + (1 − θ cN) c_s − (cN + jn h/(2D)) = 0.
 * The root that tends to cN + jn h/(2D) as θ → 0 is taken, in a cancellation-free form.
 */
function extrapolateSurface(cN: number, jn: number, h: number, D: number, theta: number): number {
  const C = cN + (jn * h) / (2 * D);
  if (theta === 0) return C;
  const b = 1 - theta * cN;
  const disc = Math.sqrt(b * b + 4 * theta * C);
  // x = (−b + disc)/(2θ) = 2C/(b + disc); use the form without subtraction of close numbers.
  return b > 0 ? (2 * C) / (b + disc) : (disc - b) / (2 * theta);
}

/** Solve the radial ZSS problem; see the file header for the equations and the scheme. */
export function solveZssRadial(opts: ZssRadialOptions): ZssRadialResult {
  const p = opts.params;
  const n = opts.n;
  if (!(Number.isInteger(n) && n >= 2)) throw new Error('solveZssRadial: n must be an integer ≥ 2');
  if (!(opts.tEnd > 0)) throw new Error('solveZssRadial: tEnd must be > 0');
  let nSteps: number;
  if (opts.nSteps !== undefined) nSteps = opts.nSteps;
  else if (opts.dt !== undefined) nSteps = Math.max(1, Math.round(opts.tEnd / opts.dt));
  else throw new Error('solveZssRadial: give dt or nSteps');
  if (!(Number.isInteger(nSteps) && nSteps >= 1)) throw new Error('solveZssRadial: nSteps must be an integer ≥ 1');
  const dt = opts.tEnd / nSteps;
  const order = opts.order ?? 2;
  const theta = opts.twoWay ? couplingTheta(p) : 0;
  const tol = opts.newtonTol ?? 1e-13;
  const maxIt = opts.maxNewtonIterations ?? 30;

  const R = p.R, D = p.D, h = R / n;
  const jn = p.current / p.F; // Li flux into the particle [mol/(m² s)]
  // Geometry without 4π: centres, face areas r_f² (faces f = 0..n, r_f = f h), shell volumes.
  const r = new Float64Array(n), area = new Float64Array(n + 1), vol = new Float64Array(n);
  for (let k = 0; k < n; k++) r[k] = (k + 0.5) * h;
  for (let f = 0; f <= n; f++) area[f] = (f * h) * (f * h);
  for (let k = 0; k < n; k++) {
    const ro = (k + 1) * h, ri = k * h;
    vol[k] = (ro * ro * ro - ri * ri * ri) / 3;
  }
  const boundaryFlux = R * R * jn; // G at the outer face (divided by 4π)
  // Concentration scale for the Newton test: the larger of c0 and the flux-driven range jR/D.
  const cScale = Math.max(Math.abs(p.c0), Math.abs(jn) * R / D, 1e-300);

  const c = new Float64Array(n).fill(p.c0);
  const cOld = new Float64Array(n).fill(p.c0); // c^{m−1}
  const cOld2 = new Float64Array(n).fill(p.c0); // c^{m−2}
  const hist = new Float64Array(n);
  const res = new Float64Array(n), lo = new Float64Array(n), di = new Float64Array(n), up = new Float64Array(n);
  const work = new Float64Array(n);

  const times = opts.history ? new Float64Array(nSteps + 1) : undefined;
  const cSurfaceHistory = opts.history ? new Float64Array(nSteps + 1) : undefined;
  if (times && cSurfaceHistory) {
    times[0] = 0;
    cSurfaceHistory[0] = extrapolateSurface(c[n - 1], jn, h, D, theta);
  }

  let maxNewton = 0;
  for (let m = 1; m <= nSteps; m++) {
    // Time-derivative weights: dc/dt ≈ (a0 c^m − hist)/Δt.
    const bdf2 = order === 2 && m >= 2;
    const a0 = bdf2 ? 1.5 : 1;
    for (let k = 0; k < n; k++) hist[k] = bdf2 ? 2 * cOld[k] - 0.5 * cOld2[k] : cOld[k];
    // Predictor: the previous value (linear extrapolation would not change the converged result).
    c.set(cOld);

    let converged = false;
    let it = 0;
    for (; it < maxIt; it++) {
      // Residual res_k = v_k (a0 c_k − hist_k)/Δt − (G_{k+½} − G_{k−½}) and its Jacobian.
      for (let k = 0; k < n; k++) {
        res[k] = (vol[k] * (a0 * c[k] - hist[k])) / dt;
        di[k] = (vol[k] * a0) / dt;
        lo[k] = 0;
        up[k] = 0;
      }
      for (let k = 0; k + 1 < n; k++) {
        // Interior face between cells k (left) and k+1 (right), face index k+1.
        const cl = c[k], cr = c[k + 1];
        const g = (area[k + 1] * D) / h;
        const deff = 1 + theta * 0.5 * (cl + cr);
        const G = g * deff * (cr - cl);
        // ∂G/∂c_r = g [θ/2 (c_r − c_l) + (1 + θ c̄)],  ∂G/∂c_l = g [θ/2 (c_r − c_l) − (1 + θ c̄)]
        const dGr = g * (0.5 * theta * (cr - cl) + deff);
        const dGl = g * (0.5 * theta * (cr - cl) - deff);
        // Cell k gains G (outer face), cell k+1 loses G (inner face).
        res[k] -= G;
        di[k] -= dGl;
        up[k] -= dGr;
        res[k + 1] += G;
        di[k + 1] += dGr;
        lo[k + 1] += dGl;
      }
      res[n - 1] -= boundaryFlux;
      // Newton update: J δ = −res.
      for (let k = 0; k < n; k++) res[k] = -res[k];
      solveTridiagonal(lo, di, up, res, work);
      let maxUpd = 0;
      for (let k = 0; k < n; k++) {
        c[k] += res[k];
        const a = Math.abs(res[k]);
        if (a > maxUpd) maxUpd = a;
      }
      if (!Number.isFinite(maxUpd)) throw new Error(`solveZssRadial: non-finite Newton update at step ${m}`);
      if (maxUpd <= tol * cScale) {
        converged = true;
        it++;
        break;
      }
    }
    if (!converged) throw new Error(`solveZssRadial: Newton did not converge at step ${m}`);
    if (it > maxNewton) maxNewton = it;
    cOld2.set(cOld);
    cOld.set(c);
    if (times && cSurfaceHistory) {
      times[m] = m * dt;
      cSurfaceHistory[m] = extrapolateSurface(c[n - 1], jn, h, D, theta);
    }
  }

  // Li balance (mol): 4π Σ v_k c_k against c0 V + j_n 4π R² t.
  let M = 0;
  for (let k = 0; k < n; k++) M += vol[k] * c[k];
  const liTotal = 4 * Math.PI * M;
  const liExpected = p.c0 * (4 / 3) * Math.PI * R * R * R + jn * 4 * Math.PI * R * R * opts.tEnd;
  const balanceError = Math.abs(liTotal - liExpected) / Math.abs(liExpected);

  const result: ZssRadialResult = {
    r, c,
    cSurface: extrapolateSurface(c[n - 1], jn, h, D, theta),
    cAvg: (3 * M) / (R * R * R),
    theta, balanceError, liTotal, liExpected,
    dt, nSteps, maxNewtonIterations: maxNewton,
  };
  if (times && cSurfaceHistory) {
    result.times = times;
    result.cSurfaceHistory = cSurfaceHistory;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Stresses

export interface ZssStresses {
  /** σ_r, σ_θ, σ_h at the cell centres [Pa] (tension > 0). */
  sigmaR: Float64Array;
  sigmaTheta: Float64Array;
  sigmaH: Float64Array;
  /** Volume mean 3 I(R)/R³ of the profile [mol/m³]. */
  cAvg: number;
  /** Values at r = R: σ_r = 0, σ_θ = K (c_avg − c_s), σ_h = (2K/3)(c_avg − c_s). */
  surface: { c: number; sigmaR: number; sigmaTheta: number; sigmaH: number };
}

/**
 * Stresses of the traction-free sphere (formulas in the file header) for a profile given at the
 * centres r_k = (k + ½) R/n of n equal shells (R = params.R, as returned by solveZssRadial).
 *
 * Quadrature of I(r) consistent with the finite volumes: each cell value is taken constant over
 * its shell (so I at the faces is exactly the discrete Li content inside), and
 *   I(r_k) = Σ_{j<k} c_j v_j + c_k (r_k³ − r_{k−½}³)/3,   I(R) = Σ_j c_j v_j.
 * For smooth profiles given as point values this is O(h²) accurate; a uniform c gives
 * I(r_k)/r_k³ = I(R)/R³ = c/3 exactly, hence zero stress to round-off.
 *
 * cSurface: the concentration at r = R for the surface hoop stress; by default it is extrapolated
 * from the last three centres by the quadratic through them (third-order point value).
 */
export function stressesFromProfile(
  r: ArrayLike<number>, c: ArrayLike<number>, params: ZssParams, cSurface?: number,
): ZssStresses {
  const n = c.length;
  if (r.length !== n || n < 3) throw new Error('stressesFromProfile: r and c must have the same length ≥ 3');
  const R = params.R, h = R / n;
  for (let k = 0; k < n; k++) {
    if (Math.abs(r[k] - (k + 0.5) * h) > 1e-9 * h) {
      throw new Error('stressesFromProfile: r must be the centres (k+½)R/n of n equal shells');
    }
  }
  const K = stressFactor(params);
  // Cumulative shell integrals (4π dropped): Ik = I(r_k) at centres, IR = I(R).
  const Ik = new Float64Array(n);
  let inner = 0; // I(r_{k−½})
  for (let k = 0; k < n; k++) {
    const ri = k * h, ro = (k + 1) * h, rc = r[k];
    Ik[k] = inner + (c[k] * (rc * rc * rc - ri * ri * ri)) / 3;
    inner += (c[k] * (ro * ro * ro - ri * ri * ri)) / 3;
  }
  const IR = inner;
  const meanTerm = IR / (R * R * R); // = c_avg / 3
  const sigmaR = new Float64Array(n), sigmaTheta = new Float64Array(n), sigmaH = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const q = Ik[k] / (r[k] * r[k] * r[k]);
    sigmaR[k] = 2 * K * (meanTerm - q);
    sigmaTheta[k] = K * (2 * meanTerm + q - c[k]);
    sigmaH[k] = (sigmaR[k] + 2 * sigmaTheta[k]) / 3;
  }
  // Quadratic through (r_{n−3}, r_{n−2}, r_{n−1}) evaluated at R = r_{n−1} + h/2 (ξ = 1.5 in
  // units of h from the last centre, Lagrange weights for nodes at ξ = −2, −1, 0: 3/8, −5/4, 15/8).
  const cs = cSurface ?? (0.375 * c[n - 3] - 1.25 * c[n - 2] + 1.875 * c[n - 1]);
  const cAvg = 3 * meanTerm;
  return {
    sigmaR, sigmaTheta, sigmaH, cAvg,
    surface: { c: cs, sigmaR: 0, sigmaTheta: K * (cAvg - cs), sigmaH: ((2 * K) / 3) * (cAvg - cs) },
  };
}

// ---------------------------------------------------------------------------------------------
// Closed form (θ = 0)

/**
 * First m positive roots α_n ∈ (nπ, nπ + π/2) of α cot α = 1 (⇔ tan α = α), by a safeguarded
 * Newton iteration on f(α) = sin α − α cos α (f' = α sin α), started near the asymptote
 * (n + ½)π − 1/((n + ½)π).
 */
export function tanAlphaRoots(m: number): Float64Array {
  const roots = new Float64Array(m);
  for (let i = 1; i <= m; i++) {
    let lo = i * Math.PI, hi = (i + 0.5) * Math.PI;
    const q = (i + 0.5) * Math.PI;
    let a = q - 1 / q;
    for (let it = 0; it < 100; it++) {
      const f = Math.sin(a) - a * Math.cos(a);
      // Sign of f on the bracket: f(iπ) = −iπ cos(iπ) has sign (−1)^{i+1}; shrink the bracket.
      const fLoSign = i % 2 === 1 ? 1 : -1;
      if (Math.sign(f) === fLoSign) lo = a; else hi = a;
      let next = a - f / (a * Math.sin(a));
      if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
      const done = Math.abs(next - a) <= 4e-16 * a;
      a = next;
      if (done) break;
    }
    roots[i - 1] = a;
  }
  return roots;
}

const SERIES_ROOTS = tanAlphaRoots(400);

/**
 * Constant flux j_n into a sphere with constant D (Crank, The Mathematics of Diffusion, the
 * constant-flux sphere solution, "eq. 6.60 form"):
 *
 *   c = c0 + (j_n R/D) [ 3Fo + ρ²/2 − 3/10 − (2/ρ) Σ_n sin(α_n ρ)/(α_n² sin α_n) e^{−α_n² Fo} ],
 *   ρ = r/R, Fo = D t/R², α_n cot α_n = 1.
 *
 * Derivation check. In scaled form (u = (c − c0) D/(j_n R)) the problem is ∂u/∂Fo =
 * ρ⁻² ∂_ρ(ρ² ∂_ρ u), ∂_ρ u(1) = 1, u(ρ, 0) = 0. P = 3Fo + ρ²/2 − 3/10 satisfies the PDE
 * (∂P/∂Fo = 3 = ρ⁻² ∂_ρ(ρ³)) and the flux condition ∂_ρ P(1) = 1, and has zero volume mean at
 * Fo = 0 (the mean of ρ² over the ball is 3/5). The eigenfunctions φ_n = sin(α_n ρ)/ρ satisfy
 * φ_n'(1) = α cos α − sin α = 0 ⇔ tan α = α, and have zero volume mean (∫₀¹ ρ sin αρ dρ =
 * (sin α − α cos α)/α² = 0). The coefficients b_n of ρ²/2 − 3/10 = Σ b_n φ_n are
 *   b_n = ½∫₀¹ ρ³ sin αρ dρ / ∫₀¹ sin² αρ dρ = (sin α/α²) / (sin²α/2) = 2/(α² sin α),
 * using ∫₀¹ ρ³ sin αρ dρ = 2 sin α/α² and ∫₀¹ sin² αρ dρ = (1 − sin²α/α²)/2 = sin²α/2 when
 * tan α = α; so c(·, 0) = c0. Hence the mean is c0 + 3 j_n t/R (the exact Li balance).
 */
export function crankConstantFluxSphere(r: number, t: number, p: ZssParams): number {
  const rho = r / p.R;
  const Fo = (p.D * t) / (p.R * p.R);
  let s = 0;
  for (let i = 0; i < SERIES_ROOTS.length; i++) {
    const a = SERIES_ROOTS[i];
    const e = Math.exp(-a * a * Fo);
    if (e < 1e-20) break;
    const phi = rho > 1e-14 ? Math.sin(a * rho) / rho : a; // sin(αρ)/ρ → α at the centre
    s += (phi * e) / (a * a * Math.sin(a));
  }
  const jn = p.current / p.F;
  return p.c0 + ((jn * p.R) / p.D) * (3 * Fo + 0.5 * rho * rho - 0.3 - 2 * s);
}

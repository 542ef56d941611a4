/**
 * Independent pseudo-2D (Newman / P2D / DFN) reference solver for the verification tests.
 *
 * It is deliberately self-contained: it imports nothing from src/assembly or src/sim (only the
 * physical constants), so that the 3D voxel solver can be checked against it.
 *
 * Geometry (1D in x, half cell):
 *
 *   x = 0                    Li-metal foil (Butler–Volmer, φ_metal = 0 is the reference)
 *   0 < x < L_sep            separator (porosity ε_sep, transport factor β_sep)
 *   L_sep < x < L_sep+L_pos  porous positive electrode (ε, ε_s, β_e, β_s)
 *   x = L_sep + L_pos        current collector (V = φ_s there)
 *
 * Each electrode point carries one representative particle: a SLAB of half-thickness ℓ
 * (0 ≤ r ≤ ℓ, symmetry at r = 0, reaction at r = ℓ; specific area a = ε_s/ℓ) — the geometry of a
 * layered RVE made of flat plates — or a SPHERE of radius R (a = 3 ε_s/R). a is always derived
 * from ε_s and the particle size so that the solid and electrolyte Li balances are exactly
 * consistent.
 *
 * Equations (SI; j > 0 anodic = Li leaves the solid; I > 0 = CHARGE = delithiation):
 *
 *   solid      ∂c_s/∂t = r^{-k} ∂/∂r (r^k D_s ∂c_s/∂r)   (k = 0 slab, 2 sphere),
 *              −D_s ∂c_s/∂r |_{r=ℓ} = j/F,  ∂c_s/∂r|_{r=0} = 0
 *   φ_s        ∂/∂x(σ_eff ∂φ_s/∂x) = a j,   σ_eff = β_s σ,
 *              i_s = −σ_eff ∂φ_s/∂x:  i_s(L_sep) = 0,  i_s(L) = −I
 *   electrolyte ε ∂c_e/∂t = −∂N/∂x + a j/F,  N = −D_eff ∂c_e/∂x + t₊ i_e/F
 *              i_e = −κ_eff ∂φ_e/∂x + κ_eff ν ∂ln c_e/∂x,  ν = (2RT/F)(1−t₊) TDF
 *              ∂i_e/∂x = a j  (a = 0 in the separator),  i_e(L) = 0, N(L) = 0
 *              κ_eff = β_e κ, D_eff = β_e D (β_e = ε/τ: for straight channels τ = 1 ⇒ β_e = ε)
 *   Li metal   i_e(0) = j_Li,  N(0) = j_Li/F,
 *              j_Li = i0_Li(c_e(0)) [exp(α_a F η/RT) − exp(−α_c F η/RT)],  η = 0 − φ_e(0)
 *   kinetics   j = i0(c_e, c_s,surf) [exp(α_a F η/RT) − exp(−α_c F η/RT)],
 *              η = φ_s − φ_e − U(c_s,surf/c_max)
 *   output     V = φ_s(L) − φ_metal = φ_s(L)
 *
 * Discretisation:
 *   x: vertex-centred finite volumes. Nodes at x_i = i h_sep (i ≤ N_sep) and
 *      L_sep + k h_pos; the control volume of a node is [x_{i−1/2}, x_{i+1/2}], so the three
 *      boundary/interface nodes (x = 0, L_sep, L) own HALF cells (the interface node owns one half
 *      in each region). Every face lies in one region; face properties are β_region times the
 *      HARMONIC mean of κ(c), D(c) at the two nodes, arithmetic means for t₊ and ν; the diffusion
 *      potential uses the difference of ln c. Second order in h on smooth solutions.
 *   r: N_r cell-centred finite volumes of width Δr = ℓ/N_r (shell volumes for the sphere),
 *      harmonic face mean of D_s(c). The surface concentration is extrapolated from the outer
 *      cell with the imposed flux: c_surf = c_{N_r} − (j/F)(Δr/2)/D_s(c_{N_r}) (second order).
 *   t: backward Euler ('be') or constant-step BDF2 ('bdf2', first step BE).
 *   unknowns per x-node (block of m = 4 + N_r): [c_e, φ_e, φ_s, j, c_s,1..c_s,N_r]; in the
 *      separator the φ_s, j, c_s slots are dummies fixed at 0 (residual = value). With this
 *      ordering the Jacobian is block tridiagonal.
 *   Newton: fully coupled; Jacobian by coloured forward differences (3 colours × m variables,
 *      exact sparsity), block-tridiagonal LU (block Thomas, partial pivoting inside the blocks):
 *      a direct banded solve, no iterative solver. Converged when the max scaled update is below
 *      `newtonTol` (scales: c_e0, RT/F, j_ref = |I|/(a L_pos), c_max). A non-finite trial point
 *      is halved (at most 30 times). Failure throws with the last scaled residual.
 *
 * Li conservation: the solid, salt and both charge equations share the same j unknowns and are in
 * flux form, so the discrete change of (salt + solid Li) equals −∫ I dt / F up to the Newton
 * residual.
 *
 * Protocol: a constant current, optionally followed by further constant-current segments
 * (`then`); each segment restarts the time scheme with one backward-Euler step.
 * Diagnostics option: `positive.areaFactor` (x-dependent factor on the reacting area, see there).
 *
 * Verified in tests/verification/p2d-reference.test.ts (Part A): Li conserved to < 1e-10
 * relative; observed orders 2.0 in x, 2.0–2.1 in r (sphere and slab), 2.1–2.3 in t (BDF2) and
 * 1.0 (BE); the fast-transport limit matches the closed-form slab solution with an O(Δr²) error
 * (0.02 mV at nr = 32). docs/validation/p2d-reference.md has the numbers.
 */
import { FARADAY, GAS_CONSTANT } from '../../src/physics/constants.js';

/** A property given as a constant or as a function of (c_e [mol/m³], T [K]). */
export type ElectrolyteLaw = number | ((ce: number, T: number) => number);

export interface P2dParams {
  /** Temperature [K] (isothermal). */
  temperature: number;
  electrolyte: {
    /** Initial (uniform) salt concentration [mol/m³]. */
    c0: number;
    /** D_e [m²/s]. */
    diffusivity: ElectrolyteLaw;
    /** κ [S/m]. */
    conductivity: ElectrolyteLaw;
    /** t₊ [-]. */
    transference: ElectrolyteLaw;
    /** Thermodynamic factor 1 + ∂ln f/∂ln c [-]. */
    thermodynamicFactor: ElectrolyteLaw;
  };
  separator: {
    /** L_sep [m] (> 0). */
    thickness: number;
    /** ε_sep [-]. */
    porosity: number;
    /** β_e (κ_eff = β_e κ); default porosity^bruggeman. */
    betaE?: number;
    /** Bruggeman exponent for the default β_e (1.5). */
    bruggeman?: number;
  };
  positive: {
    /** L_pos [m]. */
    thickness: number;
    /** ε (electrolyte volume fraction) [-]. */
    porosity: number;
    /** ε_s (active-material volume fraction) [-]. */
    activeFraction: number;
    /** β_e of the electrode; default porosity^bruggeman (use β_e = ε for straight channels). */
    betaE?: number;
    /** β_s (σ_eff = β_s σ); default activeFraction^bruggeman (β_s = ε_s for straight plates). */
    betaS?: number;
    bruggeman?: number;
    /** Intrinsic electronic conductivity σ of the solid [S/m]. */
    conductivity: number;
    particle: {
      shape: 'slab' | 'sphere';
      /** Half-thickness ℓ (slab) or radius R (sphere) [m]. */
      size: number;
      /** D_s [m²/s], constant or function of (c_s, T). */
      diffusivity: number | ((cs: number, T: number) => number);
      /** c_max [mol/m³]. */
      cMax: number;
      /** Initial uniform concentration [mol/m³]. */
      c0: number;
    };
    /** U(x, T) [V] with x = c_s,surf / c_max. */
    ocp: (x: number, T: number) => number;
    /** i0(c_e, c_s,surf, c_max, T) [A/m²]. */
    exchangeCurrent: (ce: number, cs: number, cMax: number, T: number) => number;
    alphaA: number;
    alphaC: number;
    /**
     * Optional factor f(x) on the reacting area (default 1): the reaction per electrode volume is
     * f a j and the Li flux into the particle f j/F (the kinetics and the surface extrapolation
     * still use j). It mimics a voxel model whose corrected face areas differ from the nominal
     * ones (diagnostics only); Li stays conserved.
     */
    areaFactor?: number | ((x: number) => number);
  };
  lithium: {
    /** i0 of the Li-metal foil [A/m²], constant or function of (c_e(0), T). */
    exchangeCurrent: ElectrolyteLaw;
    alphaA: number;
    alphaC: number;
  };
}

export interface P2dProtocol {
  /** Applied current density per electrode area [A/m²]; > 0 = charge (delithiation of the positive). */
  current: number;
  /** Duration [s] (rounded to an integer number of steps of ≈ numerics.dt). */
  duration: number;
  /** Stop after the first step with V > vMax. */
  vMax?: number;
  /** Stop after the first step with V < vMin. */
  vMin?: number;
  /**
   * Further constant-current segments run after the first one (current, duration as above);
   * each segment restarts the time scheme with one backward-Euler step, as src/sim/run.ts does
   * at a protocol step.
   */
  then?: { current: number; duration: number }[];
}

export interface P2dNumerics {
  /** Number of x cells in the separator and in the electrode (≥ 1 each). */
  nxSep: number;
  nxPos: number;
  /** Number of radial cells (≥ 1). */
  nr: number;
  /** Time step [s]; the effective step is duration / round(duration / dt). */
  dt: number;
  /** 'be' (default) or 'bdf2'. */
  scheme?: 'be' | 'bdf2';
  /** Max scaled Newton update at convergence (default 1e-10). */
  newtonTol?: number;
  /** Default 40. */
  maxNewtonIterations?: number;
  /** Store full profiles every k steps (and always the final one). Default: only the final one. */
  snapshotEvery?: number;
}

export interface P2dProfiles {
  t: number;
  /** Node coordinates (all x nodes) [m]. */
  x: Float64Array;
  /** c_e, φ_e at all nodes. */
  ce: Float64Array;
  phiE: Float64Array;
  /** Electrode nodes only (index k ↔ x[nxSep + k]). */
  xPos: Float64Array;
  phiS: Float64Array;
  j: Float64Array;
  csSurf: Float64Array;
  /** cs[k][q]: radial cell q of the particle at electrode node k. */
  cs: Float64Array[];
  /** Per electrode node: volume-mean stoichiometry c̄_s / c_max. */
  socMean: Float64Array;
}

export interface P2dResult {
  /** t[0] = 0 (rest, V = OCV), then one entry per step. */
  t: number[];
  V: number[];
  /** Electrode-mean stoichiometry c̄_s/c_max (volume weighted) per entry of t. */
  socElectrode: number[];
  /** Changes since t = 0 of the Li in the electrolyte (Σ ε ΔV (c_e − c_e0)) and in the solid [mol/m²]. */
  liElectrolyteChange: number[];
  liSolidChange: number[];
  /** Newton iterations per step (entry 0 unused = 0). */
  newtonIterations: number[];
  stoppedBy: 'duration' | 'vMax' | 'vMin';
  /** Linear interpolation of the cut-off crossing time (when stopped by a cut-off). */
  tCutoff?: number;
  /** Specific area a [1/m], effective step [s], grid sizes. */
  specificArea: number;
  dt: number;
  final: P2dProfiles;
  snapshots: P2dProfiles[];
}

const law = (p: ElectrolyteLaw): ((c: number, T: number) => number) => (typeof p === 'number' ? () => p : p);

/** Dense in-place LU with partial pivoting of an m×m row-major block. */
function luFactor(a: Float64Array, m: number, piv: Int32Array): void {
  for (let k = 0; k < m; k++) {
    let p = k;
    let best = Math.abs(a[k * m + k]);
    for (let i = k + 1; i < m; i++) {
      const v = Math.abs(a[i * m + k]);
      if (v > best) { best = v; p = i; }
    }
    if (!(best > 0) || !Number.isFinite(best)) throw new Error(`p2d: singular Jacobian block (column ${k})`);
    piv[k] = p;
    if (p !== k) {
      for (let c = 0; c < m; c++) { const t = a[k * m + c]; a[k * m + c] = a[p * m + c]; a[p * m + c] = t; }
    }
    const d = a[k * m + k];
    for (let i = k + 1; i < m; i++) {
      const l = (a[i * m + k] /= d);
      if (l !== 0) for (let c = k + 1; c < m; c++) a[i * m + c] -= l * a[k * m + c];
    }
  }
}

/** Solve LU x = b in place for `ncol` right-hand sides stored row-major as b[row*ncol + col]. */
function luSolve(a: Float64Array, m: number, piv: Int32Array, b: Float64Array, ncol: number): void {
  for (let k = 0; k < m; k++) {
    const p = piv[k];
    if (p !== k) for (let c = 0; c < ncol; c++) { const t = b[k * ncol + c]; b[k * ncol + c] = b[p * ncol + c]; b[p * ncol + c] = t; }
  }
  for (let i = 1; i < m; i++) {
    for (let k = 0; k < i; k++) {
      const l = a[i * m + k];
      if (l !== 0) for (let c = 0; c < ncol; c++) b[i * ncol + c] -= l * b[k * ncol + c];
    }
  }
  for (let i = m - 1; i >= 0; i--) {
    for (let k = i + 1; k < m; k++) {
      const u = a[i * m + k];
      if (u !== 0) for (let c = 0; c < ncol; c++) b[i * ncol + c] -= u * b[k * ncol + c];
    }
    const d = a[i * m + i];
    for (let c = 0; c < ncol; c++) b[i * ncol + c] /= d;
  }
}

/**
 * Block-tridiagonal solve (block Thomas): rows of block i are A[i] x_{i−1} + B[i] x_i + C[i] x_{i+1} = d_i.
 * A, B, C are destroyed; d is overwritten by the solution.
 */
function blockTridiagonalSolve(A: Float64Array[], B: Float64Array[], C: Float64Array[], d: Float64Array, m: number): void {
  const n = B.length;
  const piv = new Int32Array(m);
  const tmp = new Float64Array(m * m);
  for (let i = 0; i < n; i++) {
    const Bi = B[i];
    const di = d.subarray(i * m, (i + 1) * m);
    if (i > 0) {
      // B_i −= A_i G_{i−1}  (G_{i−1} stored in C[i−1]);  d_i −= A_i y_{i−1}
      const Ai = A[i], G = C[i - 1], y = d.subarray((i - 1) * m, i * m);
      for (let r = 0; r < m; r++) {
        let s = 0;
        for (let k = 0; k < m; k++) {
          const aik = Ai[r * m + k];
          if (aik === 0) continue;
          s += aik * y[k];
          const gk = k * m, br = r * m;
          for (let c = 0; c < m; c++) Bi[br + c] -= aik * G[gk + c];
        }
        di[r] -= s;
      }
    }
    luFactor(Bi, m, piv);
    luSolve(Bi, m, piv, di, 1);
    if (i < n - 1) {
      tmp.set(C[i]);
      luSolve(Bi, m, piv, tmp, m);
      C[i].set(tmp);
    }
  }
  for (let i = n - 2; i >= 0; i--) {
    const G = C[i], xi = d.subarray(i * m, (i + 1) * m), xn = d.subarray((i + 1) * m, (i + 2) * m);
    for (let r = 0; r < m; r++) {
      let s = 0;
      for (let c = 0; c < m; c++) s += G[r * m + c] * xn[c];
      xi[r] -= s;
    }
  }
}

/** Solve the P2D half-cell model under a constant current. See the module comment for the model. */
export function solveP2d(params: P2dParams, protocol: P2dProtocol, numerics: P2dNumerics): P2dResult {
  const T = params.temperature;
  const F = FARADAY;
  const fRT = F / (GAS_CONSTANT * T);
  const { electrolyte: el, separator: sep, positive: pos, lithium: li } = params;
  const { nxSep, nxPos, nr } = numerics;
  if (!(nxSep >= 1 && nxPos >= 1 && nr >= 1) || !Number.isInteger(nxSep) || !Number.isInteger(nxPos) || !Number.isInteger(nr)) {
    throw new RangeError('solveP2d: nxSep, nxPos, nr must be integers ≥ 1');
  }
  if (!(sep.thickness > 0 && pos.thickness > 0 && pos.particle.size > 0)) throw new RangeError('solveP2d: thicknesses and particle size must be > 0');
  const segments = [{ current: protocol.current, duration: protocol.duration }, ...(protocol.then ?? [])];
  if (!(numerics.dt > 0 && segments.every((sg) => sg.duration > 0))) throw new RangeError('solveP2d: dt and durations must be > 0');
  const scheme = numerics.scheme ?? 'be';
  const tol = numerics.newtonTol ?? 1e-10;
  const maxIt = numerics.maxNewtonIterations ?? 40;

  const kappaF = law(el.conductivity), DeF = law(el.diffusivity), tpF = law(el.transference), tdfF = law(el.thermodynamicFactor);
  const i0LiF = law(li.exchangeCurrent);
  const DsF = law(pos.particle.diffusivity);
  const U = pos.ocp, i0F = pos.exchangeCurrent;
  const cMax = pos.particle.cMax;
  const bSep = sep.bruggeman ?? 1.5, bPos = pos.bruggeman ?? 1.5;
  const betaSep = sep.betaE ?? Math.pow(sep.porosity, bSep);
  const betaE = pos.betaE ?? Math.pow(pos.porosity, bPos);
  const betaS = pos.betaS ?? Math.pow(pos.activeFraction, bPos);
  const sigmaEff = betaS * pos.conductivity;
  let I = protocol.current;

  // ---- x grid
  const Nn = nxSep + nxPos + 1;
  const hs = sep.thickness / nxSep, hp = pos.thickness / nxPos;
  const x = new Float64Array(Nn);
  for (let i = 0; i < Nn; i++) x[i] = i <= nxSep ? i * hs : sep.thickness + (i - nxSep) * hp;
  const nf = Nn - 1;
  const hf = new Float64Array(nf), betaF = new Float64Array(nf);
  for (let f = 0; f < nf; f++) {
    const inSep = f < nxSep;
    hf[f] = inSep ? hs : hp;
    betaF[f] = inSep ? betaSep : betaE;
  }
  const cvE = new Float64Array(Nn); // ∫ ε dx over the control volume
  const volE = new Float64Array(Nn); // electrode length in the control volume
  for (let i = 0; i < Nn; i++) {
    if (i > 0) {
      const inSep = i - 1 < nxSep;
      cvE[i] += (inSep ? sep.porosity : pos.porosity) * hf[i - 1] / 2;
      if (!inSep) volE[i] += hf[i - 1] / 2;
    }
    if (i < Nn - 1) {
      const inSep = i < nxSep;
      cvE[i] += (inSep ? sep.porosity : pos.porosity) * hf[i] / 2;
      if (!inSep) volE[i] += hf[i] / 2;
    }
  }

  // ---- r grid (per unit "area": slab volumes per unit area, sphere volumes / (4π))
  const ell = pos.particle.size;
  const dr = ell / nr;
  const sphere = pos.particle.shape === 'sphere';
  if (!sphere && pos.particle.shape !== 'slab') throw new RangeError(`solveP2d: unknown particle shape ${pos.particle.shape}`);
  const vol = new Float64Array(nr), area = new Float64Array(nr + 1); // area[q] at r = q Δr
  for (let q = 0; q <= nr; q++) area[q] = sphere ? (q * dr) ** 2 : 1;
  for (let q = 0; q < nr; q++) vol[q] = sphere ? (((q + 1) * dr) ** 3 - (q * dr) ** 3) / 3 : dr;
  const volTot = sphere ? ell ** 3 / 3 : ell;
  const aSpec = pos.activeFraction * area[nr] / volTot; // ε_s/ℓ or 3ε_s/R
  const epsS = pos.activeFraction;
  const af = new Float64Array(Nn).fill(1);
  if (pos.areaFactor !== undefined) {
    for (let i = nxSep; i < Nn; i++) af[i] = typeof pos.areaFactor === 'number' ? pos.areaFactor : pos.areaFactor(x[i]);
  }

  // ---- unknown layout
  const m = 4 + nr;
  const n = Nn * m;
  const CE = 0, PE = 1, PS = 2, JJ = 3, CS = 4;
  const cRef = el.c0;
  const vT = 1 / fRT;
  const iMax = Math.max(...segments.map((sg) => Math.abs(sg.current)));
  const iRef = iMax > 0 ? iMax : 1;
  const jRef = iRef / (aSpec * pos.thickness);
  const scale = new Float64Array(m);
  scale[CE] = cRef; scale[PE] = vT; scale[PS] = vT; scale[JJ] = jRef;
  for (let q = 0; q < nr; q++) scale[CS + q] = cMax;

  // time step of the current segment (the residual reads it)
  let dt = numerics.dt;

  // ---- scratch
  const kap = new Float64Array(Nn), De = new Float64Array(Nn), tp = new Float64Array(Nn), nu = new Float64Array(Nn), lnc = new Float64Array(Nn);
  const ieF = new Float64Array(nf), NF = new Float64Array(nf);
  const Dsq = new Float64Array(nr);
  const twoRTF = 2 / fRT;

  /** Scaled residual. w0 = coefficient of u, w1 of uOld, w2 of uOldOld in dc/dt·dt. */
  function residual(u: Float64Array, uOld: Float64Array, uOld2: Float64Array, w0: number, w1: number, w2: number, R: Float64Array): void {
    for (let i = 0; i < Nn; i++) {
      const c = u[i * m + CE];
      kap[i] = kappaF(c, T); De[i] = DeF(c, T);
      const t = tpF(c, T);
      tp[i] = t;
      nu[i] = twoRTF * (1 - t) * tdfF(c, T);
      lnc[i] = Math.log(c);
    }
    for (let f = 0; f < nf; f++) {
      const a = f, b = f + 1, h = hf[f];
      const kf = (betaF[f] * 2 * kap[a] * kap[b]) / (kap[a] + kap[b]);
      const Df = (betaF[f] * 2 * De[a] * De[b]) / (De[a] + De[b]);
      const ie = (-kf * (u[b * m + PE] - u[a * m + PE]) + kf * 0.5 * (nu[a] + nu[b]) * (lnc[b] - lnc[a])) / h;
      ieF[f] = ie;
      NF[f] = (-Df * (u[b * m + CE] - u[a * m + CE])) / h + (0.5 * (tp[a] + tp[b]) * ie) / F;
    }
    const etaLi = -u[PE];
    const jLi = i0LiF(u[CE], T) * (Math.exp(li.alphaA * fRT * etaLi) - Math.exp(-li.alphaC * fRT * etaLi));
    for (let i = 0; i < Nn; i++) {
      const b0 = i * m;
      const electrode = i >= nxSep;
      const jj = electrode ? u[b0 + JJ] : 0;
      const react = aSpec * af[i] * jj * volE[i]; // A/m²
      const ieL = i === 0 ? jLi : ieF[i - 1], ieR = i === Nn - 1 ? 0 : ieF[i];
      const NL = i === 0 ? jLi / F : NF[i - 1], NR = i === Nn - 1 ? 0 : NF[i];
      const dc = w0 * u[b0 + CE] + w1 * uOld[b0 + CE] + w2 * uOld2[b0 + CE]; // = dt · ∂c/∂t
      R[b0 + CE] = (cvE[i] * dc + dt * (NR - NL - react / F)) / (cvE[i] * cRef);
      R[b0 + PE] = (ieR - ieL - react) / iRef;
      if (!electrode) {
        for (let v = PS; v < m; v++) R[b0 + v] = u[b0 + v] / scale[v];
        continue;
      }
      // solid potential
      const isL = i === nxSep ? 0 : (-sigmaEff * (u[b0 + PS] - u[b0 - m + PS])) / hp;
      const isR = i === Nn - 1 ? -I : (-sigmaEff * (u[b0 + m + PS] - u[b0 + PS])) / hp;
      R[b0 + PS] = (isR - isL + react) / iRef;
      // kinetics
      const cN = u[b0 + CS + nr - 1];
      const DsN = DsF(cN, T);
      const cSurf = cN - ((jj / F) * (dr / 2)) / DsN;
      const eta = u[b0 + PS] - u[b0 + PE] - U(cSurf / cMax, T);
      const i0 = i0F(u[b0 + CE], cSurf, cMax, T);
      R[b0 + JJ] = (jj - i0 * (Math.exp(pos.alphaA * fRT * eta) - Math.exp(-pos.alphaC * fRT * eta))) / jRef;
      // solid diffusion
      for (let q = 0; q < nr; q++) Dsq[q] = q === nr - 1 ? DsN : DsF(u[b0 + CS + q], T);
      let qIn = 0; // outward flux × area at the inner face of cell q
      for (let q = 0; q < nr; q++) {
        let qOut: number;
        if (q === nr - 1) qOut = (area[nr] * af[i] * jj) / F;
        else {
          const Df = (2 * Dsq[q] * Dsq[q + 1]) / (Dsq[q] + Dsq[q + 1]);
          qOut = (-area[q + 1] * Df * (u[b0 + CS + q + 1] - u[b0 + CS + q])) / dr;
        }
        const k = b0 + CS + q;
        const dcs = w0 * u[k] + w1 * uOld[k] + w2 * uOld2[k];
        R[k] = (vol[q] * dcs + dt * (qOut - qIn)) / (vol[q] * cMax);
        qIn = qOut;
      }
    }
  }

  // ---- state
  const u = new Float64Array(n);
  const x0 = pos.particle.c0 / cMax;
  const ocv0 = U(x0, T);
  for (let i = 0; i < Nn; i++) {
    const b0 = i * m;
    u[b0 + CE] = el.c0;
    if (i >= nxSep) {
      u[b0 + PS] = ocv0;
      for (let q = 0; q < nr; q++) u[b0 + CS + q] = pos.particle.c0;
    }
  }
  const uOld = new Float64Array(u), uOld2 = new Float64Array(u), u0 = new Float64Array(u);
  const R = new Float64Array(n), Rp = new Float64Array(n), uTrial = new Float64Array(n), delta = new Float64Array(n);
  const Ab: Float64Array[] = [], Bb: Float64Array[] = [], Cb: Float64Array[] = [];
  for (let i = 0; i < Nn; i++) { Ab.push(new Float64Array(m * m)); Bb.push(new Float64Array(m * m)); Cb.push(new Float64Array(m * m)); }
  const sqrtEps = Math.sqrt(Number.EPSILON);

  function jacobian(w0: number, w1: number, w2: number): void {
    for (let i = 0; i < Nn; i++) { Ab[i].fill(0); Bb[i].fill(0); Cb[i].fill(0); }
    const up = new Float64Array(u);
    const hstep = new Float64Array(Nn);
    for (let color = 0; color < 3; color++) {
      for (let v = 0; v < m; v++) {
        up.set(u);
        let any = false;
        for (let i = color; i < Nn; i += 3) {
          if (i < nxSep && v >= PS) { hstep[i] = 0; continue; }
          const k = i * m + v;
          const h = sqrtEps * Math.max(Math.abs(u[k]), scale[v]);
          up[k] = u[k] + h;
          hstep[i] = up[k] - u[k];
          any = true;
        }
        if (!any) {
          // dummy columns: ∂R/∂u = 1/scale on the diagonal only
          for (let i = color; i < Nn; i += 3) Bb[i][v * m + v] = 1 / scale[v];
          continue;
        }
        residual(up, uOld, uOld2, w0, w1, w2, Rp);
        for (let i = color; i < Nn; i += 3) {
          const h = hstep[i];
          if (h === 0) { Bb[i][v * m + v] = 1 / scale[v]; continue; }
          for (const [blk, rowNode] of [[Cb, i - 1], [Bb, i], [Ab, i + 1]] as const) {
            if (rowNode < 0 || rowNode >= Nn) continue;
            const M = blk[rowNode];
            const base = rowNode * m;
            for (let r = 0; r < m; r++) {
              const d = (Rp[base + r] - R[base + r]) / h;
              if (d !== 0) M[r * m + v] = d;
            }
          }
        }
      }
    }
  }

  // ---- bookkeeping
  const tOut: number[] = [0], VOut: number[] = [ocv0], socOut: number[] = [x0], dLiE: number[] = [0], dLiS: number[] = [0], itOut: number[] = [0];
  const snapshots: P2dProfiles[] = [];
  const meanConc = (i: number): number => {
    let s = 0;
    for (let q = 0; q < nr; q++) s += vol[q] * u[i * m + CS + q];
    return s / volTot;
  };
  const profiles = (t: number): P2dProfiles => {
    const ce = new Float64Array(Nn), phiE = new Float64Array(Nn);
    for (let i = 0; i < Nn; i++) { ce[i] = u[i * m + CE]; phiE[i] = u[i * m + PE]; }
    const np = nxPos + 1;
    const xPos = x.slice(nxSep), phiS = new Float64Array(np), j = new Float64Array(np), csSurf = new Float64Array(np), socMean = new Float64Array(np);
    const cs: Float64Array[] = [];
    for (let k = 0; k < np; k++) {
      const i = nxSep + k, b0 = i * m;
      phiS[k] = u[b0 + PS]; j[k] = u[b0 + JJ];
      const cN = u[b0 + CS + nr - 1];
      csSurf[k] = cN - ((j[k] / F) * (dr / 2)) / DsF(cN, T);
      cs.push(u.slice(b0 + CS, b0 + CS + nr));
      socMean[k] = meanConc(i) / cMax;
    }
    return { t, x: x.slice(), ce, phiE, xPos, phiS, j, csSurf, cs, socMean };
  };

  let stoppedBy: P2dResult['stoppedBy'] = 'duration';
  let tCutoff: number | undefined;
  let tNow = 0, stepGlobal = 0, dtFirst = 0;
  segmentLoop: for (const seg of segments) {
    I = seg.current;
    const nSteps = Math.max(1, Math.round(seg.duration / numerics.dt));
    dt = seg.duration / nSteps;
    if (dtFirst === 0) dtFirst = dt;
    const tStart = tNow;
    for (let step = 1; step <= nSteps; step++) {
      stepGlobal++;
      const t = tStart + step * dt;
      tNow = t;
      const bdf2 = scheme === 'bdf2' && step > 1;
      const w0 = bdf2 ? 1.5 : 1, w1 = bdf2 ? -2 : -1, w2 = bdf2 ? 0.5 : 0;
      if (!bdf2) uOld2.set(uOld);
      residual(u, uOld, uOld2, w0, w1, w2, R);
      let converged = false, it = 0, lastUpd = Infinity;
      for (it = 1; it <= maxIt; it++) {
        jacobian(w0, w1, w2);
        for (let k = 0; k < n; k++) delta[k] = -R[k];
        blockTridiagonalSolve(Ab, Bb, Cb, delta, m);
        let lambda = 1;
        for (let tries = 0; ; tries++) {
          for (let k = 0; k < n; k++) uTrial[k] = u[k] + lambda * delta[k];
          residual(uTrial, uOld, uOld2, w0, w1, w2, Rp);
          let finite = true;
          for (let k = 0; k < n; k++) if (!Number.isFinite(Rp[k])) { finite = false; break; }
          if (finite) break;
          if (tries >= 30) throw new Error(`solveP2d: Newton produced non-finite residuals at t = ${t} s (step ${step}, iteration ${it})`);
          lambda /= 2;
        }
        u.set(uTrial);
        R.set(Rp);
        lastUpd = 0;
        for (let k = 0; k < n; k++) lastUpd = Math.max(lastUpd, Math.abs(lambda * delta[k]) / scale[k % m]);
        if (lastUpd < tol && lambda === 1) { converged = true; break; }
      }
      if (!converged) {
        let rmax = 0;
        for (let k = 0; k < n; k++) rmax = Math.max(rmax, Math.abs(R[k]));
        throw new Error(`solveP2d: Newton did not converge at t = ${t} s (step ${step}) after ${maxIt} iterations: last scaled residual ${rmax.toExponential(3)}, last scaled update ${lastUpd.toExponential(3)}`);
      }
      uOld2.set(uOld);
      uOld.set(u);

      // bookkeeping
      let le = 0, ls = 0, sm = 0;
      for (let i = 0; i < Nn; i++) {
        le += cvE[i] * (u[i * m + CE] - u0[i * m + CE]);
        if (i >= nxSep) {
          let s = 0;
          for (let q = 0; q < nr; q++) s += vol[q] * (u[i * m + CS + q] - u0[i * m + CS + q]);
          ls += epsS * volE[i] * (s / volTot);
          sm += volE[i] * meanConc(i);
        }
      }
      const V = u[(Nn - 1) * m + PS];
      tOut.push(t); VOut.push(V); socOut.push(sm / (pos.thickness * cMax)); dLiE.push(le); dLiS.push(ls); itOut.push(it);
      if (numerics.snapshotEvery && stepGlobal % numerics.snapshotEvery === 0) snapshots.push(profiles(t));
      const Vprev = VOut[VOut.length - 2];
      if (protocol.vMax !== undefined && V > protocol.vMax) {
        stoppedBy = 'vMax';
        tCutoff = t - dt + (dt * (protocol.vMax - Vprev)) / (V - Vprev);
        break segmentLoop;
      }
      if (protocol.vMin !== undefined && V < protocol.vMin) {
        stoppedBy = 'vMin';
        tCutoff = t - dt + (dt * (protocol.vMin - Vprev)) / (V - Vprev);
        break segmentLoop;
      }
    }
  }
  return {
    t: tOut, V: VOut, socElectrode: socOut, liElectrolyteChange: dLiE, liSolidChange: dLiS, newtonIterations: itOut,
    stoppedBy, tCutoff, specificArea: aSpec, dt: dtFirst, final: profiles(tOut[tOut.length - 1]), snapshots,
  };
}

/**
 * Binary-salt electrolyte, concentrated-solution theory (Newman): pointwise laws only.
 *
 *   N₊ (salt flux)  = −D_e ∇c_e + t₊ i_e / F                       [mol/(m² s)]
 *   i_e             = −κ ∇φ_e + κ_D ∇ln c_e                        [A/m²]
 *   κ_D             = κ · ν,   ν = (2RT/F)(1 − t₊)(1 + ∂ln f/∂ln c)   [S/m · V]
 *
 * κ(c, T) [S/m], D_e(c, T) [m²/s], t₊(c, T) [-] and the thermodynamic factor
 * TDF = 1 + ∂ln f/∂ln c [-] come from a compiled material (src/physics/material-law.ts; keys
 * `conductivity_S_m`, `diffusivity_m2_s`, `transferenceNumber`, `thermodynamicFactor`, variables
 * `c_e_mol_m3` and `T_K`) or from plain functions (tests, manufactured solutions).
 *
 * Porous media (CBD, separator): effective values κ_eff = β κ, D_eff = β D with the
 * transport factor β = ε^b (Bruggeman, b = 1.5 by default; β = ε/τ) or given directly. ν (and so
 * κ_D/κ) is a property of the liquid and is NOT multiplied by β.
 *
 * Physics returns values and c-derivatives; the finite volumes are in src/assembly/electrolyte.ts.
 */
import { FARADAY, GAS_CONSTANT } from './constants.js';
import type { Material, MaterialFn } from './material-law.js';
import { tabulate } from './tabulated-law.js';

/** Pointwise electrolyte properties at (c, T), with their c-derivatives. */
export interface ElectrolyteState {
  /** κ [S/m] and ∂κ/∂c */
  kappa: number;
  dKappa: number;
  /** D_e [m²/s] and ∂D/∂c */
  diffusivity: number;
  dDiffusivity: number;
  /** t₊ [-] and ∂t₊/∂c */
  transference: number;
  dTransference: number;
  /** 1 + ∂ln f/∂ln c [-] and its c-derivative */
  thermodynamicFactor: number;
  dThermodynamicFactor: number;
  /** ν = (2RT/F)(1 − t₊) TDF [V] and ∂ν/∂c */
  nu: number;
  dNu: number;
}

export function emptyElectrolyteState(): ElectrolyteState {
  return { kappa: 0, dKappa: 0, diffusivity: 0, dDiffusivity: 0, transference: 0, dTransference: 0, thermodynamicFactor: 1, dThermodynamicFactor: 0, nu: 0, dNu: 0 };
}

/** A scalar law p(c, T) with optional analytic ∂p/∂c. */
export interface ScalarLaw {
  value(c: number, T: number): number;
  derivative(c: number, T: number): number;
  /** True when p does not depend on c (derivative exactly 0). */
  readonly concentrationIndependent: boolean;
}

/** p = constant. */
export function constantLaw(v: number): ScalarLaw {
  if (!Number.isFinite(v)) throw new RangeError(`constantLaw: value must be finite, got ${v}`);
  return { value: () => v, derivative: () => 0, concentrationIndependent: true };
}

/**
 * p = fn(c, T); derivative `dfn` or, when omitted, a central difference with step
 * 1e-6 · max(|c|, cScale) (relative accuracy ~1e-10 for smooth laws).
 */
export function functionLaw(fn: (c: number, T: number) => number, dfn?: (c: number, T: number) => number, cScale = 1): ScalarLaw {
  const d = dfn ?? ((c: number, T: number) => {
    const s = 1e-6 * Math.max(Math.abs(c), cScale);
    return (fn(c + s, T) - fn(c - s, T)) / (2 * s);
  });
  return { value: fn, derivative: d, concentrationIndependent: false };
}

/** The four laws of a binary electrolyte. */
export interface ElectrolyteLawSet {
  conductivity: ScalarLaw;
  diffusivity: ScalarLaw;
  transference: ScalarLaw;
  /** 1 + ∂ln f/∂ln c (default 1: ideal solution). */
  thermodynamicFactor?: ScalarLaw;
}

/** Diffusion-potential factor ν = (2RT/F)(1 − t₊) TDF [V]. */
export function diffusionPotentialFactor(transference: number, thermodynamicFactor: number, T: number): number {
  return ((2 * GAS_CONSTANT * T) / FARADAY) * (1 - transference) * thermodynamicFactor;
}

/** κ_D = κ (2RT/F)(1 − t₊)(1 + ∂ln f/∂ln c) [A/m] (the coefficient of ∇ln c in i_e). */
export function diffusionalConductivity(kappa: number, transference: number, thermodynamicFactor: number, T: number): number {
  return kappa * diffusionPotentialFactor(transference, thermodynamicFactor, T);
}

/** Bruggeman transport factor β = ε^b (κ_eff = β κ, D_eff = β D); b = 1.5 by default. */
export function bruggemanFactor(porosity: number, exponent = 1.5): number {
  if (!(porosity >= 0 && porosity <= 1)) throw new RangeError(`bruggemanFactor: porosity must be in [0, 1], got ${porosity}`);
  if (!(exponent >= 0 && Number.isFinite(exponent))) throw new RangeError(`bruggemanFactor: exponent must be ≥ 0, got ${exponent}`);
  return Math.pow(porosity, exponent);
}

/** Porous transport description of one electrolyte-carrying phase. */
export interface PorousTransport {
  /** Electrolyte volume fraction ε of the voxel (0 < ε ≤ 1). */
  porosity: number;
  /** Bruggeman exponent b (default 1.5), used when `factor` is not given. */
  bruggemanExponent?: number;
  /** Transport factor β = ε/τ given directly (overrides Bruggeman). */
  factor?: number;
}

/** β of a porous description (validated). */
export function transportFactor(p: PorousTransport): number {
  if (!(p.porosity > 0 && p.porosity <= 1)) throw new RangeError(`porosity must be in (0, 1], got ${p.porosity}`);
  if (p.factor !== undefined) {
    if (!(p.factor > 0 && p.factor <= 1)) throw new RangeError(`transport factor must be in (0, 1], got ${p.factor}`);
    return p.factor;
  }
  return bruggemanFactor(p.porosity, p.bruggemanExponent ?? 1.5);
}

/**
 * A concentrated binary electrolyte: evaluates all properties and their c-derivatives at once.
 */
export class ConcentratedElectrolyte {
  readonly conductivity: ScalarLaw;
  readonly diffusivity: ScalarLaw;
  readonly transference: ScalarLaw;
  readonly thermodynamicFactor: ScalarLaw;

  constructor(laws: ElectrolyteLawSet, readonly name = 'electrolyte') {
    this.conductivity = laws.conductivity;
    this.diffusivity = laws.diffusivity;
    this.transference = laws.transference;
    this.thermodynamicFactor = laws.thermodynamicFactor ?? constantLaw(1);
  }

  /** True when no property depends on c (the assembly may then skip the derivative terms). */
  get concentrationIndependent(): boolean {
    return this.conductivity.concentrationIndependent && this.diffusivity.concentrationIndependent
      && this.transference.concentrationIndependent && this.thermodynamicFactor.concentrationIndependent;
  }

  /**
   * All properties at (c, T) into `out` (returned). Throws a RangeError when κ or D is not
   * positive and finite, or c ≤ 0 (ln c is undefined).
   */
  evaluate(c: number, T: number, out: ElectrolyteState = emptyElectrolyteState()): ElectrolyteState {
    if (!(c > 0) || !Number.isFinite(c)) throw new RangeError(`${this.name}: electrolyte concentration must be > 0, got ${c}`);
    const k = this.conductivity.value(c, T), D = this.diffusivity.value(c, T);
    if (!(k > 0 && Number.isFinite(k))) throw new RangeError(`${this.name}: κ(c = ${c}, T = ${T}) = ${k}, must be > 0`);
    if (!(D > 0 && Number.isFinite(D))) throw new RangeError(`${this.name}: D(c = ${c}, T = ${T}) = ${D}, must be > 0`);
    const tp = this.transference.value(c, T), tdf = this.thermodynamicFactor.value(c, T);
    const dk = this.conductivity.derivative(c, T), dD = this.diffusivity.derivative(c, T);
    const dtp = this.transference.derivative(c, T), dtdf = this.thermodynamicFactor.derivative(c, T);
    const a = (2 * GAS_CONSTANT * T) / FARADAY;
    out.kappa = k; out.dKappa = dk;
    out.diffusivity = D; out.dDiffusivity = dD;
    out.transference = tp; out.dTransference = dtp;
    out.thermodynamicFactor = tdf; out.dThermodynamicFactor = dtdf;
    out.nu = a * (1 - tp) * tdf;
    out.dNu = a * (-dtp * tdf + (1 - tp) * dtdf);
    return out;
  }

  /** κ_D = κ ν at (c, T) and its c-derivative. */
  diffusionalConductivity(c: number, T: number): { value: number; derivative: number } {
    const s = this.evaluate(c, T);
    return { value: s.kappa * s.nu, derivative: s.dKappa * s.nu + s.kappa * s.dNu };
  }

  /**
   * The same electrolyte at ONE temperature with every c-dependent law tabulated on
   * (0, cMax] (cubic Hermite, src/physics/tabulated-law.ts; exact evaluation outside the table and
   * at any other T). For isothermal runs: one property evaluation then costs a few
   * multiplications instead of several compiled-expression calls. Throws when a table misses its
   * law by more than `maxError` (relative to the law's largest value) at the interval midpoints.
   */
  tabulated(T: number, cMax = 8000, nodes = 8193, maxError = 1e-8): ConcentratedElectrolyte {
    const lo = cMax / (nodes - 1);
    const tab = (law: ScalarLaw, what: string): ScalarLaw => {
      if (law.concentrationIndependent) return law;
      const t = tabulate((c) => law.value(c, T), lo, cMax, nodes, (c) => law.derivative(c, T));
      if (!(t.maxRelativeError <= maxError)) throw new RangeError(`${this.name}: the ${what} table misses the law by ${t.maxRelativeError.toExponential(2)} (relative); refine it`);
      return {
        value: (c, T2) => (T2 === T ? t.value(c) : law.value(c, T2)),
        derivative: (c, T2) => (T2 === T ? t.derivative(c) : law.derivative(c, T2)),
        concentrationIndependent: false,
      };
    };
    return new ConcentratedElectrolyte({
      conductivity: tab(this.conductivity, 'conductivity'),
      diffusivity: tab(this.diffusivity, 'diffusivity'),
      transference: tab(this.transference, 'transference number'),
      thermodynamicFactor: tab(this.thermodynamicFactor, 'thermodynamic factor'),
    }, `${this.name} (tabulated at ${T} K)`);
  }

  /** Constant properties (tests, analytic comparisons). */
  static constant(p: { conductivity: number; diffusivity: number; transference: number; thermodynamicFactor?: number }): ConcentratedElectrolyte {
    return new ConcentratedElectrolyte({
      conductivity: constantLaw(p.conductivity),
      diffusivity: constantLaw(p.diffusivity),
      transference: constantLaw(p.transference),
      thermodynamicFactor: constantLaw(p.thermodynamicFactor ?? 1),
    }, 'constant electrolyte');
  }

  /**
   * From a compiled material of kind `electrolyte` (keys `conductivity_S_m`, `diffusivity_m2_s`,
   * `transferenceNumber`, optional `thermodynamicFactor`). Parameters that do not declare the
   * variable `c_e_mol_m3` get a zero derivative; the others a central difference with step
   * 1e-6 · max(c, 1 mol/m³).
   */
  static fromMaterial(m: Material): ConcentratedElectrolyte {
    const law = (key: string, fallback?: number): ScalarLaw => {
      if (!m.has(key)) {
        if (fallback !== undefined) return constantLaw(fallback);
        throw new RangeError(`${m.source}: the electrolyte needs the parameter "${key}"`);
      }
      const p = m.parameter(key);
      const fn: MaterialFn = p.fn;
      if (!p.variables.includes('c_e_mol_m3')) {
        if (p.variables.length === 0) return constantLaw(fn());
        const vars = { T_K: 0 };
        return { value: (_c, T) => { vars.T_K = T; return fn(vars); }, derivative: () => 0, concentrationIndependent: true };
      }
      const vars = { c_e_mol_m3: 0, T_K: 0 };
      return functionLaw((c, T) => { vars.c_e_mol_m3 = c; vars.T_K = T; return fn(vars); }, undefined, 1);
    };
    return new ConcentratedElectrolyte({
      conductivity: law('conductivity_S_m'),
      diffusivity: law('diffusivity_m2_s'),
      transference: law('transferenceNumber'),
      thermodynamicFactor: law('thermodynamicFactor', 1),
    }, m.id);
  }
}

/**
 * Li-metal counter-electrode kinetics from a compiled material of kind `counter-electrode`
 * (keys `exchangeCurrentDensity_A_m2` (c_e, T), `chargeTransferCoefficient` α, `ocp_V`):
 *   j = i₀(c_e, T) [exp((1−α) F η/RT) − exp(−α F η/RT)],  η = φ_s − φ_e − U,
 * j > 0 anodic (Li → Li⁺ + e⁻: current from the metal into the electrolyte).
 */
export interface LiMetalKinetics {
  alphaA: number;
  alphaC: number;
  ocp: number;
  i0(c: number, T: number): number;
  di0(c: number, T: number): number;
}

export function liMetalKinetics(m: Material): LiMetalKinetics {
  const alpha = m.has('chargeTransferCoefficient') ? m.scalar('chargeTransferCoefficient') : 0.5;
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`${m.source}: chargeTransferCoefficient must be in (0, 1), got ${alpha}`);
  const ocp = m.has('ocp_V') ? m.scalar('ocp_V') : 0;
  const p = m.parameter('exchangeCurrentDensity_A_m2');
  const vars = { c_e_mol_m3: 0, T_K: 0 };
  const fn = (c: number, T: number) => { vars.c_e_mol_m3 = c; vars.T_K = T; return p.fn(vars); };
  const dependsOnC = p.variables.includes('c_e_mol_m3');
  return {
    alphaA: 1 - alpha,
    alphaC: alpha,
    ocp,
    i0: fn,
    di0: dependsOnC ? (c, T) => { const s = 1e-6 * Math.max(Math.abs(c), 1); return (fn(c + s, T) - fn(c - s, T)) / (2 * s); } : () => 0,
  };
}

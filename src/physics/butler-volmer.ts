/**
 * Butler–Volmer charge-transfer kinetics at an electrode/electrolyte interface (pointwise law).
 *
 *   j = i₀ [exp(α_a F η / RT) − exp(−α_c F η / RT)],   η = φ_s − φ_e − U
 *
 * j [A/m²] is positive for an anodic reaction (oxidation: Li leaves the solid, delithiation).
 * Exchange current density forms:
 *   concentration form:  i₀ = F k c_e^α_a (c_max − c_s)^α_a c_s^α_c
 *                         (k [m^2.5 mol^-0.5 s^-1] for α_a = α_c = 1/2, as in PyBaMM's sets)
 *   reference form:      i₀ = i₀,ref (c_e/c_e,ref)^α_a (x/x_ref)^α_c ((1−x)/(1−x_ref))^α_a
 * Arrhenius factor exp(−E_a/R (1/T − 1/T_ref)) on k or i₀,ref.
 * Physics returns laws and derivatives; assembling them into residuals is the assembly layer's job.
 */
import { FARADAY, GAS_CONSTANT } from './constants.js';

export interface ButlerVolmerParameters {
  alphaA: number;
  alphaC: number;
}

export class ButlerVolmer {
  constructor(readonly p: ButlerVolmerParameters = { alphaA: 0.5, alphaC: 0.5 }) {
    if (!(p.alphaA > 0 && p.alphaC > 0)) throw new RangeError('ButlerVolmer: transfer coefficients must be positive');
  }

  /** Current density [A/m²] for exchange current density i0 [A/m²], overpotential eta [V], temperature T [K]. */
  current(i0: number, eta: number, T: number): number {
    const f = FARADAY / (GAS_CONSTANT * T);
    return i0 * (Math.exp(this.p.alphaA * f * eta) - Math.exp(-this.p.alphaC * f * eta));
  }

  /** ∂j/∂η [A/(m² V)]. */
  dCurrentDEta(i0: number, eta: number, T: number): number {
    const f = FARADAY / (GAS_CONSTANT * T);
    return i0 * f * (this.p.alphaA * Math.exp(this.p.alphaA * f * eta) + this.p.alphaC * Math.exp(-this.p.alphaC * f * eta));
  }

  /**
   * Overpotential that drives current density j (inverse of `current`). Closed form
   * η = (RT/αF) asinh(j / 2i₀) when α_a = α_c = α; otherwise safeguarded Newton on the monotone
   * function j(η).
   */
  overpotential(i0: number, j: number, T: number): number {
    if (!(i0 > 0)) throw new RangeError(`ButlerVolmer.overpotential: i0 must be > 0, got ${i0}`);
    const f = FARADAY / (GAS_CONSTANT * T);
    const { alphaA, alphaC } = this.p;
    if (alphaA === alphaC) return Math.asinh(j / (2 * i0)) / (alphaA * f);
    // bracket: j(η) is strictly increasing
    let lo = -1, hi = 1;
    while (this.current(i0, lo, T) > j) lo *= 2;
    while (this.current(i0, hi, T) < j) hi *= 2;
    let eta = Math.asinh(j / (2 * i0)) / (0.5 * (alphaA + alphaC) * f);
    if (!(eta > lo && eta < hi)) eta = 0.5 * (lo + hi);
    for (let it = 0; it < 100; it++) {
      const r = this.current(i0, eta, T) - j;
      if (r > 0) hi = eta; else lo = eta;
      if (Math.abs(r) <= 1e-14 * Math.max(Math.abs(j), i0)) return eta;
      let next = eta - r / this.dCurrentDEta(i0, eta, T);
      if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
      eta = next;
    }
    return eta;
  }
}

/** i₀ = F k c_e^α_a (c_max − c_s)^α_a c_s^α_c [A/m²] (zero at c_s = 0 or c_max, as it should be). */
export function exchangeCurrentDensityConcentrationForm(k: number, ce: number, cs: number, cmax: number, alphaA = 0.5, alphaC = 0.5): number {
  if (cs <= 0 || cs >= cmax || ce <= 0) return 0;
  return FARADAY * k * Math.pow(ce, alphaA) * Math.pow(cmax - cs, alphaA) * Math.pow(cs, alphaC);
}

/** Arrhenius factor exp(−E_a/R (1/T − 1/T_ref)). */
export function arrhenius(activationEnergy: number, T: number, Tref: number): number {
  return Math.exp((-activationEnergy / GAS_CONSTANT) * (1 / T - 1 / Tref));
}

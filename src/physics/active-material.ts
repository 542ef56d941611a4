/**
 * Pointwise laws of an intercalation (active) material at a fixed temperature, from a compiled
 * material file (src/physics/material-law.ts):
 *
 *   U(x)               open-circuit potential [V] vs Li/Li⁺, x = c_s / c_max     (`ocp_V`)
 *   i₀(c_e, c_s)       exchange-current density [A/m²]          (`exchangeCurrentDensity_A_m2`)
 *   D_s(c_s)           solid diffusivity [m²/s]                           (`diffusivity_m2_s`)
 *   σ_s                electronic conductivity [S/m]               (`electronicConductivity_S_m`)
 *   α                  charge-transfer coefficient: α_c = α, α_a = 1 − α (`chargeTransferCoefficient`)
 *
 * Temperature enters through the material's own expressions (Arrhenius factors on D and k are
 * part of the parameter sets, variable `T_K`); the runs are isothermal, so every law is
 * evaluated at one T and TABULATED (src/physics/tabulated-law.ts): U on its documented x range,
 * D_s on [0, c_max]. i₀ is tabulated when it is separable, i₀(c_e, c_s) = A(c_e) B(c_s) / i₀(c_e,ref, c_s,ref)
 * — the concentration form k c_e^α_a c_s^α_c (c_max − c_s)^α_a of every set shipped is — which is
 * checked at construction on 64 pseudo-random points (relative 1e-10); otherwise it is evaluated
 * directly (exact but ~10× slower; `i0Separable` says which).
 */
import { InputError } from '../core/errors.js';
import { concentrationDependentDiffusivity, constantDiffusivity, type DiffusivityLaw } from './fickian-diffusion.js';
import type { Material, MaterialVars } from './material-law.js';
import { tabulate, type TabulatedFunction } from './tabulated-law.js';

export const REQUIRED_ACTIVE_KEYS = ['maximumConcentration_mol_m3', 'ocp_V', 'exchangeCurrentDensity_A_m2', 'diffusivity_m2_s', 'electronicConductivity_S_m'] as const;

export interface ActiveMaterialLaws {
  readonly material: Material;
  readonly temperature: number;
  readonly cMax: number;
  readonly alphaA: number;
  readonly alphaC: number;
  readonly conductivity: number;
  readonly diffusivity: DiffusivityLaw;
  /** U(x) and dU/dx. */
  ocp(x: number): number;
  dOcp(x: number): number;
  /** i₀(c_e, c_s) [A/m²] and its partial derivatives. */
  i0(ce: number, cs: number): number;
  di0dce(ce: number, cs: number): number;
  di0dcs(ce: number, cs: number): number;
  readonly i0Separable: boolean;
  /** The x interval U is tabulated on (exact evaluation outside). */
  readonly ocpRange: [number, number];
}

/** Largest electrolyte concentration covered by the i₀ table [mol/m³] (exact evaluation above). */
const CE_TABLE_MAX = 8000;

export function activeMaterialLaws(m: Material, temperature: number): ActiveMaterialLaws {
  for (const k of REQUIRED_ACTIVE_KEYS) {
    if (!m.has(k)) throw new InputError(m.source, `active material "${m.id}" has no ${k}`);
  }
  const T = temperature;
  const cMax = m.scalar('maximumConcentration_mol_m3');
  if (!(cMax > 0)) throw new InputError(`${m.source}: maximumConcentration_mol_m3`, `must be > 0, got ${cMax}`);
  const alpha = m.has('chargeTransferCoefficient') ? m.scalar('chargeTransferCoefficient') : 0.5;
  if (!(alpha > 0 && alpha < 1)) throw new InputError(`${m.source}: chargeTransferCoefficient`, `must be in (0, 1), got ${alpha}`);
  const sigma = m.scalar('electronicConductivity_S_m', { T_K: T });
  if (!(sigma > 0)) throw new InputError(`${m.source}: electronicConductivity_S_m`, `must be > 0, got ${sigma}`);

  const vars = (ce: number, cs: number): MaterialVars => ({ c_e_mol_m3: ce, c_s_mol_m3: cs, x: cs / cMax, T_K: T });

  // OCP
  const pU = m.parameter('ocp_V');
  const fU = pU.fn;
  const uAt = (x: number) => fU({ x, c_s_mol_m3: x * cMax, T_K: T });
  const r = pU.range.x ?? pU.range.c_s_mol_m3?.map((c) => c / cMax) as [number, number] | undefined;
  const ocpRange: [number, number] = r ? [Math.max(r[0], 0), Math.min(r[1], 1)] : [1e-3, 1 - 1e-3];
  let U: TabulatedFunction | undefined;
  if (pU.variables.length > 0 && ocpRange[1] > ocpRange[0]) U = tabulate(uAt, ocpRange[0], ocpRange[1], 4097);

  // diffusivity
  const pD = m.parameter('diffusivity_m2_s');
  const dependsOnC = pD.variables.includes('x') || pD.variables.includes('c_s_mol_m3');
  let diffusivity: DiffusivityLaw;
  if (!dependsOnC) {
    const D = pD.fn({ T_K: T });
    if (!(D > 0)) throw new InputError(`${m.source}: diffusivity_m2_s`, `must be > 0 at ${T} K, got ${D}`);
    diffusivity = constantDiffusivity(D);
  } else {
    const raw = (c: number) => pD.fn(vars(0, c));
    const tab = tabulate(raw, 0, cMax, 4097);
    diffusivity = concentrationDependentDiffusivity((c) => tab.value(c), (c) => tab.derivative(c), { cScale: cMax });
  }

  // exchange-current density
  const pI = m.parameter('exchangeCurrentDensity_A_m2');
  const fI = (ce: number, cs: number) => pI.fn(vars(ce, cs));
  const ceRef = 1000, csRef = 0.5 * cMax;
  const k0 = fI(ceRef, csRef);
  let separable = k0 > 0 && Number.isFinite(k0);
  if (separable) {
    let seed = 12345;
    const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
    for (let s = 0; s < 64 && separable; s++) {
      const ce = 10 + 3990 * rnd(), cs = cMax * (0.01 + 0.98 * rnd());
      const exact = fI(ce, cs), prod = (fI(ce, csRef) * fI(ceRef, cs)) / k0;
      if (!(Math.abs(exact - prod) <= 1e-10 * Math.abs(exact))) separable = false;
    }
  }
  let i0: (ce: number, cs: number) => number;
  let di0dce: (ce: number, cs: number) => number;
  let di0dcs: (ce: number, cs: number) => number;
  if (separable) {
    const A = tabulate((ce) => fI(ce, csRef), 0, CE_TABLE_MAX, 8193);
    const B = tabulate((cs) => fI(ceRef, cs) / k0, 0, cMax, 8193);
    i0 = (ce, cs) => A.value(ce) * B.value(cs);
    di0dce = (ce, cs) => A.derivative(ce) * B.value(cs);
    di0dcs = (ce, cs) => A.value(ce) * B.derivative(cs);
  } else {
    i0 = fI;
    di0dce = (ce, cs) => { const s = 1e-6 * Math.max(Math.abs(ce), 1); return (fI(ce + s, cs) - fI(ce - s, cs)) / (2 * s); };
    di0dcs = (ce, cs) => { const s = 1e-6 * cMax; return (fI(ce, cs + s) - fI(ce, cs - s)) / (2 * s); };
  }

  const ocp = U ? (x: number) => U.value(x) : (x: number) => uAt(x);
  const dOcp = U ? (x: number) => U.derivative(x) : (x: number) => { const s = 1e-7; return (uAt(x + s) - uAt(x - s)) / (2 * s); };
  return {
    material: m, temperature: T, cMax, alphaA: 1 - alpha, alphaC: alpha, conductivity: sigma, diffusivity,
    ocp, dOcp, i0, di0dce, di0dcs, i0Separable: separable, ocpRange,
  };
}

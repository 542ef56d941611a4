/**
 * Fickian diffusion of Li inside an active particle (pointwise law).
 *
 *   J = −D(c, T) ∇c        [mol/(m² s)],   D [m²/s],   c [mol/m³]
 *
 * D may be a constant, or any function of the local concentration (e.g. a mathjs expression
 * compiled by the materials layer into a plain `(c, T) => number`), optionally multiplied by an
 * Arrhenius factor exp(−E_a/R (1/T − 1/T_ref)) (the same `arrhenius` as the kinetics use).
 *
 * Physics returns the law and its derivative ∂D/∂c; the finite-volume discretisation (face
 * diffusivities, residuals, Jacobians) is the assembly layer's job (src/assembly/solid-diffusion.ts).
 */
import { arrhenius } from './butler-volmer.js';
import { STANDARD_TEMPERATURE } from './constants.js';

/** A diffusivity law D(c, T) with its concentration derivative. */
export interface DiffusivityLaw {
  /** D(c, T) [m²/s]; must be > 0 on the concentrations the solver visits. */
  value(c: number, T: number): number;
  /** ∂D/∂c (c, T) [m⁵/(mol s)]. */
  derivative(c: number, T: number): number;
  /** True when D depends on neither c nor T (lets the assembly freeze the face conductances). */
  readonly constant: boolean;
  /** True when D does not depend on c (it may still depend on T). */
  readonly concentrationIndependent: boolean;
}

/** Options shared by the law constructors. */
export interface ArrheniusOptions {
  /** Activation energy E_a [J/mol] (default 0: no temperature dependence). */
  activationEnergy?: number;
  /** Reference temperature at which D is given [K] (default 298.15 K). */
  referenceTemperature?: number;
}

function arrheniusFactor(o: ArrheniusOptions): ((T: number) => number) | undefined {
  const Ea = o.activationEnergy ?? 0;
  const Tref = o.referenceTemperature ?? STANDARD_TEMPERATURE;
  if (!Number.isFinite(Ea)) throw new RangeError(`activationEnergy must be finite, got ${Ea}`);
  if (!(Tref > 0)) throw new RangeError(`referenceTemperature must be > 0 K, got ${Tref}`);
  if (Ea === 0) return undefined;
  return (T: number) => arrhenius(Ea, T, Tref);
}

/** D = D0 · (Arrhenius factor). */
export function constantDiffusivity(D0: number, opts: ArrheniusOptions = {}): DiffusivityLaw {
  if (!(D0 > 0 && Number.isFinite(D0))) throw new RangeError(`constantDiffusivity: D0 must be a positive finite number, got ${D0}`);
  const arr = arrheniusFactor(opts);
  if (!arr) return { value: () => D0, derivative: () => 0, constant: true, concentrationIndependent: true };
  return { value: (_c, T) => D0 * arr(T), derivative: () => 0, constant: false, concentrationIndependent: true };
}

/**
 * D = D_ref(c, T) · (Arrhenius factor), for any function of c (and T if it wants it).
 *
 * @param fn D_ref(c, T) [m²/s]
 * @param dfn its derivative ∂D_ref/∂c; when omitted, a central finite difference with step
 *   δ = 1e-6 · max(|c|, cScale) is used (accurate to ~1e-10 relative for smooth D, enough for
 *   Newton's quadratic convergence down to a residual reduction of ~1e-10).
 * @param opts `cScale`: typical concentration magnitude for the finite-difference step (default 1).
 */
export function concentrationDependentDiffusivity(
  fn: (c: number, T: number) => number,
  dfn?: (c: number, T: number) => number,
  opts: ArrheniusOptions & { cScale?: number } = {},
): DiffusivityLaw {
  const arr = arrheniusFactor(opts);
  const cScale = opts.cScale ?? 1;
  const deriv = dfn ?? ((c: number, T: number) => {
    const d = 1e-6 * Math.max(Math.abs(c), cScale);
    return (fn(c + d, T) - fn(c - d, T)) / (2 * d);
  });
  if (!arr) return { value: fn, derivative: deriv, constant: false, concentrationIndependent: false };
  return {
    value: (c, T) => fn(c, T) * arr(T),
    derivative: (c, T) => deriv(c, T) * arr(T),
    constant: false,
    concentrationIndependent: false,
  };
}

/** Multiply an existing law by an Arrhenius factor. */
export function withArrhenius(law: DiffusivityLaw, activationEnergy: number, referenceTemperature = STANDARD_TEMPERATURE): DiffusivityLaw {
  const arr = arrheniusFactor({ activationEnergy, referenceTemperature });
  if (!arr) return law;
  return {
    value: (c, T) => law.value(c, T) * arr(T),
    derivative: (c, T) => law.derivative(c, T) * arr(T),
    constant: false,
    concentrationIndependent: law.concentrationIndependent,
  };
}

/** Fick's law, one component: J = −D ∂c/∂x [mol/(m² s)]. */
export function fickFlux(D: number, dcdx: number): number {
  return -D * dcdx;
}

/** Fick's law, vector form: J = −D ∇c. */
export function fickFluxVector(D: number, grad: readonly [number, number, number]): [number, number, number] {
  return [-D * grad[0], -D * grad[1], -D * grad[2]];
}

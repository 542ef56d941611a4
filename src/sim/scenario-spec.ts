/**
 * The resolved scenario of `lithomech run`: what the simulation layer needs, in SI units, with
 * materials compiled and the RVE built. The scenario FILE (YAML/JSON, units as text, material and
 * solver names) is read and validated in src/io/scenario.ts, which produces this object; the
 * runner (src/sim/run.ts) knows nothing about files.
 *
 * Sign and naming conventions
 * - The working electrode is the RVE's active material; the counter electrode is Li metal at the
 *   separator-side box face (potentials are vs Li/Li⁺; φ_e is 0 at the metal's reference).
 * - Cell voltage V = φ_s at the current collector − φ of the Li metal (= 0).
 * - "charge" delithiates a positive working electrode and lithiates a negative one.
 * - State of charge of the working electrode: soc = (x − x₀)/(x₁₀₀ − x₀) with x = c_s/c_max the
 *   mean stoichiometry and x₀, x₁₀₀ the stoichiometries at 0 % and 100 % SoC.
 */
import type { Rve } from '../mesh/rve.js';
import type { Material } from '../physics/material-law.js';
import type { PorousTransport } from '../physics/concentrated-electrolyte.js';
import type { KrylovMethod } from '../linalg/solve-options.js';
import type { LatticeTable } from '../physics/chemical-strain.js';
import type { ProtocolStep } from './protocol.js';
import type { TopCondition } from './swell.js';

export interface ActivePhaseSpec {
  /** Phase id in the RVE (role `active`). */
  phaseId: number;
  /** Compiled material of kind `active` (needs maximumConcentration_mol_m3, diffusivity_m2_s, ocp_V, exchangeCurrentDensity_A_m2, electronicConductivity_S_m). */
  material: Material;
}

export interface WorkingElectrodeSpec {
  /** `positive` (cathode vs Li: NMC, LCO) or `negative` (anode vs Li: graphite, Si). */
  polarity: 'positive' | 'negative';
  /** One entry per active phase present in the RVE. (The runner currently requires a single material.) */
  active: ActivePhaseSpec[];
  /** Stoichiometry x = c_s/c_max at 0 % and at 100 % SoC. */
  stoichiometry: { soc0: number; soc100: number };
  /** Initial SoC in [0, 1] (uniform c_s). */
  initialSoc: number;
  /** CBD: porous electrolyte transport and its effective electronic conductivity [S/m]. Absent when the RVE has no CBD. */
  cbd?: PorousTransport & { conductivity: number };
  /** Separator: porous electrolyte transport. Absent when the RVE has no separator phase. */
  separator?: PorousTransport;
  /** Electronic conductivity of current-collector voxels [S/m] (if the RVE has them). */
  collectorConductivity?: number;
}

export interface ElectrolyteSpec {
  /** Compiled material of kind `electrolyte` (conductivity, diffusivity, transference number, thermodynamic factor). */
  material: Material;
  /** Initial uniform salt concentration [mol/m³]. */
  initialConcentration: number;
}

export interface CounterElectrodeSpec {
  kind: 'li-metal';
  /** Compiled material of kind `counter-electrode`. */
  material: Material;
}

export interface LinearSolverSpec {
  /** Preset name (for the record). */
  name: string;
  method: KrylovMethod;
  rtol: number;
  maxIterations: number;
  restart?: number;
  preconditioner: 'multigrid' | 'jacobi' | 'none';
  /** Multigrid options of the preset (cycle, smoother, …) for the field-split blocks. */
  multigrid?: { cycle?: 'V' | 'W' | 'K'; smoother?: 'gauss-seidel' | 'chebyshev'; sweeps?: number };
}

export interface TimeSpec {
  /** BDF order (1 = backward Euler, 2 = BDF2). */
  order: 1 | 2;
  /** First step [s]. */
  initialStep: number;
  /** Largest step [s]. */
  maxStep: number;
  /** Smallest step [s] before the run fails. */
  minStep: number;
  /** Relative tolerance of the local error test. */
  rtol: number;
  /** Newton iterations per attempt. */
  newtonMaxIterations: number;
}

export interface OutputSpec {
  /** Snapshot times [s] from the start of the run. */
  snapshotTimes: number[];
  /** Snapshots every this many seconds (0: none besides the listed ones). */
  snapshotEvery: number;
  /** Snapshots when the SoC crosses these values. */
  snapshotSocs: number[];
  /** Snapshot at the start and at the end of every protocol step. */
  snapshotAtStepEnds: boolean;
  /** Voltage-vs-capacity plot (SVG). */
  plot: boolean;
}

/** One solid phase of the run's mechanics (src/sim/run-mechanics.ts). */
export interface MechanicsPhaseSpec {
  /** Phase id in the RVE. */
  phaseId: number;
  name: string;
  /** Young's modulus [Pa] and Poisson's ratio. */
  youngsModulus: number;
  poissonRatio: number;
  /** Where E and ν came from (material id, or `mechanics.elastic.<phase>`). */
  elasticSource: string;
  /**
   * Chemical strain relative to the run's initial stoichiometry: `isotropic` from the active
   * material's volumeChange (or partialMolarVolume_m3_mol), `lattice` from a lattice-parameter
   * table rotated by a random orientation per particle, `none` for passive phases (CBD, …).
   */
  chemicalStrain: { kind: 'none' } | { kind: 'isotropic'; material: Material } | { kind: 'lattice'; table: LatticeTable };
}

/**
 * Diffusion-induced stress, solved after every accepted step (quasi-static linear elasticity, no
 * history: σ depends only on the stoichiometry field then), one-way or two-way. Present only when
 * the scenario's `mechanics.enabled` is true.
 */
export interface MechanicsSpec {
  enabled: true;
  lateral: 'free' | 'roller' | 'periodic';
  top: TopCondition;
  /** The phases that carry stiffness; every other phase is void. */
  phases: MechanicsPhaseSpec[];
  /** Seed of the random particle orientations (lattice strains). */
  orientationSeed: number;
  /** Relative residual of the CG solves. */
  rtol: number;
  /** The collector face: fixed in the normal direction (default) or free (a free body, minimal pins). */
  collector: 'fixed' | 'free';
  /**
   * one-way (default): the chemistry does not feel the stress. two-way: the stress potential
   * s = σ : ∂ε_ch/∂c enters the particles' Li flux and, with `stressInPotential`, the equilibrium
   * potential; solved inside the Newton loop (an elasticity solve per residual evaluation).
   */
  coupling: 'one-way' | 'two-way';
  /**
   * When the one-way stress is solved: after every accepted step (default; time series in
   * timeseries.csv) or at the snapshots only (the time-series columns stay empty). Two-way
   * coupling solves inside Newton regardless.
   */
  solveAt: 'steps' | 'snapshots';
  stressInPotential: boolean;
  /** Preconditioner of the elasticity CG (src/sim/swell.ts): auto (gmg unless periodic), gmg or amg. */
  preconditioner?: 'auto' | 'gmg' | 'amg';
}

export interface ScenarioSpec {
  /** Scenario name (file stem or `name:` key). */
  name: string;
  /** The scenario file it came from (for messages). */
  source: string;
  /** The RVE with particle labels (`rve.particle`). */
  rve: Rve;
  /** How the RVE was obtained (recorded in summary.json). */
  rveOrigin: Record<string, unknown>;
  /** Temperature [K] (isothermal). */
  temperature: number;
  electrode: WorkingElectrodeSpec;
  electrolyte: ElectrolyteSpec;
  counterElectrode: CounterElectrodeSpec;
  protocol: ProtocolStep[];
  solver: { linear: LinearSolverSpec; time: TimeSpec };
  output: OutputSpec;
  /** Snapshot mechanics (absent: off). */
  mechanics?: MechanicsSpec;
  /** The scenario with every value resolved (SI numbers, material ids, preset names), written as scenario.resolved.yaml. */
  resolved: Record<string, unknown>;
}

/**
 * Diffusion-induced stress of `lithomech run` (one-way), solved after every accepted time step.
 *
 * Quasi-static linear elasticity without history: the stress at a time depends only on the
 * stoichiometry field at that time. `solve` is called after every accepted step (time series of
 * thickness change and mean strains) and its last result is reused by a snapshot at the same
 * time. Consecutive solves are warm-started from the previous displacement (the load changes
 * little per step). The chemistry does not feel the stress in this class; the two-way coupling
 * (stress in the Li flux and in the equilibrium potential) goes through `hydrostaticStressOfCells`.
 *
 * Eigenstrain per voxel of an active phase, relative to the reference stoichiometry x_ref (the
 * run's initial field, so the electrode is stress-free at t = 0):
 *  - isotropic: ε* = [ΔV/V(x) − ΔV/V(x_ref)] / 3 · I from the material's volumeChange (or
 *    (Ω/3) c_max (x − x_ref) from partialMolarVolume_m3_mol), src/physics/chemical-strain.ts;
 *  - lattice: crystal-frame diag(ε_a, ε_a, ε_c) with ε_a = a(x)/a(x_ref) − 1, ε_c = c(x)/c(x_ref) − 1
 *    from a lattice table, rotated by a random orientation per particle (seed `orientationSeed`;
 *    the same orientations as `lithomech swell` with that seed). A stoichiometry outside the
 *    table's range is an error (the table is not extrapolated).
 * Passive phases with elastic constants (CBD, …) carry stiffness and no eigenstrain. The operator,
 * boundary conditions and AMG preconditioner are built once (src/sim/swell.ts `buildSwellSystem`);
 * each solve is one preconditioned CG solve with the new eigenstrain load.
 */
import { InputError } from '../core/errors.js';
import { ElasticityOperator, type EigenstrainField } from '../assembly/elasticity-operator.js';
import type { StressPotentialProvider } from '../assembly/solid-diffusion.js';
import { cg } from '../linalg/cg.js';
import type { Rve } from '../mesh/rve.js';
import { bungeMatrix, randomOrientations, rotatedLatticeStrain, volumetricStrainLaw } from '../physics/chemical-strain.js';
import { hydrostatic, LinearElastic } from '../physics/linear-elastic.js';
import type { SnapshotField } from './run-recorder.js';
import type { MechanicsSpec } from './scenario-spec.js';
import { buildSwellSystem, meanKeptStrain, separatorSurfaceDisplacement, solveSwellDisplacement, solveSwellSystem, type SwellPhase, type SwellSystem } from './swell.js';

/** Per-particle mechanics of one snapshot (NaN when none of the particle's voxels is in the elastic problem). */
export interface ParticleMechanics {
  vonMisesMax: number;
  vonMisesMean: number;
  hydrostaticMean: number;
  /** ΔV/V = mean tr ε (total strain) over the particle's voxels. */
  volumeChange: number;
  /** Mean displacement of its voxel centres [m] (x, y, z). */
  centroidDisplacement: [number, number, number];
}

export interface RunMechanicsResult {
  /** Per-voxel fields (NaN outside the kept solid), named as in the snapshot .vti. */
  fields: SnapshotField[];
  /** Nodal displacement, 3 per grid point ((nx+1)(ny+1)(nz+1) points; NaN off the solid) [m]. */
  displacement: Float64Array;
  /** By particle id (`rve.particle`, or 1 for every active voxel without labels). */
  particles: Map<number, ParticleMechanics>;
  /** Mean normal displacement of the separator-side solid surface (outwards positive) [m], and per thickness. */
  thicknessChange_m: number;
  thicknessStrain: number;
  /** Volume-mean strain over the kept solid, and over the kept active voxels (Voigt xx yy zz yz xz xy, engineering shear). */
  meanSolidStrain: number[];
  meanActiveStrain: number[];
  maxVonMises_Pa: number;
  /** Largest |eigenstrain| component (a scale of the load). */
  maxEigenstrain: number;
  iterations: number;
  relativeResidual: number;
  seconds: number;
}

/** Names of the per-voxel arrays, in the order they are written. */
export const MECHANICS_FIELD_NAMES = [
  'stress_xx', 'stress_yy', 'stress_zz', 'stress_yz', 'stress_xz', 'stress_xy',
  'strain_xx', 'strain_yy', 'strain_zz', 'strain_yz', 'strain_xz', 'strain_xy',
  'von_mises', 'hydrostatic_stress', 'max_principal_stress', 'strain_energy_density', 'gauss_max_von_mises',
] as const;

const VOIGT = ['xx', 'yy', 'zz', 'yz', 'xz', 'xy'] as const;

export class RunMechanics {
  readonly system: SwellSystem;
  private readonly strainOfPhase: (((x: number, xRef: number, out: Float64Array, o: number, v: number) => void) | null)[] = new Array(256).fill(null);
  private readonly anisotropic: boolean;
  private readonly activeLut = new Uint8Array(256);
  private readonly isotropicLaw: (((x: number) => number) | null)[] = new Array(256).fill(null);
  private readonly latticeRange: ({ id: string; lo: number; hi: number; phase: string } | null)[] = new Array(256).fill(null);
  /** Solution of the last solve in the solver's unknowns (the next solve's initial guess). */
  private warm?: Float64Array;
  /** The last two solves made with a time (for the extrapolated initial guess). */
  private readonly timed: { t: number; u: Float64Array }[] = [];
  /** The last solve and the stoichiometry field it was made for. */
  private last?: { x: Float64Array; result: RunMechanicsResult };

  /**
   * @param rve the RVE (with particle labels for lattice strains)
   * @param spec the scenario's mechanics settings
   * @param reference stoichiometry per voxel at which the solid is stress-free (NaN outside active)
   */
  constructor(readonly rve: Rve, readonly spec: MechanicsSpec, readonly reference: Float64Array) {
    if (reference.length !== rve.phase.length) throw new Error(`RunMechanics: reference has ${reference.length} values for ${rve.phase.length} voxels`);
    const phases: SwellPhase[] = spec.phases.map((p) => ({
      id: p.phaseId, name: p.name, elastic: new LinearElastic(p.youngsModulus, p.poissonRatio, p.elasticSource), eigenstrain: { kind: 'none' }, source: p.elasticSource,
    }));
    // with AMG and many solves with the same operator (every step, or every Newton iteration),
    // smoothing two levels halves the CG iterations for 2.5× the set-up; a few snapshot solves take
    // the cheap set-up
    const many = spec.solveAt === 'steps' || spec.coupling === 'two-way';
    this.system = buildSwellSystem({ rve, phases, lateral: spec.lateral, top: spec.top, collector: spec.collector, amgSmoothedLevels: many ? 2 : 1, preconditioner: spec.preconditioner ?? 'auto' });
    this.anisotropic = spec.phases.some((p) => p.chemicalStrain.kind === 'lattice');
    let matrices: Float64Array[] = [];
    if (this.anisotropic) {
      if (!rve.particle) throw new InputError('mechanics.lattice', 'anisotropic (lattice) chemical strain needs particle labels to orient');
      let maxId = 0;
      for (let v = 0; v < rve.particle.length; v++) maxId = Math.max(maxId, rve.particle[v]);
      matrices = randomOrientations(maxId + 1, spec.orientationSeed).map((a) => bungeMatrix(a));
    }
    const particle = rve.particle;
    for (const p of spec.phases) {
      const cs = p.chemicalStrain;
      if (cs.kind === 'none') continue;
      this.activeLut[p.phaseId] = 1;
      if (cs.kind === 'isotropic') {
        const law = volumetricStrainLaw(cs.material, 0);
        this.isotropicLaw[p.phaseId] = law;
        let lastRef = Number.NaN, lastRefValue = 0;
        this.strainOfPhase[p.phaseId] = (x, xRef, out, o) => {
          if (xRef !== lastRef) { lastRef = xRef; lastRefValue = law(xRef); }
          const e = law(x) - lastRefValue;
          if (this.anisotropic) { out[o] = out[o + 1] = out[o + 2] = e; out[o + 3] = out[o + 4] = out[o + 5] = 0; } else out[o] = e;
        };
      } else {
        const table = cs.table;
        this.latticeRange[p.phaseId] = { id: table.id, lo: table.file.x[0], hi: table.file.x[table.file.x.length - 1], phase: p.name };
        this.strainOfPhase[p.phaseId] = (x, xRef, out, o, v) => {
          const [ea, ec] = table.strains(x, xRef);
          rotatedLatticeStrain(ea, ec, matrices[particle![v]], out as Float64Array<ArrayBuffer>, o);
        };
      }
    }
  }

  /** The eigenstrain field of a stoichiometry field (per voxel, NaN outside active: no strain). */
  eigenstrain(stoichiometry: Float64Array): { field: EigenstrainField; maxAbs: number } {
    const N = this.rve.phase.length;
    const out = new Float64Array(this.anisotropic ? 6 * N : N);
    const w = this.anisotropic ? 6 : 1;
    for (let v = 0; v < N; v++) {
      const f = this.strainOfPhase[this.rve.phase[v]];
      if (!f) continue;
      const x = stoichiometry[v], xRef = this.reference[v];
      if (!Number.isFinite(x) || !Number.isFinite(xRef)) continue;
      const range = this.latticeRange[this.rve.phase[v]];
      if (range && !(x >= range.lo && x <= range.hi && xRef >= range.lo && xRef <= range.hi)) {
        const bad = x >= range.lo && x <= range.hi ? xRef : x;
        throw new InputError(`mechanics.lattice.${range.phase}`, `Li fraction x = ${bad.toFixed(4)} (voxel ${v}) is outside the lattice table ${range.id} (x ∈ [${range.lo}, ${range.hi}]); the table is not extrapolated`);
      }
      f(x, xRef, out, w * v, v);
    }
    let maxAbs = 0;
    for (let i = 0; i < out.length; i++) maxAbs = Math.max(maxAbs, Math.abs(out[i]));
    return { field: this.anisotropic ? { voigt: out } : { isotropic: out }, maxAbs };
  }

  /**
   * Solve for a stoichiometry field (per voxel, as CellModel.fields gives it), warm-started from
   * the previous solve, or, given the `time` of the state, from the linear extrapolation of the
   * last two timed solves. The same field twice in a row returns the cached result.
   */
  solve(stoichiometry: Float64Array, time?: number): RunMechanicsResult {
    const last = this.last;
    if (last && last.x.length === stoichiometry.length && sameValues(last.x, stoichiometry)) return last.result;
    const { rve, system } = this;
    const { field, maxAbs } = this.eigenstrain(stoichiometry);
    // initial guess: linear extrapolation in time from the last two timed solves (the load follows
    // the concentrations, which change smoothly between steps), else the last solution
    let x0 = this.warm;
    const h = this.timed;
    if (time !== undefined && h.length === 2 && h[1].t > h[0].t && time > h[1].t) {
      const w = (time - h[1].t) / (h[1].t - h[0].t), a = h[1].u, b = h[0].u;
      x0 = new Float64Array(a.length);
      for (let i = 0; i < a.length; i++) x0[i] = a[i] + w * (a[i] - b[i]);
    }
    const s = solveSwellSystem(system, field, { rtol: this.spec.rtol, ...(x0 ? { x0 } : {}) });
    this.warm = s.solverVector;
    if (time !== undefined) {
      if (h.length === 2) h.shift();
      h.push({ t: time, u: s.solverVector });
    }
    const f = s.fields;
    const N = rve.phase.length;
    const fields: SnapshotField[] = [];
    for (let j = 0; j < 6; j++) {
      const a = new Float64Array(N);
      for (let v = 0; v < N; v++) a[v] = f.stress[6 * v + j];
      fields.push({ name: `stress_${VOIGT[j]}`, data: a });
    }
    for (let j = 0; j < 6; j++) {
      // tensor shear components (half the engineering shear)
      const a = new Float64Array(N), k = j < 3 ? 1 : 0.5;
      for (let v = 0; v < N; v++) a[v] = k * f.strain[6 * v + j];
      fields.push({ name: `strain_${VOIGT[j]}`, data: a });
    }
    fields.push(
      { name: 'von_mises', data: f.vonMises },
      { name: 'hydrostatic_stress', data: f.hydrostatic },
      { name: 'max_principal_stress', data: f.maxPrincipal },
      { name: 'strain_energy_density', data: f.energyDensity },
      { name: 'gauss_max_von_mises', data: f.gaussMaxVonMises },
    );
    // per particle, over the kept active voxels
    const acc = new Map<number, { n: number; vmMax: number; vm: number; h: number; tr: number; u: [number, number, number] }>();
    const U = s.displacement;
    const [nx, ny] = rve.shape;
    const offsets = [0, 1, nx + 1, nx + 2].flatMap((o) => [o, o + (nx + 1) * (ny + 1)]);
    const meanActive = new Array(6).fill(0);
    let nActive = 0, vmMaxAll = 0;
    for (const v of system.op.elementVoxel) {
      vmMaxAll = Math.max(vmMaxAll, f.vonMises[v]);
      if (!this.activeLut[rve.phase[v]]) continue;
      nActive++;
      for (let j = 0; j < 6; j++) meanActive[j] += f.strain[6 * v + j];
      const id = rve.particle ? rve.particle[v] : 1;
      let a = acc.get(id);
      if (!a) { a = { n: 0, vmMax: 0, vm: 0, h: 0, tr: 0, u: [0, 0, 0] }; acc.set(id, a); }
      // voxel-centre displacement = mean of its 8 corners (every corner of a kept voxel is in the system)
      const n0 = system.op.nodeOfVoxelCorner(v);
      for (const o of offsets) for (let c = 0; c < 3; c++) a.u[c] += U[3 * (n0 + o) + c] / 8;
      a.n++; a.vmMax = Math.max(a.vmMax, f.vonMises[v]); a.vm += f.vonMises[v]; a.h += f.hydrostatic[v];
      a.tr += f.strain[6 * v] + f.strain[6 * v + 1] + f.strain[6 * v + 2];
    }
    const particles = new Map<number, ParticleMechanics>();
    for (const [id, a] of acc) {
      particles.set(id, {
        vonMisesMax: a.vmMax, vonMisesMean: a.vm / a.n, hydrostaticMean: a.h / a.n, volumeChange: a.tr / a.n,
        centroidDisplacement: [a.u[0] / a.n, a.u[1] / a.n, a.u[2] / a.n],
      });
    }
    const surf = separatorSurfaceDisplacement(system.op, rve, s.displacement);
    const thickness = rve.shape[rve.thicknessAxis] * rve.voxelSize[rve.thicknessAxis];
    const result: RunMechanicsResult = {
      fields, displacement: U, particles,
      thicknessChange_m: surf.mean, thicknessStrain: surf.mean / thickness,
      meanSolidStrain: meanKeptStrain(system.op, f),
      meanActiveStrain: meanActive.map((x) => (nActive > 0 ? x / nActive : Number.NaN)),
      maxVonMises_Pa: system.op.elementVoxel.length > 0 ? vmMaxAll : Number.NaN,
      maxEigenstrain: maxAbs,
      iterations: s.iterations, relativeResidual: s.relativeResidual, seconds: s.seconds,
    };
    this.last = { x: Float64Array.from(stoichiometry), result };
    return result;
  }

  /**
   * The stress potential of the two-way coupling (src/assembly/solid-diffusion.ts) for the
   * particle cells `cells`: s_i = σ : ∂ε_ch/∂c = 3 σ_h e′(x_i) / c_max, with e(x) the isotropic
   * linear chemical strain law of the cell's phase (e′ by a central difference; exact for the
   * linear Ω law, where s = Ω σ_h). Each evaluation is one elasticity solve (warm-started) of the
   * concentrations given. The local slope ∂s_i/∂c_i ≈ −γ 2 E Ω_eff² / (9 (1 − ν)), Ω_eff = 3 e′/c_max
   * (used in the Jacobian only): 2EΩ/(9(1 − ν)) is the hydrostatic stress per concentration inside
   * a dilating inclusion (and the free-sphere relation σ_h = 2EΩ(c̄ − c)/(9(1 − ν))), right for
   * smooth fields; a one-voxel bump on the Q1 voxel grid gives a face difference s_j − s_i 1.5–1.8×
   * larger. γ is the geometric mean of 1 and that ratio (measured on a strongly coupled sphere,
   * θc_max = 36: 176 Newton iterations against 251 with γ = 1 and 193 with the full ratio).
   * Lattice (anisotropic) chemical strains are not supported here.
   */
  stressPotentialProvider(cells: { n: number; voxelOfCell: Int32Array }, cMax: number): StressPotentialProvider {
    if (this.anisotropic) throw new InputError('mechanics.coupling', 'two-way coupling is built for isotropic chemical strain only; set mechanics.lattice.<phase>: none');
    const { rve } = this;
    const n = cells.n, N = rve.phase.length;
    const localSlope = new Float64Array(n);
    const omegaEff = new Float64Array(n);
    const factor = new Float64Array(256);
    for (const p of this.spec.phases) {
      // continuum inclusion value 2E/(9(1 − ν)), scaled by γ (see voxelDilatationResponse)
      factor[p.phaseId] = (Math.sqrt(voxelDilatationResponse(p.poissonRatio)) * 2 * p.youngsModulus) / (9 * (1 - p.poissonRatio));
    }
    const xVox = new Float64Array(N);
    const dx = 1e-6;
    return {
      localSlope,
      evaluate: (c, out) => {
        if (c.length !== n) throw new RangeError(`stress potential: ${c.length} concentrations for ${n} cells`);
        xVox.fill(Number.NaN);
        for (let i = 0; i < n; i++) {
          const v = cells.voxelOfCell[i], x = c[i] / cMax;
          xVox[v] = x;
          const law = this.isotropicLaw[rve.phase[v]];
          omegaEff[i] = law ? (3 * (law(x + dx) - law(x - dx))) / (2 * dx * cMax) : 0;
          localSlope[i] = -factor[rve.phase[v]] * omegaEff[i] * omegaEff[i];
        }
        const h = this.solveHydrostatic(xVox);
        for (let i = 0; i < n; i++) {
          const sh = h[cells.voxelOfCell[i]];
          out[i] = Number.isFinite(sh) ? omegaEff[i] * sh : 0;
        }
      },
    };
  }

  /**
   * Hydrostatic stress per voxel (NaN off the elastic problem) for a stoichiometry field: one
   * warm-started solve and the cell-centre stress, nothing else. Its failures (a lattice x out of range, CG not
   * converging) come out as MechanicsSolveError, which the runner turns into an incomplete run.
   */
  private solveHydrostatic(stoichiometry: Float64Array): Float64Array {
    let s: ReturnType<typeof solveSwellDisplacement>, field: EigenstrainField;
    try {
      field = this.eigenstrain(stoichiometry).field;
      s = solveSwellDisplacement(this.system, field, { rtol: this.spec.rtol, ...(this.warm ? { x0: this.warm } : {}) });
    } catch (err) {
      throw new MechanicsSolveError(`two-way stress solve: ${(err as Error).message}`);
    }
    this.warm = s.solverVector;
    this.coupledSolves++;
    this.coupledIterations += s.iterations;
    // only the cell-centre stress (not the full post-processing of `fields`, with its Gauss points)
    const stress = this.system.op.cellStress(s.displacement, field);
    const h = new Float64Array(stoichiometry.length);
    for (let v = 0; v < h.length; v++) h[v] = hydrostatic(stress, 6 * v);
    return h;
  }

  /** Elasticity solves made for the two-way coupling, and their CG iterations. */
  coupledSolves = 0;
  coupledIterations = 0;

  /** What summary.json records about the set-up. */
  setupSummary(): Record<string, unknown> {
    const { system, spec, rve } = this;
    const top = spec.top.kind === 'pressure' ? `pressure ${spec.top.pascal} Pa` : spec.top.kind;
    return {
      model: 'quasi-static linear elasticity from the stoichiometry field at each solve; reference = the initial field (stress-free at t = 0)',
      boundaryConditions: { collector: spec.collector === 'free' ? 'free (every solid cluster a free body, minimal rigid-body pins)' : 'u_n = 0 + minimal in-plane rigid-body pins', lateral: spec.lateral, top },
      coupling: spec.coupling === 'two-way'
        ? `two-way: s = σ : ∂ε_ch/∂c in the Li flux J = −D (∇c − (c/RT) ∇s)${spec.stressInPotential ? ' and in the equilibrium potential U + s/F' : ' (not in the equilibrium potential)'}, an elasticity solve per Newton residual evaluation`
        : 'one-way: the chemistry does not feel the stress',
      phases: spec.phases.map((p) => ({
        phase: p.name, id: p.phaseId, youngsModulus_Pa: p.youngsModulus, poissonRatio: p.poissonRatio, elasticSource: p.elasticSource,
        chemicalStrain: p.chemicalStrain.kind === 'none' ? 'none' : p.chemicalStrain.kind === 'isotropic'
          ? `isotropic (${p.chemicalStrain.material.id} ${p.chemicalStrain.material.has('volumeChange') ? 'volumeChange' : 'partialMolarVolume_m3_mol'})`
          : `lattice table ${p.chemicalStrain.table.id}, random orientation per particle (seed ${spec.orientationSeed})`,
      })),
      thickness_m: rve.shape[rve.thicknessAxis] * rve.voxelSize[rve.thicknessAxis],
      solidVoxels: system.solidVoxels, removedVoxels: system.removed, unknowns: system.unknowns, pinnedDofs: system.pinnedDofs,
      solvedAt: spec.coupling === 'two-way' ? 'every Newton residual evaluation (two-way) and every accepted step' : spec.solveAt === 'steps' ? 'every accepted time step, warm-started from the previous step' : 'the snapshots only (the timeseries.csv mechanics columns are empty)',
      threads: system.threads ?? { threads: 1, reason: 'periodic reduction (serial)' },
      solver: { method: 'cg', preconditioner: `${system.preconditioner.description}, built once per run`, rtol: spec.rtol, setupSeconds: system.setupSeconds },
      displacement: 'point data "displacement" (3 components) of the snapshot .vti',
    };
  }
}

function sameValues(a: Float64Array, b: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}

/** A failed elasticity solve inside the Newton loop of a two-way coupled run. */
export class MechanicsSolveError extends Error {
  override name = 'MechanicsSolveError';
}

const dilatationResponse = new Map<number, number>();

/**
 * (σ_h(centre) − σ_h(face neighbour)) of a one-voxel isotropic eigenstrain bump on the Q1 voxel
 * operator, over the continuum inclusion value 2 E tr ε* / (9 (1 − ν)) (its sign flipped: both
 * are compressive); it depends on ν only. Solved once per ν on an 11³ free block, then cached.
 */
export function voxelDilatationResponse(nu: number): number {
  const cached = dilatationResponse.get(nu);
  if (cached !== undefined) return cached;
  const n = 11, N = n * n * n, E = 1, eps = 1e-3;
  const op = new ElasticityOperator({
    shape: [n, n, n], spacing: [1, 1, 1], material: new Uint16Array(N).fill(1),
    stiffness: [new Float64Array(0), new LinearElastic(E, nu, 'voxelDilatationResponse').stiffness()], dirichlet: [], floatingClusters: 'pin',
  });
  const c = (n - 1) / 2, v0 = c + n * (c + n * c);
  const iso = new Float64Array(N);
  iso[v0] = eps;
  const field = { isotropic: iso };
  const res = cg(op.toCsr(), op.rhs({ eigenstrain: field }), { rtol: 1e-10, maxIterations: 5000 });
  const h = op.fields(op.fullDisplacement(res.x), field).hydrostatic;
  const ratio = (h[v0 + 1] - h[v0]) / ((2 * E * 3 * eps) / (9 * (1 - nu)));
  if (!(ratio > 0.5 && ratio < 5)) throw new Error(`voxelDilatationResponse(ν = ${nu}): ratio ${ratio} outside the expected range`);
  dilatationResponse.set(nu, ratio);
  return ratio;
}

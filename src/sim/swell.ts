/**
 * `swell`: the quasi-static elastic response of an electrode RVE (a slab between the current
 * collector and the separator) to a uniform state of lithiation, i.e. to a prescribed chemical
 * eigenstrain per solid phase (isotropic, or anisotropic per particle from lattice tables).
 *
 * Model (docs/theory/mechanics.md): Q1 voxel elasticity (src/assembly/elasticity-operator.ts),
 * −∇·σ = 0, σ = C (ε(u) − ε*), solid = the phases given elastic constants (active, CBD, ...);
 * pores and every phase without constants carry no stiffness (nodes touching only them are not
 * unknowns). Boundary conditions on the slab, with n the thickness axis (`rve.thicknessAxis`):
 *  - current-collector face (opposite `rve.separatorSide`): u_n = 0 (frictionless contact with a
 *    rigid foil), plus minimal rigid-body pins of the remaining in-plane motions (2 translations,
 *    1 rotation) where nothing else removes them: statically determinate, so they carry no load;
 *  - lateral faces: 'free' (traction-free), 'roller' (u·n_face = 0 on both faces of each lateral
 *    axis: the RVE sits in a laterally constrained electrode) or 'periodic' (u periodic along both
 *    lateral axes, zero mean lateral strain: the electrode continues periodically in its plane and
 *    is held laterally by the foil; in-plane translations, and the rotation about the thickness
 *    axis of clusters that do not wrap, are pinned per cluster, see src/sim/stiffness.ts);
 *  - separator face: 'free', 'fixed' (u_n = 0, a rigid frictionless platen) or 'pressure' p [Pa]
 *    (traction −p n on the solid voxel faces lying on the separator-side plane of the grid).
 * Solid clusters (6-connected) that do not touch the current-collector face hold on to nothing and
 * are removed (reported in `removedVoxels`).
 * Solve: CG preconditioned by smoothed-aggregation AMG with the rigid-body near-null space.
 * The pieces are exported for re-use with changing eigenstrains (src/sim/run-mechanics.ts):
 * `buildSwellSystem` (operator + BCs + preconditioner, once), `solveSwellSystem` (one load),
 * `separatorSurfaceDisplacement`, `meanKeptStrain`, `phaseStatistics`.
 */
import { InputError } from '../core/errors.js';
import type { Axis } from '../core/volume.js';
import { ElasticityOperator, type DirichletSpec, type EigenstrainField, type ElasticFields } from '../assembly/elasticity-operator.js';
import { ElasticityMultigridPreconditioner, type ElasticityMultigridLevelInfo } from '../assembly/elasticity-multigrid.js';
import { cg } from '../linalg/cg.js';
import type { CsrMatrix } from '../linalg/csr-matrix.js';
import { NonConvergenceError } from '../linalg/errors.js';
import { SmoothedAggregationPreconditioner } from '../linalg/smoothed-aggregation.js';
import { threadedCsr } from '../linalg/thread-pool.js';
import { labelComponents } from '../mesh/components.js';
import { voronoiGrains } from '../mesh/grains.js';
import type { Rve } from '../mesh/rve.js';
import { periodicClusters, periodicReduction, periodicRepOf } from './stiffness.js';
import { bungeMatrix, randomOrientations, rotatedLatticeStrain, type EulerAngles } from '../physics/chemical-strain.js';
import type { LinearElastic } from '../physics/linear-elastic.js';

export type SwellPreconditioner = 'auto' | 'gmg' | 'amg';

/**
 * `auto`: CG iterations the geometric multigrid gets before the solve switches to AMG for good.
 * Measured (docs/benchmarks.md): gmg needs 11–54 iterations on solid bodies and 23–134 on the
 * NREL crops, where it is faster than AMG throughout (at 134 still 45 s against 105 s; with this
 * budget that crop would switch), and ~300 on a generated sphere pack whose particles touch
 * through thin necks, where AMG needs 39 and is faster. The budget is a compromise between those,
 * not a tuned optimum.
 */
export const AUTO_GMG_ITERATIONS = 100;

/** Chemical eigenstrain of one phase. */
export type PhaseEigenstrain =
  | { kind: 'none' }
  /** The same Voigt eigenstrain (engineering shear) in every voxel of the phase. */
  | { kind: 'uniform'; voigt: readonly number[] }
  /** Crystal-frame strains diag(εa, εa, εc) rotated per particle by its orientation. */
  | { kind: 'lattice'; ea: number; ec: number };

export interface SwellPhase {
  /** Phase id in `rve.phase`. */
  id: number;
  name: string;
  elastic: LinearElastic;
  eigenstrain: PhaseEigenstrain;
  /** Where the numbers came from (material id, option), for the summary. */
  source?: string;
}

export type TopCondition = { kind: 'free' } | { kind: 'fixed' } | { kind: 'pressure'; pascal: number };

export interface SwellOptions {
  rve: Rve;
  /** Solid phases; every other phase is void. */
  phases: SwellPhase[];
  lateral?: 'free' | 'roller' | 'periodic';
  top?: TopCondition;
  /**
   * The current-collector face: `fixed` (default; u_n = 0 there, solid not connected to it is
   * left out) or `free` (no collector constraint: every solid cluster is a free body held only
   * by the minimal rigid-body pins, e.g. a single particle floating in electrolyte).
   */
  collector?: 'fixed' | 'free';
  /**
   * Prolongator smoothing on the first this-many AMG levels (default 1: the cheapest set-up,
   * best for one solve; 2 halves the CG iterations at 2.5× the set-up time, which pays off over
   * many solves with the same operator — measured in docs/benchmarks.md).
   */
  amgSmoothedLevels?: number;
  /**
   * Preconditioner of the CG solve: 'gmg' (matrix-free geometric multigrid on the voxel grid with
   * connectivity-split coarse nodes, src/assembly/elasticity-multigrid.ts), 'amg' (smoothed
   * aggregation with rigid-body modes on the assembled matrix) or 'auto' (default): gmg, switched
   * to amg for good when a solve has not converged in AUTO_GMG_ITERATIONS iterations; amg with
   * periodic lateral sides, which only amg supports. Measured in docs/benchmarks.md.
   */
  preconditioner?: SwellPreconditioner;
  /** `auto` only: the multigrid's iteration budget before switching to AMG (default AUTO_GMG_ITERATIONS). */
  autoGmgIterations?: number;
  /**
   * Orientations per particle id (index = particle id; index 0 is used for active voxels outside
   * any particle). Default: random by `orientationSeed`.
   */
  orientations?: EulerAngles[];
  /** Orientations of some particle (grain) ids, e.g. from a file; the others stay random by seed. */
  orientationOverrides?: Map<number, EulerAngles>;
  orientationSeed?: number;
  /**
   * Polycrystalline particles (src/mesh/grains.ts): Voronoi grains inside every particle, each
   * with its own orientation (then `orientations` is indexed by grain id). Grain seeds are drawn
   * with `orientationSeed`.
   */
  grains?: { perParticle?: number; grainSize?: number };
  rtol?: number;
  maxIterations?: number;
}

export interface PhaseStatistics {
  name: string;
  voxels: number;
  /** Volume averages of the total strain (Voigt, engineering shear) over the phase. */
  meanStrain: number[];
  /** Volume averages of the stress [Pa]. */
  meanStress: number[];
  meanVonMises_Pa: number;
  maxVonMises_Pa: number;
  maxGaussVonMises_Pa: number;
  meanHydrostatic_Pa: number;
  minHydrostatic_Pa: number;
  maxHydrostatic_Pa: number;
  maxPrincipal_Pa: number;
  /** ∫ w dV over the phase [J]. */
  strainEnergy_J: number;
}

export interface SwellSummary {
  shape: [number, number, number];
  voxelSize_m: [number, number, number];
  thicknessAxis: string;
  separatorSide: string;
  boundaryConditions: { collector: string; lateral: string; top: string; periodic: boolean };
  thickness_m: number;
  /** Mean normal displacement of the separator-side solid surface (outwards positive) [m]. */
  thicknessChange_m: number;
  /** thicknessChange / thickness. */
  thicknessStrain: number;
  /** Surface columns (in-plane node positions) the mean is over. */
  surfaceColumns: number;
  /** Volume-averaged strain over all kept solid voxels. */
  meanSolidStrain: number[];
  phases: PhaseStatistics[];
  removedVoxels: number;
  pinnedDofs: number;
  unknowns: number;
  solver: { method: string; preconditioner: string; iterations: number; relativeResidual: number; rtol: number; seconds: number };
  orientations?: { particles: number; grains: number | null; grainRule: string | null; seed: number | null; fromFile: number; unlabelledActiveVoxels: number };
}

export interface SwellResult {
  operator: ElasticityOperator;
  /** Nodal displacement [3·node + c] (NaN at nodes not in the system). */
  displacement: Float64Array;
  fields: ElasticFields;
  eigenstrain: EigenstrainField;
  /** Orientation label per voxel (grain id with `grains`, else particle id) when lattice strains were used. */
  orientationLabel?: Int32Array;
  summary: SwellSummary;
}

/** Build the per-voxel eigenstrain field (Voigt) of the phases, and orientation bookkeeping. */
export function swellEigenstrain(opts: Pick<SwellOptions, 'rve' | 'phases' | 'orientations' | 'orientationOverrides' | 'orientationSeed' | 'grains'>): { field: EigenstrainField; orientations?: SwellSummary['orientations']; label?: Int32Array } {
  const { rve, phases } = opts;
  const N = rve.phase.length;
  const byId = new Map(phases.map((p) => [p.id, p]));
  const isotropicVoigt = (v: readonly number[]): boolean => v[0] === v[1] && v[1] === v[2] && v[3] === 0 && v[4] === 0 && v[5] === 0;
  const anisotropic = phases.some((p) => p.eigenstrain.kind === 'lattice' || (p.eigenstrain.kind === 'uniform' && !isotropicVoigt(p.eigenstrain.voigt)));
  if (!anisotropic) {
    const iso = new Float64Array(N);
    const lut = new Float64Array(256);
    for (const p of phases) if (p.eigenstrain.kind === 'uniform') lut[p.id] = p.eigenstrain.voigt[0];
    for (let v = 0; v < N; v++) iso[v] = lut[rve.phase[v]];
    return { field: { isotropic: iso } };
  }
  const voigt = new Float64Array(6 * N);
  let orient: SwellSummary['orientations'];
  let matrices: Float64Array[] = [];
  let label: Int32Array | undefined;
  if (phases.some((p) => p.eigenstrain.kind === 'lattice')) {
    if (!rve.particle) throw new InputError('particles', 'anisotropic (lattice) chemical strain needs particle labels to orient');
    const seed = opts.orientationSeed ?? 1;
    let particles = 0;
    for (let v = 0; v < N; v++) particles = Math.max(particles, rve.particle[v]);
    let grainCount: number | null = null;
    if (opts.grains) {
      const g = voronoiGrains(rve.particle, rve.shape, { ...opts.grains, voxelSize: rve.voxelSize, seed });
      label = g.grain;
      grainCount = g.count;
    } else {
      label = rve.particle;
    }
    let maxId = 0;
    for (let v = 0; v < N; v++) maxId = Math.max(maxId, label[v]);
    const angles = [...(opts.orientations ?? randomOrientations(maxId + 1, seed))];
    if (angles.length < maxId + 1) throw new InputError('orientations', `${angles.length} orientations for ${opts.grains ? 'grain' : 'particle'} ids 0..${maxId}`);
    for (const [id, a] of opts.orientationOverrides ?? []) {
      if (!(Number.isInteger(id) && id >= 1 && id <= maxId)) throw new InputError('--orientations', `${opts.grains ? 'grain' : 'particle'} id ${id} is not in the RVE (ids 1..${maxId})`);
      angles[id] = a;
    }
    matrices = angles.map((a) => bungeMatrix(a));
    let unlabelled = 0;
    for (let v = 0; v < N; v++) { const p = byId.get(rve.phase[v]); if (p?.eigenstrain.kind === 'lattice' && rve.particle[v] === 0) unlabelled++; }
    const rule = opts.grains ? (opts.grains.perParticle !== undefined ? `${opts.grains.perParticle} per particle` : `size ${opts.grains.grainSize} m (equivalent-sphere diameter)`) : null;
    orient = { particles, grains: grainCount, grainRule: rule, seed: opts.orientations ? null : seed, fromFile: opts.orientationOverrides?.size ?? 0, unlabelledActiveVoxels: unlabelled };
  }
  for (let v = 0; v < N; v++) {
    const p = byId.get(rve.phase[v]);
    if (!p) continue;
    const e = p.eigenstrain;
    if (e.kind === 'uniform') for (let j = 0; j < 6; j++) voigt[6 * v + j] = e.voigt[j];
    else if (e.kind === 'lattice') rotatedLatticeStrain(e.ea, e.ec, matrices[label![v]], voigt, 6 * v);
  }
  return { field: { voigt }, orientations: orient, label };
}

/** Material ids per voxel (phase id + 1 for solid phases, 0 otherwise) with floating clusters removed. */
function solidMaterial(rve: Rve, phases: SwellPhase[], anchorAll = false): { material: Uint16Array; removed: number; solidVoxels: number } {
  const N = rve.phase.length;
  const solidLut = new Uint8Array(256);
  for (const p of phases) solidLut[p.id] = 1;
  const solid = new Uint8Array(N);
  for (let v = 0; v < N; v++) solid[v] = solidLut[rve.phase[v]];
  const { labels, count } = labelComponents(solid, rve.shape, 6);
  const [nx, ny, nz] = rve.shape;
  const axis = rve.thicknessAxis;
  const collectorLayer = rve.separatorSide === 'low' ? [nx, ny, nz][axis] - 1 : 0;
  const anchored = new Uint8Array(count + 1);
  for (let z = 0, v = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++, v++) {
    if (labels[v] > 0 && [x, y, z][axis] === collectorLayer) anchored[labels[v]] = 1;
  }
  const material = new Uint16Array(N);
  let removed = 0, solidVoxels = 0;
  for (let v = 0; v < N; v++) {
    if (!solid[v]) continue;
    solidVoxels++;
    if (anchorAll || anchored[labels[v]]) material[v] = rve.phase[v] + 1; else removed++;
  }
  return { material, removed, solidVoxels };
}

/**
 * The assembled, factorised swelling problem of an RVE: operator, boundary conditions and AMG
 * preconditioner, built once; `solveSwellSystem` then solves it for any eigenstrain field (the
 * geometry, stiffness and boundary conditions do not depend on the eigenstrain).
 */
export interface SwellSystem {
  rve: Rve;
  lateral: 'free' | 'roller' | 'periodic';
  top: TopCondition;
  periodic: boolean;
  op: ElasticityOperator;
  /** Kept material id per voxel (0: void or removed). */
  material: Uint16Array;
  removed: number;
  solidVoxels: number;
  /** Load of the separator-face pressure (free-DOF vector), or null. */
  pressureLoad: Float64Array | null;
  pinnedDofs: number;
  unknowns: number;
  /** Seconds spent building the matrix and preconditioner. */
  setupSeconds: number;
  /** Threads of the matrix products (1 with periodic sides, or when the system is small; with the reason). */
  threads?: { threads: number; reason: string };
  /** The preconditioner used ('auto' resolved) and a one-line description. */
  preconditioner: { kind: 'gmg' | 'amg'; description: string };
  /** The geometric multigrid hierarchy, when that is the preconditioner. */
  multigrid?: ElasticityMultigridLevelInfo[];
  /**
   * Solve A u = b (b over the operator's free DOFs); returns u over the operator's free DOFs and
   * `x`, the solution in the solver's own unknowns (the periodic reduction's, or u), which a
   * later solve may take as its initial guess `x0` (a warm start between nearby loads).
   */
  solve(b: Float64Array, rtol: number, maxIterations: number, x0?: Float64Array): { u: Float64Array; x: Float64Array; iterations: number; relativeResidual: number };
}

/** Build the operator, boundary conditions and preconditioner of the swelling problem (see the file header). */
export function buildSwellSystem(opts: Pick<SwellOptions, 'rve' | 'phases' | 'lateral' | 'top' | 'collector' | 'amgSmoothedLevels' | 'preconditioner' | 'autoGmgIterations'>): SwellSystem {
  const { rve, phases } = opts;
  const freeBody = opts.collector === 'free';
  const lateral = opts.lateral ?? 'free';
  const top = opts.top ?? { kind: 'free' };
  if (phases.length === 0) throw new InputError('--materials', 'no solid phase has elastic constants: nothing to solve');
  for (const p of phases) if (!rve.phases.some((q) => q.id === p.id)) throw new InputError('phases', `phase id ${p.id} (${p.name}) is not in the RVE`);
  const axis = rve.thicknessAxis;
  const collectorSide = rve.separatorSide === 'low' ? 'high' : 'low';
  const { material, removed, solidVoxels } = solidMaterial(rve, phases, freeBody);
  if (removed === solidVoxels) {
    throw new InputError('volume', `no solid voxel touches the current-collector face (${collectorSide} end of ${'xyz'[axis]}): nothing holds the electrode`);
  }
  const stiffness: Float64Array[] = [];
  for (const p of phases) stiffness[p.id + 1] = p.elastic.stiffness();
  const dirichlet: DirichletSpec[] = freeBody ? [] : [{ face: { axis, side: collectorSide }, components: [axis] }];
  const lateralAxes = ([0, 1, 2] as Axis[]).filter((a) => a !== axis);
  const [la, lb] = lateralAxes;
  if (lateral === 'roller') for (const a of lateralAxes) for (const side of ['low', 'high'] as const) dirichlet.push({ face: { axis: a, side }, components: [a] });
  if (top.kind === 'fixed') dirichlet.push({ face: { axis, side: rve.separatorSide }, components: [axis] });
  const periodic = lateral === 'periodic';
  const op = new ElasticityOperator({ shape: rve.shape, spacing: rve.voxelSize, material, stiffness, dirichlet, floatingClusters: periodic ? 'keep' : 'pin' });

  let pressureLoad: Float64Array | null = null;
  if (top.kind === 'pressure') {
    if (!(top.pascal >= 0 && Number.isFinite(top.pascal))) throw new InputError('--top', `pressure must be ≥ 0, got ${top.pascal}`);
    const t = [0, 0, 0];
    t[axis] = rve.separatorSide === 'high' ? -top.pascal : top.pascal; // −p n, n the outward normal
    pressureLoad = op.boundaryTractionLoad(axis, rve.separatorSide, t);
  }
  const t0 = performance.now();
  const base = { rve, lateral, top, periodic, op, material, removed, solidVoxels, pressureLoad };
  const requested = opts.preconditioner ?? 'auto';
  if (requested !== 'auto' && requested !== 'amg' && requested !== 'gmg') throw new InputError('preconditioner', `expected auto, gmg or amg, got ${String(requested)}`);
  if (requested === 'gmg' && periodic) throw new InputError('preconditioner', 'gmg does not support periodic lateral sides (use amg or auto)');
  const amgOf = (): { A: CsrMatrix; M: SmoothedAggregationPreconditioner; threads: { threads: number; reason: string }; description: string } => {
    // on large systems the matrix goes to shared memory so that CG and the finest AMG level run
    // their SpMVs on every thread (LITHOMECH_THREADS; bitwise the serial result)
    const { A, threads, reason } = threadedCsr(op.toCsr());
    const levels = opts.amgSmoothedLevels ?? 1;
    const M = new SmoothedAggregationPreconditioner(A, { nearNullSpace: op.rigidBodyModes(), nodeOfUnknown: op.aggregationNodes(), smoothedLevels: levels });
    return { A, M, threads: { threads, reason }, description: `smoothed-aggregation AMG (rigid-body modes, ${levels} smoothed level(s))` };
  };
  if (!periodic) {
    const sys: SwellSystem = { ...base, pinnedDofs: op.clusters.pinnedDofs, unknowns: op.n, setupSeconds: 0, preconditioner: { kind: 'amg', description: '' }, solve: () => { throw new Error('unset'); } };
    let amg: ReturnType<typeof amgOf> | undefined;
    const useAmg = (why: string): ReturnType<typeof amgOf> => {
      const t = performance.now();
      const a = amgOf();
      sys.setupSeconds += (performance.now() - t) / 1000;
      sys.threads = a.threads;
      sys.preconditioner = { kind: 'amg', description: a.description + why };
      delete sys.multigrid;
      return a;
    };
    if (requested === 'amg') amg = useAmg('');
    const gmg = amg ? undefined : new ElasticityMultigridPreconditioner(op);
    if (gmg) {
      const k = gmg.kernelInfo;
      sys.threads = { threads: k.threads, reason: k.reason };
      sys.preconditioner = { kind: 'gmg', description: `matrix-free geometric multigrid (${gmg.levels.length} levels, connectivity-split coarse nodes, Chebyshev(2) V-cycle)` };
      sys.multigrid = gmg.levels;
    }
    sys.setupSeconds = (performance.now() - t0) / 1000; // (useAmg above added its part already: overwrite)
    sys.solve = (b, rtol, maxIterations, x0) => {
      let spent = 0;
      if (!amg && gmg) {
        // auto: the multigrid gets AUTO_GMG_ITERATIONS; where its trilinear coarse spaces cannot
        // follow the geometry (particles held by thin necks) AMG is faster, so auto switches to it,
        // once, continuing from the multigrid's last iterate (docs/theory/mechanics.md)
        const budget = opts.autoGmgIterations ?? AUTO_GMG_ITERATIONS;
        const cap = requested === 'auto' ? Math.min(maxIterations, budget) : maxIterations;
        try {
          const res = gmg.solve(b, { rtol, maxIterations: cap, ...(x0 ? { x0 } : {}) });
          return { u: res.u, x: res.u, iterations: res.iterations, relativeResidual: res.relativeResidual };
        } catch (e) {
          if (!(requested === 'auto' && e instanceof NonConvergenceError && e.reason === 'max-iterations' && e.lastIterate)) throw e;
          spent = e.iterations;
          x0 = e.lastIterate;
          amg = useAmg(` (auto: switched from the geometric multigrid, which had not converged after ${budget} CG iterations)`);
        }
      }
      const a = amg!;
      let res;
      try {
        res = cg(a.A, b, { rtol, preconditioner: a.M, maxIterations: Math.max(1, maxIterations - spent), ...(x0 ? { x0 } : {}) });
      } catch (e) {
        // count the multigrid's iterations of this solve too, and say that it switched
        if (spent > 0 && e instanceof NonConvergenceError) {
          throw new NonConvergenceError('cg', spent + e.iterations, e.lastResidual, e.relativeResidual, e.reason, `${spent} with the geometric multigrid, then AMG`, e.lastIterate);
        }
        throw e;
      }
      return { u: res.x, x: res.x, iterations: spent + res.iterations, relativeResidual: res.relativeResidual };
    };
    return sys;
  }
  // lateral axes periodic (zero mean lateral strain); pins: per laterally-periodic cluster the two
  // in-plane components of one node, plus one in-plane component of a far node when the cluster
  // does not wrap laterally (then the rotation about the thickness axis is free too)
  const per: [boolean, boolean, boolean] = [true, true, true];
  per[axis] = false;
  const rep = periodicRepOf(op, per);
  const pc = periodicClusters(material, rve.shape, per);
  const [nx, ny] = rve.shape;
  const vpos = (v: number): number[] => [v % nx, Math.floor(v / nx) % ny, Math.floor(v / (nx * ny))];
  const first = new Int32Array(pc.count + 1).fill(-1), far = new Int32Array(pc.count + 1).fill(-1), farD = new Float64Array(pc.count + 1).fill(-1);
  for (let v = 0; v < material.length; v++) { const l = pc.labels[v]; if (l > 0 && first[l] < 0) first[l] = v; }
  for (let v = 0; v < material.length; v++) {
    const l = pc.labels[v];
    if (l === 0 || pc.wrapRank[l] > 0) continue;
    const p = vpos(v), q = vpos(first[l]);
    const d = (p[la] - q[la]) ** 2 + (p[lb] - q[lb]) ** 2;
    if (d > farD[l]) { farD[l] = d; far[l] = v; }
  }
  const pins = new Set<number>();
  for (let l = 1; l <= pc.count; l++) {
    const r1 = rep.of(op.nodeOfVoxelCorner(first[l]));
    pins.add(3 * r1 + la); pins.add(3 * r1 + lb);
    if (pc.wrapRank[l] === 0) {
      // the rotation about n moves a second node perpendicular to its in-plane separation from
      // the first: pin that component (a single column of voxels: the neighbouring corner along la)
      const [NX, NY] = op.nodeShape;
      if (farD[l] > 0) {
        const p = vpos(far[l]), q = vpos(first[l]);
        pins.add(3 * rep.of(op.nodeOfVoxelCorner(far[l])) + (Math.abs(p[la] - q[la]) >= Math.abs(p[lb] - q[lb]) ? lb : la));
      } else {
        pins.add(3 * rep.of(op.nodeOfVoxelCorner(first[l]) + [1, NX, NX * NY][la]) + lb);
      }
    }
  }
  const red = periodicReduction(op, rep, pins);
  const M = new SmoothedAggregationPreconditioner(red.A, { nearNullSpace: red.modes, nodeOfUnknown: red.nodeOfUnknown, smoothedLevels: opts.amgSmoothedLevels ?? 1 });
  return {
    ...base, pinnedDofs: pins.size, unknowns: red.n, setupSeconds: (performance.now() - t0) / 1000,
    preconditioner: { kind: 'amg', description: `smoothed-aggregation AMG on the periodic reduction (rigid-body modes, ${opts.amgSmoothedLevels ?? 1} smoothed level(s))` },
    solve: (b, rtol, maxIterations, x0) => {
      const bp = new Float64Array(red.n);
      red.Pt.apply(b, bp);
      const res = cg(red.A, bp, { rtol, preconditioner: M, maxIterations, ...(x0 ? { x0 } : {}) });
      const u = new Float64Array(op.n);
      red.P.apply(res.x, u);
      return { u, x: res.x, iterations: res.iterations, relativeResidual: res.relativeResidual };
    },
  };
}

/** One solve of a built system for an eigenstrain field: nodal displacement (full), fields, solver numbers. */
export function solveSwellSystem(sys: SwellSystem, field: EigenstrainField, opts: { rtol?: number; maxIterations?: number; x0?: Float64Array } = {}): {
  displacement: Float64Array; fields: ElasticFields; iterations: number; relativeResidual: number; rtol: number; seconds: number;
  /** The solver's solution vector (pass it back as `x0` to warm-start the next solve). */
  solverVector: Float64Array;
} {
  const d = solveSwellDisplacement(sys, field, opts);
  return { ...d, fields: sys.op.fields(d.displacement, field) };
}

/**
 * The displacement part of `solveSwellSystem`, without the post-processed fields (for callers that
 * need only some of them, e.g. the hydrostatic stress of the two-way coupling on every Newton
 * residual evaluation).
 */
export function solveSwellDisplacement(sys: SwellSystem, field: EigenstrainField, opts: { rtol?: number; maxIterations?: number; x0?: Float64Array } = {}): {
  displacement: Float64Array; iterations: number; relativeResidual: number; rtol: number; seconds: number; solverVector: Float64Array;
} {
  const { op } = sys;
  const b = op.rhs({ eigenstrain: field });
  if (sys.pressureLoad) for (let i = 0; i < b.length; i++) b[i] += sys.pressureLoad[i];
  const rtol = opts.rtol ?? 1e-8;
  const t0 = performance.now();
  const { u, x, iterations, relativeResidual } = sys.solve(b, rtol, opts.maxIterations ?? 2000, opts.x0);
  const seconds = (performance.now() - t0) / 1000;
  if (!(relativeResidual <= rtol * 10)) {
    throw new Error(`swell: CG did not converge (relative residual ${relativeResidual.toExponential(2)} after ${iterations} iterations, rtol ${rtol})`);
  }
  return { displacement: op.fullDisplacement(u), iterations, relativeResidual, rtol, seconds, solverVector: x };
}

/**
 * Mean normal displacement of the separator-side solid surface (outwards positive) [m]: per
 * in-plane node column, the system node nearest the separator side; and the columns counted.
 */
export function separatorSurfaceDisplacement(op: ElasticityOperator, rve: Rve, U: Float64Array): { mean: number; columns: number } {
  const axis = rve.thicknessAxis;
  const [la, lb] = ([0, 1, 2] as Axis[]).filter((a) => a !== axis);
  const [NX, NY, NZ] = op.nodeShape;
  const nodeDims = [NX, NY, NZ];
  const nA = nodeDims[la], nB = nodeDims[lb], nN = nodeDims[axis];
  const sign = rve.separatorSide === 'high' ? 1 : -1;
  let sum = 0, columns = 0;
  const idx = [0, 0, 0];
  for (let i = 0; i < nA; i++) for (let j = 0; j < nB; j++) {
    idx[la] = i; idx[lb] = j;
    for (let s = 0; s < nN; s++) {
      idx[axis] = rve.separatorSide === 'high' ? nN - 1 - s : s;
      const node = idx[0] + NX * (idx[1] + NY * idx[2]);
      if (!op.nodeInSystem[node]) continue;
      sum += sign * U[3 * node + axis];
      columns++;
      break;
    }
  }
  return { mean: columns > 0 ? sum / columns : Number.NaN, columns };
}

/** Volume-averaged strain (Voigt, engineering shear) over all kept solid voxels. */
export function meanKeptStrain(op: ElasticityOperator, f: ElasticFields): number[] {
  const meanSolid = new Array(6).fill(0);
  let kept = 0;
  for (const v of op.elementVoxel) { kept++; for (let j = 0; j < 6; j++) meanSolid[j] += f.strain[6 * v + j]; }
  return meanSolid.map((s) => (kept > 0 ? s / kept : Number.NaN));
}

/** Run the swelling problem. */
export function swell(opts: SwellOptions): SwellResult {
  const { rve, phases } = opts;
  const sys = buildSwellSystem(opts);
  const { op, lateral, top, periodic, removed } = sys;
  const axis = rve.thicknessAxis;
  const { field, orientations, label } = swellEigenstrain(opts);
  const solved = solveSwellSystem(sys, field, { rtol: opts.rtol, maxIterations: opts.maxIterations });
  const { iterations, relativeResidual, rtol, fields } = solved;
  const U = solved.displacement;
  const pinnedDofs = sys.pinnedDofs, unknowns = sys.unknowns;
  const seconds = sys.setupSeconds + solved.seconds;
  const surf = separatorSurfaceDisplacement(op, rve, U);
  const columns = surf.columns;
  const thickness = rve.shape[axis] * rve.voxelSize[axis];
  const dV = rve.voxelSize[0] * rve.voxelSize[1] * rve.voxelSize[2];
  const stats = phases.map((p) => phaseStatistics(p, rve.phase, op, fields, dV));
  const topText = top.kind === 'pressure' ? `pressure ${top.pascal} Pa` : top.kind === 'fixed' ? 'fixed (u_n = 0)' : 'free';
  const summary: SwellSummary = {
    shape: [...rve.shape] as [number, number, number],
    voxelSize_m: [...rve.voxelSize] as [number, number, number],
    thicknessAxis: 'xyz'[axis],
    separatorSide: rve.separatorSide,
    boundaryConditions: { collector: 'u_n = 0 + minimal in-plane rigid-body pins', lateral: lateral === 'roller' ? 'roller (u·n = 0)' : lateral === 'periodic' ? 'periodic (zero mean lateral strain)' : 'free', top: topText, periodic },
    thickness_m: thickness,
    thicknessChange_m: surf.mean,
    thicknessStrain: surf.mean / thickness,
    surfaceColumns: columns,
    meanSolidStrain: meanKeptStrain(op, fields),
    phases: stats,
    removedVoxels: removed,
    pinnedDofs,
    unknowns,
    solver: { method: 'cg', preconditioner: sys.preconditioner.description, iterations, relativeResidual, rtol, seconds },
    ...(orientations ? { orientations } : {}),
  };
  return { operator: op, displacement: U, fields, eigenstrain: field, ...(label ? { orientationLabel: label } : {}), summary };
}

export function phaseStatistics(p: SwellPhase, phase: Uint8Array, op: ElasticityOperator, f: ElasticFields, dV: number): PhaseStatistics {
  const mStrain = new Array(6).fill(0), mStress = new Array(6).fill(0);
  let n = 0, vm = 0, vmMax = 0, gMax = 0, h = 0, hMin = Infinity, hMax = -Infinity, pMax = -Infinity, w = 0;
  for (const v of op.elementVoxel) {
    if (phase[v] !== p.id) continue;
    n++;
    for (let j = 0; j < 6; j++) { mStrain[j] += f.strain[6 * v + j]; mStress[j] += f.stress[6 * v + j]; }
    vm += f.vonMises[v]; vmMax = Math.max(vmMax, f.vonMises[v]); gMax = Math.max(gMax, f.gaussMaxVonMises[v]);
    h += f.hydrostatic[v]; hMin = Math.min(hMin, f.hydrostatic[v]); hMax = Math.max(hMax, f.hydrostatic[v]);
    pMax = Math.max(pMax, f.maxPrincipal[v]); w += f.energyDensity[v] * dV;
  }
  const avg = (s: number): number => (n > 0 ? s / n : Number.NaN);
  return {
    name: p.name, voxels: n,
    meanStrain: mStrain.map(avg), meanStress: mStress.map(avg),
    meanVonMises_Pa: avg(vm), maxVonMises_Pa: n > 0 ? vmMax : Number.NaN, maxGaussVonMises_Pa: n > 0 ? gMax : Number.NaN,
    meanHydrostatic_Pa: avg(h), minHydrostatic_Pa: n > 0 ? hMin : Number.NaN, maxHydrostatic_Pa: n > 0 ? hMax : Number.NaN,
    maxPrincipal_Pa: n > 0 ? pMax : Number.NaN, strainEnergy_J: w,
  };
}

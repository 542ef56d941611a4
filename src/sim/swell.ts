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
 *  - lateral faces: 'free' (traction-free) or 'roller' (u·n_face = 0 on both faces of each lateral
 *    axis: the RVE sits in a laterally constrained electrode). Periodic is not implemented;
 *  - separator face: 'free', 'fixed' (u_n = 0, a rigid frictionless platen) or 'pressure' p [Pa]
 *    (traction −p n on the solid voxel faces lying on the separator-side plane of the grid).
 * Solid clusters (6-connected) that do not touch the current-collector face hold on to nothing and
 * are removed (reported in `removedVoxels`).
 * Solve: CG preconditioned by smoothed-aggregation AMG with the rigid-body near-null space.
 */
import { InputError } from '../core/errors.js';
import type { Axis } from '../core/volume.js';
import { ElasticityOperator, type DirichletSpec, type EigenstrainField, type ElasticFields } from '../assembly/elasticity-operator.js';
import { cg } from '../linalg/cg.js';
import { SmoothedAggregationPreconditioner } from '../linalg/smoothed-aggregation.js';
import { labelComponents } from '../mesh/components.js';
import type { Rve } from '../mesh/rve.js';
import { bungeMatrix, randomOrientations, rotatedLatticeStrain, type EulerAngles } from '../physics/chemical-strain.js';
import type { LinearElastic } from '../physics/linear-elastic.js';

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
  lateral?: 'free' | 'roller';
  top?: TopCondition;
  /**
   * Orientations per particle id (index = particle id; index 0 is used for active voxels outside
   * any particle). Default: random by `orientationSeed`.
   */
  orientations?: EulerAngles[];
  orientationSeed?: number;
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
  boundaryConditions: { collector: string; lateral: string; top: string; periodic: false };
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
  orientations?: { particles: number; seed: number | null; unlabelledActiveVoxels: number };
}

export interface SwellResult {
  operator: ElasticityOperator;
  /** Nodal displacement [3·node + c] (NaN at nodes not in the system). */
  displacement: Float64Array;
  fields: ElasticFields;
  eigenstrain: EigenstrainField;
  summary: SwellSummary;
}

/** Build the per-voxel eigenstrain field (Voigt) of the phases, and orientation bookkeeping. */
export function swellEigenstrain(opts: Pick<SwellOptions, 'rve' | 'phases' | 'orientations' | 'orientationSeed'>): { field: EigenstrainField; orientations?: SwellSummary['orientations'] } {
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
  if (phases.some((p) => p.eigenstrain.kind === 'lattice')) {
    if (!rve.particle) throw new InputError('particles', 'anisotropic (lattice) chemical strain needs particle labels to orient');
    let maxId = 0;
    for (let v = 0; v < N; v++) maxId = Math.max(maxId, rve.particle[v]);
    const seed = opts.orientationSeed ?? 1;
    const angles = opts.orientations ?? randomOrientations(maxId + 1, seed);
    if (angles.length < maxId + 1) throw new InputError('orientations', `${angles.length} orientations for particle ids 0..${maxId}`);
    matrices = angles.map((a) => bungeMatrix(a));
    let unlabelled = 0;
    for (let v = 0; v < N; v++) { const p = byId.get(rve.phase[v]); if (p?.eigenstrain.kind === 'lattice' && rve.particle[v] === 0) unlabelled++; }
    orient = { particles: maxId, seed: opts.orientations ? null : seed, unlabelledActiveVoxels: unlabelled };
  }
  for (let v = 0; v < N; v++) {
    const p = byId.get(rve.phase[v]);
    if (!p) continue;
    const e = p.eigenstrain;
    if (e.kind === 'uniform') for (let j = 0; j < 6; j++) voigt[6 * v + j] = e.voigt[j];
    else if (e.kind === 'lattice') rotatedLatticeStrain(e.ea, e.ec, matrices[rve.particle![v]], voigt, 6 * v);
  }
  return { field: { voigt }, orientations: orient };
}

/** Material ids per voxel (phase id + 1 for solid phases, 0 otherwise) with floating clusters removed. */
function solidMaterial(rve: Rve, phases: SwellPhase[]): { material: Uint16Array; removed: number; solidVoxels: number } {
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
    if (anchored[labels[v]]) material[v] = rve.phase[v] + 1; else removed++;
  }
  return { material, removed, solidVoxels };
}

/** Run the swelling problem. */
export function swell(opts: SwellOptions): SwellResult {
  const { rve, phases } = opts;
  const lateral = opts.lateral ?? 'free';
  const top = opts.top ?? { kind: 'free' };
  if (phases.length === 0) throw new InputError('--materials', 'no solid phase has elastic constants: nothing to solve');
  for (const p of phases) if (!rve.phases.some((q) => q.id === p.id)) throw new InputError('phases', `phase id ${p.id} (${p.name}) is not in the RVE`);
  const axis = rve.thicknessAxis;
  const collectorSide = rve.separatorSide === 'low' ? 'high' : 'low';
  const { material, removed, solidVoxels } = solidMaterial(rve, phases);
  if (removed === solidVoxels) {
    throw new InputError('volume', `no solid voxel touches the current-collector face (${collectorSide} end of ${'xyz'[axis]}): nothing holds the electrode`);
  }
  const stiffness: Float64Array[] = [];
  for (const p of phases) stiffness[p.id + 1] = p.elastic.stiffness();
  const dirichlet: DirichletSpec[] = [{ face: { axis, side: collectorSide }, components: [axis] }];
  const lateralAxes = ([0, 1, 2] as Axis[]).filter((a) => a !== axis);
  if (lateral === 'roller') for (const a of lateralAxes) for (const side of ['low', 'high'] as const) dirichlet.push({ face: { axis: a, side }, components: [a] });
  if (top.kind === 'fixed') dirichlet.push({ face: { axis, side: rve.separatorSide }, components: [axis] });
  const op = new ElasticityOperator({ shape: rve.shape, spacing: rve.voxelSize, material, stiffness, dirichlet, floatingClusters: 'pin' });

  const { field, orientations } = swellEigenstrain(opts);
  const b = op.rhs({ eigenstrain: field });
  if (top.kind === 'pressure') {
    if (!(top.pascal >= 0 && Number.isFinite(top.pascal))) throw new InputError('--top', `pressure must be ≥ 0, got ${top.pascal}`);
    const t = [0, 0, 0];
    t[axis] = rve.separatorSide === 'high' ? -top.pascal : top.pascal; // −p n, n the outward normal
    const f = op.boundaryTractionLoad(axis, rve.separatorSide, t);
    for (let i = 0; i < b.length; i++) b[i] += f[i];
  }
  const rtol = opts.rtol ?? 1e-8;
  const t0 = performance.now();
  const A = op.toCsr();
  const M = new SmoothedAggregationPreconditioner(A, { nearNullSpace: op.rigidBodyModes(), nodeOfUnknown: op.aggregationNodes() });
  const res = cg(A, b, { rtol, preconditioner: M, maxIterations: opts.maxIterations ?? 2000 });
  const seconds = (performance.now() - t0) / 1000;
  if (!(res.relativeResidual <= rtol * 10)) {
    throw new Error(`swell: CG did not converge (relative residual ${res.relativeResidual.toExponential(2)} after ${res.iterations} iterations, rtol ${rtol})`);
  }
  const U = op.fullDisplacement(res.x);
  const fields = op.fields(U, field);

  // thickness change: per in-plane node column, the system node nearest the separator side
  const [NX, NY, NZ] = op.nodeShape;
  const nodeDims = [NX, NY, NZ];
  const [la, lb] = lateralAxes;
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
  const thickness = rve.shape[axis] * rve.voxelSize[axis];
  const dV = rve.voxelSize[0] * rve.voxelSize[1] * rve.voxelSize[2];
  const stats = phases.map((p) => phaseStatistics(p, rve.phase, op, fields, dV));
  const meanSolid = new Array(6).fill(0);
  let kept = 0;
  for (const v of op.elementVoxel) { kept++; for (let j = 0; j < 6; j++) meanSolid[j] += fields.strain[6 * v + j]; }
  const topText = top.kind === 'pressure' ? `pressure ${top.pascal} Pa` : top.kind === 'fixed' ? 'fixed (u_n = 0)' : 'free';
  const summary: SwellSummary = {
    shape: [...rve.shape] as [number, number, number],
    voxelSize_m: [...rve.voxelSize] as [number, number, number],
    thicknessAxis: 'xyz'[axis],
    separatorSide: rve.separatorSide,
    boundaryConditions: { collector: 'u_n = 0 + minimal in-plane rigid-body pins', lateral: lateral === 'roller' ? 'roller (u·n = 0)' : 'free', top: topText, periodic: false },
    thickness_m: thickness,
    thicknessChange_m: columns > 0 ? sum / columns : Number.NaN,
    thicknessStrain: columns > 0 ? sum / columns / thickness : Number.NaN,
    surfaceColumns: columns,
    meanSolidStrain: meanSolid.map((s) => (kept > 0 ? s / kept : Number.NaN)),
    phases: stats,
    removedVoxels: removed,
    pinnedDofs: op.clusters.pinnedDofs,
    unknowns: op.n,
    solver: { method: 'cg', preconditioner: 'smoothed-aggregation AMG (rigid-body modes)', iterations: res.iterations, relativeResidual: res.relativeResidual, rtol, seconds },
    ...(orientations ? { orientations } : {}),
  };
  return { operator: op, displacement: U, fields, eigenstrain: field, summary };
}

function phaseStatistics(p: SwellPhase, phase: Uint8Array, op: ElasticityOperator, f: ElasticFields, dV: number): PhaseStatistics {
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

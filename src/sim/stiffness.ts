/**
 * `stiffness`: the effective (homogenised) 6 × 6 elastic stiffness of a voxel RVE from six load
 * cases (docs/theory/mechanics.md, "Effective stiffness").
 *
 * For each Voigt direction j (xx, yy, zz, yz, xz, xy) a macroscopic strain Ē = ε₀ e_j (engineering
 * shear for j ≥ 3, i.e. Ē_ab = Ē_ba = ε₀/2) is imposed by KINEMATIC (affine, "essential")
 * boundary conditions: u = Ē x on every node of all six faces of the box that belongs to the solid
 * (all three components). With no body force and no eigenstrain, the volume average of the strain
 * over the box equals Ē (divergence theorem; pores included, their "strain" being that of any
 * extension of u), so the effective stiffness is C_ij = ⟨σ_i⟩ / ε₀ with
 *   ⟨σ⟩ = (1/V_box) Σ_e ∫_e σ dV = (1/N_voxels) Σ_e σ(centre of e)
 * (pores carry no stress; for Q1 the strain in an element is multilinear, and the mean of a
 * multilinear function over a box is its value at the centre, so the centre value is exact).
 * Kinematic BCs give an upper bound in the energy sense: C_kin ≥ C_periodic ≥ C_static, and
 * C_kin ≤ C_Voigt = ⟨C⟩ (the affine field is admissible). Solid clusters that do not touch the
 * box boundary are unconstrained and removed (their stiffness does not count; `removedVoxels`).
 * One operator, one matrix and one AMG preconditioner serve all six cases (only the prescribed
 * values change).
 *
 * PERIODIC boundary conditions (`bc: 'periodic'`): u = Ē x + ũ with ũ periodic on the box (node
 * X = nx identified with X = 0, etc., on all three axes). The fluctuation solves the eigenstrain
 * problem with ε* = −Ē (σ = C(ε(ũ) + Ē)): the non-periodic Q1 operator without Dirichlet
 * conditions, reduced by the identification matrix P (full DOF → periodic DOF), A_p = Pᵀ A P,
 * b_p = Pᵀ f(−Ē) (`periodicReduction`). Rigid-body modes: translations are fixed by pinning ũ = 0
 * at one node of each kept cluster; rotations are not periodic in a cluster that connects to its
 * own periodic images in at least two independent directions. Clusters are therefore found with
 * periodic 6-connectivity together with the rank of the lattice of image shifts along which each
 * connects to itself (`periodicClusters`, "wrap rank"): clusters of wrap rank ≥ 2 are kept;
 * islands (rank 0) carry no load and fibres (rank 1: a free rotation about the fibre) are removed
 * and counted in `removedVoxels`.
 */
import { Matrix, inverse } from 'ml-matrix';
import { InputError } from '../core/errors.js';
import type { Axis, Shape3, Vec3 } from '../core/volume.js';
import { ElasticityOperator, type DirichletSpec } from '../assembly/elasticity-operator.js';
import { cg } from '../linalg/cg.js';
import { CsrMatrix } from '../linalg/csr-matrix.js';
import { SmoothedAggregationPreconditioner, sparseMultiply, transpose } from '../linalg/smoothed-aggregation.js';
import type { LinearElastic } from '../physics/linear-elastic.js';

export const VOIGT_LABELS = ['xx', 'yy', 'zz', 'yz', 'xz', 'xy'] as const;

export interface StiffnessPhase {
  /** Phase id in `phase`. */
  id: number;
  name: string;
  elastic: LinearElastic;
}

export interface StiffnessOptions {
  shape: Shape3;
  voxelSize: Vec3;
  /** Phase id per voxel; phases not in `phases` are void. */
  phase: ArrayLike<number>;
  phases: StiffnessPhase[];
  bc?: 'kinematic' | 'periodic';
  /** Magnitude ε₀ of the applied strain (the problem is linear: only round-off depends on it). Default 1e-3. */
  strain?: number;
  rtol?: number;
  maxIterations?: number;
}

export interface StiffnessLoadCase {
  component: string;
  /** Applied macroscopic strain (Voigt, engineering shear). */
  strain: number[];
  /** Volume-averaged stress over the box [Pa]. */
  meanStress: number[];
  iterations: number;
  relativeResidual: number;
}

export interface StiffnessSummary {
  shape: [number, number, number];
  voxelSize_m: [number, number, number];
  boundaryConditions: string;
  periodic: boolean;
  /** Effective stiffness C_ij = ⟨σ_i⟩/ε₀ for case j (row i, column j) [Pa], as computed. */
  C_Pa: number[][];
  /** ½ (C + Cᵀ) [Pa]. */
  Csym_Pa: number[][];
  /** ‖C − Cᵀ‖_F / ‖C‖_F (round-off and solver tolerance; exact operator symmetry gives 0). */
  asymmetry: number;
  /** Voigt bound ⟨C⟩ (pores count as zero stiffness) [Pa]. */
  voigtBound_Pa: number[][];
  /** Reuss bound ⟨C⁻¹⟩⁻¹ [Pa] (zero when there is any void). */
  reussBound_Pa: number[][] | null;
  /** Engineering constants from S = Csym⁻¹: E_i = 1/S_ii, ν_ij = −S_ij/S_ii, G_ij = 1/S_kk (k = 4, 5, 6). */
  engineering: { Ex_Pa: number; Ey_Pa: number; Ez_Pa: number; nu_xy: number; nu_xz: number; nu_yz: number; Gyz_Pa: number; Gxz_Pa: number; Gxy_Pa: number } | null;
  volumeFractions: Record<string, number>;
  /** Solid volume fraction of the kept (boundary-connected) solid. */
  keptSolidFraction: number;
  removedVoxels: number;
  unknowns: number;
  appliedStrain: number;
  loadCases: StiffnessLoadCase[];
  solver: { method: string; preconditioner: string; rtol: number; seconds: number };
}

/** Macroscopic displacement gradient (symmetric) of Voigt strain e (engineering shear). */
function strainTensor(e: readonly number[]): number[][] {
  return [
    [e[0], e[5] / 2, e[4] / 2],
    [e[5] / 2, e[1], e[3] / 2],
    [e[4] / 2, e[3] / 2, e[2]],
  ];
}

const zeros = (): number[][] => Array.from({ length: 6 }, () => new Array(6).fill(0));

/** Voigt bound ⟨C⟩ and Reuss bound ⟨C⁻¹⟩⁻¹ (null when some volume fraction is void) of phase fractions. */
export function voigtReussBounds(fractions: { fraction: number; C: ArrayLike<number> }[]): { voigt: number[][]; reuss: number[][] | null } {
  const voigt = zeros();
  const total = fractions.reduce((s, f) => s + f.fraction, 0);
  const S = new Matrix(6, 6);
  for (const f of fractions) {
    const Ci = new Matrix(6, 6);
    for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) { voigt[i][j] += f.fraction * f.C[6 * i + j]; Ci.set(i, j, f.C[6 * i + j]); }
    if (f.fraction > 0) S.add(inverse(Ci).mul(f.fraction));
  }
  const reuss = total < 1 - 1e-12 ? null : inverse(S).to2DArray();
  return { voigt, reuss };
}

/** Compute the effective stiffness. */
export function effectiveStiffness(opts: StiffnessOptions): StiffnessSummary {
  const { shape, voxelSize, phase, phases } = opts;
  const bc = opts.bc ?? 'kinematic';
  if (bc !== 'kinematic' && bc !== 'periodic') throw new InputError('--bc', `expected kinematic or periodic, got "${String(bc)}"`);
  const eps0 = opts.strain ?? 1e-3;
  if (!(eps0 > 0 && eps0 < 0.1)) throw new InputError('--strain', `expected a value in (0, 0.1), got ${eps0}`);
  if (phases.length === 0) throw new InputError('--materials', 'no phase has elastic constants: nothing to homogenise');
  const N = shape[0] * shape[1] * shape[2];
  if (phase.length !== N) throw new InputError('phase', `has ${phase.length} values, the grid has ${N} voxels`);
  for (const [d, n] of shape.entries()) if (n < 1) throw new InputError('shape', `axis ${'xyz'[d]} has no voxels`);

  const material = new Uint16Array(N);
  const lut = new Int32Array(256).fill(-1);
  for (const p of phases) lut[p.id] = p.id + 1;
  const counts = new Map<number, number>();
  let solid = 0;
  for (let v = 0; v < N; v++) {
    counts.set(phase[v], (counts.get(phase[v]) ?? 0) + 1);
    const m = lut[phase[v]];
    if (m > 0) { material[v] = m; solid++; }
  }
  if (solid === 0) throw new InputError('volume', `none of the phases ${phases.map((p) => p.name).join(', ')} occurs in the volume`);
  const stiffness: Float64Array[] = [];
  for (const p of phases) stiffness[p.id + 1] = p.elastic.stiffness();
  const rtol = opts.rtol ?? 1e-10;
  const C = zeros();
  const loadCases: StiffnessLoadCase[] = [];
  const t0 = performance.now();
  let removedVoxels: number, unknowns: number, keptElements: number;
  const accumulate = (j: number, e: number[], stress: Float64Array, voxels: Int32Array, iterations: number, relativeResidual: number): void => {
    const mean = new Array(6).fill(0);
    for (const v of voxels) for (let i = 0; i < 6; i++) mean[i] += stress[6 * v + i];
    for (let i = 0; i < 6; i++) { mean[i] /= N; C[i][j] = mean[i] / eps0; }
    loadCases.push({ component: VOIGT_LABELS[j], strain: e, meanStress: mean, iterations, relativeResidual });
  };
  const check = (res: { relativeResidual: number; iterations: number }, j: number): void => {
    if (!(res.relativeResidual <= rtol * 10)) {
      throw new Error(`stiffness: CG did not converge for load case ${VOIGT_LABELS[j]} (relative residual ${res.relativeResidual.toExponential(2)} after ${res.iterations} iterations)`);
    }
  };
  if (bc === 'kinematic') {
    const dirichlet: DirichletSpec[] = [];
    for (const axis of [0, 1, 2] as Axis[]) for (const side of ['low', 'high'] as const) dirichlet.push({ face: { axis, side }, components: [0, 1, 2] });
    const op = new ElasticityOperator({ shape, spacing: voxelSize, material, stiffness, dirichlet, floatingClusters: 'remove' });
    if (op.elementCount === 0) throw new InputError('volume', 'no solid cluster touches the boundary of the box: nothing carries load');
    const A = op.n > 0 ? op.toCsr() : undefined;
    const M = A ? new SmoothedAggregationPreconditioner(A, { nearNullSpace: op.rigidBodyModes(), nodeOfUnknown: op.aggregationNodes(), smoothedLevels: 1 }) : undefined;
    for (let j = 0; j < 6; j++) {
      const e = new Array(6).fill(0);
      e[j] = eps0;
      const G = strainTensor(e);
      op.setDirichletValues((x, y, z, c) => G[c][0] * x + G[c][1] * y + G[c][2] * z);
      const b = op.dirichletLift();
      let u: Float64Array = new Float64Array(op.n), iterations = 0, relativeResidual = 0;
      if (A && M) {
        const res = cg(A, b, { rtol, preconditioner: M, maxIterations: opts.maxIterations ?? 2000 });
        check(res, j);
        u = res.x; iterations = res.iterations; relativeResidual = res.relativeResidual;
      }
      accumulate(j, e, op.cellStress(op.fullDisplacement(u)), op.elementVoxel, iterations, relativeResidual);
    }
    removedVoxels = op.clusters.removedVoxels; unknowns = op.n; keptElements = op.elementCount;
  } else {
    const pc = periodicClusters(material, shape);
    let removed = 0;
    const keep = new Uint8Array(pc.count + 1);
    for (let l = 1; l <= pc.count; l++) { if (pc.wrapRank[l] >= 2) keep[l] = 1; else removed += pc.size[l]; }
    const kept = new Uint16Array(N);
    for (let v = 0; v < N; v++) if (keep[pc.labels[v]]) kept[v] = material[v];
    if (!keep.some((k) => k === 1)) throw new InputError('volume', 'no solid cluster connects to its own periodic images in two or more directions: nothing carries load under periodic boundary conditions');
    const op = new ElasticityOperator({ shape, spacing: voxelSize, material: kept, stiffness, floatingClusters: 'keep' });
    const rep = periodicRepOf(op, [true, true, true]);
    // one pinned (torus) node per kept cluster, all three components: the low corner of its first voxel
    const pins = new Set<number>();
    const done = new Uint8Array(pc.count + 1);
    for (let v = 0; v < N; v++) { const l = pc.labels[v]; if (keep[l] && !done[l]) { done[l] = 1; const r = rep.of(op.nodeOfVoxelCorner(v)); for (let c = 0; c < 3; c++) pins.add(3 * r + c); } }
    const { P, Pt, A: Ap, n: nRed, modes, nodeOfUnknown } = periodicReduction(op, rep, pins);
    const M = nRed > 0 ? new SmoothedAggregationPreconditioner(Ap, { nearNullSpace: modes, nodeOfUnknown, smoothedLevels: 1 }) : undefined;
    for (let j = 0; j < 6; j++) {
      const e = new Array(6).fill(0);
      e[j] = eps0;
      const eig = { uniform: e.map((x) => -x) };
      const f = op.eigenstrainLoad(eig);
      const b = new Float64Array(nRed);
      Pt.apply(f, b);
      let iterations = 0, relativeResidual = 0;
      const uFull = new Float64Array(op.n);
      if (M) {
        const res = cg(Ap, b, { rtol, preconditioner: M, maxIterations: opts.maxIterations ?? 2000 });
        check(res, j);
        P.apply(res.x, uFull);
        iterations = res.iterations; relativeResidual = res.relativeResidual;
      }
      accumulate(j, e, op.cellStress(op.fullDisplacement(uFull), eig), op.elementVoxel, iterations, relativeResidual);
    }
    removedVoxels = removed; unknowns = nRed; keptElements = op.elementCount;
  }
  const seconds = (performance.now() - t0) / 1000;

  const Csym = zeros();
  let diff = 0, norm = 0;
  for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) {
    Csym[i][j] = 0.5 * (C[i][j] + C[j][i]);
    diff += (C[i][j] - C[j][i]) ** 2; norm += C[i][j] ** 2;
  }
  const fractions = phases.map((p) => ({ fraction: (counts.get(p.id) ?? 0) / N, C: p.elastic.stiffness() }));
  const { voigt, reuss } = voigtReussBounds(fractions);
  const volumeFractions: Record<string, number> = {};
  for (const p of phases) volumeFractions[p.name] = (counts.get(p.id) ?? 0) / N;
  volumeFractions.void = 1 - phases.reduce((s, p) => s + (counts.get(p.id) ?? 0), 0) / N;

  let engineering: StiffnessSummary['engineering'] = null;
  try {
    const S = inverse(new Matrix(Csym));
    const s = (i: number, j: number): number => S.get(i, j);
    if ([0, 1, 2, 3, 4, 5].every((i) => s(i, i) > 0)) {
      engineering = {
        Ex_Pa: 1 / s(0, 0), Ey_Pa: 1 / s(1, 1), Ez_Pa: 1 / s(2, 2),
        nu_xy: -s(0, 1) / s(0, 0), nu_xz: -s(0, 2) / s(0, 0), nu_yz: -s(1, 2) / s(1, 1),
        Gyz_Pa: 1 / s(3, 3), Gxz_Pa: 1 / s(4, 4), Gxy_Pa: 1 / s(5, 5),
      };
    }
  } catch { engineering = null; }

  return {
    shape: [...shape] as [number, number, number],
    voxelSize_m: [...voxelSize] as [number, number, number],
    boundaryConditions: bc === 'kinematic' ? 'kinematic: u = E x on all six faces (all components)' : 'periodic: u = E x + periodic fluctuation on all three axes',
    periodic: bc === 'periodic',
    C_Pa: C, Csym_Pa: Csym,
    asymmetry: norm > 0 ? Math.sqrt(diff / norm) : 0,
    voigtBound_Pa: voigt, reussBound_Pa: reuss, engineering, volumeFractions,
    keptSolidFraction: keptElements / N,
    removedVoxels,
    unknowns,
    appliedStrain: eps0,
    loadCases,
    solver: { method: 'cg', preconditioner: 'smoothed-aggregation AMG (rigid-body modes), shared by the six cases', rtol, seconds },
  };
}

/**
 * 6-connected clusters of the nonzero voxels of `mask` on the torus (periodic along the axes
 * flagged in `periodic`, default all three), with
 * each cluster's wrap rank: the rank of the lattice of image shifts (integer vectors, in box
 * lengths) by which the cluster connects to itself. 0 = an island, 1 = a fibre, 2 = a sheet,
 * 3 = a network percolating in 3D. Labels 1..count (0 = not in the mask); `size` per label.
 */
export function periodicClusters(mask: ArrayLike<number>, shape: Shape3, periodic: readonly [boolean, boolean, boolean] = [true, true, true]): { labels: Int32Array; count: number; wrapRank: Int32Array; size: Int32Array } {
  const [nx, ny, nz] = shape;
  const N = nx * ny * nz;
  const labels = new Int32Array(N);
  const img = new Int32Array(3 * N);
  const queue = new Int32Array(N);
  const ranks: number[] = [0], sizes: number[] = [0];
  let count = 0;
  const w = [0, 0, 0];
  for (let s0 = 0; s0 < N; s0++) {
    if (!mask[s0] || labels[s0]) continue;
    const lab = ++count;
    const basis: number[][] = [];
    labels[s0] = lab;
    let head = 0, tail = 0, size = 0;
    queue[tail++] = s0;
    while (head < tail) {
      const v = queue[head++];
      size++;
      const x = v % nx, y = Math.floor(v / nx) % ny, z = Math.floor(v / (nx * ny));
      for (let d = 0; d < 6; d++) {
        const axis = d >> 1, step = d & 1 ? 1 : -1;
        const c = [x, y, z];
        const n = [nx, ny, nz][axis];
        let shift = 0;
        c[axis] += step;
        if (c[axis] < 0 || c[axis] >= n) {
          if (!periodic[axis]) continue;
          if (c[axis] < 0) { c[axis] += n; shift = -1; } else { c[axis] -= n; shift = 1; }
        }
        const u = c[0] + nx * (c[1] + ny * c[2]);
        if (!mask[u]) continue;
        const i0 = img[3 * v] + (axis === 0 ? shift : 0), i1 = img[3 * v + 1] + (axis === 1 ? shift : 0), i2 = img[3 * v + 2] + (axis === 2 ? shift : 0);
        if (!labels[u]) {
          labels[u] = lab; img[3 * u] = i0; img[3 * u + 1] = i1; img[3 * u + 2] = i2;
          queue[tail++] = u;
        } else if (basis.length < 3) {
          w[0] = i0 - img[3 * u]; w[1] = i1 - img[3 * u + 1]; w[2] = i2 - img[3 * u + 2];
          if (w[0] === 0 && w[1] === 0 && w[2] === 0) continue;
          if (independent(basis, w)) basis.push([w[0], w[1], w[2]]);
        }
      }
    }
    ranks.push(basis.length); sizes.push(size);
  }
  return { labels, count, wrapRank: Int32Array.from(ranks), size: Int32Array.from(sizes) };
}

/** Is integer vector w independent of the (independent) integer vectors in basis? Exact. */
function independent(basis: number[][], w: number[]): boolean {
  if (basis.length === 0) return true;
  if (basis.length === 1) {
    const b = basis[0];
    return b[1] * w[2] - b[2] * w[1] !== 0 || b[2] * w[0] - b[0] * w[2] !== 0 || b[0] * w[1] - b[1] * w[0] !== 0;
  }
  const [a, b] = basis;
  const cx = a[1] * b[2] - a[2] * b[1], cy = a[2] * b[0] - a[0] * b[2], cz = a[0] * b[1] - a[1] * b[0];
  return cx * w[0] + cy * w[1] + cz * w[2] !== 0;
}

/** Representative ("torus") node of every grid node under periodic identification of the given axes. */
export interface PeriodicRep {
  /** Node grid of the representatives: n (periodic axis) or n + 1 (not). */
  dims: [number, number, number];
  of(node: number): number;
}

export function periodicRepOf(op: ElasticityOperator, periodic: readonly [boolean, boolean, boolean]): PeriodicRep {
  const [nx, ny, nz] = op.shape;
  const [NX, NY] = op.nodeShape;
  const dims: [number, number, number] = [periodic[0] ? nx : nx + 1, periodic[1] ? ny : ny + 1, periodic[2] ? nz : nz + 1];
  return {
    dims,
    of: (node) => {
      const X = node % NX, Y = Math.floor(node / NX) % NY, Z = Math.floor(node / (NX * NY));
      return (X % dims[0]) + dims[0] * ((Y % dims[1]) + dims[1] * (Z % dims[2]));
    },
  };
}

/**
 * Periodic reduction of an operator's free DOFs: P maps reduced DOF 3k + c (k = compact index of a
 * representative node, c = component) to every full free DOF of the nodes it represents; DOFs in
 * `pins` (3·rep + c) get no reduced DOF (they are held at 0). A_p = Pᵀ A P. Also the rigid-body
 * near-null space at the representatives' positions and the node of every reduced unknown (for
 * block aggregation).
 */
export function periodicReduction(op: ElasticityOperator, rep: PeriodicRep, pins: Set<number>): { P: CsrMatrix; Pt: CsrMatrix; A: CsrMatrix; n: number; modes: Float64Array[]; nodeOfUnknown: Int32Array } {
  const [D0, D1, D2] = rep.dims;
  const nRep = D0 * D1 * D2;
  const index = new Int32Array(3 * nRep).fill(-1);
  const used = new Uint8Array(3 * nRep);
  for (let i = 0; i < op.n; i++) { const t = 3 * rep.of(op.nodeOfDof[i]) + op.componentOfDof[i]; if (!pins.has(t)) used[t] = 1; }
  let n = 0;
  const nodeList: number[] = [];
  let k = -1, last = -1;
  for (let t = 0; t < 3 * nRep; t++) {
    if (!used[t]) continue;
    const r = Math.floor(t / 3);
    if (r !== last) { k++; last = r; }
    index[t] = n++;
    nodeList.push(k);
  }
  const ptr = new Int32Array(op.n + 1);
  const cols: number[] = [];
  for (let i = 0; i < op.n; i++) {
    const j = index[3 * rep.of(op.nodeOfDof[i]) + op.componentOfDof[i]];
    if (j >= 0) cols.push(j);
    ptr[i + 1] = cols.length;
  }
  const P = new CsrMatrix(op.n, n, ptr, Int32Array.from(cols), new Float64Array(cols.length).fill(1));
  const Pt = transpose(P);
  const A = sparseMultiply(Pt, sparseMultiply(op.toCsr(), P));
  const modes = Array.from({ length: 6 }, () => new Float64Array(n));
  const sc = 1 / Math.max(D0, D1, D2);
  for (let t = 0; t < 3 * nRep; t++) {
    const j = index[t];
    if (j < 0) continue;
    const r = Math.floor(t / 3), c = t % 3;
    const X = (r % D0 - D0 / 2) * sc, Y = ((Math.floor(r / D0) % D1) - D1 / 2) * sc, Z = (Math.floor(r / (D0 * D1)) - D2 / 2) * sc;
    modes[c][j] = 1;
    if (c === 0) { modes[4][j] = Z; modes[5][j] = -Y; } else if (c === 1) { modes[3][j] = -Z; modes[5][j] = X; } else { modes[3][j] = Y; modes[4][j] = -X; }
  }
  return { P, Pt, A, n, modes, nodeOfUnknown: Int32Array.from(nodeList) };
}

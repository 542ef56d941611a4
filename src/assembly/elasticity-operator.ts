/**
 * Matrix-free Q1 (trilinear) linear elasticity on a voxel grid: −∇·σ = f, σ = C (ε(u) − ε*).
 *
 * Discretisation
 * - Nodes at voxel corners: grid node (X, Y, Z), 0 ≤ X ≤ nx, ..., flat index
 *   X + (nx+1)(Y + (ny+1) Z), at physical position (X hx, Y hy, Z hz). Voxel (x, y, z) is the
 *   element whose local node k = i + 2j + 4l is grid node (x+i, y+j, z+l) (src/fem/q1-hexahedron).
 * - Elements = voxels with a material id > 0; id 0 is void (pores carry no stiffness). Every voxel
 *   is the same box, so one 24 × 24 element matrix is computed per material id and reused.
 * - Unknowns: the 3 displacement components of every node touched by at least one kept solid
 *   element, minus the Dirichlet DOFs, which are eliminated (their values are lifted to the
 *   right-hand side). Numbering is node-major (node index ascending, then x, y, z), so the 3
 *   free components of a node are consecutive.
 *
 * Floating clusters (singular system)
 * The solid voxels are split into 6-connected (face-connected) clusters: a face shares 4 nodes,
 * which ties all six rigid-body motions of the two voxels together, while voxels touching only
 * along an edge or at a corner form a hinge (a zero-energy mode). A cluster is "constrained" when
 * the rigid-body modes restricted to the Dirichlet DOFs of its nodes have full rank 6 (checked
 * with the 6 × 6 Gram matrix); otherwise some rigid motion costs no energy and the stiffness is
 * singular. Under-constrained clusters are, by `floatingClusters`:
 *  - 'remove' (default): removed (their voxels carry no stiffness; nodes only they touch leave
 *    the system; their displacement is reported as NaN);
 *  - 'pin': kept, and pinned minimally: zero-displacement constraints on up to 9 components of
 *    three far-apart nodes of the cluster (first node, the node farthest from it, the node
 *    farthest from that line) are added greedily, each only if it raises the rank, until rank 6;
 *  - 'error': an InputError listing how many clusters and voxels are affected;
 *  - 'keep': kept as they are (the caller removes the rigid-body modes itself, e.g. by periodic
 *    identification of nodes and its own pins: `src/sim/stiffness.ts`); the operator is then
 *    only positive semi-definite.
 * The result is reported in `clusters`.
 *
 * Units: any consistent set. Element matrices are C · (length); with C in Pa and h in m, forces are
 * in N and displacements in m. The solver test is relative (‖b − A u‖/‖b‖), so the units do not
 * matter for rtol.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { InputError } from '../core/errors.js';
import type { Axis, Shape3, Vec3 } from '../core/volume.js';
import {
  checkStiffness, gaussRule, q1EigenstrainCoupling, q1ElasticityStiffness, q1ShapeFunctions, q1StrainMatrix,
} from '../fem/q1-hexahedron.js';
import { CsrMatrix } from '../linalg/csr-matrix.js';
import type { LinearOperator } from '../linalg/operator.js';
import { labelComponents } from '../mesh/components.js';
import { hydrostatic, principalValues, vonMises } from '../physics/linear-elastic.js';

export type Component = 0 | 1 | 2;
/** A prescribed displacement value: constant, or a function of the node's physical position. */
export type DirichletValue = number | ((x: number, y: number, z: number) => number);

/**
 * Dirichlet condition on the given components of a set of nodes: every node of a grid face
 * (`face`), or explicit grid node indices (`nodes`). Value default 0. A later spec overrides an
 * earlier one on the same DOF.
 */
export type DirichletSpec =
  | { face: { axis: Axis; side: 'low' | 'high' }; components: readonly Component[]; value?: DirichletValue }
  | { nodes: ArrayLike<number>; components: readonly Component[]; value?: DirichletValue };

export type FloatingClusterPolicy = 'remove' | 'pin' | 'error' | 'keep';

export interface ElasticityProblem {
  /** Voxel grid [nx, ny, nz]. */
  shape: Shape3;
  /** Voxel edge lengths [hx, hy, hz]. Default [1, 1, 1]. */
  spacing?: Vec3;
  /** Material id per voxel (integer ≥ 0); 0 = void. */
  material: ArrayLike<number>;
  /**
   * 6 × 6 Voigt stiffness (row-major, engineering shear; see src/fem/q1-hexahedron) per material
   * id; entry 0 is ignored. Every id used by a voxel must have one.
   */
  stiffness: ReadonlyArray<ArrayLike<number> | null | undefined>;
  dirichlet?: readonly DirichletSpec[];
  /** What to do with under-constrained clusters (see the module comment). Default 'remove'. */
  floatingClusters?: FloatingClusterPolicy;
}

export interface ClusterSummary {
  /** 6-connected clusters of solid voxels. */
  count: number;
  /** Clusters whose rigid-body modes are fully constrained by the given Dirichlet conditions. */
  constrained: number;
  /** Clusters that were not (floating or partially constrained). */
  underConstrained: number;
  /** Voxels in under-constrained clusters. */
  underConstrainedVoxels: number;
  /** Voxels removed (policy 'remove'). */
  removedVoxels: number;
  /** Pin constraints added (policy 'pin'). */
  pinnedDofs: number;
}

/**
 * Eigenstrain field (Voigt, engineering shear): `uniform` 6 values for all elements, `voigt`
 * 6 values per voxel ([6v + j]), or `isotropic` one value per voxel (ε* = e·I).
 */
export type EigenstrainField =
  | { uniform: ArrayLike<number> }
  | { voigt: ArrayLike<number> }
  | { isotropic: ArrayLike<number> };

export class ElasticityOperator implements LinearOperator {
  /** Number of free DOFs. */
  readonly n: number;
  readonly shape: Shape3;
  readonly spacing: Vec3;
  readonly nodeShape: Shape3;
  readonly nodeCount: number;
  /** Free DOF index of (node, component) at [3·node + c], −1 when eliminated or not in the system. */
  readonly dofOfNode: Int32Array;
  /** Grid node of each free DOF. */
  readonly nodeOfDof: Int32Array;
  /** Component (0, 1, 2) of each free DOF. */
  readonly componentOfDof: Uint8Array;
  /** Prescribed value at [3·node + c] (meaningful where `prescribed` is 1). */
  readonly prescribedValue: Float64Array;
  readonly prescribed: Uint8Array;
  /** Node touched by a kept element (1) or not (0). */
  readonly nodeInSystem: Uint8Array;
  /** Voxel of each kept element (ascending). */
  readonly elementVoxel: Int32Array;
  /** Index into `elementMatrices` of each kept element. */
  readonly elementMaterial: Uint16Array;
  /** Kept element of each voxel, −1 for void / removed voxels. */
  readonly elementOfVoxel: Int32Array;
  /** Free DOF of the 24 local DOFs of each element (−1: eliminated). */
  readonly elementDofs: Int32Array;
  /** 24 × 24 element matrix per distinct material (row-major). */
  readonly elementMatrices: Float64Array[];
  /** 24 × 6 eigenstrain coupling ∫BᵀC dV per distinct material. */
  readonly eigenstrainCouplings: Float64Array[];
  /** 6 × 6 stiffness per distinct material. */
  readonly materialStiffness: Float64Array[];
  /** Original material id of each distinct material. */
  readonly materialIds: number[];
  readonly clusters: ClusterSummary;
  private diag?: Float64Array;
  private readonly xe = new Float64Array(24);

  constructor(p: ElasticityProblem) {
    const shape = p.shape;
    for (const s of shape) if (!(Number.isInteger(s) && s >= 1)) throw new InputError('shape', `expected positive integers, got [${shape.join(', ')}]`);
    const [nx, ny, nz] = shape;
    const N = nx * ny * nz;
    const spacing: Vec3 = p.spacing ?? [1, 1, 1];
    for (const h of spacing) if (!(h > 0 && Number.isFinite(h))) throw new InputError('spacing', `expected positive voxel sizes, got [${spacing.join(', ')}]`);
    if (p.material.length !== N) throw new InputError('material', `has ${p.material.length} values, the grid has ${N} voxels`);
    this.shape = shape;
    this.spacing = spacing;
    const NX = nx + 1, NY = ny + 1, NZ = nz + 1;
    this.nodeShape = [NX, NY, NZ];
    const nNodes = NX * NY * NZ;
    this.nodeCount = nNodes;

    // Materials: compact the ids used.
    const compact = new Map<number, number>();
    const matOfVoxel = new Int32Array(N).fill(-1);
    this.materialIds = [];
    this.materialStiffness = [];
    const solid = new Uint8Array(N);
    for (let v = 0; v < N; v++) {
      const id = p.material[v];
      if (id === 0) continue;
      let m = compact.get(id);
      if (m === undefined) {
        if (!(Number.isInteger(id) && id > 0)) throw new InputError('material', `voxel ${v}: expected an integer id ≥ 0, got ${id}`);
        const C = p.stiffness[id];
        if (!C) throw new InputError('stiffness', `no stiffness for material id ${id}`);
        let c: Float64Array;
        try { c = checkStiffness(C, `stiffness[${id}]`); } catch (e) { throw new InputError('stiffness', (e as Error).message); }
        m = this.materialIds.length;
        compact.set(id, m);
        this.materialIds.push(id);
        this.materialStiffness.push(c);
      }
      matOfVoxel[v] = m;
      solid[v] = 1;
    }
    if (this.materialIds.length > 65535) throw new InputError('material', 'more than 65535 distinct material ids');
    this.elementMatrices = this.materialStiffness.map((C) => q1ElasticityStiffness(spacing, C));
    this.eigenstrainCouplings = this.materialStiffness.map((C) => q1EigenstrainCoupling(spacing, C));

    // Dirichlet conditions on the node grid.
    const prescribed = new Uint8Array(3 * nNodes);
    const prescribedValue = new Float64Array(3 * nNodes);
    const [hx, hy, hz] = spacing;
    for (const [si, spec] of (p.dirichlet ?? []).entries()) {
      const where = `dirichlet[${si}]`;
      for (const c of spec.components) if (c !== 0 && c !== 1 && c !== 2) throw new InputError(where, `component must be 0, 1 or 2, got ${String(c)}`);
      const val = spec.value ?? 0;
      const setNode = (node: number, X: number, Y: number, Z: number): void => {
        const value = typeof val === 'number' ? val : val(X * hx, Y * hy, Z * hz);
        if (!Number.isFinite(value)) throw new InputError(where, `non-finite value at node ${node}`);
        for (const c of spec.components) { prescribed[3 * node + c] = 1; prescribedValue[3 * node + c] = value; }
      };
      if ('face' in spec) {
        const { axis, side } = spec.face;
        if (axis !== 0 && axis !== 1 && axis !== 2) throw new InputError(where, `axis must be 0, 1 or 2, got ${String(axis)}`);
        const fixed = side === 'low' ? 0 : this.nodeShape[axis] - 1;
        for (let Z = 0; Z < NZ; Z++) for (let Y = 0; Y < NY; Y++) for (let X = 0; X < NX; X++) {
          const pos = axis === 0 ? X : axis === 1 ? Y : Z;
          if (pos === fixed) setNode(X + NX * (Y + NY * Z), X, Y, Z);
        }
      } else {
        for (let t = 0; t < spec.nodes.length; t++) {
          const node = spec.nodes[t];
          if (!(Number.isInteger(node) && node >= 0 && node < nNodes)) throw new InputError(where, `node ${node} out of range [0, ${nNodes})`);
          const X = node % NX, Y = Math.floor(node / NX) % NY, Z = Math.floor(node / (NX * NY));
          setNode(node, X, Y, Z);
        }
      }
    }

    // Clusters and their rigid-body constraint rank.
    const { labels, count } = labelComponents(solid, shape, 6);
    const scale = 1 / Math.max(nx, ny, nz);
    const cx = nx / 2, cy = ny / 2, cz = nz / 2;
    const rbmRow = (node: number, c: number, row: Float64Array): void => {
      const X = (node % NX - cx) * scale, Y = ((Math.floor(node / NX) % NY) - cy) * scale, Z = (Math.floor(node / (NX * NY)) - cz) * scale;
      row.fill(0);
      row[c] = 1;
      // rotations about x, y, z: (0, −z, y), (z, 0, −x), (−y, x, 0)
      if (c === 0) { row[4] = Z; row[5] = -Y; } else if (c === 1) { row[3] = -Z; row[5] = X; } else { row[3] = Y; row[4] = -X; }
    };
    const gram = new Float64Array(36 * (count + 1));
    const row = new Float64Array(6);
    const nodeOffsets = [0, 1, NX, NX + 1, NX * NY, NX * NY + 1, NX * NY + NX, NX * NY + NX + 1];
    const clusterSize = new Int32Array(count + 1);
    for (let z = 0, v = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++, v++) {
      const lab = labels[v];
      if (lab === 0) continue;
      clusterSize[lab]++;
      const n0 = x + NX * (y + NY * z);
      for (let k = 0; k < 8; k++) {
        const node = n0 + nodeOffsets[k];
        for (let c = 0; c < 3; c++) {
          if (!prescribed[3 * node + c]) continue;
          rbmRow(node, c, row);
          addOuter(gram, 36 * lab, row);
        }
      }
    }
    const policy = p.floatingClusters ?? 'remove';
    const underConstrained: number[] = [];
    const summary: ClusterSummary = { count, constrained: 0, underConstrained: 0, underConstrainedVoxels: 0, removedVoxels: 0, pinnedDofs: 0 };
    for (let lab = 1; lab <= count; lab++) {
      if (gramRank(gram.subarray(36 * lab, 36 * lab + 36)) === 6) summary.constrained++;
      else { underConstrained.push(lab); summary.underConstrained++; summary.underConstrainedVoxels += clusterSize[lab]; }
    }
    const removeCluster = new Uint8Array(count + 1);
    if (underConstrained.length > 0) {
      if (policy === 'keep') {
        // nothing: the caller constrains the rigid-body modes
      } else if (policy === 'error') {
        throw new InputError('material', `${underConstrained.length} solid cluster(s) (${summary.underConstrainedVoxels} voxels) are not fully constrained by the Dirichlet conditions (singular stiffness)`);
      } else if (policy === 'remove') {
        for (const lab of underConstrained) { removeCluster[lab] = 1; summary.removedVoxels += clusterSize[lab]; }
      } else {
        summary.pinnedDofs = pinClusters(underConstrained, labels, clusterSize, shape, nodeOffsets, gram, rbmRow, prescribed, prescribedValue);
      }
    }

    // Kept elements.
    let nElem = 0;
    const elementOfVoxel = new Int32Array(N).fill(-1);
    for (let v = 0; v < N; v++) if (labels[v] > 0 && !removeCluster[labels[v]]) elementOfVoxel[v] = nElem++;
    this.elementOfVoxel = elementOfVoxel;
    this.elementVoxel = new Int32Array(nElem);
    this.elementMaterial = new Uint16Array(nElem);
    const nodeInSystem = new Uint8Array(nNodes);
    for (let z = 0, v = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++, v++) {
      const e = elementOfVoxel[v];
      if (e < 0) continue;
      this.elementVoxel[e] = v;
      this.elementMaterial[e] = matOfVoxel[v];
      const n0 = x + NX * (y + NY * z);
      for (let k = 0; k < 8; k++) nodeInSystem[n0 + nodeOffsets[k]] = 1;
    }
    this.nodeInSystem = nodeInSystem;

    // Free DOFs, node-major.
    const dofOfNode = new Int32Array(3 * nNodes).fill(-1);
    let n = 0;
    for (let node = 0; node < nNodes; node++) {
      if (!nodeInSystem[node]) continue;
      for (let c = 0; c < 3; c++) if (!prescribed[3 * node + c]) dofOfNode[3 * node + c] = n++;
    }
    this.n = n;
    this.dofOfNode = dofOfNode;
    this.nodeOfDof = new Int32Array(n);
    this.componentOfDof = new Uint8Array(n);
    for (let t = 0; t < 3 * nNodes; t++) {
      const d = dofOfNode[t];
      if (d >= 0) { this.nodeOfDof[d] = Math.floor(t / 3); this.componentOfDof[d] = t % 3; }
    }
    this.prescribed = prescribed;
    this.prescribedValue = prescribedValue;
    this.elementDofs = new Int32Array(24 * nElem);
    for (let e = 0; e < nElem; e++) {
      const n0 = this.nodeOfVoxelCorner(this.elementVoxel[e]);
      for (let k = 0; k < 8; k++) for (let c = 0; c < 3; c++) this.elementDofs[24 * e + 3 * k + c] = dofOfNode[3 * (n0 + nodeOffsets[k]) + c];
    }
    this.clusters = summary;
  }

  /** Number of kept (solid, constrained) elements. */
  get elementCount(): number {
    return this.elementVoxel.length;
  }

  /** Grid node at the low corner of voxel v. */
  nodeOfVoxelCorner(v: number): number {
    const [nx, ny] = this.shape;
    const x = v % nx, y = Math.floor(v / nx) % ny, z = Math.floor(v / (nx * ny));
    return x + (nx + 1) * (y + (ny + 1) * z);
  }

  /** Grid node index of node (X, Y, Z). */
  nodeIndex(X: number, Y: number, Z: number): number {
    const [NX, NY] = this.nodeShape;
    return X + NX * (Y + NY * Z);
  }

  /** Physical position of grid node `node`. */
  nodePosition(node: number): Vec3 {
    const [NX, NY] = this.nodeShape;
    return [(node % NX) * this.spacing[0], (Math.floor(node / NX) % NY) * this.spacing[1], Math.floor(node / (NX * NY)) * this.spacing[2]];
  }

  /** y ← A x: loop over the kept elements (gather 24, multiply, scatter; sequential, deterministic). */
  apply(x: Float64Array, y: Float64Array): void {
    y.fill(0);
    const ed = this.elementDofs, mats = this.elementMaterial, Ks = this.elementMatrices, xe = this.xe;
    const nElem = this.elementVoxel.length;
    for (let e = 0; e < nElem; e++) {
      const K = Ks[mats[e]];
      const o = 24 * e;
      for (let a = 0; a < 24; a++) { const d = ed[o + a]; xe[a] = d >= 0 ? x[d] : 0; }
      for (let a = 0; a < 24; a++) {
        const d = ed[o + a];
        if (d < 0) continue;
        const r = 24 * a;
        let s = 0;
        for (let b = 0; b < 24; b++) s += K[r + b] * xe[b];
        y[d] += s;
      }
    }
  }

  /** The diagonal of A (cached; do not modify). */
  diagonal(): Float64Array {
    if (this.diag) return this.diag;
    const d = new Float64Array(this.n);
    const ed = this.elementDofs, mats = this.elementMaterial, Ks = this.elementMatrices;
    for (let e = 0; e < this.elementVoxel.length; e++) {
      const K = Ks[mats[e]];
      for (let a = 0; a < 24; a++) { const i = ed[24 * e + a]; if (i >= 0) d[i] += K[25 * a]; }
    }
    this.diag = d;
    return d;
  }

  /**
   * The assembled matrix (free DOFs only; ≤ 81 entries per row, columns sorted). Assembled row by
   * row (node by node over its ≤ 8 elements), so memory is the output only.
   */
  toCsr(): CsrMatrix {
    const [nx, ny, nz] = this.shape;
    const [NX, NY, NZ] = this.nodeShape;
    const dofOf = this.dofOfNode, eov = this.elementOfVoxel, mats = this.elementMaterial, Ks = this.elementMatrices;
    // slot of neighbour (dx, dy, dz) ∈ {−1,0,1}³ = (dx+1) + 3(dy+1) + 9(dz+1); node offset of each slot
    const slotOffset = new Int32Array(27);
    for (let s = 0; s < 27; s++) slotOffset[s] = (s % 3) - 1 + NX * ((Math.floor(s / 3) % 3) - 1) + NX * NY * (Math.floor(s / 9) - 1);
    // slot mask of the 8 nodes of the element at position (ei, ej, el) relative to the node
    const elemMask = new Int32Array(8);
    for (let q = 0; q < 8; q++) {
      const ei = q & 1, ej = (q >> 1) & 1, el = q >> 2;
      let m = 0;
      for (let k = 0; k < 8; k++) m |= 1 << ((k & 1) + ei + 3 * (((k >> 1) & 1) + ej) + 9 * ((k >> 2) + el));
      elemMask[q] = m;
    }
    const surrounding = (X: number, Y: number, Z: number, q: number): number => {
      const vx = X - 1 + (q & 1), vy = Y - 1 + ((q >> 1) & 1), vz = Z - 1 + (q >> 2);
      if (vx < 0 || vy < 0 || vz < 0 || vx >= nx || vy >= ny || vz >= nz) return -1;
      return eov[vx + nx * (vy + ny * vz)];
    };
    // pass 1: row lengths
    const n = this.n;
    const rowPtr = new Int32Array(n + 1);
    const touchedOf = new Int32Array(this.nodeCount);
    for (let Z = 0, node = 0; Z < NZ; Z++) for (let Y = 0; Y < NY; Y++) for (let X = 0; X < NX; X++, node++) {
      if (!this.nodeInSystem[node]) continue;
      let touched = 0;
      for (let q = 0; q < 8; q++) if (surrounding(X, Y, Z, q) >= 0) touched |= elemMask[q];
      touchedOf[node] = touched;
      let len = 0;
      for (let s = 0; s < 27; s++) if (touched & (1 << s)) {
        const nb = node + slotOffset[s];
        for (let d = 0; d < 3; d++) if (dofOf[3 * nb + d] >= 0) len++;
      }
      for (let c = 0; c < 3; c++) { const i = dofOf[3 * node + c]; if (i >= 0) rowPtr[i + 1] = len; }
    }
    for (let i = 0; i < n; i++) rowPtr[i + 1] += rowPtr[i];
    const colIdx = new Int32Array(rowPtr[n]);
    const values = new Float64Array(rowPtr[n]);
    // pass 2: values
    const acc = new Float64Array(3 * 81);
    for (let Z = 0, node = 0; Z < NZ; Z++) for (let Y = 0; Y < NY; Y++) for (let X = 0; X < NX; X++, node++) {
      if (!this.nodeInSystem[node]) continue;
      if (dofOf[3 * node] < 0 && dofOf[3 * node + 1] < 0 && dofOf[3 * node + 2] < 0) continue;
      acc.fill(0);
      for (let q = 0; q < 8; q++) {
        const e = surrounding(X, Y, Z, q);
        if (e < 0) continue;
        const ei = q & 1, ej = (q >> 1) & 1, el = q >> 2;
        const K = Ks[mats[e]];
        const ka = (1 - ei) + 2 * (1 - ej) + 4 * (1 - el);
        for (let kb = 0; kb < 8; kb++) {
          const s = (kb & 1) + ei + 3 * (((kb >> 1) & 1) + ej) + 9 * ((kb >> 2) + el);
          for (let c = 0; c < 3; c++) {
            const r = (3 * ka + c) * 24 + 3 * kb;
            const o = 81 * c + 3 * s;
            acc[o] += K[r]; acc[o + 1] += K[r + 1]; acc[o + 2] += K[r + 2];
          }
        }
      }
      const touched = touchedOf[node];
      for (let c = 0; c < 3; c++) {
        const i = dofOf[3 * node + c];
        if (i < 0) continue;
        let t = rowPtr[i];
        for (let s = 0; s < 27; s++) if (touched & (1 << s)) {
          const nb = node + slotOffset[s];
          for (let d = 0; d < 3; d++) {
            const j = dofOf[3 * nb + d];
            if (j >= 0) { colIdx[t] = j; values[t] = acc[81 * c + 3 * s + d]; t++; }
          }
        }
      }
    }
    return new CsrMatrix(n, n, rowPtr, colIdx, values);
  }

  /**
   * Compact node id of every free DOF (nodes with at least one free DOF numbered 0, 1, ... in
   * grid order): the DOF → node map for block aggregation in smoothed-aggregation AMG.
   */
  aggregationNodes(): Int32Array {
    const out = new Int32Array(this.n);
    let id = -1, last = -1;
    for (let i = 0; i < this.n; i++) {
      const node = this.nodeOfDof[i];
      if (node !== last) { id++; last = node; }
      out[i] = id;
    }
    return out;
  }

  /**
   * The six rigid-body modes restricted to the free DOFs (translations x, y, z; rotations about
   * x, y, z through the grid centre, coordinates in voxel units): the near-null space for AMG.
   */
  rigidBodyModes(): Float64Array[] {
    const modes = Array.from({ length: 6 }, () => new Float64Array(this.n));
    const [NX, NY] = this.nodeShape;
    const [nx, ny, nz] = this.shape;
    const s = 1 / Math.max(nx, ny, nz);
    for (let i = 0; i < this.n; i++) {
      const node = this.nodeOfDof[i], c = this.componentOfDof[i];
      const X = (node % NX - nx / 2) * s, Y = ((Math.floor(node / NX) % NY) - ny / 2) * s, Z = (Math.floor(node / (NX * NY)) - nz / 2) * s;
      modes[c][i] = 1;
      if (c === 0) { modes[4][i] = Z; modes[5][i] = -Y; } else if (c === 1) { modes[3][i] = -Z; modes[5][i] = X; } else { modes[3][i] = Y; modes[4][i] = -X; }
    }
    return modes;
  }

  /** Eigenstrain of element e (Voigt) into out. */
  private eigenstrainOf(field: EigenstrainField, e: number, out: Float64Array): void {
    const v = this.elementVoxel[e];
    if ('uniform' in field) for (let j = 0; j < 6; j++) out[j] = field.uniform[j];
    else if ('voigt' in field) for (let j = 0; j < 6; j++) out[j] = field.voigt[6 * v + j];
    else { const a = field.isotropic[v]; out[0] = out[1] = out[2] = a; out[3] = out[4] = out[5] = 0; }
  }

  private checkEigenstrain(field: EigenstrainField): void {
    const N = this.shape[0] * this.shape[1] * this.shape[2];
    if ('uniform' in field) { if (field.uniform.length !== 6) throw new InputError('eigenstrain', `uniform: expected 6 Voigt values, got ${field.uniform.length}`); }
    else if ('voigt' in field) { if (field.voigt.length !== 6 * N) throw new InputError('eigenstrain', `voigt: expected ${6 * N} values, got ${field.voigt.length}`); }
    else if (field.isotropic.length !== N) throw new InputError('eigenstrain', `isotropic: expected ${N} values, got ${field.isotropic.length}`);
  }

  /** Free-DOF load Σ_e ∫ Bᵀ C ε*_e dV of an eigenstrain field (no Dirichlet lifting). */
  eigenstrainLoad(field: EigenstrainField): Float64Array {
    this.checkEigenstrain(field);
    const f = new Float64Array(this.n), eps = new Float64Array(6), ed = this.elementDofs;
    for (let e = 0; e < this.elementVoxel.length; e++) {
      this.eigenstrainOf(field, e, eps);
      if (eps[0] === 0 && eps[1] === 0 && eps[2] === 0 && eps[3] === 0 && eps[4] === 0 && eps[5] === 0) continue;
      const G = this.eigenstrainCouplings[this.elementMaterial[e]];
      for (let a = 0; a < 24; a++) {
        const d = ed[24 * e + a];
        if (d < 0) continue;
        let s = 0;
        for (let j = 0; j < 6; j++) s += G[6 * a + j] * eps[j];
        f[d] += s;
      }
    }
    return f;
  }

  /**
   * Free-DOF load ∫ N_a f dV of a body force density f(x, y, z) → [fx, fy, fz] over the kept
   * elements, by an n³ Gauss rule (default 2).
   */
  bodyForceLoad(force: (x: number, y: number, z: number) => ArrayLike<number>, gaussPoints: 1 | 2 | 3 = 2): Float64Array {
    const rule = gaussRule(gaussPoints);
    const [hx, hy, hz] = this.spacing;
    const [nx, ny] = this.shape;
    const det = (hx * hy * hz) / 8;
    const f = new Float64Array(this.n), Nq = new Float64Array(8), ed = this.elementDofs;
    for (let e = 0; e < this.elementVoxel.length; e++) {
      const v = this.elementVoxel[e];
      const x0 = (v % nx) * hx, y0 = (Math.floor(v / nx) % ny) * hy, z0 = Math.floor(v / (nx * ny)) * hz;
      for (let q = 0; q < rule.count; q++) {
        const xi = rule.points[3 * q], eta = rule.points[3 * q + 1], zeta = rule.points[3 * q + 2];
        const F = force(x0 + (hx * (1 + xi)) / 2, y0 + (hy * (1 + eta)) / 2, z0 + (hz * (1 + zeta)) / 2);
        q1ShapeFunctions(xi, eta, zeta, Nq);
        const w = rule.weights[q] * det;
        for (let k = 0; k < 8; k++) for (let c = 0; c < 3; c++) {
          const d = ed[24 * e + 3 * k + c];
          if (d >= 0) f[d] += w * Nq[k] * F[c];
        }
      }
    }
    return f;
  }

  /**
   * Replace the values of the already-prescribed DOFs (the set of prescribed DOFs, hence the
   * matrix, is unchanged): value(x, y, z, c) at the node's physical position for component c.
   * Lets several load cases (e.g. the six affine strains of `stiffness`) share one operator,
   * one assembled matrix and one preconditioner.
   */
  setDirichletValues(value: (x: number, y: number, z: number, c: Component) => number): void {
    const [NX, NY] = this.nodeShape;
    const [hx, hy, hz] = this.spacing;
    for (let t = 0; t < this.prescribed.length; t++) {
      if (!this.prescribed[t]) continue;
      const node = Math.floor(t / 3);
      const v = value((node % NX) * hx, (Math.floor(node / NX) % NY) * hy, Math.floor(node / (NX * NY)) * hz, (t % 3) as Component);
      if (!Number.isFinite(v)) throw new InputError('dirichlet', `non-finite value at node ${node}`);
      this.prescribedValue[t] = v;
    }
  }

  /** −A_fd g: the free-DOF right-hand side contribution of the prescribed displacements. */
  dirichletLift(): Float64Array {
    const f = new Float64Array(this.n), ge = new Float64Array(24), ed = this.elementDofs;
    const n0s = this.cornerOffsets();
    for (let e = 0; e < this.elementVoxel.length; e++) {
      const n0 = this.nodeOfVoxelCorner(this.elementVoxel[e]);
      let any = false;
      for (let k = 0; k < 8; k++) for (let c = 0; c < 3; c++) {
        const t = 3 * (n0 + n0s[k]) + c;
        ge[3 * k + c] = this.prescribed[t] ? this.prescribedValue[t] : 0;
        if (ge[3 * k + c] !== 0) any = true;
      }
      if (!any) continue;
      const K = this.elementMatrices[this.elementMaterial[e]];
      for (let a = 0; a < 24; a++) {
        const d = ed[24 * e + a];
        if (d < 0) continue;
        let s = 0;
        for (let b = 0; b < 24; b++) s += K[24 * a + b] * ge[b];
        f[d] -= s;
      }
    }
    return f;
  }

  /** Right-hand side: eigenstrain load + body-force load + Dirichlet lifting. */
  rhs(options: { eigenstrain?: EigenstrainField; bodyForce?: (x: number, y: number, z: number) => ArrayLike<number> } = {}): Float64Array {
    const b = this.dirichletLift();
    if (options.eigenstrain) { const f = this.eigenstrainLoad(options.eigenstrain); for (let i = 0; i < this.n; i++) b[i] += f[i]; }
    if (options.bodyForce) { const f = this.bodyForceLoad(options.bodyForce); for (let i = 0; i < this.n; i++) b[i] += f[i]; }
    return b;
  }

  private cornerOffsets(): number[] {
    const [NX, NY] = this.nodeShape;
    return [0, 1, NX, NX + 1, NX * NY, NX * NY + 1, NX * NY + NX, NX * NY + NX + 1];
  }

  /**
   * Nodal displacement field [3·node + c] from the free DOFs u: free values, prescribed values,
   * NaN at nodes not in the system.
   */
  fullDisplacement(u: Float64Array): Float64Array {
    const U = new Float64Array(3 * this.nodeCount);
    for (let node = 0; node < this.nodeCount; node++) {
      for (let c = 0; c < 3; c++) {
        const t = 3 * node + c;
        if (!this.nodeInSystem[node]) U[t] = Number.NaN;
        else { const d = this.dofOfNode[t]; U[t] = d >= 0 ? u[d] : this.prescribedValue[t]; }
      }
    }
    return U;
  }

  /**
   * Strain (Voigt, engineering shear) at the centre of every voxel, 6 values per voxel, from a
   * nodal displacement field (`fullDisplacement`). NaN for void / removed voxels.
   */
  cellStrain(U: Float64Array): Float64Array {
    const N = this.shape[0] * this.shape[1] * this.shape[2];
    const out = new Float64Array(6 * N).fill(Number.NaN);
    const B = q1StrainMatrix(this.spacing, 0, 0, 0);
    const off = this.cornerOffsets();
    const ue = new Float64Array(24);
    for (let e = 0; e < this.elementVoxel.length; e++) {
      const v = this.elementVoxel[e];
      const n0 = this.nodeOfVoxelCorner(v);
      for (let k = 0; k < 8; k++) for (let c = 0; c < 3; c++) ue[3 * k + c] = U[3 * (n0 + off[k]) + c];
      for (let i = 0; i < 6; i++) {
        let s = 0;
        for (let a = 0; a < 24; a++) s += B[24 * i + a] * ue[a];
        out[6 * v + i] = s;
      }
    }
    return out;
  }

  /** Stress σ = C (ε − ε*) at every voxel centre (6 per voxel, NaN for void / removed voxels). */
  cellStress(U: Float64Array, eigenstrain?: EigenstrainField): Float64Array {
    if (eigenstrain) this.checkEigenstrain(eigenstrain);
    const eps = this.cellStrain(U);
    const out = new Float64Array(eps.length).fill(Number.NaN);
    const es = new Float64Array(6);
    for (let e = 0; e < this.elementVoxel.length; e++) {
      const v = this.elementVoxel[e];
      if (eigenstrain) this.eigenstrainOf(eigenstrain, e, es);
      const C = this.materialStiffness[this.elementMaterial[e]];
      for (let i = 0; i < 6; i++) {
        let s = 0;
        for (let j = 0; j < 6; j++) s += C[6 * i + j] * (eps[6 * v + j] - es[j]);
        out[6 * v + i] = s;
      }
    }
    return out;
  }
  /**
   * Consistent nodal load of a uniform traction t = [tx, ty, tz] (force per area) on the grid face
   * (axis, side): every kept element with a face on that boundary plane contributes t·A/4 to each of
   * the face's 4 nodes (exact for bilinear shape functions and constant t). For a pressure p on the
   * face with outward normal n, t = −p n. Free-DOF vector (prescribed components get nothing).
   */
  boundaryTractionLoad(axis: Axis, side: 'low' | 'high', traction: ArrayLike<number>): Float64Array {
    if (traction.length !== 3) throw new InputError('traction', `expected 3 components, got ${traction.length}`);
    const f = new Float64Array(this.n), ed = this.elementDofs;
    const [nx, ny, nz] = this.shape;
    const n = [nx, ny, nz];
    const area = (this.spacing[0] * this.spacing[1] * this.spacing[2]) / this.spacing[axis];
    const layer = side === 'low' ? 0 : n[axis] - 1;
    const bit = side === 'low' ? 0 : 1;
    for (let e = 0; e < this.elementVoxel.length; e++) {
      const v = this.elementVoxel[e];
      const pos = axis === 0 ? v % nx : axis === 1 ? Math.floor(v / nx) % ny : Math.floor(v / (nx * ny));
      if (pos !== layer) continue;
      for (let k = 0; k < 8; k++) {
        const kb = axis === 0 ? k & 1 : axis === 1 ? (k >> 1) & 1 : k >> 2;
        if (kb !== bit) continue;
        for (let c = 0; c < 3; c++) { const d = ed[24 * e + 3 * k + c]; if (d >= 0) f[d] += (traction[c] * area) / 4; }
      }
    }
    void nz;
    return f;
  }

  /**
   * Post-processing of a nodal displacement field U (`fullDisplacement`) with the eigenstrain it
   * was solved with: per voxel (NaN for void / removed voxels) the cell-centre strain and stress
   * (6 Voigt components each, strain with engineering shear), von Mises, hydrostatic and maximum
   * principal stress and strain energy density ½ (ε − ε*)·σ at the centre, and the maximum von
   * Mises stress over the 8 Gauss points (2 × 2 × 2 rule) of the element.
   */
  fields(U: Float64Array, eigenstrain?: EigenstrainField): ElasticFields {
    if (eigenstrain) this.checkEigenstrain(eigenstrain);
    const N = this.shape[0] * this.shape[1] * this.shape[2];
    const strain = this.cellStrain(U);
    const stress = this.cellStress(U, eigenstrain);
    const vm = new Float64Array(N).fill(Number.NaN), hyd = new Float64Array(N).fill(Number.NaN);
    const mp = new Float64Array(N).fill(Number.NaN), sed = new Float64Array(N).fill(Number.NaN);
    const gvm = new Float64Array(N).fill(Number.NaN);
    const rule = gaussRule(2);
    const Bq = Array.from({ length: rule.count }, (_, q) => q1StrainMatrix(this.spacing, rule.points[3 * q], rule.points[3 * q + 1], rule.points[3 * q + 2]));
    const off = this.cornerOffsets();
    const ue = new Float64Array(24), es = new Float64Array(6), eq = new Float64Array(6), sq = new Float64Array(6), pv = new Float64Array(3);
    for (let e = 0; e < this.elementVoxel.length; e++) {
      const v = this.elementVoxel[e];
      es.fill(0);
      if (eigenstrain) this.eigenstrainOf(eigenstrain, e, es);
      vm[v] = vonMises(stress, 6 * v);
      hyd[v] = hydrostatic(stress, 6 * v);
      mp[v] = principalValues(stress, 6 * v, pv)[0];
      let w = 0;
      for (let i = 0; i < 6; i++) w += stress[6 * v + i] * (strain[6 * v + i] - es[i]);
      sed[v] = 0.5 * w;
      const n0 = this.nodeOfVoxelCorner(v);
      for (let k = 0; k < 8; k++) for (let c = 0; c < 3; c++) ue[3 * k + c] = U[3 * (n0 + off[k]) + c];
      const C = this.materialStiffness[this.elementMaterial[e]];
      let best = 0;
      for (const B of Bq) {
        for (let i = 0; i < 6; i++) { let s = 0; for (let a = 0; a < 24; a++) s += B[24 * i + a] * ue[a]; eq[i] = s - es[i]; }
        for (let i = 0; i < 6; i++) { let s = 0; for (let j = 0; j < 6; j++) s += C[6 * i + j] * eq[j]; sq[i] = s; }
        best = Math.max(best, vonMises(sq));
      }
      gvm[v] = best;
    }
    return { strain, stress, vonMises: vm, hydrostatic: hyd, maxPrincipal: mp, energyDensity: sed, gaussMaxVonMises: gvm };
  }
}

/** Per-voxel fields from `ElasticityOperator.fields` (NaN outside the kept solid). */
export interface ElasticFields {
  /** Cell-centre strain, 6 per voxel (Voigt, engineering shear). */
  strain: Float64Array;
  /** Cell-centre stress σ = C (ε − ε*), 6 per voxel. */
  stress: Float64Array;
  vonMises: Float64Array;
  hydrostatic: Float64Array;
  maxPrincipal: Float64Array;
  /** ½ (ε − ε*) · σ at the cell centre. */
  energyDensity: Float64Array;
  /** Maximum von Mises stress over the element's 2 × 2 × 2 Gauss points. */
  gaussMaxVonMises: Float64Array;
}

/** Convenience: new ElasticityOperator(problem). */
export function assembleElasticityOperator(problem: ElasticityProblem): ElasticityOperator {
  return new ElasticityOperator(problem);
}

function addOuter(G: Float64Array, o: number, r: Float64Array): void {
  for (let i = 0; i < 6; i++) { const ri = r[i]; if (ri === 0) continue; for (let j = 0; j < 6; j++) G[o + 6 * i + j] += ri * r[j]; }
}

/** Numerical rank of a symmetric positive semi-definite 6 × 6 Gram matrix. */
function gramRank(G: Float64Array): number {
  let maxDiag = 0;
  for (let i = 0; i < 6; i++) maxDiag = Math.max(maxDiag, G[7 * i]);
  if (maxDiag === 0) return 0;
  const m = new Matrix(6, 6);
  for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) m.set(i, j, G[6 * i + j]);
  const ev = new EigenvalueDecomposition(m, { assumeSymmetric: true }).realEigenvalues;
  const top = Math.max(...ev);
  return ev.filter((l) => l > 1e-10 * top).length;
}

/** Greedy minimal pins for each under-constrained cluster; returns the number of DOFs pinned. */
function pinClusters(
  clusters: number[],
  labels: Int32Array,
  clusterSize: Int32Array,
  shape: Shape3,
  nodeOffsets: number[],
  gram: Float64Array,
  rbmRow: (node: number, c: number, row: Float64Array) => void,
  prescribed: Uint8Array,
  prescribedValue: Float64Array,
): number {
  const [nx, ny] = shape;
  const NX = nx + 1, NY = ny + 1;
  const N = labels.length;
  // voxels grouped by label (counting sort)
  const start = new Int32Array(clusterSize.length + 1);
  for (let l = 1; l < clusterSize.length; l++) start[l + 1] = start[l] + clusterSize[l];
  const fill = start.slice();
  const byLabel = new Int32Array(N);
  for (let v = 0; v < N; v++) if (labels[v] > 0) byLabel[fill[labels[v]]++] = v;
  const pos = (node: number): Vec3 => [node % NX, Math.floor(node / NX) % NY, Math.floor(node / (NX * NY))];
  const corner = (v: number): number => { const x = v % nx, y = Math.floor(v / nx) % ny, z = Math.floor(v / (nx * ny)); return x + NX * (y + NY * z); };
  const row = new Float64Array(6);
  let pinned = 0;
  for (const lab of clusters) {
    const voxels = byLabel.subarray(start[lab], start[lab + 1]);
    const forNodes = (f: (node: number) => void): void => { for (const v of voxels) { const n0 = corner(v); for (const o of nodeOffsets) f(n0 + o); } };
    const p1 = corner(voxels[0]);
    const a = pos(p1);
    let p2 = p1, best = -1;
    forNodes((node) => { const q = pos(node); const d = (q[0] - a[0]) ** 2 + (q[1] - a[1]) ** 2 + (q[2] - a[2]) ** 2; if (d > best) { best = d; p2 = node; } });
    const b = pos(p2);
    const ab: Vec3 = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    let p3 = p1; best = -1;
    forNodes((node) => {
      const q = pos(node);
      const aq: Vec3 = [q[0] - a[0], q[1] - a[1], q[2] - a[2]];
      const cr = [ab[1] * aq[2] - ab[2] * aq[1], ab[2] * aq[0] - ab[0] * aq[2], ab[0] * aq[1] - ab[1] * aq[0]];
      const d = cr[0] ** 2 + cr[1] ** 2 + cr[2] ** 2;
      if (d > best) { best = d; p3 = node; }
    });
    const G = gram.slice(36 * lab, 36 * lab + 36);
    let rank = gramRank(G);
    for (const node of [p1, p2, p3]) for (let c = 0; c < 3 && rank < 6; c++) {
      if (prescribed[3 * node + c]) continue;
      rbmRow(node, c, row);
      const trial = G.slice();
      addOuter(trial, 0, row);
      const r = gramRank(trial);
      if (r > rank) { G.set(trial); rank = r; prescribed[3 * node + c] = 1; prescribedValue[3 * node + c] = 0; pinned++; }
    }
  }
  return pinned;
}

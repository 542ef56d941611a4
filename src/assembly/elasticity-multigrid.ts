/**
 * Geometric multigrid preconditioner for the voxel Q1 elasticity operator
 * (src/assembly/elasticity-operator.ts), matrix-free on every level, with coarse nodes split by
 * solid connectivity ("agglomerated" or composite coarse spaces).
 *
 * Why the splitting
 * Plain trilinear coarsening ties together whatever solid lies in a coarse basis function's
 * support: two particles separated by a one-voxel gap, or touching only through a thin neck far
 * away, are forced to move alike on the coarse grid, and their relative motions, which are the
 * low-energy modes of a porous electrode, are left to the smoother. Measured on the 351 k-unknown
 * NREL crop: 159 CG iterations without splitting, 92 with it (docs/theory/mechanics.md), against
 * 11 for a solid block at any size. So a coarse node gets one copy per piece of solid that is
 * connected inside its support, and interpolates only into that piece.
 *
 * Hierarchy
 * - A level is a list of elements (each: a cell of the level's grid, 8 node ids, a 24 × 24 matrix
 *   from a table of distinct matrices) over nodes with grid positions; a grid position may carry
 *   several nodes (copies) on coarse levels. Vectors hold 3 components per node, interleaved.
 * - Level 0 is the operator itself: the kept voxels, one element matrix per material, the nodes in
 *   the system. Its prescribed DOFs are inactive (the level operator is the identity there).
 * - Coarsening, 2 × 2 × 2 cells → 1 (n cells → ⌈n/2⌉ along an axis):
 *   1. the elements inside one coarse cell are split into connected groups (shared node ids):
 *      each group is one coarse element ("sub-element");
 *   2. the coarse grid node J gets one copy per group of sub-elements around it that are connected
 *      through a fine node at which J's trilinear weight is non-zero (union–find over the pairs
 *      (sub-element, corner));
 *   3. P interpolates a fine node from the copies of the (≤ 8) coarse nodes with non-zero trilinear
 *      weight that belong to its own solid piece (unique, by 2.); on level 0 the rows of prescribed
 *      DOFs are zero (P̃ = M P), which carries the collector face, rollers and rigid-body pins to
 *      every coarse level and keeps the coarse operators non-singular;
 *   4. coarse operators are Galerkin, P̃ᵀ A P̃, computed per sub-element as Σ_e P̃_eᵀ A_e P̃_e over its
 *      fine elements (exact: a sub-element's fine nodes interpolate only from its own 8 corners).
 *      Sub-elements with the same fine elements in the same places and no prescribed DOF share
 *      one table entry (inside a particle or a uniform phase, most coarse elements are alike).
 * - Smoother: Chebyshev on D⁻¹A (src/linalg/chebyshev-smoother.ts), the same polynomial before
 *   and after the coarse correction: a symmetric V-cycle, an SPD preconditioner for plain CG.
 *   Coarsest level: dense Cholesky of the active DOFs (or one SA-AMG V-cycle if coarsening stalls
 *   above `coarsestUnknowns`; reported in `levels`).
 *
 * Nothing of size 81 non-zeros per row is stored: memory is the vectors, the element lists, the
 * interpolation rows (≤ 8 per node) and the coarse tables.
 */
import { cg } from '../linalg/cg.js';
import { NonConvergenceError } from '../linalg/errors.js';
import { ChebyshevSmoother } from '../linalg/chebyshev-smoother.js';
import { CsrMatrix } from '../linalg/csr-matrix.js';
import { DenseCholesky } from '../linalg/dense-cholesky.js';
import type { LinearOperator, Preconditioner } from '../linalg/operator.js';
import { blockStencilRange, CMD, type BlockStencilArrays } from '../linalg/parallel-kernels.js';
import { SmoothedAggregationPreconditioner } from '../linalg/smoothed-aggregation.js';
import { getThreadPool, isShared, threadStatus } from '../linalg/thread-pool.js';
import type { ElasticityOperator } from './elasticity-operator.js';

export interface ElasticityMultigridOptions {
  /** Stop coarsening when a level has at most this many active DOFs (dense Cholesky there). Default 1500. */
  coarsestUnknowns?: number;
  /** Chebyshev degree (operator applications per smoothing, before and after). Default 2. */
  smootherDegree?: number;
  /** Chebyshev λlow / λhigh. Default 0.05. */
  lowerRatio?: number;
  /** Upper limit of levels (default 20, i.e. as many as the grid allows). */
  maxLevels?: number;
  /**
   * Split coarse nodes by solid connectivity (default true). false gives plain trilinear
   * coarsening (one node per grid position), kept for comparison.
   */
  splitNodes?: boolean;
}

export interface ElasticityMultigridLevelInfo {
  cellShape: [number, number, number];
  nodes: number;
  activeDofs: number;
  elements: number;
  /** Distinct element matrices stored for the level. */
  distinctMatrices: number;
  /** Coarsest level only: how it is solved. */
  coarseSolver?: 'cholesky' | 'amg';
}

/** One level: elements over nodes, as a linear operator on 3-per-node vectors. */
class ElementLevel implements LinearOperator {
  readonly n: number;
  readonly activeMask: Float64Array;
  readonly activeCount: number;
  private readonly inactive: Int32Array;
  private diag?: Float64Array;
  private kernelOf?: GridKernel;

  constructor(
    readonly cellShape: [number, number, number],
    /** Grid position (X, Y, Z) of every node, 3 per node. */
    readonly nodePos: Int32Array,
    /** Cell index of every element. */
    readonly elemCell: Int32Array,
    /** 8 node ids per element (local order k = i + 2j + 4l). */
    readonly elemNodes: Int32Array,
    readonly elemTable: Int32Array,
    readonly tables: Float64Array[],
    /** Level 0: 1 where the DOF is free. Coarse levels: undefined (inactive = zero diagonal). */
    freeMask: Uint8Array | undefined,
    /** Level 0: the full node grid (node id = grid index), so that its kernel finds neighbours at fixed offsets. */
    private readonly nodeShape?: [number, number, number],
  ) {
    this.n = nodePos.length;
    const d = this.rawDiagonal();
    const mask = new Float64Array(this.n);
    let dmax = 0;
    for (let i = 0; i < this.n; i++) if (d[i] > dmax) dmax = d[i];
    for (let i = 0; i < this.n; i++) mask[i] = (!freeMask || freeMask[i]) && d[i] > 1e-13 * dmax ? 1 : 0;
    let nAct = 0;
    for (let i = 0; i < this.n; i++) if (mask[i]) nAct++;
    this.activeMask = mask;
    this.activeCount = nAct;
    this.inactive = new Int32Array(this.n - nAct);
    for (let i = 0, t = 0; i < this.n; i++) if (!mask[i]) this.inactive[t++] = i;
  }

  get nodeCount(): number {
    return this.n / 3;
  }

  get elementCount(): number {
    return this.elemTable.length;
  }

  private rawDiagonal(): Float64Array {
    const d = new Float64Array(this.n);
    const en = this.elemNodes;
    for (let t = 0; t < this.elemTable.length; t++) {
      const K = this.tables[this.elemTable[t]];
      for (let a = 0; a < 24; a++) d[3 * en[8 * t + (a / 3 | 0)] + (a % 3)] += K[25 * a];
    }
    return d;
  }

  diagonal(): Float64Array {
    if (this.diag) return this.diag;
    const d = this.rawDiagonal();
    for (let i = 0; i < this.n; i++) if (!this.activeMask[i]) d[i] = 1;
    this.diag = d;
    return d;
  }

  /** The node-by-node operator kernel, built on first use (the coarsest level, solved directly, never builds one). */
  private get kernel(): GridKernel {
    return (this.kernelOf ??= new GridKernel(this, this.nodeShape));
  }

  /** Nodes applied with a constant stencil / with element rows, and the kernel's threads, for reports. */
  get kernelInfo(): { uniformNodes: number; mixedNodes: number; threads: number; reason: string } {
    const k = this.kernel;
    return { uniformNodes: k.uniform.length, mixedNodes: k.mixed.length, threads: k.threads.threads, reason: k.threads.reason };
  }

  /** y ← A x on the active DOFs (inactive entries of x read as 0), y = x on the inactive ones. */
  apply(x: Float64Array, y: Float64Array): void {
    this.kernel.apply(x, y);
    const inn = this.inactive;
    for (let t = 0; t < inn.length; t++) { const i = inn[t]; y[i] = x[i]; }
  }

  /** Index of every active DOF among the active ones (−1 elsewhere), and the DOF of each. */
  activeIndex(): { map: Int32Array; dofs: Int32Array } {
    const m = this.activeMask;
    const map = new Int32Array(this.n).fill(-1);
    let n = 0;
    for (let i = 0; i < this.n; i++) if (m[i]) map[i] = n++;
    const dofs = new Int32Array(n);
    for (let i = 0; i < this.n; i++) if (map[i] >= 0) dofs[map[i]] = i;
    return { map, dofs };
  }

  /** Every element-matrix entry between active DOFs, as (active index i, active index j, value). */
  forEachActiveEntry(map: Int32Array, f: (i: number, j: number, v: number) => void): void {
    const en = this.elemNodes;
    for (let t = 0; t < this.elemTable.length; t++) {
      const K = this.tables[this.elemTable[t]];
      for (let a = 0; a < 24; a++) {
        const i = map[3 * en[8 * t + (a / 3 | 0)] + (a % 3)];
        if (i < 0) continue;
        for (let b = 0; b < 24; b++) {
          const j = map[3 * en[8 * t + (b / 3 | 0)] + (b % 3)];
          if (j >= 0) f(i, j, K[24 * a + b]);
        }
      }
    }
  }

  /** The level operator on its active DOFs as CSR (for the AMG coarse solve), with the rigid-body modes. */
  activeCsr(): { A: CsrMatrix; dofs: Int32Array; nodeOfUnknown: Int32Array; modes: Float64Array[] } {
    const { map, dofs } = this.activeIndex();
    const n = dofs.length;
    const rows: number[] = [], cols: number[] = [], vals: number[] = [];
    this.forEachActiveEntry(map, (i, j, v) => { if (v !== 0) { rows.push(i); cols.push(j); vals.push(v); } });
    const A = CsrMatrix.fromCoo(n, n, rows, cols, vals);
    const nodeOfUnknown = new Int32Array(n);
    const modes = Array.from({ length: 6 }, () => new Float64Array(n));
    const [ex, ey, ez] = this.cellShape, sc = 1 / Math.max(ex, ey, ez);
    for (let i = 0; i < n; i++) {
      const node = Math.floor(dofs[i] / 3), c = dofs[i] % 3;
      nodeOfUnknown[i] = node;
      const X = (this.nodePos[3 * node] - ex / 2) * sc, Y = (this.nodePos[3 * node + 1] - ey / 2) * sc, Z = (this.nodePos[3 * node + 2] - ez / 2) * sc;
      modes[c][i] = 1;
      if (c === 0) { modes[4][i] = Z; modes[5][i] = -Y; } else if (c === 1) { modes[3][i] = -Z; modes[5][i] = X; } else { modes[3][i] = Y; modes[4][i] = -X; }
    }
    // compact node ids of the AMG (consecutive per node)
    for (let i = 0, id = -1, last = -1; i < n; i++) { if (nodeOfUnknown[i] !== last) { id++; last = nodeOfUnknown[i]; } nodeOfUnknown[i] = id; }
    return { A, dofs, nodeOfUnknown, modes };
  }
}

/**
 * y ← A x of a level node by node (each output written once): a node whose 8 cells are elements
 * of one table and whose 27 neighbours are all fully active ("uniform") is one 3 × 81 stencil of
 * that table (243 multiply–adds; neighbours at fixed offsets on level 0, from a list on coarse
 * levels); every other node sums the three rows of its (≤ 8) elements that belong to it, with
 * masked inputs. Against an element loop (576 multiply–adds per element and a scattered update)
 * this halves the work inside a phase, and the rows split across the thread pool.
 */
class GridKernel {
  readonly uniform: Int32Array;
  readonly mixed: Int32Array;
  /** The kernel's arrays (shared memory when the pool runs it). */
  private readonly arrays: BlockStencilArrays;
  /** Threads, and why. */
  readonly threads: { threads: number; reason: string };
  private readonly ranges?: Int32Array;
  private readonly xs?: Float64Array;
  private readonly ys?: Float64Array;

  /** `nodeShape`: level 0 on the full node grid (neighbours at fixed offsets); undefined: neighbours from the element lists. */
  constructor(level: ElementLevel, nodeShape?: [number, number, number]) {
    const m = level.activeMask, en = level.elemNodes, nN = level.nodeCount, nE = level.elementCount;
    // elements around every node, with the node's local index in each
    const aPtr = new Int32Array(nN + 1);
    for (let t = 0; t < 8 * nE; t++) aPtr[en[t] + 1]++;
    for (let i = 0; i < nN; i++) aPtr[i + 1] += aPtr[i];
    const aEl = new Int32Array(8 * nE), aLoc = new Uint8Array(8 * nE);
    { const fill = aPtr.slice(0, nN); for (let t = 0; t < 8 * nE; t++) { const i = en[t], f = fill[i]++; aEl[f] = t >> 3; aLoc[f] = t & 7; } }
    let slotOffset = new Int32Array(0);
    if (nodeShape) {
      const [NX, NY] = nodeShape;
      slotOffset = new Int32Array(27);
      for (let q = 0; q < 27; q++) slotOffset[q] = 3 * ((q % 3) - 1 + NX * ((Math.floor(q / 3) % 3) - 1) + NX * NY * (Math.floor(q / 9) - 1));
    }
    // stencil of every table: the rows of a node surrounded by 8 elements of it
    const stencils = new Float64Array(243 * level.tables.length);
    level.tables.forEach((K, t) => {
      const o = 243 * t;
      for (let q = 0; q < 8; q++) {
        const ei = q & 1, ej = (q >> 1) & 1, el = q >> 2;
        const ka = (1 - ei) + 2 * (1 - ej) + 4 * (1 - el);
        for (let kb = 0; kb < 8; kb++) {
          const slot = (kb & 1) + ei + 3 * (((kb >> 1) & 1) + ej) + 9 * ((kb >> 2) + el);
          for (let c = 0; c < 3; c++) for (let d = 0; d < 3; d++) stencils[o + 81 * c + 3 * slot + d] += K[(3 * ka + c) * 24 + 3 * kb + d];
        }
      }
    });
    // lists in preallocated typed arrays (cut to length below)
    const uniA = new Int32Array(nN), uniTA = new Int32Array(nN), nbsA = new Int32Array(nodeShape ? 0 : 27 * nN);
    const mixA = new Int32Array(nN), mPtrA = new Int32Array(nN + 1), mElA = new Int32Array(8 * nE), mLocA = new Int32Array(8 * nE);
    let nU = 0, nM = 0, nME = 0;
    const slots = new Int32Array(27);
    for (let node = 0; node < nN; node++) {
      const g = 3 * node;
      if (!m[g] && !m[g + 1] && !m[g + 2]) continue;
      const p0 = aPtr[node], p1 = aPtr[node + 1];
      if (p1 === p0) continue;
      // uniform: 8 elements of one table, one in each octant, 27 distinct fully active neighbours
      let uniform = p1 - p0 === 8;
      if (uniform) {
        const t0 = level.elemTable[aEl[p0]];
        let octants = 0;
        slots.fill(-1);
        for (let p = p0; p < p1 && uniform; p++) {
          const e = aEl[p], ka = aLoc[p];
          if (level.elemTable[e] !== t0) { uniform = false; break; }
          const q = 7 - ka; // the octant of the element as seen from the node
          octants |= 1 << q;
          const ei = q & 1, ej = (q >> 1) & 1, el = q >> 2;
          for (let kb = 0; kb < 8; kb++) {
            const slot = (kb & 1) + ei + 3 * (((kb >> 1) & 1) + ej) + 9 * ((kb >> 2) + el);
            const nbNode = en[8 * e + kb];
            if (slots[slot] < 0) slots[slot] = nbNode; else if (slots[slot] !== nbNode) { uniform = false; break; }
          }
        }
        if (uniform && octants !== 255) uniform = false;
        for (let q = 0; q < 27 && uniform; q++) {
          const h = 3 * slots[q];
          if (slots[q] < 0 || !m[h] || !m[h + 1] || !m[h + 2]) uniform = false;
          else if (nodeShape && h !== g + slotOffset[q]) uniform = false;
        }
        if (uniform) {
          if (!nodeShape) nbsA.set(slots, 27 * nU);
          uniA[nU] = node; uniTA[nU] = t0; nU++;
          continue;
        }
      }
      mixA[nM++] = node;
      for (let p = p0; p < p1; p++) { mElA[nME] = aEl[p]; mLocA[nME] = aLoc[p]; nME++; }
      mPtrA[nM] = nME;
    }
    const uni = uniA.subarray(0, nU), uniT = uniTA.subarray(0, nU), nbs = nbsA.subarray(0, nodeShape ? 0 : 27 * nU);
    const mix = mixA.subarray(0, nM), mPtr = mPtrA.subarray(0, nM + 1), mEl = mElA.subarray(0, nME), mLoc = mLocA.subarray(0, nME);
    const st = threadStatus(level.n);
    const pool = st.threads > 1 ? getThreadPool() : undefined;
    const shared = pool !== undefined;
    const i32 = (a: Int32Array): Int32Array => { if (!shared) return a.slice(); const b = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, a.length))).subarray(0, a.length); b.set(a); return b; };
    const f64 = (a: ArrayLike<number>): Float64Array => { const b = shared ? new Float64Array(new SharedArrayBuffer(8 * Math.max(1, a.length))).subarray(0, a.length) : new Float64Array(a.length); b.set(a); return b; };
    const tables = new Float64Array(576 * level.tables.length);
    level.tables.forEach((K, t) => tables.set(K, 576 * t));
    this.arrays = {
      uniform: i32(uni), uniformTable: i32(uniT), stencils: f64(stencils), slotOffset: i32(slotOffset), neighbors: i32(nbs),
      mixed: i32(mix), mixedPtr: i32(mPtr), mixedElem: i32(mEl), mixedLocal: i32(mLoc),
      elemNodes: shared ? i32(level.elemNodes) : level.elemNodes, elemTable: shared ? i32(level.elemTable) : level.elemTable,
      tables: f64(tables), mask: shared ? f64(m) : m,
    };
    this.uniform = this.arrays.uniform;
    this.mixed = this.arrays.mixed;
    if (pool) {
      // partitions of the combined row-block list balanced by multiply–adds (243 per uniform
      // block, 72 per element row of a mixed block)
      const T = pool.threads, nU = uni.length, nM = mix.length;
      const cost = (t: number): number => (t < nU ? 243 * t : 243 * nU + 72 * mPtr[t - nU]);
      const total = cost(nU + nM);
      const ranges = new Int32Array(T + 1);
      let t = 0;
      for (let p = 1; p < T; p++) { while (t < nU + nM && cost(t) < (total * p) / T) t++; ranges[p] = t; }
      ranges[T] = nU + nM;
      this.ranges = ranges;
      this.xs = new Float64Array(new SharedArrayBuffer(8 * level.n));
      this.ys = new Float64Array(new SharedArrayBuffer(8 * level.n));
      this.threads = { threads: T, reason: st.reason };
    } else this.threads = { threads: 1, reason: st.reason };
  }

  /** y ← A x on the row blocks of the nodes in the system (others untouched; the level sets its inactive DOFs). */
  apply(x: Float64Array, y: Float64Array): void {
    const a = this.arrays;
    const pool = this.ranges ? getThreadPool() : undefined;
    if (!pool || !this.ranges || !this.xs || !this.ys) { blockStencilRange(a, x, y, 0, a.uniform.length + a.mixed.length); return; }
    const xs = isShared(x) ? x : (this.xs.set(x), this.xs);
    const ys = isShared(y) ? y : this.ys;
    pool.run(CMD.BLOCK_STENCIL, this.ranges, [a.uniform, a.uniformTable, a.stencils, a.slotOffset, a.mixed, a.mixedPtr, a.mixedElem, a.mixedLocal, a.elemNodes, a.elemTable, a.tables, a.mask, xs, ys, a.neighbors], []);
    if (ys !== y) y.set(ys);
  }
}

/** Interpolation rows: fine node → (coarse node, weight), CSR over fine nodes. */
class Transfer {
  constructor(
    private readonly fine: ElementLevel,
    private readonly coarse: ElementLevel,
    private readonly rowPtr: Int32Array,
    private readonly col: Int32Array,
    private readonly w: Float32Array,
  ) {}

  /** rc ← P̃ᵀ rf. */
  restrict(rf: Float64Array, rc: Float64Array): void {
    rc.fill(0);
    const { rowPtr, col, w } = this, mf = this.fine.activeMask, mc = this.coarse.activeMask;
    const nf = this.fine.nodeCount;
    for (let i = 0; i < nf; i++) {
      const g = 3 * i;
      const r0 = rf[g] * mf[g], r1 = rf[g + 1] * mf[g + 1], r2 = rf[g + 2] * mf[g + 2];
      for (let t = rowPtr[i]; t < rowPtr[i + 1]; t++) {
        const J = 3 * col[t], wt = w[t];
        rc[J] += wt * r0; rc[J + 1] += wt * r1; rc[J + 2] += wt * r2;
      }
    }
    for (let i = 0; i < rc.length; i++) rc[i] *= mc[i];
  }

  /** xf += P̃ xc. */
  prolongAdd(xc: Float64Array, xf: Float64Array): void {
    const { rowPtr, col, w } = this, mf = this.fine.activeMask, mc = this.coarse.activeMask;
    const nf = this.fine.nodeCount;
    for (let i = 0; i < nf; i++) {
      let s0 = 0, s1 = 0, s2 = 0;
      for (let t = rowPtr[i]; t < rowPtr[i + 1]; t++) {
        const J = 3 * col[t], wt = w[t];
        s0 += wt * xc[J] * mc[J]; s1 += wt * xc[J + 1] * mc[J + 1]; s2 += wt * xc[J + 2] * mc[J + 2];
      }
      const g = 3 * i;
      xf[g] += s0 * mf[g]; xf[g + 1] += s1 * mf[g + 1]; xf[g + 2] += s2 * mf[g + 2];
    }
  }
}

/** Union–find with path halving. */
function find(parent: Int32Array, a: number): number {
  while (parent[a] !== a) { parent[a] = parent[parent[a]]; a = parent[a]; }
  return a;
}
function union(parent: Int32Array, a: number, b: number): void {
  a = find(parent, a); b = find(parent, b);
  if (a !== b) { if (a < b) parent[b] = a; else parent[a] = b; }
}

/**
 * The next coarser level and the interpolation to it (see the module comment). `fineFree` (level
 * 0 only): the free DOFs (P̃ = M P); null on coarse levels.
 */
function coarsen(fine: ElementLevel, fineFree: Uint8Array | null, split: boolean): { coarse: ElementLevel; transfer: Transfer } {
  const [ex, ey, ez] = fine.cellShape;
  const CX = Math.ceil(ex / 2), CY = Math.ceil(ey / 2), CZ = Math.ceil(ez / 2);
  const NXc = CX + 1, NYc = CY + 1;
  const nE = fine.elementCount, nN = fine.nodeCount;
  const en = fine.elemNodes, pos = fine.nodePos;
  // 1. coarse cell and child position of every fine element; elements grouped by coarse cell
  const ccell = new Int32Array(nE), cpos = new Uint8Array(nE);
  for (let e = 0; e < nE; e++) {
    const c = fine.elemCell[e];
    const x = c % ex, y = Math.floor(c / ex) % ey, z = Math.floor(c / (ex * ey));
    ccell[e] = (x >> 1) + CX * ((y >> 1) + CY * (z >> 1));
    cpos[e] = (x & 1) + 2 * (y & 1) + 4 * (z & 1);
  }
  const nC = CX * CY * CZ;
  const start = new Int32Array(nC + 1);
  for (let e = 0; e < nE; e++) start[ccell[e] + 1]++;
  for (let c = 0; c < nC; c++) start[c + 1] += start[c];
  const order = new Int32Array(nE);
  { const fill = start.slice(0, nC); for (let e = 0; e < nE; e++) order[fill[ccell[e]]++] = e; }
  // 2. connected groups of the elements of each coarse cell (shared node ids) = sub-elements
  const parentE = new Int32Array(nE);
  for (let e = 0; e < nE; e++) parentE[e] = e;
  const owner = new Int32Array(nN).fill(-1), stamp = new Int32Array(nN).fill(-1);
  for (let c = 0; c < nC; c++) {
    for (let t = start[c]; t < start[c + 1]; t++) {
      const e = order[t];
      for (let k = 0; k < 8; k++) {
        const node = en[8 * e + k];
        if (stamp[node] === c) union(parentE, e, owner[node]);
        else { stamp[node] = c; owner[node] = e; }
      }
    }
    if (!split) for (let t = start[c] + 1; t < start[c + 1]; t++) union(parentE, order[start[c]], order[t]);
  }
  const subOf = new Int32Array(nE).fill(-1);
  let nS = 0;
  const subCell: number[] = [];
  for (let t = 0; t < nE; t++) {
    const e = order[t], r = find(parentE, e);
    if (subOf[r] < 0) { subOf[r] = nS++; subCell.push(ccell[e]); }
    subOf[e] = subOf[r];
  }
  // 3. copies of the coarse nodes: union of the pairs (sub-element, corner) that meet at a fine
  //    node where the corner's trilinear weight is non-zero. firstPair[8·node + slot]: slot =
  //    which of the node's ≤ 8 coarse nodes (dx + 2dy + 4dz from the low one)
  const parentP = new Int32Array(8 * nS);
  for (let p = 0; p < parentP.length; p++) parentP[p] = p;
  const firstPair = new Int32Array(8 * nN).fill(-1);
  const subCellXYZ = (s: number): [number, number, number] => { const c = subCell[s]; return [c % CX, Math.floor(c / CX) % CY, Math.floor(c / (CX * CY))]; };
  for (let e = 0; e < nE; e++) {
    const s = subOf[e];
    const [sx, sy, sz] = subCellXYZ(s);
    for (let a = 0; a < 8; a++) {
      const node = en[8 * e + a];
      const X = pos[3 * node], Y = pos[3 * node + 1], Z = pos[3 * node + 2];
      const x0 = X >> 1, y0 = Y >> 1, z0 = Z >> 1;
      const nx = X & 1 ? 2 : 1, ny = Y & 1 ? 2 : 1, nz = Z & 1 ? 2 : 1;
      for (let dz = 0; dz < nz; dz++) for (let dy = 0; dy < ny; dy++) for (let dx = 0; dx < nx; dx++) {
        const k = (x0 + dx - sx) + 2 * (y0 + dy - sy) + 4 * (z0 + dz - sz); // corner of the sub-element's cell
        const pair = 8 * s + k, slot = 8 * node + dx + 2 * dy + 4 * dz;
        if (firstPair[slot] < 0) firstPair[slot] = pair; else if (split) union(parentP, pair, firstPair[slot]);
      }
    }
  }
  if (!split) {
    // one node per grid position: union every pair at the same coarse grid node
    const firstAt = new Int32Array(NXc * NYc * (CZ + 1)).fill(-1);
    for (let s = 0; s < nS; s++) {
      const [sx, sy, sz] = subCellXYZ(s);
      for (let k = 0; k < 8; k++) {
        const J = sx + (k & 1) + NXc * (sy + ((k >> 1) & 1) + NYc * (sz + (k >> 2)));
        if (firstAt[J] < 0) firstAt[J] = 8 * s + k; else union(parentP, 8 * s + k, firstAt[J]);
      }
    }
  }
  const nodeOfRoot = new Int32Array(8 * nS).fill(-1);
  const cpos3: number[] = [];
  let nCn = 0;
  const coarseNode = (pair: number): number => {
    const r = find(parentP, pair);
    if (nodeOfRoot[r] < 0) {
      nodeOfRoot[r] = nCn++;
      const s = r >> 3, k = r & 7;
      const [sx, sy, sz] = subCellXYZ(s);
      cpos3.push(sx + (k & 1), sy + ((k >> 1) & 1), sz + (k >> 2));
    }
    return nodeOfRoot[r];
  };
  const cElemNodes = new Int32Array(8 * nS);
  for (let s = 0; s < nS; s++) for (let k = 0; k < 8; k++) cElemNodes[8 * s + k] = coarseNode(8 * s + k);
  // interpolation rows
  const rowPtr = new Int32Array(nN + 1);
  for (let node = 0; node < nN; node++) {
    let cnt = 0;
    for (let q = 0; q < 8; q++) if (firstPair[8 * node + q] >= 0) cnt++;
    rowPtr[node + 1] = rowPtr[node] + cnt;
  }
  const col = new Int32Array(rowPtr[nN]), wts = new Float32Array(rowPtr[nN]);
  for (let node = 0, t = 0; node < nN; node++) {
    const X = pos[3 * node], Y = pos[3 * node + 1], Z = pos[3 * node + 2];
    const w = (X & 1 ? 0.5 : 1) * (Y & 1 ? 0.5 : 1) * (Z & 1 ? 0.5 : 1);
    for (let q = 0; q < 8; q++) {
      const p = firstPair[8 * node + q];
      if (p < 0) continue;
      col[t] = coarseNode(p); wts[t] = w; t++;
    }
  }
  // 4. Galerkin matrices per sub-element. Child position p, child-local node a: fine coordinate
  //    s = p + a ∈ {0,1,2} per axis → coarse-local weights (1, ½, 0)[s] and (0, ½, 1)[s]
  const w0 = [1, 0.5, 0], w1 = [0, 0.5, 1];
  const wA: number[][][] = [], wW: number[][][] = [];
  for (let p = 0; p < 8; p++) {
    wA.push([]); wW.push([]);
    const px = p & 1, py = (p >> 1) & 1, pz = p >> 2;
    for (let a = 0; a < 8; a++) {
      const sx = px + (a & 1), sy = py + ((a >> 1) & 1), sz = pz + (a >> 2);
      const As: number[] = [], Ws: number[] = [];
      for (let A = 0; A < 8; A++) {
        const w = (A & 1 ? w1[sx] : w0[sx]) * ((A >> 1) & 1 ? w1[sy] : w0[sy]) * (A >> 2 ? w1[sz] : w0[sz]);
        if (w !== 0) { As.push(A); Ws.push(w); }
      }
      wA[p].push(As); wW[p].push(Ws);
    }
  }
  // members of each sub-element
  const sStart = new Int32Array(nS + 1);
  for (let e = 0; e < nE; e++) sStart[subOf[e] + 1]++;
  for (let s = 0; s < nS; s++) sStart[s + 1] += sStart[s];
  const members = new Int32Array(nE);
  { const fill = sStart.slice(0, nS); for (let e = 0; e < nE; e++) members[fill[subOf[e]]++] = e; }
  const tables: Float64Array[] = [];
  const seen = new Map<string, number>();
  const cTab = new Int32Array(nS);
  const T = new Float64Array(576), maskOf = new Float64Array(24);
  const keyParts: number[] = [];
  for (let s = 0; s < nS; s++) {
    let constrained = false;
    if (fineFree) {
      for (let t = sStart[s]; t < sStart[s + 1] && !constrained; t++) {
        const e = members[t];
        for (let a = 0; a < 8; a++) { const g = 3 * en[8 * e + a]; if (!fineFree[g] || !fineFree[g + 1] || !fineFree[g + 2]) { constrained = true; break; } }
      }
    }
    let key = '';
    if (!constrained) {
      keyParts.length = 0;
      for (let t = sStart[s]; t < sStart[s + 1]; t++) { const e = members[t]; keyParts.push(cpos[e] + 8 * fine.elemTable[e]); }
      keyParts.sort((a, b) => a - b);
      key = keyParts.join(',');
      const hit = seen.get(key);
      if (hit !== undefined) { cTab[s] = hit; continue; }
    }
    const M = new Float64Array(576);
    for (let t = sStart[s]; t < sStart[s + 1]; t++) {
      const e = members[t], p = cpos[e];
      const K = fine.tables[fine.elemTable[e]];
      if (constrained && fineFree) { for (let a = 0; a < 8; a++) for (let c = 0; c < 3; c++) maskOf[3 * a + c] = fineFree[3 * en[8 * e + a] + c]; }
      else maskOf.fill(1);
      T.fill(0); // T = K P̃_p
      for (let b = 0; b < 8; b++) {
        const As = wA[p][b], Ws = wW[p][b];
        for (let d = 0; d < 3; d++) {
          if (maskOf[3 * b + d] === 0) continue;
          const colK = 3 * b + d;
          for (let q = 0; q < As.length; q++) {
            const w = Ws[q], cc = 3 * As[q] + d;
            for (let r = 0; r < 24; r++) T[24 * r + cc] += w * K[24 * r + colK];
          }
        }
      }
      for (let a = 0; a < 8; a++) { // M += P̃_pᵀ T
        const As = wA[p][a], Ws = wW[p][a];
        for (let c = 0; c < 3; c++) {
          if (maskOf[3 * a + c] === 0) continue;
          const row = 24 * (3 * a + c);
          for (let q = 0; q < As.length; q++) {
            const w = Ws[q], rr = 24 * (3 * As[q] + c);
            for (let j = 0; j < 24; j++) M[rr + j] += w * T[row + j];
          }
        }
      }
    }
    const id = tables.length;
    tables.push(M);
    if (!constrained) seen.set(key, id);
    cTab[s] = id;
  }
  const coarse = new ElementLevel([CX, CY, CZ], Int32Array.from(cpos3), Int32Array.from(subCell), cElemNodes, cTab, tables, undefined);
  return { coarse, transfer: new Transfer(fine, coarse, rowPtr, col, wts) };
}

interface CoarseSolve { solve(r: Float64Array, x: Float64Array): void }

/** Dense Cholesky of the active DOFs of the coarsest level. */
class CholeskyCoarseSolve implements CoarseSolve {
  private readonly dofs: Int32Array;
  private readonly chol: DenseCholesky;
  private readonly b: Float64Array;
  constructor(level: ElementLevel) {
    const { map, dofs } = level.activeIndex();
    const n = dofs.length;
    this.dofs = dofs;
    const a = new Float64Array(n * n);
    level.forEachActiveEntry(map, (i, j, v) => { a[i * n + j] += v; });
    this.chol = new DenseCholesky(a, n, 1e-10);
    this.b = new Float64Array(n);
  }
  solve(r: Float64Array, x: Float64Array): void {
    const b = this.b, dofs = this.dofs;
    for (let t = 0; t < dofs.length; t++) b[t] = r[dofs[t]];
    this.chol.solve(b, b);
    x.fill(0);
    for (let t = 0; t < dofs.length; t++) x[dofs[t]] = b[t];
  }
}

/** One smoothed-aggregation V-cycle on the assembled active DOFs (when coarsening stalls). */
class AmgCoarseSolve implements CoarseSolve {
  private readonly M: SmoothedAggregationPreconditioner;
  private readonly dofs: Int32Array;
  private readonly b: Float64Array;
  private readonly z: Float64Array;
  constructor(level: ElementLevel) {
    const { A, dofs, nodeOfUnknown, modes } = level.activeCsr();
    this.dofs = dofs;
    this.M = new SmoothedAggregationPreconditioner(A, { nearNullSpace: modes, nodeOfUnknown, smoothedLevels: 1 });
    this.b = new Float64Array(A.nRows); this.z = new Float64Array(A.nRows);
  }
  solve(r: Float64Array, x: Float64Array): void {
    const dofs = this.dofs, b = this.b, z = this.z;
    for (let t = 0; t < dofs.length; t++) b[t] = r[dofs[t]];
    this.M.apply(b, z);
    x.fill(0);
    for (let t = 0; t < dofs.length; t++) x[dofs[t]] = z[t];
  }
}

export class ElasticityMultigridPreconditioner implements Preconditioner {
  readonly n: number;
  readonly levels: ElasticityMultigridLevelInfo[];
  /** Seconds to build the hierarchy. */
  readonly setupSeconds: number;
  readonly ops: ElementLevel[] = [];
  private readonly smoothers: ChebyshevSmoother[] = [];
  readonly transfers: Transfer[] = [];
  private readonly coarse: CoarseSolve;
  private readonly b: Float64Array[] = [];
  private readonly x: Float64Array[] = [];
  private readonly w: Float64Array[] = [];
  /** Level-0 DOF of every free DOF of the operator. */
  private readonly levelDofOf: Int32Array;

  constructor(op: ElasticityOperator, options: ElasticityMultigridOptions = {}) {
    const t0 = performance.now();
    this.n = op.n;
    const coarsest = options.coarsestUnknowns ?? 1500;
    const maxLevels = options.maxLevels ?? 20;
    const split = options.splitNodes ?? true;
    // level 0 lives on the full node grid (node id = grid index), so that its kernel finds
    // neighbours at fixed offsets; nodes outside the system are inactive
    const [NX, NY] = op.nodeShape;
    const nN = op.nodeCount;
    const pos = new Int32Array(3 * nN), free = new Uint8Array(3 * nN);
    for (let node = 0; node < nN; node++) {
      pos[3 * node] = node % NX; pos[3 * node + 1] = Math.floor(node / NX) % NY; pos[3 * node + 2] = Math.floor(node / (NX * NY));
      for (let c = 0; c < 3; c++) free[3 * node + c] = op.dofOfNode[3 * node + c] >= 0 ? 1 : 0;
    }
    const nE = op.elementCount;
    const corner = [0, 1, NX, NX + 1, NX * NY, NX * NY + 1, NX * NY + NX, NX * NY + NX + 1];
    const elemNodes = new Int32Array(8 * nE);
    for (let e = 0; e < nE; e++) {
      const n0 = op.nodeOfVoxelCorner(op.elementVoxel[e]);
      for (let k = 0; k < 8; k++) elemNodes[8 * e + k] = n0 + corner[k];
    }
    this.ops.push(new ElementLevel([...op.shape], pos, Int32Array.from(op.elementVoxel), elemNodes, Int32Array.from(op.elementMaterial), op.elementMatrices, free, [...op.nodeShape]));
    this.levelDofOf = new Int32Array(op.n);
    for (let d = 0; d < op.n; d++) this.levelDofOf[d] = 3 * op.nodeOfDof[d] + op.componentOfDof[d];
    for (;;) {
      const top = this.ops[this.ops.length - 1];
      const [ex, ey, ez] = top.cellShape;
      if (top.activeCount <= coarsest || this.ops.length >= maxLevels || (ex === 1 && ey === 1 && ez === 1)) break;
      const { coarse, transfer } = coarsen(top, this.ops.length === 1 ? free : null, split);
      this.transfers.push(transfer);
      this.ops.push(coarse);
    }
    const degree = options.smootherDegree ?? 2;
    const lowerRatio = options.lowerRatio ?? 0.05;
    // λmax of D⁻¹A by 10 Lanczos steps × 1.1 (the smoother's default). Fewer steps under-estimate
    // it on stiffness contrasts (6 steps: CG broke down on the block-32 benchmark, contrast 200)
    for (let l = 0; l < this.ops.length - 1; l++) this.smoothers.push(new ChebyshevSmoother(this.ops[l], { degree, lowerRatio, estimateSteps: 10 }));
    const last = this.ops[this.ops.length - 1];
    const useCholesky = last.activeCount <= Math.max(coarsest, 3000);
    this.coarse = useCholesky ? new CholeskyCoarseSolve(last) : new AmgCoarseSolve(last);
    for (const L of this.ops) { this.b.push(new Float64Array(L.n)); this.x.push(new Float64Array(L.n)); this.w.push(new Float64Array(L.n)); }
    this.levels = this.ops.map((L, l) => ({
      cellShape: [...L.cellShape] as [number, number, number],
      nodes: L.nodeCount,
      activeDofs: L.activeCount,
      elements: L.elementCount,
      distinctMatrices: L.tables.length,
      ...(l === this.ops.length - 1 ? { coarseSolver: useCholesky ? 'cholesky' as const : 'amg' as const } : {}),
    }));
    this.setupSeconds = (performance.now() - t0) / 1000;
  }

  /**
   * Solve A u = b (b, u and x0 over the operator's free DOFs) by CG with this preconditioner,
   * iterating on the level-0 grid vectors (the grid kernel instead of the operator's element
   * loop; the same system, the same convergence test on ‖b − A u‖ / ‖b‖).
   */
  solve(b: Float64Array, options: { rtol?: number; maxIterations?: number; x0?: Float64Array } = {}): { u: Float64Array; iterations: number; relativeResidual: number } {
    const g = this.levelDofOf, L0 = this.ops[0];
    const bg = new Float64Array(L0.n);
    for (let d = 0; d < g.length; d++) bg[g[d]] = b[d];
    let x0g: Float64Array | undefined;
    if (options.x0) { x0g = new Float64Array(L0.n); for (let d = 0; d < g.length; d++) x0g[g[d]] = options.x0[d]; }
    const self = this;
    const M: Preconditioner = { n: L0.n, apply(r: Float64Array, z: Float64Array): void { self.b[0].set(r); self.cycle(0); z.set(self.x[0]); } };
    const toFree = (xg: Float64Array): Float64Array => { const u = new Float64Array(this.n); for (let d = 0; d < g.length; d++) u[d] = xg[g[d]]; return u; };
    let res;
    try {
      res = cg(L0, bg, { rtol: options.rtol ?? 1e-8, maxIterations: options.maxIterations ?? 1000, preconditioner: M, ...(x0g ? { x0: x0g } : {}) });
    } catch (e) {
      // the last iterate over the operator's free DOFs, as the caller knows them
      if (e instanceof NonConvergenceError && e.lastIterate) throw new NonConvergenceError(e.method, e.iterations, e.lastResidual, e.relativeResidual, e.reason, '', toFree(e.lastIterate));
      throw e;
    }
    const u = toFree(res.x);
    return { u, iterations: res.iterations, relativeResidual: res.relativeResidual };
  }

  /** Level 0's kernel: uniform / mixed nodes and threads. */
  get kernelInfo(): { uniformNodes: number; mixedNodes: number; threads: number; reason: string } {
    return this.ops[0].kernelInfo;
  }

  /** z ← M⁻¹ r: one symmetric V-cycle from a zero guess. */
  apply(r: Float64Array, z: Float64Array): void {
    const g = this.levelDofOf, b0 = this.b[0], x0 = this.x[0];
    b0.fill(0);
    for (let d = 0; d < g.length; d++) b0[g[d]] = r[d];
    this.cycle(0);
    for (let d = 0; d < g.length; d++) z[d] = x0[g[d]];
  }

  private cycle(l: number): void {
    const b = this.b[l], x = this.x[l];
    if (l === this.ops.length - 1) { this.coarse.solve(b, x); return; }
    const A = this.ops[l], S = this.smoothers[l], w = this.w[l];
    x.fill(0);
    S.smooth(b, x, true);
    A.apply(x, w);
    for (let i = 0; i < w.length; i++) w[i] = b[i] - w[i];
    this.transfers[l].restrict(w, this.b[l + 1]);
    this.cycle(l + 1);
    this.transfers[l].prolongAdd(this.x[l + 1], x);
    S.smooth(b, x, false);
  }
}

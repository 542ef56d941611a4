/**
 * Smoothed-aggregation algebraic multigrid (Vaněk, Mandel, Brezina 1996) for SPD CSR matrices
 * with a user-given near-null space B (n × k): for 3D elasticity the 6 rigid-body modes, for
 * scalar diffusion the constant vector (the default).
 *
 * Setup, per level:
 *  1. Nodes: unknowns are grouped into nodes (`nodeOfUnknown`, e.g. the 3 displacement components
 *     of a mesh node; default one unknown per node). On coarse levels a node is an aggregate of
 *     the level above (its ≤ k coarse unknowns).
 *  2. Strength of connection on the node graph (block Frobenius norms):
 *     ‖A_IJ‖ ≥ θ √(‖A_II‖ ‖A_JJ‖), θ = `strengthThreshold` · `strengthThresholdDecay`^level;
 *     when the aggregation then coarsens by less than 2.5× in nodes on a level larger than
 *     `maxDirectSize`, it is redone with θ/4 and finally θ = 0 (stiff pieces joined only by weak
 *     links must still be aggregated together).
 *  3. Aggregation, the classical three phases: (1) a node whose strong neighbours are all free
 *     becomes a root and takes them as its aggregate; (2) every remaining node joins the phase-1
 *     aggregate it is most strongly connected to; (3) what is left forms aggregates from a node
 *     and its free strong neighbours (nodes without strong connections become singletons).
 *  4. Tentative prolongator: per aggregate, the rows of B on its unknowns are orthonormalised by
 *     modified Gram–Schmidt (dropping dependent columns, so aggregates cut by Dirichlet
 *     conditions get fewer coarse unknowns): B_a = Q_a R_a; P̂ = blockdiag(Q_a), B_coarse = R.
 *  5. Smoothed prolongator P = (I − ω D⁻¹A) P̂ with ω = 4 / (3 ρ(D⁻¹A)) (ρ from Lanczos).
 *  6. Galerkin coarse operator A_c = Pᵀ (A P), both products by a two-pass Gustavson sparse
 *     matrix–matrix product (`sparseMultiply`).
 * Cycle: symmetric V-cycle with a Chebyshev polynomial smoother on D⁻¹A (same polynomial before
 * and after the coarse correction, so the preconditioner is fixed and SPD: plain CG applies),
 * dense Cholesky on the coarsest level (a degree-20 Chebyshev polynomial instead when coarsening
 * stalled above `maxDirectSize`; still a fixed SPD operator).
 *
 * Memory: the hierarchy stores P and A_c per level (A P and Pᵀ only transiently during setup).
 * Pass `fineOperator` (e.g. a matrix-free operator) to smooth the finest level with it instead
 * of the CSR matrix, so that the caller can drop the fine CSR matrix after setup.
 */
import { ChebyshevSmoother } from './chebyshev-smoother.js';
import { GaussSeidelSmoother } from './gauss-seidel-smoother.js';
import { CsrMatrix } from './csr-matrix.js';
import { DenseCholesky } from './dense-cholesky.js';
import { lanczosExtremeEigenvalues } from './eigen-estimate.js';
import type { LinearOperator, Preconditioner } from './operator.js';

export interface SmoothedAggregationOptions {
  /** Near-null space vectors (length n each). Default: the constant vector. */
  nearNullSpace?: Float64Array[];
  /** Node of every unknown (0-based, nodes numbered densely). Default: identity. */
  nodeOfUnknown?: Int32Array;
  /** Strength threshold θ on the finest level. Default 0.08. */
  strengthThreshold?: number;
  /** θ is multiplied by this factor per level. Default 1. */
  strengthThresholdDecay?: number;
  /** Prolongator smoothing on/off (off = plain aggregation). Default true. */
  smoothProlongator?: boolean;
  /**
   * Smooth the prolongators of the first `smoothedLevels` levels only (coarser levels use the
   * tentative prolongator, which keeps the coarse operators sparse). Default: all.
   */
  smoothedLevels?: number;
  /**
   * 'chebyshev' (default): Chebyshev polynomial in D⁻¹A, the same before and after. 'gauss-seidel':
   * forward sweeps before, backward sweeps after (symmetric; needs the CSR matrix, so it is not
   * combined with `fineOperator` on the finest level).
   */
  smoother?: 'chebyshev' | 'gauss-seidel';
  /** 'V' (default) or 'W' (two coarse corrections per level below the finest; still fixed and SPD). */
  cycle?: 'V' | 'W';
  /** Gauss–Seidel sweeps before and after. Default 1. */
  sweeps?: number;
  /** Chebyshev degree (matrix–vector products per pre- and per post-smoothing). Default 3. */
  smootherDegree?: number;
  /** Chebyshev lower bound λlow = lowerRatio · λhigh. Default 1/30. */
  smootherLowerRatio?: number;
  /** Stop coarsening at or below this many unknowns (dense Cholesky). Default 2000. */
  maxCoarseSize?: number;
  /**
   * Largest coarsest level factorised by dense Cholesky; a larger one (coarsening stalled) is
   * smoothed by `coarseSweeps` Chebyshev applications instead. Default 4000.
   */
  maxDirectSize?: number;
  /** Maximum number of levels. Default 20. */
  maxLevels?: number;
  /**
   * Smooth the prolongator with the filtered matrix (entries between weakly connected nodes
   * dropped): sparser P and cheaper setup, usually more iterations. Default false.
   */
  filterWeakConnections?: boolean;
  /** Smooth the finest level with this operator instead of the CSR matrix (same matrix). */
  fineOperator?: LinearOperator;
}

export interface SmoothedAggregationLevelInfo {
  /** Unknowns. */
  n: number;
  /** Stored entries of the level matrix (0 on the finest level when `fineOperator` replaced it). */
  nnz: number;
  /** Aggregates formed on this level (0 on the coarsest). */
  aggregates: number;
  /** Stored entries of the prolongator to this level from the next coarser one (0 on the coarsest). */
  prolongatorNnz: number;
}

interface Level {
  A: LinearOperator;
  nnz: number;
  n: number;
  P?: CsrMatrix;
  smoother?: ChebyshevSmoother;
  gaussSeidel?: GaussSeidelSmoother;
  aggregates: number;
  b: Float64Array;
  x: Float64Array;
  r: Float64Array;
  /** W-cycle buffers (coarse levels) */
  wr?: Float64Array;
  wx?: Float64Array;
}

export class SmoothedAggregationPreconditioner implements Preconditioner {
  readonly n: number;
  readonly setupSeconds: number;
  private readonly levels: Level[] = [];
  private readonly coarse: DenseCholesky | ChebyshevSmoother;
  private readonly sweeps: number;
  private readonly wCycle: boolean;

  constructor(A: CsrMatrix, options: SmoothedAggregationOptions = {}) {
    const t0 = performance.now();
    if (A.nRows !== A.nCols) throw new RangeError('SmoothedAggregationPreconditioner: matrix must be square');
    const n = A.nRows;
    this.n = n;
    let B = options.nearNullSpace ?? [new Float64Array(n).fill(1)];
    if (B.length === 0) throw new RangeError('SmoothedAggregationPreconditioner: empty near-null space');
    for (const v of B) if (v.length !== n) throw new RangeError(`SmoothedAggregationPreconditioner: near-null vector of length ${v.length}, expected ${n}`);
    let nodeOf = options.nodeOfUnknown ?? identity(n);
    if (nodeOf.length !== n) throw new RangeError('SmoothedAggregationPreconditioner: nodeOfUnknown has the wrong length');
    const theta0 = options.strengthThreshold ?? 0.08;
    const thetaDecay = options.strengthThresholdDecay ?? 1;
    const smoothP = options.smoothProlongator ?? true;
    const smoothedLevels = options.smoothedLevels ?? Infinity;
    const filter = options.filterWeakConnections ?? false;
    const smootherKind = options.smoother ?? 'chebyshev';
    const sweeps = options.sweeps ?? 1;
    const degree = options.smootherDegree ?? 3;
    const lowerRatio = options.smootherLowerRatio ?? 1 / 30;
    const maxCoarse = options.maxCoarseSize ?? 2000;
    const maxLevels = options.maxLevels ?? 20;
    const maxDirect = options.maxDirectSize ?? 4000;

    this.sweeps = sweeps;
    this.wCycle = options.cycle === 'W';
    let Al = A;
    for (let l = 0; ; l++) {
      const nl = Al.nRows;
      const fineOp = l === 0 && options.fineOperator ? options.fineOperator : Al;
      if (fineOp.n !== nl) throw new RangeError('SmoothedAggregationPreconditioner: fineOperator size differs from the matrix');
      const level: Level = {
        A: fineOp, nnz: fineOp === Al ? Al.nnz : 0, n: nl, aggregates: 0,
        b: new Float64Array(l === 0 ? 0 : nl), x: new Float64Array(l === 0 ? 0 : nl), r: new Float64Array(0),
      };
      this.levels.push(level);
      if (nl <= maxCoarse || l + 1 >= maxLevels) break;
      // Aggregation; when it coarsens by less than 2.5× in nodes (typically stiff pieces linked only
      // by weak connections, e.g. particles in a soft binder) on a level too large for the direct
      // solver, retry with θ/4 and then θ = 0.
      let theta = theta0 * Math.pow(thetaDecay, l);
      let strong = strengthGraph(Al, nodeOf, theta);
      let agg = aggregateNodes(strong);
      while (nl > maxDirect && agg.count * 2.5 > strong.nNodes && theta > 0) {
        theta = theta > theta0 / 8 ? theta / 4 : 0;
        strong = strengthGraph(Al, nodeOf, theta);
        agg = aggregateNodes(strong);
      }
      if (agg.count * 1.2 >= strong.nNodes) break; // coarsening stalled
      const tent = tentativeProlongator(nodeOf, agg.aggregateOfNode, agg.count, B);
      if (tent.P.nCols * 2 > nl) break;
      const Dinv = inverseDiagonal(Al);
      const lambdaMax = lanczosExtremeEigenvalues(Al, Dinv, 12).lambdaMax * 1.05;
      const P = smoothP && l < smoothedLevels ? sparseMultiply(jacobiSmoothingMatrix(Al, Dinv, 4 / (3 * lambdaMax), filter ? nodeOf : undefined, strong), tent.P) : tent.P;
      const AP = sparseMultiply(Al, P);
      const Ac = sparseMultiply(transpose(P), AP);
      level.P = P;
      level.aggregates = agg.count;
      // shared on a threaded fine level (its residual then runs on every thread)
      level.r = Al.threaded && fineOp === Al ? new Float64Array(new SharedArrayBuffer(8 * nl)) : new Float64Array(nl);
      const smoothOp = level.A;
      if (smootherKind === 'gauss-seidel' && smoothOp === Al) level.gaussSeidel = new GaussSeidelSmoother(Al);
      else level.smoother = new ChebyshevSmoother(smoothOp, { degree, lowerRatio, lambdaMax: 1.1 * lambdaMax });
      Al = Ac;
      B = tent.coarseNullSpace;
      nodeOf = tent.coarseNodeOf;
    }
    const last = this.levels[this.levels.length - 1];
    this.coarse = last.n <= maxDirect
      ? coarseFactor(Al)
      : new ChebyshevSmoother(last.A, { degree: 20, lowerRatio: 1 / 300 });
    this.setupSeconds = (performance.now() - t0) / 1000;
  }

  get levelInfo(): SmoothedAggregationLevelInfo[] {
    return this.levels.map((l) => ({ n: l.n, nnz: l.nnz, aggregates: l.aggregates, prolongatorNnz: l.P ? l.P.nnz : 0 }));
  }

  /** Σ nnz(A_l) / nnz(A_0) over the stored level matrices (finest counted even when replaced). */
  operatorComplexity(fineNnz: number): number {
    let s = fineNnz;
    for (let l = 1; l < this.levels.length; l++) s += this.levels[l].nnz;
    return s / fineNnz;
  }

  apply(r: Float64Array, z: Float64Array): void {
    this.cycle(0, r, z);
  }

  private cycle(l: number, b: Float64Array, x: Float64Array): void {
    const L = this.levels[l];
    if (l === this.levels.length - 1) {
      if (this.coarse instanceof DenseCholesky) this.coarse.solve(b, x); else this.coarse.apply(b, x);
      return;
    }
    const S = L.smoother, GS = L.gaussSeidel, P = L.P!, r = L.r, n = L.n;
    x.fill(0);
    if (GS) for (let s = 0; s < this.sweeps; s++) GS.forward(b, x);
    else S!.smooth(b, x, true);
    if (L.A instanceof CsrMatrix) L.A.residual(b, x, r);
    else { L.A.apply(x, r); for (let i = 0; i < n; i++) r[i] = b[i] - r[i]; }
    const C = this.levels[l + 1];
    // restrict: bc = Pᵀ r
    const bc = C.b, xc = C.x, rp = P.rowPtr, ci = P.colIdx, pv = P.values;
    bc.fill(0);
    for (let i = 0; i < n; i++) { const ri = r[i]; if (ri === 0) continue; for (let k = rp[i]; k < rp[i + 1]; k++) bc[ci[k]] += pv[k] * ri; }
    this.cycle(l + 1, bc, xc);
    if (this.wCycle && l + 1 < this.levels.length - 1) {
      const wr = (C.wr ??= new Float64Array(C.n)), wx = (C.wx ??= new Float64Array(C.n));
      (C.A as CsrMatrix).residual(bc, xc, wr);
      this.cycle(l + 1, wr, wx);
      for (let i = 0; i < C.n; i++) xc[i] += wx[i];
    }
    // prolongate: x += P xc
    for (let i = 0; i < n; i++) { let s = 0; for (let k = rp[i]; k < rp[i + 1]; k++) s += pv[k] * xc[ci[k]]; x[i] += s; }
    if (GS) for (let s = 0; s < this.sweeps; s++) GS.backward(b, x);
    else S!.smooth(b, x, false);
  }
}

function identity(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

function inverseDiagonal(A: CsrMatrix): Float64Array {
  const d = A.diagonal();
  for (let i = 0; i < d.length; i++) {
    if (!(d[i] > 0)) throw new RangeError(`SmoothedAggregationPreconditioner: diagonal entry ${i} is ${d[i]} (expected > 0)`);
    d[i] = 1 / d[i];
  }
  return d;
}

/**
 * S = I − ω D⁻¹ A_F, where A_F keeps only the entries between strongly connected nodes (and
 * within a node) when `strong` is given (the filtered matrix of SA; D is the diagonal of A).
 */
function jacobiSmoothingMatrix(A: CsrMatrix, Dinv: Float64Array, omega: number, nodeOf?: Int32Array, strong?: StrengthGraph): CsrMatrix {
  const rp = A.rowPtr, ci = A.colIdx, av = A.values, n = A.nRows;
  if (!strong || !nodeOf) {
    const v = new Float64Array(A.nnz);
    for (let i = 0; i < n; i++) {
      const s = -omega * Dinv[i];
      for (let k = rp[i]; k < rp[i + 1]; k++) v[k] = (ci[k] === i ? 1 : 0) + s * av[k];
    }
    return new CsrMatrix(n, A.nCols, rp, ci, v);
  }
  const marker = new Int32Array(strong.nNodes).fill(-1);
  const ptr = new Int32Array(n + 1);
  const cols = new Int32Array(A.nnz), vals = new Float64Array(A.nnz);
  let t = 0;
  for (let i = 0; i < n; i++) {
    const I = nodeOf[i];
    marker[I] = i;
    for (let k = strong.ptr[I]; k < strong.ptr[I + 1]; k++) marker[strong.adj[k]] = i;
    const s = -omega * Dinv[i];
    for (let k = rp[i]; k < rp[i + 1]; k++) {
      const j = ci[k];
      if (marker[nodeOf[j]] !== i) continue;
      cols[t] = j; vals[t] = (j === i ? 1 : 0) + s * av[k]; t++;
    }
    ptr[i + 1] = t;
  }
  return new CsrMatrix(n, A.nCols, ptr, cols.slice(0, t), vals.slice(0, t));
}

/** Aᵀ (columns sorted within rows). */
export function transpose(A: CsrMatrix): CsrMatrix {
  const m = A.nCols, nnz = A.nnz, rp = A.rowPtr, ci = A.colIdx, av = A.values;
  const tp = new Int32Array(m + 1);
  for (let k = 0; k < nnz; k++) tp[ci[k] + 1]++;
  for (let j = 0; j < m; j++) tp[j + 1] += tp[j];
  const fill = tp.slice(0, m);
  const tc = new Int32Array(nnz), tv = new Float64Array(nnz);
  for (let i = 0; i < A.nRows; i++) {
    for (let k = rp[i]; k < rp[i + 1]; k++) { const t = fill[ci[k]]++; tc[t] = i; tv[t] = av[k]; }
  }
  return new CsrMatrix(m, A.nRows, tp, tc, tv);
}

/**
 * C = A B, two-pass Gustavson (symbolic count with a marker array, then numeric with a dense
 * accumulator); columns sorted within each row. O(flops + nnz(C) log(row length)).
 */
export function sparseMultiply(A: CsrMatrix, B: CsrMatrix): CsrMatrix {
  if (A.nCols !== B.nRows) throw new RangeError(`sparseMultiply: ${A.nRows}×${A.nCols} times ${B.nRows}×${B.nCols}`);
  const n = A.nRows, m = B.nCols;
  const arp = A.rowPtr, aci = A.colIdx, av = A.values, brp = B.rowPtr, bci = B.colIdx, bv = B.values;
  const marker = new Int32Array(m).fill(-1);
  const rowPtr = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    let cnt = 0;
    for (let k = arp[i]; k < arp[i + 1]; k++) {
      const j = aci[k];
      for (let t = brp[j]; t < brp[j + 1]; t++) { const c = bci[t]; if (marker[c] !== i) { marker[c] = i; cnt++; } }
    }
    rowPtr[i + 1] = rowPtr[i] + cnt;
  }
  const nnz = rowPtr[n];
  const colIdx = new Int32Array(nnz), values = new Float64Array(nnz), acc = new Float64Array(m);
  marker.fill(-1);
  for (let i = 0; i < n; i++) {
    const start = rowPtr[i];
    let len = 0;
    for (let k = arp[i]; k < arp[i + 1]; k++) {
      const j = aci[k], a = av[k];
      for (let t = brp[j]; t < brp[j + 1]; t++) {
        const c = bci[t];
        if (marker[c] !== i) { marker[c] = i; colIdx[start + len++] = c; acc[c] = a * bv[t]; } else acc[c] += a * bv[t];
      }
    }
    const row = colIdx.subarray(start, start + len);
    row.sort();
    for (let t = 0; t < len; t++) values[start + t] = acc[row[t]];
  }
  return new CsrMatrix(n, m, rowPtr, colIdx, values);
}

/** Strong-connection graph between nodes (symmetric pattern, no self loops). */
interface StrengthGraph {
  nNodes: number;
  ptr: Int32Array;
  adj: Int32Array;
  /** connection strength ‖A_IJ‖_F / √(‖A_II‖ ‖A_JJ‖) of each adjacency entry */
  weight: Float64Array;
}

function strengthGraph(A: CsrMatrix, nodeOf: Int32Array, theta: number): StrengthGraph {
  const n = A.nRows;
  let nNodes = 0;
  for (let i = 0; i < n; i++) nNodes = Math.max(nNodes, nodeOf[i] + 1);
  // unknowns of each node
  const start = new Int32Array(nNodes + 1);
  for (let i = 0; i < n; i++) start[nodeOf[i] + 1]++;
  for (let I = 0; I < nNodes; I++) start[I + 1] += start[I];
  const fill = start.slice(0, nNodes);
  const dofs = new Int32Array(n);
  for (let i = 0; i < n; i++) dofs[fill[nodeOf[i]]++] = i;
  const rp = A.rowPtr, ci = A.colIdx, av = A.values;
  // block norms² per node row (node graph in CSR, built in two passes)
  const marker = new Int32Array(nNodes).fill(-1);
  const gptr = new Int32Array(nNodes + 1);
  for (let I = 0; I < nNodes; I++) {
    let cnt = 0;
    for (let t = start[I]; t < start[I + 1]; t++) {
      const i = dofs[t];
      for (let k = rp[i]; k < rp[i + 1]; k++) { const J = nodeOf[ci[k]]; if (marker[J] !== I) { marker[J] = I; cnt++; } }
    }
    gptr[I + 1] = gptr[I] + cnt;
  }
  const gadj = new Int32Array(gptr[nNodes]), gval = new Float64Array(gptr[nNodes]);
  const pos = new Int32Array(nNodes);
  marker.fill(-1);
  const diagNorm = new Float64Array(nNodes);
  for (let I = 0; I < nNodes; I++) {
    let len = 0;
    const s0 = gptr[I];
    for (let t = start[I]; t < start[I + 1]; t++) {
      const i = dofs[t];
      for (let k = rp[i]; k < rp[i + 1]; k++) {
        const J = nodeOf[ci[k]], a2 = av[k] * av[k];
        if (marker[J] !== I) { marker[J] = I; pos[J] = s0 + len; gadj[s0 + len] = J; gval[s0 + len] = a2; len++; } else gval[pos[J]] += a2;
      }
    }
    diagNorm[I] = marker[I] === I ? Math.sqrt(gval[pos[I]]) : 0;
  }
  // strong entries
  const ptr = new Int32Array(nNodes + 1);
  const adjTmp = new Int32Array(gadj.length), wTmp = new Float64Array(gadj.length);
  let nnz = 0;
  for (let I = 0; I < nNodes; I++) {
    for (let t = gptr[I]; t < gptr[I + 1]; t++) {
      const J = gadj[t];
      if (J === I) continue;
      const dd = diagNorm[I] * diagNorm[J];
      const s = Math.sqrt(gval[t]);
      if (dd > 0 && s >= theta * Math.sqrt(dd)) { adjTmp[nnz] = J; wTmp[nnz] = s / Math.sqrt(dd); nnz++; }
    }
    ptr[I + 1] = nnz;
  }
  return { nNodes, ptr, adj: adjTmp.slice(0, nnz), weight: wTmp.slice(0, nnz) };
}

function aggregateNodes(g: StrengthGraph): { aggregateOfNode: Int32Array; count: number } {
  const { nNodes, ptr, adj, weight } = g;
  const agg = new Int32Array(nNodes).fill(-1);
  let count = 0;
  // phase 1: roots with all strong neighbours free
  for (let I = 0; I < nNodes; I++) {
    if (agg[I] >= 0 || ptr[I + 1] === ptr[I]) continue;
    let free = true;
    for (let t = ptr[I]; t < ptr[I + 1]; t++) if (agg[adj[t]] >= 0) { free = false; break; }
    if (!free) continue;
    agg[I] = count;
    for (let t = ptr[I]; t < ptr[I + 1]; t++) agg[adj[t]] = count;
    count++;
  }
  // phase 2: join the most strongly connected phase-1 aggregate
  const phase1 = agg.slice();
  for (let I = 0; I < nNodes; I++) {
    if (agg[I] >= 0) continue;
    let best = -1, bw = -1;
    for (let t = ptr[I]; t < ptr[I + 1]; t++) { const a = phase1[adj[t]]; if (a >= 0 && weight[t] > bw) { bw = weight[t]; best = a; } }
    if (best >= 0) agg[I] = best;
  }
  // phase 3: leftovers with their free strong neighbours; isolated nodes become singletons
  for (let I = 0; I < nNodes; I++) {
    if (agg[I] >= 0) continue;
    agg[I] = count;
    for (let t = ptr[I]; t < ptr[I + 1]; t++) if (agg[adj[t]] < 0) agg[adj[t]] = count;
    count++;
  }
  return { aggregateOfNode: agg, count };
}

/**
 * Tentative prolongator by per-aggregate modified Gram–Schmidt of the near-null space rows.
 * Coarse unknowns are numbered aggregate by aggregate; within an aggregate the fine rows keep
 * their order.
 */
function tentativeProlongator(nodeOf: Int32Array, aggOfNode: Int32Array, nAgg: number, B: Float64Array[]): {
  P: CsrMatrix; coarseNullSpace: Float64Array[]; coarseNodeOf: Int32Array;
} {
  const n = nodeOf.length, k = B.length;
  const start = new Int32Array(nAgg + 1);
  for (let i = 0; i < n; i++) start[aggOfNode[nodeOf[i]] + 1]++;
  for (let a = 0; a < nAgg; a++) start[a + 1] += start[a];
  const fill = start.slice(0, nAgg);
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) rows[fill[aggOfNode[nodeOf[i]]]++] = i;
  // first pass: Q and R per aggregate (stored contiguously)
  const Q = new Float64Array(n * k); // row t of the aggregate-sorted list: Q[t·k + col]
  const rank = new Int32Array(nAgg);
  const Rs: Float64Array[] = [];
  let maxCol = 0;
  for (let j = 0; j < k; j++) for (let i = 0; i < n; i++) maxCol = Math.max(maxCol, Math.abs(B[j][i]));
  const v = new Float64Array(n);
  for (let a = 0; a < nAgg; a++) {
    const s = start[a], e = start[a + 1], m = e - s;
    const R = new Float64Array(k * k); // R[q·k + j], q = kept column
    let r = 0;
    for (let j = 0; j < k; j++) {
      for (let t = 0; t < m; t++) v[t] = B[j][rows[s + t]];
      let orig = 0;
      for (let t = 0; t < m; t++) orig += v[t] * v[t];
      orig = Math.sqrt(orig);
      for (let pass = 0; pass < 2; pass++) {
        for (let q = 0; q < r; q++) {
          let d = 0;
          for (let t = 0; t < m; t++) d += Q[(s + t) * k + q] * v[t];
          R[q * k + j] += d;
          for (let t = 0; t < m; t++) v[t] -= d * Q[(s + t) * k + q];
        }
      }
      let nv = 0;
      for (let t = 0; t < m; t++) nv += v[t] * v[t];
      nv = Math.sqrt(nv);
      if (nv > 1e-10 * Math.max(orig, 1e-300) && nv > 1e-13 * maxCol && r < m) {
        for (let t = 0; t < m; t++) Q[(s + t) * k + r] = v[t] / nv;
        R[r * k + j] = nv;
        r++;
      }
    }
    if (r === 0) { // all near-null vectors vanish here: keep a constant column
      for (let t = 0; t < m; t++) Q[(s + t) * k] = 1 / Math.sqrt(m);
      r = 1;
    }
    rank[a] = r;
    Rs.push(R);
  }
  const cstart = new Int32Array(nAgg + 1);
  for (let a = 0; a < nAgg; a++) cstart[a + 1] = cstart[a] + rank[a];
  const nc = cstart[nAgg];
  const rowPtr = new Int32Array(n + 1);
  const tOf = new Int32Array(n);
  for (let t = 0; t < n; t++) tOf[rows[t]] = t;
  for (let i = 0; i < n; i++) rowPtr[i + 1] = rowPtr[i] + rank[aggOfNode[nodeOf[i]]];
  const colIdx = new Int32Array(rowPtr[n]), values = new Float64Array(rowPtr[n]);
  for (let i = 0; i < n; i++) {
    const a = aggOfNode[nodeOf[i]], t = tOf[i];
    for (let q = 0; q < rank[a]; q++) { colIdx[rowPtr[i] + q] = cstart[a] + q; values[rowPtr[i] + q] = Q[t * k + q]; }
  }
  const coarseNullSpace = Array.from({ length: k }, () => new Float64Array(nc));
  const coarseNodeOf = new Int32Array(nc);
  for (let a = 0; a < nAgg; a++) {
    for (let q = 0; q < rank[a]; q++) {
      coarseNodeOf[cstart[a] + q] = a;
      for (let j = 0; j < k; j++) coarseNullSpace[j][cstart[a] + q] = Rs[a][q * k + j];
    }
  }
  return { P: new CsrMatrix(n, nc, rowPtr, colIdx, values), coarseNullSpace, coarseNodeOf };
}

/** Dense Cholesky of the coarsest matrix; a tiny diagonal shift if it is only semi-definite numerically. */
function coarseFactor(A: CsrMatrix): DenseCholesky {
  try {
    return DenseCholesky.fromCsr(A);
  } catch {
    const n = A.nRows, a = new Float64Array(n * n);
    let maxDiag = 0;
    for (let i = 0; i < n; i++) for (let k = A.rowPtr[i]; k < A.rowPtr[i + 1]; k++) {
      a[i * n + A.colIdx[k]] += A.values[k];
      if (A.colIdx[k] === i) maxDiag = Math.max(maxDiag, A.values[k]);
    }
    for (let i = 0; i < n; i++) a[i * n + i] += 1e-12 * maxDiag;
    return new DenseCholesky(a, n);
  }
}

/**
 * Field-split preconditioner for the Newton matrix A = a₀M − ∂f/∂y of the coupled half cell
 * (src/assembly/cell-model.ts). The fields are solved one after the other, each scalar block by
 * aggregation multigrid on the voxel grid (src/linalg/multigrid-preconditioner.ts):
 *
 *   particles    z_s = MG(A_ss)⁻¹ r_s
 *   conduction   z_p = MG(A_pp)⁻¹ (r_p − A_ps z_s)
 *   electrolyte  the salt rows are first combined with the charge rows, r̃_c = r_c − t r_φ with
 *                t_i = A[c_i, φ_i] / A[φ_i, φ_i] (per cell: the transference number the migration
 *                term carries), which removes the strong c ← φ coupling of the migration flux and
 *                leaves a diffusion-like salt block Ã_cc = A_cc − diag(t) A_φc;
 *                z_c = MG(Ã_cc)⁻¹ (r̃_c − Ã_cs z_s − Ã_cp z_p),
 *                z_φ = MG(A_φφ)⁻¹ (r_φ − A_φc z_c − A_φs z_s − A_φp z_p)
 * i.e. a block lower-triangular (Gauss–Seidel) sweep B⁻¹ over everything but the control
 * unknown V; the couplings above the diagonal are left to the outer (flexible) GMRES.
 *
 * The control unknown borders the system, A = [[B, c], [dᵀ, e]] (c: the column of V, non-zero in
 * the collector rows of φ_s; dᵀ: the control row). V carries the one global mode the field split
 * cannot see: under current control, shifting V and every potential together changes the current
 * only through the (weak) reaction conductance, while A_VV is the (large) collector conductance.
 * Solving z_V = (r_V − A_V,p z_p)/A_VV after z_p would misjudge that mode by their ratio (10³–10⁵)
 * and stall GMRES for as many iterations as the problem has such slow modes. Instead the border is
 * eliminated with the field split as B⁻¹: w = B⁻¹ c once per set-up, the scalar Schur complement
 * s = e − dᵀ w, and per application
 *   y = B⁻¹ r_B,  z_V = (r_V − dᵀ y)/s,  z_B = y − w z_V.
 * Built from the matrix alone, so it is rebuilt whenever asked.
 */
import { addRowScaled, eliminateDiagonalSchur, extractBlock } from '../linalg/csr-blocks.js';
import { CsrMatrix } from '../linalg/csr-matrix.js';
import { MultigridPreconditioner, type MultigridOptions } from '../linalg/multigrid-preconditioner.js';
import type { Preconditioner } from '../linalg/operator.js';
import type { CellModel } from './cell-model.js';

export interface CellPreconditionerOptions {
  /** Eliminate the particle unknowns from the other blocks with the diagonal of A_ss (default true). */
  schur?: boolean;
}

interface Field {
  rows: Int32Array;
  /** global column → local index (−1 outside) */
  map: Int32Array;
}

function field(nGlobal: number, rows: Int32Array): Field {
  const map = new Int32Array(nGlobal).fill(-1);
  for (let i = 0; i < rows.length; i++) map[rows[i]] = i;
  return { rows, map };
}

function range(start: number, n: number, stride = 1): Int32Array {
  const r = new Int32Array(n);
  for (let i = 0; i < n; i++) r[i] = start + stride * i;
  return r;
}

export class CellPreconditioner implements Preconditioner {
  readonly n: number;
  readonly variable: boolean;
  readonly setupSeconds: number;
  private readonly S: Field; private readonly P: Field; private readonly C: Field; private readonly Phi: Field;
  private readonly mgS: Preconditioner; private readonly mgP: Preconditioner; private readonly mgC: Preconditioner; private readonly mgPhi: Preconditioner;
  private readonly Aps: CsrMatrix; private readonly Acs: CsrMatrix; private readonly Acp: CsrMatrix;
  private readonly Aphic: CsrMatrix; private readonly Aphis: CsrMatrix; private readonly Aphip: CsrMatrix;
  private readonly t: Float64Array;
  /** control row dᵀ (global columns, V excluded) and its diagonal e */
  private readonly vRow: { cols: Int32Array; vals: Float64Array; diag: number };
  /** w = B⁻¹ c (full length, w[oV] = 0) and the Schur complement s = e − dᵀ w */
  private readonly w: Float64Array;
  private readonly schurV: number;
  private readonly oV: number;
  /** A[s, rest] (all columns but the particle ones), for the backward step of the elimination */
  private readonly Asr?: CsrMatrix;
  private readonly buf: { s: Float64Array; p: Float64Array; c: Float64Array; phi: Float64Array; zs: Float64Array; zs2: Float64Array; zp: Float64Array; zc: Float64Array; zphi: Float64Array; tmp: Float64Array };

  constructor(model: CellModel, A: CsrMatrix, mg: MultigridOptions = {}, opts: CellPreconditionerOptions = {}) {
    const t0 = performance.now();
    const n = model.n;
    this.n = n;
    const { nS, nP, nE, oP, oE, oV } = model;
    this.oV = oV;
    this.S = field(n, range(0, nS));
    this.P = field(n, range(oP, nP));
    this.C = field(n, range(oE, nE, 2));
    this.Phi = field(n, range(oE + 1, nE, 2));
    const shape = model.rve.shape;
    const blkA = (r: Field, c: Field) => extractBlock(A, r.rows, c.map, c.rows.length);
    // the particle unknowns are eliminated from the other fields' blocks with the diagonal of A_ss
    // (the reaction couples a surface cell's c_s to φ_s, c_e, φ_e at that face only): Â = A − A_Rs D_ss⁻¹ A_sR
    const schur = opts.schur ?? true;
    let Ahat = A;
    if (schur) {
      const elim = new Uint8Array(n).fill(1, 0, nS);
      const dInv = new Float64Array(n);
      for (let i = 0; i < nS; i++) dInv[i] = 1 / A.get(i, i);
      Ahat = eliminateDiagonalSchur(A, elim, dInv);
    }
    const blk = (r: Field, c: Field) => extractBlock(Ahat, r.rows, c.map, c.rows.length);
    // transference weights from the matrix: t_i = A[c_i, φ_i] / A[φ_i, φ_i]
    const t = new Float64Array(nE);
    for (let i = 0; i < nE; i++) {
      const ac = Ahat.get(oE + 2 * i, oE + 2 * i + 1), ap = Ahat.get(oE + 2 * i + 1, oE + 2 * i + 1);
      t[i] = ap !== 0 ? ac / ap : 0;
    }
    this.t = t;
    const Ass = blkA(this.S, this.S), App = blk(this.P, this.P), Aphiphi = blk(this.Phi, this.Phi);
    this.Aphic = blk(this.Phi, this.C);
    const Acc = addRowScaled(blk(this.C, this.C), negate(t), this.Aphic);
    this.Aps = blkA(this.P, this.S);
    this.Acs = addRowScaled(blkA(this.C, this.S), negate(t), blkA(this.Phi, this.S));
    this.Acp = addRowScaled(blk(this.C, this.P), negate(t), blk(this.Phi, this.P));
    this.Aphis = blkA(this.Phi, this.S);
    this.Aphip = blk(this.Phi, this.P);
    if (schur) {
      const restMap = new Int32Array(n);
      for (let c = 0; c < n; c++) restMap[c] = c < nS ? -1 : c;
      this.Asr = extractBlock(A, this.S.rows, restMap, n);
    }
    const solid = model.solid, elec = model.electrolyteModel;
    this.mgS = new MultigridPreconditioner(Ass, { shape, cellOfUnknown: solid.voxelOfCell }, mg);
    this.mgP = new MultigridPreconditioner(App, { shape, cellOfUnknown: model.pVoxelOfCell }, mg);
    this.mgC = new MultigridPreconditioner(Acc, { shape, cellOfUnknown: elec.voxelOfCell }, mg);
    this.mgPhi = new MultigridPreconditioner(Aphiphi, { shape, cellOfUnknown: elec.voxelOfCell }, mg);
    this.variable = [this.mgS, this.mgP, this.mgC, this.mgPhi].some((m) => m.variable === true);
    this.buf = {
      s: new Float64Array(nS), p: new Float64Array(nP), c: new Float64Array(nE), phi: new Float64Array(nE),
      zs: new Float64Array(nS), zs2: new Float64Array(nS), zp: new Float64Array(nP), zc: new Float64Array(nE), zphi: new Float64Array(nE), tmp: new Float64Array(Math.max(nP, nE)),
    };
    // the border: control row dᵀ, diagonal e, column c
    const cols: number[] = [], vals: number[] = [];
    let diag = 0;
    for (let k = A.rowPtr[oV]; k < A.rowPtr[oV + 1]; k++) {
      const col = A.colIdx[k];
      if (col === oV) diag = A.values[k];
      else if (A.values[k] !== 0) { cols.push(col); vals.push(A.values[k]); }
    }
    if (diag === 0) throw new Error('CellPreconditioner: zero control diagonal');
    this.vRow = { cols: Int32Array.from(cols), vals: Float64Array.from(vals), diag };
    const cCol = new Float64Array(n);
    for (let i = 0; i < oV; i++) {
      for (let k = A.rowPtr[i]; k < A.rowPtr[i + 1]; k++) if (A.colIdx[k] === oV) { cCol[i] = A.values[k]; break; }
    }
    const w = new Float64Array(n);
    this.applyB(cCol, w);
    let dw = 0;
    for (let k = 0; k < cols.length; k++) dw += vals[k] * w[cols[k]];
    const sV = diag - dw;
    // a Schur complement that vanished (or changed sign) to round-off means the border adds nothing
    // the field split can resolve: fall back to the plain block-triangular step for V
    this.schurV = Number.isFinite(sV) && Math.abs(sV) > 1e-10 * Math.abs(diag) && Math.sign(sV) === Math.sign(diag) ? sV : Number.NaN;
    this.w = w;
    this.setupSeconds = (performance.now() - t0) / 1000;
  }

  /** z ← P⁻¹ r: the field sweep with the control unknown eliminated by its Schur complement (see the header). */
  apply(r: Float64Array, z: Float64Array): void {
    this.applyB(r, z);
    const vr = this.vRow, oV = this.oV;
    let rv = r[oV];
    for (let k = 0; k < vr.cols.length; k++) rv -= vr.vals[k] * z[vr.cols[k]];
    if (Number.isNaN(this.schurV)) { z[oV] = rv / vr.diag; return; }
    const zv = rv / this.schurV;
    const w = this.w;
    for (let i = 0; i < oV; i++) z[i] -= w[i] * zv;
    z[oV] = zv;
  }

  /** z_B ← B⁻¹ r_B by the block lower-triangular field sweep (z[oV] = 0). */
  private applyB(r: Float64Array, z: Float64Array): void {
    const { s, p, c, phi, zs, zp, zc, zphi, tmp } = this.buf;
    const { nS, nP, nE } = { nS: s.length, nP: p.length, nE: c.length };
    const oP = this.P.rows[0] ?? 0, oE = this.C.rows[0] ?? 0;
    for (let i = 0; i < nS; i++) s[i] = r[i];
    for (let i = 0; i < nP; i++) p[i] = r[oP + i];
    for (let i = 0; i < nE; i++) { c[i] = r[oE + 2 * i] - this.t[i] * r[oE + 2 * i + 1]; phi[i] = r[oE + 2 * i + 1]; }
    // particles
    zs.fill(0);
    this.mgS.apply(s, zs);
    // conduction
    const tp = tmp.subarray(0, nP);
    this.Aps.apply(zs, tp);
    for (let i = 0; i < nP; i++) p[i] -= tp[i];
    this.mgP.apply(p, zp);
    // salt
    const te = tmp.subarray(0, nE);
    this.Acs.apply(zs, te);
    for (let i = 0; i < nE; i++) c[i] -= te[i];
    this.Acp.apply(zp, te);
    for (let i = 0; i < nE; i++) c[i] -= te[i];
    this.mgC.apply(c, zc);
    // electrolyte potential
    this.Aphic.apply(zc, te);
    for (let i = 0; i < nE; i++) phi[i] -= te[i];
    this.Aphis.apply(zs, te);
    for (let i = 0; i < nE; i++) phi[i] -= te[i];
    this.Aphip.apply(zp, te);
    for (let i = 0; i < nE; i++) phi[i] -= te[i];
    this.mgPhi.apply(phi, zphi);
    // scatter
    for (let i = 0; i < nP; i++) z[oP + i] = zp[i];
    for (let i = 0; i < nE; i++) { z[oE + 2 * i] = zc[i]; z[oE + 2 * i + 1] = zphi[i]; }
    z[this.oV] = 0;
    if (this.Asr) {
      // backward step of the elimination: z_s = A_ss⁻¹ (r_s − A_sR z_R) = z_s⁰ − A_ss⁻¹ A_sR z_R
      this.Asr.apply(z, s);
      this.buf.zs2.fill(0);
      this.mgS.apply(s, this.buf.zs2);
      const d = this.buf.zs2;
      for (let i = 0; i < nS; i++) zs[i] -= d[i];
    }
    for (let i = 0; i < nS; i++) z[i] = zs[i];
  }
}

function negate(t: Float64Array): Float64Array {
  const o = new Float64Array(t.length);
  for (let i = 0; i < t.length; i++) o[i] = -t[i];
  return o;
}

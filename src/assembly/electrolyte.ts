/**
 * Cell-centred finite volumes for the electrolyte of a voxel RVE (binary salt,
 * concentrated-solution theory; pointwise laws in src/physics/concentrated-electrolyte.ts):
 *
 *   ε V dc_i/dt = f_c,i = −Σ_faces N_f + Σ_reaction faces j_k A_k / F + S_c,i V
 *             0 = f_φ,i = (−Σ_faces I_f + Σ_reaction faces j_k A_k + S_φ,i V) / F
 *
 * (face sums over the faces of cell i with outward orientation). See docs/theory/electrolyte.md.
 *
 * Cells: every voxel whose phase carries electrolyte: role `electrolyte` (ε = 1, β = 1), `cbd`
 * and `separator` (porous: ε and β = ε^b or a given factor; options `cbd`, `separator`,
 * `phaseTransport`). Faces between two cells (any roles) carry flux; faces to any other voxel and
 * box faces without a boundary condition carry none.
 *
 * Interior face f between cells i (low) and j (high) along axis a, g = A_a / h_a:
 *   κ_f = harmonic mean of β κ(c) at the two cells, D_f likewise (as in the tortuosity solver),
 *   ν̄ = (ν_i + ν_j)/2, t̄ = (t₊,i + t₊,j)/2 (arithmetic means of the liquid's own properties),
 *   I_f = g κ_f [(φ_i − φ_j) + ν̄ (ln c_j − ln c_i)]          current i → j [A]
 *   N_f = g D_f (c_i − c_j) + t̄ I_f / F                      salt flux i → j [mol/s]
 * i.e. i_e = −κ∇φ + κ ν ∇ln c with the face's ln c difference and κ_D,f = κ_f ν̄.
 *
 * Unknowns are INTERLEAVED per cell: y[2i] = c_e,i [mol/m³], y[2i+1] = φ_e,i [V]; then one
 * unknown per galvanostatic Li-metal boundary (the metal potential [V]). The φ rows (and the
 * metal rows) are the charge balances divided by F, so every row of f is in mol/s; the φ rows are
 * algebraic (mass 0). The Jacobian is CSR with 2×2 blocks per cell pair; `preconditioner` gives
 * the matching block-Jacobi preconditioner.
 *
 * Boundary conditions on box faces (`boundaries`), all acting on the half cell between the
 * cell centre and the face (distance h/2):
 *   - `dirichlet`: φ_e and c_e given on the face (a reservoir);
 *   - `current`: a current density into the electrolyte carried by Li⁺ (salt flux i/F), as at a
 *     reacting Li electrode with no kinetic resistance;
 *   - `li-metal`: Butler–Volmer with i₀(c_e) of the Li-metal material at the face values
 *     (c_b, φ_b), which are eliminated per face (a scalar Newton solve in j): the salt flux j/F and
 *     the current j pass the half cell, so c_b = c_i + (1 − t₊) j (h/2)/(F D_eff) and
 *     φ_b = φ_i + j (h/2)/κ_eff + ν ln(c_b/c_i) (coefficients at the cell). The metal is at a
 *     fixed potential (default 0: the reference) or galvanostatic (a given current density per
 *     box-face area; the metal potential is then an unknown).
 *
 * Reference potential: φ_e is fixed only up to a constant on a connected set of cells that has no
 * Dirichlet face, no fixed-potential Li metal and (unless `interfaceAnchorsPotential`) whose
 * reactions do not fix it. On each such set the charge row of its lowest cell is replaced by
 * s·(0 − φ_e,i) = 0 (`pinnedCells`): φ_e = 0 there. The net current into that set must then be
 * zero (it is dropped with the replaced row otherwise).
 */
import { InputError } from '../core/errors.js';
import { axisIndex, type Axis, type AxisName, type Shape3, type Vec3 } from '../core/volume.js';
import { CsrMatrix } from '../linalg/csr-matrix.js';
import { NonConvergenceError } from '../linalg/errors.js';
import { gmres } from '../linalg/gmres.js';
import type { LinearOperator, Preconditioner } from '../linalg/operator.js';
import type { PhaseRole, Rve, Side } from '../mesh/rve.js';
import { forEachPhaseInterfaceFace } from '../mesh/surface.js';
import { ConcentratedElectrolyte, liMetalKinetics, transportFactor, emptyElectrolyteState, type LiMetalKinetics, type PorousTransport } from '../physics/concentrated-electrolyte.js';
import { FARADAY, GAS_CONSTANT, STANDARD_TEMPERATURE } from '../physics/constants.js';
import type { Material } from '../physics/material-law.js';

/** A value on a boundary face: constant, or a function of the face centre (x, y, z) [m]. */
export type FaceValue = number | ((x: number, y: number, z: number) => number);
/** A value in time. */
export type TimeValue = number | ((t: number) => number);

interface BoundaryBase {
  axis: Axis | AxisName;
  side: Side;
}
export interface DirichletBoundary extends BoundaryBase {
  kind: 'dirichlet';
  potential: FaceValue;
  concentration: FaceValue;
}
export interface CurrentBoundary extends BoundaryBase {
  kind: 'current';
  /** Current density INTO the electrolyte [A/m² of face], carried by Li⁺. */
  currentDensity: TimeValue;
}
export interface LiMetalBoundary extends BoundaryBase {
  kind: 'li-metal';
  /** A compiled Li-metal material (counter-electrode) or its kinetics. */
  material: Material | LiMetalKinetics;
  /** Fixed metal potential [V] (default 0 when `currentDensity` is not given). */
  potential?: TimeValue;
  /**
   * Galvanostatic: anodic current density of the metal (from the metal INTO the electrolyte)
   * [A/m²] per area of the whole box face. The metal potential is then an unknown.
   */
  currentDensity?: TimeValue;
}
export type ElectrolyteBoundary = DirichletBoundary | CurrentBoundary | LiMetalBoundary;

/** Reaction current on the interface faces, with derivatives w.r.t. the electrolyte cell values. */
export interface InterfaceKinetics {
  /**
   * Fill j[k] [A/m², INTO the electrolyte, anodic positive] for every interface face k from the
   * values c[k], φ[k] of its electrolyte cell; fill djdc, djdphi (∂j/∂c_e, ∂j/∂φ_e) when given.
   */
  evaluate(t: number, c: Float64Array, phi: Float64Array, j: Float64Array, djdc?: Float64Array, djdphi?: Float64Array): void;
}
export type InterfaceCurrent = number | Float64Array | InterfaceKinetics | ((t: number) => number | Float64Array);

export interface ElectrolyteOptions {
  electrolyte: ConcentratedElectrolyte;
  /** Temperature [K] (default 298.15). */
  temperature?: number;
  /** Porous transport of CBD voxels; required when the RVE has CBD (null: CBD carries no electrolyte). */
  cbd?: PorousTransport | null;
  /** Porous transport of separator voxels; required when the RVE has a separator phase (null: none). */
  separator?: PorousTransport | null;
  /** Per phase id overrides (any role; null removes the phase from the electrolyte). */
  phaseTransport?: Record<number, PorousTransport | null>;
  boundaries?: ElectrolyteBoundary[];
  /** Roles of the neighbour phases whose faces with an electrolyte cell are reaction faces (default ['active']). */
  reactiveRoles?: PhaseRole[];
  /** Gaussian σ of the staircase area correction (src/mesh/surface.ts). */
  surfaceSigma?: number;
  /** Interface reaction faces fix φ_e (set when their kinetics depend on φ_e against a fixed solid potential). Default false. */
  interfaceAnchorsPotential?: boolean;
}

/** What src/time/bdf.ts integrates. */
export interface ElectrolyteOdeProblem {
  readonly n: number;
  readonly mass: Float64Array;
  readonly symmetric: boolean;
  rhs(y: Float64Array, t: number, out: Float64Array): void;
  jacobian(y: Float64Array, t: number): CsrMatrix;
}

export interface SteadyOptions {
  t?: number;
  /** Converged when max|δc|/max|c| ≤ tol and max|δφ| ≤ tol·(1 V). Default 1e-11. */
  tol?: number;
  maxIterations?: number;
  /** GMRES relative tolerance (default 1e-12). */
  linearRtol?: number;
}

const enum BKind { Dirichlet = 0, Current = 1, LiMetal = 2 }

interface BoundaryInfo {
  kind: BKind;
  axis: Axis;
  side: Side;
  spec: ElectrolyteBoundary;
  kinetics?: LiMetalKinetics;
  /** unknown index of the metal potential (galvanostatic), else −1 */
  metalUnknown: number;
  /** area of the whole box face [m²] */
  boxArea: number;
}

const F = FARADAY;

function timeValue(v: TimeValue | undefined, t: number, fallback: number): number {
  if (v === undefined) return fallback;
  return typeof v === 'number' ? v : v(t);
}

export class ElectrolyteModel {
  /** Number of electrolyte cells. */
  readonly n: number;
  /** Number of unknowns: 2n + galvanostatic metal potentials. */
  readonly unknowns: number;
  readonly shape: Shape3;
  readonly voxelSize: Vec3;
  readonly electrolyte: ConcentratedElectrolyte;
  temperature: number;
  /** voxel → cell (−1 outside), cell → voxel (ascending). */
  readonly cellOfVoxel: Int32Array;
  readonly voxelOfCell: Int32Array;
  /** ε and β per cell; voxel volume V [m³]. */
  readonly porosity: Float64Array;
  readonly factor: Float64Array;
  readonly voxelVolume: number;
  /** Mass diagonal: ε V on c rows, 0 on φ and metal rows. */
  readonly mass: Float64Array;

  /** Interior faces: low/high cell, A/h [m], axis, layer of the low cell along the axis. */
  readonly faceLow: Int32Array;
  readonly faceHigh: Int32Array;
  readonly faceGeometry: Float64Array;
  readonly faceAxis: Uint8Array;
  readonly faceLayer: Int32Array;

  /** Boundary faces: cell, boundary index, A/(h/2) [m], face area [m²], prescribed φ_b, c_b (Dirichlet). */
  readonly bCell: Int32Array;
  readonly bIndex: Int32Array;
  readonly bGeometry: Float64Array;
  readonly bArea: Float64Array;
  readonly bPhi: Float64Array;
  readonly bConc: Float64Array;
  readonly boundaries: readonly BoundaryInfo[];

  /** Interface (reaction) faces: electrolyte cell, neighbour (e.g. active) voxel, corrected and voxel-face areas [m²]. */
  readonly surfaceCell: Int32Array;
  readonly surfaceNeighbourVoxel: Int32Array;
  readonly surfaceArea: Float64Array;
  readonly surfaceVoxelArea: Float64Array;

  /** Cells whose charge row is replaced by φ_e = 0 (reference potential), and the row scale. */
  readonly pinnedCells: Int32Array;
  private readonly pinScale: number;

  /** Interface reaction current (default 0). */
  interfaceCurrent: InterfaceCurrent = 0;
  /** Volumetric sources per cell (tests): salt [mol/(m³ s)], charge into the electrolyte [A/m³]. */
  saltSource?: Float64Array;
  chargeSource?: Float64Array;

  // Jacobian pattern
  private readonly rowPtr: Int32Array;
  private readonly colIdx: Int32Array;
  private readonly dPos0: Int32Array; // (2i, 2i)
  private readonly dPos1: Int32Array; // (2i+1, 2i)
  private readonly lh0: Int32Array; private readonly lh1: Int32Array;
  private readonly hl0: Int32Array; private readonly hl1: Int32Array;
  // metal couplings per boundary face (−1 when not galvanostatic): (2i, m), (2i+1, m), (m, 2i), (m, m)
  private readonly bmC: Int32Array; private readonly bmP: Int32Array;
  private readonly bmRow: Int32Array; private readonly bmDiag: Int32Array;
  // per-face cached BV current (warm start of the local solves)
  private readonly bJ: Float64Array;
  // cell property scratch
  private readonly kE: Float64Array; private readonly dkE: Float64Array;
  private readonly dE: Float64Array; private readonly ddE: Float64Array;
  private readonly tp: Float64Array; private readonly dtp: Float64Array;
  private readonly nu: Float64Array; private readonly dnu: Float64Array;

  constructor(rve: Pick<Rve, 'shape' | 'voxelSize' | 'phase' | 'phases'>, opts: ElectrolyteOptions) {
    const { shape, voxelSize, phase } = rve;
    const [nx, ny, nz] = shape;
    const N = nx * ny * nz;
    if (phase.length !== N) throw new InputError('rve.phase', `has ${phase.length} voxels, the shape ${shape.join('×')} needs ${N}`);
    this.shape = shape;
    this.voxelSize = voxelSize;
    this.electrolyte = opts.electrolyte;
    this.temperature = opts.temperature ?? STANDARD_TEMPERATURE;
    if (!(this.temperature > 0)) throw new InputError('temperature', `must be > 0 K, got ${this.temperature}`);

    // phase → (ε, β), 0 = not electrolyte
    const epsOf = new Float64Array(256), betaOf = new Float64Array(256);
    for (const p of rve.phases) {
      let spec: PorousTransport | null | undefined;
      const override = opts.phaseTransport && Object.prototype.hasOwnProperty.call(opts.phaseTransport, p.id);
      if (override) spec = opts.phaseTransport![p.id];
      else if (p.role === 'electrolyte') spec = { porosity: 1, factor: 1 };
      else if (p.role === 'cbd' || p.role === 'separator') {
        const s = p.role === 'cbd' ? opts.cbd : opts.separator;
        if (s === undefined && phase.some((v) => v === p.id)) {
          throw new InputError(p.role, `the RVE has ${p.role} voxels (phase "${p.name}"): give their porosity (options.${p.role} = { porosity, bruggemanExponent? | factor? }, or null)`);
        }
        spec = s ?? null;
      } else spec = null;
      if (spec) {
        try {
          betaOf[p.id] = transportFactor(spec);
        } catch (e) {
          throw new InputError(`phase "${p.name}"`, (e as Error).message);
        }
        epsOf[p.id] = spec.porosity;
      }
    }

    const cellOfVoxel = new Int32Array(N).fill(-1);
    let n = 0;
    for (let v = 0; v < N; v++) if (betaOf[phase[v]] > 0) cellOfVoxel[v] = n++;
    if (n === 0) throw new InputError('rve.phase', 'no voxel carries electrolyte');
    this.n = n;
    this.cellOfVoxel = cellOfVoxel;
    const voxelOfCell = new Int32Array(n);
    const porosity = new Float64Array(n), factor = new Float64Array(n);
    for (let v = 0; v < N; v++) {
      const c = cellOfVoxel[v];
      if (c < 0) continue;
      voxelOfCell[c] = v; porosity[c] = epsOf[phase[v]]; factor[c] = betaOf[phase[v]];
    }
    this.voxelOfCell = voxelOfCell;
    this.porosity = porosity;
    this.factor = factor;
    const [hx, hy, hz] = voxelSize;
    const h = [hx, hy, hz];
    this.voxelVolume = hx * hy * hz;
    const area = [hy * hz, hx * hz, hx * hy];

    // interior faces
    const strides = [1, nx, nx * ny];
    const lo: number[] = [], hi: number[] = [], gf: number[] = [], ax: number[] = [], ly: number[] = [];
    for (let z = 0, v = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++, v++) {
      const i = cellOfVoxel[v];
      if (i < 0) continue;
      const xyz = [x, y, z];
      for (let a = 0; a < 3; a++) {
        if (xyz[a] + 1 >= shape[a]) continue;
        const j = cellOfVoxel[v + strides[a]];
        if (j < 0) continue;
        lo.push(i); hi.push(j); gf.push(area[a] / h[a]); ax.push(a); ly.push(xyz[a]);
      }
    }
    this.faceLow = Int32Array.from(lo);
    this.faceHigh = Int32Array.from(hi);
    this.faceGeometry = Float64Array.from(gf);
    this.faceAxis = Uint8Array.from(ax);
    this.faceLayer = Int32Array.from(ly);

    // boundaries
    const infos: BoundaryInfo[] = [];
    let nMetal = 0;
    const taken = new Set<string>();
    (opts.boundaries ?? []).forEach((b, k) => {
      const where = `boundaries[${k}]`;
      const axis: Axis = typeof b.axis === 'string' ? axisIndex(b.axis) : b.axis;
      if (axis !== 0 && axis !== 1 && axis !== 2) throw new InputError(`${where}.axis`, `expected 0, 1, 2 or x, y, z, got ${String(b.axis)}`);
      if (b.side !== 'low' && b.side !== 'high') throw new InputError(`${where}.side`, `expected "low" or "high", got ${String(b.side)}`);
      const key = `${axis}${b.side}`;
      if (taken.has(key)) throw new InputError(where, `a second condition on the ${b.side} ${'xyz'[axis]} face`);
      taken.add(key);
      const boxArea = area[axis] * (shape[0] * shape[1] * shape[2]) / shape[axis];
      const info: BoundaryInfo = { kind: BKind.Dirichlet, axis, side: b.side, spec: b, metalUnknown: -1, boxArea };
      if (b.kind === 'dirichlet') info.kind = BKind.Dirichlet;
      else if (b.kind === 'current') info.kind = BKind.Current;
      else if (b.kind === 'li-metal') {
        info.kind = BKind.LiMetal;
        const m = b.material as Material | LiMetalKinetics;
        info.kinetics = 'i0' in m ? m : liMetalKinetics(m);
        if (b.potential !== undefined && b.currentDensity !== undefined) throw new InputError(where, 'give either potential or currentDensity of the Li metal, not both');
        if (b.currentDensity !== undefined) info.metalUnknown = 2 * n + nMetal++;
      } else throw new InputError(`${where}.kind`, `unknown boundary kind "${(b as { kind: string }).kind}"`);
      infos.push(info);
    });
    this.boundaries = infos;
    this.unknowns = 2 * n + nMetal;

    const bc: number[] = [], bi: number[] = [], bg: number[] = [], ba: number[] = [], bp: number[] = [], bcv: number[] = [];
    infos.forEach((info, k) => {
      const a = info.axis, b1 = (a + 1) % 3, b2 = (a + 2) % 3;
      const layer = info.side === 'low' ? 0 : shape[a] - 1;
      const xyz = [0, 0, 0];
      for (let u2 = 0; u2 < shape[b2]; u2++) for (let u1 = 0; u1 < shape[b1]; u1++) {
        xyz[a] = layer; xyz[b1] = u1; xyz[b2] = u2;
        const v = xyz[0] + nx * (xyz[1] + ny * xyz[2]);
        const cell = cellOfVoxel[v];
        if (cell < 0) continue;
        bc.push(cell); bi.push(k); bg.push(area[a] / (0.5 * h[a])); ba.push(area[a]);
        if (info.kind === BKind.Dirichlet) {
          const s = info.spec as DirichletBoundary;
          const pos = [(xyz[0] + 0.5) * hx, (xyz[1] + 0.5) * hy, (xyz[2] + 0.5) * hz];
          pos[a] = info.side === 'low' ? 0 : shape[a] * h[a];
          const ev = (fv: FaceValue) => (typeof fv === 'number' ? fv : fv(pos[0], pos[1], pos[2]));
          const phi = ev(s.potential), c = ev(s.concentration);
          if (!Number.isFinite(phi)) throw new InputError(`boundaries[${k}].potential`, `not finite at (${pos.join(', ')})`);
          if (!(c > 0) || !Number.isFinite(c)) throw new InputError(`boundaries[${k}].concentration`, `must be > 0, got ${c} at (${pos.join(', ')})`);
          bp.push(phi); bcv.push(c);
        } else { bp.push(0); bcv.push(0); }
      }
    });
    this.bCell = Int32Array.from(bc);
    this.bIndex = Int32Array.from(bi);
    this.bGeometry = Float64Array.from(bg);
    this.bArea = Float64Array.from(ba);
    this.bPhi = Float64Array.from(bp);
    this.bConc = Float64Array.from(bcv);
    this.bJ = new Float64Array(bc.length);

    // interface (reaction) faces
    const reactiveRoles = opts.reactiveRoles ?? ['active'];
    const reactive = new Uint8Array(256);
    for (const p of rve.phases) if (reactiveRoles.includes(p.role) && !(betaOf[p.id] > 0)) reactive[p.id] = 1;
    const sC: number[] = [], sV: number[] = [], sA: number[] = [], sAv: number[] = [];
    if (rve.phases.some((p) => reactive[p.id]) && phase.some((v) => reactive[v])) {
      forEachPhaseInterfaceFace(rve, (p, q, _a, voxelArea, correctedArea) => {
        let cell = -1, nb = -1;
        if (cellOfVoxel[p] >= 0 && reactive[phase[q]]) { cell = cellOfVoxel[p]; nb = q; }
        else if (cellOfVoxel[q] >= 0 && reactive[phase[p]]) { cell = cellOfVoxel[q]; nb = p; }
        if (cell < 0) return;
        sC.push(cell); sV.push(nb); sA.push(correctedArea); sAv.push(voxelArea);
      }, opts.surfaceSigma === undefined ? {} : { sigma: opts.surfaceSigma });
    }
    this.surfaceCell = Int32Array.from(sC);
    this.surfaceNeighbourVoxel = Int32Array.from(sV);
    this.surfaceArea = Float64Array.from(sA);
    this.surfaceVoxelArea = Float64Array.from(sAv);

    // reference potential: union-find over cells and metal unknowns
    const nodes = n + nMetal;
    const parent = new Int32Array(nodes);
    for (let i = 0; i < nodes; i++) parent[i] = i;
    const find = (i: number): number => { while (parent[i] !== i) { parent[i] = parent[parent[i]]; i = parent[i]; } return i; };
    const union = (a: number, b: number) => { const ra = find(a), rb = find(b); if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb); };
    for (let f = 0; f < this.faceLow.length; f++) union(this.faceLow[f], this.faceHigh[f]);
    for (let f = 0; f < this.bCell.length; f++) {
      const info = infos[this.bIndex[f]];
      if (info.metalUnknown >= 0) union(this.bCell[f], n + (info.metalUnknown - 2 * n));
    }
    const anchored = new Uint8Array(nodes);
    for (let f = 0; f < this.bCell.length; f++) {
      const info = infos[this.bIndex[f]];
      if (info.kind === BKind.Dirichlet || (info.kind === BKind.LiMetal && info.metalUnknown < 0)) anchored[find(this.bCell[f])] = 1;
    }
    if (opts.interfaceAnchorsPotential) for (let k = 0; k < this.surfaceCell.length; k++) anchored[find(this.surfaceCell[k])] = 1;
    const pinned: number[] = [];
    const seen = new Uint8Array(nodes);
    for (let i = 0; i < n; i++) {
      const r = find(i);
      if (anchored[r] || seen[r]) continue;
      seen[r] = 1;
      pinned.push(i);
    }
    this.pinnedCells = Int32Array.from(pinned);
    this.pinScale = (Math.min(...area.map((A, a) => A / h[a])) * 1) / F; // (1 S/m) · A/h / F

    // mass
    const mass = new Float64Array(this.unknowns);
    for (let i = 0; i < n; i++) mass[2 * i] = porosity[i] * this.voxelVolume;
    this.mass = mass;

    // Jacobian pattern
    const rows: number[] = [], cols: number[] = [];
    const block = (r: number, s: number) => {
      rows.push(2 * r, 2 * r, 2 * r + 1, 2 * r + 1);
      cols.push(2 * s, 2 * s + 1, 2 * s, 2 * s + 1);
    };
    for (let i = 0; i < n; i++) block(i, i);
    for (let f = 0; f < this.faceLow.length; f++) { block(this.faceLow[f], this.faceHigh[f]); block(this.faceHigh[f], this.faceLow[f]); }
    for (let f = 0; f < this.bCell.length; f++) {
      const m = infos[this.bIndex[f]].metalUnknown;
      if (m < 0) continue;
      const i = this.bCell[f];
      rows.push(2 * i, 2 * i + 1, m, m, m); cols.push(m, m, 2 * i, 2 * i + 1, m);
    }
    const pattern = CsrMatrix.fromCoo(this.unknowns, this.unknowns, rows, cols, new Float64Array(rows.length));
    this.rowPtr = pattern.rowPtr;
    this.colIdx = pattern.colIdx;
    const pos = (r: number, c: number): number => {
      let a = this.rowPtr[r], b = this.rowPtr[r + 1] - 1;
      while (a <= b) {
        const mid = (a + b) >> 1, cm = this.colIdx[mid];
        if (cm === c) return mid;
        if (cm < c) a = mid + 1; else b = mid - 1;
      }
      throw new Error(`ElectrolyteModel: entry (${r}, ${c}) missing from the pattern`);
    };
    this.dPos0 = new Int32Array(n); this.dPos1 = new Int32Array(n);
    for (let i = 0; i < n; i++) { this.dPos0[i] = pos(2 * i, 2 * i); this.dPos1[i] = pos(2 * i + 1, 2 * i); }
    const nf = this.faceLow.length;
    this.lh0 = new Int32Array(nf); this.lh1 = new Int32Array(nf); this.hl0 = new Int32Array(nf); this.hl1 = new Int32Array(nf);
    for (let f = 0; f < nf; f++) {
      const i = this.faceLow[f], j = this.faceHigh[f];
      this.lh0[f] = pos(2 * i, 2 * j); this.lh1[f] = pos(2 * i + 1, 2 * j);
      this.hl0[f] = pos(2 * j, 2 * i); this.hl1[f] = pos(2 * j + 1, 2 * i);
    }
    const nb = this.bCell.length;
    this.bmC = new Int32Array(nb).fill(-1); this.bmP = new Int32Array(nb).fill(-1);
    this.bmRow = new Int32Array(nb).fill(-1); this.bmDiag = new Int32Array(nb).fill(-1);
    for (let f = 0; f < nb; f++) {
      const m = infos[this.bIndex[f]].metalUnknown;
      if (m < 0) continue;
      const i = this.bCell[f];
      this.bmC[f] = pos(2 * i, m); this.bmP[f] = pos(2 * i + 1, m); this.bmRow[f] = pos(m, 2 * i); this.bmDiag[f] = pos(m, m);
    }

    this.kE = new Float64Array(n); this.dkE = new Float64Array(n);
    this.dE = new Float64Array(n); this.ddE = new Float64Array(n);
    this.tp = new Float64Array(n); this.dtp = new Float64Array(n);
    this.nu = new Float64Array(n); this.dnu = new Float64Array(n);
  }

  get faceCount(): number { return this.faceLow.length; }
  get surfaceFaceCount(): number { return this.surfaceCell.length; }
  /** Number of galvanostatic metal unknowns. */
  get metalCount(): number { return this.unknowns - 2 * this.n; }

  /** A state with uniform c_e = c0 and φ_e = phi0 (metal potentials phi0). */
  initialState(c0: number, phi0 = 0): Float64Array {
    const y = new Float64Array(this.unknowns).fill(phi0);
    for (let i = 0; i < this.n; i++) y[2 * i] = c0;
    return y;
  }

  concentrations(y: Float64Array): Float64Array {
    const out = new Float64Array(this.n);
    for (let i = 0; i < this.n; i++) out[i] = y[2 * i];
    return out;
  }

  potentials(y: Float64Array): Float64Array {
    const out = new Float64Array(this.n);
    for (let i = 0; i < this.n; i++) out[i] = y[2 * i + 1];
    return out;
  }

  /** Potential of the metal of boundary `k` [V] (given, or the unknown when galvanostatic). */
  metalPotential(y: Float64Array, k: number, t = 0): number {
    const info = this.boundaries[k];
    if (!info || info.kind !== BKind.LiMetal) throw new RangeError(`boundary ${k} is not a Li-metal boundary`);
    if (info.metalUnknown >= 0) return y[info.metalUnknown];
    return timeValue((info.spec as LiMetalBoundary).potential, t, 0);
  }

  /** Salt content Σ ε V c [mol]. */
  saltContent(y: Float64Array): number {
    let s = 0;
    for (let i = 0; i < this.n; i++) s += this.porosity[i] * y[2 * i];
    return s * this.voxelVolume;
  }

  /** Scatter a per-cell field to voxels (NaN outside the electrolyte). */
  toVoxels(cellValues: Float64Array, fill = Number.NaN): Float64Array {
    const out = new Float64Array(this.cellOfVoxel.length).fill(fill);
    for (let i = 0; i < this.n; i++) out[this.voxelOfCell[i]] = cellValues[i];
    return out;
  }

  /** Evaluate the cell properties (effective κ, D; t₊, ν and c-derivatives). */
  private cellProperties(y: Float64Array): void {
    const T = this.temperature, el = this.electrolyte, s = emptyElectrolyteState();
    for (let i = 0; i < this.n; i++) {
      const c = y[2 * i];
      try {
        el.evaluate(c, T, s);
      } catch (e) {
        throw new RangeError(`ElectrolyteModel: cell ${i} (voxel ${this.voxelOfCell[i]}): ${(e as Error).message}`);
      }
      const b = this.factor[i];
      this.kE[i] = b * s.kappa; this.dkE[i] = b * s.dKappa;
      this.dE[i] = b * s.diffusivity; this.ddE[i] = b * s.dDiffusivity;
      this.tp[i] = s.transference; this.dtp[i] = s.dTransference;
      this.nu[i] = s.nu; this.dnu[i] = s.dNu;
    }
  }

  /** Per-face reaction current j [A/m²] (and derivatives) on the interface faces. */
  private interfaceValues(y: Float64Array, t: number, withDerivative: boolean): { j: Float64Array; djdc?: Float64Array; djdphi?: Float64Array } | undefined {
    const m = this.surfaceCell.length;
    let src = this.interfaceCurrent;
    if (typeof src === 'function') src = src(t);
    if (m === 0) return undefined;
    if (typeof src === 'number') return src === 0 ? undefined : { j: new Float64Array(m).fill(src) };
    if (src instanceof Float64Array) {
      if (src.length !== m) throw new RangeError(`ElectrolyteModel: interface current has ${src.length} values, expected one per interface face (${m})`);
      return { j: src };
    }
    const c = new Float64Array(m), phi = new Float64Array(m), j = new Float64Array(m);
    for (let k = 0; k < m; k++) { const i = this.surfaceCell[k]; c[k] = y[2 * i]; phi[k] = y[2 * i + 1]; }
    const djdc = withDerivative ? new Float64Array(m) : undefined, djdphi = withDerivative ? new Float64Array(m) : undefined;
    src.evaluate(t, c, phi, j, djdc, djdphi);
    return { j, djdc, djdphi };
  }

  /** Total interface reaction current Σ j A [A] into the electrolyte. */
  totalInterfaceCurrent(y: Float64Array, t = 0): number {
    const v = this.interfaceValues(y, t, false);
    if (!v) return 0;
    let s = 0;
    for (let k = 0; k < v.j.length; k++) s += v.j[k] * this.surfaceArea[k];
    return s;
  }

  /**
   * Li-metal face: solve j = BV(i₀(c_b), φ_m − φ_b − U) with the half-cell face values, return j
   * [A/m²] and the derivatives ∂j/∂c_i, ∂j/∂φ_i, ∂j/∂φ_m.
   */
  private liMetalFace(f: number, ci: number, phii: number, phim: number, withDerivative: boolean): { j: number; dc: number; dphi: number; dm: number } {
    const info = this.boundaries[this.bIndex[f]];
    const kin = info.kinetics!;
    const T = this.temperature, fT = F / (GAS_CONSTANT * T);
    const half = 0.5 * this.voxelSize[info.axis];
    const beta = this.factor[this.bCell[f]];
    const el = this.electrolyte, st = emptyElectrolyteState();
    // R(j; c) and its parts, coefficients at the cell value c
    const parts = (j: number, c: number) => {
      el.evaluate(c, T, st);
      const kE = beta * st.kappa, DE = beta * st.diffusivity;
      const a = ((1 - st.transference) * half) / (F * DE);
      const cb = c + a * j;
      if (!(cb > 0)) return { R: -Infinity, dRdj: Infinity, cb, eta: NaN, i0: NaN, a, kE, nu: st.nu };
      const eta = phim - phii - (j * half) / kE - st.nu * Math.log(cb / c) - kin.ocp;
      const i0 = kin.i0(cb, T);
      const ea = Math.exp(kin.alphaA * fT * eta), ec = Math.exp(-kin.alphaC * fT * eta);
      const g = ea - ec, dg = fT * (kin.alphaA * ea + kin.alphaC * ec);
      const detadj = -half / kE - (st.nu * a) / cb;
      const R = j - i0 * g;
      const dRdj = 1 - kin.di0(cb, T) * a * g - i0 * dg * detadj;
      return { R, dRdj, cb, eta, i0, a, kE, nu: st.nu, dg };
    };
    // bracket and safeguarded Newton
    const el0 = el.evaluate(ci, T, st);
    const aLim = ((1 - el0.transference) * half) / (F * beta * el0.diffusivity);
    let lo = aLim > 0 ? -ci / aLim : -Infinity; // c_b → 0
    let hi = Infinity;
    let j = this.bJ[f];
    if (!(j > lo)) j = 0.5 * lo;
    let p = parts(j, ci);
    const scale = Math.max(Math.abs(j), kin.i0(ci, T), 1e-30);
    for (let it = 0; it < 200; it++) {
      if (p.R > 0) hi = j; else lo = j;
      if (Math.abs(p.R) <= 1e-15 * Math.max(Math.abs(j), scale)) break;
      let next = j - p.R / p.dRdj;
      if (!(next > lo && next < hi) || !Number.isFinite(next)) {
        if (Number.isFinite(hi) && Number.isFinite(lo)) next = 0.5 * (lo + hi);
        else if (!Number.isFinite(hi)) next = j + Math.max(2 * Math.abs(j), scale);
        else next = 0.5 * (lo + j) === j ? lo : 0.5 * (lo + j);
      }
      if (next === j) break;
      j = next;
      p = parts(j, ci);
    }
    if (!Number.isFinite(p.R)) throw new RangeError(`ElectrolyteModel: Li-metal face ${f}: no Butler–Volmer solution (c = ${ci}, φ_e = ${phii}, φ_m = ${phim})`);
    this.bJ[f] = j;
    if (!withDerivative) return { j, dc: 0, dphi: 0, dm: 0 };
    const i0dg = p.i0 * p.dg!;
    // ∂R/∂φ_i = +i0 g', ∂R/∂φ_m = −i0 g'; ∂R/∂c by a central difference at fixed j
    const s = 1e-6 * Math.max(Math.abs(ci), 1);
    const dRdc = (parts(j, ci + s).R - parts(j, ci - s).R) / (2 * s);
    return { j, dc: -dRdc / p.dRdj, dphi: -i0dg / p.dRdj, dm: i0dg / p.dRdj };
  }

  /** out ← f(y, t) (all rows in mol/s; see the module comment). */
  rhs(y: Float64Array, t: number, out: Float64Array): void {
    this.assemble(y, t, out, undefined);
  }

  /** ∂f/∂y at (y, t) in CSR (a fresh matrix sharing the pattern arrays). */
  jacobian(y: Float64Array, t: number): CsrMatrix {
    const vals = new Float64Array(this.colIdx.length);
    this.assemble(y, t, undefined, vals);
    return new CsrMatrix(this.unknowns, this.unknowns, this.rowPtr, this.colIdx, vals);
  }

  private assemble(y: Float64Array, t: number, out: Float64Array | undefined, J: Float64Array | undefined): void {
    if (y.length !== this.unknowns) throw new RangeError(`ElectrolyteModel: y has length ${y.length}, expected ${this.unknowns}`);
    if (out && out.length !== this.unknowns) throw new RangeError(`ElectrolyteModel: out has length ${out.length}, expected ${this.unknowns}`);
    this.cellProperties(y);
    const n = this.n;
    if (out) out.fill(0);
    const kE = this.kE, dkE = this.dkE, DE = this.dE, dDE = this.ddE, tp = this.tp, dtp = this.dtp, nu = this.nu, dnu = this.dnu;
    const lo = this.faceLow, hi = this.faceHigh, g = this.faceGeometry;
    const d0 = this.dPos0, d1 = this.dPos1;
    // interior faces
    for (let f = 0; f < lo.length; f++) {
      const i = lo[f], j = hi[f], gf = g[f];
      const ci = y[2 * i], cj = y[2 * j], pi = y[2 * i + 1], pj = y[2 * j + 1];
      const ki = kE[i], kj = kE[j], sk = ki + kj, kf = (2 * ki * kj) / sk;
      const Di = DE[i], Dj = DE[j], sd = Di + Dj, Df = (2 * Di * Dj) / sd;
      const nub = 0.5 * (nu[i] + nu[j]), tb = 0.5 * (tp[i] + tp[j]);
      const L = Math.log(cj) - Math.log(ci);
      const X = pi - pj + nub * L;
      const I = gf * kf * X;
      const Nf = gf * Df * (ci - cj) + (tb * I) / F;
      if (out) {
        out[2 * i] -= Nf; out[2 * j] += Nf;
        out[2 * i + 1] -= I / F; out[2 * j + 1] += I / F;
      }
      if (J) {
        const dkfi = ((2 * kj * kj) / (sk * sk)) * dkE[i], dkfj = ((2 * ki * ki) / (sk * sk)) * dkE[j];
        const dDfi = ((2 * Dj * Dj) / (sd * sd)) * dDE[i], dDfj = ((2 * Di * Di) / (sd * sd)) * dDE[j];
        const dIdci = gf * (dkfi * X + kf * (0.5 * dnu[i] * L - nub / ci));
        const dIdcj = gf * (dkfj * X + kf * (0.5 * dnu[j] * L + nub / cj));
        const dIdpi = gf * kf, dIdpj = -gf * kf;
        const dNdci = gf * (dDfi * (ci - cj) + Df) + (0.5 * dtp[i] * I + tb * dIdci) / F;
        const dNdcj = gf * (dDfj * (ci - cj) - Df) + (0.5 * dtp[j] * I + tb * dIdcj) / F;
        const dNdpi = (tb * dIdpi) / F, dNdpj = (tb * dIdpj) / F;
        // rows of i: −N, −I/F ; rows of j: +N, +I/F
        const pii0 = d0[i], pii1 = d1[i], pjj0 = d0[j], pjj1 = d1[j];
        const pij0 = this.lh0[f], pij1 = this.lh1[f], pji0 = this.hl0[f], pji1 = this.hl1[f];
        J[pii0] -= dNdci; J[pii0 + 1] -= dNdpi; J[pij0] -= dNdcj; J[pij0 + 1] -= dNdpj;
        J[pii1] -= dIdci / F; J[pii1 + 1] -= dIdpi / F; J[pij1] -= dIdcj / F; J[pij1 + 1] -= dIdpj / F;
        J[pji0] += dNdci; J[pji0 + 1] += dNdpi; J[pjj0] += dNdcj; J[pjj0 + 1] += dNdpj;
        J[pji1] += dIdci / F; J[pji1 + 1] += dIdpi / F; J[pjj1] += dIdcj / F; J[pjj1 + 1] += dIdpj / F;
      }
    }
    // boundary faces
    for (let f = 0; f < this.bCell.length; f++) {
      const i = this.bCell[f], info = this.boundaries[this.bIndex[f]];
      const ci = y[2 * i], pi = y[2 * i + 1];
      if (info.kind === BKind.Dirichlet) {
        const G = this.bGeometry[f], cb = this.bConc[f], pb = this.bPhi[f];
        const Lb = Math.log(cb) - Math.log(ci);
        const iin = G * (kE[i] * (pb - pi) - kE[i] * nu[i] * Lb);
        const Nin = G * DE[i] * (cb - ci) + (tp[i] * iin) / F;
        if (out) { out[2 * i] += Nin; out[2 * i + 1] += iin / F; }
        if (J) {
          const dIdc = G * (dkE[i] * (pb - pi) - (dkE[i] * nu[i] + kE[i] * dnu[i]) * Lb + (kE[i] * nu[i]) / ci);
          const dIdp = -G * kE[i];
          const dNdc = G * (dDE[i] * (cb - ci) - DE[i]) + (dtp[i] * iin + tp[i] * dIdc) / F;
          const dNdp = (tp[i] * dIdp) / F;
          J[d0[i]] += dNdc; J[d0[i] + 1] += dNdp;
          J[d1[i]] += dIdc / F; J[d1[i] + 1] += dIdp / F;
        }
      } else if (info.kind === BKind.Current) {
        const iin = timeValue((info.spec as CurrentBoundary).currentDensity, t, 0) * this.bArea[f];
        if (out) { out[2 * i] += iin / F; out[2 * i + 1] += iin / F; }
      } else {
        const m = info.metalUnknown;
        const phim = m >= 0 ? y[m] : timeValue((info.spec as LiMetalBoundary).potential, t, 0);
        const r = this.liMetalFace(f, ci, pi, phim, J !== undefined);
        const A = this.bArea[f];
        const q = (r.j * A) / F; // salt = charge/F into the cell
        if (out) {
          out[2 * i] += q; out[2 * i + 1] += q;
          if (m >= 0) out[m] -= q;
        }
        if (J) {
          const a = A / F;
          J[d0[i]] += a * r.dc; J[d0[i] + 1] += a * r.dphi;
          J[d1[i]] += a * r.dc; J[d1[i] + 1] += a * r.dphi;
          if (m >= 0) {
            J[this.bmC[f]] += a * r.dm; J[this.bmP[f]] += a * r.dm;
            J[this.bmRow[f]] -= a * r.dc; J[this.bmRow[f] + 1] -= a * r.dphi;
            J[this.bmDiag[f]] -= a * r.dm;
          }
        }
      }
    }
    // galvanostatic rows: f_m = (I_app A_box − Σ j A) / F
    if (out) {
      for (const info of this.boundaries) {
        if (info.metalUnknown < 0) continue;
        out[info.metalUnknown] += (timeValue((info.spec as LiMetalBoundary).currentDensity, t, 0) * info.boxArea) / F;
      }
    }
    // interface reactions
    const iv = this.interfaceValues(y, t, J !== undefined);
    if (iv) {
      const sc = this.surfaceCell, sa = this.surfaceArea;
      for (let k = 0; k < sc.length; k++) {
        const i = sc[k], q = (iv.j[k] * sa[k]) / F;
        if (out) { out[2 * i] += q; out[2 * i + 1] += q; }
        if (J && iv.djdc && iv.djdphi) {
          const a = sa[k] / F, dc = a * iv.djdc[k], dp = a * iv.djdphi[k];
          J[d0[i]] += dc; J[d0[i] + 1] += dp; J[d1[i]] += dc; J[d1[i] + 1] += dp;
        }
      }
    }
    // volumetric sources
    if (out && (this.saltSource || this.chargeSource)) {
      const V = this.voxelVolume;
      for (let i = 0; i < n; i++) {
        if (this.saltSource) out[2 * i] += this.saltSource[i] * V;
        if (this.chargeSource) out[2 * i + 1] += (this.chargeSource[i] * V) / F;
      }
    }
    // reference potential: replace the charge rows of the pinned cells by −s φ_i
    for (let k = 0; k < this.pinnedCells.length; k++) {
      const i = this.pinnedCells[k];
      if (out) out[2 * i + 1] = -this.pinScale * y[2 * i + 1];
      if (J) {
        const r = 2 * i + 1;
        for (let p = this.rowPtr[r]; p < this.rowPtr[r + 1]; p++) J[p] = 0;
        J[d1[i] + 1] = -this.pinScale;
      }
    }
  }

  /** The ODE M dy/dt = f(y, t) in the form src/time/bdf.ts integrates. */
  odeProblem(): ElectrolyteOdeProblem {
    return {
      n: this.unknowns,
      mass: this.mass,
      symmetric: false,
      rhs: (y, t, out) => this.rhs(y, t, out),
      jacobian: (y, t) => this.jacobian(y, t),
    };
  }

  /**
   * A preconditioner factory for the Newton matrices (a₀M − ∂f/∂y or −∂f/∂y): block Jacobi with
   * the 2×2 (c, φ) diagonal block of every cell and the diagonal of the metal rows.
   */
  preconditioner(): (A: LinearOperator) => Preconditioner | undefined {
    return (A) => (A instanceof CsrMatrix ? new BlockJacobi2(A, this.n) : undefined);
  }

  /** Current through every interior face, low → high cell [A]. */
  faceCurrents(y: Float64Array): Float64Array {
    this.cellProperties(y);
    const out = new Float64Array(this.faceLow.length);
    for (let f = 0; f < out.length; f++) {
      const i = this.faceLow[f], j = this.faceHigh[f];
      const ki = this.kE[i], kj = this.kE[j], kf = (2 * ki * kj) / (ki + kj);
      const nub = 0.5 * (this.nu[i] + this.nu[j]);
      out[f] = this.faceGeometry[f] * kf * (y[2 * i + 1] - y[2 * j + 1] + nub * (Math.log(y[2 * j]) - Math.log(y[2 * i])));
    }
    return out;
  }

  /** Current INTO the electrolyte through every boundary face [A], and salt flux into it [mol/s]. */
  boundaryFluxes(y: Float64Array, t = 0): { current: Float64Array; salt: Float64Array } {
    this.cellProperties(y);
    const nb = this.bCell.length;
    const current = new Float64Array(nb), salt = new Float64Array(nb);
    for (let f = 0; f < nb; f++) {
      const i = this.bCell[f], info = this.boundaries[this.bIndex[f]];
      const ci = y[2 * i], pi = y[2 * i + 1];
      if (info.kind === BKind.Dirichlet) {
        const G = this.bGeometry[f], cb = this.bConc[f];
        const iin = G * (this.kE[i] * (this.bPhi[f] - pi) - this.kE[i] * this.nu[i] * (Math.log(cb) - Math.log(ci)));
        current[f] = iin;
        salt[f] = G * this.dE[i] * (cb - ci) + (this.tp[i] * iin) / F;
      } else if (info.kind === BKind.Current) {
        current[f] = timeValue((info.spec as CurrentBoundary).currentDensity, t, 0) * this.bArea[f];
        salt[f] = current[f] / F;
      } else {
        const m = info.metalUnknown;
        const phim = m >= 0 ? y[m] : timeValue((info.spec as LiMetalBoundary).potential, t, 0);
        current[f] = this.liMetalFace(f, ci, pi, phim, false).j * this.bArea[f];
        salt[f] = current[f] / F;
      }
    }
    return { current, salt };
  }

  /**
   * Total current [A] crossing the plane between layers k and k+1 along `axis`, in the +axis
   * direction. k = −1 is the low box face (current entering there), k = n_axis − 1 the high box
   * face (current leaving there).
   */
  currentThroughPlane(y: Float64Array, axis: Axis, k: number, t = 0): number {
    const na = this.shape[axis];
    if (!(k >= -1 && k <= na - 1 && Number.isInteger(k))) throw new RangeError(`currentThroughPlane: k must be in [−1, ${na - 1}], got ${k}`);
    if (k === -1 || k === na - 1) {
      const side: Side = k === -1 ? 'low' : 'high';
      const { current } = this.boundaryFluxes(y, t);
      let s = 0;
      for (let f = 0; f < current.length; f++) {
        const info = this.boundaries[this.bIndex[f]];
        if (info.axis === axis && info.side === side) s += current[f];
      }
      return side === 'low' ? s : -s;
    }
    const I = this.faceCurrents(y);
    let s = 0;
    for (let f = 0; f < I.length; f++) if (this.faceAxis[f] === axis && this.faceLayer[f] === k) s += I[f];
    return s;
  }

  /**
   * Steady state f(y) = 0 by Newton (GMRES + block Jacobi, backtracking on ‖f‖₂), y overwritten.
   * The c block must be regular: a Dirichlet boundary (or otherwise fixed salt content) is needed;
   * for cells with no-flux salt boundaries integrate in time instead (src/time/bdf.ts).
   */
  solveSteady(y: Float64Array, opts: SteadyOptions = {}): { iterations: number; residualNorm: number } {
    const t = opts.t ?? 0, tol = opts.tol ?? 1e-11, maxIt = opts.maxIterations ?? 30;
    const N = this.unknowns;
    const f = new Float64Array(N), ft = new Float64Array(N), yt = new Float64Array(N), b = new Float64Array(N);
    const norm = (v: Float64Array) => { let s = 0; for (let i = 0; i < v.length; i++) s += v[i] * v[i]; return Math.sqrt(s); };
    this.rhs(y, t, f);
    let rn = norm(f);
    const pc = this.preconditioner();
    for (let it = 1; it <= maxIt; it++) {
      const J = this.jacobian(y, t);
      const v = J.values;
      for (let k = 0; k < v.length; k++) v[k] = -v[k];
      for (let i = 0; i < N; i++) b[i] = f[i];
      let delta: Float64Array;
      try {
        delta = gmres(J, b, { rtol: opts.linearRtol ?? 1e-12, maxIterations: 20000, restart: 100, preconditioner: pc(J) }).x;
      } catch (e) {
        if (e instanceof NonConvergenceError && e.lastIterate) delta = e.lastIterate; else throw e;
      }
      let lambda = 1;
      for (;;) {
        for (let i = 0; i < N; i++) yt[i] = y[i] + lambda * delta[i];
        let ok = true;
        try { this.rhs(yt, t, ft); } catch { ok = false; }
        const r = ok ? norm(ft) : Infinity;
        if (r <= (1 - 1e-4 * lambda) * rn || lambda < 1 / 1024) { rn = r; break; }
        lambda /= 2;
      }
      y.set(yt); f.set(ft);
      let dc = 0, cm = 0, dp = 0;
      for (let i = 0; i < this.n; i++) {
        dc = Math.max(dc, Math.abs(lambda * delta[2 * i])); cm = Math.max(cm, Math.abs(y[2 * i]));
        dp = Math.max(dp, Math.abs(lambda * delta[2 * i + 1]));
      }
      for (let i = 2 * this.n; i < N; i++) dp = Math.max(dp, Math.abs(lambda * delta[i]));
      if (lambda === 1 && dc <= tol * cm && dp <= tol) return { iterations: it, residualNorm: rn };
    }
    throw new NonConvergenceError('electrolyte-newton', maxIt, rn, Number.NaN, 'max-iterations');
  }
}

/**
 * Block-Jacobi preconditioner: 2×2 blocks (2i, 2i+1) for i < nCells (inverted exactly; a singular
 * block falls back to its diagonal, 1 for a zero entry), scalar diagonal for the rows after.
 */
export class BlockJacobi2 implements Preconditioner {
  readonly n: number;
  private readonly inv: Float64Array;
  private readonly nCells: number;
  constructor(A: CsrMatrix, nCells: number) {
    this.n = A.n;
    this.nCells = nCells;
    const inv = new Float64Array(4 * nCells + (A.n - 2 * nCells));
    for (let i = 0; i < nCells; i++) {
      const a = A.get(2 * i, 2 * i), b = A.get(2 * i, 2 * i + 1), c = A.get(2 * i + 1, 2 * i), d = A.get(2 * i + 1, 2 * i + 1);
      const det = a * d - b * c;
      if (Math.abs(det) > 1e-14 * Math.abs(a * d) + 1e-300 && Number.isFinite(det)) {
        inv[4 * i] = d / det; inv[4 * i + 1] = -b / det; inv[4 * i + 2] = -c / det; inv[4 * i + 3] = a / det;
      } else {
        // singular block (e.g. an isolated cell in a steady solve: its c row is empty): scalar diagonal
        inv[4 * i] = a !== 0 ? 1 / a : 1; inv[4 * i + 3] = d !== 0 ? 1 / d : 1;
      }
    }
    for (let r = 2 * nCells; r < A.n; r++) {
      const d = A.get(r, r);
      inv[4 * nCells + (r - 2 * nCells)] = d !== 0 ? 1 / d : 1;
    }
    this.inv = inv;
  }
  apply(r: Float64Array, z: Float64Array): void {
    const inv = this.inv, nc = this.nCells;
    for (let i = 0; i < nc; i++) {
      const r0 = r[2 * i], r1 = r[2 * i + 1];
      z[2 * i] = inv[4 * i] * r0 + inv[4 * i + 1] * r1;
      z[2 * i + 1] = inv[4 * i + 2] * r0 + inv[4 * i + 3] * r1;
    }
    for (let k = 2 * nc; k < this.n; k++) z[k] = inv[4 * nc + (k - 2 * nc)] * r[k];
  }
}

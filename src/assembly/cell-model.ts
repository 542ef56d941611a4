/**
 * The coupled half cell on a voxel RVE: microstructure-resolved working electrode | separator |
 * Li-metal counter electrode, as ONE system M dy/dt = f(y, t) for the BDF integrator
 * (src/time/bdf.ts), solved monolithically by Newton. See docs/theory/electrochemistry.md.
 *
 * Unknowns (block order):
 *   c_s   one per active voxel (SolidDiffusion cells)                       [mol/m³]
 *   φ_s   one per electron-conducting voxel (active, CBD, current collector) [V]
 *   c_e, φ_e  interleaved per electrolyte-carrying voxel (ElectrolyteModel)   [mol/m³], [V]
 *   V     the potential of the current collector vs the Li metal (φ = 0)      [V]
 * Every row is a balance in mol/s: Li in a particle cell, charge/F in a conducting cell, salt and
 * charge/F in an electrolyte cell, and the control row (applied current or voltage).
 *
 * Reaction faces k (an active voxel next to an electrolyte-carrying voxel; corrected areas A_k
 * from src/mesh/surface.ts, ONE table shared by the solid and the electrolyte, checked to agree):
 *   j_k = i₀(c_e, c_surf) [exp(α_a f η) − exp(−α_c f η)],  η = φ_s − φ_e − U(c_surf / c_max),
 *   c_surf = c_s − j_k h_k / (2 F D_s(c_s))      (the half-cell extrapolation from the active
 *   cell centre to the face; h_k the voxel edge normal to the face), f = F/RT, j > 0 anodic.
 *   j_k is the root of a scalar equation per face (safeguarded Newton on the bracket where
 *   0 < c_surf < c_max); its derivatives follow from the implicit-function theorem.
 *   Contributions: −j A/F to the particle cell (Li leaves on anodic current), −j A/F to the
 *   charge row of the conducting cell, +j A/F to the salt and charge rows of the electrolyte cell.
 *
 * Electron conduction: faces between two conducting voxels carry G (φ_j − φ_i) with
 * G = harmonic mean of σ × A/h (particle–particle and particle–CBD contacts conduct); the box
 * face at the collector end of the thickness axis connects the conducting voxels on it to V
 * through σ A/(h/2). Control row: galvanostatic I_we = Σ σA/(h/2) (V − φ_s) (current INTO the
 * working electrode from its collector, = net anodic reaction current), or potentiostatic V = V_set.
 *
 * Li-metal counter electrode: the electrolyte's `li-metal` boundary on the separator-side box face
 * with the metal at φ = 0 (the reference of every potential).
 */
import { InputError } from '../core/errors.js';
import type { Shape3, Vec3 } from '../core/volume.js';
import { CsrMatrix } from '../linalg/csr-matrix.js';
import { labelComponents } from '../mesh/components.js';
import type { Rve } from '../mesh/rve.js';
import type { ActiveMaterialLaws } from '../physics/active-material.js';
import type { ConcentratedElectrolyte, PorousTransport } from '../physics/concentrated-electrolyte.js';
import { FARADAY as F, GAS_CONSTANT } from '../physics/constants.js';
import type { Material } from '../physics/material-law.js';
import { ElectrolyteModel, type InterfaceKinetics } from './electrolyte.js';
import { SolidDiffusion, type StressPotentialProvider } from './solid-diffusion.js';

export interface CellModelOptions {
  /** The active material's laws (one material for every active phase). */
  active: ActiveMaterialLaws;
  electrolyte: ConcentratedElectrolyte;
  /** Li-metal counter electrode material. */
  counterElectrode: Material;
  temperature: number;
  cbd?: (PorousTransport & { conductivity: number }) | null;
  separator?: PorousTransport | null;
  /** σ of current-collector voxels [S/m] (default 3.77e7, aluminium). */
  collectorConductivity?: number;
  surfaceSigma?: number;
}

export type CellControl = { mode: 'current'; current: number } | { mode: 'voltage'; voltage: number };

/** Per-step quantities the runner records. */
export interface CellState {
  voltage: number;
  /** Current into the working electrode from its collector [A] (net anodic reaction current). */
  collectorCurrent: number;
  /** Σ j A over the reaction faces [A]. */
  reactionCurrent: number;
  /** Current from the Li metal into the electrolyte [A]. */
  metalCurrent: number;
  /** Li in the particles and salt in the electrolyte [mol]. */
  solidLithium: number;
  electrolyteSalt: number;
  /** Mean stoichiometry x = c_s/c_max. */
  meanStoichiometry: number;
  overpotentialMean: number;
  overpotentialMax: number;
  csMean: number;
  ceMean: number;
  ceMin: number;
  ceMax: number;
}

export class CellModel {
  readonly rve: Rve;
  readonly solid: SolidDiffusion;
  readonly electrolyteModel: ElectrolyteModel;
  readonly active: ActiveMaterialLaws;
  readonly temperature: number;
  /** Block sizes and offsets. */
  readonly nS: number; readonly nP: number; readonly nE: number;
  readonly oP: number; readonly oE: number; readonly oV: number;
  /** Number of unknowns. */
  readonly n: number;
  readonly mass: Float64Array;
  readonly symmetric = false;
  /** Conduction cells. */
  readonly pCellOfVoxel: Int32Array;
  readonly pVoxelOfCell: Int32Array;
  /** Reaction faces: solid cell, conduction cell, electrolyte cell, solid face index, corrected area, half voxel edge normal to the face. */
  readonly fS: Int32Array; readonly fP: Int32Array; readonly fE: Int32Array; readonly fSolid: Int32Array;
  readonly fA: Float64Array; readonly fHalf: Float64Array;
  /** Total reaction-face area [m²] and the collector face area [m²]. */
  readonly reactionArea: number;
  readonly collectorArea: number;
  /** Active voxels whose conduction cluster does not reach the collector. */
  readonly activeVoxelsNotConnected: number;
  /** Conducting voxels (CBD) in clusters with neither active material nor a collector contact: left out. */
  readonly floatingConductorVoxels: number;

  control: CellControl = { mode: 'current', current: 0 };

  private readonly pFaceLo: Int32Array; private readonly pFaceHi: Int32Array; private readonly pFaceG: Float64Array;
  private readonly pBCell: Int32Array; private readonly pBG: Float64Array;
  private readonly sumBG: number;
  // face state (last evaluation)
  private readonly fJ: Float64Array; private readonly fEta: Float64Array;
  private readonly dCs: Float64Array; private readonly dPs: Float64Array; private readonly dCe: Float64Array; private readonly dPe: Float64Array;
  private readonly solidFlux: Float64Array;
  // Jacobian pattern and maps
  private readonly rowPtr: Int32Array; private readonly colIdx: Int32Array;
  private readonly mapSolid: Int32Array; private readonly mapElec: Int32Array;
  private readonly pDiag: Int32Array; private readonly pLH: Int32Array; private readonly pHL: Int32Array;
  private readonly pBV: Int32Array; private readonly pVB: Int32Array; private readonly vDiag: number;
  private readonly bvPos: Int32Array; // 16 per face: rows (s, p, ec, ep) × cols (s, p, ec, ep)
  private readonly condValues: Float64Array; // constant conduction part of ∂f/∂y on the pattern
  private readonly kinetics: InterfaceKinetics;
  /**
   * Two-way chemo-mechanical coupling (set by the runner through `setStressCoupling`): the stress
   * potential in the Li flux of the particles (always) and in the equilibrium potential (inPotential).
   */
  stressCoupling?: { provider: StressPotentialProvider; inPotential: boolean };

  constructor(rve: Rve, opts: CellModelOptions) {
    this.rve = rve;
    this.active = opts.active;
    this.temperature = opts.temperature;
    const T = opts.temperature;
    const { shape, voxelSize, phase } = rve;
    const [nx, ny, nz] = shape;
    const N = nx * ny * nz;
    const activeIds = rve.phases.filter((p) => p.role === 'active').map((p) => p.id);
    if (activeIds.length === 0) throw new InputError('rve', 'the RVE has no active phase');
    const hasRole = (role: string) => rve.phases.some((p) => p.role === role && phase.some((v) => v === p.id));
    if (hasRole('cbd') && !opts.cbd) throw new InputError('electrode.cbd', 'the RVE has CBD voxels: give the CBD porosity and conductivity');
    if (hasRole('separator') && !opts.separator) throw new InputError('electrode.separator', 'the RVE has separator voxels: give the separator porosity');

    // --- particles (c_s)
    this.solid = new SolidDiffusion(rve, {
      diffusivity: opts.active.diffusivity, activePhases: activeIds, temperature: T,
      reactiveRoles: ['electrolyte', 'cbd', 'separator'], surfaceSigma: opts.surfaceSigma,
    });
    // --- electrolyte (c_e, φ_e) with the Li metal at the separator-side face
    this.electrolyteModel = new ElectrolyteModel(rve, {
      electrolyte: opts.electrolyte, temperature: T,
      cbd: opts.cbd ? { porosity: opts.cbd.porosity, bruggemanExponent: opts.cbd.bruggemanExponent, factor: opts.cbd.factor } : null,
      separator: opts.separator ?? null,
      boundaries: [{ kind: 'li-metal', axis: rve.thicknessAxis, side: rve.separatorSide, material: opts.counterElectrode, potential: 0 }],
      reactiveRoles: ['active'], surfaceSigma: opts.surfaceSigma, interfaceAnchorsPotential: true,
    });
    const solid = this.solid, elec = this.electrolyteModel;
    if (elec.metalCount !== 0) throw new Error('CellModel: unexpected metal unknowns');

    // --- conduction cells (φ_s)
    const sigmaOf = new Float64Array(256);
    for (const p of rve.phases) {
      if (p.role === 'active') sigmaOf[p.id] = opts.active.conductivity;
      else if (p.role === 'cbd') sigmaOf[p.id] = opts.cbd?.conductivity ?? 0;
      else if (p.role === 'current-collector') sigmaOf[p.id] = opts.collectorConductivity ?? 3.77e7;
    }
    for (const p of rve.phases) {
      if (p.role === 'cbd' && opts.cbd && !(opts.cbd.conductivity > 0)) throw new InputError('electrode.cbd.conductivity', `must be > 0 S/m, got ${opts.cbd.conductivity}`);
    }
    // conducting clusters that neither reach the collector nor hold active material carry no
    // current and have no defined potential: they are left out (counted in `floatingConductorVoxels`)
    const ax = rve.thicknessAxis;
    const collectorLayer = rve.separatorSide === 'low' ? shape[ax] - 1 : 0;
    const strides = [1, nx, nx * ny];
    // 6-connected conducting clusters (labelComponents), kept when one holds an active voxel or a
    // voxel in the collector layer
    const conducting = new Uint8Array(N);
    {
      const mask = new Uint8Array(N);
      for (let v = 0; v < N; v++) if (sigmaOf[phase[v]] > 0) mask[v] = 1;
      const { labels, count } = labelComponents(mask, shape, 6);
      const keep = new Uint8Array(count + 1);
      const isActive = new Uint8Array(256);
      for (const id of activeIds) isActive[id] = 1;
      for (let z = 0, v = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++, v++) {
        if (labels[v] > 0 && (isActive[phase[v]] || [x, y, z][ax] === collectorLayer)) keep[labels[v]] = 1;
      }
      let floating = 0;
      for (let v = 0; v < N; v++) if (labels[v] > 0) { if (keep[labels[v]]) conducting[v] = 1; else floating++; }
      this.floatingConductorVoxels = floating;
    }
    const pCellOfVoxel = new Int32Array(N).fill(-1);
    let nP = 0;
    for (let v = 0; v < N; v++) if (conducting[v]) pCellOfVoxel[v] = nP++;
    const pVoxelOfCell = new Int32Array(nP);
    for (let v = 0; v < N; v++) if (pCellOfVoxel[v] >= 0) pVoxelOfCell[pCellOfVoxel[v]] = v;
    this.pCellOfVoxel = pCellOfVoxel; this.pVoxelOfCell = pVoxelOfCell;
    const h = [voxelSize[0], voxelSize[1], voxelSize[2]];
    const area = [h[1] * h[2], h[0] * h[2], h[0] * h[1]];
    const lo: number[] = [], hi: number[] = [], gf: number[] = [];
    for (let z = 0, v = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++, v++) {
      const i = pCellOfVoxel[v];
      if (i < 0) continue;
      const xyz = [x, y, z];
      for (let a = 0; a < 3; a++) {
        if (xyz[a] + 1 >= shape[a]) continue;
        const w = v + strides[a];
        const j = pCellOfVoxel[w];
        if (j < 0) continue;
        const si = sigmaOf[phase[v]], sj = sigmaOf[phase[w]];
        lo.push(i); hi.push(j); gf.push(((2 * si * sj) / (si + sj)) * (area[a] / h[a]));
      }
    }
    this.pFaceLo = Int32Array.from(lo); this.pFaceHi = Int32Array.from(hi); this.pFaceG = Float64Array.from(gf);
    // collector face
    const bc: number[] = [], bg: number[] = [];
    const b1 = (ax + 1) % 3, b2 = (ax + 2) % 3;
    const xyz = [0, 0, 0];
    for (let u2 = 0; u2 < shape[b2]; u2++) for (let u1 = 0; u1 < shape[b1]; u1++) {
      xyz[ax] = collectorLayer; xyz[b1] = u1; xyz[b2] = u2;
      const v = xyz[0] + nx * (xyz[1] + ny * xyz[2]);
      const i = pCellOfVoxel[v];
      if (i < 0) continue;
      bc.push(i); bg.push(sigmaOf[phase[v]] * area[ax] / (0.5 * h[ax]));
    }
    if (bc.length === 0) throw new InputError('rve', `no electron-conducting voxel touches the current-collector face (${rve.separatorSide === 'low' ? 'high' : 'low'} ${'xyz'[ax]} face)`);
    this.pBCell = Int32Array.from(bc); this.pBG = Float64Array.from(bg);
    this.sumBG = bg.reduce((s, g) => s + g, 0);
    this.collectorArea = area[ax] * (N / shape[ax]);
    // connectivity of the conduction network to the collector
    {
      const parent = new Int32Array(nP);
      for (let i = 0; i < nP; i++) parent[i] = i;
      const find = (i: number): number => { while (parent[i] !== i) { parent[i] = parent[parent[i]]; i = parent[i]; } return i; };
      for (let f = 0; f < this.pFaceLo.length; f++) { const a = find(this.pFaceLo[f]), b = find(this.pFaceHi[f]); if (a !== b) parent[Math.max(a, b)] = Math.min(a, b); }
      const reach = new Uint8Array(nP);
      for (const i of bc) reach[find(i)] = 1;
      let cut = 0;
      for (let s = 0; s < solid.n; s++) if (!reach[find(pCellOfVoxel[solid.voxelOfCell[s]])]) cut++;
      this.activeVoxelsNotConnected = cut;
    }

    // --- reaction faces: the electrolyte's list, matched to the solid's by the voxel pair
    const m = elec.surfaceCell.length;
    const solidFaceOf = new Map<number, number>();
    const key = (a: number, b: number) => Math.min(a, b) * 4 + (Math.abs(a - b) === 1 ? 0 : Math.abs(a - b) === nx ? 1 : 2);
    for (let k = 0; k < solid.surfaceCell.length; k++) solidFaceOf.set(key(solid.voxelOfCell[solid.surfaceCell[k]], solid.surfaceNeighbourVoxel[k]), k);
    if (solid.surfaceCell.length !== m) throw new Error(`CellModel: the solid has ${solid.surfaceCell.length} reaction faces, the electrolyte ${m}`);
    this.fS = new Int32Array(m); this.fP = new Int32Array(m); this.fE = new Int32Array(m); this.fSolid = new Int32Array(m);
    this.fA = new Float64Array(m); this.fHalf = new Float64Array(m);
    let totalA = 0;
    for (let k = 0; k < m; k++) {
      const e = elec.surfaceCell[k], va = elec.surfaceNeighbourVoxel[k], ve = elec.voxelOfCell[e];
      const sf = solidFaceOf.get(key(va, ve));
      if (sf === undefined) throw new Error(`CellModel: reaction face between voxels ${va} and ${ve} is missing from the solid`);
      const A = elec.surfaceArea[k];
      if (Math.abs(A - solid.surfaceArea[sf]) > 1e-12 * A) throw new Error(`CellModel: face ${k}: areas differ (${A} vs ${solid.surfaceArea[sf]})`);
      this.fS[k] = solid.cellOfVoxel[va]; this.fP[k] = pCellOfVoxel[va]; this.fE[k] = e; this.fSolid[k] = sf;
      this.fA[k] = A; totalA += A;
      const d = Math.abs(va - ve);
      this.fHalf[k] = 0.5 * (d === 1 ? h[0] : d === nx ? h[1] : h[2]);
    }
    this.reactionArea = totalA;
    this.fJ = new Float64Array(m); this.fEta = new Float64Array(m);
    this.dCs = new Float64Array(m); this.dPs = new Float64Array(m); this.dCe = new Float64Array(m); this.dPe = new Float64Array(m);
    this.solidFlux = new Float64Array(solid.surfaceCell.length);

    // --- layout
    this.nS = solid.n; this.nP = nP; this.nE = elec.n;
    this.oP = this.nS; this.oE = this.oP + nP; this.oV = this.oE + elec.unknowns;
    this.n = this.oV + 1;
    const mass = new Float64Array(this.n);
    mass.set(solid.volume, 0);
    mass.set(elec.mass, this.oE);
    this.mass = mass;

    // --- Jacobian pattern
    const rows: number[] = [], cols: number[] = [];
    const push = (r: number, c: number) => { rows.push(r); cols.push(c); };
    const Js = solid.rhsJacobian(new Float64Array(this.nS).fill(0.5 * opts.active.cMax));
    for (let i = 0; i < this.nS; i++) for (let p = Js.rowPtr[i]; p < Js.rowPtr[i + 1]; p++) push(i, Js.colIdx[p]);
    const ye0 = elec.initialState(1000, 0);
    const kin0: InterfaceKinetics = { evaluate: (_t, _c, _p, j, djdc, djdphi) => { j.fill(0); djdc?.fill(0); djdphi?.fill(0); } };
    elec.interfaceCurrent = kin0;
    const Je = elec.jacobian(ye0, 0);
    for (let i = 0; i < Je.nRows; i++) for (let p = Je.rowPtr[i]; p < Je.rowPtr[i + 1]; p++) push(this.oE + i, this.oE + Je.colIdx[p]);
    const oP = this.oP, oE = this.oE, oV = this.oV;
    for (let i = 0; i < nP; i++) push(oP + i, oP + i);
    for (let f = 0; f < this.pFaceLo.length; f++) { push(oP + this.pFaceLo[f], oP + this.pFaceHi[f]); push(oP + this.pFaceHi[f], oP + this.pFaceLo[f]); }
    for (const i of this.pBCell) { push(oP + i, oV); push(oV, oP + i); }
    push(oV, oV);
    const rowsOfFace = (k: number) => [this.fS[k], oP + this.fP[k], oE + 2 * this.fE[k], oE + 2 * this.fE[k] + 1];
    for (let k = 0; k < m; k++) { const r = rowsOfFace(k); for (const a of r) for (const b of r) push(a, b); }
    const pattern = CsrMatrix.fromCoo(this.n, this.n, rows, cols, new Float64Array(rows.length));
    this.rowPtr = pattern.rowPtr; this.colIdx = pattern.colIdx;
    const pos = (r: number, c: number): number => {
      let a = this.rowPtr[r], b = this.rowPtr[r + 1] - 1;
      while (a <= b) {
        const mid = (a + b) >> 1, cm = this.colIdx[mid];
        if (cm === c) return mid;
        if (cm < c) a = mid + 1; else b = mid - 1;
      }
      throw new Error(`CellModel: entry (${r}, ${c}) missing from the pattern`);
    };
    this.mapSolid = new Int32Array(Js.colIdx.length);
    for (let i = 0; i < this.nS; i++) for (let p = Js.rowPtr[i]; p < Js.rowPtr[i + 1]; p++) this.mapSolid[p] = pos(i, Js.colIdx[p]);
    this.mapElec = new Int32Array(Je.colIdx.length);
    for (let i = 0; i < Je.nRows; i++) for (let p = Je.rowPtr[i]; p < Je.rowPtr[i + 1]; p++) this.mapElec[p] = pos(oE + i, oE + Je.colIdx[p]);
    this.pDiag = new Int32Array(nP);
    for (let i = 0; i < nP; i++) this.pDiag[i] = pos(oP + i, oP + i);
    const nfp = this.pFaceLo.length;
    this.pLH = new Int32Array(nfp); this.pHL = new Int32Array(nfp);
    for (let f = 0; f < nfp; f++) { this.pLH[f] = pos(oP + this.pFaceLo[f], oP + this.pFaceHi[f]); this.pHL[f] = pos(oP + this.pFaceHi[f], oP + this.pFaceLo[f]); }
    this.pBV = new Int32Array(bc.length); this.pVB = new Int32Array(bc.length);
    for (let b = 0; b < bc.length; b++) { this.pBV[b] = pos(oP + bc[b], oV); this.pVB[b] = pos(oV, oP + bc[b]); }
    this.vDiag = pos(oV, oV);
    this.bvPos = new Int32Array(16 * m);
    for (let k = 0; k < m; k++) { const r = rowsOfFace(k); for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) this.bvPos[16 * k + 4 * a + b] = pos(r[a], r[b]); }
    // constant conduction values (rows scaled by 1/F)
    const cv = new Float64Array(this.colIdx.length);
    for (let f = 0; f < nfp; f++) {
      const g = this.pFaceG[f] / F;
      cv[this.pDiag[this.pFaceLo[f]]] -= g; cv[this.pDiag[this.pFaceHi[f]]] -= g;
      cv[this.pLH[f]] += g; cv[this.pHL[f]] += g;
    }
    for (let b = 0; b < bc.length; b++) { const g = bg[b] / F; cv[this.pDiag[bc[b]]] -= g; cv[this.pBV[b]] += g; }
    this.condValues = cv;

    // the electrolyte reads the reaction current from the face state
    this.kinetics = {
      evaluate: (_t, _c, _phi, j, djdc, djdphi) => {
        j.set(this.fJ);
        if (djdc) djdc.set(this.dCe);
        if (djdphi) djdphi.set(this.dPe);
      },
    };
    elec.interfaceCurrent = this.kinetics;
  }

  get faceCount(): number { return this.fS.length; }

  /**
   * Switch the two-way coupling on: s = σ : ∂ε_ch/∂c from `provider` (evaluated at the current
   * particle concentrations on every residual evaluation) drives Li in the particles,
   * J = −D (∇c − (c/RT) ∇s), and with `inPotential` shifts the equilibrium potential, U + s/F.
   */
  setStressCoupling(provider: StressPotentialProvider, inPotential: boolean): void {
    this.solid.setStressCoupling(provider);
    this.stressCoupling = { provider, inPotential };
  }

  /** Uniform state at stoichiometry x0 and salt concentration ce0, at rest (φ_s = V = U(x0), φ_e = 0). */
  initialState(x0: number, ce0: number): Float64Array {
    if (!(x0 > 0 && x0 < 1)) throw new InputError('electrode.initialSoc', `gives the stoichiometry ${x0}, outside (0, 1)`);
    const y = new Float64Array(this.n);
    const U0 = this.active.ocp(x0);
    y.fill(x0 * this.active.cMax, 0, this.nS);
    y.fill(U0, this.oP, this.oE);
    const ye = this.electrolyteModel.initialState(ce0, 0);
    y.set(ye, this.oE);
    y[this.oV] = U0;
    return y;
  }

  private views(y: Float64Array) {
    return { cs: y.subarray(0, this.nS), ps: y.subarray(this.oP, this.oE), ye: y.subarray(this.oE, this.oV) };
  }

  /**
   * Solve the per-face Butler–Volmer equation with the surface extrapolation (see the module
   * comment); fills fJ, fEta and, when asked, the derivatives. Returns false when a state is
   * outside the laws' domain (c_s ∉ (0, c_max) or c_e ≤ 0).
   */
  private faces(y: Float64Array, withDerivative: boolean): boolean {
    const act = this.active, T = this.temperature, fT = F / (GAS_CONSTANT * T);
    const cMax = act.cMax, aA = act.alphaA, aC = act.alphaC;
    const D = this.solid.diffusivity;
    const m = this.fS.length, oP = this.oP, oE = this.oE;
    // two-way coupling: the stress potential s shifts the equilibrium potential to U + s/F
    let sPot: Float64Array | undefined, slope: Float64Array | undefined;
    if (this.stressCoupling) {
      // the elasticity solve needs every concentration in the domain, not only the surface ones
      for (let i = 0; i < this.nS; i++) if (!(y[i] > 0 && y[i] < cMax)) return false;
      if (this.stressCoupling.inPotential) {
        sPot = this.solid.stressPotential(y.subarray(0, this.nS));
        slope = this.stressCoupling.provider.localSlope;
      }
    }
    for (let k = 0; k < m; k++) {
      const c = y[this.fS[k]], ps = y[oP + this.fP[k]], ce = y[oE + 2 * this.fE[k]], pe = y[oE + 2 * this.fE[k] + 1];
      const shift = sPot ? sPot[this.fS[k]] / F : 0;
      if (!(c > 0 && c < cMax) || !(ce > 0)) return false;
      const Dc = D.value(c, T);
      const a = this.fHalf[k] / (F * Dc);
      // bracket: c_surf = c − a j ∈ (0, c_max)
      let lo = (c - cMax) / a, hi = c / a;
      let j = this.fJ[k];
      if (!(j > lo && j < hi)) j = 0;
      let R = 0, dRdj = 1, i0 = 0, g = 0, dg = 0, cs = c, eta = 0, dU = 0;
      const evalAt = (jj: number) => {
        cs = c - a * jj;
        eta = ps - pe - act.ocp(cs / cMax) - shift;
        i0 = act.i0(ce, cs);
        const ea = Math.exp(aA * fT * eta), ec = Math.exp(-aC * fT * eta);
        g = ea - ec; dg = fT * (aA * ea + aC * ec);
        dU = act.dOcp(cs / cMax) / cMax;
        const Gs = act.di0dcs(ce, cs) * g - i0 * dg * dU;
        R = jj - i0 * g;
        dRdj = 1 + a * Gs;
        return Gs;
      };
      let Gs = evalAt(j);
      const scale = Math.max(Math.abs(j), i0, 1e-30);
      for (let it = 0; it < 100; it++) {
        if (R > 0) hi = j; else lo = j;
        if (Math.abs(R) <= 1e-14 * Math.max(Math.abs(j), scale)) break;
        let next = j - R / dRdj;
        if (!(next > lo && next < hi) || !Number.isFinite(next)) next = 0.5 * (lo + hi);
        if (next === j) break;
        j = next;
        Gs = evalAt(j);
      }
      if (!Number.isFinite(R)) return false;
      this.fJ[k] = j;
      this.fEta[k] = eta;
      if (withDerivative) {
        const dadc = -a * D.derivative(c, T) / Dc;
        // (+ the shift's dependence on the cell value, ∂s/∂c ≈ slope: ∂R/∂c += i0 g′ slope / F)
        const dRdc = -Gs * (1 - dadc * j) + (slope ? (i0 * dg * slope[this.fS[k]]) / F : 0);
        const dRdps = -i0 * dg, dRdpe = i0 * dg, dRdce = -act.di0dce(ce, cs) * g;
        this.dCs[k] = -dRdc / dRdj;
        this.dPs[k] = -dRdps / dRdj;
        this.dPe[k] = -dRdpe / dRdj;
        this.dCe[k] = -dRdce / dRdj;
      }
    }
    return true;
  }

  /** out ← f(y, t) (mol/s per row); NaN everywhere when y is outside the laws' domain. */
  rhs(y: Float64Array, t: number, out: Float64Array): void {
    if (!this.faces(y, false)) { out.fill(Number.NaN); return; }
    const { cs, ps, ye } = this.views(y);
    const m = this.fS.length;
    const N = this.solidFlux;
    N.fill(0);
    for (let k = 0; k < m; k++) N[this.fSolid[k]] = -this.fJ[k] / F;
    this.solid.rhs(cs, N, out.subarray(0, this.nS));
    try {
      this.electrolyteModel.rhs(ye, t, out.subarray(this.oE, this.oV));
    } catch (err) {
      if (err instanceof RangeError) { out.fill(Number.NaN); return; }
      throw err;
    }
    // conduction rows
    const op = out.subarray(this.oP, this.oE);
    op.fill(0);
    for (let f = 0; f < this.pFaceLo.length; f++) {
      const i = this.pFaceLo[f], j = this.pFaceHi[f];
      const I = (this.pFaceG[f] * (ps[j] - ps[i])) / F;
      op[i] += I; op[j] -= I;
    }
    const V = y[this.oV];
    let icoll = 0;
    for (let b = 0; b < this.pBCell.length; b++) {
      const i = this.pBCell[b], I = this.pBG[b] * (V - ps[i]);
      op[i] += I / F; icoll += I;
    }
    for (let k = 0; k < m; k++) op[this.fP[k]] -= (this.fJ[k] * this.fA[k]) / F;
    // control row
    const c = this.control;
    out[this.oV] = c.mode === 'current' ? (c.current - icoll) / F : (this.sumBG / F) * (c.voltage - V);
  }

  /** ∂f/∂y at (y, t) in CSR (a fresh matrix sharing the pattern). */
  jacobian(y: Float64Array, t: number): CsrMatrix {
    if (!this.faces(y, true)) throw new RangeError('CellModel.jacobian: state outside the laws\' domain');
    const { cs, ye } = this.views(y);
    const vals = Float64Array.from(this.condValues);
    const Js = this.solid.rhsJacobian(cs);
    for (let p = 0; p < Js.values.length; p++) vals[this.mapSolid[p]] += Js.values[p];
    const Je = this.electrolyteModel.jacobian(ye, t);
    for (let p = 0; p < Je.values.length; p++) vals[this.mapElec[p]] += Je.values[p];
    const m = this.fS.length;
    for (let k = 0; k < m; k++) {
      const w = this.fA[k] / F, base = 16 * k;
      const d = [this.dCs[k], this.dPs[k], this.dCe[k], this.dPe[k]];
      for (let b = 0; b < 4; b++) {
        vals[this.bvPos[base + b]] -= w * d[b]; // particle row
        vals[this.bvPos[base + 4 + b]] -= w * d[b]; // conduction row
      }
      for (let b = 0; b < 2; b++) { // electrolyte rows: the c_e, φ_e columns come from the ElectrolyteModel
        vals[this.bvPos[base + 8 + b]] += w * d[b];
        vals[this.bvPos[base + 12 + b]] += w * d[b];
      }
    }
    if (this.control.mode === 'current') {
      for (let b = 0; b < this.pBCell.length; b++) vals[this.pVB[b]] += this.pBG[b] / F;
      vals[this.vDiag] -= this.sumBG / F;
    } else {
      vals[this.vDiag] -= this.sumBG / F;
    }
    return new CsrMatrix(this.n, this.n, this.rowPtr, this.colIdx, vals);
  }

  /** The ODE in the form src/time/bdf.ts integrates. */
  odeProblem() {
    return {
      n: this.n, mass: this.mass, symmetric: false,
      rhs: (y: Float64Array, t: number, out: Float64Array) => this.rhs(y, t, out),
      jacobian: (y: Float64Array, t: number) => this.jacobian(y, t),
    };
  }

  /** Collector current [A] into the working electrode at state y. */
  collectorCurrent(y: Float64Array): number {
    const V = y[this.oV];
    let s = 0;
    for (let b = 0; b < this.pBCell.length; b++) s += this.pBG[b] * (V - y[this.oP + this.pBCell[b]]);
    return s;
  }

  /** Everything the runner records at state y (evaluates the face currents). */
  state(y: Float64Array, t: number): CellState {
    if (!this.faces(y, false)) throw new RangeError('CellModel.state: state outside the laws\' domain');
    const { cs, ye } = this.views(y);
    const elec = this.electrolyteModel;
    let reaction = 0, etaSum = 0, etaMax = 0;
    for (let k = 0; k < this.fS.length; k++) {
      reaction += this.fJ[k] * this.fA[k];
      const e = Math.abs(this.fEta[k]);
      etaSum += e * this.fA[k];
      if (e > etaMax) etaMax = e;
    }
    const bf = elec.boundaryFluxes(ye, t);
    let metal = 0;
    for (let f = 0; f < bf.current.length; f++) metal += bf.current[f];
    const solidLi = this.solid.content(cs);
    let ceSum = 0, epsSum = 0, ceMin = Infinity, ceMax = -Infinity;
    for (let i = 0; i < elec.n; i++) {
      const c = ye[2 * i], e = elec.porosity[i];
      ceSum += e * c; epsSum += e;
      if (c < ceMin) ceMin = c;
      if (c > ceMax) ceMax = c;
    }
    const csMean = solidLi / this.solid.totalVolume;
    return {
      voltage: y[this.oV], collectorCurrent: this.collectorCurrent(y), reactionCurrent: reaction, metalCurrent: metal,
      solidLithium: solidLi, electrolyteSalt: elec.saltContent(ye), meanStoichiometry: csMean / this.active.cMax,
      overpotentialMean: this.reactionArea > 0 ? etaSum / this.reactionArea : 0, overpotentialMax: etaMax,
      csMean, ceMean: ceSum / epsSum, ceMin, ceMax,
    };
  }

  /** Per-face reaction current density j [A/m²] and overpotential η [V] of the last evaluated state. */
  faceValues(): { j: Float64Array; eta: Float64Array } {
    return { j: this.fJ, eta: this.fEta };
  }

  /** Voxel fields of state y (NaN where a field is not defined). */
  fields(y: Float64Array): { name: string; data: Float64Array }[] {
    const { cs, ps, ye } = this.views(y);
    const elec = this.electrolyteModel;
    const N = this.rve.phase.length;
    const x = new Float64Array(this.nS);
    for (let i = 0; i < this.nS; i++) x[i] = cs[i] / this.active.cMax;
    const phiS = new Float64Array(N).fill(Number.NaN);
    for (let i = 0; i < this.nP; i++) phiS[this.pVoxelOfCell[i]] = ps[i];
    // mean reaction current density of each active voxel over its faces
    const jA = new Float64Array(this.nS), aSum = new Float64Array(this.nS);
    this.faces(y, false);
    for (let k = 0; k < this.fS.length; k++) { jA[this.fS[k]] += this.fJ[k] * this.fA[k]; aSum[this.fS[k]] += this.fA[k]; }
    for (let i = 0; i < this.nS; i++) jA[i] = aSum[i] > 0 ? jA[i] / aSum[i] : Number.NaN;
    return [
      { name: 'c_s', data: this.solid.toVoxels(cs) },
      { name: 'stoichiometry', data: this.solid.toVoxels(x) },
      { name: 'c_e', data: elec.toVoxels(elec.concentrations(ye)) },
      { name: 'phi_s', data: phiS },
      { name: 'phi_e', data: elec.toVoxels(elec.potentials(ye)) },
      { name: 'interface_current_density', data: this.solid.toVoxels(jA) },
    ];
  }

  get shape(): Shape3 { return this.rve.shape; }
  get voxelSize(): Vec3 { return this.rve.voxelSize; }
}

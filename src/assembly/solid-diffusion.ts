/**
 * Cell-centred finite volumes for Li diffusion inside the active particles of a voxel RVE:
 *
 *   V_i dc_i/dt = f_i(c) = Σ_{faces ij} G_ij (c_j − c_i) + Σ_{interface faces f of i} N_f A_f
 *
 * - One cell per voxel of an active phase (default: every phase with role `active`). Two
 *   neighbouring cells exchange Li only when they belong to the same phase AND, when the RVE has
 *   particle labels (`rve.particle`), to the same particle: particles are separate bodies, their
 *   contact faces carry no flux. Box faces, faces to the separator, the current collector and to
 *   other active phases carry no flux either.
 * - Face conductance G_ij = 2 D_i D_j / (D_i + D_j) · A_a / h_a (harmonic mean = two half-cells
 *   in series; A_a, h_a the face area and voxel edge normal to axis a). For D = D(c) the harmonic
 *   mean is taken of D evaluated at the two CELL values, D_i = D(c_i, T): the Jacobian then has
 *   the extra terms ∂G/∂c_i (c_j − c_i), so it is no longer symmetric.
 * - Interface faces (an active cell next to a voxel of role electrolyte or cbd, by default): a
 *   prescribed normal flux density N_f [mol/(m² s)], positive INTO the particle (lithiation),
 *   weighted by the face's staircase-CORRECTED area A_f (src/mesh/surface.ts), so that a uniform
 *   N over a voxelised sphere of radius R puts N · 4πR² (not N × the 1.5× larger staircase area)
 *   into it. The areas are computed once, at construction, into arrays face → (cell, area).
 *
 * Two-way chemo-mechanical coupling (optional, `setStressCoupling`): with a stress potential
 * s_i = σ : ∂ε_ch/∂c [J/mol] per cell (Ω σ_h for an isotropic chemical strain with partial molar
 * volume Ω), the flux becomes J = −D (∇c − (c/RT) ∇s), i.e. per face
 *   F_ij = G_ij [(c_j − c_i) − (c̄_ij/RT)(s_j − s_i)],  c̄_ij = (c_i + c_j)/2,
 * which still moves Li from one cell to the other only (exact conservation). s comes from a
 * provider (the elasticity solve of the runner) evaluated at the CURRENT concentrations on every
 * residual evaluation, so a converged Newton iteration solves the coupled problem; the Jacobian
 * uses the provider's local estimate ∂s_i/∂c_i (the non-local part of ∂s/∂c is left out, which
 * makes Newton converge linearly instead of quadratically when the coupling is strong).
 *
 * Units are SI throughout: c [mol/m³], V [m³], f [mol/s], G [m³/s]. The matrices are not
 * rescaled; every solver the time integrator uses works with relative tolerances, which are
 * scale-free.
 *
 * Outputs: f(c) (`rhs`), ∂f/∂c in CSR (`rhsJacobian`), the backward-Euler residual
 * F(c) = V (c − c_old)/Δt − f(c) and its Jacobian (`residual`, `residualJacobian`), the Li content
 * Σ c_i V_i (`content`), and `odeProblem(...)`, an object the BDF integrator (src/time/bdf.ts)
 * accepts as is.
 */
import { InputError } from '../core/errors.js';
import type { Shape3, Vec3 } from '../core/volume.js';
import { CsrMatrix } from '../linalg/csr-matrix.js';
import type { PhaseRole, Rve } from '../mesh/rve.js';
import { forEachPhaseInterfaceFace } from '../mesh/surface.js';
import { GAS_CONSTANT, STANDARD_TEMPERATURE } from '../physics/constants.js';
import type { DiffusivityLaw } from '../physics/fickian-diffusion.js';

export interface SolidDiffusionOptions {
  /** Diffusivity law D(c, T) inside the particles. */
  diffusivity: DiffusivityLaw;
  /** Phase ids whose voxels are diffusion cells (default: every phase with role `active`). */
  activePhases?: number[];
  /** Roles of the neighbour phases whose faces with a cell receive the surface flux (default electrolyte and cbd). */
  reactiveRoles?: PhaseRole[];
  /** Cut the cells into separate bodies by `rve.particle` (default true when the RVE has particle labels). */
  separateParticles?: boolean;
  /** Gaussian σ [voxels] of the staircase correction (default that of src/mesh/surface.ts). */
  surfaceSigma?: number;
  /** Temperature [K] (default 298.15 K; may be changed later through `temperature`). */
  temperature?: number;
}

/**
 * The stress potential of the two-way coupling: s = σ : ∂ε_ch/∂c per cell [J/mol] for the cell
 * concentrations c, and an estimate of ∂s_i/∂c_i [J m³/mol²] (≤ 0: a concentration rise
 * compresses its own cell) for the Jacobian.
 */
export interface StressPotentialProvider {
  evaluate(c: Float64Array, out: Float64Array): void;
  readonly localSlope: Float64Array;
}

/** A prescribed interface flux: one density for every interface face, or one per face. */
export type SurfaceFlux = number | Float64Array;

/** What src/time/bdf.ts integrates (structurally the same as its `OdeProblem`). */
export interface SolidDiffusionOdeProblem {
  readonly n: number;
  readonly mass: Float64Array;
  readonly symmetric: boolean;
  rhs(y: Float64Array, t: number, out: Float64Array): void;
  jacobian(y: Float64Array, t: number): CsrMatrix;
}

export class SolidDiffusion {
  /** Number of cells (unknowns). */
  readonly n: number;
  readonly shape: Shape3;
  readonly voxelSize: Vec3;
  /** voxel → cell, −1 outside the active phases */
  readonly cellOfVoxel: Int32Array;
  /** cell → voxel (ascending) */
  readonly voxelOfCell: Int32Array;
  /** Body (particle id when separated; else the phase id) of every cell. */
  readonly bodyOfCell: Int32Array;
  /** Cell volumes V_i [m³] (the mass matrix). */
  readonly volume: Float64Array;
  /** Σ V_i [m³] */
  readonly totalVolume: number;

  /** Internal faces: lower and upper cell, geometric factor A_a / h_a [m]. */
  readonly faceLow: Int32Array;
  readonly faceHigh: Int32Array;
  readonly faceGeometry: Float64Array;

  /** Interface (reactive) faces: the cell, the neighbouring voxel, its phase, the corrected and the voxel-face area [m²]. */
  readonly surfaceCell: Int32Array;
  readonly surfaceNeighbourVoxel: Int32Array;
  readonly surfaceNeighbourPhase: Uint8Array;
  readonly surfaceArea: Float64Array;
  readonly surfaceVoxelArea: Float64Array;
  /** Σ corrected areas and Σ voxel-face areas of the interface faces [m²]. */
  readonly totalSurfaceArea: number;
  readonly totalSurfaceVoxelArea: number;

  /** Temperature [K] used by D(c, T). */
  temperature: number;
  readonly diffusivity: DiffusivityLaw;

  // CSR pattern of the Jacobian: diagonal position per cell, and per face the positions of
  // (low, high) in row low and (high, low) in row high.
  private readonly rowPtr: Int32Array;
  private readonly colIdx: Int32Array;
  private readonly diagPos: Int32Array;
  private readonly posLH: Int32Array;
  private readonly posHL: Int32Array;
  // scratch
  private readonly dCell: Float64Array;
  private readonly dDerivCell: Float64Array;
  private frozen?: { T: number; G: Float64Array; jac: CsrMatrix };
  private stress?: { provider: StressPotentialProvider; c: Float64Array; s: Float64Array; valid: boolean; evaluations: number };

  constructor(rve: Pick<Rve, 'shape' | 'voxelSize' | 'phase' | 'phases' | 'particle'>, opts: SolidDiffusionOptions) {
    const { shape, voxelSize, phase } = rve;
    const [nx, ny, nz] = shape;
    const N = nx * ny * nz;
    if (phase.length !== N) throw new InputError('rve.phase', `has ${phase.length} voxels, the shape ${shape.join('×')} needs ${N}`);
    this.shape = shape;
    this.voxelSize = voxelSize;
    this.diffusivity = opts.diffusivity;
    this.temperature = opts.temperature ?? STANDARD_TEMPERATURE;
    if (!(this.temperature > 0)) throw new InputError('temperature', `must be > 0 K, got ${this.temperature}`);

    const isActive = new Uint8Array(256);
    const activeIds = opts.activePhases ?? rve.phases.filter((p) => p.role === 'active').map((p) => p.id);
    if (activeIds.length === 0) throw new InputError('activePhases', 'the RVE has no active phase');
    for (const id of activeIds) {
      if (!rve.phases.some((p) => p.id === id)) throw new InputError('activePhases', `no phase with id ${id}`);
      isActive[id] = 1;
    }
    const reactive = new Uint8Array(256);
    const roles = opts.reactiveRoles ?? ['electrolyte', 'cbd'];
    for (const p of rve.phases) if (roles.includes(p.role) && !isActive[p.id]) reactive[p.id] = 1;
    const particle = (opts.separateParticles ?? true) ? rve.particle : undefined;
    if (particle && particle.length !== N) throw new InputError('rve.particle', `has ${particle.length} voxels, expected ${N}`);

    // cells
    const cellOfVoxel = new Int32Array(N).fill(-1);
    let n = 0;
    for (let v = 0; v < N; v++) if (isActive[phase[v]]) cellOfVoxel[v] = n++;
    if (n === 0) throw new InputError('rve.phase', 'no voxel of an active phase');
    const voxelOfCell = new Int32Array(n);
    const bodyOfCell = new Int32Array(n);
    for (let v = 0; v < N; v++) {
      const c = cellOfVoxel[v];
      if (c < 0) continue;
      voxelOfCell[c] = v;
      bodyOfCell[c] = particle ? particle[v] : phase[v];
    }
    this.n = n;
    this.cellOfVoxel = cellOfVoxel;
    this.voxelOfCell = voxelOfCell;
    this.bodyOfCell = bodyOfCell;
    const [hx, hy, hz] = voxelSize;
    const V = hx * hy * hz;
    this.volume = new Float64Array(n).fill(V);
    this.totalVolume = n * V;

    // internal faces (same phase and same body)
    const geom = [(hy * hz) / hx, (hx * hz) / hy, (hx * hy) / hz];
    const strides = [1, nx, nx * ny];
    const lo: number[] = [], hi: number[] = [], gf: number[] = [];
    for (let z = 0, v = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++, v++) {
      const i = cellOfVoxel[v];
      if (i < 0) continue;
      const xyz = [x, y, z];
      for (let a = 0; a < 3; a++) {
        if (xyz[a] + 1 >= shape[a]) continue;
        const w = v + strides[a];
        const j = cellOfVoxel[w];
        if (j < 0 || phase[w] !== phase[v]) continue;
        if (particle && particle[w] !== particle[v]) continue;
        lo.push(i); hi.push(j); gf.push(geom[a]);
      }
    }
    this.faceLow = Int32Array.from(lo);
    this.faceHigh = Int32Array.from(hi);
    this.faceGeometry = Float64Array.from(gf);

    // interface faces with their corrected areas (one pass of the smoothed-normal estimator)
    const sCell: number[] = [], sNb: number[] = [], sPh: number[] = [], sA: number[] = [], sAv: number[] = [];
    forEachPhaseInterfaceFace(rve, (p, q, _axis, voxelArea, correctedArea) => {
      let cell = -1, nb = -1;
      if (cellOfVoxel[p] >= 0 && reactive[phase[q]]) { cell = cellOfVoxel[p]; nb = q; }
      else if (cellOfVoxel[q] >= 0 && reactive[phase[p]]) { cell = cellOfVoxel[q]; nb = p; }
      if (cell < 0) return;
      sCell.push(cell); sNb.push(nb); sPh.push(phase[nb]); sA.push(correctedArea); sAv.push(voxelArea);
    }, opts.surfaceSigma === undefined ? {} : { sigma: opts.surfaceSigma });
    this.surfaceCell = Int32Array.from(sCell);
    this.surfaceNeighbourVoxel = Int32Array.from(sNb);
    this.surfaceNeighbourPhase = Uint8Array.from(sPh);
    this.surfaceArea = Float64Array.from(sA);
    this.surfaceVoxelArea = Float64Array.from(sAv);
    let at = 0, av = 0;
    for (let f = 0; f < sA.length; f++) { at += sA[f]; av += sAv[f]; }
    this.totalSurfaceArea = at;
    this.totalSurfaceVoxelArea = av;

    // Jacobian pattern: row i = {i} ∪ face neighbours, sorted
    const deg = new Int32Array(n).fill(1);
    const nf = this.faceLow.length;
    for (let f = 0; f < nf; f++) { deg[this.faceLow[f]]++; deg[this.faceHigh[f]]++; }
    const rowPtr = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) rowPtr[i + 1] = rowPtr[i] + deg[i];
    const colIdx = new Int32Array(rowPtr[n]);
    const fill = rowPtr.slice(0, n);
    for (let i = 0; i < n; i++) colIdx[fill[i]++] = i;
    for (let f = 0; f < nf; f++) {
      const i = this.faceLow[f], j = this.faceHigh[f];
      colIdx[fill[i]++] = j;
      colIdx[fill[j]++] = i;
    }
    for (let i = 0; i < n; i++) colIdx.subarray(rowPtr[i], rowPtr[i + 1]).sort();
    const find = (i: number, j: number): number => {
      for (let k = rowPtr[i]; k < rowPtr[i + 1]; k++) if (colIdx[k] === j) return k;
      throw new Error(`SolidDiffusion: entry (${i}, ${j}) missing from the pattern`);
    };
    this.rowPtr = rowPtr;
    this.colIdx = colIdx;
    this.diagPos = new Int32Array(n);
    for (let i = 0; i < n; i++) this.diagPos[i] = find(i, i);
    this.posLH = new Int32Array(nf);
    this.posHL = new Int32Array(nf);
    for (let f = 0; f < nf; f++) {
      this.posLH[f] = find(this.faceLow[f], this.faceHigh[f]);
      this.posHL[f] = find(this.faceHigh[f], this.faceLow[f]);
    }
    this.dCell = new Float64Array(n);
    this.dDerivCell = new Float64Array(n);
  }

  /** Number of internal faces. */
  get faceCount(): number {
    return this.faceLow.length;
  }

  /** Number of interface (reactive) faces. */
  get surfaceFaceCount(): number {
    return this.surfaceCell.length;
  }

  /** The Jacobian is symmetric when D does not depend on c and there is no stress coupling. */
  get symmetric(): boolean {
    return this.diffusivity.concentrationIndependent && !this.stress;
  }

  /** Switch the two-way stress coupling on (a provider) or off (undefined); see the module comment. */
  setStressCoupling(provider: StressPotentialProvider | undefined): void {
    if (provider && provider.localSlope.length !== this.n) throw new RangeError(`SolidDiffusion: localSlope has ${provider.localSlope.length} values, expected ${this.n}`);
    this.stress = provider ? { provider, c: new Float64Array(this.n), s: new Float64Array(this.n), valid: false, evaluations: 0 } : undefined;
  }

  /** Stress-coupling evaluations so far (elasticity solves), 0 without coupling. */
  get stressEvaluations(): number {
    return this.stress?.evaluations ?? 0;
  }

  /**
   * The stress potential s [J/mol] per cell at concentrations c (evaluated once per distinct c),
   * or undefined without coupling.
   */
  stressPotential(c: Float64Array): Float64Array | undefined {
    const st = this.stress;
    if (!st) return undefined;
    this.check('c', c);
    if (st.valid) {
      let same = true;
      for (let i = 0; i < this.n; i++) if (st.c[i] !== c[i]) { same = false; break; }
      if (same) return st.s;
    }
    st.valid = false;
    st.provider.evaluate(c, st.s);
    st.c.set(c);
    st.valid = true;
    st.evaluations++;
    return st.s;
  }

  /** Li content Σ c_i V_i [mol]. */
  content(c: Float64Array): number {
    const V = this.volume;
    let s = 0;
    for (let i = 0; i < this.n; i++) s += c[i] * V[i];
    return s;
  }

  /** Li content per body (particle id → mol). */
  contentByBody(c: Float64Array): Map<number, number> {
    const out = new Map<number, number>();
    for (let i = 0; i < this.n; i++) out.set(this.bodyOfCell[i], (out.get(this.bodyOfCell[i]) ?? 0) + c[i] * this.volume[i]);
    return out;
  }

  /** Total influx Σ N_f A_f [mol/s] of a surface flux. */
  totalInflux(N: SurfaceFlux): number {
    if (typeof N === 'number') return N * this.totalSurfaceArea;
    this.checkSurfaceFlux(N);
    let s = 0;
    for (let f = 0; f < this.surfaceArea.length; f++) s += N[f] * this.surfaceArea[f];
    return s;
  }

  /** out ← f(c) = Σ G (c_j − c_i) + Σ N_f A_f [mol/s]. */
  rhs(c: Float64Array, N: SurfaceFlux, out: Float64Array): void {
    out.fill(0);
    this.addDiffusion(c, out);
    this.addSurfaceFlux(N, out);
  }

  /** out += Σ_faces G_ij (c_j − c_i) (the diffusive exchange, [mol/s]). */
  addDiffusion(c: Float64Array, out: Float64Array): void {
    this.check('c', c);
    this.check('out', out);
    const lo = this.faceLow, hi = this.faceHigh, nf = lo.length;
    const s = this.stressPotential(c);
    const k = s ? 1 / (2 * GAS_CONSTANT * this.temperature) : 0; // c̄/RT = (c_i + c_j) k
    const G = this.frozenConductances();
    if (G) {
      for (let f = 0; f < nf; f++) {
        const i = lo[f], j = hi[f];
        let d = c[j] - c[i];
        if (s) d -= (c[i] + c[j]) * k * (s[j] - s[i]);
        const F = G[f] * d;
        out[i] += F; out[j] -= F;
      }
      return;
    }
    const D = this.cellDiffusivities(c, false);
    const g = this.faceGeometry;
    for (let f = 0; f < nf; f++) {
      const i = lo[f], j = hi[f];
      const Di = D[i], Dj = D[j];
      let d = c[j] - c[i];
      if (s) d -= (c[i] + c[j]) * k * (s[j] - s[i]);
      const F = ((2 * Di * Dj) / (Di + Dj)) * g[f] * d;
      out[i] += F; out[j] -= F;
    }
  }

  /** out += N_f A_f on the cells of the interface faces (N > 0 = into the particle). */
  addSurfaceFlux(N: SurfaceFlux, out: Float64Array): void {
    const sc = this.surfaceCell, A = this.surfaceArea, m = sc.length;
    if (typeof N === 'number') {
      for (let f = 0; f < m; f++) out[sc[f]] += N * A[f];
      return;
    }
    this.checkSurfaceFlux(N);
    for (let f = 0; f < m; f++) out[sc[f]] += N[f] * A[f];
  }

  /**
   * ∂f/∂c of the diffusive part in CSR (the prescribed surface flux does not depend on c).
   * Negative semi-definite; symmetric when D does not depend on c. For a constant law the same
   * matrix object is returned on every call (do not modify it).
   */
  rhsJacobian(c: Float64Array): CsrMatrix {
    if (this.frozenConductances() && !this.stress) return this.frozen!.jac;
    return this.assembleJacobian(c, 0);
  }

  /** Backward-Euler residual F(c) = V (c − c_old)/Δt − f(c) [mol/s]. */
  residual(c: Float64Array, cOld: Float64Array, dt: number, N: SurfaceFlux, out: Float64Array): void {
    this.check('cOld', cOld);
    this.rhs(c, N, out);
    const V = this.volume;
    for (let i = 0; i < this.n; i++) out[i] = V[i] * (c[i] - cOld[i]) / dt - out[i];
  }

  /** ∂F/∂c = V/Δt − ∂f/∂c (SPD when D does not depend on c). A fresh matrix. */
  residualJacobian(c: Float64Array, dt: number): CsrMatrix {
    if (!(dt > 0)) throw new RangeError(`residualJacobian: dt must be > 0, got ${dt}`);
    return this.assembleJacobian(c, 1 / dt, true);
  }

  /**
   * The ODE V dc/dt = f(c, t) with a prescribed interface flux N(t) (one density, or one per
   * interface face), in the form src/time/bdf.ts integrates.
   */
  odeProblem(flux: (t: number) => SurfaceFlux): SolidDiffusionOdeProblem {
    return {
      n: this.n,
      mass: this.volume,
      symmetric: this.symmetric,
      rhs: (y, t, out) => this.rhs(y, flux(t), out),
      jacobian: (y) => this.rhsJacobian(y),
    };
  }

  /** Scatter a cell field to the voxel grid; voxels that are not cells get `fill`. */
  toVoxels(c: Float64Array, fill = Number.NaN): Float64Array {
    const out = new Float64Array(this.cellOfVoxel.length).fill(fill);
    for (let i = 0; i < this.n; i++) out[this.voxelOfCell[i]] = c[i];
    return out;
  }

  // -------------------------------------------------------------------------------------------

  /** Face conductances when D does not depend on c (cached per temperature), else undefined. */
  private frozenConductances(): Float64Array | undefined {
    if (!this.diffusivity.concentrationIndependent) return undefined;
    if (this.frozen && this.frozen.T === this.temperature) return this.frozen.G;
    const D = this.diffusivity.value(0, this.temperature);
    if (!(D > 0 && Number.isFinite(D))) throw new RangeError(`SolidDiffusion: D = ${D} at T = ${this.temperature} K`);
    const G = new Float64Array(this.faceLow.length);
    for (let f = 0; f < G.length; f++) G[f] = D * this.faceGeometry[f];
    const jac = this.assembleJacobian(new Float64Array(this.n), 0, false, G, false);
    this.frozen = { T: this.temperature, G, jac };
    return G;
  }

  private cellDiffusivities(c: Float64Array, withDerivative: boolean): Float64Array {
    const law = this.diffusivity, T = this.temperature, D = this.dCell, dD = this.dDerivCell;
    for (let i = 0; i < this.n; i++) {
      const d = law.value(c[i], T);
      if (!(d > 0 && Number.isFinite(d))) {
        throw new RangeError(`SolidDiffusion: D(c = ${c[i]}, T = ${T}) = ${d} at cell ${i} (voxel ${this.voxelOfCell[i]}); D must be positive`);
      }
      D[i] = d;
      if (withDerivative) dD[i] = law.derivative(c[i], T);
    }
    return D;
  }

  /**
   * sign = false: ∂f/∂c + shift·V on the diagonal; sign = true: shift·V − ∂f/∂c.
   * With `G` given (constant D) the derivative terms vanish.
   */
  private assembleJacobian(c: Float64Array, shift: number, negate = false, Gfixed?: Float64Array, withStress = true): CsrMatrix {
    this.check('c', c);
    const vals = new Float64Array(this.colIdx.length);
    const lo = this.faceLow, hi = this.faceHigh, g = this.faceGeometry, nf = lo.length;
    const dp = this.diagPos, lh = this.posLH, hl = this.posHL;
    const G = Gfixed ?? this.frozenConductances();
    if (G) {
      for (let f = 0; f < nf; f++) {
        const Gf = G[f];
        vals[dp[lo[f]]] -= Gf; vals[dp[hi[f]]] -= Gf;
        vals[lh[f]] += Gf; vals[hl[f]] += Gf;
      }
    } else {
      const D = this.cellDiffusivities(c, true), dD = this.dDerivCell;
      for (let f = 0; f < nf; f++) {
        const i = lo[f], j = hi[f];
        const Di = D[i], Dj = D[j], s = Di + Dj;
        const Gf = ((2 * Di * Dj) / s) * g[f];
        const dc = c[j] - c[i];
        // F = G (c_j − c_i) into i; ∂G/∂c_i = 2 g D_j² / s² · D'_i
        const dFdi = ((2 * g[f] * Dj * Dj) / (s * s)) * dD[i] * dc - Gf;
        const dFdj = ((2 * g[f] * Di * Di) / (s * s)) * dD[j] * dc + Gf;
        vals[dp[i]] += dFdi; vals[lh[f]] += dFdj;
        vals[hl[f]] -= dFdi; vals[dp[j]] -= dFdj;
      }
    }
    const s = withStress ? this.stressPotential(c) : undefined;
    if (s) {
      // F = G [(c_j − c_i) − k (c_i + c_j)(s_j − s_i)] with s ≈ s(c) + slope·δc locally:
      // ∂F/∂c_i = G [−k (s_j − s_i) + k (c_i + c_j) slope_i], ∂F/∂c_j = G [−k (s_j − s_i) − k (c_i + c_j) slope_j]
      // (added to the diffusive part above; ∂G/∂c times the stress term is left out)
      const k = 1 / (2 * GAS_CONSTANT * this.temperature), slope = this.stress!.provider.localSlope;
      const D = G ? undefined : this.cellDiffusivities(c, false);
      for (let f = 0; f < nf; f++) {
        const i = lo[f], j = hi[f];
        const Gf = G ? G[f] : ((2 * D![i] * D![j]) / (D![i] + D![j])) * g[f];
        const ds = s[j] - s[i], cs = c[i] + c[j];
        const dFdi = Gf * k * (-ds + cs * slope[i]);
        const dFdj = Gf * k * (-ds - cs * slope[j]);
        vals[dp[i]] += dFdi; vals[lh[f]] += dFdj;
        vals[hl[f]] -= dFdi; vals[dp[j]] -= dFdj;
      }
    }
    if (negate) for (let k = 0; k < vals.length; k++) vals[k] = -vals[k];
    if (shift !== 0) {
      const V = this.volume;
      for (let i = 0; i < this.n; i++) vals[dp[i]] += shift * V[i];
    }
    return new CsrMatrix(this.n, this.n, this.rowPtr, this.colIdx, vals);
  }

  private check(what: string, v: Float64Array): void {
    if (v.length !== this.n) throw new RangeError(`SolidDiffusion: ${what} has length ${v.length}, expected ${this.n} cells`);
  }

  private checkSurfaceFlux(N: Float64Array): void {
    if (N.length !== this.surfaceCell.length) {
      throw new RangeError(`SolidDiffusion: surface flux has ${N.length} values, expected one per interface face (${this.surfaceCell.length})`);
    }
  }
}

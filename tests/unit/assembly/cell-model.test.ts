/**
 * The coupled half cell (src/assembly/cell-model.ts) on small hand-built RVEs:
 *
 * (a) the analytic Jacobian against central finite differences of f(y) (a generated pack with
 *     CBD and separator, the shipped NMC811 / Nyman2008 / Xu2019 laws, galvanostatic and
 *     potentiostatic control);
 * (b) a single planar interface (active slab | electrolyte slab | Li metal) at a given
 *     concentration state: the interface current, the overpotential and every potential up to
 *     the collector have a closed form (charge conservation fixes j = I/A; BV inverted with asinh
 *     for α = 1/2, by bisection otherwise; ohmic and concentration drops of the half cells);
 * (c) the linear (small η) and Tafel (large |η|) limits of the model's OWN per-face BV solve
 *     (CellModel.faces does not use src/physics/butler-volmer.ts, so the physics-level test does
 *     not cover it), with asymmetric transfer coefficients;
 * (d) collector current = Σ_k j_k A_k = −(metal current) after a solve of the potentials;
 * (e) Li conservation over implicit BDF steps: Δ(Li in particles + salt) = −∫ I dt / F.
 *
 * Materials for (b)–(c) are written here, so every expected number is computed from the
 * formulas below and not from the code under test. "Solve the potentials" means: hold the
 * concentrations, Newton on the algebraic rows (mass 0) with a dense LU written here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { CellModel, type CellModelOptions } from '../../../src/assembly/cell-model.js';
import { CellPreconditioner } from '../../../src/assembly/cell-preconditioner.js';
import type { CsrMatrix } from '../../../src/linalg/csr-matrix.js';
import { generateSpherePack } from '../../../src/mesh/generate.js';
import type { PhaseDef, Rve } from '../../../src/mesh/rve.js';
import { activeMaterialLaws } from '../../../src/physics/active-material.js';
import { ConcentratedElectrolyte } from '../../../src/physics/concentrated-electrolyte.js';
import { FARADAY, GAS_CONSTANT } from '../../../src/physics/constants.js';
import { compileMaterial, type Material } from '../../../src/physics/material-law.js';
import { BdfIntegrator } from '../../../src/time/bdf.js';

const F = FARADAY;
const T = 298.15;
const fT = F / (GAS_CONSTANT * T);
const MATERIALS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../materials');
const shipped = (id: string): Material => compileMaterial(YAML.parse(readFileSync(path.join(MATERIALS, `${id}.yaml`), 'utf8')), `materials/${id}.yaml`);

// ---------------------------------------------------------------------------------------------
// Hand-written laws (the expected values below use these formulas directly)

const CMAX = 50000;
const OCP = (x: number) => 4.0 - 0.6 * x + 0.05 * Math.tanh(8 * (x - 0.5));
const i0Of = (k: number, ce: number, cs: number) => k * Math.sqrt(ce * cs * (CMAX - cs));

interface ActiveParams { k: number; alpha: number; D: number; sigma: number }
function activeMaterial(p: ActiveParams): Material {
  return compileMaterial({
    id: 'Test_Active', kind: 'active', name: 'hand-written active material', source: 'tests/unit/assembly/cell-model.test.ts',
    citations: [{ key: 'Test', ref: 'hand-written for a unit test' }],
    parameters: {
      maximumConcentration_mol_m3: { value: CMAX },
      diffusivity_m2_s: { value: p.D },
      ocp_V: { expression: '4.0 - 0.6 * x + 0.05 * tanh(8 * (x - 0.5))', variables: ['x'], range: { x: [0, 1] } },
      exchangeCurrentDensity_A_m2: {
        expression: 'k * c_e_mol_m3^0.5 * c_s_mol_m3^0.5 * (maximumConcentration_mol_m3 - c_s_mol_m3)^0.5',
        variables: ['c_e_mol_m3', 'c_s_mol_m3'], constants: { k: p.k },
      },
      chargeTransferCoefficient: { value: p.alpha },
      electronicConductivity_S_m: { value: p.sigma },
    },
  }, 'test:active');
}
function counterMaterial(i0: number): Material {
  return compileMaterial({
    id: 'Test_Li', kind: 'counter-electrode', name: 'hand-written Li metal', source: 'tests/unit/assembly/cell-model.test.ts',
    citations: [{ key: 'Test', ref: 'hand-written for a unit test' }],
    parameters: { ocp_V: { value: 0 }, exchangeCurrentDensity_A_m2: { value: i0 }, chargeTransferCoefficient: { value: 0.5 } },
  }, 'test:li');
}

const PHASES: PhaseDef[] = [
  { id: 0, name: 'pore', role: 'electrolyte', labels: [0] },
  { id: 1, name: 'AM', role: 'active', labels: [1] },
  { id: 2, name: 'CBD', role: 'cbd', labels: [2] },
  { id: 3, name: 'separator', role: 'separator', labels: [3] },
];

/** n×n×(nA+nE) column along z: nA active layers on the collector (low z), nE electrolyte layers, Li metal at high z. */
function slabRve(nxy: number, nA: number, nE: number, h: number): Rve {
  const nz = nA + nE, N = nxy * nxy * nz;
  const phase = new Uint8Array(N);
  for (let v = 0; v < N; v++) phase[v] = Math.floor(v / (nxy * nxy)) < nA ? 1 : 0;
  return { shape: [nxy, nxy, nz], voxelSize: [h, h, h], phase, phases: PHASES, thicknessAxis: 2, separatorSide: 'high', particle: Int32Array.from(phase) };
}

/** A small generated pack (active, CBD, electrolyte, separator) with the shipped laws. */
function packModel(): { model: CellModel; rve: Rve } {
  const { rve } = generateSpherePack({
    shape: [8, 8, 10], voxelSize: 0.5e-6, activeFraction: 0.4, cbdFraction: 0.2, radiusMedian: 1e-6, radiusSigmaLog: 0.25,
    overlap: 0.15, separatorThickness: 1e-6, seed: 3,
  });
  const model = new CellModel(rve, {
    active: activeMaterialLaws(shipped('NMC811_OKane2022'), T),
    electrolyte: ConcentratedElectrolyte.fromMaterial(shipped('LiPF6_EC_EMC_Nyman2008')).tabulated(T),
    counterElectrode: shipped('Li_metal_Xu2019'), temperature: T,
    cbd: { porosity: 0.5, bruggemanExponent: 1.5, conductivity: 10 }, separator: { porosity: 0.5, bruggemanExponent: 1.5 },
  });
  return { model, rve };
}

// ---------------------------------------------------------------------------------------------
// Numerical helpers written for the tests

/** Deterministic uniform numbers in [0, 1) (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Solve A x = b (dense, row-major n×n, partial pivoting); A and b are overwritten. */
function luSolve(A: Float64Array, b: Float64Array, n: number): Float64Array {
  for (let k = 0; k < n; k++) {
    let p = k, best = Math.abs(A[k * n + k]);
    for (let i = k + 1; i < n; i++) { const a = Math.abs(A[i * n + k]); if (a > best) { best = a; p = i; } }
    if (!(best > 0)) throw new Error(`luSolve: singular at column ${k}`);
    if (p !== k) {
      for (let j = 0; j < n; j++) { const t = A[k * n + j]; A[k * n + j] = A[p * n + j]; A[p * n + j] = t; }
      const t = b[k]; b[k] = b[p]; b[p] = t;
    }
    const akk = A[k * n + k];
    for (let i = k + 1; i < n; i++) {
      const m = A[i * n + k] / akk;
      if (m === 0) continue;
      for (let j = k + 1; j < n; j++) A[i * n + j] -= m * A[k * n + j];
      b[i] -= m * b[k];
    }
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let j = i + 1; j < n; j++) s -= A[i * n + j] * x[j];
    x[i] = s / A[i * n + i];
  }
  return x;
}

/**
 * Hold the concentrations of y and solve the algebraic rows (mass 0: φ_s, φ_e, V) for the
 * potentials by Newton with a dense LU, updates capped at 50 mV (the linearisation at η = 0
 * overshoots by orders of magnitude in the Tafel regime). Converged when a full update is below
 * 1e-13 V (round-off of potentials of a few volts is ~1e-15 V). Returns the iterations.
 */
function solvePotentials(model: CellModel, y: Float64Array): number {
  const alg: number[] = [];
  for (let i = 0; i < model.n; i++) if (model.mass[i] === 0) alg.push(i);
  const m = alg.length, local = new Int32Array(model.n).fill(-1);
  alg.forEach((g, i) => { local[g] = i; });
  const f = new Float64Array(model.n);
  for (let it = 1; it <= 100; it++) {
    model.rhs(y, 0, f);
    const J = model.jacobian(y, 0);
    const A = new Float64Array(m * m), b = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      const r = alg[i];
      b[i] = -f[r];
      for (let p = J.rowPtr[r]; p < J.rowPtr[r + 1]; p++) { const c = local[J.colIdx[p]]; if (c >= 0) A[i * m + c] = J.values[p]; }
    }
    const dx = luSolve(A, b, m);
    const big = maxAbs(dx);
    if (!Number.isFinite(big)) throw new Error(`solvePotentials: update ${big} V`);
    const lambda = Math.min(1, 0.05 / big);
    for (let i = 0; i < m; i++) y[alg[i]] += lambda * dx[i];
    if (big < 1e-13) return it;
  }
  throw new Error('solvePotentials: no convergence in 100 iterations');
}

/** Column c of a CSR matrix as a dense vector. */
function csrColumn(J: CsrMatrix, c: number): Float64Array {
  const out = new Float64Array(J.nRows);
  for (let r = 0; r < J.nRows; r++) {
    for (let p = J.rowPtr[r]; p < J.rowPtr[r + 1]; p++) if (J.colIdx[p] === c) { out[r] = J.values[p]; break; }
  }
  return out;
}

const maxAbs = (v: ArrayLike<number>) => { let s = 0; for (let i = 0; i < v.length; i++) s = Math.max(s, Math.abs(v[i])); return s; };

/** Anodic BV root: η with i0 [exp(αa f η) − exp(−αc f η)] = j (bisection to machine precision; asinh when αa = αc = 1/2). */
function bvOverpotential(j: number, i0: number, alphaA: number, alphaC: number): number {
  if (alphaA === 0.5 && alphaC === 0.5) return (2 / fT) * Math.asinh(j / (2 * i0));
  const g = (eta: number) => i0 * (Math.exp(alphaA * fT * eta) - Math.exp(-alphaC * fT * eta)) - j;
  let lo = -2, hi = 2;
  for (let it = 0; it < 200; it++) { const mid = 0.5 * (lo + hi); if (g(mid) > 0) hi = mid; else lo = mid; }
  return 0.5 * (lo + hi);
}

// ---------------------------------------------------------------------------------------------
describe('CellModel: analytic Jacobian vs central differences', () => {
  const { model } = packModel();
  const n = model.n;
  // a non-trivial state: random c_s (x ∈ [0.45, 0.75]), c_e ∈ [800, 1200], potentials off equilibrium by up to ±8 mV
  const rnd = rng(7);
  const y = model.initialState(0.6, 1000);
  for (let i = 0; i < model.nS; i++) y[i] = (0.45 + 0.3 * rnd()) * model.active.cMax;
  for (let i = 0; i < model.nE; i++) { y[model.oE + 2 * i] = 800 + 400 * rnd(); y[model.oE + 2 * i + 1] = 0.016 * (rnd() - 0.5); }
  const U = model.active.ocp(0.6);
  for (let i = model.oP; i < model.oE; i++) y[i] = U + 0.016 * (rnd() - 0.5);
  y[model.oV] = U + 0.004;
  // sampled columns: every block, the reaction-face cells first, and V
  const cols = new Set<number>([model.oV]);
  for (let k = 0; k < 6; k++) {
    const f = Math.floor(rnd() * model.faceCount);
    cols.add(model.fS[f]); cols.add(model.oP + model.fP[f]); cols.add(model.oE + 2 * model.fE[f]); cols.add(model.oE + 2 * model.fE[f] + 1);
  }
  for (let k = 0; k < 6; k++) {
    cols.add(Math.floor(rnd() * model.nS)); cols.add(model.oP + Math.floor(rnd() * model.nP));
    const e = Math.floor(rnd() * model.nE); cols.add(model.oE + 2 * e); cols.add(model.oE + 2 * e + 1);
  }
  // the electrolyte cells next to the Li metal (high z) and the conductors on the collector (z = 0)
  const [nx, ny, nz] = model.rve.shape;
  for (let v = nx * ny * (nz - 1); v < nx * ny * (nz - 1) + 4; v++) {
    const e = model.electrolyteModel.cellOfVoxel[v]; if (e >= 0) { cols.add(model.oE + 2 * e); cols.add(model.oE + 2 * e + 1); }
  }
  for (let v = 0; v < 8; v++) if (model.pCellOfVoxel[v] >= 0) cols.add(model.oP + model.pCellOfVoxel[v]);

  for (const control of [{ mode: 'current', current: 2e-10 }, { mode: 'voltage', voltage: U + 0.01 }] as const) {
    it(`${control.mode} control: ${cols.size} sampled columns agree to 1e-6 (relative, max norm)`, () => {
      expect(model.faceCount).toBeGreaterThan(50);
      model.control = control;
      const J = model.jacobian(y, 0);
      const fp = new Float64Array(n), fm = new Float64Array(n), fd = new Float64Array(n);
      let worst = 0;
      for (const c of cols) {
        // steps: 1e-6 relative for concentrations, 1e-6 V for potentials; the truncation error of the
        // central difference is O(δ²) ≈ 1e-12 relative, the round-off ε|f|/(δ|∂f/∂y|) ≲ 1e-9 and
        // the per-face BV solves stop at 1e-14 relative: 1e-6 leaves a wide margin for the
        // tabulated laws (C¹ Hermite tables: a step across a node sees a jump in f'')
        const isConc = c < model.nS || (c >= model.oE && c < model.oV && (c - model.oE) % 2 === 0);
        const d = isConc ? 1e-6 * y[c] : 1e-6;
        const yp = Float64Array.from(y), ym = Float64Array.from(y);
        yp[c] += d; ym[c] -= d;
        model.rhs(yp, 0, fp); model.rhs(ym, 0, fm);
        for (let r = 0; r < n; r++) fd[r] = (fp[r] - fm[r]) / (2 * d);
        const an = csrColumn(J, c);
        for (let r = 0; r < n; r++) expect(Number.isFinite(fd[r])).toBe(true);
        const scale = Math.max(maxAbs(an), maxAbs(fd));
        expect(scale).toBeGreaterThan(0);
        let diff = 0;
        for (let r = 0; r < n; r++) diff = Math.max(diff, Math.abs(an[r] - fd[r]));
        worst = Math.max(worst, diff / scale);
        expect(diff / scale, `column ${c}`).toBeLessThan(1e-6);
      }
      console.log(`Jacobian (${control.mode}): n = ${n}, ${cols.size} columns, worst relative column error ${worst.toExponential(2)}`);
    });
  }
});

// ---------------------------------------------------------------------------------------------
describe('CellModel: two-way stress coupling (a local stress potential s_i = a − b c_i)', () => {
  // With a provider whose s is local and linear in c, the Jacobian's local slope −b is exact:
  // the coupled Jacobian (flux term and U + s/F in Butler–Volmer) must match central differences
  // as tightly as the uncoupled one. b gives (c/RT)·b ≈ 0.3, s of a few hundred J/mol (mV).
  const { model } = packModel();
  const cMax = model.active.cMax, b = 0.025, a = b * 0.6 * cMax;
  const localSlope = new Float64Array(model.nS).fill(-b);
  let evaluations = 0;
  model.setStressCoupling({ localSlope, evaluate: (c, out) => { evaluations++; for (let i = 0; i < c.length; i++) out[i] = a - b * c[i]; } }, true);
  const rnd = rng(11);
  const y = model.initialState(0.6, 1000);
  for (let i = 0; i < model.nS; i++) y[i] = (0.45 + 0.3 * rnd()) * cMax;
  for (let i = 0; i < model.nE; i++) { y[model.oE + 2 * i] = 800 + 400 * rnd(); y[model.oE + 2 * i + 1] = 0.016 * (rnd() - 0.5); }
  const U = model.active.ocp(0.6);
  for (let i = model.oP; i < model.oE; i++) y[i] = U + 0.016 * (rnd() - 0.5);
  y[model.oV] = U + 0.004;
  model.control = { mode: 'current', current: 2e-10 };

  it('Jacobian columns of face cells and interior cells agree with central differences to 1e-6', () => {
    const n = model.n;
    const J = model.jacobian(y, 0);
    const cols = new Set<number>();
    for (let k = 0; k < 8; k++) cols.add(model.fS[Math.floor(rnd() * model.faceCount)]);
    for (let k = 0; k < 8; k++) cols.add(Math.floor(rnd() * model.nS));
    const fp = new Float64Array(n), fm = new Float64Array(n), fd = new Float64Array(n);
    let worst = 0;
    for (const c of cols) {
      const d = 1e-6 * y[c];
      const yp = Float64Array.from(y), ym = Float64Array.from(y);
      yp[c] += d; ym[c] -= d;
      model.rhs(yp, 0, fp); model.rhs(ym, 0, fm);
      for (let r = 0; r < n; r++) fd[r] = (fp[r] - fm[r]) / (2 * d);
      const an = csrColumn(J, c);
      const scale = Math.max(maxAbs(an), maxAbs(fd));
      let diff = 0;
      for (let r = 0; r < n; r++) diff = Math.max(diff, Math.abs(an[r] - fd[r]));
      worst = Math.max(worst, diff / scale);
      expect(diff / scale, `column ${c}`).toBeLessThan(1e-6);
    }
    console.log(`coupled Jacobian: ${cols.size} particle columns, worst relative column error ${worst.toExponential(2)}`);
  });

  it('the flux term only moves Li between particle cells; the potential term changes the face currents', () => {
    const rows = () => { const f = new Float64Array(model.n); model.rhs(y, 0, f); return f; };
    const provider = model.stressCoupling!.provider;
    model.solid.setStressCoupling(undefined); model.stressCoupling = undefined;
    const none = rows();
    model.setStressCoupling(provider, false);
    const flux = rows();
    const jFlux = Float64Array.from(model.faceValues().j);
    model.setStressCoupling(provider, true);
    const full = rows();
    const jFull = Float64Array.from(model.faceValues().j);
    let moved = 0, net = 0;
    for (let i = 0; i < model.nS; i++) { moved = Math.max(moved, Math.abs(flux[i] - none[i])); net += flux[i] - none[i]; }
    expect(moved).toBeGreaterThan(1e-3 * maxAbs(none.subarray(0, model.nS)));
    expect(Math.abs(net)).toBeLessThan(1e-12 * moved * model.nS);
    for (let i = model.oP; i < model.n; i++) expect(flux[i]).toBe(none[i]); // no potential term: the rest is unchanged
    // U + s/F: s = a − b c is ±(0.15 b c_max) ≈ ±190 J/mol (±2 mV) here, so the face currents move
    let dj = 0;
    for (let k = 0; k < jFull.length; k++) dj = Math.max(dj, Math.abs(jFull[k] - jFlux[k]));
    expect(dj).toBeGreaterThan(1e-2 * maxAbs(jFlux));
    expect(full.subarray(model.oP, model.oE).some((v, i) => v !== flux[model.oP + i])).toBe(true);
    expect(evaluations).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------
describe('CellModel: one planar interface, exact potentials', () => {
  // 1 × 1 × 2 voxels: active voxel on the collector, electrolyte voxel, Li metal on its far face
  const h = 1e-6;
  const el = { conductivity: 0.9, diffusivity: 3e-10, transference: 0.38, thermodynamicFactor: 1.3 };
  const i0m = 7;
  // σ_s small enough that the collector half-cell drop I (h/2)/(σ A) is ≫ the 1e-15 V spacing of
  // doubles near 4 V (otherwise the collector current G (V − φ_s) is quantised): 1.5 mV here
  const sigma = 1e-3;
  const D = 2e-14;
  const k = 2e-6;

  /**
   * The closed form for a collector current I at concentrations c_s (active cell), c_e
   * (electrolyte cell): charge conservation → j = I/A on the face and −I/A at the metal; the
   * surface extrapolation c_surf = c_s − j (h/2)/(F D); BV inverted; the metal's half cell
   * c_b = c_e + (1 − t₊) j_m (h/2)/(F D_e), φ_b = φ_e + j_m (h/2)/κ + ν ln(c_b/c_e) (i_e = −κ∇φ + κν∇ln c,
   * ν = (2RT/F)(1 − t₊) TDF) with the metal at φ = 0, η_m = 0 − φ_b; the collector half cell V = φ_s + I (h/2)/(σA).
   */
  function exact(I: number, cs: number, ce: number, alpha: number) {
    const A = h * h;
    const jx = I / A;
    const csurf = cs - (jx * (h / 2)) / (F * D);
    const etaX = bvOverpotential(jx, i0Of(k, ce, csurf), 1 - alpha, alpha);
    const jm = -I / A;
    const cb = ce + ((1 - el.transference) * jm * (h / 2)) / (F * el.diffusivity);
    const etaM = (2 / fT) * Math.asinh(jm / (2 * i0m));
    const phiB = -etaM;
    const nu = (2 / fT) * (1 - el.transference) * el.thermodynamicFactor;
    const phiE = phiB - (jm * (h / 2)) / el.conductivity - nu * Math.log(cb / ce);
    const phiS = phiE + etaX + OCP(csurf / CMAX);
    const V = phiS + (I * (h / 2)) / (sigma * A);
    return { jx, csurf, etaX, jm, cb, nu, phiE, phiS, V };
  }

  for (const alpha of [0.5, 0.7]) {
    for (const jApplied of [3, -2]) {
      it(`α_c = ${alpha}, j = ${jApplied} A/m²: j, η, φ_e, φ_s and V match the closed form`, () => {
        const rve = slabRve(1, 1, 1, h);
        const model = new CellModel(rve, {
          active: activeMaterialLaws(activeMaterial({ k, alpha, D, sigma }), T),
          electrolyte: ConcentratedElectrolyte.constant(el), counterElectrode: counterMaterial(i0m), temperature: T,
        });
        expect(model.faceCount).toBe(1);
        // planar face: the staircase correction must leave the area at h² (‖n‖₁ = 1)
        expect(model.reactionArea / (h * h)).toBeCloseTo(1, 12);
        const A = h * h;
        const I = jApplied * A;
        model.control = { mode: 'current', current: I };
        const cs = 0.42 * CMAX, ce = 1150;
        const y = model.initialState(0.42, ce);
        y[0] = cs;
        solvePotentials(model, y);
        const st = model.state(y, 0);
        const { j, eta } = model.faceValues();

        const { jx, csurf, etaX, jm, cb, nu, phiE, phiS, V } = exact(I, cs, ce, alpha);

        // currents: the potentials are converged to 1e-13 V, so j is exact to ~f·1e-13·i0 relative
        expect(j[0] / jx).toBeCloseTo(1, 9);
        expect(st.collectorCurrent / I).toBeCloseTo(1, 9);
        expect(st.metalCurrent / -I).toBeCloseTo(1, 9);
        // potentials: the laws are tabulated (cubic Hermite, OCP on 4097 nodes: h⁴/384·max|U⁗| ≈ 4e-15 V;
        // i0 on 8193 nodes, smooth at mid-range), the potentials converged to 1e-13 V: 1e-10 V
        // (measured ≤ 4e-15 V)
        const tol = 1e-10;
        expect(Math.abs(eta[0] - etaX)).toBeLessThan(tol);
        expect(Math.abs(y[model.oE + 1] - phiE)).toBeLessThan(tol);
        expect(Math.abs(y[model.oP] - phiS)).toBeLessThan(tol);
        expect(Math.abs(y[model.oV] - V)).toBeLessThan(tol);
        expect(Math.abs(st.voltage - V)).toBeLessThan(tol);
        // the ohmic, concentration and kinetic drops are each far above the tolerance (the check is not vacuous)
        expect(Math.abs(etaX)).toBeGreaterThan(1e-3);
        expect(Math.abs((jm * (h / 2)) / el.conductivity)).toBeGreaterThan(10 * tol);
        expect(Math.abs((I * (h / 2)) / (sigma * A))).toBeGreaterThan(10 * tol);
        expect(Math.abs(nu * Math.log(cb / ce))).toBeGreaterThan(10 * tol);
        expect(Math.abs(csurf - cs)).toBeGreaterThan(1);
        const dev = Math.max(Math.abs(eta[0] - etaX), Math.abs(y[model.oE + 1] - phiE), Math.abs(y[model.oP] - phiS), Math.abs(y[model.oV] - V));
        console.log(`planar α_c = ${alpha}, j = ${jApplied}: η = ${etaX.toFixed(6)} V, V = ${V.toFixed(6)} V, largest potential deviation ${dev.toExponential(2)} V, |j/jx − 1| = ${Math.abs(j[0] / jx - 1).toExponential(2)}`);
      });
    }
  }

  it('potentiostatic: the current drawn at V = U + 50 mV satisfies the same closed form', () => {
    const model = new CellModel(slabRve(1, 1, 1, h), {
      active: activeMaterialLaws(activeMaterial({ k, alpha: 0.5, D, sigma }), T),
      electrolyte: ConcentratedElectrolyte.constant(el), counterElectrode: counterMaterial(i0m), temperature: T,
    });
    const cs = 0.6 * CMAX, ce = 900;
    const Vset = OCP(0.6) + 0.05;
    model.control = { mode: 'voltage', voltage: Vset };
    const y = model.initialState(0.6, ce);
    solvePotentials(model, y);
    const st = model.state(y, 0);
    expect(y[model.oV]).toBe(Vset);
    const I = st.collectorCurrent;
    expect(I).toBeGreaterThan(0); // above the OCP: anodic (delithiation)
    expect(st.reactionCurrent / I).toBeCloseTo(1, 9);
    const ex = exact(I, cs, ce, 0.5);
    expect(Math.abs(ex.V - Vset)).toBeLessThan(1e-10); // as in the galvanostatic cases
    expect(Math.abs(model.faceValues().eta[0] - ex.etaX)).toBeLessThan(1e-10);
  });

  it('a 3 × 3 × 4 slab (9 faces) carries the same j = I/A_total on every face and the same η', () => {
    const rve = slabRve(3, 2, 2, h);
    const model = new CellModel(rve, {
      active: activeMaterialLaws(activeMaterial({ k, alpha: 0.5, D, sigma }), T),
      electrolyte: ConcentratedElectrolyte.constant(el), counterElectrode: counterMaterial(i0m), temperature: T,
    });
    expect(model.faceCount).toBe(9);
    const Atot = 9 * h * h;
    expect(model.reactionArea / Atot).toBeCloseTo(1, 12);
    const I = 4 * Atot;
    model.control = { mode: 'current', current: I };
    const y = model.initialState(0.55, 1000);
    solvePotentials(model, y);
    model.state(y, 0);
    const { j, eta } = model.faceValues();
    const jx = I / Atot;
    const csurf = 0.55 * CMAX - (jx * (h / 2)) / (F * D);
    const etaX = bvOverpotential(jx, i0Of(k, 1000, csurf), 0.5, 0.5);
    for (let f = 0; f < 9; f++) {
      expect(j[f] / jx).toBeCloseTo(1, 9);
      expect(Math.abs(eta[f] - etaX)).toBeLessThan(1e-10);
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe('CellModel: linear and Tafel limits of the per-face Butler–Volmer solve', () => {
  // α_c = 0.7, α_a = 0.3; a small i0 (≈ 1e-3 A/m² at x = 1/2) so that |j| ≫ i0 is reachable
  const h = 1e-6, D = 1e-13, k = 1.3e-9, alphaA = 0.3, alphaC = 0.7;
  const A = h * h, cs = 0.5 * CMAX, ce = 1000;
  // σ_s per regime so that the collector drop I (h/2)/(σA) stays ≫ 1e-15 V (see the planar test):
  // 5 µV at j = 1e-7 A/m² (σ = 1e-8 S/m), ≥ 0.5 mV at |j| ≥ 1 A/m² (σ = 1e-3 S/m)
  const modelWith = (sigma: number) => new CellModel(slabRve(1, 1, 1, h), {
    active: activeMaterialLaws(activeMaterial({ k, alpha: alphaC, D, sigma }), T),
    electrolyte: ConcentratedElectrolyte.constant({ conductivity: 1, diffusivity: 3e-10, transference: 0.38 }),
    counterElectrode: counterMaterial(10), temperature: T,
  });
  const linearModel = modelWith(1e-8), tafelModel = modelWith(1e-3);
  /** η and the i0 at the face's surface concentration for an applied current density j. */
  const faceAt = (model: CellModel, j: number) => {
    model.control = { mode: 'current', current: j * A };
    const y = model.initialState(0.5, ce);
    solvePotentials(model, y);
    model.state(y, 0);
    const fv = model.faceValues();
    expect(fv.j[0] / j).toBeCloseTo(1, 8);
    const csurf = cs - (j * (h / 2)) / (F * D);
    return { eta: fv.eta[0], i0: i0Of(k, ce, csurf) };
  };

  it('|η| ≪ RT/F: j = i0 (α_a + α_c) F η / RT to first order, for both signs', () => {
    for (const ratio of [1e-4, -1e-4, 1e-3]) {
      const i0mid = i0Of(k, ce, cs);
      const { eta, i0 } = faceAt(linearModel, ratio * i0mid);
      const lin = (ratio * i0mid) / (i0 * (alphaA + alphaC) * fT * eta);
      // next term of the expansion: j/(i0 f η) = 1 + (α_a − α_c) f η / 2 + …  → |lin − 1| ≈ 0.2 f|η|
      const expected = 1 + ((alphaA - alphaC) * fT * eta) / 2;
      expect(Math.abs(fT * eta)).toBeLessThan(2e-3);
      expect(Math.abs(lin - expected)).toBeLessThan(1e-6); // the next term, (α_a³ + α_c³)(fη)²/6, is ≤ 2.5e-7
      expect(Math.abs(lin - 1)).toBeLessThan(3e-4);
    }
  });

  it('|j| ≫ i0: η = ln(j/i0)/(α_a f) anodic, −ln(|j|/i0)/(α_c f) cathodic (slopes ln10/(αf) per decade)', () => {
    const i0mid = i0Of(k, ce, cs);
    const anodic = [1e3, 1e4].map((r) => ({ r, ...faceAt(tafelModel, r * i0mid) }));
    const cathodic = [-1e3, -1e4].map((r) => ({ r, ...faceAt(tafelModel, r * i0mid) }));
    // the neglected back reaction shifts η by |ln(1 − exp(−(α_a + α_c) f |η|))| / (α f) (1.9 µV at the
    // smallest cathodic |η| ≈ 0.25 V, < 1e-9 V at the anodic ones): allowed with 10 % margin + 1e-9 V
    const backReaction = (eta: number, alpha: number) => -Math.log(1 - Math.exp(-(alphaA + alphaC) * fT * Math.abs(eta))) / (alpha * fT);
    for (const a of anodic) {
      const tafel = Math.log((a.r * i0mid) / a.i0) / (alphaA * fT);
      expect(a.eta).toBeGreaterThan(0.5);
      expect(Math.abs(a.eta - tafel)).toBeLessThan(1.1 * backReaction(a.eta, alphaA) + 1e-9);
    }
    for (const c of cathodic) {
      const tafel = -Math.log((-c.r * i0mid) / c.i0) / (alphaC * fT);
      expect(c.eta).toBeLessThan(-0.2);
      expect(Math.abs(c.eta - tafel)).toBeLessThan(1.1 * backReaction(c.eta, alphaC) + 1e-9);
      expect(Math.abs(c.eta - tafel)).toBeLessThan(1e-5 * Math.abs(c.eta));
    }
    // per-decade slopes with i0 corrected for the surface concentration of each current
    const slopeA = (anodic[1].eta - anodic[0].eta) / (1 - Math.log10(anodic[1].i0 / anodic[0].i0));
    const slopeC = (cathodic[1].eta - cathodic[0].eta) / (1 - Math.log10(cathodic[1].i0 / cathodic[0].i0));
    expect(slopeA / (Math.LN10 / (alphaA * fT))).toBeCloseTo(1, 6);
    expect(slopeC / (-Math.LN10 / (alphaC * fT))).toBeCloseTo(1, 4); // the back reaction at j = 1e3 i0 shifts it by 2e-5
  });
});

// ---------------------------------------------------------------------------------------------
describe('CellModel: charge and Li balances on a generated pack', () => {
  const { model } = packModel();

  it('after solving the potentials: collector current = Σ j_k A_k = −metal current (1e-8 relative)', () => {
    const x0 = 0.6;
    const y = model.initialState(x0, 1000);
    // non-uniform concentrations so that the faces carry different currents
    const rnd = rng(11);
    for (let i = 0; i < model.nS; i++) y[i] = (0.55 + 0.1 * rnd()) * model.active.cMax;
    for (let i = 0; i < model.nE; i++) y[model.oE + 2 * i] = 900 + 200 * rnd();
    for (const I of [3e-10, -1.5e-10]) {
      model.control = { mode: 'current', current: I };
      solvePotentials(model, y);
      const st = model.state(y, 0);
      const { j } = model.faceValues();
      let sum = 0, sumAbs = 0, jMin = Infinity, jMax = -Infinity;
      for (let f = 0; f < model.faceCount; f++) { sum += j[f] * model.fA[f]; sumAbs += Math.abs(j[f] * model.fA[f]); jMin = Math.min(jMin, j[f]); jMax = Math.max(jMax, j[f]); }
      // the face currents really differ (the balance is not trivially one number times the area)
      expect(jMax - jMin).toBeGreaterThan(0.1 * Math.abs(I / model.reactionArea));
      // potentials to 1e-13 V ⇒ each face current to ~1e-11 relative; Σ over ~10² faces: 1e-8 is a safe bound
      expect(Math.abs(model.collectorCurrent(y) - sum) / sumAbs).toBeLessThan(1e-8);
      expect(Math.abs(st.collectorCurrent - I) / Math.abs(I)).toBeLessThan(1e-8);
      expect(Math.abs(st.reactionCurrent - I) / Math.abs(I)).toBeLessThan(1e-8);
      expect(Math.abs(st.metalCurrent + I) / Math.abs(I)).toBeLessThan(1e-8);
      console.log(`charge balance I = ${I}: |I_coll − ΣjA|/Σ|jA| = ${(Math.abs(model.collectorCurrent(y) - sum) / sumAbs).toExponential(2)}, |I_metal + I|/|I| = ${(Math.abs(st.metalCurrent + I) / Math.abs(I)).toExponential(2)}`);
    }
  });

  for (const order of [1, 2] as const) {
    it(`BDF${order}, fixed steps at 2C: Li in particles + salt changes by −I Δt / F every step (≤ 1e-9 relative)`, () => {
      const x0 = 0.6;
      const y0 = model.initialState(x0, 1000);
      const capacity = F * model.active.cMax * 0.6 * model.solid.totalVolume; // C of a Δx = 0.6 window
      const I = (2 * capacity) / 3600;
      model.control = { mode: 'current', current: I };
      const dt = 2;
      // Newton to ‖G‖ ≤ 1e-11 S (S ~ the mass terms of the step). Not tighter: the conduction rows
      // G (φ_j − φ_i)/F carry a round-off floor of G·ulp(4 V)/F ≈ 1e-25 mol/s per face, which
      // 1e-12 S does not clear at dt = 2 s (the step would then be halved, no longer fixed)
      const integ = new BdfIntegrator(model.odeProblem(), y0, 0, {
        dt, order, adaptive: false,
        newton: { maxIterations: 30, residualRtol: 1e-11, residualAtol: 0, updateTol: 0 },
        linear: { method: 'gmres', rtol: 1e-10, maxIterations: 500, restart: 100, preconditioner: (Amat) => new CellPreconditioner(model, Amat as CsrMatrix, { cycle: 'V' }) },
      });
      const st0 = model.state(y0, 0);
      const L0 = st0.solidLithium + st0.electrolyteSalt;
      let prev = L0, prevSolid = st0.solidLithium, worstL = 0, worstMoved = 0, worstSolid = 0;
      for (let s = 1; s <= 6; s++) {
        const info = integ.step();
        expect(info.newtonFailures).toBe(0);
        expect(info.dt).toBe(dt);
        const st = model.state(integ.y, integ.t);
        const L = st.solidLithium + st.electrolyteSalt;
        // per step: ΔL = Φ dt with Φ = I_metal / F = −I/F (BDF1 and BDF2 are exact for L linear in t)
        const moved = (I * dt) / F;
        const errStep = Math.abs(L - prev + moved);
        worstL = Math.max(worstL, errStep / L);
        worstMoved = Math.max(worstMoved, errStep / moved);
        worstSolid = Math.max(worstSolid, Math.abs(st.solidLithium - prevSolid + moved) / moved);
        prev = L; prevSolid = st.solidLithium;
        // the criterion (as in src/sim/run.ts): per-step error relative to the Li content ≤ 1e-9
        expect(errStep / L).toBeLessThan(1e-9);
        // much stronger, and met: relative to the Li moved in the step (measured ~1e-12)
        expect(errStep / moved).toBeLessThan(1e-9);
        // quasi-steady charge balance at the accepted state, limited by the Newton tolerance on the
        // conduction rows (their round-off floor, ~1e-25 mol/s per face, is ~1e-9 of I/F here;
        // measured up to 1.4e-9): 1e-8
        expect(Math.abs(st.collectorCurrent - I) / I).toBeLessThan(1e-8);
        expect(Math.abs(st.reactionCurrent - I) / I).toBeLessThan(1e-8);
        expect(Math.abs(st.metalCurrent + I) / I).toBeLessThan(1e-8);
      }
      expect(integ.t).toBeCloseTo(6 * dt, 12);
      // the solid alone loses I dt / F per step too (the salt is unchanged: the particles add what the metal takes)
      expect(worstSolid).toBeLessThan(1e-9);
      // cumulative: L(t) − L0 = −I t / F
      const total = Math.abs(prev - L0 + (I * integ.t) / F) / ((I * integ.t) / F);
      expect(total).toBeLessThan(1e-9);
      console.log(`Li balance BDF${order}: worst per-step error / L = ${worstL.toExponential(2)}, / (I dt/F) = ${worstMoved.toExponential(2)}, solid only ${worstSolid.toExponential(2)}, cumulative ${total.toExponential(2)}`);
    });
  }
});

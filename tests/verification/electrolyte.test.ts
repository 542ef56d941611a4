/**
 * Verification of the electrolyte finite volumes (src/assembly/electrolyte.ts, laws in
 * src/physics/concentrated-electrolyte.ts). See docs/theory/electrolyte.md for the analytic
 * expressions and the measured numbers.
 *
 * (1) manufactured solution of the coupled steady (c_e, φ_e) system, κ(c), D(c), TDF(c) smooth;
 * (2) symmetric Li | electrolyte | Li cell at steady state: linear c, exact cell potential;
 * (3) the same cell after a current step: first-mode decay rate π² D / L²;
 * (4) salt conservation every step (zero net reaction) and current through every plane = I;
 * (5) porous media: ohmic current at uniform c = κ · σ_eff of src/sim/tortuosity.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { ElectrolyteModel, type InterfaceKinetics } from '../../src/assembly/electrolyte.js';
import { Rng } from '../../src/core/rng.js';
import type { Shape3, Vec3 } from '../../src/core/volume.js';
import type { PhaseDef, Rve } from '../../src/mesh/rve.js';
import { ButlerVolmer } from '../../src/physics/butler-volmer.js';
import {
  ConcentratedElectrolyte, bruggemanFactor, constantLaw, diffusionPotentialFactor, functionLaw, liMetalKinetics,
} from '../../src/physics/concentrated-electrolyte.js';
import { FARADAY, GAS_CONSTANT } from '../../src/physics/constants.js';
import { compileMaterial, type Material } from '../../src/physics/material-law.js';
import { tortuosity } from '../../src/sim/tortuosity.js';
import { BdfIntegrator, type BdfOptions } from '../../src/time/bdf.js';

const MATERIALS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../materials');
const material = (id: string): Material => compileMaterial(YAML.parse(readFileSync(path.join(MATERIALS, `${id}.yaml`), 'utf8')), `materials/${id}.yaml`);
const LI = material('Li_metal_Xu2019');
const NYMAN = material('LiPF6_EC_EMC_Nyman2008');
const T = 298.15;
const F = FARADAY;

const PHASES: PhaseDef[] = [
  { id: 0, name: 'pore', role: 'electrolyte', labels: [0] },
  { id: 1, name: 'active', role: 'active', labels: [1] },
  { id: 2, name: 'cbd', role: 'cbd', labels: [2] },
  { id: 3, name: 'separator', role: 'separator', labels: [3] },
];
function rveOf(shape: Shape3, h: number | Vec3, phase?: Uint8Array): Pick<Rve, 'shape' | 'voxelSize' | 'phase' | 'phases'> {
  const n = shape[0] * shape[1] * shape[2];
  return { shape, voxelSize: typeof h === 'number' ? [h, h, h] : h, phase: phase ?? new Uint8Array(n), phases: PHASES };
}

/**
 * Tight Newton and linear settings for the conservation checks: ‖G‖₂ ≤ max(1e-14 S, 1e-26 mol/s)
 * (the rows are in mol/s; round-off leaves ~1e-28 here, a face flux is ~1e-15..1e-19).
 */
function bdfOptions(model: ElectrolyteModel, dt: number, order: 1 | 2, onStep?: BdfOptions['onStep']): BdfOptions {
  return {
    dt, order, adaptive: false,
    newton: { residualRtol: 1e-14, residualAtol: 1e-26, updateTol: 0, maxIterations: 30 },
    linear: { method: 'gmres', rtol: 1e-10, restart: 100, maxIterations: 5000, preconditioner: model.preconditioner() },
    onStep,
  };
}

// ---------------------------------------------------------------------------------------------
describe('electrolyte: manufactured solution (coupled steady c_e, φ_e; κ(c), D(c), TDF(c))', () => {
  const L = 10e-6, c0 = 1000, k0 = 1.0, D0 = 3e-10, tplus = 0.3, P0 = 0.02;
  const pi = Math.PI;
  const cEx = (x: number, y: number, z: number) => c0 * (1 + 0.25 * Math.sin(pi * x / L) * Math.cos(0.5 * pi * y / L) + 0.15 * Math.cos(pi * z / L));
  const gradC = (x: number, y: number, z: number): [number, number, number] => [
    c0 * 0.25 * (pi / L) * Math.cos(pi * x / L) * Math.cos(0.5 * pi * y / L),
    -c0 * 0.25 * (0.5 * pi / L) * Math.sin(pi * x / L) * Math.sin(0.5 * pi * y / L),
    -c0 * 0.15 * (pi / L) * Math.sin(pi * z / L),
  ];
  const phiEx = (x: number, y: number, z: number) => P0 * (Math.cos(pi * x / L) * Math.sin(pi * y / L) + (z / L) * (z / L));
  const gradPhi = (x: number, y: number, z: number): [number, number, number] => [
    -P0 * (pi / L) * Math.sin(pi * x / L) * Math.sin(pi * y / L),
    P0 * (pi / L) * Math.cos(pi * x / L) * Math.cos(pi * y / L),
    P0 * 2 * z / (L * L),
  ];
  const kappa = (c: number) => { const u = c / c0; return k0 * (0.5 + 0.6 * u - 0.1 * u * u); };
  const diff = (c: number) => { const u = c / c0; return D0 * (1.2 - 0.3 * u + 0.05 * u * u); };
  const tdf = (c: number) => 1 + 0.2 * (c / c0);
  const el = new ConcentratedElectrolyte({
    conductivity: functionLaw((c) => kappa(c), (c) => (k0 / c0) * (0.6 - 0.2 * c / c0)),
    diffusivity: functionLaw((c) => diff(c), (c) => (D0 / c0) * (-0.3 + 0.1 * c / c0)),
    transference: constantLaw(tplus),
    thermodynamicFactor: functionLaw((c) => tdf(c), () => 0.2 / c0),
  });
  // fluxes of the exact solution: salt N = −D∇c + t₊ i/F, current i = −κ∇φ + κν∇ln c
  const fluxes = (x: number, y: number, z: number) => {
    const c = cEx(x, y, z), gc = gradC(x, y, z), gp = gradPhi(x, y, z);
    const k = kappa(c), D = diff(c), nu = diffusionPotentialFactor(tplus, tdf(c), T);
    const i = [0, 1, 2].map((a) => -k * gp[a] + (k * nu * gc[a]) / c);
    const N = [0, 1, 2].map((a) => -D * gc[a] + (tplus * i[a]) / F);
    return { i, N };
  };
  // sources: S_salt = ∇·N, S_charge = ∇·i (central differences of the analytic fluxes)
  const divergences = (x: number, y: number, z: number) => {
    const d = 1e-5 * L;
    let dN = 0, di = 0;
    for (let a = 0; a < 3; a++) {
      const p = [x, y, z], m = [x, y, z];
      p[a] += d; m[a] -= d;
      const fp = fluxes(p[0], p[1], p[2]), fm = fluxes(m[0], m[1], m[2]);
      dN += (fp.N[a] - fm.N[a]) / (2 * d);
      di += (fp.i[a] - fm.i[a]) / (2 * d);
    }
    return { dN, di };
  };

  function solve(nCells: number) {
    const h = L / nCells;
    const shape: Shape3 = [nCells, nCells, nCells];
    const boundaries = [0, 1, 2].flatMap((axis) => (['low', 'high'] as const).map((side) => ({
      kind: 'dirichlet' as const, axis: axis as 0 | 1 | 2, side, potential: phiEx, concentration: cEx,
    })));
    const model = new ElectrolyteModel(rveOf(shape, h), { electrolyte: el, temperature: T, boundaries });
    const salt = new Float64Array(model.n), charge = new Float64Array(model.n);
    const cx = new Float64Array(model.n), px = new Float64Array(model.n);
    for (let i = 0; i < model.n; i++) {
      const v = model.voxelOfCell[i];
      const x = ((v % nCells) + 0.5) * h, y = ((Math.floor(v / nCells) % nCells) + 0.5) * h, z = (Math.floor(v / (nCells * nCells)) + 0.5) * h;
      const s = divergences(x, y, z);
      salt[i] = s.dN; charge[i] = s.di;
      cx[i] = cEx(x, y, z); px[i] = phiEx(x, y, z);
    }
    model.saltSource = salt;
    model.chargeSource = charge;
    const y = model.initialState(c0, 0);
    const res = model.solveSteady(y, { tol: 1e-12 });
    let ec = 0, ep = 0;
    for (let i = 0; i < model.n; i++) {
      ec += (y[2 * i] - cx[i]) ** 2;
      ep += (y[2 * i + 1] - px[i]) ** 2;
    }
    return { ec: Math.sqrt(ec / model.n) / c0, ep: Math.sqrt(ep / model.n) / P0, iterations: res.iterations };
  }

  it('cell-centre L2 errors of c_e and φ_e decrease at order ≈ 2', () => {
    const ns = [6, 12, 24];
    const r = ns.map(solve);
    const orderC = Math.log2(r[1].ec / r[2].ec), orderP = Math.log2(r[1].ep / r[2].ep);
    console.log('MMS', ns.map((n, k) => `n=${n}: e_c=${r[k].ec.toExponential(3)} e_phi=${r[k].ep.toExponential(3)} (Newton ${r[k].iterations})`).join('; '),
      `orders c ${Math.log2(r[0].ec / r[1].ec).toFixed(3)}, ${orderC.toFixed(3)}; phi ${Math.log2(r[0].ep / r[1].ep).toFixed(3)}, ${orderP.toFixed(3)}`);
    expect(orderC).toBeGreaterThan(1.7);
    expect(orderP).toBeGreaterThan(1.7);
    expect(r[2].ec).toBeLessThan(1e-3);
  });
});

// ---------------------------------------------------------------------------------------------
// Symmetric Li | electrolyte | Li cell

const CELL = { nz: 20, h: 1e-6, c0: 1000, kappa: 0.8, D: 3e-10, tplus: 0.26, tdf: 1.2, I: 100 };

function symmetricCell(opts: { separator?: { porosity: number } } = {}) {
  const { nz, h, kappa, D, tplus, tdf, I } = CELL;
  const shape: Shape3 = [2, 2, nz];
  const phase = new Uint8Array(2 * 2 * nz).fill(opts.separator ? 3 : 0);
  const el = ConcentratedElectrolyte.constant({ conductivity: kappa, diffusivity: D, transference: tplus, thermodynamicFactor: tdf });
  const model = new ElectrolyteModel(rveOf(shape, h, phase), {
    electrolyte: el, temperature: T,
    separator: opts.separator ?? null,
    boundaries: [
      { kind: 'li-metal', axis: 'z', side: 'low', material: LI, potential: 0 },
      { kind: 'li-metal', axis: 'z', side: 'high', material: LI, currentDensity: -I },
    ],
  });
  return { model, shape, boxArea: 4 * h * h };
}

/**
 * Exact steady state of the 1D cell with constant κ, D, t₊, TDF, effective factor β, porosity
 * irrelevant at steady state (docs/theory/electrolyte.md):
 *   c(z) = c0 − s (z − L/2),  s = (1 − t₊) I / (F β D)
 *   V = φ_metal(L) − φ_metal(0) = η_L − η_0 − I L /(β κ) + ν ln(c(L)/c(0)),
 *   η_0 = η_BV(i₀(c(0)), +I),  η_L = η_BV(i₀(c(L)), −I).
 */
function exactCell(beta = 1) {
  const { nz, h, c0, kappa, D, tplus, tdf, I } = CELL;
  const L = nz * h;
  const s = ((1 - tplus) * I) / (F * beta * D);
  const ca = c0 + (s * L) / 2, cb = c0 - (s * L) / 2;
  const kin = liMetalKinetics(LI);
  const bv = new ButlerVolmer({ alphaA: kin.alphaA, alphaC: kin.alphaC });
  const eta0 = bv.overpotential(kin.i0(ca, T), I, T);
  const etaL = bv.overpotential(kin.i0(cb, T), -I, T);
  const nu = diffusionPotentialFactor(tplus, tdf, T);
  const ohmic = (I * L) / (beta * kappa);
  const conc = nu * Math.log(cb / ca);
  return { s, L, ca, cb, eta0, etaL, ohmic, conc, V: etaL - eta0 - ohmic + conc, profile: (z: number) => c0 - s * (z - L / 2) };
}

function steadyCell(opts: { separator?: { porosity: number } } = {}) {
  const { model } = symmetricCell(opts);
  const tau = (CELL.nz * CELL.h) ** 2 / (Math.PI ** 2 * CELL.D);
  const integ = new BdfIntegrator(model.odeProblem(), model.initialState(CELL.c0), 0, bdfOptions(model, 100 * tau, 1));
  for (let k = 0; k < 10; k++) integ.step();
  return { model, y: Float64Array.from(integ.y) };
}

describe('electrolyte: symmetric Li | electrolyte | Li cell, steady state', () => {
  for (const variant of [{ name: 'free electrolyte', separator: undefined, beta: 1 }, { name: 'separator ε = 0.4 (Bruggeman)', separator: { porosity: 0.4 }, beta: bruggemanFactor(0.4) }]) {
    it(`${variant.name}: linear c with slope −I(1−t₊)/(F D_eff); cell potential = exact 1D expression`, () => {
      const { model, y } = steadyCell({ separator: variant.separator });
      const ex = exactCell(variant.beta);
      const { h, nz } = CELL;
      let maxErr = 0;
      for (let i = 0; i < model.n; i++) {
        const z = (Math.floor(model.voxelOfCell[i] / 4) + 0.5) * h;
        maxErr = Math.max(maxErr, Math.abs(y[2 * i] - ex.profile(z)));
      }
      // slope from the two end cells
      const cFirst = y[0], cLast = y[2 * (model.n - 1)];
      const slope = (cLast - cFirst) / ((nz - 1) * h);
      const V = model.metalPotential(y, 1);
      console.log(`Li|Li (${variant.name}): V = ${V.toPrecision(12)} V, exact ${ex.V.toPrecision(12)} V `
        + `(η0 ${ex.eta0.toExponential(4)}, ηL ${ex.etaL.toExponential(4)}, ohmic ${ex.ohmic.toExponential(4)}, conc ${ex.conc.toExponential(4)}); `
        + `rel. error ${Math.abs(V / ex.V - 1).toExponential(2)}; max |c − c_exact| ${maxErr.toExponential(2)} mol/m³; slope rel. error ${Math.abs(slope / -ex.s - 1).toExponential(2)}`);
      expect(Math.abs(V / ex.V - 1)).toBeLessThan(1e-6);
      expect(maxErr / CELL.c0).toBeLessThan(1e-8);
      expect(Math.abs(slope / -ex.s - 1)).toBeLessThan(1e-6);
    });
  }
});

describe('electrolyte: symmetric cell after a current step (transient) and conservation', () => {
  it('first-mode decay rate = π² D / L²; salt conserved each step; current through every z-plane = I', () => {
    const { model, boxArea } = symmetricCell();
    const { nz, h, D, c0, I } = CELL;
    const L = nz * h;
    const tau = L * L / (Math.PI ** 2 * D);
    const steady = steadyCell().y;
    const cInf = steady[0];
    const y0 = model.initialState(c0);
    const content0 = model.saltContent(y0);
    let worstSalt = 0, worstCurrent = 0;
    const samples: { t: number; d: number }[] = [];
    const integ = new BdfIntegrator(model.odeProblem(), y0, 0, bdfOptions(model, tau / 100, 2, (info, y) => {
      worstSalt = Math.max(worstSalt, Math.abs(model.saltContent(y) / content0 - 1));
      if (info.step % 10 === 0) {
        for (let k = -1; k < nz; k++) worstCurrent = Math.max(worstCurrent, Math.abs(model.currentThroughPlane(y, 2, k) / (I * boxArea) - 1));
      }
      samples.push({ t: info.t, d: y[0] - cInf });
    }));
    integ.advanceTo(3 * tau);
    // first-mode rate from the deviation of the first cell between t = τ and 3τ
    const at = (t: number) => samples.reduce((best, s) => (Math.abs(s.t - t) < Math.abs(best.t - t) ? s : best));
    const s1 = at(tau), s2 = at(3 * tau);
    const rate = Math.log(s1.d / s2.d) / (s2.t - s1.t);
    const analytic = 1 / tau;
    // first-mode amplitude at the first cell centre: δ(t) = B₁ cos(π z₁/L) e^{−t/τ}, B₁ = −4 s L / π²… with δ = c − c∞ = s (z − L/2) at t = 0
    const s = ((1 - CELL.tplus) * I) / (F * D);
    const B1 = (-4 * s * L) / Math.PI ** 2;
    const amp = s1.d / (Math.cos((Math.PI * h) / (2 * L)) * Math.exp(-s1.t / tau));
    console.log(`transient: decay rate ${rate.toExponential(6)} 1/s vs π²D/L² = ${analytic.toExponential(6)} (rel. ${(rate / analytic - 1).toExponential(2)}); `
      + `amplitude ${amp.toExponential(4)} vs ${B1.toExponential(4)} (rel. ${(amp / B1 - 1).toExponential(2)}); `
      + `worst salt drift ${worstSalt.toExponential(2)}; worst plane-current error ${worstCurrent.toExponential(2)}`);
    // the grid's own first Neumann eigenvalue (4D/h²) sin²(πh/2L): the rest of the difference
    const discrete = ((4 * D) / (h * h)) * Math.sin((Math.PI * h) / (2 * L)) ** 2;
    console.log(`  vs the discrete eigenvalue (4D/h²) sin²(πh/2L) = ${discrete.toExponential(6)}: rel. ${(rate / discrete - 1).toExponential(2)}`);
    expect(Math.abs(rate / analytic - 1)).toBeLessThan(0.02);
    expect(Math.abs(rate / discrete - 1)).toBeLessThan(2e-4);
    expect(Math.abs(amp / B1 - 1)).toBeLessThan(0.02);
    expect(worstSalt).toBeLessThan(1e-9);
    expect(worstCurrent).toBeLessThan(1e-9);
  });

  it('porous medium with interface reactions of zero net current: salt conserved every step (pinned reference potential)', () => {
    const shape: Shape3 = [8, 8, 8];
    const h = 0.5e-6;
    const rng = new Rng(7);
    const phase = new Uint8Array(512);
    for (let v = 0; v < 512; v++) { const u = rng.uniform(); phase[v] = u < 0.3 ? 1 : u < 0.45 ? 2 : 0; }
    const model = new ElectrolyteModel(rveOf(shape, h, phase), {
      electrolyte: ConcentratedElectrolyte.fromMaterial(NYMAN), temperature: T, cbd: { porosity: 0.5 },
    });
    expect(model.surfaceFaceCount).toBeGreaterThan(50);
    expect(model.pinnedCells.length).toBeGreaterThan(0);
    // face currents ±j (x-dependent sign), corrected so that Σ j A = 0 exactly on every component
    const m = model.surfaceFaceCount;
    const j = new Float64Array(m);
    for (let k = 0; k < m; k++) j[k] = 20 * Math.sin(0.7 * k + 0.3);
    // zero net per connected set: subtract the area-weighted mean per pinned group (one group here if all connected)
    const groupOf = componentOfCells(model);
    const sumJA = new Map<number, number>(), sumA = new Map<number, number>();
    for (let k = 0; k < m; k++) {
      const g = groupOf[model.surfaceCell[k]];
      sumJA.set(g, (sumJA.get(g) ?? 0) + j[k] * model.surfaceArea[k]);
      sumA.set(g, (sumA.get(g) ?? 0) + model.surfaceArea[k]);
    }
    for (let k = 0; k < m; k++) { const g = groupOf[model.surfaceCell[k]]; j[k] -= sumJA.get(g)! / sumA.get(g)!; }
    expect(Math.abs(model.totalInterfaceCurrent(model.initialState(1000)))).toBeLessThan(1e-12 * 20 * model.surfaceArea.reduce((a, b) => a + b, 0));
    model.interfaceCurrent = j;
    const y0 = model.initialState(1000);
    const content0 = model.saltContent(y0);
    let worst = 0, steps = 0;
    const integ = new BdfIntegrator(model.odeProblem(), y0, 0, bdfOptions(model, 1e-3, 2, (_info, y) => {
      worst = Math.max(worst, Math.abs(model.saltContent(y) / content0 - 1));
      steps++;
    }));
    integ.advanceTo(0.02);
    const c = model.concentrations(integ.y);
    const spread = Math.max(...c) - Math.min(...c);
    console.log(`porous, zero net reaction: ${steps} steps, worst relative salt drift ${worst.toExponential(2)}, c spread ${spread.toExponential(3)} mol/m³, pinned cells ${model.pinnedCells.length}`);
    expect(spread).toBeGreaterThan(1e-3); // the reactions did move salt around
    expect(worst).toBeLessThan(1e-9);
  });
});

/** Connected sets of cells (through faces) → label. */
function componentOfCells(model: ElectrolyteModel): Int32Array {
  const parent = new Int32Array(model.n).map((_, i) => i);
  const find = (i: number): number => { while (parent[i] !== i) i = parent[i] = parent[parent[i]]; return i; };
  for (let f = 0; f < model.faceCount; f++) { const a = find(model.faceLow[f]), b = find(model.faceHigh[f]); if (a !== b) parent[Math.max(a, b)] = Math.min(a, b); }
  return parent.map((_, i) => find(i));
}

// ---------------------------------------------------------------------------------------------
describe('electrolyte: porous media, ohmic current at uniform c = κ · σ_eff of the tortuosity solver', () => {
  const shape: Shape3 = [12, 12, 14];
  const h = 0.5e-6;
  const N = shape[0] * shape[1] * shape[2];
  const c0 = 1000, dPhi = 0.01;
  const L = shape[2] * h, area = shape[0] * shape[1] * h * h;
  const kappa = ConcentratedElectrolyte.fromMaterial(NYMAN).evaluate(c0, T).kappa;
  const boundaries = [
    { kind: 'dirichlet' as const, axis: 'z' as const, side: 'low' as const, potential: dPhi, concentration: c0 },
    { kind: 'dirichlet' as const, axis: 'z' as const, side: 'high' as const, potential: 0, concentration: c0 },
  ];

  function run(phase: Uint8Array, sigma: Float64Array, cbd?: { porosity: number }) {
    const model = new ElectrolyteModel(rveOf(shape, h, phase), {
      electrolyte: ConcentratedElectrolyte.fromMaterial(NYMAN), temperature: T, cbd: cbd ?? null, boundaries,
    });
    const y = model.initialState(c0);
    model.solveSteady(y, { tol: 1e-13 });
    const currents = [];
    for (let k = -1; k < shape[2]; k++) currents.push(model.currentThroughPlane(y, 2, k));
    const tau = tortuosity({ shape, spacing: [h, h, h], conductivity: sigma, axis: 'z', referenceConductivity: 1, rtol: 1e-12 });
    const expected = (kappa * tau.effectiveConductivity * area * dPhi) / L;
    const c = model.concentrations(y);
    const cDev = Math.max(...c.map((v) => Math.abs(v - c0)));
    return { currents, expected, cDev, tau };
  }

  it('pore + solid (mask)', () => {
    const rng = new Rng(11);
    const phase = new Uint8Array(N), sigma = new Float64Array(N);
    for (let v = 0; v < N; v++) { phase[v] = rng.uniform() < 0.4 ? 1 : 0; sigma[v] = phase[v] === 0 ? 1 : 0; }
    const r = run(phase, sigma);
    expect(r.tau.percolating).toBe(true);
    const worst = Math.max(...r.currents.map((I) => Math.abs(I / r.expected - 1)));
    console.log(`porous (pore/solid): I = ${r.currents[0].toExponential(10)} A, κ·D_eff/D·AΔφ/L = ${r.expected.toExponential(10)} A (D_eff/D = ${r.tau.effectiveDiffusivityRatio.toFixed(6)}), worst plane rel. error ${worst.toExponential(2)}, max |c − c0| ${r.cDev.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-8);
    expect(r.cDev).toBeLessThan(1e-9 * c0);
  });

  it('pore + CBD (Bruggeman, ε = 0.5) + solid (conductivity per voxel)', () => {
    const rng = new Rng(12);
    const beta = bruggemanFactor(0.5);
    const phase = new Uint8Array(N), sigma = new Float64Array(N);
    for (let v = 0; v < N; v++) {
      const u = rng.uniform();
      phase[v] = u < 0.35 ? 1 : u < 0.6 ? 2 : 0;
      sigma[v] = phase[v] === 0 ? 1 : phase[v] === 2 ? beta : 0;
    }
    const r = run(phase, sigma, { porosity: 0.5 });
    const worst = Math.max(...r.currents.map((I) => Math.abs(I / r.expected - 1)));
    console.log(`porous (pore/CBD/solid): I = ${r.currents[0].toExponential(10)} A vs ${r.expected.toExponential(10)} A, worst plane rel. error ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-8);
  });
});

// ---------------------------------------------------------------------------------------------
describe('electrolyte: Jacobian and laws', () => {
  it('the CSR Jacobian matches central differences of f (c-dependent Nyman laws, Li-metal BV, Dirichlet, kinetics on interfaces)', () => {
    const shape: Shape3 = [4, 3, 5];
    const rng = new Rng(3);
    const phase = new Uint8Array(60);
    for (let v = 0; v < 60; v++) { const u = rng.uniform(); phase[v] = u < 0.2 ? 1 : u < 0.35 ? 2 : 0; }
    for (let v = 0; v < 12; v++) phase[v] = 0; // the Li-metal face is all pore
    const model = new ElectrolyteModel(rveOf(shape, 1e-6, phase), {
      electrolyte: ConcentratedElectrolyte.fromMaterial(NYMAN), temperature: 310, cbd: { porosity: 0.4, bruggemanExponent: 2 },
      boundaries: [
        { kind: 'li-metal', axis: 'z', side: 'low', material: LI, currentDensity: 30 },
        { kind: 'dirichlet', axis: 'z', side: 'high', potential: -0.05, concentration: 1100 },
        { kind: 'current', axis: 'x', side: 'low', currentDensity: 5 },
      ],
    });
    const kinetics: InterfaceKinetics = {
      evaluate(_t, c, phi, j, djdc, djdphi) {
        for (let k = 0; k < c.length; k++) {
          j[k] = 3e-3 * c[k] * Math.sinh(10 * (0.01 - phi[k]));
          if (djdc) djdc[k] = 3e-3 * Math.sinh(10 * (0.01 - phi[k]));
          if (djdphi) djdphi[k] = -30e-3 * c[k] * Math.cosh(10 * (0.01 - phi[k]));
        }
      },
    };
    model.interfaceCurrent = kinetics;
    const y = model.initialState(1000);
    for (let i = 0; i < model.n; i++) { y[2 * i] = 1000 + 300 * Math.sin(i); y[2 * i + 1] = 0.02 * Math.cos(1.7 * i); }
    y[2 * model.n] = 0.03;
    const J = model.jacobian(y, 0).toDense();
    const nU = model.unknowns;
    const fp = new Float64Array(nU), fm = new Float64Array(nU);
    let worst = 0;
    for (let col = 0; col < nU; col++) {
      const d = col < 2 * model.n && col % 2 === 0 ? 1e-3 : 1e-7;
      const yp = Float64Array.from(y), ym = Float64Array.from(y);
      yp[col] += d; ym[col] -= d;
      model.rhs(yp, 0, fp); model.rhs(ym, 0, fm);
      let colMax = 0;
      for (let r = 0; r < nU; r++) colMax = Math.max(colMax, Math.abs((fp[r] - fm[r]) / (2 * d)));
      for (let r = 0; r < nU; r++) {
        const fd = (fp[r] - fm[r]) / (2 * d);
        worst = Math.max(worst, Math.abs(J[r][col] - fd) / Math.max(colMax, 1e-300));
      }
    }
    expect(worst).toBeLessThan(1e-5);
  });

  it('laws: κ_D = κ (2RT/F)(1 − t₊) TDF; Bruggeman ε^1.5; Nyman values at 1 M', () => {
    const el = ConcentratedElectrolyte.fromMaterial(NYMAN);
    const s = el.evaluate(1000, 298.15);
    expect(s.kappa).toBeCloseTo(0.1297 - 2.51 + 3.329, 10);
    expect(s.diffusivity).toBeCloseTo(8.794e-11 - 3.972e-10 + 4.862e-10, 20);
    expect(s.transference).toBe(0.2594);
    expect(s.nu).toBeCloseTo((2 * GAS_CONSTANT * 298.15 / F) * (1 - 0.2594), 14);
    const dk = (el.evaluate(1000.01, 298.15).kappa - el.evaluate(999.99, 298.15).kappa) / 0.02;
    expect(Math.abs(s.dKappa / dk - 1)).toBeLessThan(1e-6);
    expect(el.diffusionalConductivity(1000, 298.15).value).toBeCloseTo(s.kappa * s.nu, 14);
    expect(bruggemanFactor(0.36)).toBeCloseTo(0.216, 14);
  });
});

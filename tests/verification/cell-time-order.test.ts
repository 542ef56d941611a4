/**
 * Time convergence of the coupled half cell (src/assembly/cell-model.ts) under fixed-step BDF1
 * and BDF2 (src/time/bdf.ts, `adaptive: false`), driven directly as src/sim/run.ts does
 * (runScenario is always adaptive).
 *
 * Set-up: a hand-built 4 × 4 × 8 RVE (0.5 µm voxels) with two box-shaped particles on the
 * collector (2×2×4 and 2×2×3 voxels) in pure electrolyte, Li metal at the far face, the shipped
 * NMC811 (OKane2022) / LiPF6 (Nyman2008) / Li (Xu2019) laws; constant charge current (3C).
 * Switching the current on starts an initial layer in the electrolyte (τ ≈ L²/(π² D_e) ≈ 5 ms)
 * that no step studied here resolves; it would add a step-size-dependent O(τ) error and hide the
 * order. So the current is first applied for 2 s with the adaptive integrator at rtol 1e-9 (the
 * layer decays as e^{−400}), and the convergence study starts from that state with the same
 * current (no discontinuity): over T = 40 s the particles' diffusion modes (τ ≈ 10–60 s) and the
 * non-linear OCP drive a smooth solution.
 *
 * Errors at t = T against a reference by BDF2 with Δt = T/640 (its own error is ~1/256 of the
 * finest BDF2 run, Δt = T/40, and far below every BDF1 run), in the max norm over
 * c_s / c_max, c_e / c_e0 and V / (1 V). Measured orders are log2(e(Δt)/e(Δt/2)).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { CellModel } from '../../src/assembly/cell-model.js';
import { CellPreconditioner } from '../../src/assembly/cell-preconditioner.js';
import type { CsrMatrix } from '../../src/linalg/csr-matrix.js';
import type { PhaseDef, Rve } from '../../src/mesh/rve.js';
import { activeMaterialLaws } from '../../src/physics/active-material.js';
import { ConcentratedElectrolyte } from '../../src/physics/concentrated-electrolyte.js';
import { FARADAY } from '../../src/physics/constants.js';
import { compileMaterial, type Material } from '../../src/physics/material-law.js';
import { BdfIntegrator, type BdfOptions } from '../../src/time/bdf.js';

const MATERIALS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../materials');
const shipped = (id: string): Material => compileMaterial(YAML.parse(readFileSync(path.join(MATERIALS, `${id}.yaml`), 'utf8')), `materials/${id}.yaml`);
const T = 298.15;
const CE0 = 1000;

const PHASES: PhaseDef[] = [
  { id: 0, name: 'pore', role: 'electrolyte', labels: [0] },
  { id: 1, name: 'NMC', role: 'active', labels: [1] },
];

function twoParticleRve(): Rve {
  const shape: [number, number, number] = [4, 4, 8];
  const h = 0.5e-6;
  const N = 4 * 4 * 8;
  const phase = new Uint8Array(N), particle = new Int32Array(N);
  for (let z = 0; z < 8; z++) for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) {
    const v = x + 4 * (y + 4 * z);
    if (x < 2 && y < 2 && z < 4) { phase[v] = 1; particle[v] = 1; }
    if (x >= 2 && y >= 2 && z < 3) { phase[v] = 1; particle[v] = 2; }
  }
  return { shape, voxelSize: [h, h, h], phase, phases: PHASES, thicknessAxis: 2, separatorSide: 'high', particle };
}

function buildModel(): CellModel {
  return new CellModel(twoParticleRve(), {
    active: activeMaterialLaws(shipped('NMC811_OKane2022'), T),
    electrolyte: ConcentratedElectrolyte.fromMaterial(shipped('LiPF6_EC_EMC_Nyman2008')).tabulated(T),
    counterElectrode: shipped('Li_metal_Xu2019'), temperature: T,
  });
}

/**
 * Newton to ‖G‖ ≤ 1e-11 S (the round-off floor of the conduction rows is ~1e-9 of the currents
 * here, see tests/unit/assembly/cell-model.test.ts), linear solves to 1e-11: the solution noise
 * is ≲ 1e-11 relative, below the smallest BDF2 error measured (~1e-8).
 */
function options(model: CellModel, dt: number, order: 1 | 2): BdfOptions {
  return {
    dt, order, adaptive: false,
    newton: { maxIterations: 30, residualRtol: 1e-11, residualAtol: 0, updateTol: 0 },
    linear: { method: 'gmres', rtol: 1e-11, maxIterations: 500, restart: 100, preconditioner: (A) => new CellPreconditioner(model, A as CsrMatrix, { cycle: 'V' }) },
  };
}

/** Fixed steps of dt from y0 over [0, tEnd]; fails if any step was shortened (Newton failure). */
function integrate(model: CellModel, y0: Float64Array, dt: number, order: 1 | 2, tEnd: number): Float64Array {
  const integ = new BdfIntegrator(model.odeProblem(), y0, 0, options(model, dt, order));
  const steps = Math.round(tEnd / dt);
  for (let s = 0; s < steps; s++) {
    const info = integ.step(tEnd);
    if (info.newtonFailures > 0 || Math.abs(info.dt - dt) > 1e-12 * dt) throw new Error(`step ${s + 1}: dt ${info.dt} instead of ${dt} (${info.newtonFailures} Newton failures)`);
  }
  if (Math.abs(integ.t - tEnd) > 1e-9) throw new Error(`ended at ${integ.t}, not ${tEnd}`);
  return Float64Array.from(integ.y);
}

describe('coupled half cell: fixed-step BDF1 / BDF2 time convergence', () => {
  const model = buildModel();
  const cMax = model.active.cMax;
  const tEnd = 40;
  const capacity = FARADAY * cMax * 0.6 * model.solid.totalVolume;
  const I = (3 * capacity) / 3600;

  /** Error components of y against the reference. */
  const errors = (y: Float64Array, ref: Float64Array) => {
    let cs = 0, ce = 0;
    for (let i = 0; i < model.nS; i++) cs = Math.max(cs, Math.abs(y[i] - ref[i]) / cMax);
    for (let i = 0; i < model.nE; i++) ce = Math.max(ce, Math.abs(y[model.oE + 2 * i] - ref[model.oE + 2 * i]) / CE0);
    const V = Math.abs(y[model.oV] - ref[model.oV]);
    return { cs, ce, V, all: Math.max(cs, ce, V) };
  };

  it('measured orders ≈ 1 (BDF1) and ≈ 2 (BDF2)', () => {
    const t0 = performance.now();
    model.control = { mode: 'current', current: I };
    // settle the initial layer (see the header)
    // (error test on the concentrations only, as src/sim/run.ts: the potentials are algebraic)
    const atol = new Float64Array(model.n).fill(1e30);
    atol.fill(1e-9 * cMax, 0, model.nS);
    for (let i = 0; i < model.nE; i++) atol[model.oE + 2 * i] = 1e-9 * CE0;
    const pre = new BdfIntegrator(model.odeProblem(), model.initialState(0.6, CE0), 0, {
      ...options(model, 1e-5, 2), adaptive: true, rtol: 1e-9, atol, dtMax: 0.1, dtMin: 1e-9,
    });
    pre.advanceTo(2);
    const yStart = Float64Array.from(pre.y);
    const ref = integrate(model, yStart, tEnd / 640, 2, tEnd);
    // the solution moves: V and the particles change by much more than the errors measured below
    expect(Math.abs(ref[model.oV] - yStart[model.oV])).toBeGreaterThan(1e-3);

    const dts = [tEnd / 5, tEnd / 10, tEnd / 20, tEnd / 40];
    const report: string[] = [];
    const measured: Record<number, number[]> = {};
    for (const order of [1, 2] as const) {
      const e = dts.map((dt) => errors(integrate(model, yStart, dt, order, tEnd), ref));
      const orders = [1, 2, 3].map((k) => Math.log2(e[k - 1].all / e[k].all));
      measured[order] = orders;
      const comp = (key: 'cs' | 'ce' | 'V') => [1, 2, 3].map((k) => Math.log2(e[k - 1][key] / e[k][key]).toFixed(2)).join(', ');
      report.push(`BDF${order}: errors ${e.map((x) => x.all.toExponential(2)).join(', ')} at dt = ${dts.join(', ')} s; orders ${orders.map((o) => o.toFixed(3)).join(', ')} (c_s ${comp('cs')}; c_e ${comp('ce')}; V ${comp('V')})`);
      // errors well above the solver noise (≲ 1e-10), so that the orders mean something
      for (const x of e) expect(x.all).toBeGreaterThan(1e-8);
    }
    console.log(`${report.join('\n')}\n(${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    // orders 1 and 2; the bands leave room for the pre-asymptotic coarse pairs (BDF2 measured
    // 2.31, 2.12, …: the O(Δt³) term still shows at Δt = 8 s), the finest pair is held closer
    for (const o of measured[1]) { expect(o).toBeGreaterThan(0.8); expect(o).toBeLessThan(1.3); }
    for (const o of measured[2]) { expect(o).toBeGreaterThan(1.7); expect(o).toBeLessThan(2.4); }
    expect(Math.abs(measured[1][2] - 1)).toBeLessThan(0.1);
    expect(Math.abs(measured[2][2] - 2)).toBeLessThan(0.15);
  });
});

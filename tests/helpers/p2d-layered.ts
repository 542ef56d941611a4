/**
 * The layered "1D-like" RVE whose exact continuum model is the P2D model with SLAB particles,
 * and the matching P2D parameters, for tests/verification/p2d-reference.test.ts.
 *
 * Geometry (thickness axis z, separator side low, collector at the high-z face; y one voxel,
 * lateral box faces are no-flux = symmetry planes):
 *
 *        x = 0          x = nP·h                x = (nP+nC)·h
 *   z=0  |---- inert wall ----|---- electrolyte ----|   separator region, L_sep (Li metal at z = 0)
 *        |  (role 'ignore')   |     channel         |
 *   L_sep|====================|---------------------|
 *        |   active plate     |   electrolyte       |   electrode region, L_pos
 *        |   (half-thickness  |   channel           |
 *        |    ℓ = nP·h)       |                     |
 *   L    |____________________|_____________________|   current collector (box face)
 *
 * - Every plate is a slab of half-thickness ℓ = nP h: the x = 0 box face is its symmetry plane,
 *   its x = ℓ face reacts with the channel. Specific area a = 1/(nx h) = ε_s/ℓ.
 * - Straight channels: the electrolyte transport factor is β_e = ε = nC/nx in both regions, and
 *   the plates conduct electrons straight to the collector: β_s = ε_s = nP/nx.
 * - The inert wall (role 'ignore': no electrolyte, no electrons, no reaction) caps the plate
 *   tip, so no reaction face faces the separator, and makes the separator a straight channel of
 *   porosity ε (β = ε).
 * - Each z-layer of a plate is labelled as its own particle, so Li does not diffuse ALONG the
 *   plate (z): like the P2D particles, the plate layers exchange Li only through the
 *   electrolyte (axial solid diffusion is a different model, not a discretisation error; it is
 *   small here anyway, ε_s D_s Δc/L ≪ I/F).
 * - Li metal: only the channel cross-section (area fraction ε) of the z = 0 face touches the
 *   metal, so the P2D foil, whose current is per total area, has i₀,eff = ε i₀.
 *
 * Laws: the 3D run compiles the material YAMLs through buildCellModel (activeMaterialLaws,
 * ConcentratedElectrolyte.fromMaterial(...).tabulated(T), liMetalKinetics); the P2D reference
 * is given the SAME law objects as callbacks. What is independent is the discretisation and the
 * solver, not the constitutive laws.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import type { Rve } from '../../src/mesh/rve.js';
import { activeMaterialLaws, type ActiveMaterialLaws } from '../../src/physics/active-material.js';
import { ConcentratedElectrolyte, emptyElectrolyteState, liMetalKinetics } from '../../src/physics/concentrated-electrolyte.js';
import { FARADAY } from '../../src/physics/constants.js';
import { compileMaterial, type Material } from '../../src/physics/material-law.js';
import type { RunRecorder, RunSummary, Snapshot, TimeseriesRow } from '../../src/sim/run-recorder.js';
import type { ScenarioSpec } from '../../src/sim/scenario-spec.js';
import type { P2dParams } from './p2d-reference.js';

const MATERIALS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../materials');

export function loadMaterial(id: string): Material {
  const file = path.join(MATERIALS, `${id}.yaml`);
  return compileMaterial(YAML.parse(readFileSync(file, 'utf8')), file);
}

export interface LayeredGeometry {
  /** Voxel edge [m]. */
  h: number;
  /** Plate half-thickness and channel width in voxels (x). */
  nPlate: number;
  nChannel: number;
  /** Separator and electrode thickness in voxels (z). */
  nSep: number;
  nPos: number;
}

export interface LayeredCase {
  activeId: string;
  electrolyteId: string;
  counterId: string;
  temperature: number;
  /** Initial stoichiometry of the plates and salt concentration. */
  x0: number;
  ce0: number;
}

export const DEFAULT_CASE: LayeredCase = {
  activeId: 'NMC532_Mohtat2020',
  electrolyteId: 'LiPF6_EC_EMC_Nyman2008',
  counterId: 'Li_metal_Xu2019',
  temperature: 298.15,
  x0: 0.85,
  ce0: 1000,
};

export interface LayeredMaterials {
  active: Material;
  electrolyte: Material;
  counter: Material;
  laws: ActiveMaterialLaws;
  electrolyteLaws: ConcentratedElectrolyte;
}

export function layeredMaterials(c: LayeredCase = DEFAULT_CASE): LayeredMaterials {
  const active = loadMaterial(c.activeId), electrolyte = loadMaterial(c.electrolyteId), counter = loadMaterial(c.counterId);
  return {
    active, electrolyte, counter,
    // the same objects buildCellModel makes (src/sim/run.ts)
    laws: activeMaterialLaws(active, c.temperature),
    electrolyteLaws: ConcentratedElectrolyte.fromMaterial(electrolyte).tabulated(c.temperature),
  };
}

const PHASE = { wall: 0, active: 1, electrolyte: 2 } as const;

/** The layered RVE (see the module comment); voxel index x + nx (y + ny z), ny = 1. */
export function layeredRve(g: LayeredGeometry): Rve {
  const nx = g.nPlate + g.nChannel, ny = 1, nz = g.nSep + g.nPos;
  const phase = new Uint8Array(nx * ny * nz);
  const particle = new Int32Array(nx * ny * nz);
  for (let z = 0; z < nz; z++) for (let x = 0; x < nx; x++) {
    const v = x + nx * z;
    if (x >= g.nPlate) phase[v] = PHASE.electrolyte;
    else if (z < g.nSep) phase[v] = PHASE.wall;
    else { phase[v] = PHASE.active; particle[v] = 1 + (z - g.nSep); }
  }
  return {
    shape: [nx, ny, nz], voxelSize: [g.h, g.h, g.h], phase,
    phases: [
      { id: PHASE.wall, name: 'wall', role: 'ignore', labels: [] },
      { id: PHASE.active, name: 'plate', role: 'active', labels: [] },
      { id: PHASE.electrolyte, name: 'pore', role: 'electrolyte', labels: [] },
    ],
    thicknessAxis: 2, separatorSide: 'low', particle,
  };
}

export function layeredFractions(g: LayeredGeometry): { epsS: number; eps: number; ell: number; lSep: number; lPos: number } {
  const nx = g.nPlate + g.nChannel;
  return { epsS: g.nPlate / nx, eps: g.nChannel / nx, ell: g.nPlate * g.h, lSep: g.nSep * g.h, lPos: g.nPos * g.h };
}

/** The nominal stoichiometry window that defines 1C. */
export const STOICHIOMETRY_WINDOW = 0.6;

/** 1C current density [A/m²] of the layered electrode: it moves the plates' stoichiometry by `dx` in one hour. */
export function oneCDensity(g: LayeredGeometry, cMax: number, dx = STOICHIOMETRY_WINDOW): number {
  const f = layeredFractions(g);
  return (FARADAY * cMax * f.epsS * f.lPos * dx) / 3600;
}

/** The P2D parameters (slab particles) that are the exact continuum model of `layeredRve(g)`. */
export function layeredP2dParams(g: LayeredGeometry, m: LayeredMaterials, c: LayeredCase = DEFAULT_CASE): P2dParams {
  const f = layeredFractions(g);
  const T = c.temperature;
  const el = m.electrolyteLaws;
  const st = emptyElectrolyteState();
  const li = liMetalKinetics(m.counter);
  if (li.ocp !== 0) throw new Error('layeredP2dParams: the P2D foil has U = 0');
  const laws = m.laws;
  const D = laws.diffusivity;
  return {
    temperature: T,
    electrolyte: {
      c0: c.ce0,
      conductivity: (ce) => el.evaluate(ce, T, st).kappa,
      diffusivity: (ce) => el.evaluate(ce, T, st).diffusivity,
      transference: (ce) => el.evaluate(ce, T, st).transference,
      thermodynamicFactor: (ce) => el.evaluate(ce, T, st).thermodynamicFactor,
    },
    separator: { thickness: f.lSep, porosity: f.eps, betaE: f.eps },
    positive: {
      thickness: f.lPos, porosity: f.eps, activeFraction: f.epsS, betaE: f.eps, betaS: f.epsS,
      conductivity: laws.conductivity,
      particle: { shape: 'slab', size: f.ell, diffusivity: (cs) => D.value(cs, T), cMax: laws.cMax, c0: c.x0 * laws.cMax },
      ocp: (x) => laws.ocp(x),
      exchangeCurrent: (ce, cs) => laws.i0(ce, cs),
      alphaA: laws.alphaA, alphaC: laws.alphaC,
    },
    lithium: { exchangeCurrent: (ce) => f.eps * li.i0(ce, T), alphaA: li.alphaA, alphaC: li.alphaC },
  };
}

export interface LayeredRunOptions {
  /** Constant-current charge segments (C-rate of the nominal window, duration [s]), run one after the other. */
  steps: { cRate: number; duration: number }[];
  /** Land on these times exactly (snapshot times) so that they can be compared without interpolation. */
  times?: number[];
  /**
   * BDF order and the integrator's relative tolerance, largest and first step. Keep maxStep ≲ 2 s:
   * with longer steps the field-split preconditioner's dense Cholesky coarse solve of the salt
   * block fails on this RVE (it reads only the lower triangle of a slightly non-symmetric matrix
   * whose near-constant mode is regularised only by εV/Δt; see docs/validation/p2d-reference.md).
   */
  order?: 1 | 2;
  rtol?: number;
  maxStep?: number;
  initialStep?: number;
}

/** A ScenarioSpec for runScenario on the layered RVE (constant-current charge segments). */
export function layeredScenarioSpec(g: LayeredGeometry, m: LayeredMaterials, o: LayeredRunOptions, c: LayeredCase = DEFAULT_CASE): ScenarioSpec {
  const rve = layeredRve(g);
  return {
    name: 'p2d-layered', source: 'tests/helpers/p2d-layered.ts', rve, rveOrigin: { layered: g },
    temperature: c.temperature,
    electrode: {
      polarity: 'positive',
      active: [{ phaseId: PHASE.active, material: m.active }],
      // the nominal window x0 → x0 − STOICHIOMETRY_WINDOW defines 1C (= oneCDensity)
      stoichiometry: { soc0: c.x0, soc100: c.x0 - STOICHIOMETRY_WINDOW },
      initialSoc: 0,
    },
    electrolyte: { material: m.electrolyte, initialConcentration: c.ce0 },
    counterElectrode: { kind: 'li-metal', material: m.counter },
    protocol: o.steps.map((st) => ({
      kind: 'current' as const, direction: 'charge' as const, current: { kind: 'c-rate' as const, value: st.cRate },
      until: [{ kind: 'time' as const, value: st.duration }], text: `Charge at ${st.cRate}C for ${st.duration} s`, source: 'test',
    })),
    solver: {
      linear: { name: 'direct-ish', method: 'gmres', rtol: 1e-8, maxIterations: 400, restart: 100, preconditioner: 'multigrid' },
      time: { order: o.order ?? 2, initialStep: o.initialStep ?? 0.05, maxStep: o.maxStep ?? 5, minStep: 1e-6, rtol: o.rtol ?? 1e-5, newtonMaxIterations: 12 },
    },
    output: { snapshotTimes: o.times ?? [], snapshotEvery: 0, snapshotSocs: [], snapshotAtStepEnds: false, plot: false },
    resolved: {},
  };
}

/** In-memory RunRecorder. */
export class MemoryRecorder implements RunRecorder {
  rows: TimeseriesRow[] = [];
  snapshots: Snapshot[] = [];
  summary?: RunSummary;
  async start(): Promise<void> { /* nothing */ }
  timeseries(row: TimeseriesRow): void { this.rows.push(row); }
  async snapshot(s: Snapshot): Promise<void> { this.snapshots.push(s); }
  async finish(summary: RunSummary): Promise<void> { this.summary = summary; }
}

/**
 * Per electrode layer (z index from the separator side): the 3D model's total corrected reaction
 * area of the layer over its nominal (voxel-face) area. 1 except near the plate tip, where the
 * staircase estimator of src/mesh/surface.ts sees the tip corner.
 */
export function layerAreaFactors(model: { fS: Int32Array; fA: Float64Array; solid: { voxelOfCell: Int32Array } }, g: LayeredGeometry): Float64Array {
  const nx = g.nPlate + g.nChannel;
  const out = new Float64Array(g.nPos);
  for (let k = 0; k < model.fS.length; k++) {
    const v = model.solid.voxelOfCell[model.fS[k]];
    out[Math.floor(v / nx) - g.nSep] += model.fA[k];
  }
  for (let l = 0; l < g.nPos; l++) out[l] /= g.h * g.h;
  return out;
}

/** areaFactor(x) for the P2D: the mean of the per-layer factors over the control volume [x ± hp/2] of a node. */
export function areaFactorFunction(factors: Float64Array, g: LayeredGeometry, nxPos: number): (x: number) => number {
  const { lSep, lPos } = layeredFractions(g);
  const hp = lPos / nxPos;
  return (x) => {
    const a = Math.max(lSep, x - hp / 2), b = Math.min(lSep + lPos, x + hp / 2);
    let s = 0;
    for (let l = 0; l < g.nPos; l++) {
      const lo = Math.max(a, lSep + l * g.h), hi = Math.min(b, lSep + (l + 1) * g.h);
      if (hi > lo) s += factors[l] * (hi - lo);
    }
    return s / (b - a);
  };
}

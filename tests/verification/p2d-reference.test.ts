/**
 * P2D (Newman/DFN) reference and the 3D voxel half cell on a layered RVE.
 *
 * Part A verifies the independent P2D solver of tests/helpers/p2d-reference.ts itself:
 * Li conservation, self-convergence in x, r and t with measured orders, and a closed-form limit
 * (fast electrolyte and electronic transport: the cell reduces to identical slab particles under a
 * uniform flux, whose surface concentration has a series solution).
 *
 * Part B runs the 3D voxel model (runScenario) on the layered RVE of tests/helpers/p2d-layered.ts,
 * whose exact continuum model is P2D with SLAB particles, and compares the voltage and the
 * depth profile of the mean stoichiometry with the P2D. See docs/validation/p2d-reference.md for
 * the geometry, the tolerances and their justification, and the measured numbers.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { FARADAY, GAS_CONSTANT } from '../../src/physics/constants.js';
import { runScenario, type RunResult } from '../../src/sim/run.js';
import { solveP2d, type P2dParams, type P2dProtocol, type P2dResult } from '../helpers/p2d-reference.js';
import {
  DEFAULT_CASE, MemoryRecorder, areaFactorFunction, layerAreaFactors, layeredMaterials, layeredP2dParams, layeredScenarioSpec,
  oneCDensity, type LayeredGeometry, type LayeredMaterials,
} from '../helpers/p2d-layered.js';

const mats: LayeredMaterials = layeredMaterials();
const T = DEFAULT_CASE.temperature;
const fRT = FARADAY / (GAS_CONSTANT * T);

/** Observed order from three successive refinements by 2 (differences of a scalar). */
function orders(values: number[]): { diffs: number[]; orders: number[] } {
  const diffs: number[] = [];
  for (let i = 0; i + 1 < values.length; i++) diffs.push(Math.abs(values[i + 1] - values[i]));
  const ords: number[] = [];
  for (let i = 0; i + 1 < diffs.length; i++) ords.push(Math.log2(diffs[i] / diffs[i + 1]));
  return { diffs, orders: ords };
}

/**
 * A generic cell for Part A (not the layered one): 20 µm separator (ε 0.5), 70 µm electrode
 * (ε 0.3, ε_s 0.6, Bruggeman 1.5 for β_e and β_s), NMC532 spheres of 4 µm, Nyman2008 electrolyte,
 * Li metal (Xu2019) with i₀/4.
 */
function genericParams(shape: 'sphere' | 'slab' = 'sphere'): P2dParams {
  const base = layeredP2dParams({ h: 1e-6, nPlate: 2, nChannel: 2, nSep: 10, nPos: 40 }, mats);
  return {
    ...base,
    separator: { thickness: 20e-6, porosity: 0.5 },
    positive: { ...base.positive, thickness: 70e-6, porosity: 0.3, activeFraction: 0.6, betaE: undefined, betaS: undefined, particle: { ...base.positive.particle, shape, size: 4e-6 } },
    lithium: { ...base.lithium, exchangeCurrent: (ce: number) => 0.5 * (base.lithium.exchangeCurrent as (c: number, T: number) => number)(ce, T) },
  };
}
/** 1C of the generic cell for the window 0.6. */
const genericOneC = (FARADAY * mats.laws.cMax * 0.6 * 70e-6 * 0.6) / 3600;

describe('Part A: the P2D reference solver', () => {
  it('conserves Li to round-off over a two-rate charge (3C then 1C)', () => {
    const p = genericParams();
    const proto: P2dProtocol = { current: 3 * genericOneC, duration: 60, then: [{ current: genericOneC, duration: 60 }] };
    const r = solveP2d(p, proto, { nxSep: 4, nxPos: 12, nr: 8, dt: 2, scheme: 'bdf2' });
    expect(r.t.at(-1)).toBeCloseTo(120, 9);
    let q = 0, worst = 0;
    for (let k = 1; k < r.t.length; k++) {
      q += ((r.t[k] <= 60 + 1e-9 ? 3 : 1) * genericOneC * (r.t[k] - r.t[k - 1])) / FARADAY;
      const dLi = r.liElectrolyteChange[k] + r.liSolidChange[k];
      worst = Math.max(worst, Math.abs(dLi + q) / q);
    }
    expect(worst).toBeLessThan(1e-10);
    // non-trivial: the solid lost q, the salt profile is not flat
    expect(-r.liSolidChange.at(-1)! / q).toBeCloseTo(1, 8);
    const ce = r.final.ce;
    expect(Math.max(...ce) - Math.min(...ce)).toBeGreaterThan(50);
  });

  it('converges at second order in x (self-convergence, nr and dt fixed)', () => {
    const p = genericParams();
    const proto: P2dProtocol = { current: 3 * genericOneC, duration: 60 };
    const V: number[] = [], ceL: number[] = [];
    for (const k of [1, 2, 4, 8]) {
      const r = solveP2d(p, proto, { nxSep: 2 * k, nxPos: 6 * k, nr: 6, dt: 4, scheme: 'bdf2' });
      V.push(r.V.at(-1)!);
      ceL.push(r.final.ce.at(-1)!);
    }
    const ov = orders(V), oc = orders(ceL);
    console.log(`P2D x-convergence: |ΔV| = ${ov.diffs.map((d) => d.toExponential(2)).join(', ')} V, orders ${ov.orders.map((o) => o.toFixed(2)).join(', ')}; `
      + `|Δc_e(L)| = ${oc.diffs.map((d) => d.toExponential(2)).join(', ')} mol/m³, orders ${oc.orders.map((o) => o.toFixed(2)).join(', ')}`);
    for (const o of [...ov.orders, ...oc.orders]) expect(o).toBeGreaterThan(1.8);
    for (const o of [...ov.orders, ...oc.orders]) expect(o).toBeLessThan(2.3);
    expect(ov.diffs[0]).toBeGreaterThan(1e-5); // the x grid matters in this case
  });

  it('converges at second order in r, for spheres and slabs', () => {
    for (const shape of ['sphere', 'slab'] as const) {
      const p = genericParams(shape);
      const V: number[] = [];
      for (const nr of [4, 8, 16, 32]) {
        const r = solveP2d(p, { current: 3 * genericOneC, duration: 60 }, { nxSep: 2, nxPos: 6, nr, dt: 4, scheme: 'bdf2' });
        V.push(r.V.at(-1)!);
      }
      const o = orders(V);
      console.log(`P2D r-convergence (${shape}): |ΔV| = ${o.diffs.map((d) => d.toExponential(2)).join(', ')} V, orders ${o.orders.map((x) => x.toFixed(2)).join(', ')}`);
      for (const x of o.orders) { expect(x).toBeGreaterThan(1.8); expect(x).toBeLessThan(2.3); }
    }
  });

  it('converges in time at order 2 (BDF2) and 1 (backward Euler)', () => {
    const p = genericParams();
    for (const [scheme, lo, hi] of [['bdf2', 1.8, 2.6], ['be', 0.85, 1.2]] as const) {
      const V: number[] = [];
      for (const dt of [2, 1, 0.5, 0.25]) {
        const r = solveP2d(p, { current: 3 * genericOneC, duration: 60 }, { nxSep: 2, nxPos: 6, nr: 4, dt, scheme });
        V.push(r.V.at(-1)!);
      }
      const o = orders(V);
      console.log(`P2D t-convergence (${scheme}): |ΔV| = ${o.diffs.map((d) => d.toExponential(2)).join(', ')} V, orders ${o.orders.map((x) => x.toFixed(2)).join(', ')}`);
      for (const x of o.orders) { expect(x).toBeGreaterThan(lo); expect(x).toBeLessThan(hi); }
    }
  });

  it('fast-transport limit: matches the closed-form slab solution, error O(Δr²)', () => {
    // electrolyte and solid conduction made ~1e4× faster: c_e and φ_e, φ_s uniform, j = I/(a L)
    // uniform; every slab sees the constant flux N = j/F, whose surface concentration is
    //   c_surf = c0 − (N ℓ / D) [τ + 1/3 − (2/π²) Σ_n exp(−n²π²τ)/n²],  τ = D t/ℓ²
    // and V = U(c_surf/c_max) + (2/f) asinh(j / 2i₀(c_e0, c_surf)) + (2/f) asinh(I / 2i₀,Li).
    const base = layeredP2dParams({ h: 1e-6, nPlate: 2, nChannel: 2, nSep: 10, nPos: 40 }, mats);
    const ell = 2e-6, L = 40e-6, epsS = 0.5;
    const D = mats.laws.diffusivity.value(0.5 * mats.laws.cMax, T);
    expect(mats.laws.diffusivity.value(0.1 * mats.laws.cMax, T)).toBe(D); // NMC532_Mohtat2020: D_s(c) constant
    const i0Li = 50;
    const p: P2dParams = {
      ...base,
      electrolyte: { ...base.electrolyte, conductivity: 1e4, diffusivity: 1e-5 },
      separator: { thickness: 10e-6, porosity: 0.5, betaE: 0.5 },
      positive: { ...base.positive, thickness: L, porosity: 0.5, activeFraction: epsS, betaE: 0.5, betaS: 0.5, conductivity: 1e8, particle: { ...base.positive.particle, shape: 'slab', size: ell } },
      lithium: { ...base.lithium, exchangeCurrent: i0Li },
    };
    expect(base.positive.alphaA).toBe(0.5);
    const I = 2 * (FARADAY * mats.laws.cMax * epsS * L * 0.6) / 3600;
    const a = epsS / ell, j = I / (a * L), N = j / FARADAY;
    const c0 = p.positive.particle.c0, cMax = mats.laws.cMax;
    const exact = (t: number) => {
      const tau = (D * t) / ell ** 2;
      let s = 0;
      for (let n = 1; n <= 200; n++) s += Math.exp(-n * n * Math.PI * Math.PI * tau) / (n * n);
      const cs = c0 - ((N * ell) / D) * (tau + 1 / 3 - (2 / Math.PI ** 2) * s);
      return p.positive.ocp(cs / cMax, T) + (2 / fRT) * Math.asinh(j / (2 * p.positive.exchangeCurrent(1000, cs, cMax, T))) + (2 / fRT) * Math.asinh(I / (2 * i0Li));
    };
    const errs: number[] = [];
    for (const nr of [4, 8, 16, 32]) {
      const r = solveP2d(p, { current: I, duration: 300 }, { nxSep: 2, nxPos: 4, nr, dt: 1, scheme: 'bdf2' });
      let e = 0;
      for (let k = 0; k < r.t.length; k++) if (r.t[k] >= 20) e = Math.max(e, Math.abs(r.V[k] - exact(r.t[k])));
      errs.push(e);
    }
    const ordr = errs.slice(1).map((e, i) => Math.log2(errs[i] / e));
    console.log(`P2D vs closed-form slab (t ≥ 20 s): max |ΔV| = ${errs.map((e) => (e * 1e3).toFixed(4)).join(', ')} mV for nr = 4, 8, 16, 32; orders ${ordr.map((x) => x.toFixed(2)).join(', ')}`);
    // the error is the O(Δr²) of the particle grid (orders ≈ 2): 0.05 mV is ~2× the nr = 32 value
    expect(errs[3]).toBeLessThan(0.05e-3);
    for (const x of ordr) expect(x).toBeGreaterThan(1.8);
  });
});

describe('Part B: 3D voxel model on the layered RVE vs P2D with slab particles', () => {
  // voxel refinement k: h = 1/k µm, plate half-thickness ℓ = 2 µm (2k voxels), channel 2 µm,
  // separator 10 µm, electrode 40 µm; ε = ε_s = 0.5. Grids 4×1×50 (k = 1) and 8×1×100 (k = 2).
  const geometry = (k: number): LayeredGeometry => ({ h: 1e-6 / k, nPlate: 2 * k, nChannel: 2 * k, nSep: 10 * k, nPos: 40 * k });
  const levels = [1, 2];
  // 1C for 300 s, then 2C for 150 s (one run, the rate jumps at 300 s)
  const steps = [{ cRate: 1, duration: 300 }, { cRate: 2, duration: 150 }];
  const times: number[] = [];
  for (let t = 10; t <= 450; t += 10) times.push(t);
  const I1 = oneCDensity(geometry(1), mats.laws.cMax); // the same for every k
  const p2dProtocol: P2dProtocol = { current: I1, duration: 300, then: [{ current: 2 * I1, duration: 150 }] };

  interface Level { g: LayeredGeometry; res: RunResult; rec: MemoryRecorder; V: number[]; seconds: number; matchedSeconds: number; areaFactors: Float64Array; layerX: Float64Array; matched: P2dResult; matchedArea: P2dResult }
  const L = new Map<number, Level>();
  let ref: P2dResult;
  let refSeconds = 0;

  const maxDiff = (V: number[], r: P2dResult) => {
    let d = 0;
    times.forEach((t, i) => { d = Math.max(d, Math.abs(V[i] - r.V[Math.round(t / r.dt)])); });
    return d;
  };
  /** P2D node values (electrode nodes, vertex-centred) at the layer centres of g, linear interpolation. */
  const atLayers = (r: P2dResult, g: LayeredGeometry) => {
    const xs = r.final.xPos, v = r.final.socMean, out = new Float64Array(g.nPos);
    for (let l = 0; l < g.nPos; l++) {
      const x = (g.nSep + l + 0.5) * g.h;
      let q = 0;
      while (q < xs.length - 2 && xs[q + 1] < x) q++;
      const w = (x - xs[q]) / (xs[q + 1] - xs[q]);
      out[l] = (1 - w) * v[q] + w * v[q + 1];
    }
    return out;
  };

  beforeAll(async () => {
    const p = layeredP2dParams(geometry(1), mats);
    let t0 = performance.now();
    // continuum reference: nx 5/20 (its x error is µV), nr = 32 (r error ≈ 0.02 mV), dt 2 s
    ref = solveP2d(p, p2dProtocol, { nxSep: 5, nxPos: 20, nr: 32, dt: 2, scheme: 'bdf2' });
    refSeconds = (performance.now() - t0) / 1000;
    for (const k of levels) {
      const g = geometry(k);
      const spec = layeredScenarioSpec(g, mats, { steps, times, rtol: 1e-5, maxStep: 2 });
      const rec = new MemoryRecorder();
      t0 = performance.now();
      // maxCoarseSize: coarsen the field blocks (the default, 500, factorises each whole block densely at every setup)
      const res = await runScenario(spec, rec, { multigrid: { cycle: 'V', maxCoarseSize: 40 } });
      const seconds = (performance.now() - t0) / 1000;
      const V = times.map((t) => {
        const row = rec.rows.find((q) => Math.abs(q.time_s - t) < 1e-9);
        if (!row) throw new Error(`no 3D row at t = ${t} s`);
        return row.voltage_V;
      });
      // per-layer mean stoichiometry of the plates at the end
      const nx = g.nPlate + g.nChannel, layerX = new Float64Array(g.nPos), cnt = new Float64Array(g.nPos);
      for (let i = 0; i < res.model.nS; i++) {
        const l = Math.floor(res.model.solid.voxelOfCell[i] / nx) - g.nSep;
        layerX[l] += res.y[i] / mats.laws.cMax; cnt[l]++;
      }
      for (let l = 0; l < g.nPos; l++) layerX[l] /= cnt[l];
      const areaFactors = layerAreaFactors(res.model, g);
      // the P2D on the 3D's own resolution: nr = plate cells, one x cell per voxel layer; with and
      // without the 3D's per-layer corrected-area profile
      const pg = layeredP2dParams(g, mats);
      const num = { nxSep: g.nSep, nxPos: g.nPos, nr: g.nPlate, dt: 1, scheme: 'bdf2' as const };
      t0 = performance.now();
      const matched = solveP2d(pg, p2dProtocol, num);
      const matchedArea = solveP2d({ ...pg, positive: { ...pg.positive, areaFactor: areaFactorFunction(areaFactors, g, g.nPos) } }, p2dProtocol, num);
      const matchedSeconds = (performance.now() - t0) / 1000;
      L.set(k, { g, res, rec, V, seconds, matchedSeconds, areaFactors, layerX, matched, matchedArea });
    }
  }, 180_000);

  it('the 3D runs are complete, conserve Li and apply 1C then 2C', () => {
    for (const k of levels) {
      const { res, rec, g } = L.get(k)!;
      expect(res.summary.status).toBe('complete');
      expect(res.summary.lithiumBalanceError).toBeLessThan(1e-9);
      const r1 = rec.rows.find((r) => Math.abs(r.time_s - 100) < 1e-9)!, r2 = rec.rows.find((r) => Math.abs(r.time_s - 400) < 1e-9)!;
      expect(r1.current_density_A_m2 / I1).toBeCloseTo(1, 12);
      expect(r2.current_density_A_m2 / I1).toBeCloseTo(2, 12);
      // geometry: one reaction face per plate layer, a = ε_s/ℓ nominally
      expect(res.model.faceCount).toBe(g.nPos);
      expect(res.model.activeVoxelsNotConnected).toBe(0);
    }
  });

  it('the corrected reaction area differs from the nominal one only at the plate tip (O(h) in total)', () => {
    const f1 = L.get(1)!.areaFactors, f2 = L.get(2)!.areaFactors;
    // the same per-layer profile in voxel units (the estimator is scale-free) ...
    for (let l = 0; l < 6; l++) expect(f2[l]).toBeCloseTo(f1[l], 12);
    // ... 1 beyond the Gaussian's reach (3σ = 3 voxels) ...
    for (let l = 4; l < f1.length; l++) expect(f1[l]).toBeCloseTo(1, 12);
    expect(f1[0]).toBeLessThan(0.9);
    // ... so the total deficit halves with h
    const deficit = (f: Float64Array) => f.reduce((s, v) => s + (1 - v), 0) / f.length;
    expect(deficit(f1) / deficit(f2)).toBeCloseTo(2, 10);
  });

  it('same discretisation: the 3D voltage equals the P2D on its resolution with its corrected-area profile (≤ 0.02 mV)', () => {
    const rows: string[] = [];
    for (const k of levels) {
      const { V, matched, matchedArea } = L.get(k)!;
      const dA = maxDiff(V, matchedArea), d0 = maxDiff(V, matched);
      rows.push(`k = ${k}: max|ΔV| = ${(dA * 1e3).toFixed(4)} mV with the area profile, ${(d0 * 1e3).toFixed(4)} mV with nominal areas`);
      expect(dA).toBeLessThan(0.02e-3);
      // the nominal-area difference is the tip-area effect: small, and O(h)
      expect(d0).toBeLessThan(0.35e-3);
    }
    console.log(`3D vs P2D(nr = plate cells, nx = layers, dt 1 s; ${levels.map((k) => L.get(k)!.matchedSeconds.toFixed(1)).join(' s, ')} s for both P2D runs):\n  ${rows.join('\n  ')}`);
    const d1 = maxDiff(L.get(1)!.V, L.get(1)!.matched), d2 = maxDiff(L.get(2)!.V, L.get(2)!.matched);
    expect(d1 / d2).toBeGreaterThan(1.8);
  });

  it('agrees with the converged P2D within the voxel discretisation error, which falls at ≈ 2nd order', () => {
    const d = levels.map((k) => maxDiff(L.get(k)!.V, ref));
    const order = Math.log2(d[0] / d[1]);
    const vEnd = L.get(2)!.V.at(-1)!;
    console.log(`3D vs converged P2D (nr 32), 1C 300 s + 2C 150 s: max|ΔV| = ${d.map((x) => (x * 1e3).toFixed(3)).join(' mV (k = 1), ')} mV (k = 2); order ${order.toFixed(2)}; `
      + `V(450 s) = ${vEnd.toFixed(5)} V (3D k = 2) vs ${ref.V.at(-1)!.toFixed(5)} V (P2D); run times ${levels.map((k) => L.get(k)!.seconds.toFixed(1)).join(' s, ')} s (3D), ${refSeconds.toFixed(1)} s (P2D ref)`);
    // tolerances: the 3D error is that of the plate's nPlate-cell particle grid (the same scheme
    // in the P2D gives 4.9 mV at nr = 2 and 1.4 mV at nr = 4 here, printed below) plus the O(h)
    // tip area (0.26 / 0.11 mV): 6.5 and 2 mV leave ~25–40 % for solver/time-step differences
    expect(d[0]).toBeLessThan(6.5e-3);
    expect(d[0]).toBeGreaterThan(0.5e-3); // (the comparison resolves the discretisation error)
    expect(d[1]).toBeLessThan(2.0e-3);
    expect(order).toBeGreaterThan(1.5);
    // what the P2D's own scheme makes of the 3D's resolution (nr = plate cells, nominal areas):
    // nearly all of the difference (the rest is the tip area, bounded in the previous test)
    const own = levels.map((k) => maxDiff(times.map((t) => L.get(k)!.matched.V[Math.round(t / L.get(k)!.matched.dt)]), ref));
    console.log(`P2D(nr = plate cells) vs converged P2D: max|ΔV| = ${own.map((x) => (x * 1e3).toFixed(3)).join(' mV (k = 1), ')} mV (k = 2)`);
  });

  it('mean solid stoichiometry across the depth: equal to the matched P2D, converging to the continuum P2D', () => {
    const rows: string[] = [];
    const l1: number[] = [];
    for (const k of levels) {
      const { g, layerX, matchedArea } = L.get(k)!;
      const same = atLayers(matchedArea, g), cont = atLayers(ref, g);
      // beyond the tip zone (4 voxel layers, where the area factor is exactly 1) the layers are
      // compared pointwise with the matched P2D; in the tip zone the per-layer area steps are
      // smeared by the P2D's vertex-centred control volumes (and the interpolation to layer centres)
      let dSame = 0, dTip = 0, dCont = 0, sCont = 0;
      for (let l = 0; l < g.nPos; l++) {
        if (l >= 4) dSame = Math.max(dSame, Math.abs(layerX[l] - same[l]));
        else dTip = Math.max(dTip, Math.abs(layerX[l] - same[l]));
        dCont = Math.max(dCont, Math.abs(layerX[l] - cont[l]));
        sCont += Math.abs(layerX[l] - cont[l]) / g.nPos;
      }
      l1.push(sCont);
      rows.push(`k = ${k}: max|Δx| vs matched P2D ${dSame.toExponential(2)} (tip zone ${dTip.toExponential(2)}), vs continuum P2D max ${dCont.toExponential(2)} (first layer, tip area), mean ${sCont.toExponential(2)}`);
      expect(dSame).toBeLessThan(1e-4);
      expect(dTip).toBeLessThan(3e-3);
    }
    console.log(`solid stoichiometry profile at 450 s (swing across the depth ${(ref.final.socMean.at(-1)! - ref.final.socMean[0]).toExponential(2)}):\n  ${rows.join('\n  ')}`);
    expect(l1[0] / l1[1]).toBeGreaterThan(1.8);
  });
});

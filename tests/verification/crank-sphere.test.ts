/**
 * Verification of Li diffusion in a voxelised sphere (src/assembly/solid-diffusion.ts with the
 * BDF integrator of src/time/bdf.ts) against Crank's series solution for a sphere with a
 * constant surface flux.
 *
 * Analytic solution (Crank, The Mathematics of Diffusion, 2nd ed. 1975, §6.3.3 eq. 6.43;
 * Carslaw & Jaeger 1959 §9.3): sphere of radius a, D constant, C = C0 at t = 0, constant flux
 * F0 INTO the surface (D ∂C/∂r = F0 at r = a):
 *
 *   C − C0 = (F0 a / D) [ 3Dt/a² + r²/(2a²) − 3/10
 *                         − (2a/r) Σ_n sin(α_n r/a) / (α_n² sin α_n) · exp(−D α_n² t/a²) ]
 *
 * with α_n the positive roots of tan α = α (α cot α = 1: the Neumann condition on the
 * eigenfunctions sin(α r/a)/r). Checked here independently of the book: the polynomial part
 * satisfies the PDE and the flux condition, the series terms have zero volume mean (so the mean is
 * C0 + 3 F0 t / a), and the series cancels the polynomial at t → 0 (tested below against the
 * semi-infinite short-time limit 2 F0 √(Dt/π) / D at the surface).
 */
import { describe, expect, it } from 'vitest';
import { SolidDiffusion } from '../../src/assembly/solid-diffusion.js';
import { generateSingleSphere } from '../../src/mesh/generate.js';
import { concentrationDependentDiffusivity, constantDiffusivity } from '../../src/physics/fickian-diffusion.js';
import { BdfIntegrator, type StepInfo } from '../../src/time/bdf.js';

// ---------------------------------------------------------------------------------------------
// Crank's series

/** First m positive roots of tan α = α (α_n ∈ (nπ, nπ + π/2)), by bisection on sin α − α cos α. */
function tanRoots(m: number): Float64Array {
  const out = new Float64Array(m);
  for (let n = 1; n <= m; n++) {
    let lo = n * Math.PI, hi = n * Math.PI + Math.PI / 2 - 1e-12;
    const g = (a: number) => Math.sin(a) - a * Math.cos(a);
    const glo = g(lo);
    for (let it = 0; it < 200; it++) {
      const mid = 0.5 * (lo + hi);
      if ((g(mid) > 0) === (glo > 0)) lo = mid; else hi = mid;
      if (hi - lo < 1e-15 * hi) break;
    }
    out[n - 1] = 0.5 * (lo + hi);
  }
  return out;
}
const ROOTS = tanRoots(4000);

/** (C − C0) / (F0 a / D) at ρ = r/a, Fo = D t / a². */
function crank(rho: number, Fo: number, terms = ROOTS.length): number {
  let s = 0;
  for (let n = 0; n < terms; n++) {
    const a = ROOTS[n];
    const e = Math.exp(-a * a * Fo);
    if (e < 1e-18) break;
    const shape = rho < 1e-12 ? a : Math.sin(a * rho) / rho; // sin(α ρ)/ρ → α
    s += (shape / (a * a * Math.sin(a))) * e;
  }
  return 3 * Fo + 0.5 * rho * rho - 0.3 - 2 * s;
}

describe("Crank's constant-flux sphere solution (as implemented here)", () => {
  it('roots, volume mean 3 Fo, short-time surface value 2 √(Fo/π), zero deep inside at small Fo', () => {
    expect(ROOTS[0]).toBeCloseTo(4.493409457909064, 12);
    expect(ROOTS[1]).toBeCloseTo(7.725251836937707, 12);
    for (const Fo of [0.02, 0.1, 0.3]) {
      // volume mean 3 ∫ u ρ² dρ by the midpoint rule on 4000 shells
      let m = 0;
      const K = 4000;
      for (let k = 0; k < K; k++) { const r = (k + 0.5) / K; m += 3 * crank(r, Fo) * r * r / K; }
      expect(m / (3 * Fo)).toBeCloseTo(1, 5);
    }
    const Fo = 1e-5;
    expect(crank(1, Fo) / (2 * Math.sqrt(Fo / Math.PI))).toBeCloseTo(1, 2);
    expect(Math.abs(crank(0.5, Fo))).toBeLessThan(1e-9);
    expect(Math.abs(crank(0, Fo))).toBeLessThan(1e-9);
  });
});

// ---------------------------------------------------------------------------------------------
// The voxel model

const RADIUS = 5e-6; // m
const D0 = 1e-14; // m²/s
const FLUX = 1e-5; // mol/(m² s) into the particle
const C0 = 1e4; // mol/m³
const FO_END = 0.1;
const T_END = (FO_END * RADIUS * RADIUS) / D0; // 250 s
const SCALE = (FLUX * RADIUS) / D0; // F0 a / D = 5000 mol/m³

function sphereModel(rVox: number, D = constantDiffusivity(D0)) {
  const h = RADIUS / rVox;
  const n = 2 * rVox + 6;
  const { rve } = generateSingleSphere({ shape: [n, n, n], voxelSize: h, radius: RADIUS });
  const sd = new SolidDiffusion(rve, { diffusivity: D });
  // radius of every cell centre (the sphere is centred in the box)
  const rho = new Float64Array(sd.n);
  const c = (n * h) / 2;
  for (let i = 0; i < sd.n; i++) {
    const v = sd.voxelOfCell[i];
    const x = v % n, y = Math.floor(v / n) % n, z = Math.floor(v / (n * n));
    rho[i] = Math.hypot((x + 0.5) * h - c, (y + 0.5) * h - c, (z + 0.5) * h - c) / RADIUS;
  }
  return { sd, rho, h, rVox };
}

interface RunResult { c: Float64Array; steps: StepInfo[]; maxConservationError: number }

function run(sd: SolidDiffusion, order: 1 | 2, nSteps: number, extra: { newton?: object; linear?: object } = {}): RunResult {
  const prob = sd.odeProblem(() => FLUX);
  const c = new Float64Array(sd.n).fill(C0);
  let q = sd.content(c);
  const influx = sd.totalInflux(FLUX);
  let maxCons = 0;
  const steps: StepInfo[] = [];
  const integ = new BdfIntegrator(prob, c, 0, {
    order, dt: T_END / nSteps,
    newton: { residualRtol: 1e-13, ...extra.newton },
    linear: { rtol: 1e-13, ...extra.linear },
    onStep: (info, y) => {
      const qn = sd.content(y);
      maxCons = Math.max(maxCons, Math.abs(qn - q - influx * info.dt) / (influx * info.dt));
      q = qn;
      steps.push(info);
    },
  });
  integ.advanceTo(T_END);
  return { c: Float64Array.from(integ.y), steps, maxConservationError: maxCons };
}

/** Errors against Crank at Fo_end: shell-averaged profile (max over shells) and voxel RMS, normalised by F0 a / D. */
function profileErrors(m: ReturnType<typeof sphereModel>, c: Float64Array) {
  const { sd, rho, rVox } = m;
  const nb = rVox + 1;
  const sumN = new Float64Array(nb), sumA = new Float64Array(nb), cnt = new Float64Array(nb);
  let rms = 0, shapeRms = 0;
  let meanN = 0, meanA = 0;
  const an = new Float64Array(sd.n);
  for (let i = 0; i < sd.n; i++) {
    an[i] = C0 + SCALE * crank(rho[i], FO_END);
    meanN += c[i] / sd.n; meanA += an[i] / sd.n;
  }
  for (let i = 0; i < sd.n; i++) {
    const b = Math.min(nb - 1, Math.floor(rho[i] * rVox));
    sumN[b] += c[i]; sumA[b] += an[i]; cnt[b]++;
    rms += (c[i] - an[i]) ** 2;
    shapeRms += (c[i] - meanN - (an[i] - meanA)) ** 2;
  }
  let shellMax = 0;
  for (let b = 0; b < nb; b++) if (cnt[b] > 0) shellMax = Math.max(shellMax, Math.abs(sumN[b] - sumA[b]) / cnt[b]);
  return {
    shellMax: shellMax / SCALE,
    rms: Math.sqrt(rms / sd.n) / SCALE,
    shapeRms: Math.sqrt(shapeRms / sd.n) / SCALE,
    meanRatio: (meanN - C0) / (SCALE * 3 * FO_END),
  };
}

describe('voxel sphere with constant influx vs Crank', () => {
  it('area correction, Li conservation every step, and the profile error falling with refinement (R = 6, 10, 16 voxels, Fo = 0.1)', () => {
    const exactArea = 4 * Math.PI * RADIUS * RADIUS;
    const res = [6, 10, 16].map((rVox) => {
      const m = sphereModel(rVox);
      const { sd } = m;
      const r = run(sd, 2, 100); // BDF2, ΔFo = 1e-3: time error ~1e-5 F0a/D, far below the spatial one
      const e = profileErrors(m, r.c);
      const meanRise = sd.content(r.c) / sd.totalVolume - C0;
      const expectedRise = (FLUX * sd.totalSurfaceArea * T_END) / sd.totalVolume;
      return {
        rVox, m, r, e, meanRise, expectedRise,
        areaRatio: sd.totalSurfaceArea / exactArea,
        voxelAreaRatio: sd.totalSurfaceVoxelArea / exactArea,
        volumeRatio: sd.totalVolume / ((4 / 3) * Math.PI * RADIUS ** 3),
      };
    });
    for (const x of res) {
      console.log(`R = ${x.rVox} voxels: ${x.m.sd.n} cells, corrected area / 4πR² = ${x.areaRatio.toFixed(4)} (voxel faces ${x.voxelAreaRatio.toFixed(3)}), `
        + `V / (4/3 πR³) = ${x.volumeRatio.toFixed(4)}, mean rise / (3Nt/R) = ${x.e.meanRatio.toFixed(4)}, `
        + `profile error (× F0a/D): shell max ${x.e.shellMax.toExponential(3)}, voxel RMS ${x.e.rms.toExponential(3)}, RMS about the mean ${x.e.shapeRms.toExponential(3)}; `
        + `max relative conservation error per step ${x.r.maxConservationError.toExponential(2)}`);
      // the discrete mean is c0 + N A_corr t / V_vox (Li balance) …
      expect(x.meanRise / x.expectedRise).toBeCloseTo(1, 9);
      // … and A_corr / V_vox ≈ 3 / R, i.e. the mean follows c0 + 3 N t / R (with voxel-face areas it would be ~1.5×)
      expect(Math.abs(x.e.meanRatio - 1)).toBeLessThan(0.03);
      expect(x.voxelAreaRatio).toBeGreaterThan(1.4);
      // Σ c V changes by exactly N A Δt every step
      expect(x.r.maxConservationError).toBeLessThan(1e-9);
      expect(x.e.shellMax).toBeLessThan(0.02);
    }
    expect(Math.abs(res[2].e.meanRatio - 1)).toBeLessThan(Math.abs(res[0].e.meanRatio - 1));
    // the profile error decreases with refinement; measured rates reported
    for (let k = 0; k < 2; k++) {
      expect(res[k + 1].e.rms).toBeLessThan(res[k].e.rms);
      expect(res[k + 1].e.shellMax).toBeLessThan(res[k].e.shellMax);
    }
    const rate = (key: 'rms' | 'shellMax', a: number, b: number) => Math.log(res[a].e[key] / res[b].e[key]) / Math.log(res[b].rVox / res[a].rVox);
    console.log(`rates (R 6→10, 10→16, 6→16): voxel RMS ${rate('rms', 0, 1).toFixed(2)}, ${rate('rms', 1, 2).toFixed(2)}, ${rate('rms', 0, 2).toFixed(2)}; `
      + `shell max ${rate('shellMax', 0, 1).toFixed(2)}, ${rate('shellMax', 1, 2).toFixed(2)}, ${rate('shellMax', 0, 2).toFixed(2)}`);
    expect(rate('rms', 0, 2)).toBeGreaterThan(0.8);
    expect(rate('shellMax', 0, 2)).toBeGreaterThan(0.8);
  });

  it('without the area correction (flux on the voxel-face area) the mean rises ~1.5× too fast', () => {
    const m = sphereModel(10);
    const { sd } = m;
    const perFace = new Float64Array(sd.surfaceFaceCount);
    for (let f = 0; f < perFace.length; f++) perFace[f] = FLUX * sd.surfaceVoxelArea[f] / sd.surfaceArea[f];
    const prob = sd.odeProblem(() => perFace);
    const integ = new BdfIntegrator(prob, new Float64Array(sd.n).fill(C0), 0, { order: 2, dt: T_END / 20 });
    integ.advanceTo(T_END);
    const ratio = (sd.content(integ.y) / sd.totalVolume - C0) / (3 * FLUX * T_END / RADIUS);
    console.log(`staircase area: mean rise / (3Nt/R) = ${ratio.toFixed(3)}`);
    expect(ratio).toBeGreaterThan(1.4);
  });
});

describe('time convergence on a fixed grid (R = 6 voxels, Fo = 0.1)', () => {
  it('BDF1 order ≈ 1 and BDF2 order ≈ 2 (fixed steps) against a 2560-step BDF2 reference', () => {
    const m = sphereModel(6);
    const ref = run(m.sd, 2, 2560).c;
    const maxDiff = (c: Float64Array) => { let e = 0; for (let i = 0; i < c.length; i++) e = Math.max(e, Math.abs(c[i] - ref[i])); return e / SCALE; };
    const Ns = [20, 40, 80, 160];
    for (const order of [1, 2] as const) {
      const runs = Ns.map((N) => run(m.sd, order, N));
      const errs = runs.map((r) => maxDiff(r.c));
      const p = errs.slice(1).map((e, k) => Math.log2(errs[k] / e));
      console.log(`BDF${order}: max errors (× F0a/D) ${errs.map((e) => e.toExponential(3)).join(', ')} for ${Ns.join(', ')} steps; orders ${p.map((o) => o.toFixed(3)).join(', ')}`);
      for (const o of p) expect(Math.abs(o - order)).toBeLessThan(0.25);
      for (const r of runs) expect(r.maxConservationError).toBeLessThan(1e-9);
    }
  });
});

describe('adaptive BDF2 on the sphere (R = 6 voxels)', () => {
  it('the error controller grows the step after the flux switch-on transient and meets the tolerance', () => {
    const m = sphereModel(6);
    const ref = run(m.sd, 2, 2560).c;
    const out: string[] = [];
    const errs: number[] = [];
    for (const rtol of [1e-3, 1e-4, 1e-5]) {
      const dts: number[] = [];
      let q = m.sd.content(new Float64Array(m.sd.n).fill(C0));
      let maxCons = 0;
      const influx = m.sd.totalInflux(FLUX);
      const integ = new BdfIntegrator(m.sd.odeProblem(() => FLUX), new Float64Array(m.sd.n).fill(C0), 0, {
        order: 2, adaptive: true, dt: T_END / 100, rtol, atol: rtol * C0,
        newton: { residualRtol: 1e-13 }, linear: { rtol: 1e-13 },
        onStep: (info, y) => {
          dts.push(info.dt);
          const qn = m.sd.content(y);
          maxCons = Math.max(maxCons, Math.abs(qn - q - influx * info.dt) / (influx * info.dt));
          q = qn;
        },
      });
      integ.advanceTo(T_END);
      let err = 0;
      for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(integ.y[i] - ref[i]));
      out.push(`rtol ${rtol}: ${integ.steps} steps (${integ.rejectedSteps} rejected), dt ${Math.min(...dts).toExponential(2)} … ${Math.max(...dts).toExponential(2)} s, max error ${(err / C0).toExponential(2)} × c0`);
      // global error ≈ 14× the local tolerance at rtol = 1e-5 (1.2e-3, 4.3e-4, 1.4e-4 × c0 measured)
      expect(err / C0).toBeLessThan(30 * rtol);
      errs.push(err);
      expect(Math.max(...dts)).toBeGreaterThan(5 * dts[0]);
      expect(maxCons).toBeLessThan(1e-9);
    }
    console.log(`adaptive BDF2: ${out.join('; ')}`);
    expect(errs[1]).toBeLessThan(errs[0]);
    expect(errs[2]).toBeLessThan(errs[1]);
  });
});

describe('nonlinear D(c) = D0 (1 + 2 c / cmax)', () => {
  it('Newton converges quadratically (GMRES, non-symmetric Jacobian) and Li is conserved', () => {
    const cmax = 5e4;
    const law = concentrationDependentDiffusivity((c) => D0 * (1 + (2 * c) / cmax), () => (2 * D0) / cmax);
    const m = sphereModel(8, law);
    expect(m.sd.symmetric).toBe(false);
    expect(m.sd.rhsJacobian(new Float64Array(m.sd.n).fill(C0).map((c, i) => c + 100 * m.rho[i])).asymmetry()).toBeGreaterThan(1e-6);
    // large BDF1 steps (ΔFo = 0.025), Newton run down to round-off
    const r = run(m.sd, 1, 4, { newton: { residualRtol: 1e-15, updateTol: 0, maxIterations: 20 }, linear: { rtol: 1e-14 } });
    const orders: number[] = [];
    for (const s of r.steps) {
      const rn = s.residualNorms;
      console.log(`step ${s.step}: ‖G‖ ${rn.map((x) => x.toExponential(2)).join(' → ')}`);
      expect(s.newtonIterations).toBeLessThanOrEqual(5);
      // convergence order log(r_{k+1}/r_k) / log(r_k/r_{k−1}) while above the linear-solve floor
      for (let k = 1; k + 1 < rn.length; k++) {
        if (rn[k + 1] > 1e-12 * rn[0]) orders.push(Math.log(rn[k + 1] / rn[k]) / Math.log(rn[k] / rn[k - 1]));
      }
      expect(rn[rn.length - 1]).toBeLessThan(1e-12 * rn[0]);
    }
    console.log(`Newton convergence orders ${orders.map((o) => o.toFixed(2)).join(', ')}; max relative conservation error per step ${r.maxConservationError.toExponential(2)}`);
    expect(orders.length).toBeGreaterThan(0);
    for (const o of orders) expect(o).toBeGreaterThan(1.7);
    expect(r.maxConservationError).toBeLessThan(1e-9);
    // the profile is still close to the constant-D solution with the mean D (loose sanity check)
    const meanRise = r.c.reduce((a, b) => a + b, 0) / r.c.length - C0;
    expect(meanRise / (SCALE * 3 * FO_END)).toBeCloseTo(1, 1);
  });
});

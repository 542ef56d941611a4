/**
 * Mechanics of `lithomech run` (src/sim/run-mechanics.ts, scenario key `mechanics`):
 *  (a) physics: a free-standing block of one active phase under a uniform stoichiometry change
 *      expands freely (stress ≈ 0, thickness strain = ε*, ΔV/V = 3ε*); laterally confined
 *      (roller) it carries the biaxial stress σ_xx = σ_yy = −E ε* / (1 − ν), σ_zz = 0, and its
 *      thickness strain is ε*(1 + ν)/(1 − ν). A warm-started solve (from the previous displacement) gives the cold solve's answer; a
 *      lattice-table strain outside the table's x range is an error naming the key;
 *  (b) a tiny quick-start run (12 × 12 × 16, 120 s at 1C) with mechanics on writes the stress
 *      arrays and the displacement (point data) into the .vti, the mechanics columns into the
 *      particle CSVs and the per-step columns into timeseries.csv (one solve per accepted
 *      step); the t = 0 state is stress-free;
 *  (c) two-way coupling: Li conserved, the voltage moves, summary says so; a stress solve failing
 *      inside Newton ends the run as incomplete; `solveAt: snapshots` leaves the time series empty;
 *  (d) mechanics off (the default): no stress arrays, no extra columns;
 *  (e) a bad mechanics key: one-line InputError naming it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadLatticeRef, loadMaterialRef } from '../../../src/io/mechanics-inputs.js';
import { RunWriter } from '../../../src/io/run-writer.js';
import { loadScenario, resolvedScenarioYaml } from '../../../src/io/scenario.js';
import { readVti } from '../../../src/io/vtk/vti.js';
import type { Rve } from '../../../src/mesh/rve.js';
import { volumetricStrainLaw } from '../../../src/physics/chemical-strain.js';
import { RunMechanics } from '../../../src/sim/run-mechanics.js';
import { runScenario } from '../../../src/sim/run.js';
import type { MechanicsSpec } from '../../../src/sim/scenario-spec.js';

const dir = mkdtempSync(join(tmpdir(), 'lithomech-run-mech-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SMALL: Record<string, unknown> = {
  'rve.generate.shape': [12, 12, 16], 'rve.generate.radius': '1.5 um', protocol: ['Charge at 1C for 120 s'],
};

describe('run mechanics: uniform stoichiometry change of a homogeneous block', () => {
  const nmc = loadMaterialRef('NMC811_OKane2022', 'test');
  const shape: [number, number, number] = [4, 4, 6];
  const N = shape[0] * shape[1] * shape[2];
  const rve: Rve = {
    shape, voxelSize: [1e-6, 1e-6, 1e-6], phase: new Uint8Array(N).fill(1),
    phases: [{ id: 0, name: 'pore', role: 'electrolyte', labels: [0] }, { id: 1, name: 'NMC', role: 'active', labels: [1] }],
    thicknessAxis: 2, separatorSide: 'high', particle: new Int32Array(N).fill(1),
  };
  const E = 100e9, nu = 0.25;
  const spec = (lateral: MechanicsSpec['lateral']): MechanicsSpec => ({
    enabled: true, lateral, top: { kind: 'free' }, orientationSeed: 1, rtol: 1e-10, collector: 'fixed', coupling: 'one-way', stressInPotential: false, solveAt: 'steps',
    phases: [{ phaseId: 1, name: 'NMC', youngsModulus: E, poissonRatio: nu, elasticSource: 'test', chemicalStrain: { kind: 'isotropic', material: nmc } }],
  });
  const xRef = 0.9, x = 0.5;
  const eStar = volumetricStrainLaw(nmc, xRef)(x);
  const field = (v: number) => new Float64Array(N).fill(v);
  const get = (r: ReturnType<RunMechanics['solve']>, name: string) => r.fields.find((f) => f.name === name)!.data as Float64Array;
  const maxAbs = (a: Float64Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

  it('free: no stress, thickness strain = ε*, ΔV/V = 3ε*', () => {
    expect(Math.abs(eStar)).toBeGreaterThan(1e-3); // a real load (delithiation shrinks NMC)
    const m = new RunMechanics(rve, spec('free'), field(xRef));
    const r = m.solve(field(x));
    const scale = E * Math.abs(eStar);
    expect(maxAbs(get(r, 'von_mises')) / scale).toBeLessThan(1e-6);
    expect(maxAbs(get(r, 'hydrostatic_stress')) / scale).toBeLessThan(1e-6);
    expect(r.thicknessStrain / eStar).toBeCloseTo(1, 6);
    expect(get(r, 'strain_xx')[0] / eStar).toBeCloseTo(1, 6);
    expect(r.particles.get(1)!.volumeChange / (3 * eStar)).toBeCloseTo(1, 6);
    // at the reference: nothing at all
    const r0 = m.solve(field(xRef));
    expect(maxAbs(get(r0, 'von_mises'))).toBe(0);
  });

  it('warm start (from the last solve) reproduces the cold solve; the same field twice is not solved again', () => {
    const warm = new RunMechanics(rve, spec('roller'), field(xRef));
    warm.solve(field(0.7));
    const a = warm.solve(field(x));
    const b = new RunMechanics(rve, spec('roller'), field(xRef)).solve(field(x));
    const sa = get(a, 'stress_xx'), sb = get(b, 'stress_xx');
    for (let v = 0; v < N; v++) expect(Math.abs(sa[v] - sb[v]) / Math.abs(sb[v])).toBeLessThan(1e-7);
    expect(warm.solve(field(x))).toBe(a);
  });

  it('lattice strain outside the table: an error naming mechanics.lattice.<phase>', () => {
    const table = loadLatticeRef('NMC811_deBiasi2017', 'test');
    const lat: MechanicsSpec = { ...spec('free'), phases: [{ ...spec('free').phases[0], chemicalStrain: { kind: 'lattice', table } }] };
    const m = new RunMechanics(rve, lat, field(0.9));
    expect(m.solve(field(0.6)).maxEigenstrain).toBeGreaterThan(1e-3);
    const lo = table.file.x[0];
    expect(() => m.solve(field(lo - 0.05))).toThrow(new RegExp(`^.*mechanics\\.lattice\\.NMC.*outside the lattice table NMC811_deBiasi2017`));
  });

  it('roller (laterally confined): biaxial stress −E ε*/(1 − ν), σ_zz = 0, thickness strain ε*(1 + ν)/(1 − ν)', () => {
    const r = new RunMechanics(rve, spec('roller'), field(xRef)).solve(field(x));
    const sxx = get(r, 'stress_xx'), syy = get(r, 'stress_yy'), szz = get(r, 'stress_zz');
    const expected = (-E * eStar) / (1 - nu);
    for (let v = 0; v < N; v++) {
      expect(sxx[v] / expected).toBeCloseTo(1, 5);
      expect(syy[v] / expected).toBeCloseTo(1, 5);
      expect(Math.abs(szz[v] / expected)).toBeLessThan(1e-5);
    }
    expect(r.thicknessStrain / (eStar * (1 + nu) / (1 - nu))).toBeCloseTo(1, 6);
    expect(r.particles.get(1)!.hydrostaticMean / ((2 * expected) / 3)).toBeCloseTo(1, 5);
  });
});

interface Csv { header: string[]; rows: number[][] }
const readCsv = (file: string): Csv => {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  return { header: lines[0].split(','), rows: lines.slice(1).map((l) => l.split(',').map((v) => (v === '' ? Number.NaN : Number(v)))) };
};
const STRESS_ARRAYS = ['stress_xx', 'stress_yy', 'stress_zz', 'stress_yz', 'stress_xz', 'stress_xy', 'strain_xx', 'strain_xy', 'von_mises', 'hydrostatic_stress', 'max_principal_stress', 'strain_energy_density', 'gauss_max_von_mises'];
const MECH_COLUMNS = ['von_mises_max_Pa', 'von_mises_mean_Pa', 'hydrostatic_mean_Pa', 'volume_change', 'centroid_displacement_x_m', 'centroid_displacement_y_m', 'centroid_displacement_z_m'];
const TS_MECH_COLUMNS = ['thickness_change_m', 'thickness_strain', 'eps_xx_mean', 'eps_yy_mean', 'eps_zz_mean', 'eps_yz_mean', 'eps_xz_mean', 'eps_xy_mean', 'von_mises_max_Pa'];

describe('lithomech run with mechanics (tiny quick-start)', () => {
  it('writes the stress arrays and particle columns; stress-free at t = 0; stressed after 120 s of charge', async () => {
    const spec = await loadScenario('quick-start', { overrides: { ...SMALL, 'mechanics.enabled': true } });
    expect(spec.mechanics?.enabled).toBe(true);
    expect(spec.resolved.mechanics).toMatchObject({ enabled: true, lateral: 'free', top: 'free', lattice: { NMC: 'NMC811_deBiasi2017' } });
    const out = join(dir, 'on');
    mkdirSync(out);
    const { summary } = await runScenario(spec, new RunWriter(out, { shape: spec.rve.shape, voxelSize: spec.rve.voxelSize, float64Fields: true, mechanics: true }));
    expect(summary.status).toBe('complete');
    expect(summary.couplings.mechanics).toBe('one-way, solved after every accepted step');
    expect(summary.couplings.stressInPotential).toBe(false);
    const ms = summary.mechanics as { snapshots: { thicknessStrain: number; maxVonMises_Pa: number }[] };
    expect(ms.snapshots).toHaveLength(summary.snapshots.length);
    expect(summary.snapshots.length).toBeGreaterThanOrEqual(2);

    const f0 = await readVti(join(out, 'fields/fields_0000.vti'));
    const fEnd = await readVti(join(out, `fields/fields_${String(summary.snapshots.length - 1).padStart(4, '0')}.vti`));
    for (const name of STRESS_ARRAYS) {
      expect(f0.cellData[name], name).toBeDefined();
      expect(fEnd.cellData[name], name).toBeDefined();
    }
    const vm0 = f0.cellData.von_mises as Float64Array, vm1 = fEnd.cellData.von_mises as Float64Array;
    let max0 = 0, max1 = 0, finite = 0;
    for (let v = 0; v < vm0.length; v++) if (Number.isFinite(vm0[v])) { finite++; max0 = Math.max(max0, vm0[v]); max1 = Math.max(max1, vm1[v]); }
    expect(finite).toBeGreaterThan(0);
    expect(max0).toBe(0); // uniform stoichiometry = the reference: no load at all
    // the Gauss-point maximum is never below the centre value
    const g1 = fEnd.cellData.gauss_max_von_mises as Float64Array;
    for (let v = 0; v < vm1.length; v++) if (Number.isFinite(vm1[v])) expect(g1[v]).toBeGreaterThanOrEqual(vm1[v] * (1 - 1e-12));
    expect(max1).toBeGreaterThan(1e5); // 120 s at 1C: ~1 % SoC of strain gradients, MPa-scale stresses
    expect(ms.snapshots[0].maxVonMises_Pa).toBe(0);
    expect(ms.snapshots[ms.snapshots.length - 1].maxVonMises_Pa).toBeCloseTo(max1, -2);

    const p0 = readCsv(join(out, 'particles/particles_0000.csv'));
    const p1 = readCsv(join(out, `particles/particles_${String(summary.snapshots.length - 1).padStart(4, '0')}.csv`));
    for (const c of MECH_COLUMNS) { expect(p0.header).toContain(c); expect(p1.header).toContain(c); }
    const iv = p1.header.indexOf('von_mises_max_Pa');
    expect(p1.rows.some((r) => r[iv] > 0)).toBe(true);
    const i0 = p0.header.indexOf('von_mises_max_Pa');
    expect(p0.rows.every((r) => r[i0] === 0 || Number.isNaN(r[i0]))).toBe(true);

    // displacement as point data: zero at t = 0, finite on the solid's corners later, and the
    // particles' centroid displacements in the table are the means of it
    const u0 = f0.pointData.displacement as Float64Array, u1 = fEnd.pointData.displacement as Float64Array;
    expect(f0.components.pointData.displacement).toBe(3);
    const [nx, ny, nz] = spec.rve.shape;
    expect(u1.length).toBe(3 * (nx + 1) * (ny + 1) * (nz + 1));
    let uMax = 0;
    for (let i = 0; i < u1.length; i++) if (Number.isFinite(u1[i])) { expect(u0[i]).toBe(0); uMax = Math.max(uMax, Math.abs(u1[i])); }
    expect(uMax).toBeGreaterThan(0);
    const ix = p1.header.indexOf('centroid_displacement_x_m');
    expect(p1.rows.some((r) => Math.abs(r[ix]) > 0 && Math.abs(r[ix]) <= uMax)).toBe(true);

    // per-step time series: one mechanics solve per accepted step (+ t = 0), columns in timeseries.csv
    const ts = readCsv(join(out, 'timeseries.csv'));
    for (const c of TS_MECH_COLUMNS) expect(ts.header).toContain(c);
    const mstats = summary.mechanics as { solves: number; cgIterations: number };
    expect(mstats.solves).toBe(ts.rows.length);
    const ith = ts.header.indexOf('thickness_change_m'), iez = ts.header.indexOf('eps_zz_mean'), ivm = ts.header.indexOf('von_mises_max_Pa');
    expect(ts.rows[0][ith]).toBe(0);
    expect(ts.rows.every((r) => Number.isFinite(r[ith]) && Number.isFinite(r[iez]) && r[ivm] >= 0)).toBe(true);
    // the last row's state is the last snapshot's: the same numbers
    const last = ts.rows[ts.rows.length - 1], mLast = ms.snapshots[ms.snapshots.length - 1];
    expect(last[ts.header.indexOf('thickness_strain')]).toBeCloseTo(mLast.thicknessStrain, 15);
    expect(last[ivm]).toBe(mLast.maxVonMises_Pa);
  }, 120_000);

  it('two-way coupling: solved inside Newton, Li conserved, and the voltage differs from one-way', async () => {
    const run = async (coupling: string) => {
      // E = 10 GPa: with NMC811_OKane2022's Ω = 12.5 cm³/mol and its 375 GPa the stress flux is
      // ~300× the Fickian one and the lagged Jacobian needs hundreds of steps (docs/theory/mechanics.md)
      const spec = await loadScenario('quick-start', {
        overrides: {
          ...SMALL, protocol: ['Charge at 1C for 20 s'], 'mechanics.enabled': true, 'mechanics.coupling': coupling, 'mechanics.lattice': { NMC: 'none' },
          'mechanics.elastic': { NMC: { youngsModulus: '10 GPa', poissonRatio: 0.3 } },
        },
      });
      const out = join(dir, `tw-${coupling}`);
      mkdirSync(out);
      return (await runScenario(spec, new RunWriter(out, { shape: spec.rve.shape, voxelSize: spec.rve.voxelSize, mechanics: true }))).summary;
    };
    const one = await run('one-way'), two = await run('two-way');
    for (const sm of [one, two]) { expect(sm.status).toBe('complete'); expect(sm.lithiumBalanceError).toBeLessThan(1e-9); }
    expect(two.couplings.mechanics).toBe('two-way, solved inside Newton');
    expect(two.couplings.stressInPotential).toBe(true);
    const m1 = one.mechanics as { coupledSolves: number }, m2 = two.mechanics as { coupledSolves: number; coupling: string };
    expect(m1.coupledSolves).toBe(0);
    // at least one elasticity solve per Newton iteration
    const sv = (sm: typeof one) => sm.solver as { steps: number; newtonIterations: number; newtonFailures: number; linearIterations: number };
    console.log(`two-way tiny run: one-way ${JSON.stringify(sv(one))}, two-way ${JSON.stringify(sv(two))}, ${m2.coupledSolves} coupled solves; wall ${one.wallTime_s.toFixed(1)} / ${two.wallTime_s.toFixed(1)} s`);
    expect(m2.coupledSolves).toBeGreaterThanOrEqual(sv(two).newtonIterations);
    expect(m2.coupling).toMatch(/^two-way: s = σ : ∂ε_ch\/∂c in the Li flux .* and in the equilibrium potential U \+ s\/F/);
    const v = (sm: typeof one) => readCsv(join(dir, sm === one ? 'tw-one-way' : 'tw-two-way', 'timeseries.csv'));
    const a = v(one), b = v(two), iv = a.header.indexOf('voltage_V');
    const dv = Math.abs(a.rows[a.rows.length - 1][iv] - b.rows[b.rows.length - 1][iv]);
    expect(dv).toBeGreaterThan(1e-6);
    expect(dv).toBeLessThan(0.05);
  }, 180_000);

  it('two-way: a stress solve that fails inside Newton ends the run as incomplete, with the mechanics error', async () => {
    const spec = await loadScenario('quick-start', {
      overrides: { ...SMALL, protocol: ['Charge at 1C for 20 s'], 'mechanics.enabled': true, 'mechanics.coupling': 'two-way', 'mechanics.lattice': { NMC: 'none' }, 'mechanics.rtol': 1e-30 },
    });
    const out = join(dir, 'tw-fail');
    mkdirSync(out);
    const err = await runScenario(spec, new RunWriter(out, { shape: spec.rve.shape, voxelSize: spec.rve.voxelSize, mechanics: true })).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^step 1 \(Charge at 1C for 20 s\): two-way stress solve: cg did not converge in 2000 iterations/);
    const sm = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(sm.status).toBe('incomplete');
  }, 120_000);

  it('solveAt: snapshots solves only at the snapshots; the time-series columns stay empty', async () => {
    const spec = await loadScenario('quick-start', { overrides: { ...SMALL, protocol: ['Charge at 1C for 60 s'], 'mechanics.enabled': true, 'mechanics.solveAt': 'snapshots' } });
    const out = join(dir, 'at-snapshots');
    mkdirSync(out);
    const { summary } = await runScenario(spec, new RunWriter(out, { shape: spec.rve.shape, voxelSize: spec.rve.voxelSize, mechanics: true }));
    expect(summary.couplings.mechanics).toBe('one-way, solved at the snapshots');
    const ms = summary.mechanics as { solves: number; snapshots: unknown[] };
    expect(ms.snapshots).toHaveLength(summary.snapshots.length);
    expect(ms.solves).toBe(summary.snapshots.length);
    const ts = readCsv(join(out, 'timeseries.csv'));
    expect(ts.rows.length).toBeGreaterThan(summary.snapshots.length);
    for (const c of TS_MECH_COLUMNS) { const i = ts.header.indexOf(c); expect(i).toBeGreaterThan(0); expect(ts.rows.every((r) => Number.isNaN(r[i]))).toBe(true); }
    expect((await readVti(join(out, 'fields/fields_0001.vti'))).cellData.von_mises).toBeDefined();
    expect(await loadScenario('quick-start', { overrides: { ...SMALL, 'mechanics.enabled': true, 'mechanics.solveAt': 'snapshots', 'mechanics.coupling': 'two-way', 'mechanics.lattice': { NMC: 'none' } } }).catch((e: Error) => e.message))
      .toMatch(/mechanics\.solveAt: snapshots is for one-way coupling/);
  }, 120_000);

  it('mechanics off (default): no stress arrays, no mechanics columns', async () => {
    const spec = await loadScenario('quick-start', { overrides: { ...SMALL, protocol: ['Charge at 1C for 10 s'] } });
    expect(spec.mechanics).toBeUndefined();
    const out = join(dir, 'off');
    mkdirSync(out);
    const { summary } = await runScenario(spec, new RunWriter(out, { shape: spec.rve.shape, voxelSize: spec.rve.voxelSize }));
    expect(summary.couplings.mechanics).toBe(false);
    expect(summary.mechanics).toBeUndefined();
    const f0 = await readVti(join(out, 'fields/fields_0000.vti'));
    for (const name of STRESS_ARRAYS) expect(f0.cellData[name], name).toBeUndefined();
    const p0 = readCsv(join(out, 'particles/particles_0000.csv'));
    for (const c of MECH_COLUMNS) expect(p0.header).not.toContain(c);
    // enabled: false is off as well
    const spec2 = await loadScenario('quick-start', { overrides: { ...SMALL, 'mechanics.enabled': false } });
    expect(spec2.mechanics).toBeUndefined();
  }, 120_000);

  it('bad mechanics keys: one-line errors naming the key', async () => {
    const msg = async (o: Record<string, unknown>) => {
      try { await loadScenario('quick-start', { overrides: { ...SMALL, ...o } }); } catch (err) { return (err as Error).message; }
      return 'no error';
    };
    const top = await msg({ 'mechanics.enabled': true, 'mechanics.top': 'sideways' });
    expect(top).toMatch(/quick-start\.yaml: mechanics\.top: expected free, fixed or "pressure: <value>"/);
    expect(top.split('\n')).toHaveLength(1);
    expect(await msg({ 'mechanics.enabled': true, 'mechanics.lateral': 'glued' })).toMatch(/mechanics\.lateral: expected one of/);
    expect(await msg({ 'mechanics.enabled': true, 'mechanics.bogus': 1 })).toMatch(/mechanics\.bogus: unknown key/);
    expect(await msg({ 'mechanics.lateral': 'roller' })).toMatch(/mechanics\.enabled: missing/);
    expect(await msg({ 'mechanics.enabled': true, 'mechanics.elastic': { CBD: { youngsModulus: '0.5 GPa' } } })).toMatch(/mechanics\.elastic\.CBD\.poissonRatio: missing/);
    expect(await msg({ 'mechanics.enabled': true, 'mechanics.elastic': { Foo: { youngsModulus: '1 GPa', poissonRatio: 0.3 } } })).toMatch(/mechanics\.elastic\.Foo: no phase "Foo"/);
    expect(await msg({ 'mechanics.enabled': true, 'mechanics.lattice': { NMC: 'nope' } })).toMatch(/mechanics\.lattice\.NMC: no lattice table "nope"/);
    // two-way coupling: the stress potential needs an isotropic law; stressInPotential needs two-way
    expect(await msg({ 'mechanics.enabled': true, 'mechanics.coupling': 'two-way' })).toMatch(/mechanics\.coupling: two-way coupling is built for isotropic chemical strain only, and phase NMC uses the lattice table NMC811_deBiasi2017: set mechanics\.lattice\.NMC: none/);
    expect(await msg({ 'mechanics.enabled': true, 'mechanics.stressInPotential': true })).toMatch(/mechanics\.stressInPotential: true needs mechanics\.coupling: two-way/);
    expect(await msg({ 'mechanics.enabled': true, 'mechanics.coupling': 'both' })).toMatch(/mechanics\.coupling: expected one of/);
    expect(await msg({ 'mechanics.enabled': true, 'mechanics.preconditioner': 'ilu' })).toMatch(/mechanics\.preconditioner: expected one of/);
    expect(await msg({ 'mechanics.enabled': true, 'mechanics.preconditioner': 'gmg', 'mechanics.lateral': 'periodic' })).toMatch(/mechanics\.preconditioner: gmg does not support lateral: periodic/);
    const tw = await loadScenario('quick-start', { overrides: { ...SMALL, 'mechanics.enabled': true, 'mechanics.coupling': 'two-way', 'mechanics.lattice': { NMC: 'none' } } });
    expect(tw.mechanics).toMatchObject({ coupling: 'two-way', stressInPotential: true, collector: 'fixed' });
    // pressure on a separator layer without stiffness acts on nothing
    expect(await msg({ 'mechanics.enabled': true, 'mechanics.top': 'pressure: 0.3 MPa' })).toMatch(/mechanics\.top: the pressure acts on solid voxels at the separator-side face, and there are none: give the separator elastic constants \(mechanics\.elastic\.separator\)/);
    // a good one: pressure with units, CBD and separator stiffness, isotropic law
    const elastic = { CBD: { youngsModulus: '0.5 GPa', poissonRatio: 0.3 }, separator: { youngsModulus_Pa: 0.2e9, poissonRatio: 0.35 } };
    const s = await loadScenario('quick-start', { overrides: { ...SMALL, 'mechanics.enabled': true, 'mechanics.top': 'pressure: 0.3 MPa', 'mechanics.lateral': 'roller', 'mechanics.elastic': elastic, 'mechanics.lattice': { NMC: 'none' } } });
    expect(s.mechanics!.top).toEqual({ kind: 'pressure', pascal: 3e5 });
    // the mapping form (what --set 'mechanics.top=pressure: 0.3 MPa' parses to as YAML)
    const o = await loadScenario('quick-start', { overrides: { ...SMALL, 'mechanics.enabled': true, 'mechanics.top': { pressure: '0.3 MPa' }, 'mechanics.elastic': elastic } });
    expect(o.mechanics!.top).toEqual({ kind: 'pressure', pascal: 3e5 });
    expect(await msg({ 'mechanics.enabled': true, 'mechanics.top': { pressure: '-1 MPa' }, 'mechanics.elastic': elastic })).toMatch(/mechanics\.top\.pressure: must be ≥ 0/);
    expect(s.mechanics!.phases.map((p) => [p.name, p.youngsModulus, p.chemicalStrain.kind])).toEqual([['NMC', 375e9, 'isotropic'], ['CBD', 0.5e9, 'none'], ['separator', 0.2e9, 'none']]);
    expect(s.resolved.mechanics).toEqual({
      enabled: true, coupling: 'one-way', stressInPotential: false, solveAt: 'steps', preconditioner: 'auto', collector: 'fixed', lateral: 'roller', top: 'pressure: 300000 Pa', lattice: { NMC: 'none' }, orientationSeed: 1, rtol: 1e-8,
      elastic: { CBD: { youngsModulus_Pa: 0.5e9, poissonRatio: 0.3 }, separator: { youngsModulus_Pa: 0.2e9, poissonRatio: 0.35 } },
    });
    // the resolved scenario loads again to the same mechanics
    const file = join(dir, 'resolved.yaml');
    writeFileSync(file, resolvedScenarioYaml(s));
    const again = await loadScenario(file);
    expect(again.resolved.mechanics).toEqual(s.resolved.mechanics);
    expect(again.mechanics!.phases.map((p) => [p.name, p.youngsModulus, p.poissonRatio])).toEqual(s.mechanics!.phases.map((p) => [p.name, p.youngsModulus, p.poissonRatio]));
  });
});

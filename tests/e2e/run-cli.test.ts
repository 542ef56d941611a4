/**
 * `lithomech run` end to end (the built CLI, as a user runs it):
 *  (a) a small, short quick-start run writes every output, and the numbers obey what a 1C charge
 *      for 120 s must give: SoC = 120/3600, capacity = nominal/30, I(1C) in A = nominal capacity
 *      in A h, current density = I / collector area, Li balance < 1e-9; re-running the written
 *      scenario.resolved.yaml gives the same time series;
 *  (b) bad input (unknown scenario, a key of the wrong type in a file or in --set): one line on
 *      stderr naming the key, exit 2, and no --out directory (nor a temporary one) left behind;
 *  (c) a run that cannot go on (one Newton iteration allowed, minStep = initialStep): exit 1, the
 *      outputs exist with summary.json status "incomplete" and the error.
 * Each run is ~5–8 s on 2 cores (12 × 12 × 20 voxels, ~6500 unknowns).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { lithomech } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'lithomech-e2e-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const QUICK = resolve(__dirname, '../../scenarios/quick-start.yaml');
/** quick-start made small and short: 12 × 12 × 16 electrode voxels (+ 4 separator), 1.5 µm radius, one 120 s 1C charge. */
const SMALL = ['--set', 'rve.generate.shape=[12,12,16]', '--set', 'rve.generate.radius=1.5 um', '--set', 'protocol=["Charge at 1C for 120 s"]'];

interface Csv { header: string[]; rows: number[][] }
function readCsv(file: string): Csv {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const header = lines[0].split(',');
  const rows = lines.slice(1).map((l) => l.split(',').map((v) => (v === '' ? Number.NaN : Number(v))));
  for (const r of rows) expect(r).toHaveLength(header.length);
  return { header, rows };
}
const col = (csv: Csv, name: string) => { const i = csv.header.indexOf(name); expect(i, name).toBeGreaterThanOrEqual(0); return csv.rows.map((r) => r[i]); };
/** Nothing named out or out.tmp-* next to it. */
const leftovers = (out: string) => readdirSync(dir).filter((f) => f === out || f.startsWith(`${out}.tmp-`));
const oneLine = (stderr: string) => { expect(stderr.trim().split('\n')).toHaveLength(1); return stderr.trim(); };

describe('lithomech run: a small complete run', () => {
  const out = join(dir, 'small');
  let first: Csv;

  it('writes timeseries, fields, particles, summary and the resolved scenario; the numbers are those of 1C for 120 s', () => {
    const t0 = performance.now();
    const r = lithomech(['run', 'quick-start', '--out', out, ...SMALL]);
    const seconds = (performance.now() - t0) / 1000;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(out);
    for (const f of ['timeseries.csv', 'fields.pvd', 'summary.json', 'scenario.resolved.yaml', 'voltage.svg']) expect(existsSync(join(out, f)), f).toBe(true);

    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s.status).toBe('complete');
    expect(s.error).toBeUndefined();
    expect(s.stepsCompleted).toBe(1);
    expect(s.stepEnds).toEqual([expect.objectContaining({ endedBy: 'duration', time_s: 120 })]);
    // the Li-balance criterion of the issue; measured ~1e-14
    expect(s.lithiumBalanceError).toBeLessThan(1e-9);
    expect(s.lithiumBalanceErrorMaxStep).toBeLessThan(1e-9);
    expect(s.rve.shape).toEqual([12, 12, 20]);
    const Q = s.nominalCapacity_Ah as number;
    expect(Q).toBeGreaterThan(0);
    // charge passed in 120 s at 1C = Q/30 (the accepted steps sum to exactly 120 s; 1e-9 ≫ round-off)
    expect(s.chargeCapacity_Ah / (Q / 30)).toBeCloseTo(1, 9);
    expect(s.dischargeCapacity_Ah).toBe(0);

    const ts = readCsv(join(out, 'timeseries.csv'));
    first = ts;
    expect(ts.header[0]).toBe('time_s');
    for (const c of ['time_s', 'current_A', 'current_density_A_m2', 'voltage_V', 'soc', 'capacity_Ah']) expect(ts.header).toContain(c);
    const t = col(ts, 'time_s'), I = col(ts, 'current_A'), J = col(ts, 'current_density_A_m2'), V = col(ts, 'voltage_V'), soc = col(ts, 'soc'), cap = col(ts, 'capacity_Ah');
    expect(ts.rows.length).toBe(s.timeseriesRows);
    expect(ts.rows.length).toBeGreaterThan(3);
    expect(t[0]).toBe(0);
    for (let k = 1; k < t.length; k++) expect(t[k]).toBeGreaterThan(t[k - 1]);
    expect(t[t.length - 1]).toBeCloseTo(120, 9);
    // 1C: the current in A equals the nominal capacity in A h (per hour); per collector area (12 × 0.5 µm)²
    const area = (12 * 0.5e-6) ** 2;
    for (let k = 1; k < t.length; k++) {
      expect(I[k] / Q).toBeCloseTo(1, 12);
      expect(J[k] / (I[k] / area)).toBeCloseTo(1, 12);
    }
    // SoC and capacity are measured from the particles' Li: after 120 s at 1C, SoC = 120/3600 exactly
    // up to the Li balance (≤ 1e-9) — this is Li conservation seen from outside
    expect(Math.abs(soc[0])).toBeLessThan(1e-9);
    expect(Math.abs(soc[soc.length - 1] - 120 / 3600)).toBeLessThan(1e-9);
    for (let k = 1; k < t.length; k++) expect(Math.abs(soc[k] - t[k] / 3600)).toBeLessThan(1e-9);
    expect(cap[cap.length - 1] / (Q / 30)).toBeCloseTo(1, 9);
    // charging delithiates NMC: the voltage rises
    expect(V[V.length - 1]).toBeGreaterThan(V[0]);
    for (const v of V) expect(v).toBeGreaterThan(3); // vs Li/Li⁺, NMC811 at x ≈ 0.9

    // fields.pvd names .vti files that exist, at t = 0 and t = 120 s
    const pvd = readFileSync(join(out, 'fields.pvd'), 'utf8');
    const sets = [...pvd.matchAll(/<DataSet timestep="([^"]+)"[^>]* file="([^"]+)"/g)].map((m) => ({ t: Number(m[1]), file: m[2] }));
    expect(sets.length).toBeGreaterThanOrEqual(2);
    expect(sets[0].t).toBe(0);
    expect(sets[sets.length - 1].t).toBe(120);
    for (const d of sets) {
      expect(d.file).toMatch(/\.vti$/);
      const vti = join(out, d.file);
      expect(existsSync(vti), d.file).toBe(true);
      const head = readFileSync(vti).subarray(0, 4000).toString('latin1');
      expect(head).toContain('WholeExtent="0 12 0 12 0 20"');
      for (const name of ['c_s', 'c_e', 'phi_s', 'phi_e', 'interface_current_density', 'phase']) expect(head).toContain(`Name="${name}"`);
    }
    // the particle table at the end: the volume-weighted SoC change is the electrode's, 1/30
    const parts = readdirSync(join(out, 'particles')).sort();
    expect(parts.length).toBe(sets.length);
    const pt = readCsv(join(out, 'particles', parts[parts.length - 1]));
    const vol = col(pt, 'volume_m3'), dsoc = col(pt, 'soc_change');
    const vsum = vol.reduce((a, b) => a + b, 0);
    expect(Math.abs(vol.reduce((a, v, k) => a + v * dsoc[k], 0) / vsum - 120 / 3600)).toBeLessThan(1e-9);
    expect(pt.rows.length).toBe(s.rve.particles);

    // the resolved scenario records the overrides and the SI values
    const res = YAML.parse(readFileSync(join(out, 'scenario.resolved.yaml'), 'utf8'));
    expect(res.rve.generate.shape).toEqual([12, 12, 16]);
    expect(res.rve.generate.radius_m).toBeCloseTo(1.5e-6, 15);
    expect(res.protocol).toEqual(['Charge at 1C for 120 s']);
    expect(res.overrides).toEqual(expect.arrayContaining(['protocol=["Charge at 1C for 120 s"]']));
    console.log(`run quick-start (small): ${seconds.toFixed(1)} s wall, ${s.solver.steps} steps, ${s.solver.unknowns} unknowns, Li balance ${s.lithiumBalanceError.toExponential(2)}, |soc − 1/30| = ${Math.abs(soc[soc.length - 1] - 1 / 30).toExponential(2)}`);
  });

  it('running scenario.resolved.yaml again reproduces the time series', () => {
    expect(first).toBeDefined();
    const out2 = join(dir, 'again');
    const r = lithomech(['run', join(out, 'scenario.resolved.yaml'), '--out', out2]);
    expect(r.code, r.stderr).toBe(0);
    const ts = readCsv(join(out2, 'timeseries.csv'));
    expect(ts.header).toEqual(first.header);
    expect(ts.rows.length).toBe(first.rows.length);
    // same inputs, same arithmetic: equal to round-off (the CSV holds shortest round-trip decimals)
    for (let k = 0; k < ts.rows.length; k++) {
      for (let c = 0; c < ts.header.length; c++) {
        const a = ts.rows[k][c], b = first.rows[k][c];
        expect(Math.abs(a - b), `${ts.header[c]} row ${k}`).toBeLessThanOrEqual(1e-12 * Math.max(Math.abs(a), Math.abs(b)));
      }
    }
  });
});

describe('lithomech run: bad input', () => {
  it('an unknown scenario name: exit 2, one line, no output directory', () => {
    const r = lithomech(['run', 'no-such-scenario', '--out', join(dir, 'bad1')]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/^lithomech: no-such-scenario: no such file and no shipped scenario of that name \(shipped: .*quick-start/);
    expect(leftovers('bad1')).toEqual([]);
  });

  it('a key of the wrong type in the file: the error names the file and the key; no output directory', () => {
    const text = readFileSync(QUICK, 'utf8');
    expect(text).toMatch(/initialSoc: 0\n/);
    const f = join(dir, 'wrong-type.yaml');
    writeFileSync(f, text.replace(/initialSoc: 0\n/, 'initialSoc: half\n'));
    const r = lithomech(['run', f, '--out', join(dir, 'bad2')]);
    expect(r.code).toBe(2);
    const line = oneLine(r.stderr);
    expect(line).toMatch(/wrong-type\.yaml: electrode\.initialSoc: /);
    expect(line).toMatch(/number/);
    expect(leftovers('bad2')).toEqual([]);
  });

  it('a --set override of the wrong type is reported by its key; no output directory', () => {
    const r = lithomech(['run', 'quick-start', '--out', join(dir, 'bad3'), '--set', 'solver.time.order=3']);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/quick-start\.yaml: solver\.time\.order: .*1, 2/);
    expect(leftovers('bad3')).toEqual([]);
  });
});

describe('lithomech run: an incomplete run', () => {
  it('a step that cannot converge: exit 1, outputs kept, summary.json status "incomplete" with the error', () => {
    const out = join(dir, 'incomplete');
    // one Newton iteration cannot meet the residual test from the predictor, and dt may not be halved below 1 s
    const r = lithomech(['run', 'quick-start', '--out', out, ...SMALL, '--set', 'solver.time.newtonMaxIterations=1', '--set', 'solver.time.minStep=1 s']);
    expect(r.code).toBe(1);
    const line = oneLine(r.stderr);
    expect(line).toMatch(/run incomplete/);
    expect(line).toContain(out);
    for (const f of ['timeseries.csv', 'fields.pvd', 'summary.json', 'scenario.resolved.yaml']) expect(existsSync(join(out, f)), f).toBe(true);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s.status).toBe('incomplete');
    expect(typeof s.error).toBe('string');
    expect(s.error).toMatch(/step 1 \(Charge at 1C for 120 s\)/);
    expect(s.error).toMatch(/dtMin/);
    expect(s.stepsCompleted).toBe(0);
    // what was recorded stays valid: the t = 0 row and the start snapshot
    const ts = readCsv(join(out, 'timeseries.csv'));
    expect(ts.rows.length).toBe(s.timeseriesRows);
    expect(col(ts, 'time_s')[0]).toBe(0);
    const pvd = readFileSync(join(out, 'fields.pvd'), 'utf8');
    for (const m of pvd.matchAll(/file="([^"]+)"/g)) expect(existsSync(join(out, m[1])), m[1]).toBe(true);
    expect(leftovers('incomplete')).toEqual(['incomplete']);
  });
});

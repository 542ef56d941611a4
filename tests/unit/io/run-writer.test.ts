/**
 * RunWriter (the files of `lithomech run`) driven with synthetic rows and snapshots: every file is
 * read back (CSV numbers exactly, .vti with readVti and, when python3-vtk9 is present, with VTK
 * itself; the .pvd; summary.json; the SVG plots as XML), for complete and incomplete runs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { VERSION } from '../../../src/core/version.js';
import type { Shape3, Vec3 } from '../../../src/core/volume.js';
import {
  decimateIndices, PARTICLE_SNAPSHOT_COLUMNS, PLOT_MAX_POINTS, RUN_FILES, RunWriter, siScale, snapshotFiles, TIMESERIES_COLUMNS,
} from '../../../src/io/run-writer.js';
import { parseXml, type XmlElement } from '../../../src/io/vtk/xml-encoding.js';
import { readVti } from '../../../src/io/vtk/vti.js';
import type { ParticleSnapshotRow, RunSummary, Snapshot, TimeseriesRow } from '../../../src/sim/run-recorder.js';
import { HAVE_VTK, SYSTEM_PYTHON, VTK_MISSING, VTK_VERSION } from '../../helpers/system-vtk.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const VTK_READ_PY = resolve(HERE, '../../helpers/vtk_read.py');

const SHAPE: Shape3 = [4, 3, 2];
const N_CELLS = 24;
const VOXEL: Vec3 = [5e-7, 5e-7, 2.5e-7];
const ORIGIN: Vec3 = [0, 1e-6, -2e-6];

let root: string;
let counter = 0;
beforeAll(() => { root = mkdtempSync(join(tmpdir(), 'lithomech-run-writer-')); });
afterAll(() => { rmSync(root, { recursive: true, force: true }); });

/** A fresh existing directory, as withAtomicOutputDir hands out. */
function freshDir(): string {
  const d = join(root, `run-${counter++}`);
  return mkdtempSync(d);
}

// ---------------------------------------------------------------------------------------------
// Synthetic run data
// ---------------------------------------------------------------------------------------------

/** Row i of a two-step run (charge, then discharge), with awkward numbers in every column. */
function row(i: number, n: number): TimeseriesRow {
  const step = i < n / 2 ? 0 : 1;
  const soc = step === 0 ? i / n : 1 - i / n;
  return {
    time_s: i * 0.1 + 1 / 3,
    step,
    current_A: step === 0 ? 1.234567890123e-9 : -1.234567890123e-9,
    current_density_A_m2: step === 0 ? 3.0000000000000004 : -3,
    voltage_V: 3.6 + 0.5 * soc + Math.sin(i) * 1e-3,
    soc,
    capacity_Ah: (i * 0.1 * 1.234567890123e-9) / 3600,
    overpotential_mean_V: 1e-300 * (i + 1),
    overpotential_max_V: i === 3 ? Infinity : 0.02 + i * 1e-17,
    c_s_mean_mol_m3: 49000 * soc + 0.1,
    c_e_mean_mol_m3: 1000 - i / 7,
    c_e_min_mol_m3: i % 5 === 0 ? NaN : 900,
    c_e_max_mol_m3: i === 4 ? -Infinity : 1100 + 1 / (i + 1),
  };
}

function particles(k: number): ParticleSnapshotRow[] {
  return [1, 2, 7].map((p) => ({
    particle: p, depth_m: p * 1.1e-6, volume_m3: 4.18879e-18 * p, soc_mean: 0.1 * k + 1 / 3,
    soc_surface: p === 7 ? NaN : 0.2 * k, soc_change: 0.1 * k, current_density_abs_mean_A_m2: 2.5 * p + 1e-12,
  }));
}

function snapshot(index: number, time_s: number): Snapshot {
  const cs = new Float64Array(N_CELLS).map((_, i) => (i % 4 === 0 ? NaN : 1000 * index + i / 3));
  return {
    index, time_s, soc: 0.25 * index, voltage_V: 3.7 + index * 0.01, reason: index === 0 ? 'start' : `every 60 s`,
    fields: [
      { name: 'c_s', data: cs },
      { name: 'phi_e', data: new Float32Array(N_CELLS).map((_, i) => -i * 1e-3) },
      { name: 'particle', data: new Int32Array(N_CELLS).map((_, i) => (i % 3) - 1) },
      { name: 'phase', data: new Uint8Array(N_CELLS).map((_, i) => i % 3) },
    ],
    particles: particles(index),
  };
}

function summary(over: Partial<RunSummary> = {}): RunSummary {
  return {
    status: 'complete', stepsCompleted: 2, stepsTotal: 2,
    stepEnds: [{ step: 0, text: 'CC charge 1C', endedBy: 'cut-off 4.1 V', time_s: 350 }],
    nominalCapacity_Ah: 4.2e-9, chargeCapacity_Ah: 2.1e-9, dischargeCapacity_Ah: 2.0e-9, energy_Wh: 8e-9,
    lithiumBalanceError: 1e-12, chargeBalanceError: 2e-12, lithiumBalanceErrorMaxStep: 3e-13,
    solver: { rtol: 1e-6 }, wallTime_s: 1.5, couplings: { electrolyte: true }, rve: { shape: SHAPE },
    snapshots: [], ...over,
  };
}

// ---------------------------------------------------------------------------------------------
// Readers
// ---------------------------------------------------------------------------------------------

function parseCsvNumber(s: string): number {
  if (s === '') return NaN;
  if (s === 'inf') return Infinity;
  if (s === '-inf') return -Infinity;
  const v = Number(s);
  if (Number.isNaN(v)) throw new Error(`not a number: "${s}"`);
  return v;
}

function readCsv(path: string): { header: string[]; rows: number[][] } {
  const text = readFileSync(path, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  const [header, ...lines] = text.slice(0, -1).split('\n');
  return { header: header.split(','), rows: lines.map((l) => l.split(',').map(parseCsvNumber)) };
}

function expectSameNumbers(got: number[], want: number[], ctx: string): void {
  expect(got.length, ctx).toBe(want.length);
  for (let k = 0; k < want.length; k++) {
    if (!Object.is(got[k], want[k])) throw new Error(`${ctx}[${k}]: got ${got[k]}, want ${want[k]}`);
  }
}

function findAll(el: XmlElement, name: string, out: XmlElement[] = []): XmlElement[] {
  for (const c of el.children) {
    if (c.name === name) out.push(c);
    findAll(c, name, out);
  }
  return out;
}

function readPvd(path: string): { time: number; file: string }[] {
  const doc = parseXml(readFileSync(path, 'utf8'), path);
  const [vtk] = doc.children;
  expect(vtk.name).toBe('VTKFile');
  expect(vtk.attrs.type).toBe('Collection');
  const [collection] = vtk.children;
  expect(collection.name).toBe('Collection');
  return collection.children.map((d) => ({ time: Number(d.attrs.timestep), file: d.attrs.file }));
}

/** Parses the SVG; returns its text contents and the `d` of every path. */
function readSvg(path: string): { texts: string; paths: string[] } {
  const text = readFileSync(path, 'utf8');
  const doc = parseXml(text, path);
  expect(doc.children.map((c) => c.name)).toEqual(['svg']);
  const svg = doc.children[0];
  expect(svg.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
  const paths = findAll(svg, 'path').map((p) => p.attrs.d ?? '');
  const texts = findAll(svg, 'text').map((t) => text.slice(t.contentStart, t.contentEnd)).join('|');
  return { texts, paths };
}

/** Number of vertices of the longest path (the data lines are by far the longest). */
function longestPathVertices(paths: string[]): number {
  return Math.max(...paths.map((d) => (d.match(/[ML]/g) ?? []).length));
}

// ---------------------------------------------------------------------------------------------
// A complete run
// ---------------------------------------------------------------------------------------------

describe('RunWriter: a complete run', () => {
  const N_ROWS = 7000; // above PLOT_MAX_POINTS, so the plots are decimated
  const SNAP_TIMES = [0, 60, 120.5];
  let dir: string;
  const resolved = { scenario: 'cc-charge', rve: { shape: SHAPE, voxelSize: VOXEL }, protocol: [{ cc: { c_rate: 1, until: 'V >= 4.1' } }], dt_max: 1e-3 };

  beforeAll(async () => {
    dir = freshDir();
    const w = new RunWriter(dir, { shape: SHAPE, voxelSize: VOXEL, origin: ORIGIN });
    await w.start(resolved);
    let s = 0;
    for (let i = 0; i < N_ROWS; i++) {
      w.timeseries(row(i, N_ROWS));
      if (i % 2000 === 0 && s < SNAP_TIMES.length) {
        await w.snapshot(snapshot(s, SNAP_TIMES[s]));
        // The collection is valid after every snapshot (a run cut short keeps a usable one).
        expect(readPvd(join(dir, RUN_FILES.pvd)).length).toBe(s + 1);
        s++;
      }
    }
    await w.finish(summary());
  });

  it('scenario.resolved.yaml: version header, the resolved scenario', () => {
    const text = readFileSync(join(dir, RUN_FILES.scenario), 'utf8');
    expect(text.split('\n')[0]).toMatch(new RegExp(`^# lithomech ${VERSION.replace(/\./g, '\\.')}\\b`));
    expect(YAML.parse(text)).toEqual(resolved);
  });

  it('timeseries.csv: fixed header, every row, the same numbers (NaN empty, ±inf)', () => {
    const { header, rows } = readCsv(join(dir, RUN_FILES.timeseries));
    expect(header).toEqual([...TIMESERIES_COLUMNS]);
    expect(header).toEqual(Object.keys(row(0, 1))); // the interface's declaration order
    expect(rows.length).toBe(N_ROWS);
    for (let i = 0; i < N_ROWS; i++) {
      const want = row(i, N_ROWS);
      expectSameNumbers(rows[i], TIMESERIES_COLUMNS.map((c) => want[c]), `row ${i}`);
    }
  });

  it('snapshots: .vti read back with the same arrays (Float64 stored as Float32), grid, time', async () => {
    for (const [k, t] of SNAP_TIMES.entries()) {
      const want = snapshot(k, t);
      const vti = await readVti(join(dir, snapshotFiles(k).fields));
      expect(vti.shape).toEqual(SHAPE);
      expect(vti.spacing).toEqual(VOXEL);
      expect(vti.origin).toEqual(ORIGIN);
      expect(Object.keys(vti.cellData)).toEqual(want.fields.map((f) => f.name));
      expect(vti.cellData.c_s).toBeInstanceOf(Float32Array);
      expect(vti.cellData.c_s).toEqual(Float32Array.from(want.fields[0].data));
      expect(vti.cellData.phi_e).toEqual(want.fields[1].data);
      expect(vti.cellData.particle).toEqual(want.fields[2].data);
      expect(vti.cellData.phase).toEqual(want.fields[3].data);
      expect(Number(vti.fieldData.TimeValue)).toBe(t);
      expect(JSON.parse(vti.fieldData.snapshot)).toEqual({ index: k, time_s: t, soc: want.soc, voltage_V: want.voltage_V, reason: want.reason });
    }
  });

  it('particles CSVs: the columns of ParticleSnapshotRow, the same numbers', () => {
    for (let k = 0; k < SNAP_TIMES.length; k++) {
      const { header, rows } = readCsv(join(dir, snapshotFiles(k).particles));
      expect(header).toEqual([...PARTICLE_SNAPSHOT_COLUMNS]);
      expect(header).toEqual(Object.keys(particles(0)[0]));
      const want = particles(k);
      expect(rows.length).toBe(want.length);
      for (const [j, p] of want.entries()) expectSameNumbers(rows[j], PARTICLE_SNAPSHOT_COLUMNS.map((c) => p[c]), `snapshot ${k} particle ${j}`);
    }
  });

  it('fields.pvd lists every snapshot with its time, relative paths that exist', () => {
    const entries = readPvd(join(dir, RUN_FILES.pvd));
    expect(entries).toEqual(SNAP_TIMES.map((time, k) => ({ time, file: `fields/fields_000${k}.vti` })));
    for (const e of entries) expect(existsSync(join(dir, e.file))).toBe(true);
  });

  it('summary.json: status, the runner\'s numbers, snapshot and file lists', () => {
    const s = JSON.parse(readFileSync(join(dir, RUN_FILES.summary), 'utf8'));
    const want = summary();
    expect(s.status).toBe('complete');
    expect(s.lithomech).toBe(VERSION);
    for (const key of ['stepsCompleted', 'stepsTotal', 'stepEnds', 'nominalCapacity_Ah', 'energy_Wh', 'lithiumBalanceError', 'solver', 'couplings', 'rve'] as const) {
      expect(s[key], key).toEqual(want[key]);
    }
    expect(s.timeseriesRows).toBe(N_ROWS);
    expect(s.snapshots).toEqual(SNAP_TIMES.map((time_s, index) => ({
      index, time_s, soc: 0.25 * index, reason: index === 0 ? 'start' : 'every 60 s', file: snapshotFiles(index).fields,
    })));
    expect(s.files).toEqual([
      RUN_FILES.currentPlot, RUN_FILES.pvd, ...SNAP_TIMES.map((_, k) => snapshotFiles(k).fields),
      ...SNAP_TIMES.map((_, k) => snapshotFiles(k).particles), RUN_FILES.scenario, RUN_FILES.summary,
      RUN_FILES.timeseries, RUN_FILES.voltagePlot,
    ].sort());
    for (const f of s.files) expect(existsSync(join(dir, f)), f).toBe(true);
  });

  it('voltage.svg / current.svg: well-formed SVG with data lines, axis titles, decimated', () => {
    const v = readSvg(join(dir, RUN_FILES.voltagePlot));
    expect(v.texts).toContain('charge passed [pA h]'); // ≈ 2.4e-10 A h at the end → 240 pA h
    expect(v.texts).toContain('voltage vs Li/Li⁺ [V]');
    expect(v.texts).toContain(`${N_ROWS} rows (`);
    // Two steps, each a line of at most about PLOT_MAX_POINTS / 2 vertices, but many more than 2.
    const longest = longestPathVertices(v.paths);
    expect(longest).toBeGreaterThan(PLOT_MAX_POINTS / 4);
    expect(longest).toBeLessThan(PLOT_MAX_POINTS / 2 + 10);
    const c = readSvg(join(dir, RUN_FILES.currentPlot));
    expect(c.texts).toContain('time [s]');
    expect(c.texts).toContain('current [nA] (+ charge)');
    expect(longestPathVertices(c.paths)).toBeGreaterThan(PLOT_MAX_POINTS / 4);
  });
});

describe('RunWriter: options and small runs', () => {
  it('float64Fields keeps Float64 arrays bit for bit', async () => {
    const dir = freshDir();
    const w = new RunWriter(dir, { shape: SHAPE, voxelSize: VOXEL, float64Fields: true });
    await w.start({});
    const s = snapshot(0, 0);
    await w.snapshot(s);
    await w.finish(summary());
    const vti = await readVti(join(dir, snapshotFiles(0).fields));
    expect(vti.cellData.c_s).toBeInstanceOf(Float64Array);
    expect(vti.cellData.c_s).toEqual(s.fields[0].data);
    expect(vti.origin).toEqual([0, 0, 0]);
  });

  it('an incomplete run keeps what it has: rows, snapshots, summary with the error, plots', async () => {
    const dir = freshDir();
    const w = new RunWriter(dir, { shape: SHAPE, voxelSize: VOXEL });
    await w.start({ scenario: 'fails' });
    for (let i = 0; i < 10; i++) w.timeseries(row(i, 40));
    await w.snapshot(snapshot(0, 0.5));
    for (let i = 10; i < 15; i++) w.timeseries(row(i, 40));
    await w.finish(summary({ status: 'incomplete', error: 'Newton did not converge at t = 1.8 s', stepsCompleted: 0, lithiumBalanceError: NaN }));
    expect(readCsv(join(dir, RUN_FILES.timeseries)).rows.length).toBe(15);
    expect(readPvd(join(dir, RUN_FILES.pvd))).toEqual([{ time: 0.5, file: 'fields/fields_0000.vti' }]);
    expect((await readVti(join(dir, snapshotFiles(0).fields))).cellData.phase).toEqual(snapshot(0, 0).fields[3].data);
    const s = JSON.parse(readFileSync(join(dir, RUN_FILES.summary), 'utf8'));
    expect(s.status).toBe('incomplete');
    expect(s.error).toBe('Newton did not converge at t = 1.8 s');
    expect(s.lithiumBalanceError).toBeNull(); // NaN has no JSON form
    expect(s.snapshots.map((x: { file: string }) => x.file)).toEqual(['fields/fields_0000.vti']);
    const v = readSvg(join(dir, RUN_FILES.voltagePlot));
    expect(v.texts).toContain('INCOMPLETE after 0/2 steps: Newton did not converge at t = 1.8 s');
    expect(longestPathVertices(v.paths)).toBe(15); // every row plotted, one step
    readSvg(join(dir, RUN_FILES.currentPlot));
  });

  it('a run that fails before any row or snapshot still leaves valid files', async () => {
    const dir = freshDir();
    const w = new RunWriter(dir, { shape: SHAPE, voxelSize: VOXEL });
    await w.finish(summary({ status: 'incomplete', error: 'bad scenario', stepsCompleted: 0 }));
    expect(readCsv(join(dir, RUN_FILES.timeseries))).toEqual({ header: [...TIMESERIES_COLUMNS], rows: [] });
    expect(readPvd(join(dir, RUN_FILES.pvd))).toEqual([]);
    const s = JSON.parse(readFileSync(join(dir, RUN_FILES.summary), 'utf8'));
    expect(s.status).toBe('incomplete');
    expect(s.timeseriesRows).toBe(0);
    expect(s.files).not.toContain(RUN_FILES.scenario); // start() never ran
    expect(readSvg(join(dir, RUN_FILES.voltagePlot)).texts).toContain('INCOMPLETE');
    expect(readSvg(join(dir, RUN_FILES.currentPlot)).texts).toContain('0 rows');
  });

  it('many steps get a colour gradient instead of a legend entry per step', async () => {
    const dir = freshDir();
    const w = new RunWriter(dir, { shape: SHAPE, voxelSize: VOXEL });
    for (let i = 0; i < 300; i++) w.timeseries({ ...row(i, 300), step: Math.floor(i / 10) });
    await w.finish(summary({ stepsCompleted: 30, stepsTotal: 30 }));
    const v = readSvg(join(dir, RUN_FILES.voltagePlot));
    expect(v.texts).not.toContain('|17|'); // no per-step legend labels
    const text = readFileSync(join(dir, RUN_FILES.voltagePlot), 'utf8');
    expect(text).toContain('role-legend-gradient');
  });
});

describe('RunWriter: misuse is an error, not a silent fix', () => {
  it('rejects out-of-order snapshots, missing columns, calls after finish, a second finish', async () => {
    const dir = freshDir();
    const w = new RunWriter(dir, { shape: SHAPE, voxelSize: VOXEL });
    await expect(w.snapshot(snapshot(1, 0))).rejects.toThrow(/index 1, expected 0/);
    const partial = { ...row(0, 2) } as Partial<TimeseriesRow>;
    delete partial.soc;
    expect(() => w.timeseries(partial as TimeseriesRow)).toThrow(/soc is missing/);
    const bad = snapshot(0, 0);
    bad.fields.push({ name: 'c_s', data: new Float64Array(N_CELLS) });
    await expect(w.snapshot(bad)).rejects.toThrow(/"c_s" appears twice/);
    const short = snapshot(0, 0);
    short.fields[1] = { name: 'phi_e', data: new Float32Array(N_CELLS - 1) };
    await expect(w.snapshot(short)).rejects.toThrow(/"phi_e" has 23 values, expected 24/);
    await w.snapshot(snapshot(0, 0)); // the failed attempts did not count
    await w.finish(summary({ status: 'incomplete', error: 'x' }));
    expect(readPvd(join(dir, RUN_FILES.pvd)).length).toBe(1);
    expect(() => w.timeseries(row(0, 2))).toThrow(/after finish/);
    await expect(w.snapshot(snapshot(1, 1))).rejects.toThrow(/after finish/);
    await expect(w.finish(summary())).rejects.toThrow(/twice/);
  });

  it('rejects a bad grid', () => {
    expect(() => new RunWriter(freshDir(), { shape: [4, 0, 2], voxelSize: VOXEL })).toThrow(/bad shape/);
    expect(() => new RunWriter(freshDir(), { shape: SHAPE, voxelSize: [1e-6, -1e-6, 1e-6] })).toThrow(/bad voxelSize/);
  });
});

describe('plot helpers', () => {
  it('decimateIndices keeps each step\'s ends and every bucket\'s voltage extremes', () => {
    const n = 20_000;
    const step = new Float64Array(n).map((_, i) => (i < 12_345 ? 0 : 1));
    const v = new Float64Array(n).map((_, i) => 3.7 + 1e-4 * Math.sin(i / 100));
    v[777] = 5; // a spike must survive
    v[15_001] = 1;
    v[3] = NaN;
    const idx = decimateIndices(step, v, n, 1000);
    expect(idx.length).toBeLessThanOrEqual(1000 + 4);
    expect(idx.length).toBeGreaterThan(900);
    for (let k = 1; k < idx.length; k++) expect(idx[k]).toBeGreaterThan(idx[k - 1]);
    for (const i of [0, 777, 12_344, 12_345, 15_001, n - 1]) expect(idx).toContain(i);
    expect(decimateIndices(step, v, 1000, 1000)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('siScale picks the prefix that puts the largest value in [1, 1000)', () => {
    expect(siScale(2.4e-10)).toEqual({ factor: 1e12, prefix: 'p' });
    expect(siScale(3e-9)).toEqual({ factor: 1e9, prefix: 'n' });
    expect(siScale(0.5)).toEqual({ factor: 1e3, prefix: 'm' });
    expect(siScale(2)).toEqual({ factor: 1, prefix: '' });
    expect(siScale(0)).toEqual({ factor: 1, prefix: '' });
  });
});

// ---------------------------------------------------------------------------------------------
// The VTK library itself (python3-vtk9) opens a snapshot and the collection
// ---------------------------------------------------------------------------------------------

if (!HAVE_VTK && process.env.CI) {
  describe('RunWriter output read by VTK (python3-vtk9)', () => {
    it('requires python3-vtk9 on CI', () => { throw new Error(VTK_MISSING); });
  });
}

/** Reads a .pvd with VTK's XML parser and each of its data sets with vtkXMLImageDataReader. */
const PVD_SCRIPT = `
import json, os, sys, vtk
from vtkmodules.vtkIOXMLParser import vtkXMLDataParser
window = vtk.vtkStringOutputWindow(); vtk.vtkOutputWindow.SetInstance(window)
path = sys.argv[1]
p = vtkXMLDataParser(); p.SetFileName(path)
if not p.Parse(): sys.exit('parse failed')
root = p.GetRootElement()
coll = root.FindNestedElementWithName('Collection')
out = {'type': root.GetAttribute('type'), 'datasets': []}
for i in range(coll.GetNumberOfNestedElements()):
    e = coll.GetNestedElement(i)
    r = vtk.vtkXMLImageDataReader(); r.SetFileName(os.path.join(os.path.dirname(path), e.GetAttribute('file'))); r.Update()
    img = r.GetOutput(); cd = img.GetCellData()
    out['datasets'].append({'timestep': float(e.GetAttribute('timestep')), 'cells': img.GetNumberOfCells(),
        'arrays': [cd.GetArrayName(k) for k in range(cd.GetNumberOfArrays())],
        'time': img.GetFieldData().GetArray('TimeValue').GetValue(0)})
out['messages'] = window.GetOutput()
import xml.etree.ElementTree as ET
out['svgRoots'] = [ET.parse(f).getroot().tag for f in sys.argv[2:]]
print(json.dumps(out))
`;

describe.skipIf(!HAVE_VTK)(HAVE_VTK ? `RunWriter output read by VTK ${VTK_VERSION}` : `RunWriter output read by VTK: skipped, ${VTK_MISSING}`, () => {
  let dir: string;
  beforeAll(async () => {
    dir = freshDir();
    const w = new RunWriter(dir, { shape: SHAPE, voxelSize: VOXEL, origin: ORIGIN });
    await w.start({});
    for (let i = 0; i < 50; i++) w.timeseries(row(i, 50));
    await w.snapshot(snapshot(0, 0));
    await w.snapshot(snapshot(1, 2.5));
    await w.finish(summary());
  });

  it('vtkXMLImageDataReader reads a snapshot with the same arrays', () => {
    const r = spawnSync(SYSTEM_PYTHON, [VTK_READ_PY, join(dir, snapshotFiles(1).fields)], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const [f] = JSON.parse(r.stdout).files;
    expect(f.messages).toBe('');
    expect(f.cells).toBe(N_CELLS);
    expect(f.spacing).toEqual(VOXEL);
    expect(f.origin).toEqual(ORIGIN);
    const want = snapshot(1, 2.5);
    expect(f.cellData.c_s.type).toBe('float');
    expect(f.cellData.c_s.values).toEqual(Array.from(Float32Array.from(want.fields[0].data), (x) => (Number.isNaN(x) ? 'nan' : x)));
    expect(f.cellData.particle.type).toBe('int');
    expect(f.cellData.particle.values).toEqual(Array.from(want.fields[2].data));
    expect(f.cellData.phase.values).toEqual(Array.from(want.fields[3].data));
    expect(f.fieldData.TimeValue.values).toEqual([2.5]);
  });

  it('fields.pvd opens with VTK\'s XML parser and every data set loads; the SVGs parse', () => {
    const r = spawnSync(SYSTEM_PYTHON, ['-c', PVD_SCRIPT, join(dir, RUN_FILES.pvd), join(dir, RUN_FILES.voltagePlot), join(dir, RUN_FILES.currentPlot)], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.messages).toBe('');
    expect(out.type).toBe('Collection');
    expect(out.datasets).toEqual([0, 2.5].map((t) => ({ timestep: t, cells: N_CELLS, arrays: ['c_s', 'phi_e', 'particle', 'phase'], time: t })));
    expect(out.svgRoots).toEqual(['{http://www.w3.org/2000/svg}svg', '{http://www.w3.org/2000/svg}svg']);
  });
});

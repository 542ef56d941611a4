/**
 * The files of `lithomech run`: a `RunRecorder` (src/sim/run-recorder.ts) that writes into an
 * existing directory (the caller's temporary directory from `withAtomicOutputDir`; the writer
 * never renames anything).
 *
 *   scenario.resolved.yaml        at start(): the resolved scenario, YAML, version header comment
 *   timeseries.csv                one line per timeseries() call, streamed (header written at once)
 *   fields/fields_NNNN.vti        per snapshot: cell data = the snapshot fields; point data = the
 *                                 point fields (the displacement when the run solves mechanics)
 *   particles/particles_NNNN.csv  per snapshot: the particle table (+ the mechanics columns
 *                                 when the rows carry them)
 *   fields.pvd                    ParaView collection of the snapshots, rewritten after each one
 *   summary.json                  at finish(): the RunSummary + snapshot list + file list
 *   voltage.svg, current.svg      at finish(): plots of the recorded rows (Vega-Lite)
 *
 * Format choices:
 * - CSV numbers are `String(x)` (shortest round-trip decimal, so they parse back exactly), NaN is
 *   an empty field and ±Infinity is `inf`/`-inf` (what pandas and Python's float() read).
 *   Columns follow the declaration order of TimeseriesRow / ParticleSnapshotRow.
 * - Float64 snapshot fields are stored as Float32 by default (half the size; 7 significant
 *   digits is plenty for viewing — the exact numbers are in the CSVs); `float64Fields: true`
 *   keeps them. Other array types are written as they are. Each .vti carries `TimeValue` (s)
 *   and a `snapshot` JSON string (index, time, soc, voltage, reason) as field data.
 * - fields.pvd and the plots are written even with zero snapshots / rows, so the set of files
 *   is the same for complete and incomplete runs.
 * - Plots: capacity, current and time axes get an SI prefix / unit chosen from the data range
 *   (an RVE passes nA h, not A h). Above PLOT_MAX_POINTS rows the plot data (only) is decimated
 *   per step, keeping the minimum and maximum voltage of each bucket and each step's ends.
 *
 * Call order: start, then timeseries/snapshot (await each snapshot), then finish once. timeseries()
 * is synchronous: lines are batched and handed to a write stream; a write error is raised by the
 * next call (or by finish).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import YAML from 'yaml';
import { VERSION } from '../core/version.js';
import type { Shape3, Vec3 } from '../core/volume.js';
import type {
  ParticleSnapshotRow, RunRecorder, RunSummary, Snapshot, TimeseriesRow,
} from '../sim/run-recorder.js';
import { writePvd } from './vtk/pvd.js';
import { writeVti, type VtkArrayInput } from './vtk/vti.js';

/** Column order of timeseries.csv (that of TimeseriesRow). */
export const TIMESERIES_COLUMNS = [
  'time_s', 'step', 'current_A', 'current_density_A_m2', 'voltage_V', 'soc', 'capacity_Ah',
  'overpotential_mean_V', 'overpotential_max_V', 'c_s_mean_mol_m3', 'c_e_mean_mol_m3',
  'c_e_min_mol_m3', 'c_e_max_mol_m3',
] as const satisfies readonly (keyof TimeseriesRow)[];

/** Extra columns of timeseries.csv when the run solves mechanics (`RunWriterGrid.mechanics`). */
export const TIMESERIES_MECHANICS_COLUMNS = [
  'thickness_change_m', 'thickness_strain', 'eps_xx_mean', 'eps_yy_mean', 'eps_zz_mean',
  'eps_yz_mean', 'eps_xz_mean', 'eps_xy_mean', 'von_mises_max_Pa',
] as const satisfies readonly (keyof TimeseriesRow)[];

/** Column order of particles_NNNN.csv (that of ParticleSnapshotRow). */
export const PARTICLE_SNAPSHOT_COLUMNS = [
  'particle', 'depth_m', 'volume_m3', 'soc_mean', 'soc_surface', 'soc_change',
  'current_density_abs_mean_A_m2',
] as const satisfies readonly (keyof ParticleSnapshotRow)[];

/** Extra columns of particles_NNNN.csv, written only when the rows carry them (runs with mechanics). */
export const PARTICLE_MECHANICS_COLUMNS = [
  'von_mises_max_Pa', 'von_mises_mean_Pa', 'hydrostatic_mean_Pa', 'volume_change',
  'centroid_displacement_x_m', 'centroid_displacement_y_m', 'centroid_displacement_z_m',
] as const satisfies readonly (keyof ParticleSnapshotRow)[];

// Compile-time check that the column lists name every field.
type Missing<T, C extends readonly (keyof T)[]> = Exclude<keyof T, C[number]>;
const allTimeseriesColumns: [Exclude<Missing<TimeseriesRow, typeof TIMESERIES_COLUMNS>, (typeof TIMESERIES_MECHANICS_COLUMNS)[number]>] extends [never] ? true : never = true;
const allParticleColumns: [Exclude<Missing<ParticleSnapshotRow, typeof PARTICLE_SNAPSHOT_COLUMNS>, (typeof PARTICLE_MECHANICS_COLUMNS)[number]>] extends [never] ? true : never = true;
void allTimeseriesColumns; void allParticleColumns;

export const RUN_FILES = {
  scenario: 'scenario.resolved.yaml',
  timeseries: 'timeseries.csv',
  pvd: 'fields.pvd',
  summary: 'summary.json',
  voltagePlot: 'voltage.svg',
  currentPlot: 'current.svg',
} as const;

/** Relative paths (with "/") of snapshot `index`'s files. */
export function snapshotFiles(index: number): { fields: string; particles: string } {
  const n = String(index).padStart(4, '0');
  return { fields: `fields/fields_${n}.vti`, particles: `particles/particles_${n}.csv` };
}

/** Above this many rows the plots use decimated data (the CSV always has every row). */
export const PLOT_MAX_POINTS = 5000;
/** Rows buffered before they are handed to the CSV write stream. */
const CSV_BATCH = 512;

export interface RunWriterGrid {
  /** Cells per axis of the RVE [nx, ny, nz]. */
  shape: Shape3;
  /** Voxel edge lengths [m]. */
  voxelSize: Vec3;
  /** Corner of voxel 0 [m]; default [0, 0, 0]. */
  origin?: Vec3;
  /** Keep Float64 snapshot fields as Float64 (default: stored as Float32). */
  float64Fields?: boolean;
  /** The run solves mechanics: timeseries.csv gets TIMESERIES_MECHANICS_COLUMNS (every row must carry them). */
  mechanics?: boolean;
}

/** One CSV field: shortest round-trip decimal; NaN → empty; ±Infinity → inf / -inf. */
export function csvNumber(v: number): string {
  if (Number.isNaN(v)) return '';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return String(v);
}

function csvLine<T>(row: T, columns: readonly (keyof T & string)[], what: string): string {
  return columns.map((c) => {
    const v = row[c];
    if (typeof v !== 'number') throw new Error(`RunWriter: ${what}.${c} is ${v === undefined ? 'missing' : typeof v}, expected a number`);
    return csvNumber(v);
  }).join(',');
}

/** Growable column store of what the plots need. */
class PlotColumns {
  time = new Float64Array(1024);
  step = new Float64Array(1024);
  current = new Float64Array(1024);
  voltage = new Float64Array(1024);
  capacity = new Float64Array(1024);
  length = 0;

  push(r: TimeseriesRow): void {
    if (this.length === this.time.length) {
      for (const k of ['time', 'step', 'current', 'voltage', 'capacity'] as const) {
        const bigger = new Float64Array(this[k].length * 2);
        bigger.set(this[k]);
        this[k] = bigger;
      }
    }
    const i = this.length++;
    this.time[i] = r.time_s; this.step[i] = r.step; this.current[i] = r.current_A;
    this.voltage[i] = r.voltage_V; this.capacity[i] = r.capacity_Ah;
  }
}

/**
 * Indices of the rows to plot: all of them up to `maxPoints`, else per run of equal `step`
 * buckets of consecutive rows, each contributing its min- and max-`value` row, plus the first and
 * last row of each run (about `maxPoints` + 2 × runs points, in order).
 */
export function decimateIndices(step: ArrayLike<number>, value: ArrayLike<number>, n: number, maxPoints: number): number[] {
  if (n <= maxPoints) return Array.from({ length: n }, (_, i) => i);
  const bucket = Math.ceil((2 * n) / maxPoints);
  const out: number[] = [];
  let a = 0;
  while (a < n) {
    let b = a + 1;
    while (b < n && step[b] === step[a]) b++;
    out.push(a);
    for (let s = a; s < b; s += bucket) {
      const e = Math.min(s + bucket, b);
      let iMin = -1, iMax = -1;
      for (let i = s; i < e; i++) {
        const v = value[i];
        if (Number.isNaN(v)) continue;
        if (iMin < 0 || v < value[iMin]) iMin = i;
        if (iMax < 0 || v > value[iMax]) iMax = i;
      }
      for (const i of iMin < 0 ? [] : iMin <= iMax ? [iMin, iMax] : [iMax, iMin]) if (i > out[out.length - 1]) out.push(i);
    }
    if (b - 1 > out[out.length - 1]) out.push(b - 1);
    a = b;
  }
  return out;
}

/** SI prefix making the largest |value| read between 1 and 1000 (A h → mA h, µA h, …). */
export function siScale(maxAbs: number): { factor: number; prefix: string } {
  // [prefix, unit, 1/unit] (both written out: 1 / 1e-9 is not exactly 1e9).
  const prefixes = [['', 1, 1], ['m', 1e-3, 1e3], ['µ', 1e-6, 1e6], ['n', 1e-9, 1e9], ['p', 1e-12, 1e12], ['f', 1e-15, 1e15]] as const;
  if (!(maxAbs > 0) || !Number.isFinite(maxAbs)) return { factor: 1, prefix: '' };
  for (const [prefix, unit, factor] of prefixes) if (maxAbs >= unit) return { factor, prefix };
  return { factor: 1e15, prefix: 'f' };
}

function timeScale(maxTime: number): { factor: number; unit: string } {
  if (maxTime > 36_000) return { factor: 1 / 3600, unit: 'h' };
  if (maxTime > 1000) return { factor: 1 / 60, unit: 'min' };
  return { factor: 1, unit: 's' };
}

function maxAbs(a: Float64Array, n: number): number {
  let m = 0;
  for (let i = 0; i < n; i++) { const v = Math.abs(a[i]); if (v > m) m = v; }
  return m;
}

async function renderSvg(spec: TopLevelSpec): Promise<string> {
  // loaded here, not at start-up: vega + vega-lite take ≈ 0.5 s to import, and only `run` plots
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export class RunWriter implements RunRecorder {
  private readonly csv: WriteStream;
  private csvError: Error | null = null;
  private pending: string[] = [];
  private readonly rows = new PlotColumns();
  private readonly snapshots: RunSummary['snapshots'] = [];
  private readonly files = new Set<string>([RUN_FILES.timeseries]);
  private finished = false;
  private readonly tsColumns: readonly (keyof TimeseriesRow & string)[];

  /** `dir` must exist; the grid is the RVE the snapshot fields live on. */
  constructor(readonly dir: string, private readonly grid: RunWriterGrid) {
    if (!grid.shape.every((v) => Number.isInteger(v) && v >= 1)) throw new Error(`RunWriter: bad shape ${JSON.stringify(grid.shape)}`);
    if (!grid.voxelSize.every((v) => Number.isFinite(v) && v > 0)) throw new Error(`RunWriter: bad voxelSize ${JSON.stringify(grid.voxelSize)}`);
    this.csv = createWriteStream(join(dir, RUN_FILES.timeseries), { flags: 'w' });
    this.csv.on('error', (err) => { this.csvError ??= err; });
    this.tsColumns = grid.mechanics ? [...TIMESERIES_COLUMNS, ...TIMESERIES_MECHANICS_COLUMNS] : TIMESERIES_COLUMNS;
    this.csv.write(this.tsColumns.join(',') + '\n');
  }

  private checkOpen(what: string): void {
    if (this.finished) throw new Error(`RunWriter.${what}: called after finish()`);
    if (this.csvError) throw new Error(`RunWriter: writing ${RUN_FILES.timeseries} failed: ${this.csvError.message}`);
  }

  async start(resolved: Record<string, unknown>): Promise<void> {
    this.checkOpen('start');
    const header = `# lithomech ${VERSION}: resolved scenario of this run (every default filled in, SI units)\n`;
    await writeFile(join(this.dir, RUN_FILES.scenario), header + YAML.stringify(resolved), 'utf8');
    this.files.add(RUN_FILES.scenario);
  }

  timeseries(row: TimeseriesRow): void {
    this.checkOpen('timeseries');
    this.pending.push(csvLine(row, this.tsColumns, 'timeseries row'));
    this.rows.push(row);
    if (this.pending.length >= CSV_BATCH) this.flushRows();
  }

  private flushRows(): void {
    if (this.pending.length === 0) return;
    this.csv.write(this.pending.join('\n') + '\n');
    this.pending = [];
  }

  async snapshot(s: Snapshot): Promise<void> {
    this.checkOpen('snapshot');
    if (s.index !== this.snapshots.length) throw new Error(`RunWriter.snapshot: index ${s.index}, expected ${this.snapshots.length} (snapshots come in order from 0)`);
    if (!Number.isFinite(s.time_s)) throw new Error(`RunWriter.snapshot ${s.index}: time ${s.time_s} is not finite`);
    this.flushRows();
    const files = snapshotFiles(s.index);
    const cellData: Record<string, VtkArrayInput> = {};
    for (const f of s.fields) {
      if (f.name in cellData) throw new Error(`RunWriter.snapshot ${s.index}: field "${f.name}" appears twice`);
      cellData[f.name] = f.data instanceof Float64Array && !this.grid.float64Fields ? Float32Array.from(f.data) : f.data;
    }
    const pointData: Record<string, VtkArrayInput> = {};
    for (const f of s.pointFields ?? []) {
      if (f.name in pointData) throw new Error(`RunWriter.snapshot ${s.index}: point field "${f.name}" appears twice`);
      pointData[f.name] = { data: this.grid.float64Fields ? f.data : Float32Array.from(f.data), components: f.components };
    }
    const meta = { index: s.index, time_s: s.time_s, soc: s.soc, voltage_V: s.voltage_V, reason: s.reason };
    await mkdir(join(this.dir, 'fields'), { recursive: true });
    await mkdir(join(this.dir, 'particles'), { recursive: true });
    await writeVti(join(this.dir, files.fields), {
      shape: this.grid.shape, spacing: this.grid.voxelSize, origin: this.grid.origin, cellData,
      ...(s.pointFields?.length ? { pointData } : {}),
      fieldData: { TimeValue: [s.time_s], snapshot: JSON.stringify(meta) },
    });
    const pCols: readonly (keyof ParticleSnapshotRow & string)[] = s.particles.some((p) => p.von_mises_max_Pa !== undefined)
      ? [...PARTICLE_SNAPSHOT_COLUMNS, ...PARTICLE_MECHANICS_COLUMNS] : PARTICLE_SNAPSHOT_COLUMNS;
    const lines = [pCols.join(','), ...s.particles.map((p) => csvLine(p, pCols, 'particle row'))];
    await writeFile(join(this.dir, files.particles), lines.join('\n') + '\n', 'utf8');
    this.snapshots.push({ index: s.index, time_s: s.time_s, soc: s.soc, reason: s.reason, file: files.fields });
    this.files.add(files.fields).add(files.particles);
    await this.writeCollection();
  }

  private async writeCollection(): Promise<void> {
    await writePvd(join(this.dir, RUN_FILES.pvd), this.snapshots.map((s) => ({ time: s.time_s, file: s.file })));
    this.files.add(RUN_FILES.pvd);
  }

  /**
   * Writes the CSV tail, fields.pvd, summary.json and the plots. Every stage is attempted even
   * when an earlier one fails (an incomplete run keeps all it can); the first error is rethrown.
   * summary.snapshots is replaced by the writer's own list (it knows the file names).
   */
  async finish(summary: RunSummary): Promise<void> {
    if (this.finished) throw new Error('RunWriter.finish: called twice');
    this.finished = true;
    const errors: unknown[] = [];
    const attempt = async (f: () => Promise<void>) => { try { await f(); } catch (e) { errors.push(e); } };
    await attempt(() => this.closeCsv());
    await attempt(() => this.writeCollection());
    this.files.add(RUN_FILES.voltagePlot).add(RUN_FILES.currentPlot).add(RUN_FILES.summary);
    await attempt(async () => {
      const out = {
        lithomech: VERSION,
        ...summary,
        snapshots: this.snapshots,
        timeseriesRows: this.rows.length,
        files: [...this.files].sort(),
      };
      await writeFile(join(this.dir, RUN_FILES.summary), JSON.stringify(out, null, 2) + '\n', 'utf8');
    });
    await attempt(() => this.writePlots(summary));
    if (errors.length > 0) throw errors[0];
  }

  private async closeCsv(): Promise<void> {
    this.flushRows();
    await new Promise<void>((resolve, reject) => {
      if (this.csvError) { reject(this.csvError); return; }
      this.csv.once('error', reject);
      this.csv.end(() => resolve());
    });
    if (this.csvError) throw this.csvError;
  }

  private async writePlots(summary: RunSummary): Promise<void> {
    const r = this.rows;
    const n = r.length;
    const idx = decimateIndices(r.step, r.voltage, n, PLOT_MAX_POINTS);
    const cap = siScale(maxAbs(r.capacity, n));
    const cur = siScale(maxAbs(r.current, n));
    const tim = timeScale(n > 0 ? r.time[n - 1] : 0);
    const nSteps = new Set(idx.map((i) => r.step[i])).size;
    const num = (v: number) => (Number.isFinite(v) ? v : null);
    const values = idx.map((i) => ({
      step: r.step[i],
      capacity: num(r.capacity[i] * cap.factor),
      current: num(r.current[i] * cur.factor),
      voltage: num(r.voltage[i]),
      time: num(r.time[i] * tim.factor),
    }));
    const status = summary.status === 'complete'
      ? `complete: ${summary.stepsCompleted}/${summary.stepsTotal} steps`
      : `INCOMPLETE after ${summary.stepsCompleted}/${summary.stepsTotal} steps${summary.error ? `: ${summary.error}` : ''}`;
    const subtitle = [`${status}`, `${n} rows${idx.length < n ? ` (${idx.length} plotted)` : ''}`];
    // Colour by step; many steps get a gradient instead of a huge legend. `detail` keeps one line per step.
    const color = nSteps <= 20
      ? { field: 'step', type: 'nominal' as const, title: 'step', scale: { scheme: 'category20' } }
      : { field: 'step', type: 'quantitative' as const, title: 'step', scale: { scheme: 'viridis' } };
    const line = (x: string, xTitle: string, y: string, yTitle: string) => ({
      width: 520, height: 260,
      mark: { type: 'line' as const, strokeWidth: 1.5 },
      encoding: {
        x: { field: x, type: 'quantitative' as const, title: xTitle },
        y: { field: y, type: 'quantitative' as const, title: yTitle, scale: { zero: false } },
        color, detail: { field: 'step', type: 'nominal' as const },
        order: { field: 'index', type: 'quantitative' as const },
      },
    });
    const data = { values: values.map((v, index) => ({ ...v, index })) };
    const title = (text: string) => ({ text, subtitle, anchor: 'start' as const });
    await writeFile(join(this.dir, RUN_FILES.voltagePlot), await renderSvg({
      data, title: title('Voltage vs charge passed'),
      ...line('capacity', `charge passed [${cap.prefix}A h]`, 'voltage', 'voltage vs Li/Li⁺ [V]'),
    }), 'utf8');
    await writeFile(join(this.dir, RUN_FILES.currentPlot), await renderSvg({
      data, title: title('Voltage and current vs time'),
      vconcat: [
        line('time', `time [${tim.unit}]`, 'voltage', 'voltage vs Li/Li⁺ [V]'),
        line('time', `time [${tim.unit}]`, 'current', `current [${cur.prefix}A] (+ charge)`),
      ],
    }), 'utf8');
  }
}

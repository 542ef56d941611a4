/**
 * Scenario files of `lithomech run`: YAML/JSON → `ScenarioSpec` (src/sim/scenario-spec.ts).
 *
 * A scenario names the RVE (generated, meshed from a segmented volume, or an rve.vti written by
 * lithomech), the materials (ids in materials/ or files), the working-electrode settings, the
 * protocol, the solver and the output. Reference: docs/user-guide/scenarios.md; the schema is
 * scenarios/scenario.schema.json.
 *
 * Reading happens in this order, and every error is an `InputError` naming the file and the key
 * (`run.yaml: electrode.cbd.porosity: …`):
 *   1. parse YAML/JSON, apply overrides (`key.path=value`), validate against the schema;
 *   2. build the RVE (with particle labels), then check the electrode against it: every active
 *      phase has a material, CBD / separator / current-collector settings exist exactly when the
 *      RVE has such voxels;
 *   3. read and compile the materials, check their kind and the parameters the runner needs;
 *   4. parse the protocol (src/sim/protocol.ts), the solver preset (solvers/) and the output;
 *   5. write everything back, resolved, into `spec.resolved` (SI numbers with the unit in the
 *      key, absolute paths, material ids + files + citation keys, the solver preset's content).
 *      `resolvedScenarioYaml` prints it; loading that text again gives the same spec.
 *
 * Quantities are text with units ("0.5 um", "25 degC", "10 S/m") or bare numbers in SI. Every
 * quantity key `k` may instead be written `k_<SI unit>` with a number (`temperature_K: 298.15`,
 * `initialStep_s: 1`), the form lithomech writes itself. Paths inside a scenario are relative
 * to the scenario file.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { InputError } from '../core/errors.js';
import { parseQuantity, parseVoxelSize, type Dimension } from '../core/units.js';
import { VERSION } from '../core/version.js';
import { axisIndex, AXES, type Axis, type Shape3, type Vec3 } from '../core/volume.js';
import { generateSingleSphere, generateSphereArray, generateSpherePack, type GeneratedRve, type PhaseNames } from '../mesh/generate.js';
import { padLayers } from '../mesh/ops.js';
import { phaseMapFromObject } from '../mesh/phases.js';
import { DEFAULT_PARTICLE_OPTIONS, rveFromLabels, type ParticleOptions } from '../mesh/pipeline.js';
import { phaseByName, type PhaseDef, type PhaseRole, type Rve } from '../mesh/rve.js';
import type { PorousTransport } from '../physics/concentrated-electrolyte.js';
import { compileMaterial, type Material, type MaterialKind } from '../physics/material-law.js';
import { parseProtocol } from '../sim/protocol.js';
import type { ActivePhaseSpec, LinearSolverSpec, MechanicsPhaseSpec, MechanicsSpec, OutputSpec, ScenarioSpec, TimeSpec, WorkingElectrodeSpec } from '../sim/scenario-spec.js';
import type { TopCondition } from '../sim/swell.js';
import { LinearElastic } from '../physics/linear-elastic.js';
import { volumetricStrainLaw } from '../physics/chemical-strain.js';
import { DEFAULT_PACK } from './generate-options.js';
import { RVE_FILES } from './rve-output.js';
import { validate } from './schema.js';
import { listSolverPresets, loadSolverPreset, SOLVERS_DIR, type SolverPreset } from './solver-presets.js';
import { readRveVti, resolveVolumeInputs, type VolumeArgs } from './volume-inputs.js';

const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The package's scenarios/ folder (from dist/io or src/io alike). */
export const SCENARIOS_DIR = path.join(PACKAGE_DIR, 'scenarios');
/** The package's materials/ folder. */
export const MATERIALS_DIR = path.join(PACKAGE_DIR, 'materials');
const SCHEMA_FILE = path.join(SCENARIOS_DIR, 'scenario.schema.json');

/** Defaults of the optional keys (documented in docs/user-guide/scenarios.md). */
export const SCENARIO_DEFAULTS = {
  temperature_K: 298.15,
  initialSoc: 0,
  bruggemanExponent: 1.5,
  counterElectrode: { kind: 'li-metal', material: 'Li_metal_Xu2019' },
  linearSolver: 'multigrid-gmres',
  time: { order: 2, initialStep_s: 1, maxStep_s: 30, minStep_s: 1e-3, rtol: 1e-3, newtonMaxIterations: 12 },
  output: { every_s: 0, stepEnds: true, plot: true },
} as const;

/** Parameters the runner evaluates, per material kind (a missing one is an error naming the material file). */
export const REQUIRED_MATERIAL_KEYS: Record<'active' | 'electrolyte' | 'counter-electrode', readonly string[]> = {
  active: ['maximumConcentration_mol_m3', 'diffusivity_m2_s', 'ocp_V', 'exchangeCurrentDensity_A_m2', 'electronicConductivity_S_m'],
  electrolyte: ['conductivity_S_m', 'diffusivity_m2_s', 'transferenceNumber', 'thermodynamicFactor'],
  'counter-electrode': ['ocp_V', 'exchangeCurrentDensity_A_m2'],
};

/** SI unit suffix of the `k_<unit>` form of a quantity key. */
const SUFFIX: Partial<Record<Dimension, string>> = { length: 'm', time: 's', temperature: 'K', conductivity: 'S_m', concentration: 'mol_m3', pressure: 'Pa' };

export interface LoadScenarioOptions {
  /**
   * Values that replace keys of the file before it is validated, by dotted key path
   * (`{ 'solver.time.maxStep': '10 s', 'protocol': [...] }`); see `parseOverride` for `key=value` text.
   */
  overrides?: Record<string, unknown>;
}

type Obj = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Finding scenario files

/** Names of the shipped scenarios (scenarios/*.yaml). */
export function listScenarios(): string[] {
  return readdirSync(SCENARIOS_DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')).sort();
}

/**
 * A scenario file from what the user typed: a path (anything ending in .yaml/.yml/.json, or an
 * existing file), else the name of a shipped scenario (`quick-start` → scenarios/quick-start.yaml).
 */
export function resolveScenarioPath(nameOrPath: string): string {
  const isFile = existsSync(nameOrPath) && statSync(nameOrPath).isFile();
  if (isFile || /\.(ya?ml|json)$/i.test(nameOrPath) || nameOrPath.includes('/') || nameOrPath.includes('\\')) {
    if (!isFile) throw new InputError(nameOrPath, 'scenario file not found');
    return nameOrPath;
  }
  const shipped = path.join(SCENARIOS_DIR, `${nameOrPath}.yaml`);
  if (!existsSync(shipped)) {
    throw new InputError(nameOrPath, `no such file and no shipped scenario of that name (shipped: ${listScenarios().join(', ')})`);
  }
  return shipped;
}

/** `solver.time.maxStep=10 s` → `['solver.time.maxStep', '10 s']` (the value is read as YAML: numbers, lists, …). */
export function parseOverride(text: string, source = '--set'): [string, unknown] {
  const i = text.indexOf('=');
  if (i <= 0) throw new InputError(source, `expected key.path=value, got "${text}"`);
  const key = text.slice(0, i).trim();
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(key)) throw new InputError(source, `"${key}" is not a key path like solver.time.maxStep`);
  let value: unknown;
  try { value = YAML.parse(text.slice(i + 1)); } catch (err) {
    throw new InputError(`${source} ${key}`, `cannot parse the value: ${(err as Error).message.split('\n')[0]}`);
  }
  return [key, value];
}

function applyOverrides(doc: Obj, overrides: Record<string, unknown>): string[] {
  const applied: string[] = [];
  for (const [key, value] of Object.entries(overrides)) {
    const parts = key.split('.');
    let obj: Obj = doc;
    parts.slice(0, -1).forEach((p, k) => {
      const next = obj[p];
      if (next === undefined) obj[p] = {};
      else if (typeof next !== 'object' || next === null || Array.isArray(next)) {
        throw new InputError(`override ${key}`, `${parts.slice(0, k + 1).join('.')} is not a mapping in the scenario`);
      }
      obj = obj[p] as Obj;
    });
    const last = parts[parts.length - 1];
    // the override replaces the key in whichever form the file used (k or k_<unit>)
    for (const k of Object.keys(obj)) if (k.startsWith(`${last}_`)) delete obj[k];
    obj[last] = value;
    applied.push(`${key}=${JSON.stringify(value)}`);
  }
  return applied;
}

// ---------------------------------------------------------------------------------------------
// Small readers with key-naming errors

class Reader {
  constructor(readonly file: string, readonly dir: string) {}

  at(key: string): string {
    return `${this.file}: ${key}`;
  }

  fail(key: string, reason: string): never {
    throw new InputError(this.at(key), reason);
  }

  /** A path inside the scenario, relative to the scenario file. */
  path(p: string): string {
    return path.resolve(this.dir, p);
  }

  /** Quantity `key` (text with units or SI number) or `key_<unit>` (SI number) of `obj`, in SI. */
  quantity(obj: Obj | undefined, key: string, dim: Dimension, at: string): number | undefined {
    const sk = `${key}_${SUFFIX[dim]}`;
    const a = obj?.[key], b = obj?.[sk];
    if (a !== undefined && b !== undefined) this.fail(join(at, sk), `give either ${key} or ${sk}, not both`);
    if (b !== undefined) {
      if (typeof b !== 'number' || !Number.isFinite(b)) this.fail(join(at, sk), `expected a number in ${SUFFIX[dim]!.replace('_', '/')}`);
      return b;
    }
    if (a === undefined) return undefined;
    return parseQuantity(a as string | number, dim, this.at(join(at, key)));
  }

  positive(v: number, key: string): number {
    if (!(v > 0) || !Number.isFinite(v)) this.fail(key, `must be positive, got ${v}`);
    return v;
  }

  fraction(v: number, key: string, lo: '[' | '(', hi: ']' | ')'): number {
    const ok = Number.isFinite(v) && (lo === '[' ? v >= 0 : v > 0) && (hi === ']' ? v <= 1 : v < 1);
    if (!ok) this.fail(key, `must be in ${lo}0, 1${hi}, got ${v}`);
    return v;
  }

  /**
   * A layer thickness: "4 um" or a number in metres, or "10 voxels" (→ n × voxel edge).
   * Also `key_m`. Returns the thickness [m] or undefined.
   */
  layer(obj: Obj, key: string, at: string, voxel: number): number | undefined {
    const v = obj[key];
    if (typeof v === 'string') {
      const m = /^\s*(\d+)\s*(?:voxels?|vox)\s*$/i.exec(v);
      if (m) return Number(m[1]) * voxel;
    }
    const t = this.quantity(obj, key, 'length', at);
    if (t !== undefined && !(t >= 0)) this.fail(join(at, key), `must not be negative, got ${t}`);
    return t;
  }
}

const join = (at: string, key: string): string => (at ? `${at}.${key}` : key);

/**
 * Run `fn`, renaming CLI option sources (`--voxel-size`) in its errors to scenario keys
 * (`rve.mesh.voxelSize`); errors about the volume itself go to `rve.mesh.volume`.
 */
async function withScenarioKeys<T>(r: Reader, at: string, volume: { path: string; as: string }, fn: () => Promise<T> | T): Promise<T> {
  const key = (opt: string) => `${at}.${opt.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())}`;
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    const reason = err.reason.replace(/--([a-z][a-z-]*)/g, (_, o: string) => key(o));
    const m = /^--([a-z][a-z-]*)(.*)$/.exec(err.source);
    if (m) throw new InputError(r.at(key(m[1]) + m[2]), reason);
    if (err.source === volume.path) throw new InputError(r.at(`${at}.volume`), `${volume.as}: ${reason}`);
    throw new InputError(err.source, reason);
  }
}

// ---------------------------------------------------------------------------------------------
// RVE

interface BuiltRve {
  rve: Rve;
  origin: Obj;
  /** The rve block, resolved (SI numbers, absolute paths), loadable again. */
  resolved: Obj;
}

async function buildRve(r: Reader, block: Obj): Promise<BuiltRve> {
  const kinds = ['generate', 'mesh', 'file'].filter((k) => block[k] !== undefined);
  if (kinds.length !== 1) r.fail('rve', kinds.length === 0 ? 'give one of generate, mesh, file' : `give only one of generate, mesh, file (got ${kinds.join(', ')})`);
  let built: BuiltRve;
  if (kinds[0] === 'generate') built = buildGenerated(r, block.generate as Obj);
  else if (kinds[0] === 'mesh') built = await buildMeshed(r, block.mesh as Obj);
  else built = await buildFromFile(r, block.file as string);
  const { rve } = built;
  built.origin = {
    ...built.origin,
    shape: rve.shape,
    voxelSize_m: rve.voxelSize,
    thicknessAxis: AXES[rve.thicknessAxis],
    separatorSide: rve.separatorSide,
    phases: rve.phases.map((p) => ({ id: p.id, name: p.name, role: p.role, voxels: countVoxels(rve, p.id) })),
    particles: particleCount(rve),
  };
  return built;
}

const PACK_ONLY = ['activeFraction', 'cbdFraction', 'radiusSigma', 'overlap', 'periodic', 'seed'];
const GENERATE_KEYS: Record<string, string[]> = {
  spheres: ['shape', 'voxelSize', 'radius', 'separator', ...PACK_ONLY],
  sphere: ['shape', 'voxelSize', 'radius', 'separator'],
  array: ['counts', 'voxelSize', 'radius', 'spacing', 'cbdFraction', 'separator', 'periodic'],
};

function buildGenerated(r: Reader, g: Obj): BuiltRve {
  const at = 'rve.generate';
  const kind = g.kind as 'spheres' | 'sphere' | 'array';
  for (const k of Object.keys(g)) {
    const base = k.replace(/_(m|s)$/, '');
    if (k === 'kind' || k === 'thicknessAxis' || k === 'phaseNames') continue;
    if (!GENERATE_KEYS[kind].includes(base)) r.fail(`${at}.${k}`, `not an option of kind ${kind} (options: ${GENERATE_KEYS[kind].join(', ')}, thicknessAxis, phaseNames)`);
  }
  const h = r.positive(r.quantity(g, 'voxelSize', 'length', at) ?? parseQuantity(DEFAULT_PACK.voxelSize, 'length', 'default'), `${at}.voxelSize`);
  const need = <T>(v: T | undefined, key: string): T => (v === undefined ? r.fail(`${at}.${key}`, `missing (required for kind ${kind})`) : v);
  const axis: Axis = axisIndex((g.thicknessAxis as string | undefined) ?? 'z');
  const separator = r.layer(g, 'separator', at, h) ?? 0;
  const phaseNames = g.phaseNames as PhaseNames | undefined;
  const radius = () => r.positive(need(r.quantity(g, 'radius', 'length', at), 'radius'), `${at}.radius`);
  const resolved: Obj = { kind, voxelSize_m: h };
  let gen: GeneratedRve;
  // the generators name the option in their errors (`cbdFraction`, …): prefix the block
  const run = (fn: () => GeneratedRve): GeneratedRve => {
    try { return fn(); } catch (err) {
      if (err instanceof InputError && !err.source.includes(':')) throw new InputError(r.at(`${at}.${generatorKey(err.source)}`), err.reason);
      throw err;
    }
  };
  if (kind === 'spheres') {
    const shape = (g.shape as Shape3 | undefined) ?? (DEFAULT_PACK.shape.split(',').map(Number) as Shape3);
    const opts = {
      shape,
      voxelSize: h,
      activeFraction: (g.activeFraction as number | undefined) ?? DEFAULT_PACK.activeFraction,
      cbdFraction: (g.cbdFraction as number | undefined) ?? DEFAULT_PACK.cbdFraction,
      radiusMedian: r.quantity(g, 'radius', 'length', at) ?? parseQuantity(DEFAULT_PACK.radius, 'length', 'default'),
      radiusSigmaLog: (g.radiusSigma as number | undefined) ?? DEFAULT_PACK.radiusSigma,
      overlap: (g.overlap as number | undefined) ?? DEFAULT_PACK.overlap,
      separatorThickness: separator,
      thicknessAxis: axis,
      periodicLateral: (g.periodic as boolean | undefined) ?? false,
      seed: (g.seed as number | undefined) ?? DEFAULT_PACK.seed,
      phaseNames,
    };
    gen = run(() => generateSpherePack(opts));
    Object.assign(resolved, {
      shape, activeFraction: opts.activeFraction, cbdFraction: opts.cbdFraction, radius_m: opts.radiusMedian,
      radiusSigma: opts.radiusSigmaLog, overlap: opts.overlap, periodic: opts.periodicLateral, seed: opts.seed,
    });
  } else if (kind === 'sphere') {
    const shape = need(g.shape as Shape3 | undefined, 'shape');
    const R = radius();
    gen = run(() => generateSingleSphere({ shape, voxelSize: h, radius: R, thicknessAxis: axis, phaseNames }));
    // the single-sphere generator has no separator: add the layer at the high end, as the others do
    if (separator > 0) {
      const n = Math.round(separator / h);
      if (n < 1) r.fail(`${at}.separator`, `${separator} m is less than half a voxel (${h} m)`);
      gen.rve = padLayers(gen.rve, n, 0);
      const sep = gen.rve.phases.find((p) => p.role === 'separator')!;
      if (phaseNames?.separator) sep.name = phaseNames.separator;
      gen.stats.separatorVoxels = n;
    }
    Object.assign(resolved, { shape, radius_m: R });
  } else {
    const counts = need(g.counts as Shape3 | undefined, 'counts');
    const R = radius();
    const spacing = r.positive(need(r.quantity(g, 'spacing', 'length', at), 'spacing'), `${at}.spacing`);
    const cbdFraction = (g.cbdFraction as number | undefined) ?? 0;
    const periodic = (g.periodic as boolean | undefined) ?? false;
    gen = run(() => generateSphereArray({ counts, radius: R, spacing, voxelSize: h, cbdFraction, separatorThickness: separator, thicknessAxis: axis, periodicLateral: periodic, phaseNames }));
    Object.assign(resolved, { counts, radius_m: R, spacing_m: spacing, cbdFraction, periodic });
  }
  Object.assign(resolved, { separator_m: separator, thicknessAxis: AXES[axis] });
  if (phaseNames) resolved.phaseNames = phaseNames;
  return {
    rve: gen.rve,
    resolved: { generate: resolved },
    origin: {
      kind: 'generate',
      generator: kind,
      spheres: gen.spheres.length,
      activeFraction: gen.stats.activeFraction,
      cbdFraction: gen.stats.cbdFraction,
      electrodeVoxels: gen.stats.electrodeVoxels,
      separatorVoxels: gen.stats.separatorVoxels,
      particleLabels: 'generator (exact sphere membership)',
    },
  };
}

/** Generator option names → scenario keys. */
function generatorKey(option: string): string {
  const map: Record<string, string> = { radiusMedian: 'radius', radiusSigmaLog: 'radiusSigma', separatorThickness: 'separator', periodicLateral: 'periodic' };
  return map[option] ?? option;
}

function phaseMapText(phases: PhaseDef[]): string {
  return phases.map((p) => `${p.labels.join('+')}=${p.name}:${p.role}`).join(',');
}

async function buildMeshed(r: Reader, m: Obj): Promise<BuiltRve> {
  const at = 'rve.mesh';
  const volume = r.path(m.volume as string);
  if (!existsSync(volume)) r.fail(`${at}.volume`, `${m.volume as string}: file not found (${volume}; paths are relative to the scenario file)`);
  const vref = { path: volume, as: m.volume as string };
  let phases: VolumeArgs['phases'];
  if (typeof m.phases === 'string') {
    phases = /\.(ya?ml|json)$/i.test(m.phases) ? r.path(m.phases) : m.phases;
  } else if (m.phases !== undefined) {
    phases = phaseMapFromObject(m.phases, r.at(`${at}.phases`));
  }
  let voxelSize: Vec3 | undefined;
  const vsText = m.voxelSize, vsSi = m.voxelSize_m;
  if (vsText !== undefined && vsSi !== undefined) r.fail(`${at}.voxelSize_m`, 'give either voxelSize or voxelSize_m, not both');
  if (vsText !== undefined || vsSi !== undefined) voxelSize = parseVoxelSize(vsText ?? vsSi, r.at(`${at}.${vsText !== undefined ? 'voxelSize' : 'voxelSize_m'}`));
  const particles = (m.particles ?? {}) as Partial<ParticleOptions>;
  const args: VolumeArgs = {
    volume,
    phases,
    voxelSize: voxelSize?.join(','),
    crop: m.crop as string | undefined,
    downsample: (m.downsample as number | undefined) ?? 1,
    thresholds: (m.thresholds as number[] | undefined)?.join(','),
    otsu: m.otsu as number | undefined,
    thicknessAxis: m.thicknessAxis as VolumeArgs['thicknessAxis'],
    separatorSide: m.separatorSide as VolumeArgs['separatorSide'],
    particles: particles.method ?? DEFAULT_PARTICLE_OPTIONS.method,
    watershedH: particles.h ?? DEFAULT_PARTICLE_OPTIONS.h,
    connectivity: particles.connectivity ?? DEFAULT_PARTICLE_OPTIONS.connectivity,
    keepIsolated: (m.keepIsolated as boolean | undefined) ?? false,
  };
  const { volume: vol, options, resolved } = await withScenarioKeys(r, at, vref, () => resolveVolumeInputs(args));
  const hFinal = options.voxelSize[options.thicknessAxis] * (options.downsample ?? 1);
  options.separatorThickness = r.layer(m, 'separator', at, hFinal) ?? 0;
  options.collectorThickness = r.layer(m, 'collector', at, hFinal) ?? 0;
  const { rve, report } = await withScenarioKeys(r, at, vref, () => rveFromLabels(vol, options));
  const rvePhases = options.phases;
  return {
    rve,
    resolved: {
      mesh: {
        volume,
        phases: phaseMapText(rvePhases),
        voxelSize_m: options.voxelSize,
        ...(options.crop ? { crop: options.crop.map(([a, b]) => `${a}:${b}`).join(',') } : {}),
        downsample: options.downsample ?? 1,
        ...(m.thresholds !== undefined ? { thresholds: m.thresholds } : {}),
        ...(m.otsu !== undefined ? { otsu: m.otsu } : {}),
        thicknessAxis: AXES[options.thicknessAxis],
        separatorSide: options.separatorSide,
        separator_m: options.separatorThickness,
        collector_m: options.collectorThickness,
        keepIsolated: !options.removeIsolated,
        particles: options.particles,
      },
    },
    origin: {
      kind: 'mesh',
      volume,
      inputShape: report.inputShape,
      segmentation: resolved.segmentation,
      crop: options.crop ?? null,
      downsample: options.downsample ?? 1,
      separatorVoxels: report.separatorVoxels,
      collectorVoxels: report.collectorVoxels,
      removedIsolatedSolid: report.removed,
      particleLabels: report.particleMethod,
    },
  };
}

async function buildFromFile(r: Reader, file: string): Promise<BuiltRve> {
  let p = r.path(file);
  if (existsSync(p) && statSync(p).isDirectory()) p = path.join(p, RVE_FILES.vti);
  if (!existsSync(p)) r.fail('rve.file', `${file}: not found (${p}; paths are relative to the scenario file)`);
  if (!/\.vti$/i.test(p)) r.fail('rve.file', `${file}: expected an rve.vti written by lithomech mesh/generate (for other volumes use rve.mesh)`);
  const { rve, particlesFromFile } = await readRveVti(p);
  return {
    rve,
    resolved: { file: p },
    origin: { kind: 'file', file: p, particleLabels: particlesFromFile ? 'from the file' : `${DEFAULT_PARTICLE_OPTIONS.method} (the file has none)` },
  };
}

function countVoxels(rve: Rve, id: number): number {
  let n = 0;
  for (let i = 0; i < rve.phase.length; i++) if (rve.phase[i] === id) n++;
  return n;
}

function voxelsWithRole(rve: Rve, role: PhaseRole): number {
  return rve.phases.filter((p) => p.role === role).reduce((s, p) => s + countVoxels(rve, p.id), 0);
}

function particleCount(rve: Rve): number {
  const ids = new Set<number>();
  const pa = rve.particle!;
  for (let i = 0; i < pa.length; i++) if (pa[i] > 0) ids.add(pa[i]);
  return ids.size;
}

// ---------------------------------------------------------------------------------------------
// Materials

interface LoadedMaterial {
  material: Material;
  file: string;
  /** The resolved reference: id, absolute file, citation keys. */
  record: { id: string; file: string; citations: string[] };
}

function listMaterials(kind: MaterialKind): string[] {
  return readdirSync(MATERIALS_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .filter((f) => (YAML.parse(readFileSync(path.join(MATERIALS_DIR, f), 'utf8')) as { kind?: string })?.kind === kind)
    .map((f) => f.replace(/\.yaml$/, ''))
    .sort();
}

function loadMaterial(r: Reader, ref: unknown, key: string, kind: 'active' | 'electrolyte' | 'counter-electrode'): LoadedMaterial {
  const pinned = typeof ref === 'object' && ref !== null ? (ref as { id: string; file?: string; citations?: string[] }) : undefined;
  const text = pinned ? pinned.file ?? pinned.id : (ref as string);
  const isPath = /\.(ya?ml|json)$/i.test(text) || text.includes('/') || text.includes('\\');
  const file = isPath ? r.path(text) : path.join(MATERIALS_DIR, `${text}.yaml`);
  if (!existsSync(file)) {
    r.fail(key, isPath ? `material file ${text} not found (${file}; paths are relative to the scenario file)`
      : `no material "${text}" (${kind} materials: ${listMaterials(kind).join(', ')}; or give a path to a material file)`);
  }
  const shown = displayPath(file);
  let obj: unknown;
  try {
    obj = /\.json$/i.test(file) ? JSON.parse(readFileSync(file, 'utf8')) : YAML.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InputError(shown, `cannot parse: ${(err as Error).message.split('\n')[0]}`);
  }
  const material = compileMaterial(obj, shown);
  if (material.kind !== kind) r.fail(key, `${material.id} (${shown}) is a material of kind ${material.kind}, expected ${kind}`);
  for (const k of REQUIRED_MATERIAL_KEYS[kind]) {
    if (!material.has(k)) throw new InputError(`${shown}: parameters.${k}`, `missing: lithomech run needs it for the ${kind} material (${r.at(key)})`);
  }
  const citations = material.citations.map((c) => c.key);
  if (pinned) {
    if (pinned.id !== material.id) r.fail(`${key}.id`, `"${pinned.id}" but ${shown} holds "${material.id}"`);
    if (pinned.citations && pinned.citations.join(',') !== citations.join(',')) {
      r.fail(`${key}.citations`, `[${pinned.citations.join(', ')}] differ from ${shown}'s [${citations.join(', ')}] (was the material file changed?)`);
    }
  }
  return { material, file, record: { id: material.id, file, citations } };
}

function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

/** Constant value of a parameter without variables (e.g. stoichiometryAt0Soc), or undefined. */
function constantParameter(m: Material, key: string): number | undefined {
  if (!m.has(key)) return undefined;
  const p = m.parameter(key);
  return p.variables.length === 0 ? p.fn({}) : undefined;
}

/**
 * The stoichiometry at which the material's OCP equals `volts`, on x ∈ [0, 1] (scanned on 2000
 * intervals, then bisection); it must cross exactly once.
 */
function stoichiometryAtOcp(r: Reader, m: Material, volts: number, key: string): number {
  const U = m.fn('ocp_V');
  const n = 2000;
  const f = (x: number) => U({ x }) - volts;
  const crossings: [number, number][] = [];
  let lo = f(0), min = lo + volts, max = lo + volts;
  for (let i = 1; i <= n; i++) {
    const x = i / n;
    const v = f(x);
    min = Math.min(min, v + volts); max = Math.max(max, v + volts);
    if (lo === 0 || (lo < 0) !== (v < 0)) crossings.push([(i - 1) / n, x]);
    lo = v;
  }
  if (crossings.length === 0) r.fail(key, `the OCP of ${m.id} never reaches ${volts} V on x ∈ [0, 1] (it spans ${min.toFixed(3)}–${max.toFixed(3)} V)`);
  if (crossings.length > 1) r.fail(key, `the OCP of ${m.id} reaches ${volts} V at ${crossings.length} places on x ∈ [0, 1]; give the stoichiometry as a number`);
  let [a, b] = crossings[0];
  const fa0 = f(a);
  if (fa0 === 0) return a;
  for (let k = 0; k < 80; k++) {
    const c = 0.5 * (a + b);
    if ((f(c) < 0) === (fa0 < 0)) a = c; else b = c;
  }
  return 0.5 * (a + b);
}

// ---------------------------------------------------------------------------------------------
// The electrode

function porous(r: Reader, o: Obj, at: string): PorousTransport & { record: Obj } {
  const porosity = r.fraction(o.porosity as number, `${at}.porosity`, '(', ']');
  if (o.transportFactor !== undefined && o.bruggemanExponent !== undefined) {
    r.fail(`${at}.transportFactor`, 'give either bruggemanExponent or transportFactor, not both');
  }
  if (o.transportFactor !== undefined) {
    const factor = r.fraction(o.transportFactor as number, `${at}.transportFactor`, '(', ']');
    return { porosity, factor, record: { porosity, transportFactor: factor } };
  }
  const b = (o.bruggemanExponent as number | undefined) ?? SCENARIO_DEFAULTS.bruggemanExponent;
  r.positive(b, `${at}.bruggemanExponent`);
  return { porosity, bruggemanExponent: b, record: { porosity, bruggemanExponent: b } };
}

function buildElectrode(r: Reader, e: Obj, rve: Rve): { spec: WorkingElectrodeSpec; resolved: Obj } {
  const polarity = e.polarity as 'positive' | 'negative';
  const activeMap = e.active as Obj;
  const active: ActivePhaseSpec[] = [];
  const activeRecord: Obj = {};
  const phaseList = rve.phases.map((p) => `${p.name}:${p.role}`).join(', ');
  for (const [name, ref] of Object.entries(activeMap)) {
    const key = `electrode.active.${name}`;
    const phase = phaseByName(rve, name);
    if (!phase) r.fail(key, `no phase "${name}" in the RVE (its phases: ${phaseList})`);
    if (phase.role !== 'active') r.fail(key, `phase "${name}" has role ${phase.role}, not active`);
    const m = loadMaterial(r, ref, key, 'active');
    active.push({ phaseId: phase.id, material: m.material });
    activeRecord[name] = m.record;
  }
  for (const p of rve.phases) {
    if (p.role === 'active' && !(p.name in activeMap) && countVoxels(rve, p.id) > 0) {
      r.fail('electrode.active', `the RVE's active phase "${p.name}" has no material: add "${p.name}: <material id>"`);
    }
  }

  const st = (e.stoichiometry ?? {}) as Obj;
  const stoich = (which: 'soc0' | 'soc100'): number => {
    const key = `electrode.stoichiometry.${which}`;
    const param = which === 'soc0' ? 'stoichiometryAt0Soc' : 'stoichiometryAt100Soc';
    const v = st[which];
    let x: number;
    if (v === undefined) {
      const defaults = active.map((a) => constantParameter(a.material, param));
      if (defaults.some((d) => d === undefined)) {
        const without = active.filter((_, i) => defaults[i] === undefined).map((a) => a.material.id).join(', ');
        r.fail(key, `missing: ${without} has no ${param}; give it (a stoichiometry in [0, 1], or an OCP like "4.2 V")`);
      }
      if (defaults.some((d) => d !== defaults[0])) r.fail(key, `missing: the active materials' ${param} differ; give it`);
      x = defaults[0]!;
    } else if (typeof v === 'number') {
      x = v;
    } else {
      const volts = parseQuantity(v as string, 'voltage', r.at(key));
      if (active.length !== 1) r.fail(key, 'an OCP works with a single active material only; give the stoichiometry as a number');
      x = stoichiometryAtOcp(r, active[0].material, volts, key);
    }
    return r.fraction(x, key, '[', ']');
  };
  const soc0 = stoich('soc0');
  const soc100 = stoich('soc100');
  // charge delithiates a positive electrode (x falls from soc0 to soc100) and lithiates a negative one
  if (polarity === 'positive' ? !(soc100 < soc0) : !(soc100 > soc0)) {
    r.fail('electrode.stoichiometry', `for a ${polarity} electrode soc100 must be ${polarity === 'positive' ? 'below' : 'above'} soc0 ` +
      `(charging ${polarity === 'positive' ? 'delithiates' : 'lithiates'} it), got soc0 = ${soc0}, soc100 = ${soc100}`);
  }
  const initialSoc = r.fraction((e.initialSoc as number | undefined) ?? SCENARIO_DEFAULTS.initialSoc, 'electrode.initialSoc', '[', ']');

  const spec: WorkingElectrodeSpec = { polarity, active, stoichiometry: { soc0, soc100 }, initialSoc };
  const resolved: Obj = { polarity, active: activeRecord, stoichiometry: { soc0, soc100 }, initialSoc };

  // blocks that must exist exactly when the RVE has such voxels
  const presence = (block: string, role: PhaseRole, what: string): Obj | undefined => {
    const n = voxelsWithRole(rve, role);
    const o = e[block] as Obj | undefined;
    if (n > 0 && o === undefined) r.fail(`electrode.${block}`, `missing: the RVE has ${n} ${what} voxels`);
    if (n === 0 && o !== undefined) r.fail(`electrode.${block}`, `the RVE has no ${what} voxels; remove this block`);
    return o;
  };
  const cbd = presence('cbd', 'cbd', 'CBD');
  if (cbd) {
    const { record, ...transport } = porous(r, cbd, 'electrode.cbd');
    const sigma = r.quantity(cbd, 'conductivity', 'conductivity', 'electrode.cbd');
    if (sigma === undefined) r.fail('electrode.cbd.conductivity', 'missing: effective electronic conductivity of the CBD (e.g. 10 S/m)');
    spec.cbd = { ...transport, conductivity: r.positive(sigma, 'electrode.cbd.conductivity') };
    resolved.cbd = { ...record, conductivity_S_m: sigma };
  }
  const sep = presence('separator', 'separator', 'separator');
  if (sep) {
    const { record, ...transport } = porous(r, sep, 'electrode.separator');
    spec.separator = transport;
    resolved.separator = record;
  }
  const cc = presence('currentCollector', 'current-collector', 'current-collector');
  if (cc) {
    const sigma = r.quantity(cc, 'conductivity', 'conductivity', 'electrode.currentCollector');
    if (sigma === undefined) r.fail('electrode.currentCollector.conductivity', 'missing: electronic conductivity of the collector (e.g. 3.5e7 S/m for Al)');
    spec.collectorConductivity = r.positive(sigma, 'electrode.currentCollector.conductivity');
    resolved.currentCollector = { conductivity_S_m: sigma };
  }
  return { spec, resolved };
}

// ---------------------------------------------------------------------------------------------
// Solver and output

function buildLinearSolver(r: Reader, v: unknown): { spec: LinearSolverSpec; resolved: Obj } {
  const key = 'solver.linear';
  const o: Obj = typeof v === 'object' && v !== null ? (v as Obj) : { preset: v ?? SCENARIO_DEFAULTS.linearSolver };
  let name: string;
  let file: string | undefined;
  let preset: SolverPreset;
  if (o.settings !== undefined) {
    const schema = JSON.parse(readFileSync(path.join(SOLVERS_DIR, 'solver-preset.schema.json'), 'utf8'));
    preset = validate<SolverPreset>(o.settings, schema, r.at(`${key}.settings`));
    name = (o.preset as string | undefined) ?? 'inline';
    file = o.file as string | undefined;
  } else {
    const ref = o.preset as string | undefined;
    if (ref === undefined) r.fail(`${key}.preset`, 'missing: give a preset name or settings');
    const isPath = /\.(ya?ml|json)$/i.test(ref);
    if (isPath && !existsSync(r.path(ref))) r.fail(key, `${ref}: file not found (paths are relative to the scenario file)`);
    if (!isPath && !listSolverPresets().includes(ref)) r.fail(key, `no solver preset "${ref}" (available: ${listSolverPresets().join(', ')}; or a path to a .yaml)`);
    const loaded = loadSolverPreset(isPath ? r.path(ref) : ref);
    ({ name, file, preset } = loaded);
  }
  const at = o.settings !== undefined ? `${key}.settings` : key;
  if (preset.rtol === undefined) r.fail(at, `solver preset "${name}" has no rtol (lithomech run needs it)`);
  if (preset.maxIterations === undefined) r.fail(at, `solver preset "${name}" has no maxIterations (lithomech run needs it)`);
  const spec: LinearSolverSpec = {
    name,
    method: preset.method,
    rtol: preset.rtol,
    maxIterations: preset.maxIterations,
    ...(preset.restart !== undefined ? { restart: preset.restart } : {}),
    preconditioner: preset.preconditioner,
    ...(preset.multigrid ? { multigrid: { ...(preset.multigrid.cycle ? { cycle: preset.multigrid.cycle } : {}), ...(preset.multigrid.smoother ? { smoother: preset.multigrid.smoother } : {}), ...(preset.multigrid.sweeps !== undefined ? { sweeps: preset.multigrid.sweeps } : {}) } } : {}),
  };
  if (spec.method === 'cg') r.fail(at, `solver preset "${name}" uses cg, which needs a symmetric matrix; the coupled Newton matrix of lithomech run is not symmetric: use a gmres or bicgstab preset (e.g. multigrid-gmres)`);
  return { spec, resolved: { preset: name, ...(file ? { file: path.resolve(file) } : {}), settings: preset } };
}

function buildTime(r: Reader, t: Obj): { spec: TimeSpec; resolved: Obj } {
  const d = SCENARIO_DEFAULTS.time;
  const at = 'solver.time';
  const step = (k: 'initialStep' | 'maxStep' | 'minStep', def: number) => r.positive(r.quantity(t, k, 'time', at) ?? def, `${at}.${k}`);
  const spec: TimeSpec = {
    order: (t.order as 1 | 2 | undefined) ?? d.order,
    initialStep: step('initialStep', d.initialStep_s),
    maxStep: step('maxStep', d.maxStep_s),
    minStep: step('minStep', d.minStep_s),
    rtol: (t.rtol as number | undefined) ?? d.rtol,
    newtonMaxIterations: (t.newtonMaxIterations as number | undefined) ?? d.newtonMaxIterations,
  };
  if (!(spec.minStep <= spec.initialStep && spec.initialStep <= spec.maxStep)) {
    r.fail(at, `need minStep ≤ initialStep ≤ maxStep, got ${spec.minStep} s, ${spec.initialStep} s, ${spec.maxStep} s`);
  }
  return {
    spec,
    resolved: { order: spec.order, initialStep_s: spec.initialStep, maxStep_s: spec.maxStep, minStep_s: spec.minStep, rtol: spec.rtol, newtonMaxIterations: spec.newtonMaxIterations },
  };
}

function buildOutput(r: Reader, o: Obj): { spec: OutputSpec; resolved: Obj } {
  const s = (o.snapshots ?? {}) as Obj;
  const at = 'output.snapshots';
  const every = r.quantity(s, 'every', 'time', at) ?? SCENARIO_DEFAULTS.output.every_s;
  if (!(every >= 0)) r.fail(`${at}.every`, `must not be negative, got ${every}`);
  if (s.times !== undefined && s.times_s !== undefined) r.fail(`${at}.times_s`, 'give either times or times_s, not both');
  const times = s.times_s !== undefined
    ? (s.times_s as number[])
    : ((s.times ?? []) as (string | number)[]).map((v, i) => parseQuantity(v, 'time', r.at(`${at}.times[${i}]`)));
  times.forEach((t, i) => { if (!(t >= 0)) r.fail(`${at}.times${s.times_s !== undefined ? '_s' : ''}[${i}]`, `must not be negative, got ${t}`); });
  const socs = (s.soc ?? []) as number[];
  socs.forEach((v, i) => r.fraction(v, `${at}.soc[${i}]`, '[', ']'));
  const spec: OutputSpec = {
    snapshotTimes: [...times].sort((a, b) => a - b),
    snapshotEvery: every,
    snapshotSocs: [...socs],
    snapshotAtStepEnds: (s.stepEnds as boolean | undefined) ?? SCENARIO_DEFAULTS.output.stepEnds,
    plot: (o.plot as boolean | undefined) ?? SCENARIO_DEFAULTS.output.plot,
  };
  return {
    spec,
    resolved: { snapshots: { every_s: every, times_s: spec.snapshotTimes, soc: spec.snapshotSocs, stepEnds: spec.snapshotAtStepEnds }, plot: spec.plot },
  };
}

// ---------------------------------------------------------------------------------------------
// Mechanics (diffusion-induced stress, one-way or two-way; src/sim/run-mechanics.ts)

const MECHANICS_DEFAULTS = { lateral: 'free', top: 'free', orientationSeed: 1, rtol: 1e-8, collector: 'fixed', coupling: 'one-way', solveAt: 'steps', preconditioner: 'auto' } as const;

function parseTop(r: Reader, v: unknown): { top: TopCondition; text: string } {
  const key = 'mechanics.top';
  if (typeof v === 'object' && v !== null) {
    // { pressure: 0.3 MPa } (what `--set 'mechanics.top=pressure: 0.3 MPa'` parses to) or { pressure_Pa: 3e5 }
    const p = r.quantity(v as Obj, 'pressure', 'pressure', key);
    if (p === undefined) r.fail(key, 'expected free, fixed or "pressure: <value>" (e.g. "pressure: 0.3 MPa")');
    if (!(p >= 0 && Number.isFinite(p))) r.fail(`${key}.pressure`, `must be ≥ 0, got ${p}`);
    return { top: { kind: 'pressure', pascal: p }, text: `pressure: ${p} Pa` };
  }
  const text = String(v).trim();
  if (text === 'free' || text === 'fixed') return { top: { kind: text }, text };
  const m = /^pressure\s*:\s*(.+)$/.exec(text);
  if (!m) r.fail(key, `expected free, fixed or "pressure: <value>" (e.g. "pressure: 0.3 MPa"), got "${text}"`);
  const p = parseQuantity(m[1].trim(), 'pressure', r.at(key));
  if (!(p >= 0 && Number.isFinite(p))) r.fail(key, `pressure must be ≥ 0, got ${m[1].trim()}`);
  return { top: { kind: 'pressure', pascal: p }, text: `pressure: ${p} Pa` };
}

/**
 * The `mechanics` block. Absent or `enabled: false`: off (spec undefined). Solid phases: every
 * active phase (E, ν from its material file unless `elastic.<phase>` overrides them) plus every
 * phase named under `elastic`; all others are void.
 */
async function buildMechanics(r: Reader, m: Obj | undefined, rve: Rve, electrode: WorkingElectrodeSpec): Promise<{ spec?: MechanicsSpec; resolved?: Obj }> {
  if (m === undefined) return {};
  if (m.enabled !== true) return { resolved: { enabled: false } };
  const at = 'mechanics';
  const lateral = (m.lateral as MechanicsSpec['lateral'] | undefined) ?? MECHANICS_DEFAULTS.lateral;
  const { top, text: topText } = parseTop(r, m.top ?? MECHANICS_DEFAULTS.top);
  const orientationSeed = (m.orientationSeed as number | undefined) ?? MECHANICS_DEFAULTS.orientationSeed;
  const rtol = (m.rtol as number | undefined) ?? MECHANICS_DEFAULTS.rtol;
  const collector = (m.collector as MechanicsSpec['collector'] | undefined) ?? MECHANICS_DEFAULTS.collector;
  const coupling = (m.coupling as MechanicsSpec['coupling'] | undefined) ?? MECHANICS_DEFAULTS.coupling;
  if (m.stressInPotential === true && coupling !== 'two-way') r.fail(`${at}.stressInPotential`, 'true needs mechanics.coupling: two-way (one-way coupling keeps the chemistry free of stress)');
  const stressInPotential = coupling === 'two-way' ? (m.stressInPotential as boolean | undefined) ?? true : false;
  const solveAt = (m.solveAt as MechanicsSpec['solveAt'] | undefined) ?? MECHANICS_DEFAULTS.solveAt;
  if (solveAt === 'snapshots' && coupling === 'two-way') r.fail(`${at}.solveAt`, 'snapshots is for one-way coupling (two-way solves the stress inside every Newton iteration)');
  const preconditioner = (m.preconditioner as MechanicsSpec['preconditioner'] | undefined) ?? MECHANICS_DEFAULTS.preconditioner;
  if (preconditioner === 'gmg' && lateral === 'periodic') r.fail(`${at}.preconditioner`, 'gmg does not support lateral: periodic (use amg or auto)');
  const phaseList = rve.phases.map((p) => `${p.name}:${p.role}`).join(', ');
  const elastic = (m.elastic ?? {}) as Record<string, Obj>;
  const lattice = (m.lattice ?? {}) as Record<string, string>;
  const overrides = new Map<number, { E: number; nu: number; record: Obj }>();
  for (const [name, o] of Object.entries(elastic)) {
    const key = `${at}.elastic.${name}`;
    const phase = phaseByName(rve, name);
    if (!phase) r.fail(key, `no phase "${name}" in the RVE (its phases: ${phaseList})`);
    if (phase.role === 'electrolyte' || phase.role === 'ignore') r.fail(key, `phase "${name}" has role ${phase.role}: it carries no stiffness`);
    const E = r.quantity(o, 'youngsModulus', 'pressure', key);
    if (E === undefined) r.fail(`${key}.youngsModulus`, 'missing (e.g. 0.5 GPa)');
    if (o.poissonRatio === undefined) r.fail(`${key}.poissonRatio`, 'missing (e.g. 0.3)');
    const nu = o.poissonRatio as number;
    try { new LinearElastic(E, nu, key); } catch (err) {
      if (err instanceof InputError) r.fail(key, err.reason);
      throw err;
    }
    overrides.set(phase.id, { E, nu, record: { youngsModulus_Pa: E, poissonRatio: nu } });
  }
  for (const name of Object.keys(lattice)) {
    const phase = phaseByName(rve, name);
    if (!phase) r.fail(`${at}.lattice.${name}`, `no phase "${name}" in the RVE (its phases: ${phaseList})`);
    if (phase.role !== 'active') r.fail(`${at}.lattice.${name}`, `phase "${name}" has role ${phase.role}; lattice strains apply to active phases`);
  }
  // mechanics-inputs imports this module (MATERIALS_DIR): load it once this module is evaluated
  const { latticeForMaterial, loadLatticeRef } = await import('./mechanics-inputs.js');
  const isPath = (t: string) => /\.(ya?ml|json)$/i.test(t) || t.includes('/') || t.includes('\\');
  const phases: MechanicsPhaseSpec[] = [];
  const resolvedLattice: Obj = {};
  const { soc0, soc100 } = electrode.stoichiometry;
  for (const a of electrode.active) {
    const phase = rve.phases.find((p) => p.id === a.phaseId)!;
    const mat = a.material;
    const ov = overrides.get(phase.id);
    let E: number, nu: number, source: string;
    if (ov) { E = ov.E; nu = ov.nu; source = `${at}.elastic.${phase.name}`; } else {
      if (!mat.has('youngsModulus_Pa') || !mat.has('poissonRatio')) {
        r.fail(`${at}.elastic.${phase.name}`, `missing: ${mat.id} has no ${mat.has('youngsModulus_Pa') ? 'poissonRatio' : 'youngsModulus_Pa'}; give youngsModulus and poissonRatio for phase ${phase.name}`);
      }
      try { ({ E, nu } = LinearElastic.fromMaterial(mat)); } catch (err) {
        if (err instanceof InputError) r.fail(`${at}.elastic.${phase.name}`, `${err.source}: ${err.reason}`);
        throw err;
      }
      source = mat.id;
    }
    const key = `${at}.lattice.${phase.name}`;
    const ref = lattice[phase.name];
    let chemicalStrain: MechanicsPhaseSpec['chemicalStrain'];
    const table = ref === 'none' ? undefined : ref !== undefined
      ? withKey(r, key, () => loadLatticeRef(isPath(ref) ? r.path(ref) : ref, key))
      : withKey(r, key, () => latticeForMaterial(mat.id));
    if (table) {
      // the initial (stress-free reference) state must be in the table; where the run goes later
      // is checked at every solve (a Li fraction outside the table ends the run with an error)
      const x0 = soc0 + electrode.initialSoc * (soc100 - soc0);
      if (!table.inRange(x0)) r.fail(key, `the initial Li fraction x = ${x0} (electrode.stoichiometry, initialSoc) is outside the table ${table.id} (x ∈ [${table.file.x[0]}, ${table.file.x[table.file.x.length - 1]}])${ref === undefined ? `; "${phase.name}: none" selects the isotropic law` : ''}`);
      chemicalStrain = { kind: 'lattice', table };
      resolvedLattice[phase.name] = ref !== undefined && isPath(ref) ? r.path(ref) : table.id;
    } else {
      try { volumetricStrainLaw(mat, soc0); } catch (err) {
        if (err instanceof InputError) r.fail(key, `${mat.id} has no volumeChange and no partialMolarVolume_m3_mol (no isotropic chemical strain law), and no lattice table applies: give one (${key}: <table id or file>)`);
        throw err;
      }
      chemicalStrain = { kind: 'isotropic', material: mat };
      resolvedLattice[phase.name] = 'none';
    }
    if (coupling === 'two-way' && chemicalStrain.kind === 'lattice') {
      r.fail(`${at}.coupling`, `two-way coupling is built for isotropic chemical strain only, and phase ${phase.name} uses the lattice table ${resolvedLattice[phase.name]}: set ${at}.lattice.${phase.name}: none`);
    }
    phases.push({ phaseId: phase.id, name: phase.name, youngsModulus: E, poissonRatio: nu, elasticSource: source, chemicalStrain });
  }
  for (const [id, ov] of overrides) {
    if (phases.some((p) => p.phaseId === id)) continue;
    const phase = rve.phases.find((p) => p.id === id)!;
    phases.push({ phaseId: id, name: phase.name, youngsModulus: ov.E, poissonRatio: ov.nu, elasticSource: `${at}.elastic.${phase.name}`, chemicalStrain: { kind: 'none' } });
  }
  if (top.kind === 'pressure') {
    // the pressure acts on the solid voxel faces in the separator-side plane of the grid
    const solid = new Uint8Array(256);
    for (const p of phases) solid[p.phaseId] = 1;
    const [nx, ny, nz] = rve.shape, ax = rve.thicknessAxis, layer = rve.separatorSide === 'high' ? rve.shape[ax] - 1 : 0;
    let any = false;
    for (let z = 0, v = 0; z < nz && !any; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++, v++) if ([x, y, z][ax] === layer && solid[rve.phase[v]]) { any = true; break; }
    if (!any) {
      const sep = rve.phases.filter((p) => p.role === 'separator').map((p) => p.name);
      r.fail(`${at}.top`, `the pressure acts on solid voxels at the separator-side face, and there are none${sep.length ? `: give the separator elastic constants (${at}.elastic.${sep[0]})` : ''}`);
    }
  }
  const resolvedElastic: Obj = {};
  for (const [id, ov] of overrides) resolvedElastic[rve.phases.find((p) => p.id === id)!.name] = ov.record;
  return {
    spec: { enabled: true, lateral, top, phases, orientationSeed, rtol, collector, coupling, stressInPotential, solveAt, preconditioner },
    resolved: { enabled: true, coupling, stressInPotential, solveAt, preconditioner, collector, lateral, top: topText, ...(overrides.size > 0 ? { elastic: resolvedElastic } : {}), lattice: resolvedLattice, orientationSeed, rtol },
  };
}

/** Run `fn`, re-labelling its InputErrors with the scenario key. */
function withKey<T>(r: Reader, key: string, fn: () => T): T {
  try { return fn(); } catch (err) {
    if (err instanceof InputError && !err.source.startsWith(r.file)) r.fail(key, err.source === key ? err.reason : `${err.source}: ${err.reason}`);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Loading

let schemaCache: Record<string, unknown> | undefined;

/**
 * Read, validate and resolve a scenario file (or a shipped scenario by name).
 * @throws InputError(`<file>: <key>`, reason) for anything wrong in the file or what it names
 */
export async function loadScenario(fileOrName: string, opts: LoadScenarioOptions = {}): Promise<ScenarioSpec> {
  const file = path.resolve(resolveScenarioPath(fileOrName));
  const shown = displayPath(file);
  let doc: unknown;
  try {
    const text = await readFile(file, 'utf8');
    doc = /\.json$/i.test(file) ? JSON.parse(text) : YAML.parse(text);
  } catch (err) {
    throw new InputError(shown, `cannot parse: ${(err as Error).message.split('\n')[0]}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new InputError(shown, 'expected a mapping of keys (rve, electrode, protocol, …)');
  const d = structuredClone(doc) as Obj;
  const applied = opts.overrides ? applyOverrides(d, opts.overrides) : [];
  schemaCache ??= JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
  validate(d, schemaCache, shown);
  const r: Reader = new Reader(shown, path.dirname(file));

  const name = (d.name as string | undefined) ?? path.basename(file).replace(/\.(ya?ml|json)$/i, '');
  const built = await buildRve(r, d.rve as Obj);
  const { rve } = built;
  const temperature = r.positive(r.quantity(d, 'temperature', 'temperature', '') ?? SCENARIO_DEFAULTS.temperature_K, 'temperature');
  const electrode = buildElectrode(r, d.electrode as Obj, rve);

  const el = (d.electrolyte ?? {}) as Obj;
  if (el.material === undefined) r.fail('electrolyte.material', 'missing: an electrolyte material id (e.g. LiPF6_EC_EMC_Nyman2008) or file');
  const electrolyte = loadMaterial(r, el.material, 'electrolyte.material', 'electrolyte');
  let c0 = r.quantity(el, 'initialConcentration', 'concentration', 'electrolyte');
  if (c0 === undefined) {
    c0 = constantParameter(electrolyte.material, 'initialConcentration_mol_m3');
    if (c0 === undefined) r.fail('electrolyte.initialConcentration', `missing: ${electrolyte.material.id} has no initialConcentration_mol_m3; give it (e.g. 1000 mol/m^3)`);
  }
  r.positive(c0, 'electrolyte.initialConcentration');

  const ce = (d.counterElectrode ?? {}) as Obj;
  const counter = loadMaterial(r, ce.material ?? SCENARIO_DEFAULTS.counterElectrode.material, 'counterElectrode.material', 'counter-electrode');
  const protocol = parseProtocol(d.protocol, r.at('protocol'));
  const solverBlock = (d.solver ?? {}) as Obj;
  const linear = buildLinearSolver(r, solverBlock.linear);
  const time = buildTime(r, (solverBlock.time ?? {}) as Obj);
  const output = buildOutput(r, (d.output ?? {}) as Obj);
  const mechanics = await buildMechanics(r, d.mechanics as Obj | undefined, rve, electrode.spec);

  const resolved: Obj = {
    name,
    ...(d.description !== undefined ? { description: d.description } : {}),
    source: file,
    rve: built.resolved,
    temperature_K: temperature,
    electrode: electrode.resolved,
    electrolyte: { material: electrolyte.record, initialConcentration_mol_m3: c0 },
    counterElectrode: { kind: SCENARIO_DEFAULTS.counterElectrode.kind, material: counter.record },
    protocol: d.protocol,
    solver: { linear: linear.resolved, time: time.resolved },
    output: output.resolved,
    ...(mechanics.resolved ? { mechanics: mechanics.resolved } : {}),
  };
  const allOverrides = [...((d.overrides as string[] | undefined) ?? []), ...applied];
  if (allOverrides.length > 0) resolved.overrides = allOverrides;

  return {
    name,
    source: file,
    rve,
    rveOrigin: built.origin,
    temperature,
    electrode: electrode.spec,
    electrolyte: { material: electrolyte.material, initialConcentration: c0 },
    counterElectrode: { kind: 'li-metal', material: counter.material },
    protocol,
    solver: { linear: linear.spec, time: time.spec },
    output: output.spec,
    ...(mechanics.spec ? { mechanics: mechanics.spec } : {}),
    resolved,
  };
}

/**
 * `spec.resolved` as YAML (written as scenario.resolved.yaml next to the results), with a header
 * saying which lithomech wrote it and when. Loading it again gives the same numbers.
 */
export function resolvedScenarioYaml(spec: ScenarioSpec, date: Date = new Date()): string {
  const header = [
    `# Scenario "${spec.name}" resolved by lithomech ${VERSION} on ${date.toISOString()}`,
    `# from ${spec.source}.`,
    '# Every value is explicit and in SI units (the unit is in the key); paths are absolute.',
    '# `lithomech run <this file>` runs the same simulation again.',
  ];
  return `${header.join('\n')}\n${YAML.stringify(spec.resolved, { lineWidth: 0 })}`;
}

/**
 * `lithomech swell`: the electrode's elastic response to a uniform state of lithiation
 * (src/sim/swell.ts), written atomically to --out as fields.vti and summary.json.
 */
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { InputError } from '../core/errors.js';
import { parseQuantity } from '../core/units.js';
import { VERSION } from '../core/version.js';
import { withAtomicOutputDir } from '../io/atomic-dir.js';
import { latticeForMaterial, loadLatticeRef, loadMaterialRef, loadOrientations } from '../io/mechanics-inputs.js';
import { writeVti } from '../io/vtk/vti.js';
import { rveFromLabels } from '../mesh/pipeline.js';
import type { PhaseDef, Rve } from '../mesh/rve.js';
import { volumetricStrainLaw } from '../physics/chemical-strain.js';
import { LinearElastic } from '../physics/linear-elastic.js';
import type { Material } from '../physics/material-law.js';
import { effectiveStiffness, type StiffnessPhase } from '../sim/stiffness.js';
import { swell, type PhaseEigenstrain, type SwellPhase, type SwellPreconditioner, type SwellResult, type TopCondition } from '../sim/swell.js';
import { StepLog } from './log.js';
import { reportRemovals, resolveVolumeInputs, volumeOptions, type VolumeArgs } from './volume-options.js';

interface SwellArgs extends VolumeArgs {
  materials?: string[];
  elastic?: string[];
  soc?: number;
  referenceSoc: number;
  stoichiometry?: string[];
  referenceStoichiometry?: string[];
  eigenstrain?: string[];
  lattice?: string[];
  stoichiometryWindow?: string[];
  orientationSeed: number;
  grains?: number;
  grainSize?: string;
  orientations?: string;
  lateral: 'free' | 'roller' | 'periodic';
  top: string;
  rtol: number;
  preconditioner: string;
  out: string;
  verbose: boolean;
}

/** `name=value` entries of a repeatable option (each occurrence may hold several, comma-separated when `commas`). */
function entries(list: string[] | undefined, option: string, phases: PhaseDef[], commas = true): Map<PhaseDef, string> {
  const out = new Map<PhaseDef, string>();
  for (const item of list ?? []) {
    for (const part of (commas ? item.split(',') : [item]).map((s) => s.trim()).filter(Boolean)) {
      const m = /^([^=]+)=(.+)$/.exec(part);
      if (!m) throw new InputError(option, `cannot parse "${part}" (expected phase=value)`);
      const p = phases.find((q) => q.name === m[1].trim());
      if (!p) throw new InputError(option, `no phase named "${m[1].trim()}" (phases: ${phases.map((q) => q.name).join(', ')})`);
      if (out.has(p)) throw new InputError(option, `phase "${p.name}" given twice`);
      out.set(p, m[2].trim());
    }
  }
  return out;
}

function parseTop(text: string): TopCondition {
  if (text === 'free' || text === 'fixed') return { kind: text };
  const m = /^pressure:(.+)$/.exec(text);
  if (!m) throw new InputError('--top', `expected free, fixed or pressure:<value> (e.g. pressure:0.3MPa), got "${text}"`);
  const p = parseQuantity(m[1], 'pressure', '--top');
  if (!(p >= 0)) throw new InputError('--top', `pressure must be ≥ 0, got ${m[1]}`);
  return { kind: 'pressure', pascal: p };
}

function constantOf(m: Material, key: string): number | undefined {
  if (!m.has(key)) return undefined;
  const p = m.parameter(key);
  return p.variables.length === 0 ? p.fn({}) : undefined;
}

/**
 * Stoichiometry at a state of charge: x₀ + soc (x₁₀₀ − x₀) from --stoichiometry-window when given,
 * else from the material's stoichiometryAt0Soc/At100Soc.
 */
function xAtSoc(m: Material, soc: number, option: string, window?: [number, number]): number {
  if (window) return window[0] + soc * (window[1] - window[0]);
  const x0 = constantOf(m, 'stoichiometryAt0Soc'), x1 = constantOf(m, 'stoichiometryAt100Soc');
  if (x0 === undefined || x1 === undefined) {
    throw new InputError(option, `${m.id} lacks ${x0 === undefined ? 'stoichiometryAt0Soc' : 'stoichiometryAt100Soc'}: give --stoichiometry-window ${'<phase>'}=x0:x100 (or --stoichiometry and --reference-stoichiometry) for it`);
  }
  return x0 + soc * (x1 - x0);
}

function parseWindow(text: string, phase: string): [number, number] {
  const m = /^([^:]+):([^:]+)$/.exec(text);
  if (!m) throw new InputError('--stoichiometry-window', `${phase}: expected x0:x100 (Li fractions at 0 % and 100 % SOC), got "${text}"`);
  return [fraction(m[1], '--stoichiometry-window'), fraction(m[2], '--stoichiometry-window')];
}

function fraction(text: string, option: string): number {
  const v = Number(text);
  if (!(v >= 0 && v <= 1)) throw new InputError(option, `expected a number in [0, 1], got "${text}"`);
  return v;
}

interface Resolved { phases: SwellPhase[]; record: Record<string, unknown>[] }

/** Resolve elastic constants and eigenstrains per solid phase from the options. */
function resolvePhases(args: SwellArgs, rve: Rve): Resolved {
  const all = rve.phases;
  const materials = entries(args.materials, '--materials', all);
  const elastic = entries(args.elastic, '--elastic', all);
  const eig = entries(args.eigenstrain, '--eigenstrain', all, false);
  const stoich = entries(args.stoichiometry, '--stoichiometry', all);
  const refStoich = entries(args.referenceStoichiometry, '--reference-stoichiometry', all);
  const lattice = entries(args.lattice, '--lattice', all);
  const windows = entries(args.stoichiometryWindow, '--stoichiometry-window', all, false);
  if (args.soc !== undefined && !(args.soc >= 0 && args.soc <= 1)) throw new InputError('--soc', `expected a value in [0, 1], got ${args.soc}`);
  if (!(args.referenceSoc >= 0 && args.referenceSoc <= 1)) throw new InputError('--reference-soc', `expected a value in [0, 1], got ${args.referenceSoc}`);
  const solid = all.filter((p) => materials.has(p) || elastic.has(p));
  for (const [p] of [...eig, ...stoich, ...lattice, ...refStoich, ...windows]) {
    if (!solid.includes(p)) throw new InputError('--materials', `phase "${p.name}" has a chemical strain option but no --materials or --elastic entry`);
  }
  const phases: SwellPhase[] = [];
  const record: Record<string, unknown>[] = [];
  let anyStrain = false;
  for (const p of solid) {
    const material = materials.has(p) ? loadMaterialRef(materials.get(p)!, '--materials') : undefined;
    let el: LinearElastic;
    let elasticSource: string;
    if (elastic.has(p)) {
      const m = /^([^/]+)\/(.+)$/.exec(elastic.get(p)!);
      if (!m) throw new InputError('--elastic', `${p.name}: expected E/ν, e.g. ${p.name}=0.5GPa/0.3, got "${elastic.get(p)}"`);
      el = new LinearElastic(parseQuantity(m[1], 'pressure', '--elastic'), Number(m[2]), '--elastic');
      elasticSource = '--elastic';
    } else {
      el = LinearElastic.fromMaterial(material!);
      elasticSource = material!.id;
    }
    let eigen: PhaseEigenstrain = { kind: 'none' };
    const rec: Record<string, unknown> = { phase: p.name, id: p.id, E_Pa: el.E, nu: el.nu, elasticSource };
    if (eig.has(p)) {
      if (args.soc !== undefined || stoich.has(p) || lattice.has(p)) throw new InputError('--eigenstrain', `${p.name}: give either an eigenstrain or a state of lithiation (--soc/--stoichiometry/--lattice), not both`);
      const vals = eig.get(p)!.split(':').map(Number);
      if (!(vals.length === 1 || vals.length === 6) || vals.some((v) => !Number.isFinite(v) || Math.abs(v) > 0.5)) {
        throw new InputError('--eigenstrain', `${p.name}: expected one strain (isotropic) or 6 Voigt values exx:eyy:ezz:gyz:gxz:gxy, |ε| ≤ 0.5, got "${eig.get(p)}"`);
      }
      eigen = { kind: 'uniform', voigt: vals.length === 1 ? [vals[0], vals[0], vals[0], 0, 0, 0] : vals };
      rec.eigenstrain = { source: '--eigenstrain', voigt: eigen.voigt };
    } else if ((material || (lattice.has(p) && lattice.get(p) !== 'none')) && (args.soc !== undefined || stoich.has(p))) {
      const win = windows.has(p) ? parseWindow(windows.get(p)!, p.name) : undefined;
      const xOf = (soc: number, option: string): number => {
        if (material) return xAtSoc(material, soc, option, win);
        if (win) return win[0] + soc * (win[1] - win[0]);
        throw new InputError(option, `${p.name} has no material file: give --stoichiometry-window ${p.name}=x0:x100 (or --stoichiometry and --reference-stoichiometry)`);
      };
      const x = stoich.has(p) ? fraction(stoich.get(p)!, '--stoichiometry') : xOf(args.soc!, '--soc');
      const xRef = refStoich.has(p) ? fraction(refStoich.get(p)!, '--reference-stoichiometry') : xOf(args.referenceSoc, '--reference-soc');
      // the lattice table: --lattice phase=<id|file>, else the shipped table naming the material; 'none' = isotropic
      const latticeRef = lattice.get(p);
      const table = latticeRef === 'none' ? undefined : latticeRef !== undefined ? loadLatticeRef(latticeRef, '--lattice') : latticeForMaterial(material!.id);
      if (table) {
        for (const v of [x, xRef]) if (!table.inRange(v)) throw new InputError('--lattice', `${p.name}: x = ${v} is outside the table ${table.id} (x ∈ [${table.file.x[0]}, ${table.file.x[table.file.x.length - 1]}])${latticeRef === undefined ? `; --lattice ${p.name}=none selects the isotropic law` : ''}`);
        const [ea, ec] = table.strains(x, xRef);
        eigen = { kind: 'lattice', ea, ec };
        rec.eigenstrain = { source: `lattice table ${table.id} (${table.file.cite})${latticeRef === undefined ? `, the default for ${material!.id}` : ''}`, x, xRef, ea, ec, orientationSeed: args.orientationSeed };
      } else {
        const m = material!;
        const e = volumetricStrainLaw(m, xRef)(x);
        eigen = { kind: 'uniform', voigt: [e, e, e, 0, 0, 0] };
        rec.eigenstrain = { source: m.has('volumeChange') ? `${m.id} volumeChange` : `${m.id} partialMolarVolume_m3_mol`, x, xRef, isotropic: e };
      }
    } else if (lattice.has(p) && lattice.get(p) !== 'none') {
      throw new InputError('--lattice', `${p.name}: a lattice table needs a state of lithiation (--soc or --stoichiometry)`);
    }
    if (eigen.kind !== 'none') anyStrain = true;
    phases.push({ id: p.id, name: p.name, elastic: el, eigenstrain: eigen, source: elasticSource });
    record.push(rec);
  }
  if (!anyStrain && !args.top.startsWith('pressure:')) throw new InputError('--soc', 'no load: give --soc, --stoichiometry or --eigenstrain (or --top pressure:…)');
  return { phases, record };
}

/** Voigt (engineering shear) → VTK symmetric-tensor order XX, YY, ZZ, XY, YZ, XZ with tensor shears. */
function toVtkTensor(v: Float64Array, engineering: boolean): Float64Array {
  const n = v.length / 6, out = new Float64Array(v.length), f = engineering ? 0.5 : 1;
  for (let i = 0; i < n; i++) {
    out[6 * i] = v[6 * i]; out[6 * i + 1] = v[6 * i + 1]; out[6 * i + 2] = v[6 * i + 2];
    out[6 * i + 3] = f * v[6 * i + 5]; out[6 * i + 4] = f * v[6 * i + 3]; out[6 * i + 5] = f * v[6 * i + 4];
  }
  return out;
}

async function writeSwellOutputs(dir: string, rve: Rve, r: SwellResult, resolved: Record<string, unknown>): Promise<void> {
  const f = r.fields;
  const cellData: Record<string, Float64Array | Uint8Array | { data: Float64Array; components: number }> = {
    phase: rve.phase,
    strain: { data: toVtkTensor(f.strain, true), components: 6 },
    stress: { data: toVtkTensor(f.stress, false), components: 6 },
    von_mises: f.vonMises,
    hydrostatic_stress: f.hydrostatic,
    max_principal_stress: f.maxPrincipal,
    strain_energy_density: f.energyDensity,
    gauss_max_von_mises: f.gaussMaxVonMises,
  };
  if (r.orientationLabel) cellData.orientation_label = Float64Array.from(r.orientationLabel);
  if ('voigt' in r.eigenstrain) cellData.eigenstrain = { data: toVtkTensor(Float64Array.from(r.eigenstrain.voigt), true), components: 6 };
  else if ('isotropic' in r.eigenstrain) cellData.eigenstrain_isotropic = Float64Array.from(r.eigenstrain.isotropic);
  await writeVti(path.join(dir, 'fields.vti'), {
    shape: rve.shape, spacing: rve.voxelSize,
    cellData,
    pointData: { displacement: { data: r.displacement, components: 3 } },
    fieldData: {
      units: 'SI: displacement m, stress Pa, strain_energy_density J/m^3',
      tensor_order: 'strain, stress, eigenstrain: XX YY ZZ XY YZ XZ (tensor components, shear not doubled); NaN outside the kept solid',
      thicknessAxis: 'xyz'[rve.thicknessAxis],
      separatorSide: rve.separatorSide,
    },
  });
  await writeFile(path.join(dir, 'summary.json'), JSON.stringify({ lithomech: { command: 'swell', version: VERSION }, ...r.summary, inputs: resolved }, null, 2) + '\n');
}

export const swellCommand: CommandModule<object, SwellArgs> = {
  command: 'swell <volume>',
  describe: 'elastic response of an electrode RVE to a uniform state of lithiation (fields.vti, summary.json)',
  builder: (y: Argv) =>
    volumeOptions(y)
      .option('materials', { type: 'string', array: true, describe: 'phase=material id (materials/*.yaml) or file, comma-separated; gives E, ν and the chemical strain law' })
      .option('elastic', { type: 'string', array: true, describe: 'phase=E/ν elastic constants, e.g. CBD=0.5GPa/0.3 (overrides a material\'s; phases without --materials or --elastic are void)' })
      .option('soc', { type: 'number', describe: 'state of charge in [0, 1] (needs stoichiometryAt0Soc and At100Soc in the material)' })
      .option('reference-soc', { type: 'number', default: 0, describe: 'stress-free state of charge (the electrode as made)' })
      .option('stoichiometry', { type: 'string', array: true, describe: 'phase=x, the Li fraction directly (instead of --soc)' })
      .option('reference-stoichiometry', { type: 'string', array: true, describe: 'phase=x₀, the stress-free Li fraction (instead of --reference-soc)' })
      .option('eigenstrain', { type: 'string', array: true, describe: 'phase=ε (isotropic) or phase=exx:eyy:ezz:gyz:gxz:gxy (Voigt, engineering shear), repeatable' })
      .option('lattice', { type: 'string', array: true, describe: 'phase=lattice table (materials/lattice/*.yaml id or file): anisotropic strain from a(x), c(x), random orientation per particle (or grain). Default: the shipped table listing the phase\'s material, if any; phase=none forces the isotropic law' })
      .option('stoichiometry-window', { type: 'string', array: true, describe: 'phase=x0:x100, the Li fractions at 0 % and 100 % SOC for --soc (overrides the material\'s stoichiometryAt0Soc/At100Soc)' })
      .option('orientation-seed', { type: 'number', default: 1, describe: 'seed of the random particle (grain) orientations and of the grain seeds (--lattice)' })
      .option('orientations', { type: 'string', describe: 'text file of Bunge Euler angles in degrees, one line "id phi1 Phi phi2" per particle (grain with --grains); ids not listed are random by seed' })
      .option('grains', { type: 'number', describe: 'polycrystalline particles: this many Voronoi grains per particle, each randomly oriented (lattice strains)' })
      .option('grain-size', { type: 'string', describe: 'polycrystalline particles: Voronoi grains of this equivalent-sphere diameter, e.g. 1um (instead of --grains)' })
      .option('lateral', { choices: ['free', 'roller', 'periodic'] as const, default: 'free' as const, describe: 'lateral faces: traction-free, roller (normal displacement 0) or periodic (zero mean lateral strain)' })
      .option('top', { type: 'string', default: 'free', describe: 'separator face: free, fixed (normal displacement 0) or pressure:<value> (e.g. pressure:0.3MPa)' })
      .option('rtol', { type: 'number', default: 1e-8, describe: 'relative residual of the CG solve' })
      .option('preconditioner', { type: 'string', choices: ['auto', 'gmg', 'amg'], default: 'auto', describe: 'CG preconditioner: gmg (matrix-free geometric multigrid), amg (smoothed aggregation, assembled matrix); auto = gmg unless --lateral periodic' })
      .option('out', { type: 'string', demandOption: true, describe: 'output directory (written atomically)' })
      .option('verbose', { type: 'boolean', default: Boolean(process.stderr.isTTY), describe: 'print steps and timings on stderr' })
      .example('$0 swell rve/rve.vti --materials NMC=NMC811_OKane2022 --elastic CBD=0.5GPa/0.3 --stoichiometry NMC=0.5 --reference-stoichiometry NMC=0.9 --out swell', 'isotropic swelling from the material\'s volume-change law')
      .example('$0 swell rve/rve.vti --materials NMC=NMC811_OKane2022 --eigenstrain NMC=-0.01 --lateral roller --top pressure:0.3MPa --out swell', 'prescribed eigenstrain, laterally confined, under stack pressure') as unknown as Argv<SwellArgs>,
  handler: async (args: ArgumentsCamelCase<SwellArgs>) => {
    const log = new StepLog(args.verbose);
    if (!(args.rtol > 0 && args.rtol < 1)) throw new InputError('--rtol', `expected a value in (0, 1), got ${args.rtol}`);
    const top = parseTop(args.top);
    if (args.grains !== undefined && args.grainSize !== undefined) throw new InputError('--grains', 'give --grains or --grain-size, not both');
    if (args.grains !== undefined && !(Number.isInteger(args.grains) && args.grains >= 1)) throw new InputError('--grains', `expected an integer ≥ 1, got ${args.grains}`);
    const grainSize = args.grainSize !== undefined ? parseQuantity(args.grainSize, 'length', '--grain-size') : undefined;
    if (grainSize !== undefined && !(grainSize > 0)) throw new InputError('--grain-size', `expected a positive length, got ${args.grainSize}`);
    const grains = args.grains !== undefined ? { perParticle: args.grains } : grainSize !== undefined ? { grainSize } : undefined;
    const orientationOverrides = args.orientations !== undefined ? loadOrientations(args.orientations) : undefined;
    const { volume, options, resolved } = await resolveVolumeInputs(args);
    log.step(`read ${args.volume} (${volume.shape.join('×')})`);
    const { rve, report } = rveFromLabels(volume, options);
    reportRemovals(report);
    log.step(`RVE ${rve.shape.join('×')}, particles labelled`);
    const { phases, record } = resolvePhases(args, rve);
    if (orientationOverrides && !phases.some((p) => p.eigenstrain.kind === 'lattice')) throw new InputError('--orientations', 'orientations only matter for anisotropic lattice strains');
    if (grains && !phases.some((p) => p.eigenstrain.kind === 'lattice')) throw new InputError(args.grains !== undefined ? '--grains' : '--grain-size', 'grains only matter for anisotropic lattice strains (a lattice table via --lattice or the material default, with --soc or --stoichiometry)');
    for (const p of rve.phases) {
      if ((p.role === 'active' || p.role === 'cbd') && !phases.some((q) => q.id === p.id)) {
        process.stderr.write(`lithomech: phase "${p.name}" (${p.role}) has no --materials or --elastic entry: it carries no stiffness\n`);
      }
    }
    const r = swell({ rve, phases, lateral: args.lateral, top, orientationSeed: args.orientationSeed, orientationOverrides, grains, rtol: args.rtol, preconditioner: args.preconditioner as SwellPreconditioner });
    if (r.summary.removedVoxels > 0) process.stderr.write(`lithomech: ${r.summary.removedVoxels} solid voxels not connected to the current-collector face carry no load and were left out\n`);
    log.step(`solved ${r.summary.unknowns} unknowns: ${r.summary.solver.iterations} CG iterations, ${r.summary.solver.seconds.toFixed(2)} s; thickness change ${(r.summary.thicknessStrain * 100).toPrecision(4)} %`);
    await withAtomicOutputDir(args.out, async (dir) => {
      await writeSwellOutputs(dir, rve, r, { ...resolved, phases: record, lateral: args.lateral, top, soc: args.soc ?? null, referenceSoc: args.referenceSoc });
    });
    log.step(`wrote ${args.out}`);
  },
};

// ----------------------------------------------------------------------------- stiffness

interface StiffnessArgs extends VolumeArgs {
  materials?: string[];
  elastic?: string[];
  bc: string;
  strain: number;
  rtol: number;
  out: string;
  verbose: boolean;
}

/** Elastic constants per phase from --materials / --elastic (phases with neither are void). */
function resolveElastic(args: { materials?: string[]; elastic?: string[] }, rve: Rve): { phases: StiffnessPhase[]; record: Record<string, unknown>[] } {
  const all = rve.phases;
  const materials = entries(args.materials, '--materials', all);
  const elastic = entries(args.elastic, '--elastic', all);
  const phases: StiffnessPhase[] = [];
  const record: Record<string, unknown>[] = [];
  for (const p of all) {
    if (elastic.has(p)) {
      const m = /^([^/]+)\/(.+)$/.exec(elastic.get(p)!);
      if (!m) throw new InputError('--elastic', `${p.name}: expected E/ν, e.g. ${p.name}=0.5GPa/0.3, got "${elastic.get(p)}"`);
      const el = new LinearElastic(parseQuantity(m[1], 'pressure', '--elastic'), Number(m[2]), '--elastic');
      phases.push({ id: p.id, name: p.name, elastic: el });
      record.push({ phase: p.name, id: p.id, E_Pa: el.E, nu: el.nu, source: '--elastic' });
    } else if (materials.has(p)) {
      const mat = loadMaterialRef(materials.get(p)!, '--materials');
      const el = LinearElastic.fromMaterial(mat);
      phases.push({ id: p.id, name: p.name, elastic: el });
      record.push({ phase: p.name, id: p.id, E_Pa: el.E, nu: el.nu, source: mat.id });
    }
  }
  if (phases.length === 0) throw new InputError('--materials', 'no phase has elastic constants: give --materials phase=<material> or --elastic phase=E/ν');
  return { phases, record };
}

function formatMatrix(C: number[][], scale: number): string {
  return C.map((r) => r.map((v) => (v / scale).toFixed(3).padStart(10)).join(' ')).join('\n');
}

export const stiffnessCommand: CommandModule<object, StiffnessArgs> = {
  command: 'stiffness <volume>',
  describe: 'effective 6×6 elastic stiffness of an RVE from six load cases (stiffness.json, summary.txt)',
  builder: (y: Argv) =>
    volumeOptions(y)
      .option('materials', { type: 'string', array: true, describe: 'phase=material id (materials/*.yaml) or file, comma-separated: E and ν' })
      .option('elastic', { type: 'string', array: true, describe: 'phase=E/ν, e.g. CBD=0.5GPa/0.3 (overrides a material\'s; phases without either are void)' })
      .option('bc', { type: 'string', default: 'kinematic', describe: 'boundary conditions: kinematic (affine displacement u = E·x on all six faces; an upper bound) or periodic (u = E·x + a periodic fluctuation on all three axes)' })
      .option('strain', { type: 'number', default: 1e-3, describe: 'magnitude of the applied macroscopic strain of each load case (linear problem: only round-off depends on it)' })
      .option('rtol', { type: 'number', default: 1e-8, describe: 'relative residual of each CG solve' })
      .option('out', { type: 'string', demandOption: true, describe: 'output directory (written atomically)' })
      .option('verbose', { type: 'boolean', default: Boolean(process.stderr.isTTY), describe: 'print steps and timings on stderr' })
      .example('$0 stiffness rve/rve.vti --materials NMC=NMC811_OKane2022 --elastic CBD=0.5GPa/0.3 --out stiff', 'effective stiffness of the NMC + CBD skeleton (pores void), kinematic BCs')
      .example('$0 stiffness rve/rve.vti --materials NMC=NMC811_OKane2022 --elastic CBD=0.5GPa/0.3 --bc periodic --out stiff-per', 'the same with periodic BCs') as unknown as Argv<StiffnessArgs>,
  handler: async (args: ArgumentsCamelCase<StiffnessArgs>) => {
    const log = new StepLog(args.verbose);
    if (args.bc !== 'kinematic' && args.bc !== 'periodic') throw new InputError('--bc', `expected kinematic or periodic, got "${args.bc}"`);
    if (!(args.rtol > 0 && args.rtol < 1)) throw new InputError('--rtol', `expected a value in (0, 1), got ${args.rtol}`);
    if (!(args.strain > 0 && args.strain < 0.1)) throw new InputError('--strain', `expected a value in (0, 0.1), got ${args.strain}`);
    const { volume, options, resolved } = await resolveVolumeInputs(args);
    log.step(`read ${args.volume} (${volume.shape.join('×')})`);
    const { rve, report } = rveFromLabels(volume, options);
    reportRemovals(report);
    const { phases, record } = resolveElastic(args, rve);
    log.step(`RVE ${rve.shape.join('×')}`);
    const s = effectiveStiffness({ shape: rve.shape, voxelSize: rve.voxelSize, phase: rve.phase, phases, bc: args.bc as 'kinematic' | 'periodic', strain: args.strain, rtol: args.rtol });
    if (s.removedVoxels > 0) {
      process.stderr.write(args.bc === 'periodic'
        ? `lithomech: ${s.removedVoxels} solid voxels in clusters that do not connect to their periodic images in two or more directions carry no load and were left out\n`
        : `lithomech: ${s.removedVoxels} solid voxels not connected to the box boundary carry no load and were left out\n`);
    }
    log.step(`six load cases on ${s.unknowns} unknowns: ${s.loadCases.map((c) => c.iterations).join('/')} CG iterations, ${s.solver.seconds.toFixed(2)} s`);
    const text = [
      `lithomech ${VERSION} stiffness: ${args.volume}, RVE ${rve.shape.join('×')}, voxel ${rve.voxelSize.map((h) => (h * 1e6).toPrecision(4)).join('×')} µm`,
      `boundary conditions: ${s.boundaryConditions}`,
      `volume fractions: ${Object.entries(s.volumeFractions).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')}`,
      '',
      'effective stiffness C [GPa] (Voigt order xx yy zz yz xz xy, engineering shear strains), symmetrised:',
      formatMatrix(s.Csym_Pa, 1e9),
      `asymmetry ‖C − Cᵀ‖/‖C‖ = ${s.asymmetry.toExponential(2)}`,
      '',
      'Voigt bound ⟨C⟩ [GPa]:',
      formatMatrix(s.voigtBound_Pa, 1e9),
      s.reussBound_Pa ? `Reuss bound [GPa]:\n${formatMatrix(s.reussBound_Pa, 1e9)}` : 'Reuss bound: 0 (the RVE has void)',
      '',
      s.engineering
        ? `engineering constants: Ex ${(s.engineering.Ex_Pa / 1e9).toPrecision(4)} GPa, Ey ${(s.engineering.Ey_Pa / 1e9).toPrecision(4)} GPa, Ez ${(s.engineering.Ez_Pa / 1e9).toPrecision(4)} GPa, ` +
          `ν_xy ${s.engineering.nu_xy.toFixed(3)}, ν_xz ${s.engineering.nu_xz.toFixed(3)}, ν_yz ${s.engineering.nu_yz.toFixed(3)}, ` +
          `Gyz ${(s.engineering.Gyz_Pa / 1e9).toPrecision(4)} GPa, Gxz ${(s.engineering.Gxz_Pa / 1e9).toPrecision(4)} GPa, Gxy ${(s.engineering.Gxy_Pa / 1e9).toPrecision(4)} GPa`
        : 'engineering constants: C is not positive definite',
      `solver: ${s.solver.method}, ${s.solver.preconditioner}; ${s.unknowns} unknowns; iterations ${s.loadCases.map((c) => c.iterations).join(', ')}; ${s.solver.seconds.toFixed(2)} s`,
      '',
    ].join('\n');
    await withAtomicOutputDir(args.out, async (dir) => {
      await writeFile(path.join(dir, 'stiffness.json'), JSON.stringify({ lithomech: { command: 'stiffness', version: VERSION }, ...s, inputs: { ...resolved, phases: record } }, null, 2) + '\n');
      await writeFile(path.join(dir, 'summary.txt'), text);
    });
    log.step(`wrote ${args.out}`);
  },
};

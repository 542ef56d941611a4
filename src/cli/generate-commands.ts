/** `lithomech generate spheres|sphere|array`: synthetic RVEs, deterministic by seed. */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { InputError } from '../core/errors.js';
import { parseQuantity } from '../core/units.js';
import { VERSION } from '../core/version.js';
import { axisIndex, type Shape3 } from '../core/volume.js';
import { withAtomicOutputDir } from '../io/atomic-dir.js';
import { DEFAULT_PACK } from '../io/generate-options.js';
import { writeRveOutputs } from '../io/rve-output.js';
import { generateSingleSphere, generateSphereArray, generateSpherePack, type GeneratedRve } from '../mesh/generate.js';
import { analyseRve } from '../mesh/pipeline.js';
import { StepLog } from './log.js';

function parseShape(text: string, key: string): Shape3 {
  const v = text.split(',').map((s) => Number(s.trim()));
  if (v.length === 1 && Number.isInteger(v[0]) && v[0] > 0) return [v[0], v[0], v[0]];
  if (v.length !== 3 || v.some((n) => !Number.isInteger(n) || n <= 0)) throw new InputError(key, `expected nx,ny,nz positive integers, got "${text}"`);
  return v as Shape3;
}

function fraction(v: number, key: string, allowZero = true): number {
  if (!Number.isFinite(v) || v < 0 || v >= 1 || (!allowZero && v === 0)) throw new InputError(key, `expected a fraction in ${allowZero ? '[0' : '(0'}, 1), got ${v}`);
  return v;
}

interface CommonArgs { out: string; voxelSize: string; thicknessAxis: 'x' | 'y' | 'z'; verbose: boolean; vtu?: string }
interface PackArgs extends CommonArgs { shape: string; activeFraction: number; cbdFraction: number; radius: string; radiusSigma: number; overlap: number; separator: string; periodic: boolean; seed: number }
interface SphereArgs extends CommonArgs { shape: string; radius: string }
interface ArrayArgs extends CommonArgs { counts: string; radius: string; spacing: string; cbdFraction: number; separator: string }

function common<T>(y: Argv<T>) {
  return y
    .option('out', { type: 'string', demandOption: true, describe: 'output directory (written atomically)' })
    .option('voxel-size', { type: 'string', default: DEFAULT_PACK.voxelSize as string, describe: 'voxel edge with units' })
    .option('thickness-axis', { choices: ['x', 'y', 'z'] as const, default: 'z' as const, describe: 'through-thickness axis (separator at its high end)' })
    .option('vtu', { type: 'string', describe: 'also write rve.vtu with hexahedra of these phases (comma-separated names)' })
    .option('verbose', { type: 'boolean', default: Boolean(process.stderr.isTTY), describe: 'print steps and timings on stderr' });
}

async function finish(args: CommonArgs, gen: GeneratedRve, command: string, inputs: Record<string, unknown>, log: StepLog): Promise<void> {
  const { rve } = gen;
  log.step(`generated ${rve.shape.join('×')}: ${gen.spheres.length} spheres, active ${gen.stats.activeFraction.toFixed(4)}, CBD ${gen.stats.cbdFraction.toFixed(4)}`);
  const { particles, stats } = analyseRve(rve);
  log.step(`statistics: ${particles.length} particles`);
  await withAtomicOutputDir(args.out, async (dir) => {
    await writeRveOutputs(dir, {
      rve, stats, particles,
      vtuPhases: args.vtu?.split(',').map((s) => s.trim()),
      resolved: {
        lithomech: { command, version: VERSION },
        inputs,
        generation: gen.stats,
        spheres: gen.spheres.map((s) => ({ id: s.id, center_m: s.c, radius_m: s.r })),
        rve: { shape: rve.shape, voxelSize_m: rve.voxelSize, phases: rve.phases, thicknessAxis: 'xyz'[rve.thicknessAxis], separatorSide: rve.separatorSide },
        particleMethod: 'generator (exact sphere membership)',
      },
    });
  });
  log.step(`wrote ${args.out}`);
}

const spheres: CommandModule<object, PackArgs> = {
  command: 'spheres',
  describe: 'random pack of lognormal spheres with CBD at surfaces and necks (the default RVE)',
  builder: (y: Argv) =>
    common(y)
      .option('shape', { type: 'string', default: DEFAULT_PACK.shape as string, describe: 'electrode region nx,ny,nz [voxels] (a separator layer is added on top)' })
      .option('active-fraction', { type: 'number', default: DEFAULT_PACK.activeFraction, describe: 'target active volume fraction of the electrode' })
      .option('cbd-fraction', { type: 'number', default: DEFAULT_PACK.cbdFraction, describe: 'target carbon-binder volume fraction' })
      .option('radius', { type: 'string', default: DEFAULT_PACK.radius as string, describe: 'median particle radius, with units' })
      .option('radius-sigma', { type: 'number', default: DEFAULT_PACK.radiusSigma, describe: 'log-standard-deviation of radii (0 = monodisperse)' })
      .option('overlap', { type: 'number', default: DEFAULT_PACK.overlap, describe: 'allowed fractional overlap of neighbours' })
      .option('separator', { type: 'string', default: '0', describe: 'separator layer thickness, with units' })
      .option('periodic', { type: 'boolean', default: false, describe: 'spheres wrap around the lateral faces' })
      .option('seed', { type: 'number', default: DEFAULT_PACK.seed, describe: 'random seed (same seed → identical RVE)' })
      .example('$0 generate spheres --out rve', '20×20×40 µm NMC-like electrode at 0.5 µm voxels (40/30/30 % active/electrolyte/CBD)')
      .example('$0 generate spheres --shape 128 --active-fraction 0.5 --cbd-fraction 0.1 --separator 5um --seed 7 --out rve', 'larger, denser, with a separator') as unknown as Argv<PackArgs>,
  handler: async (a: ArgumentsCamelCase<PackArgs>) => {
    const log = new StepLog(a.verbose);
    const inputs = {
      shape: parseShape(a.shape, '--shape'),
      voxelSize: parseQuantity(a.voxelSize, 'length', '--voxel-size'),
      activeFraction: fraction(a.activeFraction, '--active-fraction', false),
      cbdFraction: fraction(a.cbdFraction, '--cbd-fraction'),
      radiusMedian: parseQuantity(a.radius, 'length', '--radius'),
      radiusSigmaLog: a.radiusSigma,
      overlap: fraction(a.overlap, '--overlap'),
      separatorThickness: parseQuantity(a.separator, 'length', '--separator'),
      thicknessAxis: axisIndex(a.thicknessAxis),
      periodicLateral: a.periodic,
      seed: a.seed,
    };
    await finish(a, generateSpherePack(inputs), 'generate spheres', inputs, log);
  },
};

const sphere: CommandModule<object, SphereArgs> = {
  command: 'sphere',
  describe: 'one active sphere in electrolyte (verification)',
  builder: (y: Argv) =>
    common(y)
      .option('shape', { type: 'string', default: '32', describe: 'box nx,ny,nz [voxels]' })
      .option('radius', { type: 'string', default: '6um', describe: 'sphere radius, with units' })
      .example('$0 generate sphere --shape 48 --voxel-size 0.25um --radius 5um --out sphere', 'a 5 µm sphere at 20 voxels per radius') as unknown as Argv<SphereArgs>,
  handler: async (a: ArgumentsCamelCase<SphereArgs>) => {
    const log = new StepLog(a.verbose);
    const inputs = {
      shape: parseShape(a.shape, '--shape'),
      voxelSize: parseQuantity(a.voxelSize, 'length', '--voxel-size'),
      radius: parseQuantity(a.radius, 'length', '--radius'),
      thicknessAxis: axisIndex(a.thicknessAxis),
    };
    await finish(a, generateSingleSphere(inputs), 'generate sphere', inputs, log);
  },
};

const array: CommandModule<object, ArrayArgs> = {
  command: 'array',
  describe: 'regular (simple cubic) array of equal spheres (verification)',
  builder: (y: Argv) =>
    common(y)
      .option('counts', { type: 'string', default: '2,2,4', describe: 'spheres along x,y,z' })
      .option('radius', { type: 'string', default: '2.5um', describe: 'sphere radius, with units' })
      .option('spacing', { type: 'string', default: '5um', describe: 'centre-to-centre distance (a whole number of voxels)' })
      .option('cbd-fraction', { type: 'number', default: 0, describe: 'CBD volume fraction filled into the necks' })
      .option('separator', { type: 'string', default: '0', describe: 'separator layer thickness, with units' }) as unknown as Argv<ArrayArgs>,
  handler: async (a: ArgumentsCamelCase<ArrayArgs>) => {
    const log = new StepLog(a.verbose);
    const inputs = {
      counts: parseShape(a.counts, '--counts'),
      radius: parseQuantity(a.radius, 'length', '--radius'),
      spacing: parseQuantity(a.spacing, 'length', '--spacing'),
      voxelSize: parseQuantity(a.voxelSize, 'length', '--voxel-size'),
      cbdFraction: fraction(a.cbdFraction, '--cbd-fraction'),
      separatorThickness: parseQuantity(a.separator, 'length', '--separator'),
      thicknessAxis: axisIndex(a.thicknessAxis),
    };
    await finish(a, generateSphereArray(inputs), 'generate array', inputs, log);
  },
};

export const generateCommand: CommandModule = {
  command: 'generate <kind>',
  describe: 'synthetic RVEs: spheres (random pack), sphere (single), array (regular)',
  builder: (y: Argv) => y.command(spheres).command(sphere).command(array).demandCommand(1, 'give a kind: spheres, sphere or array'),
  handler: () => {},
};

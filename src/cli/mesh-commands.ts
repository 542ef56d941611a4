/** `lithomech mesh` and `lithomech stats`. */
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { parseQuantity } from '../core/units.js';
import { VERSION } from '../core/version.js';
import { withAtomicOutputDir } from '../io/atomic-dir.js';
import { writeRveOutputs } from '../io/rve-output.js';
import { analyseRve, rveFromLabels } from '../mesh/pipeline.js';
import { StepLog } from './log.js';
import { formatStatsTable } from './stats-table.js';
import { reportRemovals, resolveVolumeInputs, volumeOptions, type VolumeArgs } from './volume-options.js';

interface MeshArgs extends VolumeArgs {
  out: string;
  separator: string;
  collector: string;
  vtu?: string;
  verbose: boolean;
}

export const meshCommand: CommandModule<object, MeshArgs> = {
  command: 'mesh <volume>',
  describe: 'segmented volume → voxel RVE (rve.vti, stats.json, particles.csv, rve.json)',
  builder: (y: Argv) =>
    volumeOptions(y)
      .option('out', { type: 'string', demandOption: true, describe: 'output directory (written atomically)' })
      .option('separator', { type: 'string', default: '0', describe: 'separator layer thickness added on the separator side, with units (e.g. 2um)' })
      .option('collector', { type: 'string', default: '0', describe: 'current-collector layer thickness added on the other side, with units' })
      .option('vtu', { type: 'string', describe: 'also write rve.vtu with hexahedra of these phases (comma-separated names)' })
      .option('verbose', { type: 'boolean', default: Boolean(process.stderr.isTTY), describe: 'print steps and timings on stderr' })
      .example('$0 mesh nmc.tif --phases "0=pore:electrolyte,1=NMC:active,2=CBD:cbd" --voxel-size 0.398um --out rve', 'mesh a segmented TIFF stack')
      .example('$0 mesh nmc.tif --phases phases.yaml --crop 0:200,0:200,: --downsample 2 --separator 4um --out rve', 'crop, coarsen, add a separator layer')
      .example('$0 mesh grey.tif --otsu 2 --phases "0=pore:electrolyte,1=NMC:active" --voxel-size 0.4um --out rve', 'segment greyscale data first') as unknown as Argv<MeshArgs>,
  handler: async (args: ArgumentsCamelCase<MeshArgs>) => {
    const log = new StepLog(args.verbose);
    const { volume, options, resolved } = await resolveVolumeInputs(args);
    options.separatorThickness = parseQuantity(args.separator, 'length', '--separator');
    options.collectorThickness = parseQuantity(args.collector, 'length', '--collector');
    log.step(`read ${args.volume} (${volume.shape.join('×')})`);
    const { rve, report } = rveFromLabels(volume, options);
    reportRemovals(report);
    log.step(`RVE ${rve.shape.join('×')}, particles labelled`);
    const { particles, stats } = analyseRve(rve, options.surfaceSigma);
    log.step(`statistics: ${particles.length} particles`);
    await withAtomicOutputDir(args.out, async (dir) => {
      await writeRveOutputs(dir, {
        rve, stats, particles,
        vtuPhases: args.vtu?.split(',').map((s) => s.trim()),
        resolved: {
          lithomech: { command: 'mesh', version: VERSION },
          ...resolved,
          separatorThickness_m: options.separatorThickness,
          collectorThickness_m: options.collectorThickness,
          report,
          rve: { shape: rve.shape, voxelSize_m: rve.voxelSize, phases: rve.phases, thicknessAxis: 'xyz'[rve.thicknessAxis], separatorSide: rve.separatorSide },
        },
      });
    });
    log.step(`wrote ${args.out}`);
  },
};

interface StatsArgs extends VolumeArgs {
  json: boolean;
}

export const statsCommand: CommandModule<object, StatsArgs> = {
  command: 'stats <volume>',
  describe: 'microstructure statistics of a segmented volume (table, or JSON with --json)',
  builder: (y: Argv) =>
    volumeOptions(y)
      .option('json', { type: 'boolean', default: false, describe: 'print stats.json to stdout' })
      .example('$0 stats nmc.tif --phases "0=pore:electrolyte,1=NMC:active,2=CBD:cbd" --voxel-size 0.398um', 'volume fractions, surface areas, particles, percolation') as unknown as Argv<StatsArgs>,
  handler: async (args: ArgumentsCamelCase<StatsArgs>) => {
    const { volume, options } = await resolveVolumeInputs(args);
    const { rve, report } = rveFromLabels(volume, options);
    reportRemovals(report);
    const { stats } = analyseRve(rve, options.surfaceSigma);
    process.stdout.write(args.json ? JSON.stringify(stats, null, 2) + '\n' : formatStatsTable(stats));
  },
};

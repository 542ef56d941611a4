/**
 * Scenario files (src/io/scenario.ts): every shipped scenario loads, errors name the file and the
 * key, units convert to SI, and the resolved scenario loads back to the same numbers.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors.js';
import {
  listScenarios, loadScenario, MATERIALS_DIR, parseOverride, resolvedScenarioYaml, resolveScenarioPath, SCENARIOS_DIR,
} from '../../../src/io/scenario.js';
import { writeRveOutputs } from '../../../src/io/rve-output.js';
import { generateSpherePack } from '../../../src/mesh/generate.js';
import type { ScenarioSpec } from '../../../src/sim/scenario-spec.js';
import { writeNpy } from '../../helpers/npy-writer.js';

const TOMO = resolve(__dirname, '../../../../shared/data/tomography');
const HAVE_TOMO = existsSync(join(TOMO, 'nrel-nmc1cal-bridge-cbd.tif'));
const NREL_SCENARIOS = ['nmc622-fast-charge-1C', 'nmc622-fast-charge-2C', 'nmc622-fast-charge-5C'];

const dir = mkdtempSync(join(tmpdir(), 'lithomech-scenario-'));
let n = 0;

/** A small, fast scenario (8 × 8 × 12 voxel pack with CBD and a separator). */
function base(): Record<string, any> {
  return {
    rve: { generate: { kind: 'spheres', shape: [8, 8, 12], voxelSize: '0.5 um', activeFraction: 0.4, cbdFraction: 0.2, radius: '1 um', separator: '2 voxels', seed: 3 } },
    temperature: '25 degC',
    electrode: {
      polarity: 'positive',
      active: { NMC: 'NMC811_OKane2022' },
      stoichiometry: { soc0: 0.9 },
      cbd: { porosity: 0.5, conductivity: '10 S/m' },
      separator: { porosity: 0.5 },
    },
    electrolyte: { material: 'LiPF6_EC_EMC_Nyman2008' },
    protocol: ['Charge at 1C until 4.2 V', 'Rest for 5 min'],
  };
}

function write(doc: unknown, name = `s${n++}.yaml`): string {
  const f = join(dir, name);
  writeFileSync(f, typeof doc === 'string' ? doc : YAML.stringify(doc));
  return f;
}

async function errorOf(doc: unknown): Promise<string> {
  const f = write(doc);
  try {
    await loadScenario(f);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    const msg = (err as Error).message;
    expect(msg.split('\n')).toHaveLength(1);
    return msg;
  }
  throw new Error('loadScenario accepted a bad scenario');
}

/** What `lithomech run` gets, as plain numbers, for comparisons. */
function numbers(s: ScenarioSpec) {
  return {
    name: s.name,
    shape: s.rve.shape,
    voxelSize: s.rve.voxelSize,
    phase: Buffer.from(s.rve.phase).toString('base64'),
    particle: Buffer.from(new Uint8Array(s.rve.particle!.buffer)).toString('base64'),
    phases: s.rve.phases.map((p) => [p.id, p.name, p.role]),
    axis: [s.rve.thicknessAxis, s.rve.separatorSide],
    temperature: s.temperature,
    electrode: { ...s.electrode, active: s.electrode.active.map((a) => [a.phaseId, a.material.id]) },
    electrolyte: [s.electrolyte.material.id, s.electrolyte.initialConcentration],
    counter: s.counterElectrode.material.id,
    protocol: s.protocol.map(({ source: _, ...step }) => step),
    solver: s.solver,
    output: s.output,
  };
}

describe('shipped scenarios', () => {
  it('are listed and found by name', () => {
    const names = listScenarios();
    expect(names).toEqual(expect.arrayContaining(['quick-start', 'single-particle', 'graphite-half-cell', ...NREL_SCENARIOS]));
    expect(resolveScenarioPath('quick-start')).toBe(join(SCENARIOS_DIR, 'quick-start.yaml'));
    expect(() => resolveScenarioPath('no-such-scenario')).toThrow(/no-such-scenario: no such file and no shipped scenario of that name \(shipped: .*quick-start/);
    expect(() => resolveScenarioPath(join(dir, 'missing.yaml'))).toThrow(/missing\.yaml: scenario file not found/);
  });

  for (const name of ['quick-start', 'single-particle', 'graphite-half-cell']) {
    it(`${name} loads`, async () => {
      const s = await loadScenario(name);
      expect(s.name).toBe(name);
      expect(s.rve.particle).toBeInstanceOf(Int32Array);
      expect(s.rveOrigin.particles as number).toBeGreaterThan(0);
      expect(s.protocol.length).toBeGreaterThan(0);
      expect(s.electrode.active).toHaveLength(1);
    });
  }

  it('quick-start is the small NMC811 pack the docs describe', async () => {
    const s = await loadScenario('quick-start');
    expect(s.rve.shape).toEqual([24, 24, 44]);
    expect(s.rve.voxelSize).toEqual([5e-7, 5e-7, 5e-7]);
    expect(s.rveOrigin.activeFraction).toBeCloseTo(0.4, 2);
    expect(s.rveOrigin.cbdFraction).toBeCloseTo(0.3, 2);
    expect(s.rveOrigin.separatorVoxels).toBe(4);
    expect(s.electrode.stoichiometry).toEqual({ soc0: 0.9084, soc100: 17038 / 63104 });
    expect(s.protocol.map((p) => p.kind)).toEqual(['current', 'rest']);
    expect(s.solver.linear).toMatchObject({ name: 'multigrid-gmres', method: 'gmres', preconditioner: 'multigrid', restart: 50 });
  });

  it('graphite-half-cell is a negative electrode lithiated to 0.01 V', async () => {
    const s = await loadScenario('graphite-half-cell');
    expect(s.electrode.polarity).toBe('negative');
    expect(s.rve.phases[s.electrode.active[0].phaseId].name).toBe('graphite');
    expect(s.electrode.stoichiometry.soc100).toBeGreaterThan(s.electrode.stoichiometry.soc0);
    const step = s.protocol[0];
    expect(step.kind === 'current' && step.direction).toBe('charge');
    expect(step.until).toEqual([{ kind: 'voltage', value: 0.01 }]);
  });

  describe('NREL fast-charge scenarios (real volume)', () => {
    if (!HAVE_TOMO) {
      it('need ../shared/data/tomography', () => {
        if (process.env.CI) throw new Error(`CI: ${TOMO}/nrel-nmc1cal-bridge-cbd.tif is missing`);
      });
      return;
    }
    let s: ScenarioSpec;
    beforeAll(async () => { s = await loadScenario('nmc622-fast-charge-5C'); });
    it('5C: cropped 64 × 64 × 100 slab plus a 10-voxel separator on the low-z side', () => {
      expect(s.rve.shape).toEqual([64, 64, 110]);
      expect(s.rve.voxelSize).toEqual([3.98e-7, 3.98e-7, 3.98e-7]);
      expect(s.rve.thicknessAxis).toBe(2);
      expect(s.rve.separatorSide).toBe('low');
      const sep = s.rve.phases.find((p) => p.role === 'separator')!;
      const plane = 64 * 64;
      for (const z of [0, 9]) expect(s.rve.phase[z * plane + 17]).toBe(sep.id);
      expect(s.rve.phase[10 * plane + 17]).not.toBe(sep.id);
      expect(s.rveOrigin).toMatchObject({ kind: 'mesh', separatorVoxels: 10, inputShape: [301, 301, 251] });
      expect(s.electrode.active[0].material.id).toBe('NMC532_Mohtat2020');
      // soc100 given as "4.3 V": the stoichiometry where the set's OCP is 4.3 V
      expect(s.electrode.active[0].material.scalar('ocp_V', { x: s.electrode.stoichiometry.soc100 })).toBeCloseTo(4.3, 9);
      expect(s.electrode.stoichiometry.soc0).toBeCloseTo(31513 / 35380, 12);
      const step = s.protocol[0];
      expect(step.kind === 'current' && step.current).toEqual({ kind: 'c-rate', value: 5 });
    });
    it('1C and 2C differ from 5C only in the rate', async () => {
      for (const [name, rate] of [['nmc622-fast-charge-1C', 1], ['nmc622-fast-charge-2C', 2]] as const) {
        const other = YAML.parse(readFileSync(join(SCENARIOS_DIR, `${name}.yaml`), 'utf8'));
        const five = YAML.parse(readFileSync(join(SCENARIOS_DIR, 'nmc622-fast-charge-5C.yaml'), 'utf8'));
        expect(other.protocol).toEqual([`Charge at ${rate}C until 4.5 V`]);
        for (const k of ['rve', 'electrode', 'electrolyte', 'counterElectrode', 'solver', 'temperature']) expect(other[k]).toEqual(five[k]);
      }
    });
    it('round trip: the resolved scenario loads to the same numbers', async () => {
      const again = await loadScenario(write(resolvedScenarioYaml(s)));
      expect(numbers(again)).toEqual(numbers(s));
    });
    it('5C-stress: the 5C scenario for 150 s with one-way lattice-strain mechanics at the snapshots', async () => {
      const st = YAML.parse(readFileSync(join(SCENARIOS_DIR, 'nmc622-fast-charge-5C-stress.yaml'), 'utf8'));
      const five = YAML.parse(readFileSync(join(SCENARIOS_DIR, 'nmc622-fast-charge-5C.yaml'), 'utf8'));
      for (const k of ['rve', 'electrode', 'electrolyte', 'counterElectrode', 'solver', 'temperature']) expect(st[k]).toEqual(five[k]);
      expect(st.protocol).toEqual(['Charge at 5C until 4.5 V or 150 s']);
      const spec = await loadScenario('nmc622-fast-charge-5C-stress');
      expect(spec.mechanics).toMatchObject({ coupling: 'one-way', solveAt: 'snapshots', collector: 'fixed', lateral: 'free' });
      const nmc = spec.mechanics!.phases[0];
      expect([nmc.name, nmc.youngsModulus, nmc.poissonRatio]).toEqual(['NMC', 375e9, 0.2]);
      expect(nmc.chemicalStrain.kind === 'lattice' && nmc.chemicalStrain.table.id).toBe('NMC622_deBiasi2017');
      expect(spec.output.snapshotTimes).toEqual([50, 100]);
    });
  });
});

describe('units', () => {
  it('convert to SI', async () => {
    const doc = base();
    doc.temperature = '25 degC';
    doc.electrode.cbd.conductivity = '0.1 S/cm';
    doc.electrolyte.initialConcentration = '1.2 mol/L';
    doc.solver = { time: { initialStep: '100 ms', maxStep: '1 min', minStep: '1 us' } };
    doc.output = { snapshots: { every: '0.5 h', times: ['150 s', '1 min'] } };
    const s = await loadScenario(write(doc));
    expect(s.temperature).toBeCloseTo(298.15, 10);
    expect(s.rve.voxelSize).toEqual([5e-7, 5e-7, 5e-7]);
    expect(s.rve.shape).toEqual([8, 8, 14]); // "2 voxels" of separator
    expect(s.electrode.cbd!.conductivity).toBeCloseTo(10, 12);
    expect(s.electrolyte.initialConcentration).toBeCloseTo(1200, 9);
    expect(s.solver.time).toMatchObject({ initialStep: 0.1, maxStep: 60, minStep: 1e-6, order: 2 });
    expect(s.output.snapshotEvery).toBe(1800);
    expect(s.output.snapshotTimes).toEqual([60, 150]);
  });

  it('take bare numbers as SI and the k_<unit> form', async () => {
    const doc = base();
    delete doc.temperature;
    doc.temperature_K = 310;
    doc.rve.generate.voxelSize = 5e-7;
    doc.electrode.cbd = { porosity: 0.4, transportFactor: 0.2, conductivity_S_m: 3 };
    const s = await loadScenario(write(doc));
    expect(s.temperature).toBe(310);
    expect(s.rve.voxelSize[0]).toBe(5e-7);
    expect(s.electrode.cbd).toEqual({ porosity: 0.4, factor: 0.2, conductivity: 3 });
  });

  it('fill documented defaults', async () => {
    const doc = base();
    delete doc.temperature;
    const s = await loadScenario(write(doc));
    expect(s.temperature).toBe(298.15);
    expect(s.electrode.initialSoc).toBe(0);
    expect(s.electrode.cbd).toEqual({ porosity: 0.5, bruggemanExponent: 1.5, conductivity: 10 });
    expect(s.electrode.stoichiometry.soc100).toBeCloseTo(17038 / 63104, 14); // from the material
    expect(s.electrolyte.initialConcentration).toBe(1000); // from the material
    expect(s.counterElectrode.material.id).toBe('Li_metal_Xu2019');
    expect(s.solver.linear.name).toBe('multigrid-gmres');
    expect(s.solver.time).toEqual({ order: 2, initialStep: 1, maxStep: 30, minStep: 1e-3, rtol: 1e-3, newtonMaxIterations: 12 });
    expect(s.output).toEqual({ snapshotTimes: [], snapshotEvery: 0, snapshotSocs: [], snapshotAtStepEnds: true, plot: true });
  });

  it('a stoichiometry may be given as the OCP it has', async () => {
    const doc = base();
    doc.electrode.stoichiometry = { soc0: '3.6 V', soc100: '4.2 V' };
    const s = await loadScenario(write(doc));
    const U = s.electrode.active[0].material.fn('ocp_V');
    expect(U({ x: s.electrode.stoichiometry.soc0 })).toBeCloseTo(3.6, 9);
    expect(U({ x: s.electrode.stoichiometry.soc100 })).toBeCloseTo(4.2, 9);
    doc.electrode.stoichiometry = { soc0: 0.9, soc100: '5 V' };
    expect(await errorOf(doc)).toMatch(/: electrode\.stoichiometry\.soc100: the OCP of NMC811_OKane2022 never reaches 5 V/);
  });
});

describe('errors name the file and the key', () => {
  const cases: [string, (d: Record<string, any>) => void, RegExp][] = [
    ['unknown key', (d) => { d.temprature = '25 degC'; }, /s\d+\.yaml: temprature: unknown key/],
    ['unknown nested key', (d) => { d.electrode.cbd.porosty = 0.4; }, /electrode\.cbd\.porosty: unknown key/],
    ['missing key', (d) => { delete d.electrode.polarity; }, /electrode\.polarity: missing/],
    ['missing protocol', (d) => { delete d.protocol; }, /s\d+\.yaml: protocol: missing/],
    ['wrong unit for a temperature', (d) => { d.temperature = '4.3 A'; }, /temperature: "4\.3 A" is not a temperature/],
    ['wrong unit for a voltage', (d) => { d.electrode.stoichiometry.soc100 = '4.3 A'; }, /electrode\.stoichiometry\.soc100: "4\.3 A" is not a voltage/],
    ['a current where a hold voltage goes', (d) => { d.protocol = ['Hold at 4.3 A for 1 h']; }, /protocol\[0\]: "Hold at" takes a voltage/],
    ['bad protocol step', (d) => { d.protocol[1] = 'Relax for 5 min'; }, /protocol\[1\]: cannot parse step "Relax for 5 min"/],
    ['unknown material', (d) => { d.electrode.active.NMC = 'NMC999_Nobody2030'; }, /electrode\.active\.NMC: no material "NMC999_Nobody2030" \(active materials: .*NMC811_OKane2022/],
    ['material of the wrong kind', (d) => { d.electrode.active.NMC = 'LiPF6_EC_EMC_Nyman2008'; }, /electrode\.active\.NMC: LiPF6_EC_EMC_Nyman2008 \(.*\) is a material of kind electrolyte, expected active/],
    ['material without a needed parameter', (d) => { d.electrode.active.NMC = 'Si_Chen2020'; }, /Si_Chen2020\.yaml: parameters\.ocp_V: missing: lithomech run needs it/],
    ['unknown solver preset', (d) => { d.solver = { linear: 'fastest' }; }, /solver\.linear: no solver preset "fastest" \(available: .*multigrid-gmres/],
    ['bad inline solver settings', (d) => { d.solver = { linear: { settings: { method: 'sor', preconditioner: 'none' } } }; }, /solver\.linear\.settings: method: expected one of/],
    ['stoichiometry above 1', (d) => { d.electrode.stoichiometry.soc0 = 1.2; }, /electrode\.stoichiometry\.soc0: must be in \[0, 1\], got 1\.2/],
    ['stoichiometry below 0', (d) => { d.electrode.stoichiometry.soc100 = -0.1; }, /electrode\.stoichiometry\.soc100: must be in \[0, 1\], got -0\.1/],
    ['window against the polarity', (d) => { d.electrode.polarity = 'negative'; }, /electrode\.stoichiometry: for a negative electrode soc100 must be above soc0/],
    ['initialSoc above 1', (d) => { d.electrode.initialSoc = 1.5; }, /electrode\.initialSoc: must be in \[0, 1\], got 1\.5/],
    ['initialSoc below 0', (d) => { d.electrode.initialSoc = -0.5; }, /electrode\.initialSoc: must be in \[0, 1\]/],
    ['no default stoichiometry', (d) => { delete d.electrode.stoichiometry; }, /electrode\.stoichiometry\.soc0: missing: NMC811_OKane2022 has no stoichiometryAt0Soc/],
    ['phase not in the RVE', (d) => { d.electrode.active = { graphite: 'graphite_OKane2022' }; }, /electrode\.active\.graphite: no phase "graphite" in the RVE \(its phases: pore:electrolyte, NMC:active/],
    ['phase without the active role', (d) => { d.electrode.active = { NMC: 'NMC811_OKane2022', CBD: 'NMC811_OKane2022' }; }, /electrode\.active\.CBD: phase "CBD" has role cbd, not active/],
    ['active phase without material', (d) => { d.rve.generate.phaseNames = { active: 'NMC622' }; d.electrode.active = {}; }, /electrode\.active: must NOT have fewer than 1 properties/],
    ['CBD block missing', (d) => { delete d.electrode.cbd; }, /electrode\.cbd: missing: the RVE has \d+ CBD voxels/],
    ['CBD conductivity missing', (d) => { delete d.electrode.cbd.conductivity; }, /electrode\.cbd\.conductivity: missing/],
    ['separator block without separator voxels', (d) => { delete d.rve.generate.separator; }, /electrode\.separator: the RVE has no separator voxels; remove this block/],
    ['porosity out of range', (d) => { d.electrode.separator.porosity = 0; }, /electrode\.separator\.porosity: must be in \(0, 1\], got 0/],
    ['two RVE sources', (d) => { d.rve.file = 'rve.vti'; }, /: rve: give only one of generate, mesh, file \(got generate, file\)/],
    ['option of another generator', (d) => { d.rve.generate.spacing = '5 um'; }, /rve\.generate\.spacing: not an option of kind spheres/],
    ['generator error', (d) => { d.rve.generate.cbdFraction = 0.7; }, /rve\.generate\.cbdFraction: activeFraction \+ cbdFraction must be below 1/],
    ['both forms of a quantity', (d) => { d.temperature_K = 300; }, /: temperature_K: give either temperature or temperature_K, not both/],
    ['time steps out of order', (d) => { d.solver = { time: { initialStep: '1 min', maxStep: '10 s' } }; }, /solver\.time: need minStep ≤ initialStep ≤ maxStep/],
    ['snapshot SoC out of range', (d) => { d.output = { snapshots: { soc: [0.5, 2] } }; }, /output\.snapshots\.soc\[1\]: must be in \[0, 1\]/],
    ['missing RVE file', (d) => { d.rve = { file: 'nowhere/rve.vti' }; }, /rve\.file: nowhere\/rve\.vti: not found/],
  ];
  for (const [what, edit, re] of cases) {
    it(what, async () => {
      const d = base();
      edit(d);
      expect(await errorOf(d)).toMatch(re);
    });
  }

  it('an active phase of the RVE without a material', async () => {
    // a meshed volume with two active phases, only one of them mapped
    const gen = generateSpherePack({ shape: [8, 8, 8], voxelSize: 5e-7, activeFraction: 0.4, radiusMedian: 1e-6, radiusSigmaLog: 0, overlap: 0.15, cbdFraction: 0, seed: 2 });
    const labels = gen.rve.phase.slice();
    for (let i = 0; i < labels.length; i += 2) if (labels[i] === 1) labels[i] = 3; // "second" active material
    writeFileSync(join(dir, 'two-active.npy'), writeNpy(labels, { descr: '|u1', shape: [8, 8, 8] }));
    const d = base();
    d.rve = { mesh: { volume: 'two-active.npy', phases: '0=pore:electrolyte,1=NMC:active,3=LCO:active', voxelSize: '0.5 um', keepIsolated: true } };
    delete d.electrode.cbd;
    delete d.electrode.separator;
    expect(await errorOf(d)).toMatch(/electrode\.active: the RVE's active phase "LCO" has no material: add "LCO: <material id>"/);
  });

  it('mesh errors carry scenario keys, not CLI options', async () => {
    const gen = generateSpherePack({ shape: [8, 8, 8], voxelSize: 5e-7, activeFraction: 0.4, radiusMedian: 1e-6, radiusSigmaLog: 0, overlap: 0.15, cbdFraction: 0.2, seed: 2 });
    writeFileSync(join(dir, 'pack.npy'), writeNpy(gen.rve.phase, { descr: '|u1', shape: [8, 8, 8] }));
    const d = base();
    d.rve = { mesh: { volume: 'pack.npy', phases: '0=pore:electrolyte,1=NMC:active,2=CBD:cbd', voxelSize: '0.5 um', crop: '0:4,0:4,0:99', separator: '1 um' } };
    expect(await errorOf(d)).toMatch(/s\d+\.yaml: rve\.mesh\.crop: z range 0:99 is outside the volume \(0:8\)/);
    d.rve.mesh.crop = '0:8,0:8,2:8';
    d.rve.mesh.phases = '0=pore:electrolyte,1=NMC:active';
    expect(await errorOf(d)).toMatch(/s\d+\.yaml: rve\.mesh\.volume: pack\.npy: labels present in the volume but not in the phase map: 2/);
    d.rve.mesh.phases = '0=pore:electrolyte,1=NMC:active,2=CBD:cbd';
    delete d.rve.mesh.voxelSize;
    expect(await errorOf(d)).toMatch(/s\d+\.yaml: rve\.mesh\.volume: pack\.npy: the file does not state a voxel size: pass rve\.mesh\.voxelSize/);
    d.rve.mesh.voxelSize = '0.5 um';
    d.rve.mesh.phases = [{ labels: [0], name: 'pore', role: 'electrolyte' }, { labels: [1], name: 'NMC', role: 'active' }, { labels: [2], name: 'CBD', role: 'cbd' }];
    d.rve.mesh.volume = 'missing.npy';
    expect(await errorOf(d)).toMatch(/rve\.mesh\.volume: missing\.npy: file not found/);
    d.rve.mesh.volume = 'pack.npy';
    const s = await loadScenario(write(d));
    expect(s.rve.shape).toEqual([8, 8, 8]); // 6 planes kept + 2 separator planes (1 µm)
    expect(s.rveOrigin).toMatchObject({ kind: 'mesh', crop: [[0, 8], [0, 8], [2, 8]], separatorVoxels: 2 });
  });

  it('a material file named by path, with errors naming that file and key', async () => {
    const mat = YAML.parse(readFileSync(join(MATERIALS_DIR, 'NMC811_OKane2022.yaml'), 'utf8'));
    mat.id = 'NMC811_Broken2024';
    delete mat.parameters.exchangeCurrentDensity_A_m2;
    write(mat, 'NMC811_Broken2024.yaml');
    const d = base();
    d.electrode.active.NMC = './NMC811_Broken2024.yaml';
    expect(await errorOf(d)).toMatch(/NMC811_Broken2024\.yaml: parameters\.exchangeCurrentDensity_A_m2: missing: lithomech run needs it for the active material \(.*electrode\.active\.NMC\)/);
    mat.parameters.ocp_V.table = { x: [0, 1], y: [4, 3] };
    write(mat, 'NMC811_Broken2024.yaml');
    expect(await errorOf(d)).toMatch(/NMC811_Broken2024\.yaml: parameters\.ocp_V: give exactly one of value, expression, table/);
  });

  it('unparsable YAML', async () => {
    expect(await errorOf('rve: [unclosed\n')).toMatch(/s\d+\.yaml: cannot parse/);
  });
});

describe('resolved scenario', () => {
  it('round trip: resolvedScenarioYaml → load gives the same numbers', async () => {
    for (const name of ['quick-start', 'single-particle']) {
      const s = await loadScenario(name);
      const text = resolvedScenarioYaml(s, new Date('2026-01-02T03:04:05Z'));
      expect(text).toMatch(/^# Scenario ".*" resolved by lithomech \d+\.\d+\.\d+ on 2026-01-02T03:04:05\.000Z/);
      const again = await loadScenario(write(text));
      expect(numbers(again)).toEqual(numbers(s));
      const { source: _a, ...r1 } = s.resolved;
      const { source: _b, ...r2 } = again.resolved;
      expect(r2).toEqual(r1);
    }
  });

  it('records SI numbers, material files and citations, and the solver preset', async () => {
    const s = await loadScenario('quick-start');
    const r = s.resolved as Record<string, any>;
    expect(r.temperature_K).toBe(298.15);
    expect(r.rve.generate).toMatchObject({ voxelSize_m: 5e-7, separator_m: 2e-6, shape: [24, 24, 40] });
    expect(r.electrode.active.NMC).toEqual({ id: 'NMC811_OKane2022', file: join(MATERIALS_DIR, 'NMC811_OKane2022.yaml'), citations: ['OKane2022', 'Chen2020', 'Ai2020'] });
    expect(r.solver.linear).toMatchObject({ preset: 'multigrid-gmres', settings: { method: 'gmres', restart: 50 } });
    expect(r.solver.time).toEqual({ order: 2, initialStep_s: 1, maxStep_s: 60, minStep_s: 0.001, rtol: 0.001, newtonMaxIterations: 12 });
    expect(r.output.snapshots).toEqual({ every_s: 300, times_s: [], soc: [0.5], stepEnds: true });
  });

  it('a pinned material whose file changed is an error', async () => {
    const s = await loadScenario(write(base()));
    const doc = YAML.parse(resolvedScenarioYaml(s));
    doc.electrode.active.NMC.citations = ['Chen2020'];
    expect(await errorOf(doc)).toMatch(/electrode\.active\.NMC\.citations: \[Chen2020\] differ from/);
  });
});

describe('overrides and RVE files', () => {
  it('overrides replace keys (in either form) and are recorded', async () => {
    const f = write({ ...base(), temperature: undefined, temperature_K: 300 });
    const s = await loadScenario(f, { overrides: Object.fromEntries([parseOverride('temperature=30 degC'), parseOverride('solver.time.maxStep=10 s'), parseOverride('protocol=[Charge at 2C for 1 min]')]) });
    expect(s.temperature).toBeCloseTo(303.15, 10);
    expect(s.solver.time.maxStep).toBe(10);
    expect(s.protocol).toHaveLength(1);
    expect(s.resolved.overrides).toEqual(['temperature="30 degC"', 'solver.time.maxStep="10 s"', 'protocol=["Charge at 2C for 1 min"]']);
    expect(() => parseOverride('nonsense')).toThrow(/--set: expected key\.path=value/);
    await expect(loadScenario(f, { overrides: { 'protocol.x': 1 } })).rejects.toThrow(/override protocol\.x: protocol is not a mapping/);
  });

  it('rve.file reads an rve.vti written by lithomech, with its particle labels', async () => {
    const gen = generateSpherePack({ shape: [8, 8, 10], voxelSize: 5e-7, activeFraction: 0.4, radiusMedian: 1e-6, radiusSigmaLog: 0.2, overlap: 0.15, cbdFraction: 0.2, separatorThickness: 1e-6, seed: 5 });
    const out = join(dir, 'rve-out');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(out);
    await writeRveOutputs(out, { rve: gen.rve, stats: {} as never, particles: [], resolved: {} });
    const d = base();
    d.rve = { file: 'rve-out' };
    const s = await loadScenario(write(d));
    expect(s.rve.shape).toEqual(gen.rve.shape);
    expect(Array.from(s.rve.phase)).toEqual(Array.from(gen.rve.phase));
    expect(Array.from(s.rve.particle!)).toEqual(Array.from(gen.rve.particle!));
    expect(s.rve.separatorSide).toBe('high');
    expect(s.rveOrigin).toMatchObject({ kind: 'file', particleLabels: 'from the file' });
  });
});

/**
 * `lithomech swell` and `lithomech stiffness` on a crop of the shared NREL NMC-1-cal volume (read in
 * place from ../shared; skipped with a message when it is absent), run through the built CLI, and
 * their one-line errors on bad input (exit 2, nothing written).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lithomech } from '../helpers/cli.js';

const NREL = resolve(__dirname, '../../../shared/data/tomography/nrel-nmc1cal-bridge-cbd.tif');
const HAVE_NREL = existsSync(NREL);
if (!HAVE_NREL) console.warn(`tests/e2e/mechanics-cli.test.ts: SKIPPED the NREL runs: ${NREL} is absent (the shared data folder ../shared is not mounted)`);
const COMMON = ['--phases', '0=pore:electrolyte,1=NMC:active,2=CBD:cbd', '--voxel-size', '0.398um', '--crop', '0:24,0:24,0:24'];
/** stiffness solves six cases: a smaller crop keeps it well under 30 s on a loaded 2-core machine */
const STIFF = ['--phases', '0=pore:electrolyte,1=NMC:active,2=CBD:cbd', '--voxel-size', '0.398um', '--crop', '0:20,0:20,0:20'];
const dir = mkdtempSync(join(tmpdir(), 'lithomech-e2e-mech-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Names of the DataArrays in a .vti (its XML header). */
function vtiArrays(file: string): string[] {
  const head = readFileSync(file).subarray(0, 20000).toString('latin1');
  return [...head.matchAll(/<DataArray[^>]*Name="([^"]+)"/g)].map((m) => m[1]);
}

describe.skipIf(!HAVE_NREL)('mechanics CLI on crops (24³, 20³) of nrel-nmc1cal-bridge-cbd.tif', () => {
  it('swell: lattice strain of NMC811 by default, Voronoi grains, roller + stack pressure', () => {
    const out = join(dir, 'swell');
    const t0 = Date.now();
    const r = lithomech(['swell', NREL, ...COMMON, '--materials', 'NMC=NMC811_OKane2022', '--elastic', 'CBD=0.5GPa/0.3',
      '--stoichiometry', 'NMC=0.3', '--reference-stoichiometry', 'NMC=0.9', '--grains', '3', '--lateral', 'roller', '--top', 'pressure:0.3MPa', '--out', out]);
    const seconds = (Date.now() - t0) / 1000;
    expect(r.stderr.split('\n').filter((l) => /error/i.test(l))).toEqual([]);
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['fields.vti', 'summary.json']);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    const nmc = s.inputs.phases.find((p: { phase: string }) => p.phase === 'NMC');
    expect(nmc.eigenstrain.source).toMatch(/NMC811_deBiasi2017.*default for NMC811_OKane2022/);
    expect(nmc.eigenstrain.ea).toBeLessThan(-0.01); // a contracts by ~2 % from x = 0.9 to 0.3
    expect(s.orientations.grains).toBe(3 * s.orientations.particles);
    expect(s.boundaryConditions.lateral).toMatch(/roller/);
    expect(s.boundaryConditions.top).toMatch(/pressure 300000 Pa/);
    // delithiation shrinks the NMC (trace of the lattice strain 2 εa + εc < 0): the slab gets thinner
    expect(s.thicknessStrain).toBeLessThan(0);
    expect(s.solver.relativeResidual).toBeLessThan(1e-7);
    const st = s.phases.find((p: { name: string }) => p.name === 'NMC');
    expect(st.maxVonMises_Pa).toBeGreaterThan(1e6);
    const arrays = vtiArrays(join(out, 'fields.vti'));
    for (const a of ['phase', 'strain', 'stress', 'von_mises', 'eigenstrain', 'orientation_label', 'displacement']) expect(arrays).toContain(a);
    console.log(`swell on the 24³ NREL crop: ${seconds.toFixed(1)} s wall (solve ${s.solver.seconds.toFixed(2)} s, ${s.unknowns} unknowns), thickness strain ${(s.thicknessStrain * 100).toFixed(3)} %`);
  }, 120_000);

  it('swell: --soc with a stoichiometry window, periodic lateral faces, orientations from a file', () => {
    const out = join(dir, 'swell-periodic');
    const ofile = join(dir, 'orientations.txt');
    writeFileSync(ofile, '# id phi1 Phi phi2 (degrees)\n1 0 0 0\n2 45 90 0\n');
    const r = lithomech(['swell', NREL, ...COMMON, '--materials', 'NMC=NMC811_OKane2022', '--elastic', 'CBD=0.5GPa/0.3',
      '--soc', '0.8', '--stoichiometry-window', 'NMC=0.91:0.27', '--lateral', 'periodic', '--orientations', ofile, '--out', out]);
    expect(r.code).toBe(0);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    const nmc = s.inputs.phases.find((p: { phase: string }) => p.phase === 'NMC');
    expect(nmc.eigenstrain.x).toBeCloseTo(0.91 + 0.8 * (0.27 - 0.91), 12);
    expect(nmc.eigenstrain.xRef).toBeCloseTo(0.91, 12);
    expect(s.boundaryConditions.periodic).toBe(true);
    expect(s.orientations.fromFile).toBe(2);
    expect(s.thicknessStrain).toBeLessThan(0);
    expect(s.solver.relativeResidual).toBeLessThan(1e-7);
  }, 120_000);

  it('stiffness: symmetric positive-definite C below the Voigt bound; periodic below kinematic', () => {
    const out = join(dir, 'stiffness');
    const t0 = Date.now();
    const r = lithomech(['stiffness', NREL, ...STIFF, '--materials', 'NMC=NMC811_OKane2022', '--elastic', 'CBD=0.5GPa/0.3', '--out', out]);
    const seconds = (Date.now() - t0) / 1000;
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['stiffness.json', 'summary.txt']);
    const s = JSON.parse(readFileSync(join(out, 'stiffness.json'), 'utf8'));
    expect(s.C_Pa).toHaveLength(6);
    expect(s.asymmetry).toBeLessThan(1e-6);
    expect(s.engineering).not.toBeNull();
    for (let i = 0; i < 6; i++) {
      expect(s.Csym_Pa[i][i]).toBeGreaterThan(0);
      expect(s.Csym_Pa[i][i]).toBeLessThan(s.voigtBound_Pa[i][i]);
    }
    expect(s.reussBound_Pa).toBeNull(); // the RVE has pores
    expect(s.volumeFractions.void).toBeGreaterThan(0.2);
    expect(readFileSync(join(out, 'summary.txt'), 'utf8')).toMatch(/effective stiffness C \[GPa\]/);
    // periodic BCs on the same crop: softer than kinematic (C_kin − C_per positive semi-definite ⇒ diagonal)
    const outP = join(dir, 'stiffness-periodic');
    const rp = lithomech(['stiffness', NREL, ...STIFF, '--materials', 'NMC=NMC811_OKane2022', '--elastic', 'CBD=0.5GPa/0.3', '--bc', 'periodic', '--out', outP]);
    expect(rp.code).toBe(0);
    const sp = JSON.parse(readFileSync(join(outP, 'stiffness.json'), 'utf8'));
    expect(sp.periodic).toBe(true);
    for (let i = 0; i < 6; i++) { expect(sp.Csym_Pa[i][i]).toBeGreaterThan(0); expect(sp.Csym_Pa[i][i]).toBeLessThanOrEqual(s.Csym_Pa[i][i] * (1 + 1e-6)); }
    console.log(`periodic: C11 ${(sp.Csym_Pa[0][0] / 1e9).toFixed(1)} GPa, C33 ${(sp.Csym_Pa[2][2] / 1e9).toFixed(1)} GPa (six solves ${sp.solver.seconds.toFixed(2)} s, ${sp.removedVoxels} voxels left out)`);
    console.log(`stiffness on the 20³ NREL crop: ${seconds.toFixed(1)} s wall (six solves ${s.solver.seconds.toFixed(2)} s), C11 ${(s.Csym_Pa[0][0] / 1e9).toFixed(1)} GPa, C33 ${(s.Csym_Pa[2][2] / 1e9).toFixed(1)} GPa`);
  }, 120_000);
});

describe('mechanics CLI: bad input → one-line error, exit 2, no output directory', () => {
  const vol = HAVE_NREL ? NREL : 'missing.tif';
  const cases: { name: string; args: string[]; match: RegExp; needsVolume: boolean }[] = [
    { name: 'swell: bad --top', args: ['swell', vol, ...COMMON, '--materials', 'NMC=NMC811_OKane2022', '--eigenstrain', 'NMC=0.01', '--top', 'pressure:lots'], match: /^lithomech: --top: /, needsVolume: false },
    { name: 'swell: unknown lattice table', args: ['swell', vol, ...COMMON, '--materials', 'NMC=NMC811_OKane2022', '--stoichiometry', 'NMC=0.5', '--reference-stoichiometry', 'NMC=0.9', '--lattice', 'NMC=NMC999_Nobody2000'], match: /^lithomech: --lattice: no lattice table "NMC999_Nobody2000" \(shipped: NMC622_deBiasi2017, NMC811_deBiasi2017/, needsVolume: true },
    { name: 'swell: x outside the default lattice table', args: ['swell', vol, ...COMMON, '--materials', 'NMC=NMC811_OKane2022', '--stoichiometry', 'NMC=0.05', '--reference-stoichiometry', 'NMC=0.9'], match: /^lithomech: --lattice: NMC: x = 0.05 is outside the table NMC811_deBiasi2017/, needsVolume: true },
    { name: 'swell: --grains without lattice strain', args: ['swell', vol, ...COMMON, '--materials', 'NMC=NMC811_OKane2022', '--eigenstrain', 'NMC=0.01', '--grains', '4'], match: /^lithomech: --grains: /, needsVolume: true },
    { name: 'stiffness: unknown --bc', args: ['stiffness', vol, ...COMMON, '--materials', 'NMC=NMC811_OKane2022', '--bc', 'mixed'], match: /^lithomech: --bc: expected kinematic or periodic, got "mixed"/, needsVolume: false },
    { name: 'swell: bad orientations file', args: ['swell', vol, ...COMMON, '--materials', 'NMC=NMC811_OKane2022', '--stoichiometry', 'NMC=0.5', '--reference-stoichiometry', 'NMC=0.9', '--orientations', 'no-such-orientations.txt'], match: /^lithomech: --orientations: file no-such-orientations\.txt not found/, needsVolume: false },
    { name: 'stiffness: no elastic constants', args: ['stiffness', vol, ...COMMON], match: /^lithomech: --materials: no phase has elastic constants/, needsVolume: true },
    { name: 'stiffness: bad --elastic', args: ['stiffness', vol, ...COMMON, '--elastic', 'NMC=100GPa/0.7'], match: /^lithomech: --elastic: Poisson's ratio/, needsVolume: true },
  ];
  for (const c of cases) {
    it.skipIf(c.needsVolume && !HAVE_NREL)(c.name, () => {
      const out = join(dir, `bad-${c.name.replace(/\W+/g, '-')}`);
      const r = lithomech([...c.args, '--out', out]);
      expect(r.code).toBe(2);
      const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('lithomech: ') && !/removed \d+ solid clusters|carr(?:y|ies) no stiffness|carry no load/.test(l));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(c.match);
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(dir).filter((f) => f.startsWith(`bad-${c.name.replace(/\W+/g, '-')}`))).toEqual([]);
    }, 60_000);
  }
});

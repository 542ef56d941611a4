/** Unit tests of src/physics/linear-elastic.ts and src/physics/chemical-strain.ts. */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { InputError } from '../../../src/core/errors.js';
import { Rng } from '../../../src/core/rng.js';
import { compileLatticeTable, isotropicChemicalStrain, volumetricStrainLaw } from '../../../src/physics/chemical-strain.js';
import { hydrostatic, LinearElastic, principalValues, strainEnergyDensity, vonMises } from '../../../src/physics/linear-elastic.js';
import { compileMaterial } from '../../../src/physics/material-law.js';

describe('LinearElastic', () => {
  it('Lamé constants, uniaxial stress and invariants', () => {
    const m = new LinearElastic(200e9, 0.25);
    expect(m.lambda).toBeCloseTo(80e9, 0);
    expect(m.mu).toBeCloseTo(80e9, 0);
    expect(m.bulk).toBeCloseTo(200e9 / 1.5, 0);
    // uniaxial stress state: ε = (1, −ν, −ν) σ/E
    const s = m.stress([1e-3, -0.25e-3, -0.25e-3, 0, 0, 0]);
    expect(s[0]).toBeCloseTo(200e6, 0);
    expect(Math.abs(s[1]) + Math.abs(s[2])).toBeLessThan(1e-3);
    expect(vonMises(s)).toBeCloseTo(200e6, 0);
    expect(hydrostatic(s)).toBeCloseTo(200e6 / 3, 0);
    expect(strainEnergyDensity(s, [1e-3, -0.25e-3, -0.25e-3, 0, 0, 0])).toBeCloseTo(0.5 * 200e6 * 1e-3, 3);
    // pure shear γ: von Mises √3 τ
    const t = m.stress([0, 0, 0, 0, 0, 1e-3]);
    expect(vonMises(t)).toBeCloseTo(Math.sqrt(3) * 80e6, 0);
    expect(() => new LinearElastic(1e9, 0.5, 'CBD')).toThrow(InputError);
  });

  it('principal values match a numerical eigen-decomposition', () => {
    const rng = new Rng(3);
    for (let k = 0; k < 50; k++) {
      const t = Array.from({ length: 6 }, () => rng.normal() * 1e8);
      const p = principalValues(t);
      const m = new Matrix([[t[0], t[5], t[4]], [t[5], t[1], t[3]], [t[4], t[3], t[2]]]);
      const ev = new EigenvalueDecomposition(m, { assumeSymmetric: true }).realEigenvalues.sort((a, b) => b - a);
      for (let i = 0; i < 3; i++) expect(Math.abs(p[i] - ev[i])).toBeLessThan(1e-6 * 1e8);
    }
    expect(Array.from(principalValues([3, 1, 2, 0, 0, 0]))).toEqual([3, 2, 1]);
  });

  it('reads E and ν from a material file', () => {
    const file = 'materials/NMC811_OKane2022.yaml';
    const m = LinearElastic.fromMaterial(compileMaterial(YAML.parse(readFileSync(file, 'utf8')), file));
    expect(m.E).toBe(375e9);
    expect(m.nu).toBe(0.2);
  });
});

describe('chemical strain', () => {
  it('isotropic laws: (Ω/3)(c − c0) and the volumeChange table of a material agree', () => {
    expect(isotropicChemicalStrain(3e-6, 2e4, 1e4)).toBeCloseTo(0.01, 15);
    const file = 'materials/NMC811_OKane2022.yaml';
    const mat = compileMaterial(YAML.parse(readFileSync(file, 'utf8')), file);
    const law = volumetricStrainLaw(mat, 0.9);
    // volumeChange = Ω c_max x (the set's law) → (Ω/3) c_max (x − x0)
    expect(law(0.5)).toBeCloseTo(isotropicChemicalStrain(1.25e-5, 0.5 * 63104, 0.9 * 63104), 12);
    expect(law(0.9)).toBe(0);
  });

  // A SYNTHETIC table for testing the loader only (round numbers, not material data).
  const table = {
    id: 'Test_Synthetic2024', name: 'synthetic', structure: 'R-3m (hexagonal setting)',
    citations: [{ key: 'None', ref: 'synthetic test data' }], source: 'test', cite: 'None',
    x: [0.2, 0.5, 1.0], latticeA_m: [2.80e-10, 2.82e-10, 2.88e-10], latticeC_m: [14.0e-10, 14.4e-10, 14.2e-10],
  };

  it('lattice tables: interpolation and strains relative to x0', () => {
    const t = compileLatticeTable(table, 'test.yaml');
    expect(t.a(0.75)).toBeCloseTo(2.85e-10, 22);
    const [ea, ec] = t.strains(0.5, 1.0);
    expect(ea).toBeCloseTo(2.82 / 2.88 - 1, 12);
    expect(ec).toBeCloseTo(14.4 / 14.2 - 1, 12);
    expect(t.inRange(0.1)).toBe(false);
  });

  it('lattice tables: one-line errors naming the file and key', () => {
    expect(() => compileLatticeTable({ ...table, latticeA_m: [2.8, 2.82, 2.88] }, 'a.yaml')).toThrow(/a\.yaml: latticeA_m\[0\]: .*metres/);
    expect(() => compileLatticeTable({ ...table, x: [0.2, 0.2, 1] }, 'b.yaml')).toThrow(/b\.yaml: x: must be strictly increasing/);
    expect(() => compileLatticeTable({ ...table, cite: 'Nope' }, 'c.yaml')).toThrow(/c\.yaml: cite/);
    expect(() => compileLatticeTable({ ...table, extra: 1 }, 'd.yaml')).toThrow(InputError);
  });

  it('shipped lattice tables load, cite their source, and show the Ni-rich c-axis collapse', async () => {
    const { LATTICE_DIR, latticeForMaterial, loadLatticeRef } = await import('../../../src/io/mechanics-inputs.js');
    const { existsSync } = await import('node:fs');
    const nmc811 = loadLatticeRef('NMC811_deBiasi2017', '--lattice');
    const nmc622 = loadLatticeRef('NMC622_deBiasi2017', '--lattice');
    for (const t of [nmc811, nmc622]) {
      expect(t.file.citations.find((c) => c.key === t.file.cite)!.ref).toMatch(/doi:10\./);
      expect(t.file.note).toMatch(/APPROXIMATE/);
      for (const m of t.file.materials ?? []) expect(existsSync(`${LATTICE_DIR}/../${m}.yaml`)).toBe(true);
      // a contracts monotonically from x = 1 down to x ≈ 0.3 (TM oxidation), by 1.5–2.5 %
      expect(t.a(0.3) / t.a(1) - 1).toBeLessThan(-0.015);
      expect(t.a(0.3) / t.a(1) - 1).toBeGreaterThan(-0.025);
      // c expands first (max near x ≈ 0.45, +1.5–2 %)
      const xs = t.file.x, cs = t.file.latticeC_m;
      const iMax = cs.indexOf(Math.max(...cs));
      expect(xs[iMax]).toBeGreaterThan(0.35);
      expect(xs[iMax]).toBeLessThan(0.55);
      expect(cs[iMax] / t.c(1) - 1).toBeGreaterThan(0.015);
    }
    // NMC811: collapse at low x (H2 → H3): c(0.1) below the pristine c by > 2 %; volume below −5 %
    // (Kondrakov et al. 2017: about −5 % for NCM811 charged to 4.3 V)
    const [ea, ec] = nmc811.strains(0.1, 1);
    expect(ec).toBeLessThan(-0.02);
    expect((1 + ea) ** 2 * (1 + ec) - 1).toBeLessThan(-0.05);
    // NMC622 collapses less over the same window
    expect(nmc622.strains(0.2, 1)[1]).toBeGreaterThan(nmc811.strains(0.2, 1)[1]);
    // the material link used by `swell` when no --lattice is given
    expect(latticeForMaterial('NMC811_OKane2022')?.id).toBe('NMC811_deBiasi2017');
    expect(latticeForMaterial('graphite_OKane2022')).toBeUndefined();
  });
});

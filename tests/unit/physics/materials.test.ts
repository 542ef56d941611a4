import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { create, all } from 'mathjs';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors.js';
import { arrhenius, exchangeCurrentDensityConcentrationForm } from '../../../src/physics/butler-volmer.js';
import { FARADAY } from '../../../src/physics/constants.js';
import {
  compileMaterial,
  MATERIAL_SCHEMA,
  type Material,
  type MaterialVariable,
  type MaterialVars,
} from '../../../src/physics/material-law.js';

const MATERIALS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../materials');
const SCHEMA_FILE = path.join(MATERIALS_DIR, 'material.schema.json');
const math = create(all, {});

const files = readdirSync(MATERIALS_DIR).filter((f) => f.endsWith('.yaml')).sort();
function load(id: string): Material {
  return compileMaterial(YAML.parse(readFileSync(path.join(MATERIALS_DIR, `${id}.yaml`), 'utf8')), `materials/${id}.yaml`);
}
const materials = new Map(files.map((f) => [f.replace(/\.yaml$/, ''), load(f.replace(/\.yaml$/, ''))]));
const mat = (id: string): Material => {
  const m = materials.get(id);
  if (!m) throw new Error(`no shipped material ${id}`);
  return m;
};
/** n evenly spaced samples of [a, b]. */
const linspace = (a: number, b: number, n: number) => Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));

/** A small valid material to mutate in the bad-input tests. */
function minimal(): Record<string, unknown> {
  return {
    id: 'X_Test2024',
    kind: 'active',
    name: 'test material',
    citations: [{ key: 'Test2024', ref: 'nobody, nowhere (2024)' }],
    source: 'hand-written for a unit test',
    parameters: {
      maximumConcentration_mol_m3: { value: 1000, cite: 'Test2024' },
      diffusivity_m2_s: { expression: 'D0 * exp(-1000 / R * (1 / T_K - 1 / 298.15))', variables: ['T_K'], constants: { D0: 1e-14 } },
      ocp_V: { table: { x: [0, 0.5, 1], y: [4.2, 3.8, 3.5] }, interpolation: 'linear', variable: 'x', cite: 'Test2024' },
    },
  };
}
function compileBad(mutate: (o: Record<string, any>) => void): () => Material {
  const o = minimal() as Record<string, any>;
  mutate(o);
  return () => compileMaterial(o, 'materials/X_Test2024.yaml');
}

describe('material schema', () => {
  it('materials/material.schema.json is the schema embedded in material-law.ts', () => {
    const expected = JSON.stringify(MATERIAL_SCHEMA, null, 2) + '\n';
    // LITHOMECH_WRITE_SCHEMA=1 npx vitest run tests/unit/physics/materials.test.ts regenerates it
    if (process.env.LITHOMECH_WRITE_SCHEMA === '1') writeFileSync(SCHEMA_FILE, expected);
    expect(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'))).toEqual(JSON.parse(expected));
  });
});

describe('shipped material sets', () => {
  it('the expected sets are shipped, each file named after its id', () => {
    expect([...materials.keys()]).toEqual(
      expect.arrayContaining([
        'NMC811_OKane2022', 'graphite_OKane2022', 'graphite_Ai2020', 'LCO_Ai2020', 'Si_Chen2020',
        'NMC532_Mohtat2020', 'LiPF6_EC_EMC_Nyman2008', 'LiPF6_EC_EMC_Landesfeind2019', 'Li_metal_Xu2019',
      ]),
    );
    for (const [id, m] of materials) expect(m.id).toBe(id);
  });

  it('every parameter has a unit that parses, and the conventional keys have the SI unit expected', () => {
    const expected: Record<string, string> = {
      maximumConcentration_mol_m3: 'mol/m^3', diffusivity_m2_s: 'm^2/s', ocp_V: 'V', exchangeCurrentDensity_A_m2: 'A/m^2',
      electronicConductivity_S_m: 'S/m', conductivity_S_m: 'S/m', youngsModulus_Pa: 'Pa', partialMolarVolume_m3_mol: 'm^3/mol',
      activationEnergyDiffusivity_J_mol: 'J/mol', referenceTemperature_K: 'K', entropicChange_V_K: 'V/K', electrodeDensity_kg_m3: 'kg/m^3',
    };
    for (const m of materials.values()) {
      for (const key of m.keys()) {
        const unit = m.parameter(key).unit;
        if (unit === '') continue;
        const u = math.unit(unit);
        if (expected[key]) expect(u.equalBase(math.unit(expected[key])), `${m.id}.${key}: ${unit}`).toBe(true);
      }
    }
  });

  it('every law evaluates finite over its documented range (every variable of an expression has a range)', () => {
    for (const m of materials.values()) {
      for (const key of m.keys()) {
        const p = m.parameter(key);
        for (const v of p.variables) expect(p.range[v], `${m.id}.${key}: no range for ${v}`).toBeDefined();
        const names = p.variables as MaterialVariable[];
        const grids = names.map((v) => linspace(p.range[v]![0], p.range[v]![1], 13));
        const visit = (i: number, vars: Partial<Record<MaterialVariable, number>>): void => {
          if (i === names.length) {
            const y = p.fn(vars);
            expect(Number.isFinite(y), `${m.id}.${key}(${JSON.stringify(vars)}) = ${y}`).toBe(true);
            return;
          }
          for (const g of grids[i]) visit(i + 1, { ...vars, [names[i]]: g });
        };
        visit(0, {});
      }
    }
  });

  it('every active material has c_max, a diffusivity, an exchange-current density and an OCP', () => {
    for (const m of materials.values()) {
      if (m.kind !== 'active') continue;
      for (const key of ['maximumConcentration_mol_m3', 'diffusivity_m2_s', 'exchangeCurrentDensity_A_m2', 'chargeTransferCoefficient']) {
        expect(m.has(key), `${m.id}: ${key}`).toBe(true);
      }
      expect(m.has('ocp_V') || (m.has('ocpLithiation_V') && m.has('ocpDelithiation_V')), `${m.id}: OCP`).toBe(true);
    }
    for (const m of materials.values()) {
      if (m.kind !== 'electrolyte') continue;
      for (const key of ['conductivity_S_m', 'diffusivity_m2_s', 'transferenceNumber', 'thermodynamicFactor', 'initialConcentration_mol_m3']) {
        expect(m.has(key), `${m.id}: ${key}`).toBe(true);
      }
    }
  });
});

describe('spot checks against the cited sets', () => {
  const T = 298.15;
  it('maximum concentrations and reference-temperature diffusivities', () => {
    expect(mat('graphite_OKane2022').scalar('maximumConcentration_mol_m3')).toBe(33133);
    expect(mat('graphite_Ai2020').scalar('maximumConcentration_mol_m3')).toBe(28700);
    expect(mat('NMC811_OKane2022').scalar('maximumConcentration_mol_m3')).toBe(63104);
    expect(mat('LCO_Ai2020').scalar('maximumConcentration_mol_m3')).toBe(49943);
    expect(mat('Si_Chen2020').scalar('maximumConcentration_mol_m3')).toBe(278000);
    expect(mat('NMC811_OKane2022').scalar('diffusivity_m2_s', { T_K: T })).toBeCloseTo(4e-15, 25);
    expect(mat('graphite_OKane2022').scalar('diffusivity_m2_s', { T_K: T })).toBeCloseTo(3.3e-14, 24);
    // Arrhenius: faster when warmer, by exp(Ea/R (1/T1 - 1/T2))
    const nmc = mat('NMC811_OKane2022');
    expect(nmc.scalar('diffusivity_m2_s', { T_K: 318.15 }) / nmc.scalar('diffusivity_m2_s', { T_K: T })).toBeCloseTo(1 / arrhenius(25000, T, 318.15), 10);
  });

  it('mechanics of the Ai2020 sets', () => {
    const g = mat('graphite_Ai2020'), lco = mat('LCO_Ai2020');
    expect(g.scalar('youngsModulus_Pa')).toBe(15e9);
    expect(g.scalar('poissonRatio')).toBe(0.3);
    expect(g.scalar('partialMolarVolume_m3_mol')).toBe(3.1e-6);
    expect(lco.scalar('youngsModulus_Pa')).toBe(375e9);
    expect(lco.scalar('poissonRatio')).toBe(0.2);
    expect(lco.scalar('partialMolarVolume_m3_mol')).toBe(-7.28e-7);
    expect(lco.scalar('volumeChange', { x: 1 })).toBeCloseTo(-7.28e-7 * 49943, 12);
    // graphite swells on lithiation: ΔV/V grows from ~0 to several per cent
    expect(Math.abs(g.scalar('volumeChange', { x: 0 }))).toBeLessThan(1e-3);
    expect(g.scalar('volumeChange', { x: 1 })).toBeGreaterThan(0.05);
    expect(g.scalar('volumeChange', { x: 1 })).toBeLessThan(0.15);
  });

  it('exchange-current densities agree with the concentration form in butler-volmer.ts', () => {
    for (const [id, k] of [['graphite_Ai2020', 1e-11], ['LCO_Ai2020', 1e-11], ['NMC811_OKane2022', 3.42e-6 / FARADAY], ['graphite_OKane2022', 6.48e-7 / FARADAY]] as const) {
      const m = mat(id);
      const cmax = m.scalar('maximumConcentration_mol_m3');
      for (const [ce, cs] of [[1000, 0.3 * cmax], [500, 0.8 * cmax], [1200, 0.05 * cmax]]) {
        const ref = exchangeCurrentDensityConcentrationForm(k, ce, cs, cmax);
        expect(m.scalar('exchangeCurrentDensity_A_m2', { c_e_mol_m3: ce, c_s_mol_m3: cs, T_K: T }) / ref, id).toBeCloseTo(1, 12);
      }
      // the i0 closure is zero at an empty or full particle
      expect(m.scalar('exchangeCurrentDensity_A_m2', { c_e_mol_m3: 1000, c_s_mol_m3: cmax, T_K: T })).toBe(0);
    }
    const li = mat('Li_metal_Xu2019');
    expect(li.scalar('exchangeCurrentDensity_A_m2', { c_e_mol_m3: 1000, T_K: T })).toBeCloseTo(FARADAY * 3.5e-8 * (1 / 1.3e-5) ** 0.7 * 1000 ** 0.3, 8);
    expect(li.scalar('ocp_V')).toBe(0);
  });

  it('Nyman2008: κ(1000 mol/m³, 298.15 K) ≈ 0.95 S/m, D ≈ 1.77e-10 m²/s; Arrhenius above 298.15 K', () => {
    const e = mat('LiPF6_EC_EMC_Nyman2008');
    const kappa = e.scalar('conductivity_S_m', { c_e_mol_m3: 1000, T_K: T });
    expect(kappa).toBeCloseTo(0.1297 - 2.51 + 3.329, 12); // 0.9487
    expect(kappa).toBeGreaterThan(0.94);
    expect(kappa).toBeLessThan(1.0);
    expect(e.scalar('diffusivity_m2_s', { c_e_mol_m3: 1000, T_K: T })).toBeCloseTo(1.7694e-10, 20);
    expect(e.scalar('conductivity_S_m', { c_e_mol_m3: 1000, T_K: 318.15 })).toBeGreaterThan(kappa);
    expect(e.scalar('transferenceNumber')).toBe(0.2594);
    expect(e.scalar('thermodynamicFactor')).toBe(1);
  });

  it('Landesfeind2019 (EC:EMC 3:7) at 1 M, 298.15 K: κ ≈ 0.91 S/m, D ≈ 2.9e-10 m²/s, t+ ≈ 0.22, TDF ≈ 2.2', () => {
    const e = mat('LiPF6_EC_EMC_Landesfeind2019');
    const v = { c_e_mol_m3: 1000, T_K: T };
    expect(e.scalar('conductivity_S_m', v)).toBeCloseTo(0.913, 2);
    expect(e.scalar('diffusivity_m2_s', v)).toBeCloseTo(2.89e-10, 11);
    expect(e.scalar('transferenceNumber', v)).toBeCloseTo(0.221, 2);
    expect(e.scalar('thermodynamicFactor', v)).toBeCloseTo(2.18, 1);
    // conductivity rises with temperature, and has a maximum in concentration near 1 M
    expect(e.scalar('conductivity_S_m', { c_e_mol_m3: 1000, T_K: 313.15 })).toBeGreaterThan(e.scalar('conductivity_S_m', v));
    expect(e.scalar('conductivity_S_m', v)).toBeGreaterThan(e.scalar('conductivity_S_m', { c_e_mol_m3: 200, T_K: T }));
    expect(e.scalar('conductivity_S_m', v)).toBeGreaterThan(e.scalar('conductivity_S_m', { c_e_mol_m3: 2000, T_K: T }));
  });
});

describe('OCP curves', () => {
  const sample = (m: Material, key: string, a: number, b: number, n = 200) => linspace(a, b, n).map((x) => m.scalar(key, { x }));
  const nonIncreasing = (ys: ArrayLike<number>) => Array.from(ys).every((y, i, arr) => i === 0 || y <= arr[i - 1]);

  it('positive electrodes: 3.4–4.4 V over their window, decreasing with lithiation', () => {
    // NMC811: the set gives x(100 % SOC) = 0.27; its lithiated end is ≈ 0.9 (test choice)
    const nmc = mat('NMC811_OKane2022');
    const x100 = nmc.scalar('stoichiometryAt100Soc');
    expect(x100).toBeCloseTo(0.27, 4);
    const u = sample(nmc, 'ocp_V', x100, 0.9);
    expect(Math.min(...u)).toBeGreaterThan(3.4);
    expect(Math.max(...u)).toBeLessThan(4.4);
    expect(nonIncreasing(u)).toBe(true);
    // consistency of the two OKane2022 files: full-cell OCV at 100 % SOC is the set's 4.2 V cut-off
    const gOk = mat('graphite_OKane2022');
    const ocv100 = nmc.scalar('ocp_V', { x: x100 }) - gOk.scalar('ocp_V', { x: gOk.scalar('stoichiometryAt100Soc') });
    expect(ocv100).toBeCloseTo(4.2, 1);

    // NMC532 (stand-in for NMC622): the set gives x(0 % SOC) = 31513/35380; the delithiated end is a test choice
    const n532 = mat('NMC532_Mohtat2020');
    const x0 = n532.scalar('stoichiometryAt0Soc');
    expect(x0).toBeCloseTo(0.8907, 4);
    const u532 = sample(n532, 'ocp_V', 0.3, x0);
    expect(Math.min(...u532)).toBeGreaterThan(3.4);
    expect(Math.max(...u532)).toBeLessThan(4.4);
    expect(nonIncreasing(u532)).toBe(true);

    // LCO: the whole table (x = 0.4 … 0.9989) is within 3.4–4.4 V and non-increasing
    const lco = mat('LCO_Ai2020');
    const t = lco.parameter('ocp_V').table!;
    expect(Math.min(...t.y)).toBeGreaterThan(3.4);
    expect(Math.max(...t.y)).toBeLessThan(4.4);
    expect(nonIncreasing(t.y)).toBe(true);
    expect(lco.scalar('ocp_V', { x: lco.scalar('stoichiometryAt100Soc') })).toBeCloseTo(4.285, 2);
    // same check for the two Ai2020 files (4.2 V upper cut-off)
    const gAi = mat('graphite_Ai2020');
    const ocvAi = lco.scalar('ocp_V', { x: lco.scalar('stoichiometryAt100Soc') }) - gAi.scalar('ocp_V', { x: gAi.scalar('stoichiometryAt100Soc') });
    expect(ocvAi).toBeCloseTo(4.2, 1);
  });

  it('graphite: 0.05–1 V over the lithiated part of the window', () => {
    const ai = mat('graphite_Ai2020');
    expect(nonIncreasing(ai.parameter('ocp_V').table!.y)).toBe(true);
    const uAi = sample(ai, 'ocp_V', 0.01, ai.scalar('stoichiometryAt100Soc'));
    expect(Math.min(...uAi)).toBeGreaterThan(0.05);
    expect(Math.max(...uAi)).toBeLessThan(1);

    // Chen2020's graphite curve is measured data with noise (not strictly monotone); check range and trend
    const ok = mat('graphite_OKane2022');
    const uOk = sample(ok, 'ocp_V', 0.05, ok.scalar('stoichiometryAt100Soc'));
    expect(Math.min(...uOk)).toBeGreaterThan(0.05);
    expect(Math.max(...uOk)).toBeLessThan(1);
    expect(uOk[0]).toBeGreaterThan(uOk[uOk.length - 1] + 0.4);
    // linear interpolation reproduces the table points and is clamped outside it
    const t = ok.parameter('ocp_V').table!;
    expect(ok.scalar('ocp_V', { x: t.x[17] })).toBe(t.y[17]);
    expect(ok.scalar('ocp_V', { x: 0.5 * (t.x[17] + t.x[18]) })).toBeCloseTo(0.5 * (t.y[17] + t.y[18]), 14);
    expect(ok.scalar('ocp_V', { x: 1.5 })).toBe(t.y[t.y.length - 1]);
  });

  it('silicon: two branches, lithiation below delithiation, both within 0–1 V', () => {
    const si = mat('Si_Chen2020');
    for (const x of linspace(0.05, 0.95, 19)) {
      const ul = si.scalar('ocpLithiation_V', { x }), ud = si.scalar('ocpDelithiation_V', { x });
      expect(ul).toBeLessThan(ud);
      expect(ul).toBeGreaterThan(0);
      expect(ud).toBeLessThan(1);
    }
  });
});

describe('compiled laws', () => {
  it('fn() returns a closure that is cheap to call and checks its variables', () => {
    const ocp = mat('NMC811_OKane2022').fn('ocp_V');
    let s = 0;
    for (let i = 0; i < 20000; i++) s += ocp({ x: 0.3 + (i % 100) * 0.006 });
    expect(Number.isFinite(s)).toBe(true);
    expect(() => ocp({})).toThrow(/ocp_V.*variable "x" not given/);
    expect(() => mat('LiPF6_EC_EMC_Nyman2008').scalar('conductivity_S_m', { c_e_mol_m3: 1000 } as MaterialVars)).toThrow(RangeError);
    expect(() => mat('NMC811_OKane2022').scalar('nope_V')).toThrow(/no parameter "nope_V"/);
  });

  it('extrapolation: error throws outside the table, clamp holds the end value', () => {
    const m = compileBad((o) => { o.parameters.ocp_V.extrapolation = 'error'; })();
    expect(m.scalar('ocp_V', { x: 0.25 })).toBeCloseTo(4.0, 14);
    expect(() => m.scalar('ocp_V', { x: 1.01 })).toThrow(/above the table/);
    const c = compileBad(() => {})();
    expect(c.scalar('ocp_V', { x: -1 })).toBe(4.2);
  });
});

describe('bad inputs are rejected with the file and key named', () => {
  const expectInputError = (fn: () => unknown, re: RegExp) => {
    let err: unknown;
    try { fn(); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(re);
  };
  it('the minimal material is valid', () => {
    expect(compileBad(() => {})().scalar('diffusivity_m2_s', { T_K: 298.15 })).toBeCloseTo(1e-14, 25);
  });
  it('undeclared variable or symbol in an expression', () => {
    expectInputError(compileBad((o) => { o.parameters.diffusivity_m2_s.variables = []; }),
      /^materials\/X_Test2024\.yaml: parameters\.diffusivity_m2_s\.expression: undeclared symbol "T_K" \(add it to variables\)/);
    expectInputError(compileBad((o) => { o.parameters.diffusivity_m2_s.expression = 'D0 * q'; }),
      /parameters\.diffusivity_m2_s\.expression: undeclared symbol "q"/);
    expectInputError(compileBad((o) => { o.parameters.diffusivity_m2_s.expression = 'D0 * foo(T_K)'; }),
      /parameters\.diffusivity_m2_s\.expression: function "foo" is not allowed/);
    expectInputError(compileBad((o) => { o.parameters.diffusivity_m2_s.expression = 'D0 = 3'; }),
      /parameters\.diffusivity_m2_s\.expression: only arithmetic is allowed/);
    expectInputError(compileBad((o) => { o.parameters.diffusivity_m2_s.expression = 'D0 * (T_K'; }),
      /parameters\.diffusivity_m2_s\.expression: cannot parse/);
    expectInputError(compileBad((o) => { o.parameters.diffusivity_m2_s.variables = ['T_K', 'y']; }),
      /parameters\.diffusivity_m2_s\.variables\[1\]: expected one of "x", "T_K"/);
  });
  it('non-monotone or malformed table', () => {
    expectInputError(compileBad((o) => { o.parameters.ocp_V.table.x = [0, 0.6, 0.5]; }),
      /^materials\/X_Test2024\.yaml: parameters\.ocp_V\.table: x must be strictly increasing \(x\[2\] = 0\.5 after x\[1\] = 0\.6\)/);
    expectInputError(compileBad((o) => { o.parameters.ocp_V.table.y = [4.2, 3.8]; }),
      /parameters\.ocp_V\.table: x and y differ in length/);
    expectInputError(compileBad((o) => { delete o.parameters.ocp_V.variable; }),
      /parameters\.ocp_V\.variable: missing \(required with "table"\)/);
  });
  it('missing or unknown citation key', () => {
    expectInputError(compileBad((o) => { o.parameters.ocp_V.cite = 'Nobody1999'; }),
      /parameters\.ocp_V\.cite: unknown citation key "Nobody1999" \(declared: Test2024\)/);
    expectInputError(compileBad((o) => { delete o.citations[0].key; }), /citations\[0\]\.key: missing/);
    expectInputError(compileBad((o) => { o.citations = []; }), /citations: must NOT have fewer than 1 items/);
  });
  it('unit-less key, or a unit suffix that is not a unit', () => {
    expectInputError(compileBad((o) => { o.parameters.diffusivity = { value: 1e-14 }; }),
      /^materials\/X_Test2024\.yaml: parameters\.diffusivity: key has no unit suffix/);
    expectInputError(compileBad((o) => { o.parameters.diffusivity_m2_fortnights = { value: 1e-14 }; }),
      /parameters\.diffusivity_m2_fortnights: the unit suffix of the key does not parse as a unit/);
  });
  it('other structural errors', () => {
    expectInputError(compileBad((o) => { o.parameters.ocp_V.value = 4; }), /parameters\.ocp_V: give exactly one of value, expression, table/);
    expectInputError(compileBad((o) => { o.parameters.ocp_V.unit = 'V'; }), /parameters\.ocp_V\.unit: unknown key/);
    expectInputError(compileBad((o) => { o.kind = 'anode'; }), /kind: expected one of "active", "electrolyte"/);
    expectInputError(compileBad((o) => { o.id = 'Y_Test2024'; }), /materials\/X_Test2024\.yaml: id: "Y_Test2024" does not match the file name/);
    expectInputError(compileBad((o) => { o.parameters.ocp_V.range = { T_K: [250, 300] }; }), /parameters\.ocp_V\.range\.T_K: "T_K" is not a variable/);
    expectInputError(compileBad((o) => { o.parameters.diffusivity_m2_s.constants.R = 8; }), /constant "R" shadows the built-in R/);
  });
});

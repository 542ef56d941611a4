import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors.js';
import { parseQuantity } from '../../../src/core/units.js';
import { VERSION } from '../../../src/core/version.js';
import { Rng } from '../../../src/core/rng.js';

describe('parseQuantity', () => {
  it('converts units to SI', () => {
    expect(parseQuantity('0.398um', 'length', 'k')).toBeCloseTo(3.98e-7, 18);
    expect(parseQuantity('0.398 µm', 'length', 'k')).toBeCloseTo(3.98e-7, 18);
    expect(parseQuantity('2 mA/cm^2', 'currentDensity', 'k')).toBeCloseTo(20, 12);
    expect(parseQuantity('10 min', 'time', 'k')).toBe(600);
    expect(parseQuantity('1e-6', 'length', 'k')).toBe(1e-6);
    expect(parseQuantity(5, 'time', 'k')).toBe(5);
  });
  it('rejects wrong dimensions and garbage, naming the key', () => {
    expect(() => parseQuantity('3 s', 'length', '--voxel-size')).toThrow(/--voxel-size: .*not a length/);
    expect(() => parseQuantity('abc(', 'length', '--crop')).toThrow(InputError);
    expect(() => parseQuantity('', 'length', 'k')).toThrow(/empty/);
  });
});

describe('version', () => {
  it('matches package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
    expect(VERSION).toBe(pkg.version);
  });
});

describe('Rng', () => {
  it('is deterministic by seed and roughly uniform/normal', () => {
    const a = new Rng(42), b = new Rng(42), c = new Rng(43);
    const xa = Array.from({ length: 5 }, () => a.nextU32());
    expect(Array.from({ length: 5 }, () => b.nextU32())).toEqual(xa);
    expect(Array.from({ length: 5 }, () => c.nextU32())).not.toEqual(xa);
    const r = new Rng(7);
    let s = 0, s2 = 0, u = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) { const g = r.normal(); s += g; s2 += g * g; u += r.uniform(); }
    expect(Math.abs(s / n)).toBeLessThan(0.03);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.05);
    expect(Math.abs(u / n - 0.5)).toBeLessThan(0.01);
  });
});

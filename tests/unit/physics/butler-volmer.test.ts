import { describe, expect, it } from 'vitest';
import { arrhenius, ButlerVolmer, exchangeCurrentDensityConcentrationForm } from '../../../src/physics/butler-volmer.js';
import { FARADAY, GAS_CONSTANT } from '../../../src/physics/constants.js';

const T = 298.15;
const f = FARADAY / (GAS_CONSTANT * T);

describe('ButlerVolmer', () => {
  const bv = new ButlerVolmer();
  it('linear (symmetric) limit: j ≈ i0 F η / RT for |η| ≪ RT/F', () => {
    for (const eta of [1e-5, -3e-5, 1e-4]) {
      expect(bv.current(2, eta, T) / (2 * f * eta)).toBeCloseTo(1, 3);
    }
    expect(bv.current(2, 0, T)).toBe(0);
  });
  it('Tafel limit: log j grows with slope α F / RT (ln 10 RT/αF ≈ 118 mV/decade at α = 0.5)', () => {
    const j1 = bv.current(1, 0.3, T), j2 = bv.current(1, 0.4, T);
    expect(Math.log(j2 / j1) / 0.1 / (0.5 * f)).toBeCloseTo(1, 5);
    expect((Math.LN10 / (0.5 * f)) * 1000).toBeCloseTo(118.3, 1);
    const c1 = bv.current(1, -0.3, T), c2 = bv.current(1, -0.4, T);
    expect(Math.log(c2 / c1) / 0.1 / (0.5 * f)).toBeCloseTo(1, 5);
  });
  it('asymmetric coefficients: anodic and cathodic Tafel slopes differ', () => {
    const a = new ButlerVolmer({ alphaA: 0.3, alphaC: 0.7 });
    expect(Math.log(a.current(1, 0.5, T) / a.current(1, 0.4, T)) / 0.1).toBeCloseTo(0.3 * f, 3);
    expect(Math.log(a.current(1, -0.5, T) / a.current(1, -0.4, T)) / 0.1).toBeCloseTo(0.7 * f, 3);
  });
  it('derivative matches finite differences; overpotential inverts current', () => {
    for (const bvx of [bv, new ButlerVolmer({ alphaA: 0.3, alphaC: 0.7 })]) {
      for (const eta of [-0.2, -0.01, 0, 0.05, 0.3]) {
        const h = 1e-7;
        const fd = (bvx.current(3, eta + h, T) - bvx.current(3, eta - h, T)) / (2 * h);
        expect(bvx.dCurrentDEta(3, eta, T) / fd).toBeCloseTo(1, 6);
        expect(bvx.overpotential(3, bvx.current(3, eta, T), T)).toBeCloseTo(eta, 10);
      }
    }
  });
  it('exchange current density vanishes at empty and full solid; Arrhenius is 1 at T_ref', () => {
    expect(exchangeCurrentDensityConcentrationForm(1e-10, 1000, 0, 5e4)).toBe(0);
    expect(exchangeCurrentDensityConcentrationForm(1e-10, 1000, 5e4, 5e4)).toBe(0);
    const mid = exchangeCurrentDensityConcentrationForm(1e-10, 1000, 2.5e4, 5e4);
    expect(mid).toBeCloseTo(FARADAY * 1e-10 * Math.sqrt(1000) * 2.5e4, 8);
    expect(arrhenius(3e4, T, T)).toBe(1);
    expect(arrhenius(3e4, 318.15, T)).toBeGreaterThan(2);
  });
});

/**
 * Tortuosity factor / effective conductivity against exact results:
 * layered media (series = harmonic mean, parallel = arithmetic mean), straight channels (τ = 1),
 * non-percolating phases (τ = ∞), dead ends and isolated clusters, flux conservation,
 * agreement between solvers.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.js';
import type { Shape3, Vec3 } from '../../src/core/volume.js';
import { tortuosity } from '../../src/sim/tortuosity.js';
import { threePhase, twoPhase } from './linalg/media.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
const idxOf = (shape: Shape3) => (x: number, y: number, z: number) => x + shape[0] * (y + shape[1] * z);

describe('layered media', () => {
  const shape: Shape3 = [12, 10, 8];
  const spacing: Vec3 = [1e-6, 2e-6, 0.5e-6];
  const N = 12 * 10 * 8;
  const layerSigma = (i: number) => [1, 1e-3, 0.3, 5e-2, 0.7, 1e-2, 0.9, 0.2, 2e-3, 0.5, 0.05, 1][i];

  it('layers perpendicular to the flow: σ_eff = harmonic mean exactly', () => {
    for (const axis of [0, 1, 2] as const) {
      const sigma = new Float64Array(N);
      const n = shape[axis];
      for (let z = 0; z < shape[2]; z++) for (let y = 0; y < shape[1]; y++) for (let x = 0; x < shape[0]; x++) {
        sigma[idxOf(shape)(x, y, z)] = layerSigma([x, y, z][axis]);
      }
      let sumInv = 0, sum = 0;
      for (let i = 0; i < n; i++) { sumInv += 1 / layerSigma(i); sum += layerSigma(i); }
      const harmonic = n / sumInv;
      const r = tortuosity({ shape, spacing, conductivity: sigma, axis, rtol: 1e-12 });
      expect(rel(r.effectiveConductivity, harmonic)).toBeLessThan(1e-10);
      expect(rel(r.tortuosityFactor, sum / n / harmonic)).toBeLessThan(1e-10);
      expect(r.volumeFraction).toBe(1);
      expect(r.effectiveDiffusivityRatio).toBeCloseTo(harmonic / 1, 10);
    }
  });

  it('layers parallel to the flow: σ_eff = arithmetic mean exactly (τ = 1)', () => {
    for (const [axis, layerAxis] of [[0, 1], [0, 2], [1, 0], [2, 1]] as const) {
      const sigma = new Float64Array(N);
      for (let z = 0; z < shape[2]; z++) for (let y = 0; y < shape[1]; y++) for (let x = 0; x < shape[0]; x++) {
        sigma[idxOf(shape)(x, y, z)] = layerSigma([x, y, z][layerAxis]);
      }
      let sum = 0;
      for (let i = 0; i < shape[layerAxis]; i++) sum += layerSigma(i);
      const arithmetic = sum / shape[layerAxis];
      const r = tortuosity({ shape, spacing, conductivity: sigma, axis, rtol: 1e-12 });
      expect(rel(r.effectiveConductivity, arithmetic)).toBeLessThan(1e-10);
      expect(Math.abs(r.tortuosityFactor - 1)).toBeLessThan(1e-10);
    }
  });
});

describe('pore channels', () => {
  it('straight channels along each axis: τ = 1, D_eff/D = ε', () => {
    const shape: Shape3 = [16, 14, 12];
    const idx = idxOf(shape);
    for (const axis of [0, 1, 2] as const) {
      const mask = new Uint8Array(16 * 14 * 12);
      const [b, c] = [(axis + 1) % 3, (axis + 2) % 3];
      let s = 1;
      const pick = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296 < 0.3; };
      for (let j = 0; j < shape[b]; j++) for (let k = 0; k < shape[c]; k++) {
        if (!pick()) continue;
        for (let a = 0; a < shape[axis]; a++) {
          const p: [number, number, number] = [0, 0, 0];
          p[axis] = a; p[b] = j; p[c] = k;
          mask[idx(...p)] = 255; // any non-zero value marks the phase
        }
      }
      const r = tortuosity({ shape, mask, axis, spacing: [0.4e-6, 0.4e-6, 0.4e-6] });
      expect(r.percolating).toBe(true);
      expect(Math.abs(r.tortuosityFactor - 1)).toBeLessThan(1e-8);
      expect(rel(r.effectiveDiffusivityRatio, r.volumeFraction)).toBeLessThan(1e-8);
      expect(r.fluxImbalance).toBeLessThanOrEqual(1e-8);
    }
  });

  it('a non-percolating phase gives τ = ∞, D_eff = 0 and a message, without solving', () => {
    const shape: Shape3 = [10, 8, 8];
    const mask = new Uint8Array(640).fill(1);
    const idx = idxOf(shape);
    for (let y = 0; y < 8; y++) for (let z = 0; z < 8; z++) mask[idx(5, y, z)] = 0; // solid wall x = 5
    const r = tortuosity({ shape, mask, axis: 'x' });
    expect(r.percolating).toBe(false);
    expect(r.tortuosityFactor).toBe(Infinity);
    expect(r.effectiveDiffusivityRatio).toBe(0);
    expect(r.iterations).toBe(0);
    expect(r.message).toMatch(/does not percolate along x/);
    expect(r.volumeFraction).toBeCloseTo(0.9, 12);
    // the same phase percolates along y and z, with τ = 1 (the wall is parallel to the flow)
    const ry = tortuosity({ shape, mask, axis: 'y' });
    expect(ry.percolating).toBe(true);
    expect(Math.abs(ry.tortuosityFactor - 1)).toBeLessThan(1e-8);
    const empty = tortuosity({ shape, mask: new Uint8Array(640), axis: 2 });
    expect(empty.tortuosityFactor).toBe(Infinity);
    expect(empty.message).toMatch(/empty/);
  });

  it('dead-end branches and isolated clusters do not change the flux of a straight channel', () => {
    const shape: Shape3 = [20, 9, 9];
    const idx = idxOf(shape);
    const channel = new Uint8Array(20 * 81);
    for (let x = 0; x < 20; x++) channel[idx(x, 4, 4)] = 1;
    const withBranches = channel.slice();
    for (let y = 0; y < 4; y++) withBranches[idx(7, y, 4)] = 1; // side branch (dead end)
    for (let z = 5; z < 9; z++) withBranches[idx(12, 4, z)] = 1; // another
    for (let x = 0; x < 6; x++) withBranches[idx(x, 0, 0)] = 1; // touches the inlet only
    for (let x = 3; x < 10; x++) withBranches[idx(x, 8, 8)] = 1; // isolated cluster
    const a = tortuosity({ shape, mask: channel, axis: 0, rtol: 1e-12 });
    const b = tortuosity({ shape, mask: withBranches, axis: 0, rtol: 1e-12 });
    expect(Math.abs(a.tortuosityFactor - 1)).toBeLessThan(1e-10);
    expect(rel(b.effectiveDiffusivityRatio, a.effectiveDiffusivityRatio)).toBeLessThan(1e-10);
    expect(rel(b.fluxIn, a.fluxIn)).toBeLessThan(1e-10);
    expect(b.isolatedVoxels).toBe(7);
    expect(b.deadEndVoxels).toBe(6);
    expect(b.unknowns).toBe(20 + 4 + 4 + 6);
    // τ uses the total volume fraction (TauFactor): the extra voxels raise τ
    expect(b.volumeFraction).toBeCloseTo((20 + 8 + 6 + 7) / (20 * 81), 14);
    expect(rel(b.tortuosityFactor, b.volumeFraction / b.effectiveDiffusivityRatio)).toBeLessThan(1e-14);
    expect(b.tortuosityFactor).toBeCloseTo((20 + 8 + 6 + 7) / 20, 9);
  });
});

describe('random media', () => {
  const shape: Shape3 = [24, 24, 24];

  it('inlet and outlet fluxes agree to 1e-8 with the default options', () => {
    const mask = twoPhase(shape, 0.45, 0, 11);
    for (const axis of [0, 1, 2] as const) {
      const r = tortuosity({ shape, mask, axis });
      expect(r.percolating).toBe(true);
      expect(r.fluxImbalance).toBeLessThanOrEqual(1e-8);
      expect(r.relativeResidual).toBeLessThanOrEqual(1e-8);
      expect(r.tortuosityFactor).toBeGreaterThan(1);
      expect(r.seconds).toBeGreaterThan(0);
    }
  });

  it('the slab correction makes inlet and outlet fluxes agree to rounding and improves the flux', () => {
    const mask = twoPhase(shape, 0.45, 0, 12);
    const ref = tortuosity({ shape, mask, axis: 1, rtol: 1e-13, fluxTolerance: 0 });
    const plain = tortuosity({ shape, mask, axis: 1, slabCorrection: false, fluxTolerance: 0 });
    const corrected = tortuosity({ shape, mask, axis: 1, fluxTolerance: 0 });
    expect(corrected.iterations).toBe(plain.iterations);
    expect(corrected.fluxImbalance).toBeLessThan(1e-12);
    expect(plain.fluxImbalance).toBeGreaterThan(1e-11);
    const err = (r: typeof ref) => rel(r.effectiveDiffusivityRatio, ref.effectiveDiffusivityRatio);
    expect(err(corrected)).toBeLessThan(err(plain));
    expect(err(corrected)).toBeLessThan(1e-8);
    // without the correction, the flux tolerance loop tightens the solve instead
    const tightened = tortuosity({ shape, mask, axis: 1, slabCorrection: false });
    expect(tightened.fluxImbalance).toBeLessThanOrEqual(1e-8);
    expect(tightened.iterations).toBeGreaterThan(plain.iterations);
  });

  it('all solver / preconditioner combinations give the same τ', () => {
    const sigma = threePhase(shape, 0.45, 0.15, 0.1);
    const ref = tortuosity({ shape, conductivity: sigma, axis: 2, rtol: 1e-12 });
    const combos = [
      { method: 'cg', preconditioner: 'jacobi' },
      { method: 'cg', preconditioner: 'multigrid', multigrid: { cycle: 'V' } },
      { method: 'cg', preconditioner: 'multigrid', multigrid: { smoother: 'chebyshev' } },
      { method: 'bicgstab', preconditioner: 'multigrid' },
      { method: 'gmres', preconditioner: 'multigrid' },
      { method: 'gmres', preconditioner: 'jacobi', restart: 50 },
    ] as const;
    for (const solver of combos) {
      const r = tortuosity({ shape, conductivity: sigma, axis: 2, rtol: 1e-10, solver });
      expect(rel(r.tortuosityFactor, ref.tortuosityFactor)).toBeLessThan(1e-8);
    }
  });

  it('multi-phase: τ = Σ ε_i σ_i / σ_eff; scaling σ scales σ_eff only', () => {
    const sigma = threePhase(shape, 0.45, 0.15, 0.1);
    const r = tortuosity({ shape, conductivity: sigma, axis: 0 });
    const eps1 = sigma.filter((v) => v === 1).length / sigma.length;
    const eps2 = sigma.filter((v) => v === 0.1).length / sigma.length;
    expect(r.volumeFraction).toBeCloseTo(eps1 + eps2, 14);
    expect(rel(r.tortuosityFactor, (eps1 * 1 + eps2 * 0.1) / r.effectiveConductivity)).toBeLessThan(1e-12);
    const scaled = tortuosity({ shape, conductivity: sigma.map((v) => v * 250), axis: 0, spacing: [3e-7, 3e-7, 3e-7] });
    expect(rel(scaled.effectiveConductivity, 250 * r.effectiveConductivity)).toBeLessThan(1e-7);
    expect(rel(scaled.tortuosityFactor, r.tortuosityFactor)).toBeLessThan(1e-7);
    expect(rel(scaled.effectiveDiffusivityRatio, r.effectiveDiffusivityRatio)).toBeLessThan(1e-7);
    // a CBD-free version (mask of the pore phase) is less conductive
    const pore = tortuosity({ shape, mask: sigma.map((v) => (v === 1 ? 1 : 0)), axis: 0 });
    expect(pore.effectiveDiffusivityRatio).toBeLessThan(r.effectiveDiffusivityRatio);
  });

  it('returns the concentration field on request (1 at the inlet side, 0 at the outlet side)', () => {
    const mask = twoPhase([10, 10, 10], 0.7, 0, 5);
    const r = tortuosity({ shape: [10, 10, 10], mask, axis: 0, returnField: true });
    expect(r.field).toBeDefined();
    const f = r.field!;
    let inside = 0;
    for (let i = 0; i < f.length; i++) {
      if (Number.isNaN(f[i])) continue;
      inside++;
      expect(f[i]).toBeGreaterThanOrEqual(-1e-9);
      expect(f[i]).toBeLessThanOrEqual(1 + 1e-9);
    }
    expect(inside).toBe(r.unknowns);
  });

  it('rejects inconsistent input', () => {
    expect(() => tortuosity({ shape: [2, 2, 2], axis: 0 })).toThrow(InputError);
    expect(() => tortuosity({ shape: [2, 2, 2], axis: 0, mask: new Uint8Array(8), conductivity: new Float64Array(8) })).toThrow(InputError);
    expect(() => tortuosity({ shape: [2, 2, 2], axis: 0, mask: new Uint8Array(7) })).toThrow(InputError);
  });
});

describe('kernel backends', () => {
  it('the same tortuosity on every available backend (and auto) agrees to 1e-7', async () => {
    const { listBackends } = await import('../../src/linalg/backends/registry.js');
    const { tortuosityAsync } = await import('../../src/sim/tortuosity.js');
    const shape: Shape3 = [20, 18, 16];
    const conductivity = threePhase(shape, 0.55, 0.25, 1e-3, 11); // σ = 1 (55 %), 1e-3 (25 %), 0 (20 %)
    const names = (await listBackends()).filter((s) => s.available).map((s) => s.name as 'js' | 'tfjs');
    expect(names).toContain('js');
    const results = [];
    for (const backend of [...names, 'auto' as const]) {
      const r = await tortuosityAsync({ shape, conductivity, axis: 2, backend });
      expect(r.relativeResidual).toBeLessThanOrEqual(1e-8);
      if (backend !== 'auto') expect(r.backend.name).toBe(backend);
      else expect(r.backend.reason).toMatch(/^auto on /);
      results.push(r);
    }
    expect(results[0].percolating).toBe(true);
    for (const r of results) expect(rel(r.tortuosityFactor, results[0].tortuosityFactor)).toBeLessThan(1e-7);
  });
});

describe('progress callback', () => {
  it('onProgress sees every Krylov iteration, cumulative over the flux re-solves', () => {
    const shape: Shape3 = [16, 16, 16];
    const conductivity = threePhase(shape, 0.55, 0.25, 1e-3, 5);
    const seen: [number, number][] = [];
    const r = tortuosity({ shape, conductivity, axis: 0, onProgress: (it, rr) => seen.push([it, rr]) });
    expect(seen.length).toBe(r.iterations);
    expect(seen.map(([it]) => it)).toEqual(Array.from({ length: r.iterations }, (_, k) => k + 1));
    expect(seen[seen.length - 1][1]).toBeLessThanOrEqual(1e-8);
  });
});

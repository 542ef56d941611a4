/**
 * The preconditioner choice of the swelling system (src/sim/swell.ts buildSwellSystem): gmg and amg
 * give the same displacement; `auto` keeps the geometric multigrid while it converges within its
 * iteration budget and otherwise switches to AMG for good, says so, and still answers to rtol;
 * periodic sides refuse gmg.
 */
import { describe, expect, it } from 'vitest';
import type { Rve } from '../../../src/mesh/rve.js';
import { LinearElastic } from '../../../src/physics/linear-elastic.js';
import { buildSwellSystem, solveSwellDisplacement, type SwellPhase } from '../../../src/sim/swell.js';

/** A porous slab: overlapping spheres, thickness along z, separator high. */
function porousSlab(n: number): Rve {
  const shape: [number, number, number] = [n, n, n];
  const phase = new Uint8Array(n ** 3), particle = new Int32Array(n ** 3);
  let s = 5;
  const rnd = (): number => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 4294967296; };
  for (let k = 1; k <= 12; k++) {
    const cx = rnd() * n, cy = rnd() * n, cz = rnd() * n, R = n / 4;
    for (let z = 0, v = 0; z < n; z++) for (let y = 0; y < n; y++) for (let x = 0; x < n; x++, v++) {
      if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 + (z + 0.5 - cz) ** 2 <= R * R) { phase[v] = 1; particle[v] = k; }
    }
  }
  return {
    shape, voxelSize: [5e-7, 5e-7, 5e-7], phase, particle,
    phases: [{ id: 0, name: 'pore', role: 'electrolyte', labels: [0] }, { id: 1, name: 'NMC', role: 'active', labels: [1] }],
    thicknessAxis: 2, separatorSide: 'high',
  };
}

const phases: SwellPhase[] = [{ id: 1, name: 'NMC', elastic: new LinearElastic(150e9, 0.3), eigenstrain: { kind: 'none' } }];

describe('swell system preconditioners', () => {
  const rve = porousSlab(16);
  const field = { isotropic: Float64Array.from(rve.phase, (p, v) => (p ? 0.005 * (1 + Math.sin(v)) : 0)) };
  const solve = (o: Parameters<typeof buildSwellSystem>[0]) => { const sys = buildSwellSystem(o); return { sys, r: solveSwellDisplacement(sys, field, { rtol: 1e-10 }) }; };
  const diff = (a: Float64Array, b: Float64Array): number => {
    let d = 0, m = 0;
    for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i])) { d = Math.max(d, Math.abs(a[i] - b[i])); m = Math.max(m, Math.abs(b[i])); }
    return d / m;
  };

  it('gmg, amg and auto agree; auto keeps gmg within its budget', () => {
    const g = solve({ rve, phases, preconditioner: 'gmg' });
    const a = solve({ rve, phases, preconditioner: 'amg' });
    const auto = solve({ rve, phases });
    expect(g.sys.preconditioner.kind).toBe('gmg');
    expect(g.sys.multigrid!.length).toBeGreaterThan(1);
    expect(a.sys.preconditioner.kind).toBe('amg');
    expect(auto.sys.preconditioner.kind).toBe('gmg');
    expect(auto.r.iterations).toBe(g.r.iterations);
    expect(diff(g.r.displacement, a.r.displacement)).toBeLessThan(1e-8);
  });

  it('auto switches to AMG once the multigrid exceeds its budget, continuing from its iterate', () => {
    const a = solve({ rve, phases, preconditioner: 'amg' });
    const sw = solve({ rve, phases, preconditioner: 'auto', autoGmgIterations: 3 });
    expect(sw.sys.preconditioner.kind).toBe('amg');
    expect(sw.sys.preconditioner.description).toMatch(/auto: switched from the geometric multigrid, which had not converged after 3 CG iterations/);
    expect(sw.sys.multigrid).toBeUndefined();
    expect(sw.r.relativeResidual).toBeLessThanOrEqual(1e-9);
    expect(sw.r.iterations).toBeGreaterThan(3);
    expect(diff(sw.r.displacement, a.r.displacement)).toBeLessThan(1e-8);
    // the switch is for good: the next solve goes straight to AMG
    const again = solveSwellDisplacement(sw.sys, field, { rtol: 1e-10 });
    expect(again.iterations).toBe(a.r.iterations);
  });

  it('gmg refuses periodic lateral sides; auto takes AMG there', () => {
    expect(() => buildSwellSystem({ rve, phases, lateral: 'periodic', preconditioner: 'gmg' })).toThrow(/preconditioner: gmg does not support periodic lateral sides/);
    expect(buildSwellSystem({ rve, phases, lateral: 'periodic' }).preconditioner.kind).toBe('amg');
  });
});

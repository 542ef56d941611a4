import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyPath } from '../../../src/io/schema.js';
import { listSolverPresets, loadSolverPreset, tortuositySolverOptions } from '../../../src/io/solver-presets.js';
import { tortuosity } from '../../../src/sim/tortuosity.js';

describe('solver presets', () => {
  it('every shipped preset validates and drives a solve to the same answer', () => {
    const names = listSolverPresets();
    expect(names).toEqual(expect.arrayContaining(['multigrid-cg', 'jacobi-cg', 'multigrid-gmres']));
    // a small two-phase medium with a known structure: a plus-shaped pore network in 12³
    const n = 12;
    const mask = new Uint8Array(n ** 3);
    for (let z = 0; z < n; z++) for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
      mask[x + n * (y + n * z)] = (x % 4 === 0 || y % 4 === 0) && (z + x) % 5 !== 0 ? 1 : 0;
    }
    const taus = names.map((name) => tortuosity({ shape: [n, n, n], mask, axis: 'x', ...tortuositySolverOptions(loadSolverPreset(name).preset) }).tortuosityFactor);
    for (const t of taus) expect(t).toBeCloseTo(taus[0], 6);
  });
  it('errors name the file and the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'presets-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'method: cg\npreconditioner: multigrid\nmultigrid: {cycle: Q}\n');
    expect(() => loadSolverPreset(bad)).toThrow(/bad\.yaml: multigrid\.cycle: expected one of "V", "W", "K"/);
    writeFileSync(bad, 'method: cg\npreconditioner: jacobi\ntolerance: 1e-6\n');
    expect(() => loadSolverPreset(bad)).toThrow(/bad\.yaml: tolerance: unknown key/);
    writeFileSync(bad, 'preconditioner: jacobi\n');
    expect(() => loadSolverPreset(bad)).toThrow(/bad\.yaml: method: missing/);
    expect(() => loadSolverPreset('nope')).toThrow(/--solver: no preset "nope"/);
  });
  it('keyPath turns JSON pointers into readable keys', () => {
    expect(keyPath('/protocol/2/until')).toBe('protocol[2].until');
    expect(keyPath('')).toBe('');
    expect(keyPath('/a~1b/0')).toBe('a/b[0]');
  });
});

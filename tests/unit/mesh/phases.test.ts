import { describe, expect, it } from 'vitest';
import { applyPhaseMap, parsePhaseMapText, phaseMapFromObject } from '../../../src/mesh/phases.js';

describe('phase maps', () => {
  it('parses label=name:role with shared labels', () => {
    const p = parsePhaseMapText('0+3=pore:electrolyte, 1=NMC:active,2=CBD:cbd');
    expect(p).toEqual([
      { id: 0, name: 'pore', role: 'electrolyte', labels: [0, 3] },
      { id: 1, name: 'NMC', role: 'active', labels: [1] },
      { id: 2, name: 'CBD', role: 'cbd', labels: [2] },
    ]);
  });
  it('accepts list and mapping objects', () => {
    expect(phaseMapFromObject([{ labels: [128], name: 'AM', role: 'active' }, { label: 0, name: 'pore', role: 'electrolyte' }], 'f.yaml').map((p) => p.labels)).toEqual([[128], [0]]);
    expect(phaseMapFromObject({ '0': 'pore:electrolyte', '1': 'NMC:active' }, 'f.json')[1].role).toBe('active');
  });
  it('rejects bad maps with the source named', () => {
    expect(() => parsePhaseMapText('0=pore:liquid')).toThrow(/--phases: .*unknown role "liquid"/);
    expect(() => parsePhaseMapText('0=pore')).toThrow(/cannot parse/);
    expect(() => parsePhaseMapText('0=a:active,0=b:cbd')).toThrow(/label 0 mapped to both/);
    expect(() => parsePhaseMapText('0=a:active,1=a:cbd')).toThrow(/used twice/);
  });
  it('maps labels to compact ids and lists unmapped labels', () => {
    const phases = parsePhaseMapText('0=pore:electrolyte,128=AM:active');
    const ids = applyPhaseMap(new Uint8Array([0, 128, 128, 0]), phases, 'v.tif');
    expect([...ids]).toEqual([0, 1, 1, 0]);
    expect(() => applyPhaseMap(new Uint8Array([0, 128, 7, 9]), phases, 'v.tif')).toThrow(/v.tif: labels present in the volume but not in the phase map: 7, 9/);
    expect(() => applyPhaseMap(new Uint8Array([0, 0]), phases, 'v.tif')).toThrow(/phase "AM" .* has no voxels/);
    expect(() => applyPhaseMap(new Int8Array([-1, 0]), parsePhaseMapText('-1=a:active,0=b:electrolyte'), 'v')).not.toThrow();
  });
});

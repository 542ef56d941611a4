import { describe, expect, it } from 'vitest';
import { parseCondition, parseCurrent, parseProtocol, parseStepText } from '../../../src/sim/protocol.js';

describe('protocol steps', () => {
  it('reads currents: C-rates, densities, absolute currents', () => {
    expect(parseCurrent('1C', 'k')).toEqual({ kind: 'c-rate', value: 1 });
    expect(parseCurrent('C/20', 'k')).toEqual({ kind: 'c-rate', value: 0.05 });
    expect(parseCurrent('0.5 C', 'k')).toEqual({ kind: 'c-rate', value: 0.5 });
    expect(parseCurrent('2 mA/cm^2', 'k')).toMatchObject({ kind: 'density' });
    expect((parseCurrent('2 mA/cm^2', 'k') as { value: number }).value).toBeCloseTo(20, 10);
    expect(parseCurrent('5 mA', 'k')).toMatchObject({ kind: 'absolute', value: 0.005 });
    expect(() => parseCurrent('5', 'protocol[0]')).toThrow(/protocol\[0\]: expected a current/);
    expect(() => parseCurrent('-1C', 'k')).toThrow(/positive/);
  });
  it('reads conditions', () => {
    expect(parseCondition('4.3 V', 'k')).toEqual({ kind: 'voltage', value: 4.3 });
    expect(parseCondition('10 min', 'k')).toEqual({ kind: 'time', value: 600 });
    expect(parseCondition('C/20', 'k')).toEqual({ kind: 'current', value: { kind: 'c-rate', value: 0.05 } });
    expect(parseCondition('SoC 0.8', 'k')).toEqual({ kind: 'soc', value: 0.8 });
    expect(parseCondition('80% SoC', 'k')).toEqual({ kind: 'soc', value: 0.8 });
    expect(() => parseCondition('4.3', 'protocol[1].until')).toThrow(/protocol\[1\]\.until: "4.3" has no unit/);
    expect(() => parseCondition('SoC 1.5', 'k')).toThrow(/SoC must be in/);
  });
  it('reads PyBaMM-like sentences', () => {
    expect(parseStepText('Charge at 5C until 4.3 V', 's')).toMatchObject({ kind: 'current', direction: 'charge', current: { kind: 'c-rate', value: 5 }, until: [{ kind: 'voltage', value: 4.3 }] });
    expect(parseStepText('Discharge at C/5 until 2.5 V or 2 h', 's').until).toEqual([{ kind: 'voltage', value: 2.5 }, { kind: 'time', value: 7200 }]);
    expect(parseStepText('Hold at 4.3 V until C/20', 's')).toMatchObject({ kind: 'voltage', voltage: 4.3, until: [{ kind: 'current' }] });
    expect(parseStepText('Rest for 10 min', 's')).toMatchObject({ kind: 'rest', until: [{ kind: 'time', value: 600 }] });
    expect(parseStepText('charge at 2 mA/cm^2 until 4.2 V for 1 h', 's').until.map((c) => c.kind)).toEqual(['voltage', 'time']);
  });
  it('rejects steps that never end or cannot be read, naming the step', () => {
    expect(() => parseStepText('Charge at 1C', 'protocol[3]')).toThrow(/protocol\[3\]: "Charge at 1C" never ends/);
    expect(() => parseStepText('Jump at 1C until 4 V', 'protocol[0]')).toThrow(/cannot parse step/);
    expect(() => parseStepText('Hold at 1C until 1 h', 's')).toThrow(/takes a voltage/);
    expect(() => parseStepText('Rest for 4 V', 's')).toThrow(/"for" takes a duration/);
  });
  it('expands objects, pulses and repeats', () => {
    const p = parseProtocol([
      { charge: '1C', until: ['4.3 V', '2 h'] },
      { hold: '4.3 V', until: 'C/20' },
      { pulse: { current: '5C', direction: 'discharge', on: '10 s', off: '30 s', count: 3 } },
      { repeat: 2, steps: ['Rest for 1 min', 'Discharge at 1C until 3 V'] },
    ]);
    expect(p.map((s) => s.kind)).toEqual(['current', 'voltage', 'current', 'rest', 'current', 'rest', 'current', 'rest', 'rest', 'current', 'rest', 'current']);
    expect(p[2]).toMatchObject({ direction: 'discharge', until: [{ kind: 'time', value: 10 }] });
    expect(() => parseProtocol([{ charge: '1C', untill: '4 V' }], 'scenario.yaml: protocol')).toThrow(/scenario\.yaml: protocol\[0\]\.untill: unknown key/);
    expect(() => parseProtocol([{ hold: '4.3 V', until: ['C/20', 'soon'] }], 'protocol')).toThrow(/protocol\[0\]\.until\[1\]: cannot read "soon"/);
    expect(() => parseProtocol([], 'protocol')).toThrow(/non-empty/);
  });
});

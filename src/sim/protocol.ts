/**
 * Cycling protocols: readable steps (PyBaMM-like) or objects → a flat list of normalised steps.
 *
 * Text steps (case-insensitive):
 *   "Charge at 1C until 4.3 V"            "Discharge at C/5 until 2.5 V or 2 h"
 *   "Charge at 2 mA/cm^2 for 10 min"      "Hold at 4.3 V until C/20"
 *   "Rest for 10 min"                     "Charge at 5C until SoC 0.8"
 * Object steps:
 *   { charge: 1C, until: [4.3 V, 1 h] }  { discharge: C/5, until: 2.5 V }
 *   { hold: 4.3 V, until: C/20 }          { rest: 10 min }
 *   { pulse: { current: 5C, direction: charge, on: 10 s, off: 30 s, count: 10 } }
 *   { repeat: 3, steps: [ ... ] }
 * Conditions: a voltage ("4.3 V": the step ends when the voltage crosses it, from whichever side
 * it starts), a current ("C/20", "50 uA", "0.1 mA/cm^2": ends when |I| falls below it; for holds),
 * a duration ("1 h": step time), a state of charge ("SoC 0.8" or "80% SoC": crossing).
 * Direction: "charge" delithiates a positive working electrode (lithiates a negative one).
 */
import { InputError } from '../core/errors.js';
import { parseQuantity, type Dimension } from '../core/units.js';

export type CurrentSpec =
  | { kind: 'c-rate'; value: number }
  | { kind: 'density'; value: number } // A/m²
  | { kind: 'absolute'; value: number }; // A

export type Condition =
  | { kind: 'voltage'; value: number }
  | { kind: 'current'; value: CurrentSpec }
  | { kind: 'time'; value: number }
  | { kind: 'soc'; value: number };

interface StepBase { until: Condition[]; text: string; source: string }
export type ProtocolStep =
  | (StepBase & { kind: 'current'; direction: 'charge' | 'discharge'; current: CurrentSpec })
  | (StepBase & { kind: 'voltage'; voltage: number })
  | (StepBase & { kind: 'rest' });

const NUM = String.raw`[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?`;

function tryQuantity(text: string, dims: Dimension[]): { dim: Dimension; value: number } | null {
  for (const dim of dims) {
    try { return { dim, value: parseQuantity(text, dim, '') }; } catch { /* next */ }
  }
  return null;
}

/** "1C", "C/20", "0.5 C", "2 mA/cm^2", "1.5 mA" */
export function parseCurrent(text: string, source: string): CurrentSpec {
  const t = text.trim();
  const c = new RegExp(`^(${NUM})?\\s*C(?:\\s*/\\s*(${NUM}))?$`, 'i').exec(t);
  if (c && (c[1] !== undefined || c[2] !== undefined || t.toUpperCase() === 'C')) {
    const value = (c[1] !== undefined ? Number(c[1]) : 1) / (c[2] !== undefined ? Number(c[2]) : 1);
    if (!(value > 0) || !Number.isFinite(value)) throw new InputError(source, `C-rate must be positive, got "${text}"`);
    return { kind: 'c-rate', value };
  }
  const q = tryQuantity(t, ['currentDensity', 'current']);
  if (!q || /^\s*[-+]?[\d.]+(e[-+]?\d+)?\s*$/i.test(t)) {
    throw new InputError(source, `expected a current like 1C, C/20, 2 mA/cm^2 or 5 mA, got "${text}"`);
  }
  if (!(q.value > 0)) throw new InputError(source, `current must be positive (use charge/discharge for the direction), got "${text}"`);
  return q.dim === 'currentDensity' ? { kind: 'density', value: q.value } : { kind: 'absolute', value: q.value };
}

export function parseCondition(text: string, source: string): Condition {
  const t = text.trim();
  const soc = new RegExp(`^(?:soc\\s*=?\\s*(${NUM})\\s*(%)?|(${NUM})\\s*(%)?\\s*soc)$`, 'i').exec(t);
  if (soc) {
    const raw = Number(soc[1] ?? soc[3]);
    const pct = (soc[2] ?? soc[4]) === '%';
    const value = pct ? raw / 100 : raw;
    if (!(value >= 0 && value <= 1)) throw new InputError(source, `SoC must be in [0, 1] (or 0–100 %), got "${text}"`);
    return { kind: 'soc', value };
  }
  if (/^\s*[-+]?[\d.]+(e[-+]?\d+)?\s*$/i.test(t)) throw new InputError(source, `"${text}" has no unit (expected e.g. 4.3 V, C/20, 1 h, SoC 0.8)`);
  const v = tryQuantity(t, ['voltage']);
  if (v) return { kind: 'voltage', value: v.value };
  const d = tryQuantity(t, ['time']);
  if (d) {
    if (!(d.value > 0)) throw new InputError(source, `duration must be positive, got "${text}"`);
    return { kind: 'time', value: d.value };
  }
  try {
    return { kind: 'current', value: parseCurrent(t, source) };
  } catch {
    throw new InputError(source, `cannot read "${text}" as a voltage, current, duration or SoC`);
  }
}

function conditionsOf(list: string | string[] | undefined, source: string): Condition[] {
  if (list === undefined) return [];
  const arr = Array.isArray(list) ? list : list.split(/\s+or\s+/i);
  return arr.map((c, i) => parseCondition(String(c), Array.isArray(list) ? `${source}[${i}]` : source));
}

function requireEnd(step: ProtocolStep): ProtocolStep {
  if (step.until.length === 0) throw new InputError(step.source, `"${step.text}" never ends: give "until …" or "for …"`);
  if (step.kind === 'rest' && step.until.some((c) => c.kind === 'current')) throw new InputError(step.source, 'a rest has no current to fall below');
  return step;
}

/** One text step. */
export function parseStepText(text: string, source: string): ProtocolStep {
  const t = text.trim().replace(/\s+/g, ' ');
  const tail = (s: string | undefined) => {
    // "until A or B", "for D", or both in either order
    const until: Condition[] = [];
    let rest = (s ?? '').trim();
    while (rest) {
      const m = /^(until|for)\s+(.+?)(?=\s+(?:until|for)\s+|$)/i.exec(rest);
      if (!m) throw new InputError(source, `cannot parse "${rest}" in "${text}" (expected "until …" or "for …")`);
      if (m[1].toLowerCase() === 'until') until.push(...conditionsOf(m[2], source));
      else {
        const c = parseCondition(m[2], source);
        if (c.kind !== 'time') throw new InputError(source, `"for" takes a duration, got "${m[2]}"`);
        until.push(c);
      }
      rest = rest.slice(m[0].length).trim();
    }
    return until;
  };
  let m = /^(charge|discharge) at (.+?)(?:\s+((?:until|for)\s+.*))?$/i.exec(t);
  if (m) {
    return requireEnd({ kind: 'current', direction: m[1].toLowerCase() as 'charge' | 'discharge', current: parseCurrent(m[2], source), until: tail(m[3]), text, source });
  }
  m = /^hold at (.+?)(?:\s+((?:until|for)\s+.*))?$/i.exec(t);
  if (m) {
    const v = parseCondition(m[1], source);
    if (v.kind !== 'voltage') throw new InputError(source, `"Hold at" takes a voltage, got "${m[1]}"`);
    return requireEnd({ kind: 'voltage', voltage: v.value, until: tail(m[2]), text, source });
  }
  m = /^rest(?:\s+((?:until|for)\s+.*))?$/i.exec(t);
  if (m) return requireEnd({ kind: 'rest', until: tail(m[1]), text, source });
  throw new InputError(source, `cannot parse step "${text}" (expected "Charge at …", "Discharge at …", "Hold at … V …" or "Rest for …")`);
}

type RawStep = string | Record<string, unknown>;

/** Parse a whole protocol (list of text or object steps) into a flat list. `source` is e.g. `scenario.yaml: protocol`. */
export function parseProtocol(raw: unknown, source = 'protocol'): ProtocolStep[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new InputError(source, 'expected a non-empty list of steps');
  const out: ProtocolStep[] = [];
  raw.forEach((s: RawStep, i) => out.push(...parseStep(s, `${source}[${i}]`)));
  return out;
}

function parseStep(s: RawStep, source: string): ProtocolStep[] {
  if (typeof s === 'string') return [parseStepText(s, source)];
  if (typeof s !== 'object' || s === null) throw new InputError(source, 'expected a step (text or object)');
  const keys = Object.keys(s);
  const str = (v: unknown, key: string) => {
    if (typeof v !== 'string' && typeof v !== 'number') throw new InputError(`${source}.${key}`, 'expected a value with units');
    return String(v);
  };
  const until = (allowed: string[]) => {
    for (const k of keys) if (!allowed.includes(k)) throw new InputError(`${source}.${k}`, `unknown key (allowed: ${allowed.join(', ')})`);
    const u = s.until as string | string[] | undefined;
    return conditionsOf(u === undefined ? undefined : Array.isArray(u) ? u.map(String) : String(u), `${source}.until`);
  };
  const text = JSON.stringify(s);
  if ('charge' in s || 'discharge' in s) {
    const direction = 'charge' in s ? 'charge' : 'discharge';
    const cond = until([direction, 'until']);
    return [requireEnd({ kind: 'current', direction, current: parseCurrent(str(s[direction], direction), `${source}.${direction}`), until: cond, text, source })];
  }
  if ('hold' in s) {
    const v = parseCondition(str(s.hold, 'hold'), `${source}.hold`);
    if (v.kind !== 'voltage') throw new InputError(`${source}.hold`, 'expected a voltage');
    return [requireEnd({ kind: 'voltage', voltage: v.value, until: until(['hold', 'until']), text, source })];
  }
  if ('rest' in s) {
    for (const k of keys) if (k !== 'rest') throw new InputError(`${source}.${k}`, 'unknown key (allowed: rest)');
    const d = parseCondition(str(s.rest, 'rest'), `${source}.rest`);
    if (d.kind !== 'time') throw new InputError(`${source}.rest`, 'expected a duration');
    return [{ kind: 'rest', until: [d], text, source }];
  }
  if ('pulse' in s) {
    const p = s.pulse as Record<string, unknown>;
    if (typeof p !== 'object' || p === null) throw new InputError(`${source}.pulse`, 'expected {current, direction, on, off, count}');
    const src = `${source}.pulse`;
    const current = parseCurrent(str(p.current, 'current'), `${src}.current`);
    const direction = p.direction === undefined ? 'charge' : p.direction;
    if (direction !== 'charge' && direction !== 'discharge') throw new InputError(`${src}.direction`, 'expected charge or discharge');
    const on = parseCondition(str(p.on, 'on'), `${src}.on`), off = parseCondition(str(p.off, 'off'), `${src}.off`);
    if (on.kind !== 'time' || off.kind !== 'time') throw new InputError(src, 'on and off must be durations');
    const count = Number(p.count);
    if (!Number.isInteger(count) || count < 1) throw new InputError(`${src}.count`, 'expected a positive integer');
    const steps: ProtocolStep[] = [];
    for (let k = 0; k < count; k++) {
      steps.push({ kind: 'current', direction, current, until: [on], text: `pulse ${k + 1}/${count} on`, source: src });
      steps.push({ kind: 'rest', until: [off], text: `pulse ${k + 1}/${count} off`, source: src });
    }
    return steps;
  }
  if ('repeat' in s) {
    const n = Number(s.repeat);
    if (!Number.isInteger(n) || n < 1) throw new InputError(`${source}.repeat`, 'expected a positive integer');
    const inner = parseProtocol(s.steps, `${source}.steps`);
    const out: ProtocolStep[] = [];
    for (let k = 0; k < n; k++) out.push(...inner);
    return out;
  }
  throw new InputError(source, `unknown step ${text} (expected charge, discharge, hold, rest, pulse or repeat)`);
}

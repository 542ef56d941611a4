/**
 * Phase maps: which labels of a segmented volume are which phase, and what role each phase plays.
 *
 * Text form (CLI): "0=pore:electrolyte,1=NMC:active,2=CBD:cbd"; several labels may share a phase
 * with `+`: "0+3=pore:electrolyte". File form (YAML or JSON): a list of
 * `{labels: [0], name: pore, role: electrolyte}` or a mapping `{ "0": "pore:electrolyte", ... }`.
 */
import { InputError } from '../core/errors.js';
import type { VoxelArray } from '../core/volume.js';
import { PHASE_ROLES, type PhaseDef, type PhaseRole } from './rve.js';

export function parsePhaseMapText(text: string, source = '--phases'): PhaseDef[] {
  const entries = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (entries.length === 0) throw new InputError(source, 'empty phase map');
  const raw = entries.map((e) => {
    const m = /^([-+\d\s]+)=([^:=]+):([a-z-]+)$/.exec(e);
    if (!m) throw new InputError(source, `cannot parse "${e}" (expected label=name:role, e.g. 1=NMC:active)`);
    const labels = m[1].split('+').map((s) => Number(s.trim()));
    return { labels, name: m[2].trim(), role: m[3] };
  });
  return buildPhaseDefs(raw, source);
}

/** Build phase definitions from parsed file content (list or mapping form). */
export function phaseMapFromObject(obj: unknown, source: string): PhaseDef[] {
  if (Array.isArray(obj)) {
    return buildPhaseDefs(obj.map((e, i) => {
      if (typeof e !== 'object' || e === null) throw new InputError(`${source}[${i}]`, 'expected {labels, name, role}');
      const r = e as Record<string, unknown>;
      const labels = Array.isArray(r.labels) ? r.labels : r.label !== undefined ? [r.label] : undefined;
      if (!labels) throw new InputError(`${source}[${i}].labels`, 'missing');
      return { labels: labels.map(Number), name: String(r.name ?? ''), role: String(r.role ?? '') };
    }), source);
  }
  if (typeof obj === 'object' && obj !== null) {
    return parsePhaseMapText(Object.entries(obj).map(([k, v]) => `${k}=${v}`).join(','), source);
  }
  throw new InputError(source, 'expected a list or mapping of phases');
}

function buildPhaseDefs(raw: { labels: number[]; name: string; role: string }[], source: string): PhaseDef[] {
  const seenLabels = new Map<number, string>();
  const names = new Set<string>();
  if (raw.length > 255) throw new InputError(source, 'at most 255 phases are supported');
  return raw.map((r, id) => {
    if (!PHASE_ROLES.includes(r.role as PhaseRole)) {
      throw new InputError(source, `phase "${r.name}": unknown role "${r.role}" (expected one of ${PHASE_ROLES.join(', ')})`);
    }
    if (!r.name) throw new InputError(source, `phase ${id}: empty name`);
    if (names.has(r.name)) throw new InputError(source, `phase name "${r.name}" used twice`);
    names.add(r.name);
    for (const l of r.labels) {
      if (!Number.isInteger(l)) throw new InputError(source, `phase "${r.name}": label "${l}" is not an integer`);
      const prev = seenLabels.get(l);
      if (prev !== undefined) throw new InputError(source, `label ${l} mapped to both "${prev}" and "${r.name}"`);
      seenLabels.set(l, r.name);
    }
    return { id, name: r.name, role: r.role as PhaseRole, labels: r.labels };
  });
}

/**
 * Map a label volume to compact phase ids. Labels present but not mapped → InputError listing
 * them; a mapped phase with no voxels → InputError (an empty phase is almost always a wrong map).
 * @param allowEmpty names of phases allowed to be empty (e.g. a separator added later).
 */
export function applyPhaseMap(
  labels: VoxelArray,
  phases: PhaseDef[],
  source: string,
  allowEmpty: (p: PhaseDef) => boolean = () => false,
): Uint8Array {
  if (labels instanceof Float32Array || labels instanceof Float64Array) {
    throw new InputError(source, 'the volume holds floating-point values: segment it first (--thresholds or --otsu)');
  }
  // Map via a lookup over the value range of the dtype (at most 2^16 for the common cases).
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < labels.length; i++) { const v = labels[i]; if (v < min) min = v; if (v > max) max = v; }
  if (labels.length === 0) throw new InputError(source, 'the volume is empty');
  const span = max - min + 1;
  if (span > 1 << 24) throw new InputError(source, `label range ${min}..${max} is too wide for a phase map`);
  const lut = new Int16Array(span).fill(-1);
  for (const p of phases) for (const l of p.labels) if (l >= min && l <= max) lut[l - min] = p.id;
  const out = new Uint8Array(labels.length);
  const counts = new Float64Array(phases.length);
  const unmapped = new Set<number>();
  for (let i = 0; i < labels.length; i++) {
    const id = lut[labels[i] - min];
    if (id < 0) { unmapped.add(labels[i]); continue; }
    out[i] = id;
    counts[id]++;
  }
  if (unmapped.size > 0) {
    const list = [...unmapped].sort((a, b) => a - b);
    const shown = list.slice(0, 20).join(', ') + (list.length > 20 ? `, … (${list.length} in all)` : '');
    throw new InputError(source, `labels present in the volume but not in the phase map: ${shown}`);
  }
  for (const p of phases) {
    if (counts[p.id] === 0 && !allowEmpty(p)) {
      throw new InputError(source, `phase "${p.name}" (labels ${p.labels.join('+')}) has no voxels in the volume`);
    }
  }
  return out;
}

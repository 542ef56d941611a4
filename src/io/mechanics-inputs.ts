/**
 * File inputs of the mechanics commands: material files (materials/*.yaml, by id or path) and
 * lattice-parameter tables (materials/lattice/*.yaml, by id or path), parsed and compiled.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { InputError } from '../core/errors.js';
import { compileLatticeTable, type EulerAngles, type LatticeTable } from '../physics/chemical-strain.js';
import { compileMaterial, type Material } from '../physics/material-law.js';
import { MATERIALS_DIR } from './scenario.js';

/** The package's materials/lattice/ folder. */
export const LATTICE_DIR = path.join(MATERIALS_DIR, 'lattice');

const isPath = (text: string): boolean => /\.(ya?ml|json)$/i.test(text) || text.includes('/') || text.includes('\\');

function listIds(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')).sort();
}

function parseFile(file: string, shown: string): unknown {
  try {
    return /\.json$/i.test(file) ? JSON.parse(readFileSync(file, 'utf8')) : YAML.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InputError(shown, `cannot parse: ${(err as Error).message.split('\n')[0]}`);
  }
}

/** A material by id (materials/<id>.yaml) or by path; `option` names the CLI option for errors. */
export function loadMaterialRef(ref: string, option: string): Material {
  const file = isPath(ref) ? path.resolve(ref) : path.join(MATERIALS_DIR, `${ref}.yaml`);
  if (!existsSync(file)) {
    throw new InputError(option, isPath(ref) ? `material file ${ref} not found` : `no material "${ref}" (available: ${listIds(MATERIALS_DIR).join(', ')}; or give a path)`);
  }
  return compileMaterial(parseFile(file, ref), isPath(ref) ? ref : `materials/${ref}.yaml`);
}

/** A lattice table by id (materials/lattice/<id>.yaml) or by path. */
export function loadLatticeRef(ref: string, option: string): LatticeTable {
  const file = isPath(ref) ? path.resolve(ref) : path.join(LATTICE_DIR, `${ref}.yaml`);
  if (!existsSync(file)) {
    const ids = listIds(LATTICE_DIR);
    throw new InputError(option, isPath(ref) ? `lattice table ${ref} not found` : `no lattice table "${ref}" (shipped: ${ids.length ? ids.join(', ') : 'none'}; or give a path)`);
  }
  return compileLatticeTable(parseFile(file, ref), isPath(ref) ? ref : `materials/lattice/${ref}.yaml`);
}

/**
 * The shipped lattice table (materials/lattice/*.yaml) whose `materials` list names `materialId`,
 * or undefined. InputError when more than one does (ambiguous: give --lattice).
 */
export function latticeForMaterial(materialId: string): LatticeTable | undefined {
  const found: LatticeTable[] = [];
  for (const id of listIds(LATTICE_DIR)) {
    const t = compileLatticeTable(parseFile(path.join(LATTICE_DIR, `${id}.yaml`), `materials/lattice/${id}.yaml`), `materials/lattice/${id}.yaml`);
    if (t.file.materials?.includes(materialId)) found.push(t);
  }
  if (found.length > 1) throw new InputError('--lattice', `${materialId}: several lattice tables apply (${found.map((t) => t.id).join(', ')}); choose one with --lattice phase=<id>`);
  return found[0];
}

/**
 * Orientations from a text file: one line per particle (or grain) `id φ1 Φ φ2`, Bunge Euler angles
 * in DEGREES, separated by spaces, tabs or commas; `#` starts a comment; a header line starting
 * with a letter is skipped. Returned in radians. InputError naming the file and line.
 */
export function loadOrientations(file: string, option = '--orientations'): Map<number, EulerAngles> {
  if (!existsSync(file)) throw new InputError(option, `file ${file} not found`);
  const out = new Map<number, EulerAngles>();
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  const d2r = Math.PI / 180;
  lines.forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line || /^[A-Za-z]/.test(line)) return;
    const f = line.split(/[\s,;]+/).map(Number);
    if (f.length !== 4 || f.some((v) => !Number.isFinite(v))) throw new InputError(`${file}:${i + 1}`, `expected "id phi1 Phi phi2" (degrees), got "${raw.trim()}"`);
    if (!(Number.isInteger(f[0]) && f[0] >= 1)) throw new InputError(`${file}:${i + 1}`, `id must be an integer ≥ 1, got ${f[0]}`);
    if (out.has(f[0])) throw new InputError(`${file}:${i + 1}`, `id ${f[0]} given twice`);
    out.set(f[0], [f[1] * d2r, f[2] * d2r, f[3] * d2r]);
  });
  if (out.size === 0) throw new InputError(option, `${file} has no orientation lines`);
  return out;
}

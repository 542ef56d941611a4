/**
 * File inputs of the mechanics commands: material files (materials/*.yaml, by id or path) and
 * lattice-parameter tables (materials/lattice/*.yaml, by id or path), parsed and compiled.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { InputError } from '../core/errors.js';
import { compileLatticeTable, type LatticeTable } from '../physics/chemical-strain.js';
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

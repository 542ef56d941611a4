/**
 * The voxel representative volume element (RVE): a labelled voxel grid plus what the solvers
 * need. One voxel = one finite-volume cell = one trilinear hexahedral element.
 *
 * Phase ids are compact (0..phases.length-1) in the order of the phase map; `phases[i].labels`
 * keeps the labels of the source volume that map to phase i (layers added by padding have none).
 */
import type { Axis, Shape3, Vec3 } from '../core/volume.js';

export const PHASE_ROLES = ['electrolyte', 'active', 'cbd', 'separator', 'current-collector', 'ignore'] as const;
export type PhaseRole = (typeof PHASE_ROLES)[number];

export interface PhaseDef {
  /** Compact id stored in `Rve.phase`. */
  id: number;
  name: string;
  role: PhaseRole;
  /** Labels in the source volume that map to this phase. */
  labels: number[];
}

export type Side = 'low' | 'high';

export interface Rve {
  /** [nx, ny, nz] */
  shape: Shape3;
  /** Voxel edge lengths [m]. */
  voxelSize: Vec3;
  /** Phase id per voxel, flat index x + nx*(y + ny*z). */
  phase: Uint8Array;
  phases: PhaseDef[];
  /** Through-thickness axis (separator ↔ current collector). */
  thicknessAxis: Axis;
  /** Which end of the thickness axis faces the separator. */
  separatorSide: Side;
  /** Particle id per voxel (0 = not in a particle; 1..N), once particles are labelled. */
  particle?: Int32Array;
}

export function phaseByName(rve: Pick<Rve, 'phases'>, name: string): PhaseDef | undefined {
  return rve.phases.find((p) => p.name === name);
}

export function phasesWithRole(rve: Pick<Rve, 'phases'>, role: PhaseRole): PhaseDef[] {
  return rve.phases.filter((p) => p.role === role);
}

/** Boolean mask (1/0) of voxels whose phase satisfies `pred`. */
export function phaseMask(rve: Pick<Rve, 'phase' | 'phases'>, pred: (p: PhaseDef) => boolean): Uint8Array {
  const lut = new Uint8Array(256);
  for (const p of rve.phases) lut[p.id] = pred(p) ? 1 : 0;
  const out = new Uint8Array(rve.phase.length);
  const ph = rve.phase;
  for (let i = 0; i < ph.length; i++) out[i] = lut[ph[i]];
  return out;
}

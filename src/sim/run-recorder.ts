/**
 * What `lithomech run` records, as the simulation layer hands it out. The runner (src/sim/run.ts)
 * calls a `RunRecorder`; src/io/run-writer.ts implements it with files (timeseries.csv,
 * fields.pvd + .vti snapshots, particles CSVs, summary.json, the voltage plot). Tests may record
 * in memory.
 */

/** One row of timeseries.csv (SI units; the column names carry them). */
export interface TimeseriesRow {
  time_s: number;
  /** Index of the protocol step (0-based, after repeats are expanded). */
  step: number;
  /** Applied current [A]; positive on charge (as the protocol's direction says). */
  current_A: number;
  /** current_A per area of the RVE's collector face [A/m²]. */
  current_density_A_m2: number;
  /** Working electrode vs Li metal [V]. */
  voltage_V: number;
  /** Mean state of charge of the working electrode. */
  soc: number;
  /** Charge passed since the start, Σ |I| dt [A h]. */
  capacity_Ah: number;
  /** Mean and max |η| over the interface faces (area-weighted mean) [V]. */
  overpotential_mean_V: number;
  overpotential_max_V: number;
  /** Volume means of c_s (active) and c_e (electrolyte, pore-volume weighted) [mol/m³]. */
  c_s_mean_mol_m3: number;
  c_e_mean_mol_m3: number;
  c_e_min_mol_m3: number;
  c_e_max_mol_m3: number;
  /**
   * With mechanics only (scenario `mechanics.enabled`; solved after every accepted step): mean
   * normal displacement of the separator-side solid surface (outwards positive) [m], the same per
   * electrode thickness, volume-mean strain tensor components over the solid skeleton (tensor
   * shear components, half the engineering shear), and the largest von Mises stress [Pa].
   */
  thickness_change_m?: number;
  thickness_strain?: number;
  eps_xx_mean?: number;
  eps_yy_mean?: number;
  eps_zz_mean?: number;
  eps_yz_mean?: number;
  eps_xz_mean?: number;
  eps_xy_mean?: number;
  von_mises_max_Pa?: number;
}

/** One per-voxel field of a snapshot (NaN where it is not defined). */
export interface SnapshotField {
  name: string;
  data: Float64Array | Float32Array | Int32Array | Uint8Array;
}

/** One row of a snapshot's particle table. */
export interface ParticleSnapshotRow {
  particle: number;
  /** Distance of the particle centroid from the separator-side face of the electrode [m]. */
  depth_m: number;
  volume_m3: number;
  /** Volume-mean SoC and the mean SoC of its surface cells. */
  soc_mean: number;
  soc_surface: number;
  /** SoC change since the start of the run (volume mean). */
  soc_change: number;
  /** Area-weighted mean |j| over its interface faces [A/m²]. */
  current_density_abs_mean_A_m2: number;
  /**
   * With mechanics only (scenario `mechanics.enabled`; NaN when none of the particle's
   * voxels is in the elastic problem): max and mean von Mises stress over its voxels [Pa], mean
   * hydrostatic stress [Pa] (tension positive), and its volume change ΔV/V = mean tr ε (total
   * strain relative to the start of the run).
   */
  von_mises_max_Pa?: number;
  von_mises_mean_Pa?: number;
  hydrostatic_mean_Pa?: number;
  volume_change?: number;
  /** Mean displacement of the particle's voxel centres [m] (with mechanics only). */
  centroid_displacement_x_m?: number;
  centroid_displacement_y_m?: number;
  centroid_displacement_z_m?: number;
}

export interface Snapshot {
  /** 0, 1, 2, … in order. */
  index: number;
  time_s: number;
  soc: number;
  voltage_V: number;
  /** Why it was taken ('start', 'every 60 s', 'soc 0.5', 'end of step 2', 'end'). */
  reason: string;
  fields: SnapshotField[];
  /** Per-grid-point fields ((nx+1)(ny+1)(nz+1) points × components), e.g. the displacement. */
  pointFields?: { name: string; data: Float64Array; components: number }[];
  particles: ParticleSnapshotRow[];
}

export interface RunSummary {
  status: 'complete' | 'incomplete';
  /** When incomplete: the error that stopped the run (one line). */
  error?: string;
  /** Protocol steps completed, and the total. */
  stepsCompleted: number;
  stepsTotal: number;
  /** How each step ended ('cut-off 4.3 V', 'duration', …). */
  stepEnds: { step: number; text: string; endedBy: string; time_s: number }[];
  /** Working-electrode capacity between the two stoichiometries [A h] (what 1C refers to). */
  nominalCapacity_Ah: number;
  /** Charge passed on charge and on discharge [A h], energy [W h] (∫ V I dt, positive in). */
  chargeCapacity_Ah: number;
  dischargeCapacity_Ah: number;
  energy_Wh: number;
  /** Relative Li balance error over the whole run: |ΔLi(solid + electrolyte) − ∫ metal flux| / Li(solid). */
  lithiumBalanceError: number;
  /** Relative charge balance error: |∫ I_collector − ∫ Σ j A| / ∫ |I|. */
  chargeBalanceError: number;
  /** Largest per-step relative Li balance error. */
  lithiumBalanceErrorMaxStep: number;
  solver: Record<string, unknown>;
  wallTime_s: number;
  couplings: Record<string, boolean | string>;
  rve: Record<string, unknown>;
  /** Mechanics (scenario `mechanics.enabled`): set-up, solver totals and per-snapshot results. */
  mechanics?: Record<string, unknown>;
  snapshots: { index: number; time_s: number; soc: number; reason: string; file: string }[];
}

export interface RunRecorder {
  /** The resolved scenario, written first. */
  start(resolved: Record<string, unknown>): Promise<void>;
  timeseries(row: TimeseriesRow): void;
  snapshot(s: Snapshot): Promise<void>;
  /** Last call: writes summary.json (status complete or incomplete), the pvd and the plot. */
  finish(summary: RunSummary): Promise<void>;
}

/**
 * `lithomech run`: the coupled half cell (src/assembly/cell-model.ts) driven through a cycling
 * protocol by the adaptive BDF integrator, recording through a `RunRecorder`.
 *
 * - Each protocol step starts a fresh BDF history (the control jumps: BDF1 first, then BDF2).
 * - Step ends: durations are landed on exactly; voltage, current and SoC cut-offs are detected
 *   after a step and then landed on by re-taking the crossing step with a secant-chosen dt from
 *   the saved state, until the quantity is within `cutoffTolerance` of the cut-off.
 * - Snapshot times are landed on exactly (so fields at 150 s are at 150 s).
 * - Li balance: the discrete identity Σ_j a_j L_{n+1−j} = Φ_{n+1} (BDF weights a_j, L = Li in the
 *   particles + salt in the electrolyte, Φ = Li⁺ flux from the metal) is checked on every step;
 *   the largest per-step error, relative to L·(1/dt), is reported and must stay below
 *   `lithiumTolerance` (default 1e-9), otherwise the run stops with an error.
 * - A failed step (Newton/linear non-convergence after the dt reductions) ends the run with
 *   status `incomplete` and the error (with the last residual); what was recorded stays valid.
 */
import { InputError } from '../core/errors.js';
import { CellModel, type CellState } from '../assembly/cell-model.js';
import { JacobiPreconditioner } from '../linalg/jacobi-preconditioner.js';
import { CellPreconditioner } from '../assembly/cell-preconditioner.js';
import type { CsrMatrix } from '../linalg/csr-matrix.js';
import type { MultigridOptions } from '../linalg/multigrid-preconditioner.js';
import { electrodeExtent } from '../mesh/ops.js';
import { activeMaterialLaws } from '../physics/active-material.js';
import { ConcentratedElectrolyte } from '../physics/concentrated-electrolyte.js';
import { FARADAY } from '../physics/constants.js';
import { BdfIntegrator, bdfCoefficients, TimeStepError, type StepInfo } from '../time/bdf.js';
import type { Condition, CurrentSpec, ProtocolStep } from './protocol.js';
import { MechanicsSolveError, RunMechanics } from './run-mechanics.js';
import type { ParticleSnapshotRow, RunRecorder, RunSummary, TimeseriesRow } from './run-recorder.js';
import type { ScenarioSpec } from './scenario-spec.js';

export interface RunOptions {
  /** Called after every accepted step. */
  onProgress?: (p: { time: number; step: number; stepsTotal: number; soc: number; voltage: number; text: string }) => void;
  /** Largest allowed per-step relative Li balance error (default 1e-9). */
  lithiumTolerance?: number;
  /** Voltage cut-offs are landed on within this many volts (default 1e-4). */
  cutoffTolerance?: number;
  /** Multigrid options of the field blocks (default V-cycles). */
  multigrid?: MultigridOptions;
}

export interface RunResult {
  summary: RunSummary;
  model: CellModel;
  y: Float64Array;
}

/** Thrown (after the recorder finished an incomplete run) when a run cannot go on. */
export class RunError extends Error {
  constructor(message: string, readonly summary: RunSummary) {
    super(message);
    this.name = 'RunError';
  }
}

/** Build the coupled model of a scenario. */
export function buildCellModel(spec: ScenarioSpec): CellModel {
  const act = spec.electrode.active;
  if (act.length !== 1) {
    const ids = new Set(act.map((a) => a.material.id));
    if (ids.size !== 1) throw new InputError(`${spec.source}: electrode.active`, `several active materials (${[...ids].join(', ')}) in one electrode are not supported yet`);
  }
  const T = spec.temperature;
  const laws = activeMaterialLaws(act[0].material, T);
  const electrolyte = ConcentratedElectrolyte.fromMaterial(spec.electrolyte.material).tabulated(T);
  return new CellModel(spec.rve, {
    active: laws, electrolyte, counterElectrode: spec.counterElectrode.material, temperature: T,
    cbd: spec.electrode.cbd ?? null, separator: spec.electrode.separator ?? null,
    collectorConductivity: spec.electrode.collectorConductivity,
  });
}

/** Nominal capacity [C] of the working electrode between the two stoichiometries. */
export function nominalCapacity(model: CellModel, spec: ScenarioSpec): number {
  const { soc0, soc100 } = spec.electrode.stoichiometry;
  return FARADAY * model.active.cMax * Math.abs(soc100 - soc0) * model.solid.totalVolume;
}

function currentValue(c: CurrentSpec, capacityC: number, area: number): number {
  if (c.kind === 'c-rate') return (c.value * capacityC) / 3600;
  if (c.kind === 'density') return c.value * area;
  return c.value;
}

export async function runScenario(spec: ScenarioSpec, recorder: RunRecorder, opts: RunOptions = {}): Promise<RunResult> {
  const wall0 = performance.now();
  const model = buildCellModel(spec);
  const n = model.n;
  const { soc0, soc100 } = spec.electrode.stoichiometry;
  const socOf = (x: number) => (x - soc0) / (soc100 - soc0);
  const x0 = soc0 + spec.electrode.initialSoc * (soc100 - soc0);
  let y = model.initialState(x0, spec.electrolyte.initialConcentration);
  const capacity = nominalCapacity(model, spec);
  const area = model.collectorArea;
  const sign = (dir: 'charge' | 'discharge') => ((dir === 'charge') === (spec.electrode.polarity === 'positive') ? 1 : -1);
  const chargeSign = spec.electrode.polarity === 'positive' ? 1 : -1; // I_we > 0 is "charge" for a positive electrode
  const liTol = opts.lithiumTolerance ?? 1e-9;
  const vTol = opts.cutoffTolerance ?? 1e-4;
  const tm = spec.solver.time;
  const lin = spec.solver.linear;
  // the preset's multigrid options; the K-cycle by default (≈ half the GMRES iterations of a V-cycle here)
  const mgOpts: MultigridOptions = opts.multigrid ?? { cycle: 'K', ...lin.multigrid };
  // error-test tolerances per unknown: concentrations relative to their scale; the potentials are
  // algebraic (determined by the concentrations) and jump when the control changes, so they are
  // left out of the local error test (as IDA's suppressalg), with an atol of 1e30
  const atol = new Float64Array(n).fill(1e30);
  atol.fill(1e-6 * model.active.cMax, 0, model.nS);
  for (let i = 0; i < model.nE; i++) atol[model.oE + 2 * i] = 1e-6 * spec.electrolyte.initialConcentration;

  // particles: depth and volume
  const ext = electrodeExtent(spec.rve);
  const partInfo = particleGeometry(model, ext);
  const initialX = particleMeans(model, y, partInfo).mean;

  // bookkeeping
  const rows: TimeseriesRow[] = [];
  const stepEnds: RunSummary['stepEnds'] = [];
  const snapshots: RunSummary['snapshots'] = [];
  let chargeAh = 0, dischargeAh = 0, energyWh = 0, capacityAh = 0;
  let collectorCharge = 0, reactionCharge = 0, absCharge = 0;
  let liErrMax = 0;
  const solverStats = { steps: 0, rejectedSteps: 0, newtonIterations: 0, linearIterations: 0, newtonFailures: 0, preconditionerSetups: 0, preconditionerSeconds: 0 };
  const L0 = { total: 0 };
  let stepsCompleted = 0;
  let current = 0;
  let st: CellState = model.state(y, 0);
  L0.total = st.solidLithium + st.electrolyteSalt;
  let t = 0;
  let snapIndex = 0;
  const everyTimes = spec.output.snapshotEvery > 0 ? spec.output.snapshotEvery : Infinity;
  const fixedTimes = [...spec.output.snapshotTimes].sort((a, b) => a - b);
  let nextEvery = everyTimes;
  const socTargets = [...spec.output.snapshotSocs];
  const initialSocValue = socOf(st.meanStoichiometry);

  // mechanics (src/sim/run-mechanics.ts): built on the initial stoichiometry (the stress-free
  // reference), then solved after every accepted step; a snapshot reuses that step's solve
  const stoichiometryField = (yy: Float64Array): Float64Array => {
    const c = yy.subarray(0, model.nS), x = new Float64Array(model.nS);
    for (let i = 0; i < model.nS; i++) x[i] = c[i] / model.active.cMax;
    return model.solid.toVoxels(x);
  };
  const mech = spec.mechanics?.enabled ? new RunMechanics(spec.rve, spec.mechanics, stoichiometryField(y)) : undefined;
  if (mech && spec.mechanics!.coupling === 'two-way') model.setStressCoupling(mech.stressPotentialProvider(model.solid, model.active.cMax), spec.mechanics!.stressInPotential);
  const mechSnapshots: Record<string, unknown>[] = [];
  const mechStats = { solves: 0, cgIterations: 0, cgIterationsMax: 0, seconds: 0 };
  let lastMech: ReturnType<RunMechanics['solve']> | undefined;
  const solveMechanics = (where: string) => {
    if (!mech) return undefined;
    const t0 = performance.now();
    try {
      const m = mech.solve(stoichiometryField(y), t);
      if (m === lastMech) return m; // the same state again (a snapshot right after its step)
      lastMech = m;
      mechStats.solves++; mechStats.cgIterations += m.iterations; mechStats.cgIterationsMax = Math.max(mechStats.cgIterationsMax, m.iterations);
      mechStats.seconds += (performance.now() - t0) / 1000;
      return m;
    } catch (err) {
      // a mechanics solve that fails ends the run like a failed step: outputs so far stay valid
      throw new RunError(`mechanics ${where} (t = ${t.toFixed(3)} s): ${(err as Error).message}`, summaryOf('incomplete'));
    }
  };
  const makeRow = (time: number, stepIdx: number, s: CellState): TimeseriesRow => {
    const row: TimeseriesRow = {
      time_s: time, step: stepIdx, current_A: current * chargeSign, current_density_A_m2: (current * chargeSign) / area,
      voltage_V: s.voltage, soc: socOf(s.meanStoichiometry), capacity_Ah: capacityAh,
      overpotential_mean_V: s.overpotentialMean, overpotential_max_V: s.overpotentialMax,
      c_s_mean_mol_m3: s.csMean, c_e_mean_mol_m3: s.ceMean, c_e_min_mol_m3: s.ceMin, c_e_max_mol_m3: s.ceMax,
    };
    const m = spec.mechanics?.solveAt === 'snapshots' ? undefined : solveMechanics(`after step ${stepIdx + 1}`);
    if (mech && !m) {
      Object.assign(row, { thickness_change_m: NaN, thickness_strain: NaN, eps_xx_mean: NaN, eps_yy_mean: NaN, eps_zz_mean: NaN, eps_yz_mean: NaN, eps_xz_mean: NaN, eps_xy_mean: NaN, von_mises_max_Pa: NaN });
    } else if (m) {
      const e = m.meanSolidStrain; // Voigt, engineering shear
      Object.assign(row, {
        thickness_change_m: m.thicknessChange_m, thickness_strain: m.thicknessStrain,
        eps_xx_mean: e[0], eps_yy_mean: e[1], eps_zz_mean: e[2], eps_yz_mean: e[3] / 2, eps_xz_mean: e[4] / 2, eps_xy_mean: e[5] / 2,
        von_mises_max_Pa: m.maxVonMises_Pa,
      });
    }
    return row;
  };
  const record = (row: TimeseriesRow) => { rows.push(row); recorder.timeseries(row); };
  const snapshot = async (reason: string, s: CellState) => {
    const pm = particleMeans(model, y, partInfo);
    const particles: ParticleSnapshotRow[] = partInfo.ids.map((id, k) => ({
      particle: id, depth_m: partInfo.depth[k], volume_m3: partInfo.volume[k],
      soc_mean: socOf(pm.mean[k]), soc_surface: socOf(pm.surface[k]), soc_change: socOf(pm.mean[k]) - socOf(initialX[k]),
      current_density_abs_mean_A_m2: pm.absJ[k],
    }));
    const fields = model.fields(y);
    const soc = socOf(s.meanStoichiometry);
    const extra: { name: string; data: Float64Array }[] = [];
    const pointFields: { name: string; data: Float64Array; components: number }[] = [];
    const m = solveMechanics(`at snapshot ${snapIndex}`); // the cached solve of this state
    if (m) {
      extra.push(...(m.fields as { name: string; data: Float64Array }[]));
      pointFields.push({ name: 'displacement', data: m.displacement, components: 3 });
      particles.forEach((row, k) => {
        const pmech = m.particles.get(partInfo.ids[k]);
        row.von_mises_max_Pa = pmech?.vonMisesMax ?? Number.NaN; row.von_mises_mean_Pa = pmech?.vonMisesMean ?? Number.NaN;
        row.hydrostatic_mean_Pa = pmech?.hydrostaticMean ?? Number.NaN; row.volume_change = pmech?.volumeChange ?? Number.NaN;
        row.centroid_displacement_x_m = pmech?.centroidDisplacement[0] ?? Number.NaN;
        row.centroid_displacement_y_m = pmech?.centroidDisplacement[1] ?? Number.NaN;
        row.centroid_displacement_z_m = pmech?.centroidDisplacement[2] ?? Number.NaN;
      });
      mechSnapshots.push({
        index: snapIndex, time_s: t, thicknessChange_m: m.thicknessChange_m, thicknessStrain: m.thicknessStrain,
        meanSolidStrain: m.meanSolidStrain, meanActiveStrain: m.meanActiveStrain, maxVonMises_Pa: m.maxVonMises_Pa, maxEigenstrain: m.maxEigenstrain,
        cgIterations: m.iterations, relativeResidual: m.relativeResidual, seconds: m.seconds,
      });
    }
    await recorder.snapshot({ index: snapIndex, time_s: t, soc, voltage_V: s.voltage, reason, fields: [...fields, ...extra, { name: 'phase', data: spec.rve.phase }, ...(spec.rve.particle ? [{ name: 'particle', data: spec.rve.particle }] : [])], pointFields, particles });
    snapshots.push({ index: snapIndex, time_s: t, soc, reason, file: `fields/fields_${String(snapIndex).padStart(4, '0')}.vti` });
    snapIndex++;
  };

  const summaryOf = (status: 'complete' | 'incomplete', error?: string): RunSummary => {
    const L = st.solidLithium + st.electrolyteSalt;
    // whole-run balance: change of L vs the metal flux integrated with the same BDF weights
    const liErr = Math.abs(L - L0.total - metalLi) / L;
    return {
      status, ...(error ? { error } : {}),
      stepsCompleted, stepsTotal: spec.protocol.length, stepEnds,
      nominalCapacity_Ah: capacity / 3600, chargeCapacity_Ah: chargeAh, dischargeCapacity_Ah: dischargeAh, energy_Wh: energyWh,
      lithiumBalanceError: liErr, chargeBalanceError: absCharge > 0 ? Math.abs(collectorCharge - reactionCharge) / absCharge : 0,
      lithiumBalanceErrorMaxStep: liErrMax,
      solver: { linear: lin, time: tm, ...solverStats, unknowns: n, reactionFaces: model.faceCount },
      wallTime_s: (performance.now() - wall0) / 1000,
      couplings: {
        solidDiffusion: true, electronConduction: true, electrolyte: 'concentrated solution (κ, D, t₊, TDF of c_e)',
        butlerVolmer: 'per voxel face, corrected areas, surface concentration extrapolated', counterElectrode: 'Li metal (Butler–Volmer)',
        mechanics: !spec.mechanics?.enabled ? false : spec.mechanics.coupling === 'two-way' ? 'two-way, solved inside Newton'
          : spec.mechanics.solveAt === 'snapshots' ? 'one-way, solved at the snapshots' : 'one-way, solved after every accepted step',
        stressInPotential: spec.mechanics?.stressInPotential === true, thermal: 'isothermal',
      },
      ...(mech ? { mechanics: { ...mech.setupSummary(), ...mechStats, coupledSolves: mech.coupledSolves, coupledCgIterations: mech.coupledIterations, snapshots: mechSnapshots } } : {}),
      rve: {
        shape: spec.rve.shape, voxelSize_m: spec.rve.voxelSize, activeVoxels: model.nS, conductingVoxels: model.nP, electrolyteVoxels: model.nE,
        reactionArea_m2: model.reactionArea, collectorArea_m2: area, activeVoxelsNotConnectedToCollector: model.activeVoxelsNotConnected, floatingConductorVoxels: model.floatingConductorVoxels,
        particles: partInfo.ids.length, i0Tabulated: model.active.i0Separable, ...spec.rveOrigin,
      },
      snapshots,
    };
  };

  let metalLi = 0; // ∫ Φ dt with the BDF weights
  const resolveI = (c: CurrentSpec) => currentValue(c, capacity, area);
  await recorder.start(spec.resolved);
  record(makeRow(0, 0, st));

  try {
    await snapshot('start', st);
    for (let si = 0; si < spec.protocol.length; si++) {
      const step = spec.protocol[si];
      // control
      if (step.kind === 'current') {
        current = sign(step.direction) * currentValue(step.current, capacity, area);
        model.control = { mode: 'current', current };
      } else if (step.kind === 'voltage') {
        model.control = { mode: 'voltage', voltage: step.voltage };
      } else {
        current = 0;
        model.control = { mode: 'current', current: 0 };
      }
      const tStart = t;
      const duration = step.until.find((c): c is Extract<Condition, { kind: 'time' }> => c.kind === 'time')?.value ?? Infinity;
      // safety: a current step without a cut-off within 1.5× the time to pass the nominal capacity fails
      const safety = step.kind === 'current' && Math.abs(current) > 0 ? (1.5 * capacity) / Math.abs(current) : Infinity;
      const tEnd = tStart + Math.min(duration, safety);
      let integ = makeIntegrator(model, y, t, tm, lin, atol, mgOpts, solverStats);
      const hist: { t: number; L: number; Q: number }[] = [{ t, L: st.solidLithium + st.electrolyteSalt, Q: metalLi }];
      const startValues = conditionValues(step, st, current, socOf);
      let endedBy = '';
      for (;;) {
        const yPrev = Float64Array.from(integ.y), tPrev = integ.t, stPrev = st, histPrev = hist.map((h) => ({ ...h }));
        const nextSnap = Math.min(nextEvery, fixedTimes.find((x) => x > t + 1e-9) ?? Infinity);
        const limit = Math.min(tEnd, nextSnap);
        let info: StepInfo = integ.step(limit);
        let yNew = integ.y;
        let stNew = model.state(yNew, integ.t);
        let crossed = crossing(step, startValues, stNew, stPrev, resolveI, socOf, vTol);
        // land on a cut-off
        for (let it = 0; crossed && it < 12; it++) {
          if (Math.abs(crossed.miss) <= crossed.tol) break;
          const dtTry = Math.max(tm.minStep, crossed.fraction * (integ.t - tPrev));
          integ = makeIntegrator(model, yPrev, tPrev, tm, lin, atol, mgOpts, solverStats, dtTry);
          hist.length = 0;
          hist.push(...histPrev);
          info = integ.step(tPrev + dtTry);
          yNew = integ.y;
          stNew = model.state(yNew, integ.t);
          crossed = crossing(step, startValues, stNew, stPrev, resolveI, socOf, vTol);
          if (!crossed) {
            // landed just before the cut-off: continue from here with a fresh history
            break;
          }
        }
        // accept
        const dt = integ.t - tPrev;
        t = integ.t;
        y = Float64Array.from(yNew);
        st = stNew;
        if (step.kind === 'voltage') current = st.collectorCurrent;
        solverStats.steps++;
        // Li balance with the BDF weights of this step: Σ a_j L_j = Φ (per step), and the metal's Li
        // Q integrated with the same weights (Σ a_j Q_j = Φ), so that L − Q is conserved discretely
        const phi = st.metalCurrent / FARADAY;
        hist.unshift({ t, L: st.solidLithium + st.electrolyteSalt, Q: 0 });
        const q = Math.min(info.order, hist.length - 1);
        const a = bdfCoefficients(hist.slice(0, q + 1).map((h) => h.t));
        let lhs = 0, qh = 0;
        for (let j = 0; j <= q; j++) lhs += a[j] * hist[j].L;
        for (let j = 1; j <= q; j++) qh += a[j] * hist[j].Q;
        hist[0].Q = (phi - qh) / a[0];
        metalLi = hist[0].Q;
        const err = (Math.abs(lhs - phi) * dt) / (st.solidLithium + st.electrolyteSalt);
        if (err > liErrMax) liErrMax = err;
        if (hist.length > 3) hist.length = 3;
        if (err > liTol) throw new RunError(`step ${si + 1} (${step.text}) at t = ${t.toFixed(3)} s: Li balance error ${err.toExponential(2)} > ${liTol} (Newton or linear tolerance too loose)`, summaryOf('incomplete'));
        // bookkeeping
        const I = st.collectorCurrent;
        capacityAh += (Math.abs(I) * dt) / 3600;
        if (I * chargeSign > 0) chargeAh += (Math.abs(I) * dt) / 3600; else dischargeAh += (Math.abs(I) * dt) / 3600;
        energyWh += (st.voltage * I * dt) / 3600;
        collectorCharge += I * dt; reactionCharge += st.reactionCurrent * dt; absCharge += Math.abs(I) * dt;
        if (step.kind !== 'voltage') current = model.control.mode === 'current' ? model.control.current : current;
        record(makeRow(t, si, st));
        opts.onProgress?.({ time: t, step: si, stepsTotal: spec.protocol.length, soc: socOf(st.meanStoichiometry), voltage: st.voltage, text: step.text });
        // snapshots
        if (t >= nextEvery - 1e-9) { await snapshot(`every ${spec.output.snapshotEvery} s`, st); while (nextEvery <= t + 1e-9) nextEvery += everyTimes; }
        else if (fixedTimes.some((x) => Math.abs(x - t) <= 1e-9)) await snapshot(`t = ${t} s`, st);
        const soc = socOf(st.meanStoichiometry), socPrev = socOf(stPrev.meanStoichiometry);
        for (let k = socTargets.length - 1; k >= 0; k--) {
          if ((socPrev - socTargets[k]) * (soc - socTargets[k]) <= 0 && socPrev !== soc) { await snapshot(`soc ${socTargets[k]}`, st); socTargets.splice(k, 1); }
        }
        // end of step?
        if (crossed) {
          // a cut-off that could not be landed within its tolerance (e.g. the jump at the start of
          // a step already overshoots it) is accepted, and said so in the step record
          endedBy = Math.abs(crossed.miss) <= crossed.tol ? crossed.what : `${crossed.what} (overshot by ${crossed.miss.toExponential(2)}, above the landing tolerance ${crossed.tol})`;
          break;
        }
        if (t >= tStart + duration - 1e-9 * Math.max(1, duration)) { endedBy = 'duration'; break; }
        if (t >= tEnd - 1e-9) {
          throw new RunError(`step ${si + 1} (${step.text}): no cut-off reached after passing 1.5× the nominal capacity (${(capacity / 3600).toExponential(3)} A h); voltage ${st.voltage.toFixed(4)} V, SoC ${socOf(st.meanStoichiometry).toFixed(4)}`, summaryOf('incomplete'));
        }
      }
      stepEnds.push({ step: si, text: step.text, endedBy, time_s: t });
      stepsCompleted++;
      if (spec.output.snapshotAtStepEnds) await snapshot(`end of step ${si + 1}`, st);
    }
  } catch (err) {
    let message: string;
    if (err instanceof RunError) message = err.message;
    else if (err instanceof TimeStepError || err instanceof MechanicsSolveError) message = `step ${stepsCompleted + 1} (${spec.protocol[stepsCompleted]?.text}): ${err.message}`;
    else throw err;
    const summary = summaryOf('incomplete', message);
    await recorder.finish(summary);
    throw new RunError(message, summary);
  }
  if (!spec.output.snapshotAtStepEnds) await snapshot('end', st);
  const summary = summaryOf('complete');
  await recorder.finish(summary);
  return { summary, model, y };
}

function makeIntegrator(
  model: CellModel, y: Float64Array, t: number, tm: ScenarioSpec['solver']['time'], lin: ScenarioSpec['solver']['linear'],
  atol: Float64Array, mg: MultigridOptions, stats: { preconditionerSetups: number; preconditionerSeconds: number; newtonIterations: number; linearIterations: number; rejectedSteps: number; newtonFailures: number },
  dt?: number,
): BdfIntegrator {
  return new BdfIntegrator(model.odeProblem(), y, t, {
    order: tm.order, dt: dt ?? tm.initialStep, adaptive: true, rtol: tm.rtol, atol, dtMin: tm.minStep, dtMax: tm.maxStep,
    newton: { maxIterations: tm.newtonMaxIterations, residualRtol: 1e-9, updateTol: 0 },
    linear: {
      method: lin.method, rtol: Math.min(lin.rtol, 1e-6), maxIterations: lin.maxIterations, restart: lin.restart ?? 50,
      // the multigrid hierarchies cost about a third of a solve: keep them while they work
      reusePreconditioner: true,
      // inexact Newton: each linear solve only as far as the Newton target needs
      adaptiveTolerance: true,
      preconditioner: lin.preconditioner === 'none' ? () => undefined : lin.preconditioner === 'jacobi' ? (A) => JacobiPreconditioner.fromOperator(A) : (A) => {
        const p = new CellPreconditioner(model, A as CsrMatrix, mg);
        stats.preconditionerSetups++;
        stats.preconditionerSeconds += p.setupSeconds;
        return p;
      },
    },
    onStep: (info) => {
      stats.newtonIterations += info.newtonIterations;
      stats.linearIterations += info.linearIterations;
      stats.rejectedSteps += info.rejections;
      stats.newtonFailures += info.newtonFailures;
    },
  });
}

interface StartValues { voltage: number; soc: number }

function conditionValues(_step: ProtocolStep, s: CellState, _current: number, socOf: (x: number) => number): StartValues {
  return { voltage: s.voltage, soc: socOf(s.meanStoichiometry) };
}

/**
 * Whether the step's cut-off was crossed between prev and now; `fraction` is the secant estimate
 * of where in the step it happened, `miss` how far past the cut-off the new state is.
 */
function crossing(
  step: ProtocolStep, start: StartValues, now: CellState, prev: CellState, resolveI: (c: CurrentSpec) => number, socOf: (x: number) => number, vTol: number,
): { what: string; fraction: number; miss: number; tol: number } | null {
  for (const c of step.until) {
    if (c.kind === 'voltage') {
      const dir = Math.sign(c.value - start.voltage);
      if (dir === 0) return { what: `cut-off ${c.value} V`, fraction: 1, miss: 0, tol: 1 };
      const a = (prev.voltage - c.value) * dir, b = (now.voltage - c.value) * dir;
      if (b >= 0) return { what: `cut-off ${c.value} V`, fraction: secant(a, b), miss: now.voltage - c.value, tol: vTol };
    } else if (c.kind === 'soc') {
      const s0 = socOf(prev.meanStoichiometry), s1 = socOf(now.meanStoichiometry);
      const dir = Math.sign(c.value - start.soc);
      if (dir === 0) return { what: `SoC ${c.value}`, fraction: 1, miss: 0, tol: 1 };
      const a = (s0 - c.value) * dir, b = (s1 - c.value) * dir;
      if (b >= 0) return { what: `SoC ${c.value}`, fraction: secant(a, b), miss: s1 - c.value, tol: 1e-5 };
    } else if (c.kind === 'current') {
      // |I| falls below the limit (holds)
      const lim = resolveI(c.value);
      if (Math.abs(now.collectorCurrent) <= lim) {
        const a = Math.abs(prev.collectorCurrent) - lim, b = Math.abs(now.collectorCurrent) - lim;
        return { what: 'current limit', fraction: secant(-a, -b), miss: b / lim, tol: 1e-3 };
      }
    }
  }
  return null;
}

/** Where a linear function with values a < 0 (start) and b ≥ 0 (end) crosses 0, as a fraction of the step. */
function secant(a: number, b: number): number {
  if (!(a < 0)) return 1e-3;
  const f = -a / (b - a);
  return Math.min(1, Math.max(1e-3, f));
}

interface ParticleInfo { ids: number[]; index: Int32Array; depth: Float64Array; volume: Float64Array; cellParticle: Int32Array }

function particleGeometry(model: CellModel, ext: [number, number]): ParticleInfo {
  const rve = model.rve;
  const [nx, ny] = rve.shape;
  const ax = rve.thicknessAxis, h = rve.voxelSize[ax];
  const ids = new Map<number, number>();
  const solid = model.solid;
  const cellParticle = new Int32Array(solid.n);
  const sumPos: number[] = [], count: number[] = [];
  for (let i = 0; i < solid.n; i++) {
    const v = solid.voxelOfCell[i];
    const id = rve.particle ? rve.particle[v] : 1;
    let k = ids.get(id);
    if (k === undefined) { k = ids.size; ids.set(id, k); sumPos.push(0); count.push(0); }
    cellParticle[i] = k;
    const c = [v % nx, Math.floor(v / nx) % ny, Math.floor(v / (nx * ny))][ax];
    sumPos[k] += c + 0.5; count[k]++;
  }
  const m = ids.size;
  const depth = new Float64Array(m), volume = new Float64Array(m);
  const Vvox = rve.voxelSize[0] * rve.voxelSize[1] * rve.voxelSize[2];
  for (let k = 0; k < m; k++) {
    const centre = sumPos[k] / count[k];
    depth[k] = (rve.separatorSide === 'high' ? ext[1] - centre : centre - ext[0]) * h;
    volume[k] = count[k] * Vvox;
  }
  const index = new Int32Array(m);
  return { ids: [...ids.keys()], index, depth, volume, cellParticle };
}

function particleMeans(model: CellModel, y: Float64Array, info: ParticleInfo): { mean: Float64Array; surface: Float64Array; absJ: Float64Array } {
  const m = info.ids.length, cMax = model.active.cMax;
  const sum = new Float64Array(m), cnt = new Float64Array(m);
  for (let i = 0; i < model.nS; i++) { sum[info.cellParticle[i]] += y[i] / cMax; cnt[info.cellParticle[i]]++; }
  const mean = new Float64Array(m);
  for (let k = 0; k < m; k++) mean[k] = sum[k] / cnt[k];
  const sSum = new Float64Array(m), sA = new Float64Array(m), jA = new Float64Array(m);
  const { j } = model.faceValues();
  for (let f = 0; f < model.fS.length; f++) {
    const cell = model.fS[f], k = info.cellParticle[cell], A = model.fA[f];
    sSum[k] += (y[cell] / cMax) * A; sA[k] += A; jA[k] += Math.abs(j[f]) * A;
  }
  const surface = new Float64Array(m), absJ = new Float64Array(m);
  for (let k = 0; k < m; k++) { surface[k] = sA[k] > 0 ? sSum[k] / sA[k] : Number.NaN; absJ[k] = sA[k] > 0 ? jA[k] / sA[k] : 0; }
  return { mean, surface, absJ };
}

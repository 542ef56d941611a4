/**
 * Deterministic synthetic RVEs: packs of (optionally overlapping) spheres with carbon-binder
 * domain (CBD) in the necks, a single sphere and a regular sphere array.
 *
 * They serve as the embedded default microstructure, as test inputs and as verification cases
 * for the solvers (the exact sphere geometry is returned next to the voxel grid).
 *
 * Geometry conventions:
 * - Coordinates are in metres with the origin at the outer corner of voxel (0,0,0); voxel
 *   (i,j,k) spans [i h, (i+1) h) × … and its centre is ((i+½) h, (j+½) h, (k+½) h).
 * - A voxel is inside a sphere when its centre is (|x − c| ≤ r).
 * - Phases are always `[0 pore:electrolyte, 1 NMC:active, 2 CBD:cbd]`, plus `3 separator:separator`
 *   when a separator layer is requested (names may be changed with `phaseNames`). The CBD phase
 *   is always listed even when it has no voxels, so that phase ids are the same for every
 *   generator.
 * - `rve.particle` holds, for each active voxel, the id (index + 1 in `spheres`) of the sphere with
 *   the smallest scaled distance |x − c| / r among those containing the voxel centre (lowest id
 *   on exact ties); 0 elsewhere.
 * - A separator layer is appended at the high end of the thickness axis: the electrode region is
 *   the requested box and the RVE is longer by round(separatorThickness / h) voxels along that
 *   axis. Volume fractions (`activeFraction`, `cbdFraction`) refer to the electrode region only.
 *
 * Everything is driven by the seeded `Rng`, so the same options give byte-identical arrays.
 */
import { InputError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { Axis, Shape3, Vec3 } from '../core/volume.js';
import type { PhaseDef, Rve } from './rve.js';

/** Phase ids used by every generator. */
export const GENERATED_PHASE_IDS = { electrolyte: 0, active: 1, cbd: 2, separator: 3 } as const;

const PORE = 0;
const ACTIVE = 1;
const CBD = 2;
const SEP = 3;

/** Optional names of the generated phases (defaults: pore, NMC, CBD, separator). */
export interface PhaseNames {
  electrolyte?: string;
  active?: string;
  cbd?: string;
  separator?: string;
}

/** One analytic sphere of a generated RVE. */
export interface Sphere {
  /** Centre [m] (may lie anywhere in the electrode box; spheres can be cut by the box faces). */
  c: Vec3;
  /** Radius [m]. */
  r: number;
  /** Particle id used in `rve.particle` (index in the list + 1). */
  id: number;
}

/** Summary numbers of a generation run. */
export interface GenerationStats {
  /** Voxelised active volume fraction of the electrode region. */
  activeFraction: number;
  /** CBD volume fraction of the electrode region. */
  cbdFraction: number;
  /** Number of voxels in the electrode region (the RVE without the separator layer). */
  electrodeVoxels: number;
  /** Separator layer thickness in voxels (0 when none). */
  separatorVoxels: number;
  /** Random placement attempts (sphere pack only; 0 for the other generators). */
  attempts: number;
}

/** What every generator returns. */
export interface GeneratedRve {
  rve: Rve;
  spheres: Sphere[];
  stats: GenerationStats;
}

/** Options of {@link generateSpherePack}. */
export interface SpherePackOptions {
  /** Electrode region in voxels [nx, ny, nz] (a separator layer, if any, is appended). */
  shape: Shape3;
  /** Voxel edge length [m] (cubic voxels). */
  voxelSize: number;
  /** Target voxelised active-material volume fraction of the electrode region, in (0, 1). */
  activeFraction: number;
  /** Median particle radius [m]. */
  radiusMedian: number;
  /** Log-standard-deviation of the lognormal radius distribution (0 → monodisperse). */
  radiusSigmaLog: number;
  /** Smallest radius drawn [m] (default: min(voxelSize, radiusMedian)). */
  minRadius?: number;
  /** Largest radius drawn [m] (default: unbounded). */
  maxRadius?: number;
  /**
   * Allowed fractional overlap of neighbours in [0, 1): centre distance must be at least
   * (1 − overlap)(r1 + r2). 0 = hard spheres.
   */
  overlap: number;
  /** Target CBD volume fraction of the electrode region (met to within one voxel). */
  cbdFraction: number;
  /** Separator thickness [m] appended at the high end of `thicknessAxis` (default 0: none). */
  separatorThickness?: number;
  /** Through-thickness axis (default 2 = z). */
  thicknessAxis?: Axis;
  /** Spheres wrap around in the two lateral directions (default false: cut by the faces). */
  periodicLateral?: boolean;
  /** Random seed. */
  seed: number;
  /** Placement attempts before giving up (default 100 000 + 500 × expected sphere count). */
  maxAttempts?: number;
  phaseNames?: PhaseNames;
}

/** Options of {@link generateSingleSphere}. */
export interface SingleSphereOptions {
  /** Box in voxels [nx, ny, nz]. */
  shape: Shape3;
  /** Voxel edge length [m]. */
  voxelSize: number;
  /** Sphere radius [m]. */
  radius: number;
  /** Sphere centre [m] (default: the box centre). */
  center?: Vec3;
  /** Through-thickness axis recorded in the RVE (default 2 = z). */
  thicknessAxis?: Axis;
  phaseNames?: PhaseNames;
}

/** Options of {@link generateSphereArray}. */
export interface SphereArrayOptions {
  /** Number of spheres along x, y, z. */
  counts: Shape3;
  /** Sphere radius [m] (may exceed spacing/2: neighbours then overlap and form necks). */
  radius: number;
  /** Centre-to-centre distance [m]; must be a whole number of voxels. */
  spacing: number;
  /** Voxel edge length [m]. */
  voxelSize: number;
  /** CBD volume fraction filled into the necks (default 0). */
  cbdFraction?: number;
  /** Separator thickness [m] appended at the high end of `thicknessAxis` (default 0: none). */
  separatorThickness?: number;
  /** Through-thickness axis (default 2 = z). */
  thicknessAxis?: Axis;
  /** Spheres wrap around in the two lateral directions (default false). */
  periodicLateral?: boolean;
  phaseNames?: PhaseNames;
}

// ---------------------------------------------------------------------------------------------
// Voxel grid with sphere voxelisation and neck scoring

/** Per-axis list of voxel indices within reach of a centre and their squared distances. */
interface AxisSpan {
  idx: Int32Array;
  d2: Float64Array;
  n: number;
  /** Entries are consecutive voxel coordinates lo, lo+1, … (distance monotone either side). */
  contiguous: boolean;
  /** Unwrapped coordinate of entry 0 (when contiguous). */
  lo: number;
  /** Centre coordinate along the axis [m]. */
  c: number;
}

/**
 * Entry range [k0, k1] of a contiguous span whose centres may lie within sqrt(rem) of the
 * centre, widened by one entry each side so that the exact `d2 <= R2` test inside decides.
 */
function rowRange(s: AxisSpan, rem: number, h: number, out: [number, number]): void {
  if (!s.contiguous) { out[0] = 0; out[1] = s.n - 1; return; }
  const q = Math.sqrt(rem);
  const k0 = Math.ceil((s.c - q) / h - 0.5) - s.lo - 1;
  const k1 = Math.floor((s.c + q) / h - 0.5) - s.lo + 1;
  out[0] = k0 < 0 ? 0 : k0;
  out[1] = k1 > s.n - 1 ? s.n - 1 : k1;
}

class SphereGrid {
  readonly n: Shape3;
  /** Electrode extent per axis (equals `n` except along the thickness axis with a separator). */
  readonly ne: Shape3;
  readonly len: Vec3;
  readonly periodic: [boolean, boolean, boolean];
  readonly phase: Uint8Array;
  readonly particle: Int32Array;
  readonly cx: number[] = [];
  readonly cy: number[] = [];
  readonly cz: number[] = [];
  readonly rad: number[] = [];
  activeCount = 0;
  private readonly spans: [AxisSpan, AxisSpan, AxisSpan];
  private readonly rowBuf: [number, number] = [0, 0];

  constructor(
    electrode: Shape3,
    readonly h: number,
    readonly axis: Axis,
    readonly nSep: number,
    periodicLateral: boolean,
  ) {
    this.ne = [electrode[0], electrode[1], electrode[2]];
    this.n = [electrode[0], electrode[1], electrode[2]];
    this.n[axis] += nSep;
    this.len = [this.ne[0] * h, this.ne[1] * h, this.ne[2] * h];
    this.periodic = [0, 1, 2].map((a) => periodicLateral && a !== axis) as [boolean, boolean, boolean];
    const total = this.n[0] * this.n[1] * this.n[2];
    this.phase = new Uint8Array(total);
    this.particle = new Int32Array(total);
    this.spans = [0, 1, 2].map((a) => ({
      idx: new Int32Array(this.ne[a]),
      d2: new Float64Array(this.ne[a]),
      n: 0,
      contiguous: true,
      lo: 0,
      c: 0,
    })) as [AxisSpan, AxisSpan, AxisSpan];
    if (nSep > 0) this.fillSeparator();
  }

  get electrodeVoxels(): number {
    return this.ne[0] * this.ne[1] * this.ne[2];
  }

  get count(): number {
    return this.rad.length;
  }

  private fillSeparator(): void {
    const [nx, ny, nz] = this.n;
    const lo = this.ne[this.axis];
    for (let z = 0; z < nz; z++) {
      for (let y = 0; y < ny; y++) {
        for (let x = 0; x < nx; x++) {
          const c = this.axis === 0 ? x : this.axis === 1 ? y : z;
          if (c >= lo) this.phase[x + nx * (y + ny * z)] = SEP;
        }
      }
    }
  }

  /** Voxels of axis `a` whose centres lie within `reach` of coordinate `c` (wrapped if periodic). */
  private span(a: number, c: number, reach: number): AxisSpan {
    const s = this.spans[a];
    const n = this.ne[a];
    const h = this.h;
    let lo = Math.ceil((c - reach) / h - 0.5);
    let hi = Math.floor((c + reach) / h - 0.5);
    let k = 0;
    s.c = c;
    s.contiguous = true;
    if (this.periodic[a]) {
      const L = this.len[a];
      if (hi - lo + 1 >= n) {
        s.contiguous = false;
        for (let i = 0; i < n; i++) {
          let d = (i + 0.5) * h - c;
          d -= L * Math.round(d / L);
          s.idx[k] = i; s.d2[k] = d * d; k++;
        }
      } else {
        s.lo = lo;
        for (let i = lo; i <= hi; i++) {
          const d = (i + 0.5) * h - c;
          s.idx[k] = ((i % n) + n) % n; s.d2[k] = d * d; k++;
        }
      }
    } else {
      if (lo < 0) lo = 0;
      if (hi > n - 1) hi = n - 1;
      s.lo = lo;
      for (let i = lo; i <= hi; i++) {
        const d = (i + 0.5) * h - c;
        s.idx[k] = i; s.d2[k] = d * d; k++;
      }
    }
    s.n = k;
    return s;
  }

  /** Axis delta with the minimum-image convention on periodic axes. */
  private delta(a: number, d: number): number {
    if (this.periodic[a]) { const L = this.len[a]; d -= L * Math.round(d / L); }
    return d;
  }

  /** Squared distance between a voxel centre and the centre of sphere `s`. */
  private voxelDist2(i: number, s: number): number {
    const nx = this.n[0], ny = this.n[1];
    const x = i % nx;
    const yz = (i - x) / nx;
    const y = yz % ny;
    const z = (yz - y) / ny;
    const h = this.h;
    const dx = this.delta(0, (x + 0.5) * h - this.cx[s]);
    const dy = this.delta(1, (y + 0.5) * h - this.cy[s]);
    const dz = this.delta(2, (z + 0.5) * h - this.cz[s]);
    return dx * dx + dy * dy + dz * dz;
  }

  /**
   * Add a sphere and voxelise it over its bounding box: pore voxels whose centre is inside become
   * active; overlapped active voxels go to the sphere with the smaller scaled distance.
   * @returns the number of voxels that became active.
   */
  addSphere(c: Vec3, r: number): number {
    const s = this.rad.length;
    this.cx.push(c[0]); this.cy.push(c[1]); this.cz.push(c[2]); this.rad.push(r);
    const id = s + 1;
    const r2 = r * r;
    const sx = this.span(0, c[0], r), sy = this.span(1, c[1], r), sz = this.span(2, c[2], r);
    const nx = this.n[0], nxy = nx * this.n[1];
    const phase = this.phase, particle = this.particle;
    const rr = this.rowBuf;
    let added = 0;
    for (let kz = 0; kz < sz.n; kz++) {
      const dz2 = sz.d2[kz];
      if (dz2 > r2) continue;
      const bz = sz.idx[kz] * nxy;
      for (let ky = 0; ky < sy.n; ky++) {
        const dyz = dz2 + sy.d2[ky];
        if (dyz > r2) continue;
        const by = bz + sy.idx[ky] * nx;
        rowRange(sx, r2 - dyz, this.h, rr);
        for (let kx = rr[0]; kx <= rr[1]; kx++) {
          const d2 = dyz + sx.d2[kx];
          if (d2 > r2) continue;
          const i = by + sx.idx[kx];
          const p = phase[i];
          if (p === PORE) {
            phase[i] = ACTIVE;
            particle[i] = id;
            added++;
          } else if (p === ACTIVE) {
            const o = particle[i] - 1;
            const ro = this.rad[o];
            if (d2 / r2 < this.voxelDist2(i, o) / (ro * ro)) particle[i] = id;
          }
        }
      }
    }
    this.activeCount += added;
    return added;
  }

  /**
   * Fill exactly `target` pore voxels with CBD, in increasing order of the neck score
   * d1 + d2 (distances from the voxel centre to the surfaces of its nearest and second-nearest
   * spheres; d1 alone when there is only one sphere), ties broken by flat index.
   *
   * The distances are gathered sphere by sphere within a margin m of each surface; a voxel whose
   * gathered score is ≤ m has its exact score (both spheres were visited). The margin is doubled
   * until at least `target` voxels have an exact score.
   */
  fillCbd(target: number, initialMargin: number): number {
    if (target <= 0) return 0;
    const N = this.phase.length;
    const phase = this.phase;
    // Nearest / second-nearest surface distance, interleaved (one cache line serves both).
    const dd = new Float32Array(2 * N);
    const cand = new Float32Array(Math.max(0, this.electrodeVoxels - this.activeCount));
    const useSecond = this.count >= 2;
    const diag = Math.hypot(this.len[0], this.len[1], this.len[2]);
    const order = this.spatialOrder(Math.max(initialMargin, 2 * this.h));
    let m = Math.max(initialMargin, 2 * this.h);
    for (;;) {
      dd.fill(Infinity);
      for (const s of order) this.gatherSurfaceDistances(s, m, dd);
      // Score in place: dd[i] ← score of voxel i (Infinity unless exact); dd[i] is written after
      // dd[2i], dd[2i+1] have been read and only overwrites pairs already consumed.
      let k = 0;
      for (let i = 0; i < N; i++) {
        const a = dd[2 * i], b = dd[2 * i + 1];
        const sc = useSecond ? a + b : a;
        if (phase[i] === PORE && sc <= m) { dd[i] = sc; cand[k++] = sc; } else dd[i] = Infinity;
      }
      if (k >= target) {
        const scores = cand.subarray(0, k);
        const thr = selectKth(scores, target - 1);
        let less = 0;
        for (let j = 0; j < k; j++) if (scores[j] < thr) less++;
        let equalLeft = target - less;
        let taken = 0;
        for (let i = 0; i < N; i++) {
          const sc = dd[i];
          if (sc < thr) { phase[i] = CBD; taken++; } else if (sc === thr && equalLeft > 0) { phase[i] = CBD; taken++; equalLeft--; }
        }
        return taken;
      }
      if (m >= diag) {
        // Every pore voxel is scored exactly once m covers the box; fewer means no spheres.
        throw new Error(`CBD fill: only ${k} scorable pore voxels for ${target} requested`);
      }
      m *= 2;
    }
  }

  /**
   * Sphere indices sorted by (z slab, y slab, x) with slabs of width `w`, so that consecutive
   * spheres touch nearby memory. (The two smallest distances per voxel do not depend on order.)
   */
  private spatialOrder(w: number): Int32Array {
    const n = this.count;
    const keyZ = new Float64Array(n), keyY = new Float64Array(n);
    for (let s = 0; s < n; s++) { keyZ[s] = Math.floor(this.cz[s] / w); keyY[s] = Math.floor(this.cy[s] / w); }
    const idx = Array.from({ length: n }, (_, s) => s);
    idx.sort((p, q) => keyZ[p] - keyZ[q] || keyY[p] - keyY[q] || this.cx[p] - this.cx[q] || p - q);
    return Int32Array.from(idx);
  }

  /** Update nearest / second-nearest surface distances of pore voxels within `m` of sphere `s`. */
  private gatherSurfaceDistances(s: number, m: number, dd: Float32Array): void {
    const r = this.rad[s];
    const R = r + m;
    const R2 = R * R;
    const sx = this.span(0, this.cx[s], R), sy = this.span(1, this.cy[s], R), sz = this.span(2, this.cz[s], R);
    const nx = this.n[0], nxy = nx * this.n[1];
    const phase = this.phase;
    const rr = this.rowBuf;
    for (let kz = 0; kz < sz.n; kz++) {
      const dz2 = sz.d2[kz];
      if (dz2 > R2) continue;
      const bz = sz.idx[kz] * nxy;
      for (let ky = 0; ky < sy.n; ky++) {
        const dyz = dz2 + sy.d2[ky];
        if (dyz > R2) continue;
        const by = bz + sy.idx[ky] * nx;
        rowRange(sx, R2 - dyz, this.h, rr);
        for (let kx = rr[0]; kx <= rr[1]; kx++) {
          const q = dyz + sx.d2[kx];
          if (q > R2) continue;
          const i = by + sx.idx[kx];
          if (phase[i] !== PORE) continue;
          const d = Math.sqrt(q) - r;
          const j = 2 * i;
          const a = dd[j];
          if (d < a) { dd[j + 1] = a; dd[j] = d; } else if (d < dd[j + 1]) dd[j + 1] = d;
        }
      }
    }
  }

  spheres(): Sphere[] {
    return this.rad.map((r, s) => ({ c: [this.cx[s], this.cy[s], this.cz[s]] as Vec3, r, id: s + 1 }));
  }

  toRve(names: PhaseNames | undefined): Rve {
    return {
      shape: [this.n[0], this.n[1], this.n[2]],
      voxelSize: [this.h, this.h, this.h],
      phase: this.phase,
      phases: makePhases(names, this.nSep > 0),
      thicknessAxis: this.axis,
      separatorSide: 'high',
      particle: this.particle,
    };
  }
}

/**
 * k-th smallest (0-based) value of `a` (reorders `a`): Hoare-style selection with a
 * median-of-three pivot value.
 */
function selectKth(a: Float32Array, k: number): number {
  let l = 0, r = a.length - 1;
  while (l < r) {
    const p = a[l], q = a[(l + r) >> 1], s = a[r];
    const x = p < q ? (q < s ? q : p < s ? s : p) : (p < s ? p : q < s ? s : q);
    let i = l, j = r;
    do {
      while (a[i] < x) i++;
      while (x < a[j]) j--;
      if (i <= j) { const t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
    } while (i <= j);
    if (j < k) l = i;
    if (k < i) r = j;
  }
  return a[k];
}

function makePhases(names: PhaseNames | undefined, withSeparator: boolean): PhaseDef[] {
  const phases: PhaseDef[] = [
    { id: PORE, name: names?.electrolyte ?? 'pore', role: 'electrolyte', labels: [PORE] },
    { id: ACTIVE, name: names?.active ?? 'NMC', role: 'active', labels: [ACTIVE] },
    { id: CBD, name: names?.cbd ?? 'CBD', role: 'cbd', labels: [CBD] },
  ];
  if (withSeparator) phases.push({ id: SEP, name: names?.separator ?? 'separator', role: 'separator', labels: [SEP] });
  const seen = new Set<string>();
  for (const p of phases) {
    if (!p.name) throw new InputError('phaseNames', `empty name for the ${p.role} phase`);
    if (seen.has(p.name)) throw new InputError('phaseNames', `phase name "${p.name}" used twice`);
    seen.add(p.name);
  }
  return phases;
}

// ---------------------------------------------------------------------------------------------
// Validation helpers

function checkShape(shape: Shape3, source: string): void {
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((v) => Number.isInteger(v) && v > 0)) {
    throw new InputError(source, `expected three positive integers, got ${JSON.stringify(shape)}`);
  }
}

function checkPositive(v: number, source: string): void {
  if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) throw new InputError(source, `expected a positive number, got ${v}`);
}

function checkAxis(a: number, source: string): Axis {
  if (a !== 0 && a !== 1 && a !== 2) throw new InputError(source, `expected 0, 1 or 2, got ${a}`);
  return a;
}

function checkFraction(v: number, source: string, allowZero: boolean): void {
  if (!(typeof v === 'number' && Number.isFinite(v) && (allowZero ? v >= 0 : v > 0) && v < 1)) {
    throw new InputError(source, `expected a fraction in ${allowZero ? '[0' : '(0'}, 1), got ${v}`);
  }
}

function separatorVoxels(thickness: number | undefined, h: number): number {
  if (thickness === undefined || thickness === 0) return 0;
  if (!(Number.isFinite(thickness) && thickness > 0)) {
    throw new InputError('separatorThickness', `expected a non-negative length, got ${thickness}`);
  }
  const n = Math.round(thickness / h);
  if (n < 1) throw new InputError('separatorThickness', `${thickness} m is less than half a voxel (${h} m)`);
  return n;
}

function cbdTarget(grid: SphereGrid, cbdFraction: number): number {
  const target = Math.round(cbdFraction * grid.electrodeVoxels);
  const pore = grid.electrodeVoxels - grid.activeCount;
  if (target > pore) {
    throw new InputError('cbdFraction', `${cbdFraction} needs ${target} voxels but only ${pore} pore voxels ` +
      `(fraction ${(pore / grid.electrodeVoxels).toFixed(4)}) are left after placing the particles`);
  }
  return target;
}

function finish(grid: SphereGrid, cbdVoxels: number, attempts: number, names: PhaseNames | undefined): GeneratedRve {
  const ev = grid.electrodeVoxels;
  return {
    rve: grid.toRve(names),
    spheres: grid.spheres(),
    stats: {
      activeFraction: grid.activeCount / ev,
      cbdFraction: cbdVoxels / ev,
      electrodeVoxels: ev,
      separatorVoxels: grid.nSep,
      attempts,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Generators

/**
 * Random sequential addition of lognormal-radius spheres until the voxelised active fraction of
 * the electrode region reaches `activeFraction`, then CBD in the necks, then the separator layer.
 *
 * Centres are uniform in the electrode box (spheres may be cut by its faces, or wrap laterally
 * when `periodicLateral`); a candidate is rejected when it comes closer than
 * (1 − overlap)(r1 + r2) to a placed sphere (checked with a uniform cell list). A drawn radius is
 * tried at up to 50 positions before a new radius is drawn. Near the end, a radius whose sphere
 * would hold more voxels than still needed is shrunk (not below `minRadius`) so that the target
 * is not overshot by more than about one small sphere.
 *
 * @throws InputError('activeFraction', …) when the target is not reached within `maxAttempts`
 *   placement attempts (e.g. 0.9 with hard spheres), stating what was reached.
 */
export function generateSpherePack(opts: SpherePackOptions): GeneratedRve {
  checkShape(opts.shape, 'shape');
  checkPositive(opts.voxelSize, 'voxelSize');
  checkFraction(opts.activeFraction, 'activeFraction', false);
  checkFraction(opts.cbdFraction, 'cbdFraction', true);
  if (opts.activeFraction + opts.cbdFraction >= 1) {
    throw new InputError('cbdFraction', `activeFraction + cbdFraction must be below 1, got ${opts.activeFraction + opts.cbdFraction}`);
  }
  checkPositive(opts.radiusMedian, 'radiusMedian');
  if (!(Number.isFinite(opts.radiusSigmaLog) && opts.radiusSigmaLog >= 0)) {
    throw new InputError('radiusSigmaLog', `expected a non-negative number, got ${opts.radiusSigmaLog}`);
  }
  if (!(Number.isFinite(opts.overlap) && opts.overlap >= 0 && opts.overlap < 1)) {
    throw new InputError('overlap', `expected a fraction in [0, 1), got ${opts.overlap}`);
  }
  if (!Number.isFinite(opts.seed)) throw new InputError('seed', `expected a number, got ${opts.seed}`);
  const h = opts.voxelSize;
  const median = opts.radiusMedian;
  const sigma = opts.radiusSigmaLog;
  const minR = opts.minRadius ?? Math.min(h, median);
  const maxR = opts.maxRadius ?? Infinity;
  checkPositive(minR, 'minRadius');
  if (!(maxR >= minR)) throw new InputError('maxRadius', `must be at least minRadius (${minR} m), got ${maxR}`);
  if (median < minR || median > maxR) {
    throw new InputError('radiusMedian', `${median} m lies outside [minRadius, maxRadius] = [${minR}, ${maxR}] m`);
  }
  const axis = checkAxis(opts.thicknessAxis ?? 2, 'thicknessAxis');
  const nSep = separatorVoxels(opts.separatorThickness, h);
  const grid = new SphereGrid(opts.shape, h, axis, nSep, opts.periodicLateral ?? false);
  const rng = new Rng(opts.seed);

  const ev = grid.electrodeVoxels;
  const targetCount = opts.activeFraction * ev;
  const meanVoxVolume = (4 / 3) * Math.PI * (median / h) ** 3 * Math.exp(4.5 * sigma * sigma);
  const expectedSpheres = targetCount / meanVoxVolume;
  const maxAttempts = opts.maxAttempts ?? Math.ceil(100_000 + 500 * expectedSpheres);
  checkPositive(maxAttempts, 'maxAttempts');

  const drawRadius = (): number => {
    if (sigma === 0) return median;
    for (let t = 0; t < 1000; t++) {
      const r = rng.lognormal(median, sigma);
      if (r >= minR && r <= maxR) return r;
    }
    return median;
  };

  const cells = new CellList(grid.len, grid.periodic, 2 * median);
  const keep = 1 - opts.overlap;
  const triesPerRadius = 50;
  let attempts = 0;
  let rMaxPlaced = 0;
  const c: Vec3 = [0, 0, 0];

  while (grid.activeCount < targetCount) {
    let r = drawRadius();
    const deficit = targetCount - grid.activeCount;
    if ((4 / 3) * Math.PI * (r / h) ** 3 > deficit) r = Math.max(minR, h * Math.cbrt((3 * deficit) / (4 * Math.PI)));
    let placed = false;
    for (let t = 0; t < triesPerRadius && attempts < maxAttempts; t++) {
      attempts++;
      c[0] = rng.uniform() * grid.len[0];
      c[1] = rng.uniform() * grid.len[1];
      c[2] = rng.uniform() * grid.len[2];
      if (cells.fits(c, r, keep, rMaxPlaced, grid)) {
        cells.insert(c, grid.count);
        grid.addSphere([c[0], c[1], c[2]], r);
        if (r > rMaxPlaced) rMaxPlaced = r;
        placed = true;
        break;
      }
    }
    if (!placed && attempts >= maxAttempts) {
      throw new InputError('activeFraction', `could not reach ${opts.activeFraction}: reached ` +
        `${(grid.activeCount / ev).toFixed(4)} with ${grid.count} spheres after ${attempts} placement attempts ` +
        `(allow more overlap, lower the fraction or raise maxAttempts)`);
    }
  }

  const target = cbdTarget(grid, opts.cbdFraction);
  const cbd = grid.fillCbd(target, median);
  return finish(grid, cbd, attempts, opts.phaseNames);
}

/**
 * One active sphere in electrolyte (no CBD voxels, no separator), for verification against
 * analytic solutions (e.g. Crank's sphere diffusion, stresses in a sphere).
 */
export function generateSingleSphere(opts: SingleSphereOptions): GeneratedRve {
  checkShape(opts.shape, 'shape');
  checkPositive(opts.voxelSize, 'voxelSize');
  checkPositive(opts.radius, 'radius');
  const h = opts.voxelSize;
  const center: Vec3 = opts.center ?? [opts.shape[0] * h / 2, opts.shape[1] * h / 2, opts.shape[2] * h / 2];
  if (!Array.isArray(center) || center.length !== 3 || !center.every(Number.isFinite)) {
    throw new InputError('center', `expected three finite coordinates, got ${JSON.stringify(center)}`);
  }
  const axis = checkAxis(opts.thicknessAxis ?? 2, 'thicknessAxis');
  const grid = new SphereGrid(opts.shape, h, axis, 0, false);
  grid.addSphere([center[0], center[1], center[2]], opts.radius);
  return finish(grid, 0, 0, opts.phaseNames);
}

/**
 * A simple cubic array of equal spheres: centres at ((i+½) s, (j+½) s, (k+½) s) for
 * i < counts[0] etc., in an electrode box of exactly counts × spacing (spacing must be a whole
 * number of voxels). Optional CBD fills the necks as in {@link generateSpherePack}; an optional
 * separator layer is appended at the high end of the thickness axis.
 */
export function generateSphereArray(opts: SphereArrayOptions): GeneratedRve {
  checkShape(opts.counts, 'counts');
  checkPositive(opts.radius, 'radius');
  checkPositive(opts.spacing, 'spacing');
  checkPositive(opts.voxelSize, 'voxelSize');
  const h = opts.voxelSize;
  const perSphere = opts.spacing / h;
  const nPer = Math.round(perSphere);
  if (nPer < 1 || Math.abs(perSphere - nPer) > 1e-6 * Math.max(1, perSphere)) {
    throw new InputError('spacing', `${opts.spacing} m is not a whole number of voxels of ${h} m`);
  }
  const cbdFraction = opts.cbdFraction ?? 0;
  checkFraction(cbdFraction, 'cbdFraction', true);
  const axis = checkAxis(opts.thicknessAxis ?? 2, 'thicknessAxis');
  const nSep = separatorVoxels(opts.separatorThickness, h);
  const [cx, cy, cz] = opts.counts;
  const shape: Shape3 = [cx * nPer, cy * nPer, cz * nPer];
  const grid = new SphereGrid(shape, h, axis, nSep, opts.periodicLateral ?? false);
  const s = nPer * h;
  for (let k = 0; k < cz; k++) {
    for (let j = 0; j < cy; j++) {
      for (let i = 0; i < cx; i++) grid.addSphere([(i + 0.5) * s, (j + 0.5) * s, (k + 0.5) * s], opts.radius);
    }
  }
  const target = cbdTarget(grid, cbdFraction);
  const cbd = grid.fillCbd(target, opts.radius);
  return finish(grid, cbd, 0, opts.phaseNames);
}

// ---------------------------------------------------------------------------------------------
// Uniform cell list for the overlap test of random sequential addition

class CellList {
  private readonly nc: [number, number, number];
  private readonly w: Vec3;
  private readonly head: Int32Array;
  private readonly next: number[] = [];
  private readonly lists: [Int32Array, Int32Array, Int32Array];
  private readonly listN: [number, number, number] = [0, 0, 0];

  constructor(private readonly len: Vec3, private readonly periodic: [boolean, boolean, boolean], cellSize: number) {
    let size = cellSize;
    const ncOf = (L: number) => Math.max(1, Math.floor(L / size));
    while (ncOf(len[0]) * ncOf(len[1]) * ncOf(len[2]) > 1 << 22) size *= 1.5;
    this.nc = [ncOf(len[0]), ncOf(len[1]), ncOf(len[2])];
    this.w = [len[0] / this.nc[0], len[1] / this.nc[1], len[2] / this.nc[2]];
    this.head = new Int32Array(this.nc[0] * this.nc[1] * this.nc[2]).fill(-1);
    this.lists = [new Int32Array(this.nc[0]), new Int32Array(this.nc[1]), new Int32Array(this.nc[2])];
  }

  private cellOf(a: number, x: number): number {
    const c = Math.floor(x / this.w[a]);
    return c < 0 ? 0 : c >= this.nc[a] ? this.nc[a] - 1 : c;
  }

  insert(c: Vec3, s: number): void {
    const cell = this.cellOf(0, c[0]) + this.nc[0] * (this.cellOf(1, c[1]) + this.nc[1] * this.cellOf(2, c[2]));
    this.next[s] = this.head[cell];
    this.head[cell] = s;
  }

  /** Cells of axis `a` within `k` cells of `c` (each at most once). */
  private axisCells(a: number, c: number, k: number): void {
    const n = this.nc[a];
    const out = this.lists[a];
    let m = 0;
    if (this.periodic[a]) {
      if (2 * k + 1 >= n) { for (let i = 0; i < n; i++) out[m++] = i; }
      else for (let i = c - k; i <= c + k; i++) out[m++] = ((i % n) + n) % n;
    } else {
      const lo = Math.max(0, c - k), hi = Math.min(n - 1, c + k);
      for (let i = lo; i <= hi; i++) out[m++] = i;
    }
    this.listN[a] = m;
  }

  /** Whether a sphere (c, r) keeps centre distance ≥ keep·(r + r_j) to every placed sphere j. */
  fits(c: Vec3, r: number, keep: number, rMaxPlaced: number, grid: SphereGrid): boolean {
    const reach = keep * (r + rMaxPlaced);
    for (let a = 0; a < 3; a++) this.axisCells(a, this.cellOf(a, c[a]), Math.ceil(reach / this.w[a]));
    const [lx, ly, lz] = this.lists;
    const nx = this.nc[0], nxy = nx * this.nc[1];
    const [Lx, Ly, Lz] = this.len;
    const [px, py, pz] = this.periodic;
    const { cx, cy, cz, rad } = grid;
    for (let kz = 0; kz < this.listN[2]; kz++) {
      const bz = lz[kz] * nxy;
      for (let ky = 0; ky < this.listN[1]; ky++) {
        const by = bz + ly[ky] * nx;
        for (let kx = 0; kx < this.listN[0]; kx++) {
          for (let s = this.head[by + lx[kx]]; s >= 0; s = this.next[s]) {
            let dx = c[0] - cx[s], dy = c[1] - cy[s], dz = c[2] - cz[s];
            if (px) dx -= Lx * Math.round(dx / Lx);
            if (py) dy -= Ly * Math.round(dy / Ly);
            if (pz) dz -= Lz * Math.round(dz / Lz);
            const lim = keep * (r + rad[s]);
            if (dx * dx + dy * dy + dz * dz < lim * lim) return false;
          }
        }
      }
    }
    return true;
  }
}

/**
 * Watershed on the distance map, to split touching or overlapping particles of a segmented
 * (binary) active-material phase into individual particles.
 *
 * Markers are the h-maxima of the Euclidean distance transform (EDT): a maximum of the EDT seeds
 * its own particle only if its dynamic (how far one must descend from it to reach a higher or
 * equally high maximum) exceeds `h`; shallower maxima (surface noise, small bumps, the
 * digitisation ripples of one particle) are absorbed by their neighbours. Every mask voxel is
 * labelled (no watershed lines). This is the classic "h-maxima markers + flooding" watershed,
 * computed in a cache-friendly way on the drainage basins of the EDT instead of voxel by voxel in
 * priority order (which, on a 256³ volume, is dominated by random memory access):
 *
 * 1. EDT of the mask, in units of the smallest voxel edge.
 * 2. Steepest ascent: every mask voxel points to its neighbour of largest EDT if that is strictly
 *    larger than its own (first in stencil order on ties). Voxels without a higher neighbour
 *    (maxima and plateau voxels) are basin roots; following the pointers (with path compression,
 *    which only touches nearby voxels) assigns every voxel to the basin of a root.
 * 3. Basin graph: for every pair of adjacent basins, the pass value = the highest min(EDT(p),
 *    EDT(q)) over adjacent voxel pairs p, q across their boundary.
 * 4. Flooding on the basin graph (Kruskal order: passes from highest to lowest). When two groups
 *    of basins meet at pass s, the one with the lower peak M is merged into the other if
 *    M - s <= h, and otherwise is a particle of its own. This is exactly h-maxima marker
 *    selection (a maximum survives iff its dynamic > h; equally high maxima joined above M - h
 *    are one marker, as the regional maxima of the reconstruction of EDT - h under EDT) followed by
 *    flooding, in which an unmarked dome is flooded through its highest pass.
 * 5. With `minDistance`, surviving markers closer than that to a higher marker are dropped and
 *    step 4 is repeated with the kept markers fixed.
 *
 * The result is deterministic. Output ids are 1..count in the flat-index order (x fastest) of
 * each particle's first voxel. Memory: the mask, a Float32 EDT, an Int32 basin/label array, a
 * Uint8 pointer array, plus per-basin and per-basin-pair tables.
 */
import type { Shape3, Vec3 } from '../core/volume.js';
import { checkShape, find, labelComponents, type Connectivity } from './components.js';
import { squaredEdtInto } from './edt.js';

/** Options of {@link splitParticles}. */
export interface SplitOptions {
  /**
   * Depth (dynamic) a distance-map maximum must exceed to seed its own particle, in units of the
   * smallest voxel edge (voxel units for isotropic data). Default 1.0. Must be > 0.
   */
  h?: number;
  /**
   * If > 0, a marker whose peak (distance-map maximum) lies closer than this (same units as `h`)
   * to the peak of a higher marker is dropped and its region flooded by its neighbours.
   * Default 0 (off).
   */
  minDistance?: number;
  /** Neighbourhood used for ascent, basin adjacency and marker plateaus: 6 or 26 (default 26). */
  connectivity?: Connectivity;
}

/** Result of {@link splitParticles}. */
export interface ParticleLabels {
  /** Particle id per voxel: 0 outside the mask, 1..count inside. */
  labels: Int32Array;
  count: number;
}

/** Neighbour offsets for a connectivity, split into backward (negative offset) and forward. */
interface Stencil {
  off: Int32Array;
  dx: Int8Array;
  dy: Int8Array;
  dz: Int8Array;
  /** Entries [0, nBack) have negative flat offset; [nBack, length) positive. */
  nBack: number;
}

function makeStencil(shape: Shape3, connectivity: Connectivity): Stencil {
  const [nx, ny] = shape;
  const back: number[][] = [];
  const fwd: number[][] = [];
  for (let dz = -1; dz <= 1; dz++) {
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const m = Math.abs(dx) + Math.abs(dy) + Math.abs(dz);
        if (m === 0 || (connectivity === 6 && m > 1)) continue;
        const o = dx + nx * (dy + ny * dz);
        (o < 0 ? back : fwd).push([o, dx, dy, dz]);
      }
    }
  }
  const all = back.concat(fwd);
  return {
    off: Int32Array.from(all.map((e) => e[0])),
    dx: Int8Array.from(all.map((e) => e[1])),
    dy: Int8Array.from(all.map((e) => e[2])),
    dz: Int8Array.from(all.map((e) => e[3])),
    nBack: back.length,
  };
}

/** `up` value of a voxel without a strictly higher neighbour (a basin root). */
const NO_ASCENT = 255;

/**
 * Steepest-ascent pointers: up[i] = stencil index of the neighbour with the largest dist among
 * those strictly larger than dist[i] (first in stencil order on ties), or NO_ASCENT. `dist` must
 * be -Infinity outside the mask, so background neighbours are never chosen.
 */
function steepestAscent(mask: Uint8Array, shape: Shape3, st: Stencil, dist: Float32Array): Uint8Array {
  const [nx, ny, nz] = shape;
  const { off, dx, dy, dz } = st;
  const nk = off.length;
  const xm = nx - 1, ym = ny - 1, zm = nz - 1;
  const up = new Uint8Array(mask.length);
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const row = nx * (y + ny * z);
      const rowInterior = y > 0 && y < ym && z > 0 && z < zm;
      for (let x = 0; x < nx; x++) {
        const i = row + x;
        if (mask[i] === 0) continue;
        let best = dist[i];
        let bestK = NO_ASCENT;
        if (rowInterior && x > 0 && x < xm) {
          for (let k = 0; k < nk; k++) {
            const d = dist[i + off[k]];
            if (d > best) { best = d; bestK = k; }
          }
        } else {
          for (let k = 0; k < nk; k++) {
            const xx = x + dx[k], yy = y + dy[k], zz = z + dz[k];
            if (xx < 0 || xx > xm || yy < 0 || yy > ym || zz < 0 || zz > zm) continue;
            const d = dist[i + off[k]];
            if (d > best) { best = d; bestK = k; }
          }
        }
        up[i] = bestK;
      }
    }
  }
  return up;
}

/**
 * Give every voxel with basin[i] === 0 the id of the root its ascent path ends at. Roots already
 * carry their id (> 0); background is < 0. Path compression: each voxel is written once, and the
 * paths are spatially local.
 */
function resolveAscent(basin: Int32Array, up: Uint8Array, off: Int32Array): void {
  const n = basin.length;
  for (let i = 0; i < n; i++) {
    if (basin[i] !== 0) continue;
    let j = i;
    while (basin[j] === 0) j += off[up[j]];
    const l = basin[j];
    let p = i;
    while (basin[p] === 0) {
      basin[p] = l;
      p += off[up[p]];
    }
  }
}

/** Adjacent basin pairs (a < b) with their pass value, in a growable open-addressing table. */
interface BasinEdges {
  a: Int32Array;
  b: Int32Array;
  pass: Float32Array;
  count: number;
}

/**
 * For every pair of adjacent basins, the maximum over neighbouring voxel pairs across their
 * boundary of min(dist(p), dist(q)).
 */
function basinEdges(mask: Uint8Array, basin: Int32Array, dist: Float32Array, shape: Shape3, st: Stencil): BasinEdges {
  const [nx, ny, nz] = shape;
  const { off, dx, dy, dz, nBack } = st;
  const nk = off.length;
  const xm = nx - 1, ym = ny - 1, zm = nz - 1;

  let bits = 12;
  let cap = 1 << bits;
  let ka = new Int32Array(cap);
  let kb = new Int32Array(cap);
  let kp = new Float32Array(cap);
  let count = 0;
  const slotOf = (a: number, b: number, capBits: number): number =>
    Math.imul(Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77), 0xc2b2ae3d) >>> (32 - capBits);
  const grow = (): void => {
    const oa = ka, ob = kb, op = kp, ocap = cap;
    bits++;
    cap = 1 << bits;
    ka = new Int32Array(cap); kb = new Int32Array(cap); kp = new Float32Array(cap);
    for (let s = 0; s < ocap; s++) {
      const a = oa[s];
      if (a === 0) continue;
      let t = slotOf(a, ob[s], bits);
      while (ka[t] !== 0) t = (t + 1) & (cap - 1);
      ka[t] = a; kb[t] = ob[s]; kp[t] = op[s];
    }
  };
  let lastA = 0, lastB = 0, lastSlot = -1;
  const update = (a: number, b: number, p: number): void => {
    if (a === lastA && b === lastB && lastSlot >= 0) {
      if (p > kp[lastSlot]) kp[lastSlot] = p;
      return;
    }
    let s = slotOf(a, b, bits);
    for (;;) {
      const sa = ka[s];
      if (sa === 0) {
        ka[s] = a; kb[s] = b; kp[s] = p;
        if (++count * 2 > cap) { grow(); lastSlot = -1; lastA = 0; return; }
        break;
      }
      if (sa === a && kb[s] === b) {
        if (p > kp[s]) kp[s] = p;
        break;
      }
      s = (s + 1) & (cap - 1);
    }
    lastA = a; lastB = b; lastSlot = s;
  };

  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const row = nx * (y + ny * z);
      const rowInterior = y > 0 && y < ym && z > 0 && z < zm;
      for (let x = 0; x < nx; x++) {
        const i = row + x;
        if (mask[i] === 0) continue;
        const bi = basin[i];
        const di = dist[i];
        const interior = rowInterior && x > 0 && x < xm;
        for (let k = nBack; k < nk; k++) {
          if (!interior) {
            const xx = x + dx[k], yy = y + dy[k], zz = z + dz[k];
            if (xx < 0 || xx > xm || yy < 0 || yy > ym || zz < 0 || zz > zm) continue;
          }
          const j = i + off[k];
          const bj = basin[j];
          if (bj === bi || bj < 0) continue;
          const dj = dist[j];
          const p = di < dj ? di : dj;
          if (bi < bj) update(bi, bj, p); else update(bj, bi, p);
        }
      }
    }
  }

  // compact
  const a = new Int32Array(count);
  const b = new Int32Array(count);
  const pass = new Float32Array(count);
  let e = 0;
  for (let s = 0; s < cap; s++) {
    if (ka[s] === 0) continue;
    a[e] = ka[s]; b[e] = kb[s]; pass[e] = kp[s]; e++;
  }
  return { a, b, pass, count };
}

/**
 * Edge indices sorted by decreasing pass; ties by (a, b) increasing, so the order does not
 * depend on the hash-table layout.
 */
function sortEdges(edges: BasinEdges): Int32Array {
  const { a, b, pass, count } = edges;
  const order = new Int32Array(count);
  for (let e = 0; e < count; e++) order[e] = e;
  const arr = Array.from(order);
  arr.sort((e, f) => (pass[f] - pass[e]) || (a[e] - a[f]) || (b[e] - b[f]));
  order.set(arr);
  return order;
}


/**
 * Flood the basin graph in decreasing pass order. Returns the union-find parents over basin ids
 * 1..nBasins; each final set is one particle.
 *
 * Without `marked`: h-maxima mode. A set is represented by its highest root (peak; ties: lower
 * id). When sets meet at pass s, the lower one is merged into the higher one if
 * peak(lower) - s <= h, otherwise it is a particle (marker) of its own and never merged again.
 *
 * With `marked` (0/1 per basin id, at most one per final particle): marker-controlled mode.
 * Marked sets never merge with each other; an unmarked set meeting a marked one joins it; two
 * unmarked sets merge (the higher representing them).
 */
function floodBasins(
  nBasins: number,
  peak: Float32Array,
  edges: BasinEdges,
  order: Int32Array,
  h: number,
  marked: Uint8Array | null,
): Int32Array {
  const parent = new Int32Array(nBasins + 1);
  for (let r = 0; r <= nBasins; r++) parent[r] = r;
  const flag = marked ? marked.slice() : new Uint8Array(nBasins + 1);
  const { a, b, pass } = edges;
  for (let k = 0; k < order.length; k++) {
    const e = order[k];
    const A = find(parent, a[e]);
    const B = find(parent, b[e]);
    if (A === B) continue;
    const aHigher = peak[A] > peak[B] || (peak[A] === peak[B] && A < B);
    const hi = aHigher ? A : B;
    const lo = aHigher ? B : A;
    if (marked) {
      if (flag[A] !== 0 && flag[B] !== 0) continue;
      if (flag[lo] !== 0) parent[hi] = lo; // the unmarked one joins the marked one
      else parent[lo] = hi;
    } else {
      if (flag[lo] !== 0) continue; // already a particle of its own
      if (peak[lo] - pass[e] > h) { flag[lo] = 1; continue; }
      parent[lo] = hi;
    }
  }
  return parent;
}

/**
 * Keep markers greedily in order of decreasing peak (ties: lower id), dropping any whose peak
 * lies within `minDistance` of an already kept one. Returns the 0/1 kept flags per basin id.
 */
function selectMarkers(
  reps: number[],
  peak: Float32Array,
  rootVoxel: Int32Array,
  shape: Shape3,
  sp: Vec3,
  minDistance: number,
): Uint8Array {
  const [nx, ny] = shape;
  const keep = new Uint8Array(peak.length);
  const order = reps.slice().sort((p, q) => (peak[q] - peak[p]) || (p - q));
  const pos = (r: number): [number, number, number] => {
    const i = rootVoxel[r];
    const x = i % nx;
    const t = (i - x) / nx;
    const y = t % ny;
    return [x * sp[0], y * sp[1], ((t - y) / ny) * sp[2]];
  };
  const cell = minDistance;
  const grid = new Map<string, Array<[number, number, number]>>();
  const r2 = minDistance * minDistance;
  for (const r of order) {
    const [px, py, pz] = pos(r);
    const gx = Math.floor(px / cell), gy = Math.floor(py / cell), gz = Math.floor(pz / cell);
    let ok = true;
    search: for (let u = -1; u <= 1; u++) {
      for (let v = -1; v <= 1; v++) {
        for (let w = -1; w <= 1; w++) {
          const bucket = grid.get(`${gx + u},${gy + v},${gz + w}`);
          if (!bucket) continue;
          for (const [qx, qy, qz] of bucket) {
            if ((px - qx) ** 2 + (py - qy) ** 2 + (pz - qz) ** 2 < r2) { ok = false; break search; }
          }
        }
      }
    }
    if (!ok) continue;
    keep[r] = 1;
    const key = `${gx},${gy},${gz}`;
    const bucket = grid.get(key);
    if (bucket) bucket.push([px, py, pz]); else grid.set(key, [[px, py, pz]]);
  }
  return keep;
}

/**
 * Split a binary mask of (possibly touching or overlapping) particles into individual
 * particles by a watershed on its Euclidean distance map with h-maxima markers (see the module
 * documentation for the method).
 *
 * Distances (and `h`, `minDistance`) are in units of the smallest entry of `spacing`, so for
 * isotropic data they are in voxels. The region outside the box is not treated as background:
 * particles cut by the box faces keep their distance maximum at the face. Every mask voxel is
 * labelled; mask components are never joined (each gets at least one particle). Deterministic.
 *
 * @param mask particle phase indicator per voxel (non-zero = inside), flat index x + nx*(y + ny*z).
 * @param shape [nx, ny, nz].
 * @param spacing voxel edge lengths [dx, dy, dz] (any unit; only ratios matter). Default [1,1,1].
 * @param opts `h` (maxima depth, default 1), `minDistance` (default 0 = off), `connectivity` (default 26).
 * @returns particle id per voxel (0 outside the mask), ids 1..count in flat order of first voxel.
 */
export function splitParticles(
  mask: Uint8Array,
  shape: Shape3,
  spacing: Vec3 = [1, 1, 1],
  opts: SplitOptions = {},
): ParticleLabels {
  checkShape(mask.length, shape, 'splitParticles');
  const h = opts.h ?? 1.0;
  const minDistance = opts.minDistance ?? 0;
  const connectivity: Connectivity = opts.connectivity ?? 26;
  if (!(Number.isFinite(h) && h > 0)) throw new RangeError(`splitParticles: h must be a positive number, got ${h}`);
  if (!(Number.isFinite(minDistance) && minDistance >= 0)) {
    throw new RangeError(`splitParticles: minDistance must be >= 0, got ${minDistance}`);
  }
  if (connectivity !== 6 && connectivity !== 26) {
    throw new RangeError(`splitParticles: connectivity must be 6 or 26, got ${String(connectivity)}`);
  }
  for (const s of spacing) {
    if (!(Number.isFinite(s) && s > 0)) throw new RangeError(`splitParticles: spacing must be positive, got [${spacing.join(', ')}]`);
  }
  const [nx, ny, nz] = shape;
  const n = nx * ny * nz;
  const hmin = Math.min(spacing[0], spacing[1], spacing[2]);
  const sp: Vec3 = [spacing[0] / hmin, spacing[1] / hmin, spacing[2] / hmin];

  // ---- 1. distance map (-Infinity on the background, so it is never "higher") ----------------
  const dist = new Float32Array(n);
  squaredEdtInto(mask, shape, sp, false, dist);
  let anyFg = false;
  let anyInf = false;
  for (let i = 0; i < n; i++) {
    if (mask[i] === 0) { dist[i] = -Infinity; continue; }
    anyFg = true;
    const d = Math.sqrt(dist[i]);
    if (d === Infinity) anyInf = true;
    dist[i] = d;
  }
  if (!anyFg) return { labels: new Int32Array(n), count: 0 };
  if (anyInf) {
    // No background anywhere: the mask fills the box, a single particle.
    const { labels, count } = labelComponents(mask, shape, connectivity);
    return { labels, count };
  }

  // ---- 2. drainage basins ------------------------------------------------------------------------
  const st = makeStencil(shape, connectivity);
  const up = steepestAscent(mask, shape, st, dist);
  const labels = new Int32Array(n);
  let nBasins = 0;
  for (let i = 0; i < n; i++) {
    if (mask[i] === 0) labels[i] = -1;
    else if (up[i] === NO_ASCENT) labels[i] = ++nBasins;
  }
  const rootVoxel = new Int32Array(nBasins + 1);
  const peak = new Float32Array(nBasins + 1);
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (l > 0) { rootVoxel[l] = i; peak[l] = dist[i]; }
  }
  resolveAscent(labels, up, st.off);

  // ---- 3./4. basin graph and flooding ------------------------------------------------------------
  const edges = basinEdges(mask, labels, dist, shape, st);
  const order = sortEdges(edges);
  let parent = floodBasins(nBasins, peak, edges, order, h, null);

  // ---- 5. minDistance ---------------------------------------------------------------------------
  if (minDistance > 0) {
    const reps: number[] = [];
    for (let r = 1; r <= nBasins; r++) if (find(parent, r) === r) reps.push(r);
    if (reps.length > 1) {
      const keep = selectMarkers(reps, peak, rootVoxel, shape, sp, minDistance);
      parent = floodBasins(nBasins, peak, edges, order, h, keep);
    }
  }

  // ---- relabel 1..count in flat order of first voxel ---------------------------------------------
  const map = new Int32Array(nBasins + 1);
  for (let r = 1; r <= nBasins; r++) map[r] = find(parent, r);
  const ids = new Int32Array(nBasins + 1);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (l < 0) { labels[i] = 0; continue; }
    const g = map[l];
    let id = ids[g];
    if (id === 0) { id = ++count; ids[g] = id; }
    labels[i] = id;
  }
  return { labels, count };
}

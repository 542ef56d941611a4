/**
 * Exact Euclidean distance transform of 3D voxel masks, in linear time.
 *
 * Separable algorithm of Felzenszwalb & Huttenlocher ("Distance transforms of sampled
 * functions", Theory of Computing 8, 2012): the squared distance is computed one axis at a time;
 * along x it is a plain two-sided scan to the nearest background voxel of the row, along y and z
 * it is the lower envelope of the parabolas h²(p - q)² + f(q) over the sites q of each line.
 * Anisotropic voxel spacing enters as the weight h² of each axis, so the result is exact (up to
 * floating-point rounding) for any spacing.
 *
 * Distances are measured between voxel centres. By default the region outside the box is NOT
 * background (the structure is assumed to continue beyond the box, as for a crop of a larger
 * tomogram); with `outsideIsBackground: true` the box is surrounded by background voxels, i.e.
 * the distance also accounts for the voxel centres one layer outside each face.
 */
import type { Shape3, Vec3 } from '../core/volume.js';
import { checkShape } from './components.js';

/** Options of the distance transforms. */
export interface EdtOptions {
  /**
   * Treat the voxels just outside the box as background (default false: outside is unknown and
   * never counts as background, so only background voxels inside the box matter).
   */
  outsideIsBackground?: boolean;
}

/** Number of lines gathered together, so that gathers and scatters read whole cache lines. */
const BLOCK = 16;

/** Per-line scratch buffers for the lower envelope, sized for the longest axis. */
interface Scratch {
  /** Envelope site positions (may be -1 or n for the virtual outside sites). */
  v: Int32Array;
  /** Envelope site values f(v). */
  vf: Float64Array;
  /** f(v) + h²v², cached. */
  c: Float64Array;
  /** Envelope breakpoints. */
  z: Float64Array;
}

function makeScratch(n: number): Scratch {
  return {
    v: new Int32Array(n + 2),
    vf: new Float64Array(n + 2),
    c: new Float64Array(n + 2),
    z: new Float64Array(n + 3),
  };
}

/**
 * In-place 1D squared distance transform of the sampled function f[fo .. fo+n-1] with sample
 * spacing h (h2 = h²): f[p] <- min_q h²(p-q)² + f[q]. Infinite samples are not sites. With
 * `pad`, virtual sites of value 0 sit at q = -1 and q = n. Without any site, f becomes +Infinity.
 */
function envelope1d(f: Float64Array, fo: number, n: number, h2: number, pad: boolean, s: Scratch): void {
  const { v, vf, c, z } = s;
  const twoH2 = 2 * h2;
  let k = -1;
  if (pad) { k = 0; v[0] = -1; vf[0] = 0; c[0] = h2; z[0] = -Infinity; }
  for (let q = 0; q <= n; q++) {
    let fq: number;
    if (q < n) {
      fq = f[fo + q];
      if (fq === Infinity) continue;
    } else {
      if (!pad) break;
      fq = 0;
    }
    const cq = fq + h2 * q * q;
    if (k < 0) {
      k = 0; v[0] = q; vf[0] = fq; c[0] = cq; z[0] = -Infinity;
      continue;
    }
    // intersection of the parabolas of sites v[k] and q
    let sct = (cq - c[k]) / (twoH2 * (q - v[k]));
    while (sct <= z[k]) {
      k--;
      sct = (cq - c[k]) / (twoH2 * (q - v[k]));
    }
    k++;
    v[k] = q; vf[k] = fq; c[k] = cq; z[k] = sct;
  }
  if (k < 0) {
    f.fill(Infinity, fo, fo + n);
    return;
  }
  z[k + 1] = Infinity;
  let j = 0;
  for (let p = 0; p < n; p++) {
    while (z[j + 1] < p) j++;
    const d = p - v[j];
    f[fo + p] = h2 * d * d + vf[j];
  }
}

/**
 * Squared EDT into `dst` (Float64Array or Float32Array of n elements). Internal workhorse shared
 * with the watershed, which stores the result in single precision to save memory.
 */
export function squaredEdtInto(
  mask: Uint8Array,
  shape: Shape3,
  spacing: Vec3,
  outsideIsBackground: boolean,
  dst: Float64Array | Float32Array,
): void {
  checkShape(mask.length, shape, 'distance transform');
  if (dst.length !== mask.length) throw new RangeError('distance transform: output length mismatch');
  const [nx, ny, nz] = shape;
  const [hx, hy, hz] = spacing;
  for (const h of spacing) {
    if (!(Number.isFinite(h) && h > 0)) throw new RangeError(`distance transform: spacing must be positive, got [${spacing.join(', ')}]`);
  }
  const nxy = nx * ny;
  const n = nxy * nz;
  if (n === 0) return;
  const pad = outsideIsBackground;

  // ---- x: exact 1D distance to the nearest background voxel of the row (two scans) -----------
  const hx2 = hx * hx;
  const big = nx + 2; // "no background seen" sentinel, larger than any real index distance
  for (let r = 0; r < ny * nz; r++) {
    const row = r * nx;
    // forward: distance to the nearest background at or left of x
    let d = pad ? 0 : big;
    for (let x = 0; x < nx; x++) {
      const i = row + x;
      if (mask[i] === 0) d = 0; else d++;
      dst[i] = d; // temporarily the index distance
    }
    // backward: min with the nearest background at or right of x
    d = pad ? 0 : big;
    for (let x = nx - 1; x >= 0; x--) {
      const i = row + x;
      if (mask[i] === 0) d = 0; else d++;
      const left = dst[i];
      const m = left < d ? left : d;
      dst[i] = m >= big ? Infinity : hx2 * m * m;
    }
  }

  const maxLen = Math.max(nx, ny, nz);
  const s = makeScratch(maxLen);
  const buf = new Float64Array(BLOCK * maxLen);

  // ---- y: lower envelope along columns, BLOCK adjacent columns at a time --------------------
  if (ny > 1 || pad) {
    const hy2 = hy * hy;
    for (let zz = 0; zz < nz; zz++) {
      const slab = zz * nxy;
      for (let x0 = 0; x0 < nx; x0 += BLOCK) {
        const bw = Math.min(BLOCK, nx - x0);
        for (let y = 0; y < ny; y++) {
          const base = slab + y * nx + x0;
          for (let b = 0; b < bw; b++) buf[b * ny + y] = dst[base + b];
        }
        for (let b = 0; b < bw; b++) envelope1d(buf, b * ny, ny, hy2, pad, s);
        for (let y = 0; y < ny; y++) {
          const base = slab + y * nx + x0;
          for (let b = 0; b < bw; b++) dst[base + b] = buf[b * ny + y];
        }
      }
    }
  }

  // ---- z: lower envelope along pillars, BLOCK adjacent pillars at a time --------------------
  if (nz > 1 || pad) {
    const hz2 = hz * hz;
    for (let j0 = 0; j0 < nxy; j0 += BLOCK) {
      const bw = Math.min(BLOCK, nxy - j0);
      for (let zz = 0; zz < nz; zz++) {
        const base = zz * nxy + j0;
        for (let b = 0; b < bw; b++) buf[b * nz + zz] = dst[base + b];
      }
      for (let b = 0; b < bw; b++) envelope1d(buf, b * nz, nz, hz2, pad, s);
      for (let zz = 0; zz < nz; zz++) {
        const base = zz * nxy + j0;
        for (let b = 0; b < bw; b++) dst[base + b] = buf[b * nz + zz];
      }
    }
  }
}

/**
 * Exact squared Euclidean distance transform.
 *
 * For every voxel with `mask[i] !== 0`, the squared distance (centre to centre, in the units of
 * `spacing`) to the nearest voxel with `mask === 0`; 0 for background voxels. Voxels outside the
 * box are not background unless `opts.outsideIsBackground` is set, in which case the box is
 * surrounded by a layer of background voxels. If there is no background at all, every distance
 * is `Infinity`. Runs in O(n) time with O(max(nx, ny, nz)) scratch memory besides the output.
 *
 * @param mask foreground indicator per voxel (non-zero = foreground), flat index x + nx*(y + ny*z).
 * @param shape [nx, ny, nz].
 * @param spacing voxel edge lengths [dx, dy, dz] (default [1, 1, 1]).
 * @param opts see {@link EdtOptions}.
 */
export function squaredDistanceTransform(
  mask: Uint8Array,
  shape: Shape3,
  spacing: Vec3 = [1, 1, 1],
  opts: EdtOptions = {},
): Float64Array {
  const dst = new Float64Array(mask.length);
  squaredEdtInto(mask, shape, spacing, opts.outsideIsBackground ?? false, dst);
  return dst;
}

/**
 * Exact Euclidean distance transform (the square root of {@link squaredDistanceTransform}),
 * in single precision to halve the memory. Same conventions: 0 on background voxels, `Infinity`
 * everywhere if there is no background, outside of the box not background unless
 * `opts.outsideIsBackground`. Intermediate squared distances are kept in single precision, so
 * values carry float32 rounding (relative error ~1e-7).
 *
 * @param mask foreground indicator per voxel (non-zero = foreground).
 * @param shape [nx, ny, nz].
 * @param spacing voxel edge lengths [dx, dy, dz] (default [1, 1, 1]).
 * @param opts see {@link EdtOptions}.
 */
export function distanceTransform(
  mask: Uint8Array,
  shape: Shape3,
  spacing: Vec3 = [1, 1, 1],
  opts: EdtOptions = {},
): Float32Array {
  const dst = new Float32Array(mask.length);
  squaredEdtInto(mask, shape, spacing, opts.outsideIsBackground ?? false, dst);
  for (let i = 0; i < dst.length; i++) dst[i] = Math.sqrt(dst[i]);
  return dst;
}

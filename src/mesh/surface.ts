/**
 * Interface areas between phases (and between particles), from voxel faces and corrected for the
 * voxel staircase.
 *
 * Estimator ("projected-normal correction"): a smooth surface element dA with unit normal n is
 * represented on the voxel grid by axis-aligned faces whose areas add up, on average, to
 * dA·(|n_x| + |n_y| + |n_z|) = dA·‖n‖₁ (each face of axis k is the projection of the surface onto
 * the plane normal to k). So each interface face of axis k is given the corrected area
 *     A_k / ‖n‖₁,
 * with n estimated at the face centre from the gradient of the Gaussian-smoothed indicator
 * (χ_a − χ_b) of the two sides (σ = 1 voxel by default). On a sphere ‖n‖₁ averages 3/2, which is
 * the familiar ~1.5× staircase overestimate. The correction is per face, so the reaction kinetics
 * can weight each active|electrolyte face by its own corrected area.
 */
import type { Shape3, Vec3 } from '../core/volume.js';
import type { Rve } from './rve.js';

export const DEFAULT_SMOOTHING_SIGMA = 1.0;

export function gaussianKernel(sigma: number): Float64Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float64Array(2 * r + 1);
  let s = 0;
  for (let i = -r; i <= r; i++) { k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma)); s += k[i + r]; }
  for (let i = 0; i < k.length; i++) k[i] /= s;
  return k;
}

/**
 * Separable Gaussian smoothing in voxel units with mirror (zero-flux) boundaries; returns a new
 * array. Each pass works on whole x-rows at a time (contiguous memory) so the y and z passes are
 * cache-friendly.
 */
export function gaussianSmooth(field: Float32Array, shape: Shape3, sigma: number): Float32Array {
  const k = gaussianKernel(sigma);
  const r = (k.length - 1) / 2;
  const [nx, ny, nz] = shape;
  let src: Float32Array = field;
  let dst: Float32Array = new Float32Array(field.length);
  // x pass: per row, with a padded line buffer
  {
    const line = new Float64Array(nx + 2 * r);
    for (let row = 0; row < ny * nz; row++) {
      const base = row * nx;
      for (let t = 0; t < nx; t++) line[t + r] = src[base + t];
      for (let t = 1; t <= r; t++) {
        line[r - t] = line[r + Math.min(t - 1, nx - 1)];
        line[r + nx - 1 + t] = line[r + Math.max(nx - t, 0)];
      }
      for (let t = 0; t < nx; t++) {
        let acc = 0;
        for (let q = 0; q < k.length; q++) acc += k[q] * line[t + q];
        dst[base + t] = acc;
      }
    }
    src = dst;
    dst = new Float32Array(field.length);
  }
  // y and z passes: dst row (j) = Σ_q k[q] · src row (mirror(j + q − r)), rows of length nx
  const mirror = (j: number, n: number) => (j < 0 ? Math.min(-j - 1, n - 1) : j >= n ? Math.max(2 * n - j - 1, 0) : j);
  const off = new Int32Array(k.length);
  for (const a of [1, 2]) {
    const n = a === 1 ? ny : nz;
    if (n === 1) continue;
    const rowOf = (outer: number, jj: number) => (a === 1 ? nx * (jj + ny * outer) : nx * (outer + ny * jj));
    for (let outer = 0; outer < (a === 1 ? nz : ny); outer++) {
      for (let j = 0; j < n; j++) {
        const d = rowOf(outer, j);
        for (let q = 0; q < k.length; q++) off[q] = rowOf(outer, mirror(j + q - r, n));
        for (let x = 0; x < nx; x++) {
          let acc = 0;
          for (let q = 0; q < k.length; q++) acc += k[q] * src[off[q] + x];
          dst[d + x] = acc;
        }
      }
    }
    const t = src; src = dst; dst = t === field ? new Float32Array(field.length) : t;
  }
  return src;
}

/** Visitor for one interface face between voxel p (low side) and q = p + stride(axis). */
export type FaceVisitor = (p: number, q: number, axis: number, voxelArea: number, correctedArea: number) => void;

export interface InterfaceOptions {
  sigma?: number;
}

/**
 * Visit every face between two voxels of different phase (interior faces only; the box boundary
 * is not an interface), with its voxel-face area and its staircase-corrected area.
 *
 * Normals come from smoothed phase indicators: one Float32 field per phase present.
 */
export function forEachPhaseInterfaceFace(rve: Pick<Rve, 'shape' | 'voxelSize' | 'phase' | 'phases'>, visit: FaceVisitor, opts: InterfaceOptions = {}): void {
  const sigma = opts.sigma ?? DEFAULT_SMOOTHING_SIGMA;
  const { shape, voxelSize, phase } = rve;
  const n = phase.length;
  const smoothed: (Float32Array | undefined)[] = [];
  const present = new Uint8Array(256);
  for (let i = 0; i < n; i++) present[phase[i]] = 1;
  const ids: number[] = [];
  for (let id = 0; id < 256; id++) if (present[id]) ids.push(id);
  // Smoothing is linear and the indicators sum to one, so the last phase's smoothed indicator is
  // one minus the others' (saves one of K convolutions).
  for (const id of ids.slice(0, -1)) {
    const f = new Float32Array(n);
    for (let i = 0; i < n; i++) f[i] = phase[i] === id ? 1 : 0;
    smoothed[id] = gaussianSmooth(f, shape, sigma);
  }
  if (ids.length > 0) {
    const last = new Float32Array(n).fill(1);
    for (const id of ids.slice(0, -1)) { const s = smoothed[id]!; for (let i = 0; i < n; i++) last[i] -= s[i]; }
    smoothed[ids[ids.length - 1]] = last;
  }
  // one difference field g = S[χ_a] − S[χ_b] per ordered phase pair, created on first use
  const cache = new Map<number, (i: number) => number>();
  const fieldFor = (p: number, q: number) => {
    const a = phase[p], b = phase[q];
    const key = a * 256 + b;
    let g = cache.get(key);
    if (!g) {
      const fa = smoothed[a]!, fb = smoothed[b]!;
      g = (i: number) => fa[i] - fb[i];
      cache.set(key, g);
    }
    return g;
  };
  visitFaces(shape, voxelSize, phase, fieldFor, visit);
}

/**
 * Shared face loop: for every interior face whose two voxels differ in `labels`, estimate the unit
 * normal from central differences of the scalar field g = field(p,q) (positive on p's side) and
 * report the corrected area.
 */
export function visitFaces(
  shape: Shape3,
  voxelSize: Vec3,
  labels: ArrayLike<number>,
  fieldFor: (p: number, q: number) => (i: number) => number,
  visit: FaceVisitor,
  accept?: (p: number, q: number) => boolean,
): void {
  const [nx, ny, nz] = shape;
  const [hx, hy, hz] = voxelSize;
  const h = [hx, hy, hz];
  const strides = [1, nx, nx * ny];
  const dims = [nx, ny, nz];
  const areas = [hy * hz, hx * hz, hx * hy];
  const c = [0, 0, 0];
  // gradient component along axis b at voxel i (central difference, one-sided at the box edge)
  const dAt = (g: (i: number) => number, i: number, b: number): number => {
    const cb = c[b];
    const up = cb + 1 < dims[b] ? i + strides[b] : i;
    const dn = cb > 0 ? i - strides[b] : i;
    const span = (up === i ? 0 : 1) + (dn === i ? 0 : 1);
    return span === 0 ? 0 : (g(up) - g(dn)) / (span * h[b]);
  };
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const p = x + nx * (y + ny * z);
        const lp = labels[p];
        for (let a = 0; a < 3; a++) {
          c[0] = x; c[1] = y; c[2] = z;
          if (c[a] + 1 >= dims[a]) continue;
          const q = p + strides[a];
          if (labels[q] === lp) continue;
          if (accept && !accept(p, q)) continue;
          const g = fieldFor(p, q);
          // normal component: difference across the face; transverse: mean of p and q centrals
          const grad = [0, 0, 0];
          grad[a] = (g(q) - g(p)) / h[a];
          for (let b = 0; b < 3; b++) {
            if (b === a) continue;
            const gp = dAt(g, p, b);
            c[a] += 1;
            const gq = dAt(g, q, b);
            c[a] -= 1;
            grad[b] = 0.5 * (gp + gq);
          }
          const norm2 = Math.hypot(grad[0], grad[1], grad[2]);
          let l1 = 1;
          if (norm2 > 0) l1 = (Math.abs(grad[0]) + Math.abs(grad[1]) + Math.abs(grad[2])) / norm2;
          visit(p, q, a, areas[a], areas[a] / l1);
        }
      }
    }
  }
}

export interface InterfaceAreas {
  /** key "A|B" with A, B phase names in phase-id order; values in m² */
  voxel: Record<string, number>;
  corrected: Record<string, number>;
}

/**
 * Total interface areas per phase pair. `alsoVisit` sees every face too, so callers that need
 * per-face or per-particle sums share this single pass.
 */
export function phaseInterfaceAreas(rve: Pick<Rve, 'shape' | 'voxelSize' | 'phase' | 'phases'>, opts: InterfaceOptions = {}, alsoVisit?: FaceVisitor): InterfaceAreas {
  const K = rve.phases.length;
  const vox = new Float64Array(K * K);
  const cor = new Float64Array(K * K);
  const ph = rve.phase;
  forEachPhaseInterfaceFace(rve, (p, q, _a, av, ac) => {
    const a = ph[p], b = ph[q];
    const k = a < b ? a * K + b : b * K + a;
    vox[k] += av;
    cor[k] += ac;
    if (alsoVisit) alsoVisit(p, q, _a, av, ac);
  }, opts);
  const out: InterfaceAreas = { voxel: {}, corrected: {} };
  for (let a = 0; a < K; a++) for (let b = a + 1; b < K; b++) {
    const k = a * K + b;
    if (vox[k] === 0) continue;
    const key = `${rve.phases[a].name}|${rve.phases[b].name}`;
    out.voxel[key] = vox[k];
    out.corrected[key] = cor[k];
  }
  return out;
}

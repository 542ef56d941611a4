/**
 * Greyscale → label segmentation: fixed thresholds, or thresholds chosen by multi-level Otsu.
 *
 * Label convention: label = number of thresholds ≤ value, so with thresholds [t0, t1]:
 * value < t0 → 0, t0 ≤ value < t1 → 1, value ≥ t1 → 2 (NaN → 0). Labels therefore increase with
 * brightness.
 */
import { InputError } from '../core/errors.js';
import type { Volume } from '../core/volume.js';

/** Label every voxel by how many of the (strictly increasing) thresholds are ≤ its value. */
export function segmentThresholds(vol: Volume, thresholds: number[]): Volume<Uint8Array> {
  if (thresholds.length === 0) throw new InputError('--thresholds', 'at least one threshold is needed');
  if (thresholds.length > 255) throw new InputError('--thresholds', `at most 255 thresholds (256 labels) are supported, got ${thresholds.length}`);
  for (let i = 0; i < thresholds.length; i++) {
    if (!Number.isFinite(thresholds[i])) throw new InputError('--thresholds', `threshold ${thresholds[i]} is not a finite number`);
    if (i > 0 && !(thresholds[i] > thresholds[i - 1])) {
      throw new InputError('--thresholds', `thresholds must be strictly increasing, got ${thresholds.join(', ')}`);
    }
  }
  const src = vol.data;
  const out = new Uint8Array(src.length);
  const t = Float64Array.from(thresholds);

  // Small integer types: one lookup table over the whole dtype range.
  let lutBase: number | undefined, lutSize = 0;
  if (src instanceof Uint8Array) { lutBase = 0; lutSize = 256; }
  else if (src instanceof Int8Array) { lutBase = -128; lutSize = 256; }
  else if (src instanceof Uint16Array) { lutBase = 0; lutSize = 65536; }
  else if (src instanceof Int16Array) { lutBase = -32768; lutSize = 65536; }
  if (lutBase !== undefined) {
    const lut = new Uint8Array(lutSize);
    for (let i = 0; i < lutSize; i++) lut[i] = countAtMost(t, lutBase + i);
    const base = lutBase;
    for (let i = 0; i < src.length; i++) out[i] = lut[src[i] - base];
  } else {
    for (let i = 0; i < src.length; i++) out[i] = countAtMost(t, src[i]);
  }
  return { shape: [vol.shape[0], vol.shape[1], vol.shape[2]], data: out, voxelSize: vol.voxelSize, source: vol.source };
}

/** Number of entries of the sorted array `t` that are ≤ v (0 for NaN). */
function countAtMost(t: Float64Array, v: number): number {
  let lo = 0, hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (t[mid] <= v) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** Histogram of a volume: counts and value sums per bin; bin k covers [min + k·width, min + (k+1)·width). */
export interface Histogram {
  counts: Float64Array;
  /** Sum of the voxel values in each bin (exact class means, whatever the bin width). */
  sums: Float64Array;
  min: number;
  max: number;
  width: number;
}

/**
 * Histogram with at most `bins` bins over [min, max] of the (finite) values. Integer data get an
 * integer bin width, so bin edges are integers and a threshold at an edge splits the data exactly
 * as the histogram did; integer data with fewer than `bins` distinct levels get one bin per level.
 */
export function volumeHistogram(vol: Volume, bins = 256): Histogram {
  const a = vol.data;
  const isFloat = a instanceof Float32Array || a instanceof Float64Array;
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!(min <= max)) throw new InputError(vol.source, 'the volume holds no finite values to segment');
  if (!Number.isFinite(min) || !Number.isFinite(max)) throw new InputError(vol.source, 'the volume holds infinite values');
  let width: number, nb: number;
  if (isFloat) {
    nb = bins;
    width = (max - min) / bins;
    if (!(width > 0)) width = 1; // constant volume: one occupied bin, caught by the caller
  } else {
    const span = max - min + 1;
    width = Math.ceil(span / bins);
    nb = Math.ceil(span / width);
  }
  const counts = new Float64Array(nb);
  const sums = new Float64Array(nb);
  if (!isFloat && width === 1) {
    for (let i = 0; i < a.length; i++) { const k = a[i] - min; counts[k]++; sums[k] += a[i]; }
  } else {
    const inv = 1 / width;
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (v !== v) continue; // NaN
      const k = Math.min(nb - 1, Math.floor((v - min) * inv));
      counts[k]++;
      sums[k] += v;
    }
  }
  return { counts, sums, min, max, width };
}

/**
 * Multi-level Otsu: thresholds (in data units) splitting the volume into `classes` classes with
 * maximum between-class variance, found exactly over a histogram of at most `bins` bins. Each
 * threshold t splits as segmentThresholds does (value ≥ t → upper class); when the optimum cut
 * falls in a run of empty bins, t is placed mid-gap (rounded to an integer for integer data).
 */
export function multiOtsu(vol: Volume, classes: number, bins = 256): number[] {
  if (!Number.isInteger(classes) || classes < 2 || classes > 256) {
    throw new InputError('--otsu', `the number of classes must be an integer from 2 to 256, got ${classes}`);
  }
  if (!Number.isInteger(bins) || bins < classes) throw new InputError('--otsu', `need an integer number of bins ≥ ${classes}, got ${bins}`);
  const h = volumeHistogram(vol, bins);
  let occupied = 0;
  for (let k = 0; k < h.counts.length; k++) if (h.counts[k] > 0) occupied++;
  if (occupied < classes) {
    throw new InputError(vol.source, `cannot split into ${classes} classes: the histogram has only ${occupied} occupied bin(s)`
      + ` (values ${h.min}..${h.max})`);
  }
  const cuts = multiOtsuBins(h.counts, classes, h.sums);
  // A cut at bin k means "values in bins ≥ k are in the upper class", i.e. a threshold at the
  // lower edge of bin k. Every cut inside a run of empty bins gives the same classes (and the
  // search returns the lowest); put the threshold mid-gap instead, which is more robust when
  // it is applied to similar data.
  const edge = (k: number): number => h.min + k * h.width;
  const isInteger = !(vol.data instanceof Float32Array || vol.data instanceof Float64Array);
  return cuts.map((k) => {
    let a = k, b = k;
    while (a > 1 && h.counts[a - 1] === 0) a--;
    while (b < h.counts.length - 1 && h.counts[b] === 0) b++;
    const mid = (edge(a) + edge(b)) / 2;
    return isInteger ? Math.round(mid) : mid;
  });
}

/**
 * Exact multi-level Otsu on a histogram. Returns the bin indices t1 < … < t(m) (m = classes-1)
 * such that class j holds bins [t_j, t_{j+1}) (t_0 = 0, t_classes = bins), maximising the
 * between-class variance, i.e. Σ_j S_j²/W_j with W_j, S_j the count and value sum of class j
 * (the total mean is fixed). Among equal optima the exhaustive search keeps the lexicographically
 * smallest cuts.
 *
 * classes ≤ 4 (and a histogram small enough): exhaustive search over all cut combinations with
 * prefix sums, O(bins^(classes-1)); otherwise dynamic programming over (class, last bin),
 * O(classes·bins²), which is exact too because the objective is a sum of per-class terms.
 *
 * @param sums value sum per bin; default counts[k]·k (bin index as value).
 */
export function multiOtsuBins(counts: ArrayLike<number>, classes: number, sums?: ArrayLike<number>): number[] {
  const nb = counts.length;
  if (classes < 2 || classes > nb) throw new Error(`multiOtsuBins: ${classes} classes need 2..${nb} bins`);
  // Prefix sums: P[i], S[i] over bins [0, i).
  const P = new Float64Array(nb + 1), S = new Float64Array(nb + 1);
  for (let k = 0; k < nb; k++) {
    P[k + 1] = P[k] + counts[k];
    S[k + 1] = S[k] + (sums ? sums[k] : counts[k] * k);
  }
  const term = (i: number, j: number): number => {
    const w = P[j] - P[i];
    if (w <= 0) return 0;
    const s = S[j] - S[i];
    return (s * s) / w;
  };

  const m = classes - 1;
  if (m === 1) {
    let best = -Infinity, arg = 1;
    for (let a = 1; a < nb; a++) {
      const f = term(0, a) + term(a, nb);
      if (f > best) { best = f; arg = a; }
    }
    return [arg];
  }
  if (m === 2 && nb <= 4096) {
    let best = -Infinity, argA = 1, argB = 2;
    for (let a = 1; a < nb - 1; a++) {
      const fa = term(0, a);
      for (let b = a + 1; b < nb; b++) {
        const f = fa + term(a, b) + term(b, nb);
        if (f > best) { best = f; argA = a; argB = b; }
      }
    }
    return [argA, argB];
  }
  if (m === 3 && nb <= 512) {
    let best = -Infinity, argA = 1, argB = 2, argC = 3;
    for (let a = 1; a < nb - 2; a++) {
      const fa = term(0, a);
      for (let b = a + 1; b < nb - 1; b++) {
        const fab = fa + term(a, b);
        for (let c = b + 1; c < nb; c++) {
          const f = fab + term(b, c) + term(c, nb);
          if (f > best) { best = f; argA = a; argB = b; argC = c; }
        }
      }
    }
    return [argA, argB, argC];
  }
  return multiOtsuDynamic(nb, classes, term);
}

/**
 * best[c][j]: maximum of Σ S²/W splitting bins [0, j) into c non-empty bin ranges;
 * best[c][j] = max_{i} best[c-1][i] + term(i, j).
 */
function multiOtsuDynamic(nb: number, classes: number, term: (i: number, j: number) => number): number[] {
  const stride = nb + 1;
  const best = new Float64Array((classes + 1) * stride).fill(-Infinity);
  const arg = new Int32Array((classes + 1) * stride);
  for (let j = 1; j <= nb; j++) best[stride + j] = term(0, j);
  for (let c = 2; c <= classes; c++) {
    // c ranges need j ≥ c bins, and leave classes - c bins for the rest
    const jMax = c === classes ? nb : nb - (classes - c);
    for (let j = c; j <= jMax; j++) {
      let b = -Infinity, ai = c - 1;
      for (let i = c - 1; i < j; i++) {
        const f = best[(c - 1) * stride + i] + term(i, j);
        if (f > b) { b = f; ai = i; }
      }
      best[c * stride + j] = b;
      arg[c * stride + j] = ai;
    }
  }
  const cuts: number[] = [];
  let j = nb;
  for (let c = classes; c >= 2; c--) {
    j = arg[c * stride + j];
    cuts.push(j);
  }
  return cuts.reverse();
}

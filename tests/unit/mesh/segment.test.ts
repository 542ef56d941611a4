/**
 * Greyscale segmentation: threshold labelling and exact multi-level Otsu, checked against
 * brute-force searches using the textbook between-class variance Σ w_k (μ_k − μ)².
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors.js';
import { Rng } from '../../../src/core/rng.js';
import type { Shape3, Volume, VoxelArray } from '../../../src/core/volume.js';
import { readVolume } from '../../../src/io/volume/index.js';
import { multiOtsu, multiOtsuBins, segmentThresholds, volumeHistogram } from '../../../src/mesh/segment.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const GREYSCALE = resolve(HERE, '../../../../shared/data/tomography/nrel-nmc1cal-greyscale.tif');

function vol<T extends VoxelArray>(data: T, shape: Shape3 = [data.length, 1, 1]): Volume<T> {
  return { shape, data, source: 'test.tif', voxelSize: [1e-6, 1e-6, 1e-6] };
}

/** Between-class variance of the classes cut at bin indices `cuts` (value of bin k = k). */
function betweenClassVariance(counts: number[], cuts: number[]): number {
  const edges = [0, ...cuts, counts.length];
  const n = counts.reduce((a, b) => a + b, 0);
  const mean = counts.reduce((a, c, k) => a + c * k, 0) / n;
  let s = 0;
  for (let j = 0; j + 1 < edges.length; j++) {
    let w = 0, m = 0;
    for (let k = edges[j]; k < edges[j + 1]; k++) { w += counts[k]; m += counts[k] * k; }
    if (w > 0) s += (w / n) * (m / w - mean) ** 2;
  }
  return s;
}

/** All increasing cut tuples of length m in 1..nb-1. */
function* cutTuples(nb: number, m: number, start = 1): Generator<number[]> {
  if (m === 0) { yield []; return; }
  for (let a = start; a <= nb - m; a++) for (const rest of cutTuples(nb, m - 1, a + 1)) yield [a, ...rest];
}

function bruteForce(counts: number[], classes: number): { cuts: number[]; value: number } {
  let best = { cuts: [] as number[], value: -Infinity };
  for (const cuts of cutTuples(counts.length, classes - 1)) {
    const value = betweenClassVariance(counts, cuts);
    if (value > best.value + 1e-12 * Math.abs(value)) best = { cuts, value };
  }
  return best;
}

/** Histogram of `nb` bins made of gaussian humps at the given centres, every bin occupied. */
function humps(nb: number, centres: number[], seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: nb }, (_, k) => 1 + Math.round(centres.reduce(
    (a, c, i) => a + (200 + 100 * i) * Math.exp(-(((k - c) / (1.5 + rng.uniform())) ** 2)), 0) + 5 * rng.uniform()));
}

describe('segmentThresholds', () => {
  it('label = number of thresholds ≤ value', () => {
    const v = vol(Uint8Array.from([0, 2, 3, 4, 6, 7, 8, 255]));
    const s = segmentThresholds(v, [3, 7]);
    expect(Array.from(s.data)).toEqual([0, 0, 1, 1, 1, 2, 2, 2]);
    expect(s.shape).toEqual(v.shape);
    expect(s.voxelSize).toEqual(v.voxelSize);
    expect(s.source).toBe('test.tif');
    expect(Array.from(segmentThresholds(v, [2.5]).data)).toEqual([0, 0, 1, 1, 1, 1, 1, 1]);
  });

  it('works on every dtype (lookup-table and search paths)', () => {
    expect(Array.from(segmentThresholds(vol(Int8Array.from([-128, -1, 0, 127])), [0]).data)).toEqual([0, 0, 1, 1]);
    expect(Array.from(segmentThresholds(vol(Uint16Array.from([0, 12000, 30000, 65535])), [12000, 30001]).data)).toEqual([0, 1, 1, 2]);
    expect(Array.from(segmentThresholds(vol(Int16Array.from([-32768, -5, 5, 32767])), [-5, 5]).data)).toEqual([0, 1, 2, 2]);
    expect(Array.from(segmentThresholds(vol(Int32Array.from([-1e9, 0, 1e9])), [-1, 1]).data)).toEqual([0, 1, 2]);
    expect(Array.from(segmentThresholds(vol(Uint32Array.from([0, 4e9])), [3e9]).data)).toEqual([0, 1]);
    expect(Array.from(segmentThresholds(vol(Float32Array.from([-0.5, 0.25, NaN, 0.75])), [0, 0.5]).data)).toEqual([0, 1, 0, 2]);
    const many = Array.from({ length: 200 }, (_, i) => i * 10);
    expect(Array.from(segmentThresholds(vol(Float64Array.from([-1, 0, 5, 1995, 5000])), many).data)).toEqual([0, 1, 1, 200, 200]);
  });

  it('rejects bad threshold lists', () => {
    const v = vol(new Uint8Array(4));
    expect(() => segmentThresholds(v, [])).toThrow(InputError);
    expect(() => segmentThresholds(v, [5, 5])).toThrow(/strictly increasing/);
    expect(() => segmentThresholds(v, [7, 3])).toThrow(/--thresholds: thresholds must be strictly increasing/);
    expect(() => segmentThresholds(v, [NaN])).toThrow(/not a finite number/);
  });
});

describe('multi-level Otsu', () => {
  it('3 classes: matches a brute-force search over all threshold pairs', () => {
    for (const seed of [1, 2, 3, 4]) {
      const counts = humps(40, [6, 19, 31], seed);
      const bf = bruteForce(counts, 3);
      const cuts = multiOtsuBins(counts, 3);
      expect(cuts).toEqual(bf.cuts);
      expect(betweenClassVariance(counts, cuts)).toBeCloseTo(bf.value, 9);
    }
  });

  it('2 and 4 classes (exhaustive) and 5 classes (dynamic programming) reach the brute-force optimum', () => {
    const counts = humps(24, [3, 9, 14, 20], 7);
    for (const classes of [2, 4, 5]) {
      const bf = bruteForce(counts, classes);
      const cuts = multiOtsuBins(counts, classes);
      expect(cuts.length).toBe(classes - 1);
      expect(betweenClassVariance(counts, cuts)).toBeCloseTo(bf.value, 9);
    }
  });

  it('dynamic programming equals exhaustive search on the same histogram', () => {
    // 4 classes over 513 bins uses DP; over 512 bins exhaustive. Pad the histogram with an
    // empty bin at the end: same optimum either way.
    const base = humps(512, [60, 200, 330, 450], 11);
    const exhaustive = multiOtsuBins(base, 4);
    const viaDp = multiOtsuBins([...base, 0], 4);
    expect(betweenClassVariance([...base, 0], viaDp)).toBeCloseTo(betweenClassVariance(base, exhaustive), 9);
  });

  it('a known optimum: three spikes are separated exactly', () => {
    const data = new Uint8Array(3000);
    data.fill(10, 0, 1000); data.fill(120, 1000, 2000); data.fill(230, 2000, 3000);
    const v = vol(data, [10, 10, 30]);
    const t = multiOtsu(v, 3);
    expect(t.length).toBe(2);
    expect(t[0]).toBeGreaterThan(10); expect(t[0]).toBeLessThanOrEqual(120);
    expect(t[1]).toBeGreaterThan(120); expect(t[1]).toBeLessThanOrEqual(230);
    expect(t).toEqual([66, 176]); // mid-gap: every integer in 11..120 (121..230) splits the same
    const labels = segmentThresholds(v, t).data;
    expect([labels[0], labels[1500], labels[2999]]).toEqual([0, 1, 2]);
  });

  it('float data: thresholds in data units', () => {
    const rng = new Rng(5);
    const data = Float32Array.from({ length: 20000 }, (_, i) => (i % 2 ? 1.0 : 3.0) + 0.1 * rng.normal());
    const [t] = multiOtsu(vol(data), 2);
    expect(t).toBeGreaterThan(1.5);
    expect(t).toBeLessThan(2.5);
  });

  it('integer data with a wide range gets integer bin edges', () => {
    const data = Uint16Array.from({ length: 4000 }, (_, i) => (i < 2000 ? 1000 + (i % 50) : 40000 + (i % 70)));
    const h = volumeHistogram(vol(data), 256);
    expect(h.min).toBe(1000);
    expect(Number.isInteger(h.width)).toBe(true);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(4000);
    const [t] = multiOtsu(vol(data), 2);
    expect(Number.isInteger(t)).toBe(true);
    expect(t).toBeGreaterThan(1049);
    expect(t).toBeLessThanOrEqual(40000);
  });

  it('rejects impossible requests with the source named', () => {
    expect(() => multiOtsu(vol(new Uint8Array(10).fill(7)), 2)).toThrow(/test\.tif: cannot split into 2 classes/);
    expect(() => multiOtsu(vol(Uint8Array.from([0, 1, 2])), 1)).toThrow(/--otsu/);
    expect(() => multiOtsu(vol(Float32Array.from([NaN, NaN])), 2)).toThrow(/no finite values/);
  });

  it('real greyscale (NREL NMC, uint16): 2-class Otsu gives a plausible NMC fraction', async () => {
    const v = await readVolume(GREYSCALE);
    expect(v.data).toBeInstanceOf(Uint16Array);
    let min = Infinity, max = -Infinity;
    for (const x of v.data) { if (x < min) min = x; if (x > max) max = x; }
    const [t] = multiOtsu(v, 2);
    expect(t).toBeGreaterThan(min);
    expect(t).toBeLessThanOrEqual(max);
    const labels = segmentThresholds(v, [t]).data;
    let bright = 0;
    for (const l of labels) bright += l;
    const nmc = bright / labels.length;
    expect(nmc).toBeGreaterThan(0.3);
    expect(nmc).toBeLessThan(0.7);
    const t3 = multiOtsu(v, 3);
    expect(t3[0]).toBeLessThan(t3[1]);
    expect(t3[0]).toBeGreaterThan(min);
    expect(t3[1]).toBeLessThanOrEqual(max);
  });
});

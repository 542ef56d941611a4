/**
 * Volume readers: TIFF (every compression × dtype, byte orders, predictors, tiles, ImageJ
 * layouts), raw + sidecar, .npy, .vti dispatch; the real shared tomography volumes; and bad
 * inputs, each of which must raise a one-line InputError naming the file and the cause.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode as decodeWithTiffPackage } from 'tiff';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../src/core/errors.js';
import { Rng } from '../../../src/core/rng.js';
import { allocate, dtypeOf, type DType, type Shape3, type VoxelArray } from '../../../src/core/volume.js';
import { readVolume } from '../../../src/io/volume/index.js';
import { readNpyVolume } from '../../../src/io/volume/npy.js';
import { readRawVolume } from '../../../src/io/volume/raw.js';
import { readTiffVolume, unpackBits } from '../../../src/io/volume/tiff.js';
import { writeVti } from '../../../src/io/vtk/vti.js';
import { writeNpy } from '../../helpers/npy-writer.js';
import { lzwEncode, packBits, volumeToPages, writeTiff, type TiffWriteOptions } from '../../helpers/tiff-writer.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const TOMO = resolve(HERE, '../../../../shared/data/tomography');

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'lithomech-volume-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

function put(name: string, bytes: Uint8Array | string): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

const RANGE: Record<DType, [number, number]> = {
  uint8: [0, 255], int8: [-128, 127], uint16: [0, 65535], int16: [-32768, 32767],
  uint32: [0, 4294967295], int32: [-2147483648, 2147483647], float32: [-1e3, 1e3], float64: [-1e6, 1e6],
};

/** Label-like runs mixed with noise over the whole dtype range (exercises runs and literals). */
function sampleVolume(dtype: DType, shape: Shape3, seed: number): VoxelArray {
  const rng = new Rng(seed);
  const n = shape[0] * shape[1] * shape[2];
  const a = allocate(dtype, n);
  const [lo, hi] = RANGE[dtype];
  const isFloat = dtype.startsWith('float');
  const draw = () => (isFloat ? lo + rng.uniform() * (hi - lo) : lo + Math.floor(rng.uniform() * (hi - lo + 1)));
  for (let i = 0; i < n;) {
    const run = 1 + (rng.nextU32() % 20);
    const noisy = rng.uniform() < 0.4;
    const v = draw();
    for (let k = 0; k < run && i < n; k++, i++) a[i] = noisy ? draw() : v;
  }
  a[0] = lo; a[n - 1] = hi; // the extremes of the range
  return a;
}

function expectSameArray(actual: VoxelArray, expected: VoxelArray): void {
  expect(dtypeOf(actual)).toBe(dtypeOf(expected));
  expect(actual.length).toBe(expected.length);
  // Compare bytes in one go (far faster than element-wise toEqual on large arrays).
  expect(Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength)
    .equals(Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength))).toBe(true);
}

async function expectInputError(p: Promise<unknown>, file: string, cause: RegExp): Promise<InputError> {
  let caught: unknown;
  try { await p; } catch (err) { caught = err; }
  expect(caught).toBeInstanceOf(InputError);
  const e = caught as InputError;
  expect(e.source).toBe(file);
  expect(e.message.startsWith(`${file}: `)).toBe(true);
  expect(e.message).toMatch(cause);
  expect(e.message).not.toContain('\n');
  return e;
}

const COMPRESSIONS = [1, 32773, 8, 32946, 5] as const;
const COMPRESSION_NAME: Record<number, string> = { 1: 'none', 5: 'LZW', 8: 'Deflate', 32946: 'Adobe Deflate', 32773: 'PackBits' };

describe('TIFF reader round trips', () => {
  const shape: Shape3 = [37, 23, 5]; // odd sizes: partial last strip, partial edge tiles
  for (const dtype of ['uint8', 'int8', 'uint16'] as const) {
    for (const compression of COMPRESSIONS) {
      it(`${dtype}, compression ${COMPRESSION_NAME[compression]} (${compression})`, async () => {
        const vol = sampleVolume(dtype, shape, 11 + compression);
        const file = put(`rt-${dtype}-${compression}.tif`, writeTiff(volumeToPages(vol, shape), { compression, rowsPerStrip: 4 }));
        const got = await readVolume(file);
        expect(got.shape).toEqual(shape);
        expect(got.voxelSize).toBeUndefined();
        expect(got.source).toBe(file);
        expectSameArray(got.data, vol);
      });
    }
  }

  for (const dtype of ['int16', 'uint32', 'int32', 'float32', 'float64'] as const) {
    it(`${dtype}, uncompressed and Deflate`, async () => {
      const vol = sampleVolume(dtype, shape, 5);
      for (const compression of [1, 8] as const) {
        const file = put(`rt-${dtype}-${compression}.tif`, writeTiff(volumeToPages(vol, shape), { compression }));
        expectSameArray((await readTiffVolume(file)).data, vol);
      }
    });
  }

  it('big-endian files, with and without the horizontal predictor', async () => {
    for (const dtype of ['uint8', 'int8', 'uint16', 'int16', 'int32', 'float32'] as const) {
      const vol = sampleVolume(dtype, shape, 21);
      const variants: TiffWriteOptions[] = [
        { littleEndian: false },
        { littleEndian: false, compression: 32773 },
        ...(dtype.startsWith('float') ? [] : [
          { littleEndian: false, compression: 8, predictor: 2 } as const,
          { littleEndian: true, compression: 5, predictor: 2 } as const,
          { littleEndian: false, compression: 5, predictor: 2 } as const,
        ]),
      ];
      for (const [i, opts] of variants.entries()) {
        const file = put(`be-${dtype}-${i}.tif`, writeTiff(volumeToPages(vol, shape), opts));
        expectSameArray((await readTiffVolume(file)).data, vol);
      }
    }
  });

  it('tiled pages, including partial edge tiles', async () => {
    for (const dtype of ['uint8', 'uint16'] as const) {
      const vol = sampleVolume(dtype, shape, 3);
      for (const compression of COMPRESSIONS) {
        const file = put(`tiled-${dtype}-${compression}.tif`, writeTiff(volumeToPages(vol, shape), { compression, tile: [16, 16] }));
        expectSameArray((await readTiffVolume(file)).data, vol);
      }
    }
  });

  it('LZW over long strips (code widths up to 12 bits and table resets)', async () => {
    const s: Shape3 = [256, 256, 2];
    const rng = new Rng(99);
    const vol = new Uint8Array(s[0] * s[1] * s[2]);
    for (let i = 0; i < vol.length; i++) vol[i] = rng.uniform() < 0.5 ? rng.nextU32() & 0xff : (i >> 7) & 0xff;
    const file = put('lzw-long.tif', writeTiff(volumeToPages(vol, s), { compression: 5, rowsPerStrip: 256 }));
    expectSameArray((await readTiffVolume(file)).data, vol);
  });

  it('PackBits: the -128 no-op header is skipped (geotiff treats it as a run)', async () => {
    const vol = sampleVolume('uint8', shape, 8);
    const file = put('packbits-noop.tif', writeTiff(volumeToPages(vol, shape), { compression: 32773, packBitsNoop: true }));
    expectSameArray((await readTiffVolume(file)).data, vol);
    expect([...unpackBits(Uint8Array.from([0x80, 0xfe, 7, 0x01, 1, 2]), 5)]).toEqual([7, 7, 7, 1, 2]);
    expect(unpackBits(Uint8Array.from([0x03, 1, 2]), 4).length).toBe(2); // truncated literal run
  });

  it('the test writer produces files an independent decoder (the `tiff` package) agrees with', () => {
    const vol = sampleVolume('uint16', shape, 4);
    for (const compression of [1, 5, 8] as const) {
      const bytes = writeTiff(volumeToPages(vol, shape), { compression, rowsPerStrip: 4 });
      const ifds = decodeWithTiffPackage(bytes);
      expect(ifds.length).toBe(shape[2]);
      for (let z = 0; z < shape[2]; z++) {
        expect(Array.from(ifds[z].data as Uint16Array)).toEqual(Array.from(vol.subarray(z * 37 * 23, (z + 1) * 37 * 23)));
      }
    }
    // A 12-bit LZW stream with resets also decodes identically there.
    const rng = new Rng(1);
    const raw = Uint8Array.from({ length: 70000 }, () => rng.nextU32() & 0x3f);
    const page = { width: 700, height: 100, data: raw };
    expect(Array.from(decodeWithTiffPackage(writeTiff([page], { compression: 5, rowsPerStrip: 100 }))[0].data as Uint8Array)).toEqual(Array.from(raw));
    expect(packBits(Uint8Array.from([1, 1, 1, 2, 3]))).toEqual([0xfe, 1, 0x01, 2, 3]);
    expect(lzwEncode(new Uint8Array(0)).length).toBeGreaterThan(0);
  });

  it('voxel size from an ImageJ calibration only', async () => {
    const vol = sampleVolume('uint8', [8, 6, 3], 2);
    const pages = volumeToPages(vol, [8, 6, 3]);
    const calibrated = put('imagej.tif', writeTiff(pages, {
      description: 'ImageJ=1.54f\nimages=3\nslices=3\nunit=micron\nspacing=0.5\nloop=false\n',
      xResolution: [5, 2], yResolution: [5, 2], resolutionUnit: 1,
    }));
    const v1 = await readTiffVolume(calibrated);
    expect(v1.voxelSize![0]).toBeCloseTo(0.4e-6, 15);
    expect(v1.voxelSize![1]).toBeCloseTo(0.4e-6, 15);
    expect(v1.voxelSize![2]).toBeCloseTo(0.5e-6, 15);
    // ImageJ escapes µ; no spacing= means 1 unit
    const micro = put('imagej-mu.tif', writeTiff(pages, {
      description: 'ImageJ=1.54f\nimages=3\nslices=3\nunit=\\u00B5m\n', xResolution: [2, 1], yResolution: [4, 1],
    }));
    const v2 = await readTiffVolume(micro);
    expect(v2.voxelSize![0]).toBeCloseTo(0.5e-6, 15);
    expect(v2.voxelSize![1]).toBeCloseTo(0.25e-6, 15);
    expect(v2.voxelSize![2]).toBeCloseTo(1e-6, 15);
    // Uncalibrated ImageJ and plain 72-dpi resolution tags carry no voxel size
    const pixel = put('imagej-pixel.tif', writeTiff(pages, { description: 'ImageJ=1.54f\nimages=3\nunit=pixel\n', xResolution: [1, 1], yResolution: [1, 1] }));
    expect((await readTiffVolume(pixel)).voxelSize).toBeUndefined();
    const dpi = put('dpi.tif', writeTiff(pages, { xResolution: [72, 1], yResolution: [72, 1], resolutionUnit: 2 }));
    expect((await readTiffVolume(dpi)).voxelSize).toBeUndefined();
  });

  it('ImageJ stacks stored with a single IFD', async () => {
    const s: Shape3 = [9, 7, 4];
    const vol = sampleVolume('uint16', s, 6);
    const file = put('imagej-single.tif', writeTiff(volumeToPages(vol, s), {
      onlyFirstIfd: true, rowsPerStrip: 7, description: 'ImageJ=1.54f\nimages=4\nslices=4\n',
    }));
    const got = await readTiffVolume(file);
    expect(got.shape).toEqual(s);
    expectSameArray(got.data, vol);
  });

  it('skips reduced-resolution subfiles', async () => {
    const vol = sampleVolume('uint8', [10, 10, 2], 1);
    const pages = [...volumeToPages(vol, [10, 10, 2]), { width: 5, height: 5, data: new Uint8Array(25) }];
    const file = put('thumb.tif', writeTiff(pages, { subfileTypes: [0, 0, 1] }));
    const got = await readTiffVolume(file);
    expect(got.shape).toEqual([10, 10, 2]);
    expectSameArray(got.data, vol);
  });

  it('reads a 256³ uint8 stack quickly', async () => {
    const s: Shape3 = [256, 256, 256];
    const vol = sampleVolume('uint8', s, 7);
    const file = put('big.tif', writeTiff(volumeToPages(vol, s)));
    const t0 = performance.now();
    const got = await readVolume(file);
    const ms = performance.now() - t0;
    expectSameArray(got.data, vol);
    console.log(`256^3 uint8 uncompressed TIFF read in ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(4000);
  });
});

describe('real tomography volumes (../shared/data/tomography)', () => {
  async function fractions(file: string) {
    const t0 = performance.now();
    const vol = await readVolume(join(TOMO, file));
    const ms = performance.now() - t0;
    const counts = new Map<number, number>();
    if (!(vol.data instanceof Uint16Array)) for (const v of vol.data) counts.set(v, (counts.get(v) ?? 0) + 1);
    const frac = new Map([...counts].map(([k, c]) => [k, c / vol.data.length]));
    return { vol, frac, ms };
  }

  it('nrel-nmc1cal-bridge-cbd.tif: 301×301×251 uint8 PackBits, labels 0/1/2', async () => {
    const { vol, frac, ms } = await fractions('nrel-nmc1cal-bridge-cbd.tif');
    console.log(`nrel-nmc1cal-bridge-cbd.tif (251 PackBits pages) read in ${ms.toFixed(0)} ms`);
    expect(vol.shape).toEqual([301, 301, 251]);
    expect(vol.data).toBeInstanceOf(Uint8Array);
    expect([...frac.keys()].sort()).toEqual([0, 1, 2]);
    expect(Math.abs(frac.get(0)! - 0.4005)).toBeLessThanOrEqual(0.00005);
    expect(Math.abs(frac.get(1)! - 0.4995)).toBeLessThanOrEqual(0.00005);
    expect(Math.abs(frac.get(2)! - 0.100)).toBeLessThanOrEqual(0.0005);
    expect(vol.voxelSize).toBeUndefined(); // "not in the file"
    // first page's compression really is PackBits
    const buf = readFileSync(join(TOMO, 'nrel-nmc1cal-bridge-cbd.tif'));
    expect(buf.toString('latin1', 0, 2)).toBe('II');
  });

  it('superres-electrode-lr.tif: 128³ uint8, labels 0/128', async () => {
    const { vol, frac } = await fractions('superres-electrode-lr.tif');
    expect(vol.shape).toEqual([128, 128, 128]);
    expect(vol.data).toBeInstanceOf(Uint8Array);
    expect([...frac.keys()].sort((a, b) => a - b)).toEqual([0, 128]);
    expect(Math.abs(frac.get(0)! - 0.602)).toBeLessThanOrEqual(0.0005);
    expect(Math.abs(frac.get(128)! - 0.398)).toBeLessThanOrEqual(0.0005);
  });

  it('superres-nmc-lr.tif: 128³ int8, labels 0/1', async () => {
    const { vol, frac } = await fractions('superres-nmc-lr.tif');
    expect(vol.shape).toEqual([128, 128, 128]);
    expect(vol.data).toBeInstanceOf(Int8Array);
    expect([...frac.keys()].sort((a, b) => a - b)).toEqual([0, 1]);
    expect(Math.abs(frac.get(0)! - 0.580)).toBeLessThanOrEqual(0.0005);
    expect(Math.abs(frac.get(1)! - 0.420)).toBeLessThanOrEqual(0.0005);
  });

  it('nrel-nmc1cal-greyscale.tif: 75³ uint16 greyscale 12471–48892', async () => {
    const { vol } = await fractions('nrel-nmc1cal-greyscale.tif');
    expect(vol.shape).toEqual([75, 75, 75]);
    expect(vol.data).toBeInstanceOf(Uint16Array);
    let min = Infinity, max = -Infinity;
    for (const v of vol.data) { if (v < min) min = v; if (v > max) max = v; }
    expect([min, max]).toEqual([12471, 48892]);
  });
});

describe('raw + JSON sidecar', () => {
  const shape: Shape3 = [6, 5, 4];

  function bytesOf(a: VoxelArray, littleEndian: boolean): Uint8Array {
    const b = new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
    if (!littleEndian) for (let i = 0; i < b.length; i += a.BYTES_PER_ELEMENT) b.subarray(i, i + a.BYTES_PER_ELEMENT).reverse();
    return b;
  }

  it('round-trips every dtype in both byte orders', async () => {
    for (const dtype of ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'float64'] as const) {
      for (const endianness of ['little', 'big'] as const) {
        const vol = sampleVolume(dtype, shape, 31);
        const file = put(`v-${dtype}-${endianness}.raw`, bytesOf(vol, endianness === 'little'));
        put(`v-${dtype}-${endianness}.raw.json`, JSON.stringify({ shape, dtype, endianness, voxelSize: '0.4 um' }));
        const got = await readVolume(file);
        expect(got.shape).toEqual(shape);
        expectSameArray(got.data, vol);
        expect(got.voxelSize!.map((v) => v / 1e-6)).toEqual([0.4, 0.4, 0.4].map((v) => expect.closeTo(v, 12)));
      }
    }
  });

  it('supports vol.json, a header offset, C order (z fastest) and voxel size forms', async () => {
    const vol = sampleVolume('uint16', shape, 2) as Uint16Array;
    // C order with shape [nx, ny, nz]: z varies fastest
    const [nx, ny, nz] = shape;
    const zFast = new Uint16Array(vol.length);
    for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) zFast[z + nz * (y + ny * x)] = vol[x + nx * (y + ny * z)];
    const header = new Uint8Array(16).fill(0xee);
    const body = bytesOf(zFast, false);
    const withHeader = new Uint8Array(header.length + body.length);
    withHeader.set(header); withHeader.set(body, header.length);
    const file = put('cvol.bin', withHeader);
    put('cvol.json', JSON.stringify({ shape, dtype: 'uint16', endianness: 'big', order: 'C', offset: 16, voxelSize: [1e-6, '2 um', 3e-6] }));
    const got = await readVolume(file);
    expectSameArray(got.data, vol);
    expect(got.voxelSize![1]).toBeCloseTo(2e-6, 15);
    expect(got.voxelSize![2]).toBe(3e-6);

    const u8 = sampleVolume('uint8', [4, 3, 1], 3);
    const f2 = put('flat.raw', bytesOf(u8, true));
    put('flat.raw.json', JSON.stringify({ shape: [4, 3], dtype: 'uint8', voxelSize: 5e-7 }));
    const g2 = await readRawVolume(f2);
    expect(g2.shape).toEqual([4, 3, 1]);
    expect(g2.voxelSize).toEqual([5e-7, 5e-7, 5e-7]);
    put('novs.raw', bytesOf(u8, true));
    put('novs.raw.json', JSON.stringify({ shape: [4, 3, 1], dtype: 'uint8' }));
    expect((await readRawVolume(join(dir, 'novs.raw'))).voxelSize).toBeUndefined();
  });
});

describe('.npy reader', () => {
  const shape: Shape3 = [5, 4, 3]; // [nx, ny, nz]
  const [nx, ny, nz] = shape;

  it('C order (nz, ny, nx) and Fortran order (nx, ny, nz) map to [nx, ny, nz] directly', async () => {
    const vol = sampleVolume('uint16', shape, 4);
    // vol[x + nx*(y + ny*z)] is both C-order a[z][y][x] and Fortran-order a[x][y][z].
    for (const [name, opts] of [
      ['c-le', { descr: '<u2', shape: [nz, ny, nx] }],
      ['c-be', { descr: '>u2', shape: [nz, ny, nx] }],
      ['f-le', { descr: '<u2', shape: [nx, ny, nz], fortranOrder: true }],
      ['c-v2', { descr: '<u2', shape: [nz, ny, nx], version: 2 }],
      ['c-v3', { descr: '<u2', shape: [nz, ny, nx], version: 3 }],
      ['c-4d', { descr: '<u2', shape: [1, nz, ny, nx] }],
    ] as const) {
      const file = put(`${name}.npy`, writeNpy(vol, { ...opts, shape: [...opts.shape] }));
      const got = await readVolume(file);
      expect(got.shape, name).toEqual(shape);
      expectSameArray(got.data, vol);
      expect(got.voxelSize).toBeUndefined();
    }
    // element (x=1, y=2, z=0) of a Fortran array is at 1 + nx*2
    const f = await readNpyVolume(join(dir, 'f-le.npy'));
    expect(f.data[1 + nx * 2]).toBe(vol[1 + nx * 2]);
  });

  it('dtypes, including big-endian, bool and narrowed int64', async () => {
    const cases: [string, VoxelArray][] = [
      ['|u1', sampleVolume('uint8', shape, 1)], ['|i1', sampleVolume('int8', shape, 1)],
      ['<i2', sampleVolume('int16', shape, 1)], ['>i2', sampleVolume('int16', shape, 2)],
      ['<u4', sampleVolume('uint32', shape, 1)], ['>i4', sampleVolume('int32', shape, 1)],
      ['<f4', sampleVolume('float32', shape, 1)], ['>f4', sampleVolume('float32', shape, 2)],
      ['<f8', sampleVolume('float64', shape, 1)], ['>f8', sampleVolume('float64', shape, 2)],
    ];
    for (const [descr, vol] of cases) {
      const file = put(`dt-${descr.replace(/[<>|]/, 'x')}-${descr[0] === '>' ? 'be' : 'le'}.npy`, writeNpy(vol, { descr, shape: [nz, ny, nx] }));
      const got = await readNpyVolume(file);
      expectSameArray(got.data, vol);
    }
    const bools = Uint8Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    expectSameArray((await readNpyVolume(put('b.npy', writeNpy(bools, { descr: '|b1', shape: [nz, ny, nx] })))).data, bools);

    const labels = BigInt64Array.from({ length: 60 }, (_, i) => BigInt(i * 1000 - 7000));
    const got = await readNpyVolume(put('i8.npy', writeNpy(labels, { descr: '<i8', shape: [nz, ny, nx] })));
    expect(got.data).toBeInstanceOf(Int32Array);
    expect(Array.from(got.data)).toEqual(Array.from(labels, Number));
    const gotBe = await readNpyVolume(put('i8be.npy', writeNpy(labels, { descr: '>i8', shape: [nz, ny, nx] })));
    expect(Array.from(gotBe.data)).toEqual(Array.from(labels, Number));
    const huge = BigInt64Array.from([1n, 1n << 40n]);
    await expectInputError(readNpyVolume(put('i8-huge.npy', writeNpy(huge, { descr: '<i8', shape: [1, 2] }))), join(dir, 'i8-huge.npy'), /outside the int32 range/);
  });

  it('2-D arrays are one slice', async () => {
    const img = sampleVolume('uint8', [5, 4, 1], 9);
    const c = await readNpyVolume(put('2d-c.npy', writeNpy(img, { descr: '|u1', shape: [4, 5] })));
    expect(c.shape).toEqual([5, 4, 1]);
    const f = await readNpyVolume(put('2d-f.npy', writeNpy(img, { descr: '|u1', shape: [5, 4], fortranOrder: true })));
    expect(f.shape).toEqual([5, 4, 1]);
    expectSameArray(f.data, img);
  });
});

describe('readVolume dispatch', () => {
  it('reads .vti cell data ("phase" first, else the first cell array) with its spacing', async () => {
    const shape: Shape3 = [4, 3, 2];
    const phase = Uint8Array.from({ length: 24 }, (_, i) => i % 3);
    const other = Float32Array.from({ length: 24 }, (_, i) => i / 2);
    const file = join(dir, 'v.vti');
    await writeVti(file, { shape, spacing: [1e-6, 2e-6, 3e-6], cellData: { grey: other, phase } });
    const got = await readVolume(file);
    expect(got.shape).toEqual(shape);
    expectSameArray(got.data, phase);
    expect(got.voxelSize).toEqual([1e-6, 2e-6, 3e-6]);
    const file2 = join(dir, 'w.vti');
    await writeVti(file2, { shape, spacing: [1, 1, 1], cellData: { grey: other } });
    expectSameArray((await readVolume(file2)).data, other);
  });

  it('the voxelSize option overrides the file', async () => {
    const vol = sampleVolume('uint8', [3, 3, 2], 1);
    const file = put('ovr.tif', writeTiff(volumeToPages(vol, [3, 3, 2])));
    expect((await readVolume(file, { voxelSize: [1e-6, 1e-6, 2e-6] })).voxelSize).toEqual([1e-6, 1e-6, 2e-6]);
    expect((await readVolume(file)).voxelSize).toBeUndefined();
    const upper = put('UPPER.TIFF', writeTiff(volumeToPages(vol, [3, 3, 2])));
    expect((await readVolume(upper)).shape).toEqual([3, 3, 2]);
  });
});

describe('bad inputs raise InputError naming the file and the cause', () => {
  const shape: Shape3 = [12, 10, 3];
  const vol = () => sampleVolume('uint8', shape, 17);

  it('missing files', async () => {
    for (const name of ['missing.tif', 'missing.npy', 'missing.raw']) {
      const p = join(dir, name);
      await expectInputError(readVolume(p), p, /not found/);
    }
  });

  it('unknown extension', async () => {
    const p = put('image.png', 'x');
    await expectInputError(readVolume(p), p, /unknown volume format "\.png"/);
    const q = join(dir, 'noext');
    await expectInputError(readVolume(q), q, /unknown volume format "\(no extension\)"/);
  });

  it('not a TIFF at all', async () => {
    const p = put('fake.tif', 'this is plain text, not an image');
    await expectInputError(readVolume(p), p, /not a TIFF file/);
  });

  it('truncated TIFF files', async () => {
    const bytes = writeTiff(volumeToPages(vol(), shape), { compression: 32773 });
    for (const keep of [0.6, 0.95, 0.999]) {
      const p = put(`trunc-${keep}.tif`, bytes.subarray(0, Math.floor(bytes.length * keep)));
      await expectInputError(readVolume(p), p, /truncated/);
    }
    // Intact directories, but the strip runs past the end of the file
    const single = writeTiff([{ width: 12, height: 10, data: new Uint8Array(120) }], {
      rowsPerStrip: 10, extraTags: [{ tag: 279, type: 4, values: [1120] }],
    });
    const p = put('strip-past-end.tif', single);
    await expectInputError(readVolume(p), p, /truncated TIFF: strip 0 of page 0 spans bytes \d+–\d+ but the file has \d+ bytes/);
  });

  it('a looping chain of page directories', async () => {
    const bytes = writeTiff(volumeToPages(vol(), shape));
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const first = dv.getUint32(4, true);
    // point the last directory back at the first
    let at = first;
    for (;;) {
      const next = dv.getUint32(at + 2 + 12 * dv.getUint16(at, true), true);
      if (next === 0) break;
      at = next;
    }
    dv.setUint32(at + 2 + 12 * dv.getUint16(at, true), first, true);
    const p = put('loop.tif', bytes);
    await expectInputError(readVolume(p), p, /chain of page directories loops back at page 3/);
  });

  it('corrupt compressed data', async () => {
    const p = put('bad-deflate.tif', writeTiff(volumeToPages(vol(), shape), { claimCompression: 8 }));
    await expectInputError(readVolume(p), p, /page 0: cannot decode Deflate data of strip 0 .*corrupt or truncated/);
    // PackBits stream that stops early
    const q = put('short-packbits.tif', writeTiff([{ width: 12, height: 10, data: new Uint8Array(120) }], {
      compression: 32773, rowsPerStrip: 10, extraTags: [{ tag: 279, type: 4, values: [4] }],
    }));
    await expectInputError(readVolume(q), q, /strip 0 decodes to \d+ bytes, expected 120/);
  });

  it('unsupported compression', async () => {
    for (const [code, name] of [[7, 'JPEG'], [34712, 'JPEG 2000'], [50000, 'Zstandard'], [12345, 'an unknown']] as const) {
      const p = put(`comp-${code}.tif`, writeTiff(volumeToPages(vol(), shape), { claimCompression: code }));
      await expectInputError(readVolume(p), p, new RegExp(`page 0 uses ${name} compression \\(code ${code}\\), which is not supported`));
    }
  });

  it('pages of different sizes', async () => {
    const p = put('sizes.tif', writeTiff([
      { width: 10, height: 10, data: new Uint8Array(100) },
      { width: 12, height: 10, data: new Uint8Array(120) },
    ]));
    await expectInputError(readVolume(p), p, /page 1 is 12×10 pixels but page 0 is 10×10/);
    const q = put('types.tif', writeTiff([
      { width: 10, height: 10, data: new Uint8Array(100) },
      { width: 10, height: 10, data: new Uint16Array(100) },
    ]));
    await expectInputError(readVolume(q), q, /page 1 holds uint16 values but page 0 holds uint8/);
  });

  it('multi-sample (RGB) pages', async () => {
    const p = put('rgb.tif', writeTiff([{ width: 4, height: 4, data: new Uint8Array(48), samplesPerPixel: 3 }]));
    await expectInputError(readVolume(p), p, /page 0 has 3 samples per pixel/);
  });

  it('ImageJ hyperstacks with channels', async () => {
    const p = put('channels.tif', writeTiff(volumeToPages(vol(), shape), { description: 'ImageJ=1.54f\nimages=3\nchannels=3\n' }));
    await expectInputError(readVolume(p), p, /3 channels/);
  });

  it('raw: missing sidecar, truncated data, size mismatch, bad sidecar', async () => {
    const data = new Uint8Array(12 * 10 * 3 * 2);
    const p = put('nosidecar.raw', data);
    await expectInputError(readVolume(p), p, /no JSON sidecar found/);

    const t = put('short.raw', data.subarray(0, data.length - 1));
    put('short.raw.json', JSON.stringify({ shape, dtype: 'uint16', endianness: 'little' }));
    await expectInputError(readVolume(t), t, /too short \(truncated\?\): it has 719 bytes but .*short\.raw\.json describes 12×10×3 uint16 = 720 bytes/);

    const l = put('long.raw', data);
    put('long.raw.json', JSON.stringify({ shape: [12, 10, 2], dtype: 'uint16', endianness: 'little' }));
    await expectInputError(readVolume(l), l, /longer than expected: it has 720 bytes but .* describes 12×10×2 uint16 = 480 bytes/);

    const s = put('badside.raw', data);
    const side = put('badside.raw.json', JSON.stringify({ shape, dtype: 'uint12', endianness: 'little' }));
    await expectInputError(readVolume(s), side, /"dtype" must be one of/);
    put('badside.raw.json', JSON.stringify({ shape, dtype: 'uint16' }));
    await expectInputError(readVolume(s), side, /"endianness" .* is required for uint16/);
    put('badside.raw.json', '{ "shape": [1, 2');
    await expectInputError(readVolume(s), side, /invalid JSON/);
    put('badside.raw.json', JSON.stringify({ shape, dtype: 'uint16', endianness: 'little', voxelSize: '3 s' }));
    await expectInputError(readVolume(s), `${side} (voxelSize)`, /is not a length/);
  });

  it('npy: malformed header, unsupported dtype, truncated data', async () => {
    const body = new Uint16Array(60);
    const m = put('malformed.npy', writeNpy(body, { descr: '<u2', shape: [3, 4, 5], headerText: "{'descr': '<u2', 'fortran_order': False, 'shape': (3, 4 }" }));
    await expectInputError(readVolume(m), m, /malformed \.npy header: expected "," or "\)"/);
    const k = put('nokey.npy', writeNpy(body, { descr: '<u2', shape: [3, 4, 5], headerText: "{'descr': '<u2', 'shape': (3, 4, 5)}" }));
    await expectInputError(readVolume(k), k, /malformed \.npy header: missing 'fortran_order'/);
    const magic = put('nomagic.npy', 'NUMPY but not really');
    await expectInputError(readVolume(magic), magic, /not a NumPy \.npy file/);
    const c = put('complex.npy', writeNpy(new Float32Array(120), { descr: '<c8', shape: [3, 4, 5] }));
    await expectInputError(readVolume(c), c, /unsupported \.npy dtype '<c8'/);
    const full = writeNpy(body, { descr: '<u2', shape: [3, 4, 5] });
    const tr = put('trunc.npy', full.subarray(0, full.length - 3));
    await expectInputError(readVolume(tr), tr, /truncated \.npy: 3×4×5 '<u2' needs \d+ bytes but the file has \d+/);
    const one = put('1d.npy', writeNpy(body, { descr: '<u2', shape: [60] }));
    await expectInputError(readVolume(one), one, /expected a 2-D or 3-D array/);
  });
});

describe('shared data is read in place', () => {
  it('the four volumes exist beside the repository', () => {
    for (const f of ['nrel-nmc1cal-bridge-cbd.tif', 'nrel-nmc1cal-greyscale.tif', 'superres-electrode-lr.tif', 'superres-nmc-lr.tif']) {
      expect(existsSync(join(TOMO, f)), f).toBe(true);
    }
  });
});

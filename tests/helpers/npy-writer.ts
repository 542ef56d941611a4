/**
 * Minimal NumPy .npy writer for tests (format 1.0, 2.0 or 3.0).
 *
 * `data` holds the array elements in the file's memory order (C order: last axis fastest;
 * Fortran order: first axis fastest) as host-order values; they are written in the byte order
 * the descr names ('<', '>' or '|').
 */
export interface NpyWriteOptions {
  descr: string;
  shape: number[];
  fortranOrder?: boolean;
  version?: 1 | 2 | 3;
  /** Replace the header dictionary text (for malformed-header tests). */
  headerText?: string;
}

export function writeNpy(data: ArrayBufferView, opts: NpyWriteOptions): Uint8Array {
  const version = opts.version ?? 1;
  const shape = opts.shape.length === 1 ? `(${opts.shape[0]},)` : `(${opts.shape.join(', ')})`;
  let dict = opts.headerText
    ?? `{'descr': '${opts.descr}', 'fortran_order': ${opts.fortranOrder ? 'True' : 'False'}, 'shape': ${shape}, }`;
  const prefix = version === 1 ? 10 : 12;
  // Pad with spaces so the data starts on a 64-byte boundary; the header ends with '\n'.
  const total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - prefix - 1, ' ') + '\n';
  const headerBytes = Buffer.from(dict, version === 3 ? 'utf8' : 'latin1');

  const body = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  const width = (data as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
  const hostLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  const fileLE = !opts.descr.startsWith('>');
  if (width > 1 && fileLE !== hostLE) {
    for (let i = 0; i < body.length; i += width) body.subarray(i, i + width).reverse();
  }

  const out = new Uint8Array(prefix + headerBytes.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, headerBytes.length, true);
  else dv.setUint32(8, headerBytes.length, true);
  out.set(headerBytes, prefix);
  out.set(body, prefix + headerBytes.length);
  return out;
}

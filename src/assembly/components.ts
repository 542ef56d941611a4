/**
 * 6-connected components of the conducting voxels, and which of them touch the two Dirichlet
 * faces normal to an axis. The labelling itself is `labelComponents` of src/mesh/components.ts
 * (two-pass union-find); this module adds the boundary-contact summary the assembly needs.
 */
import type { Axis, Shape3 } from '../core/volume.js';
import { labelComponents } from '../mesh/components.js';

export interface FaceComponents {
  /** Component id per voxel (0-based), −1 for voxels outside the set. */
  label: Int32Array;
  count: number;
  /** Voxels per component. */
  size: Int32Array;
  /** Component has a voxel on the low face (index 0) / high face (index n−1) along the axis. */
  touchesLow: Uint8Array;
  touchesHigh: Uint8Array;
}

/**
 * Label the 6-connected components of { i : values[i] > 0 } and record which touch the low and
 * high faces normal to `axis`. `out` (optional, n entries) receives the labels.
 */
export function labelFaceComponents(values: ArrayLike<number>, shape: Shape3, axis: Axis, out?: Int32Array): FaceComponents {
  const [nx, ny, nz] = shape;
  const N = nx * ny * nz;
  if (values.length !== N) throw new RangeError(`labelFaceComponents: ${values.length} values for ${N} voxels`);
  const mask = new Uint8Array(N);
  for (let i = 0; i < N; i++) mask[i] = values[i] > 0 ? 1 : 0;
  const { labels, count } = labelComponents(mask, shape, 6, out);
  // 1..count → 0..count−1, background 0 → −1 (in place)
  const size = new Int32Array(count);
  for (let i = 0; i < N; i++) {
    const c = labels[i] - 1;
    labels[i] = c;
    if (c >= 0) size[c]++;
  }
  const touchesLow = new Uint8Array(count);
  const touchesHigh = new Uint8Array(count);
  const last = shape[axis] - 1;
  const strides = [1, nx, nx * ny];
  const sa = strides[axis], sb = strides[(axis + 1) % 3], sc = strides[(axis + 2) % 3];
  const nb = shape[(axis + 1) % 3], nc = shape[(axis + 2) % 3];
  for (let c = 0; c < nc; c++) for (let b = 0; b < nb; b++) {
    const base = b * sb + c * sc;
    const lo = labels[base], hi = labels[base + last * sa];
    if (lo >= 0) touchesLow[lo] = 1;
    if (hi >= 0) touchesHigh[hi] = 1;
  }
  return { label: labels, count, size, touchesLow, touchesHigh };
}

/**
 * Connected-component labelling of binary voxel masks.
 *
 * Two-pass union-find: the first raster pass (flat-index order, x fastest) gives every
 * foreground voxel a provisional label, copied from an already visited neighbour when it has
 * one, and records equivalences between provisional labels in a union-find forest whose roots
 * are always the smallest provisional label of their set; the second pass replaces provisional
 * labels by final ids. No recursion, no per-voxel allocation: memory is the output `Int32Array`
 * plus the union-find table (one `Int32Array` entry per provisional label, grown by doubling).
 *
 * Axis convention as everywhere in lithomech: flat index i = x + nx * (y + ny * z).
 */
import type { Axis, Shape3 } from '../core/volume.js';

/** Voxel connectivity: 6 = faces only, 26 = faces, edges and corners. */
export type Connectivity = 6 | 26;

/** Result of {@link labelComponents}. */
export interface ComponentLabels {
  /** Component id per voxel: 0 = background, 1..count for foreground. */
  labels: Int32Array;
  /** Number of components. */
  count: number;
  /** `sizes[id]` = number of voxels of component `id` (1..count); `sizes[0]` is 0. */
  sizes: Float64Array;
}

/** Union-find root of `p` with path halving. Roots satisfy parent[r] === r. */
export function find(parent: Int32Array, p: number): number {
  let q = p;
  while (parent[q] !== q) {
    const g = parent[parent[q]];
    parent[q] = g;
    q = g;
  }
  return q;
}

/** Merge the sets of `a` and `b`; the smaller root becomes the root. Returns that root. */
function union(parent: Int32Array, a: number, b: number): number {
  const ra = find(parent, a);
  const rb = find(parent, b);
  if (ra < rb) { parent[rb] = ra; return ra; }
  if (rb < ra) { parent[ra] = rb; return rb; }
  return ra;
}

/** Throws unless `shape` is a valid 3D shape matching `length`. */
export function checkShape(length: number, shape: Shape3, what: string): void {
  const [nx, ny, nz] = shape;
  if (!(Number.isInteger(nx) && Number.isInteger(ny) && Number.isInteger(nz) && nx >= 0 && ny >= 0 && nz >= 0)) {
    throw new RangeError(`${what}: invalid shape [${shape.join(', ')}]`);
  }
  if (nx * ny * nz !== length) {
    throw new RangeError(`${what}: array length ${length} does not match shape [${shape.join(', ')}]`);
  }
}

/**
 * Label the connected components of the foreground (`mask[i] !== 0`) of a 3D voxel mask.
 *
 * Components are numbered 1..count in the flat-index order (x fastest, then y, then z) of their
 * first voxel, so the result is deterministic and independent of implementation details.
 *
 * @param mask foreground indicator per voxel (any non-zero value is foreground).
 * @param shape [nx, ny, nz]; `mask.length` must equal nx*ny*nz.
 * @param connectivity 6 (face neighbours) or 26 (face, edge and corner neighbours).
 * @param out optional array of n entries to receive the labels (e.g. in shared memory).
 * @returns labels per voxel (0 = background), the number of components and their voxel counts.
 */
export function labelComponents(mask: Uint8Array, shape: Shape3, connectivity: Connectivity = 6, out?: Int32Array): ComponentLabels {
  checkShape(mask.length, shape, 'labelComponents');
  if (connectivity !== 6 && connectivity !== 26) {
    throw new RangeError(`labelComponents: connectivity must be 6 or 26, got ${String(connectivity)}`);
  }
  const [nx, ny, nz] = shape;
  const nxy = nx * ny;
  const n = nxy * nz;
  if (out && out.length !== n) throw new RangeError(`labelComponents: out has ${out.length} entries, expected ${n}`);
  const labels = out ? out.fill(0) : new Int32Array(n);
  let parent = new Int32Array(Math.max(16, Math.min(n + 1, 1 << 16)));
  let next = 1; // next provisional label

  // ---- pass 1: provisional labels + equivalences --------------------------------------------
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const row = nx * (y + ny * z);
      for (let x = 0; x < nx; x++) {
        const i = row + x;
        if (mask[i] === 0) continue;
        let l = 0;
        if (connectivity === 6) {
          if (x > 0 && mask[i - 1] !== 0) {
            l = labels[i - 1];
            // A neighbour j = i - d with mask[i-1-d] set is already joined to i-1 (through
            // i-1-d), so only union when that voxel is background.
            if (y > 0 && mask[i - nx] !== 0 && mask[i - 1 - nx] === 0) l = union(parent, l, labels[i - nx]);
            if (z > 0 && mask[i - nxy] !== 0 && mask[i - 1 - nxy] === 0) l = union(parent, l, labels[i - nxy]);
          } else {
            const hasY = y > 0 && mask[i - nx] !== 0;
            if (hasY) l = labels[i - nx];
            if (z > 0 && mask[i - nxy] !== 0) {
              const lz = labels[i - nxy];
              if (l === 0) l = lz;
              else if (mask[i - nx - nxy] === 0) l = union(parent, l, lz); // else joined via (y-1, z-1)
            }
          }
        } else {
          const xlo = x > 0;
          const xhi = x < nx - 1;
          if (xlo && mask[i - 1] !== 0) {
            // Every already visited neighbour of i with dx in {-1, 0} is also a visited neighbour
            // of i-1, hence already joined to it: only the dx = +1 neighbours remain.
            l = labels[i - 1];
            if (xhi) {
              if (y > 0) {
                const j = i + 1 - nx;
                if (mask[j] !== 0) l = union(parent, l, labels[j]);
              }
              if (z > 0) {
                const base = i + 1 - nxy;
                for (let dy = -1; dy <= 1; dy++) {
                  const yy = y + dy;
                  if (yy < 0 || yy >= ny) continue;
                  const j = base + dy * nx;
                  if (mask[j] !== 0) l = union(parent, l, labels[j]);
                }
              }
            }
          } else {
            // All 13 visited neighbours except (x-1, y, z), which is background here.
            const dx0 = xlo ? -1 : 0;
            const dx1 = xhi ? 1 : 0;
            if (y > 0) {
              const base = i - nx;
              for (let dx = dx0; dx <= dx1; dx++) {
                const j = base + dx;
                if (mask[j] !== 0) {
                  const lj = labels[j];
                  l = l === 0 ? lj : (lj === l ? l : union(parent, l, lj));
                }
              }
            }
            if (z > 0) {
              for (let dy = -1; dy <= 1; dy++) {
                const yy = y + dy;
                if (yy < 0 || yy >= ny) continue;
                const base = i - nxy + dy * nx;
                for (let dx = dx0; dx <= dx1; dx++) {
                  const j = base + dx;
                  if (mask[j] !== 0) {
                    const lj = labels[j];
                    l = l === 0 ? lj : (lj === l ? l : union(parent, l, lj));
                  }
                }
              }
            }
          }
        }
        if (l === 0) {
          if (next >= parent.length) {
            const grown = new Int32Array(Math.min(n + 1, parent.length * 2));
            grown.set(parent);
            parent = grown;
          }
          parent[next] = next;
          l = next++;
        }
        labels[i] = l;
      }
    }
  }

  // ---- resolve: final ids in order of smallest provisional label = first voxel ---------------
  // parent[p] <= p, so parent[p]'s final id is known when p is reached.
  let count = 0;
  for (let p = 1; p < next; p++) {
    const q = parent[p];
    parent[p] = q === p ? ++count : parent[q];
  }

  // ---- pass 2 ----------------------------------------------------------------------------------
  const sizes = new Float64Array(count + 1);
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (l !== 0) {
      const id = parent[l];
      labels[i] = id;
      sizes[id]++;
    }
  }
  return { labels, count, sizes };
}

/**
 * Ids of the components that have at least one voxel on a face of the box.
 *
 * @param labels component ids per voxel (0 = background), e.g. from {@link labelComponents}.
 * @param shape [nx, ny, nz].
 * @param axis the axis normal to the face (0 = x, 1 = y, 2 = z).
 * @param side 'low' for the face at index 0 along `axis`, 'high' for the face at index n-1.
 */
export function componentsTouching(labels: Int32Array, shape: Shape3, axis: Axis, side: 'low' | 'high'): Set<number> {
  checkShape(labels.length, shape, 'componentsTouching');
  const out = new Set<number>();
  const [nx, ny, nz] = shape;
  if (nx * ny * nz === 0) return out;
  const k = side === 'low' ? 0 : shape[axis] - 1;
  let last = 0;
  const add = (l: number): void => {
    if (l !== 0 && l !== last) { out.add(l); last = l; }
  };
  if (axis === 0) {
    for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) add(labels[k + nx * (y + ny * z)]);
  } else if (axis === 1) {
    for (let z = 0; z < nz; z++) {
      const row = nx * (k + ny * z);
      for (let x = 0; x < nx; x++) add(labels[row + x]);
    }
  } else {
    const slab = nx * ny * k;
    for (let j = 0; j < nx * ny; j++) add(labels[slab + j]);
  }
  return out;
}

/**
 * Whether the foreground of `mask` percolates along `axis`: some connected component touches
 * both box faces normal to `axis`.
 *
 * @param mask foreground indicator per voxel (non-zero = foreground).
 * @param shape [nx, ny, nz].
 * @param axis 0 = x, 1 = y, 2 = z.
 * @param connectivity 6 (default) or 26.
 */
export function percolates(mask: Uint8Array, shape: Shape3, axis: Axis, connectivity: Connectivity = 6): boolean {
  const { labels, count } = labelComponents(mask, shape, connectivity);
  if (count === 0) return false;
  const low = componentsTouching(labels, shape, axis, 'low');
  if (low.size === 0) return false;
  const high = componentsTouching(labels, shape, axis, 'high');
  for (const l of high) if (low.has(l)) return true;
  return false;
}

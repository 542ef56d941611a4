/**
 * Manufactured solution for the variable-coefficient FV operator (src/assembly/diffusion-operator):
 * −∇·(k∇u) = f on [0,1]³, u = 1 at x = 0, u = 0 at x = 1, zero flux on the other faces.
 *   u = (1 − x) + x(1 − x) cos(πy) cos(2πz)   (∂u/∂n = 0 on y, z faces)
 *   k = exp(x + 0.5 sin(2πy)) (1 + 0.5 z)
 * On anisotropic grids (h_z = 2 h_x) refined 4 times, the cell-centre L2 error must decrease with
 * order ≈ 2.
 */
import { describe, expect, it } from 'vitest';
import type { Shape3, Vec3 } from '../../../src/core/volume.js';
import { assembleDiffusionOperator } from '../../../src/assembly/diffusion-operator.js';
import { cg } from '../../../src/linalg/cg.js';
import { MultigridPreconditioner } from '../../../src/linalg/multigrid-preconditioner.js';

const PI = Math.PI;
const phi = (y: number, z: number) => Math.cos(PI * y) * Math.cos(2 * PI * z);
const exact = (x: number, y: number, z: number) => 1 - x + x * (1 - x) * phi(y, z);
const kOf = (x: number, y: number, z: number) => Math.exp(x + 0.5 * Math.sin(2 * PI * y)) * (1 + 0.5 * z);

function source(x: number, y: number, z: number): number {
  const e = Math.exp(x + 0.5 * Math.sin(2 * PI * y));
  const k = e * (1 + 0.5 * z);
  const kx = k;
  const ky = k * PI * Math.cos(2 * PI * y);
  const kz = 0.5 * e;
  const p = phi(y, z);
  const py = -PI * Math.sin(PI * y) * Math.cos(2 * PI * z);
  const pz = -2 * PI * Math.cos(PI * y) * Math.sin(2 * PI * z);
  const w = x * (1 - x);
  const ux = -1 + (1 - 2 * x) * p;
  const uxx = -2 * p;
  const uy = w * py, uyy = -PI * PI * w * p;
  const uz = w * pz, uzz = -4 * PI * PI * w * p;
  return -(kx * ux + ky * uy + kz * uz + k * (uxx + uyy + uzz));
}

function l2Error(shape: Shape3, scale = 1, length = 1): { error: number; iterations: number } {
  const [nx, ny, nz] = shape;
  const h: Vec3 = [1 / nx, 1 / ny, 1 / nz];
  const N = nx * ny * nz;
  const k = new Float64Array(N), f = new Float64Array(N), ue = new Float64Array(N);
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) {
    const i = x + nx * (y + ny * z);
    const cx = (x + 0.5) * h[0], cy = (y + 0.5) * h[1], cz = (z + 0.5) * h[2];
    k[i] = kOf(cx, cy, cz) * scale;
    f[i] = (source(cx, cy, cz) * scale) / (length * length);
    ue[i] = exact(cx, cy, cz);
  }
  // The domain is [0, length]³; `scale` multiplies k and f together: u is unchanged.
  const spacing: Vec3 = [h[0] * length, h[1] * length, h[2] * length];
  const op = assembleDiffusionOperator({ shape, spacing, conductivity: k, axis: 0, source: f });
  const res = cg(op, op.rhs, { rtol: 1e-12, preconditioner: new MultigridPreconditioner(op.matrix, op.grid) });
  let e2 = 0;
  for (let i = 0; i < N; i++) e2 += (res.x[op.unknownOfVoxel[i]] - ue[i]) ** 2;
  return { error: Math.sqrt(e2 / N), iterations: res.iterations };
}

describe('manufactured solution, variable-coefficient FV Poisson', () => {
  it('L2 error converges with order ≈ 2 on anisotropic grids', () => {
    const shapes: Shape3[] = [[8, 8, 4], [16, 16, 8], [32, 32, 16], [64, 64, 32]];
    const errors = shapes.map((s) => l2Error(s).error);
    const orders = errors.slice(1).map((e, i) => Math.log2(errors[i] / e));
    // eslint-disable-next-line no-console
    console.log('MMS L2 errors', errors.map((e) => e.toExponential(3)).join(' '), 'orders', orders.map((o) => o.toFixed(3)).join(' '));
    for (const o of orders) expect(o).toBeGreaterThan(1.8);
    expect(orders[orders.length - 1]).toBeLessThan(2.2);
    expect(errors[errors.length - 1]).toBeLessThan(1e-3);
  });

  it('is invariant to the conductivity unit and voxel size (non-dimensionalised system)', () => {
    const a = l2Error([16, 16, 8], 1);
    const b = l2Error([16, 16, 8], 1e-9, 1e-6); // nS/m-like conductivity, µm domain
    expect(Math.abs(a.error - b.error) / a.error).toBeLessThan(1e-6);
    expect(b.iterations).toBe(a.iterations);
  });
});

"""Independent reference for tests/verification/cube-array.test.ts (not run by the tests or CI).

The same discretisation as lithomech's tortuosity solver (7-point cell-centred finite volume,
harmonic-mean face conductances, Dirichlet faces half a cell from the first centre), written
separately in NumPy/SciPy and solved with PyAMG smoothed-aggregation CG to 1e-11, on one octant
of the periodic cell: c = 1 at x = 0, c = 0.5 at the mid-plane x = N/2 (antisymmetry), no flux
elsewhere (mirror symmetry). Cube side m cells in a period of N cells; s = sigma_cube /
sigma_matrix (s = 0: cube cells removed); dim = 2: square prism (extruded), transverse flux.

    python3 cube-array-octant.py <dim> <side fraction> <s> N1 N2 ...
    python3 cube-array-octant.py 3 0.5 0 16 32 64 128 256      # the insulating-cube table

Needs numpy, scipy and pyamg (pip). Prints sigma_eff / sigma_matrix per N.
"""
import sys, time
import numpy as np, scipy.sparse as sp, pyamg

def solve(N, m, s, dim=3, tol=1e-11):
    n = N // 2
    shape = (n,) * dim
    sig = np.ones(shape)
    start = (N - m) // 2
    sl = tuple(slice(start, n) for _ in range(dim))
    sig[sl] = s
    active = sig > 0
    idx = -np.ones(shape, dtype=np.int64)
    idx[active] = np.arange(active.sum())
    nu = active.sum()
    rows, cols, vals = [], [], []
    diag = np.zeros(nu)
    rhs = np.zeros(nu)
    for ax in range(dim):
        a = [slice(None)] * dim; b = [slice(None)] * dim
        a[ax] = slice(0, n - 1); b[ax] = slice(1, n)
        sa, sb = sig[tuple(a)], sig[tuple(b)]
        with np.errstate(divide='ignore', invalid='ignore'):
            g = np.where((sa > 0) & (sb > 0), 2 * sa * sb / (sa + sb), 0.0)
        ia, ib = idx[tuple(a)], idx[tuple(b)]
        msk = g > 0
        ia, ib, g = ia[msk], ib[msk], g[msk]
        rows += [ia, ib]; cols += [ib, ia]; vals += [-g, -g]
        np.add.at(diag, ia, g); np.add.at(diag, ib, g)
    # Dirichlet x faces
    f0 = [slice(None)] * dim; f0[0] = 0; f0 = tuple(f0)
    f1 = [slice(None)] * dim; f1[0] = n - 1; f1 = tuple(f1)
    g0 = 2 * sig[f0]; i0 = idx[f0]; m0 = g0 > 0
    np.add.at(diag, i0[m0], g0[m0]); np.add.at(rhs, i0[m0], g0[m0] * 1.0)
    g1 = 2 * sig[f1]; i1 = idx[f1]; m1 = g1 > 0
    np.add.at(diag, i1[m1], g1[m1]); np.add.at(rhs, i1[m1], g1[m1] * 0.5)
    rows.append(np.arange(nu)); cols.append(np.arange(nu)); vals.append(diag)
    A = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(nu, nu))
    ml = pyamg.smoothed_aggregation_solver(A, symmetry='symmetric')
    x = ml.solve(rhs, tol=tol, accel='cg', maxiter=500)
    c = np.zeros(shape); c[active] = x[idx[active]]
    I = np.sum(g0[m0] * (1.0 - c[f0][m0]))
    I1 = np.sum(g1[m1] * (c[f1][m1] - 0.5))
    area = n ** (dim - 1)
    return I * n / (0.5 * area), I1 * n / (0.5 * area)

if __name__ == '__main__':
    dim = int(sys.argv[1]); frac = float(sys.argv[2]); s = float(sys.argv[3])
    for N in map(int, sys.argv[4:]):
        m = int(round(frac * N))
        t = time.time()
        e, e1 = solve(N, m, s, dim)
        print(f"dim={dim} N={N} m={m} side={m/N:.4f} s={s:g} sigma_eff={e:.8f} (out {e1:.8f}) t={time.time()-t:.1f}s", flush=True)

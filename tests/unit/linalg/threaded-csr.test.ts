/**
 * threadedCsr (src/linalg/thread-pool.ts): a CSR matrix in shared memory with row partitions, so
 * that CG and the finest smoothed-aggregation level apply it on every thread. The products are
 * computed row by row exactly as the serial ones, so a CG solve with the threaded matrix must give
 * bitwise the serial answer (the vector updates and dot products stay serial).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ElasticityOperator } from '../../../src/assembly/elasticity-operator.js';
import { cg } from '../../../src/linalg/cg.js';
import { SmoothedAggregationPreconditioner } from '../../../src/linalg/smoothed-aggregation.js';
import { configureThreads, shutdownThreadPool, threadedCsr } from '../../../src/linalg/thread-pool.js';
import { LinearElastic } from '../../../src/physics/linear-elastic.js';

afterAll(() => { configureThreads({ threads: undefined, minUnknowns: 200_000 }); shutdownThreadPool(); });

describe('threadedCsr', () => {
  it('AMG-preconditioned CG on a Q1 elasticity problem: the threaded solve equals the serial one bitwise', () => {
    const n = 10, N = n * n * n;
    const material = new Uint16Array(N);
    for (let v = 0; v < N; v++) material[v] = (v * 7919) % 5 === 0 ? 0 : 1 + (v % 2); // voids and two materials
    const op = new ElasticityOperator({
      shape: [n, n, n], spacing: [1e-6, 1e-6, 1e-6], material,
      stiffness: [new Float64Array(0), new LinearElastic(100e9, 0.25, 'a').stiffness(), new LinearElastic(5e9, 0.35, 'b').stiffness()],
      dirichlet: [{ face: { axis: 2, side: 'low' }, components: [0, 1, 2] }], floatingClusters: 'remove',
    });
    const iso = new Float64Array(N);
    for (let v = 0; v < N; v++) iso[v] = 1e-3 * Math.sin(v);
    const b = op.rhs({ eigenstrain: { isotropic: iso } });
    const solve = (threads: number) => {
      configureThreads({ threads, minUnknowns: 1000 });
      const t = threadedCsr(op.toCsr());
      const M = new SmoothedAggregationPreconditioner(t.A, { nearNullSpace: op.rigidBodyModes(), nodeOfUnknown: op.aggregationNodes(), smoothedLevels: 1 });
      return { t, res: cg(t.A, b, { rtol: 1e-10, preconditioner: M }) };
    };
    const serial = solve(1), threaded = solve(2);
    expect(serial.t.threads).toBe(1);
    expect(threaded.t.threads).toBe(2);
    expect(threaded.t.A.threaded).toBeDefined();
    expect(threaded.res.x.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(threaded.res.iterations).toBe(serial.res.iterations);
    expect(serial.res.relativeResidual).toBeLessThan(1e-10);
    for (let i = 0; i < b.length; i++) expect(threaded.res.x[i]).toBe(serial.res.x[i]);
  });
});

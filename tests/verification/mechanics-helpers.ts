/** Shared helpers of the mechanics verification tests (not a test file). */
import type { ElasticityOperator } from '../../src/assembly/elasticity-operator.js';
import { cg } from '../../src/linalg/cg.js';
import { SmoothedAggregationPreconditioner } from '../../src/linalg/smoothed-aggregation.js';

/** Solve A u = b with CG + smoothed-aggregation AMG (rigid-body near-null space); returns the free DOFs. */
export function solveElasticity(op: ElasticityOperator, b: Float64Array, rtol = 1e-10): { u: Float64Array; iterations: number; relativeResidual: number } {
  const A = op.toCsr();
  const M = new SmoothedAggregationPreconditioner(A, { nearNullSpace: op.rigidBodyModes(), nodeOfUnknown: op.aggregationNodes() });
  const r = cg(A, b, { rtol, preconditioner: M, maxIterations: 1000 });
  return { u: r.x, iterations: r.iterations, relativeResidual: r.relativeResidual };
}

export const orders = (e: number[], h: number[]): number[] => e.slice(1).map((v, i) => Math.log(e[i] / v) / Math.log(h[i] / h[i + 1]));

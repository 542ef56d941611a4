/** Jacobi (diagonal) preconditioner z = D⁻¹ r. */
import type { LinearOperator, Preconditioner } from './operator.js';

export class JacobiPreconditioner implements Preconditioner {
  readonly n: number;
  /** 1 / a_ii */
  readonly inverseDiagonal: Float64Array;

  constructor(diagonal: Float64Array) {
    this.n = diagonal.length;
    this.inverseDiagonal = new Float64Array(this.n);
    for (let i = 0; i < this.n; i++) {
      const d = diagonal[i];
      if (!(d !== 0 && Number.isFinite(d))) throw new RangeError(`JacobiPreconditioner: diagonal entry ${i} is ${d}`);
      this.inverseDiagonal[i] = 1 / d;
    }
  }

  static fromOperator(A: LinearOperator): JacobiPreconditioner {
    if (!A.diagonal) throw new TypeError('JacobiPreconditioner: the operator does not provide its diagonal');
    return new JacobiPreconditioner(A.diagonal());
  }

  apply(r: Float64Array, z: Float64Array): void {
    const d = this.inverseDiagonal, n = this.n;
    for (let i = 0; i < n; i++) z[i] = d[i] * r[i];
  }
}

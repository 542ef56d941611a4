/** Sparse linear algebra: operators, CSR, Krylov solvers, preconditioners. Depends only on core. */
export * from './operator.js';
export * from './vector.js';
export * from './errors.js';
export * from './csr-matrix.js';
export * from './stencil-matrix.js';
export * from './solve-options.js';
export { cg } from './cg.js';
export { bicgstab } from './bicgstab.js';
export { gmres } from './gmres.js';
export * from './jacobi-preconditioner.js';
export * from './eigen-estimate.js';
export * from './chebyshev-smoother.js';
export * from './gauss-seidel-smoother.js';
export * from './dense-cholesky.js';
export * from './aggregation.js';
export * from './multigrid-preconditioner.js';
export { solverByName } from './solvers.js';

/**
 * `inpca/linalg`: the linear algebra underneath InPCA, for users who run it on their own matrices. Symmetric
 * eigenpairs (thick-restart Lanczos for the largest |λ| of an operator, dense Jacobi for all of them), the double
 * centring of a distance matrix, and the seeded random streams of the solver's start vectors. Every name is
 * listed here; the main entry `inpca` keeps `normal` and `uniform` too (the notebooks draw synthetic data with them).
 */
export { lanczos } from "./lanczos.js";
export type { LanczosOptions, LanczosResult, SymmetricOperator } from "./lanczos.js";
export { denseEigen, doubleCenter } from "./dense.js";
export type { EigenPairs } from "./dense.js";
export { normal, uniform } from "./random.js";

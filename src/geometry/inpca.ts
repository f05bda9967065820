/**
 * Intensive PCA (Quinn et al. 2019; docs/methods.md §3–4): classical multidimensional scaling of the intensive
 * distance used as a squared distance, keeping negative eigenvalues (time-like axes).
 */
import { checkSelfDistances, type DistanceMatrix } from "../core/distance-matrix.js";
import { InpcaAbortError, InpcaInputError } from "../core/errors.js";
import { denseEigen, doubleCenter, frobenius2, matVec, type EigenPairs } from "../linalg/dense.js";
import { lanczos } from "../linalg/lanczos.js";
import { Embedding } from "../core/embedding.js";
import { any, integer, number, oneOf, validateOptions, type Rule } from "../core/options.js";

/** Options of `inpca`: how many axes to keep and how much of the spectrum to compute (docs/methods.md §3–4). */
export interface InpcaOptions {
  /** Axes to keep (default 3). */
  dims?: number;
  /** How many eigenvalues by |λ| to report in `spectrum` and `explainedStress` (default 50, at least `dims`). */
  spectrum?: number;
  /** "lanczos" (default above 300 points), "dense" (all eigenpairs, O(M³)), or "auto". */
  solver?: "auto" | "lanczos" | "dense";
  /** Relative residual tolerance of the Lanczos solver (default 1e-10). */
  tol?: number;
  /** Seed of the Lanczos start vector (default 1). */
  seed?: number;
  /** Stops the eigen-solver. */
  signal?: AbortSignal;
}

/** The rules `inpca`'s options are checked against before anything runs (`validateOptions`). */
export const INPCA_OPTION_RULES: Readonly<Record<string, Rule>> = {
  dims: integer(1), spectrum: integer(1), solver: oneOf("auto", "lanczos", "dense"), tol: number(0, 1, true), seed: integer(0), signal: any(),
};

/** Above this many points the Lanczos solver is used by default. */
const DENSE_LIMIT = 300;

/**
 * InPCA of a square distance matrix D (M×M, e.g. `bhattacharyya(set)`):
 * 1. W = -½ L D L with L = I - 11ᵀ/M (D is used as a squared distance, no square root);
 * 2. the eigenpairs of W of largest |λ|, both signs;
 * 3. coordinates x_ik = v_ik sqrt|λ_k|; axes with λ_k < 0 are time-like;
 * 4. explained stress ES(k) = 1 - sqrt(1 - Σ_{i≤k} λ_i² / ‖W‖_F²) with ‖W‖_F² from W itself.
 * When every point is identical (W = 0) all coordinates are 0 and ES is 1.
 */
export function inpca(D: DistanceMatrix, options: InpcaOptions = {}): Embedding {
  const M = D.rows;
  checkSelfDistances(D, "inpca");
  if (M < 2) throw new InpcaInputError(`inpca: needs at least 2 points, got ${M}`);
  validateOptions(options, INPCA_OPTION_RULES, "inpca");
  const dims = Math.min(options.dims ?? 3, M);
  const K = Math.min(M, Math.max(dims, options.spectrum ?? 50));
  const { W, columnMeans, grandMean } = doubleCenter(D.data, M);
  const f2 = frobenius2(W);
  const solver = options.solver === "dense" || ((options.solver ?? "auto") === "auto" && M <= DENSE_LIMIT) ? "dense" : "lanczos";
  let pairs: EigenPairs;
  if (solver === "dense") pairs = denseEigen(W, M, K);
  else {
    const signal = options.signal;
    try {
      pairs = lanczos({ size: M, apply: (x, y) => matVec(W, M, x, y) }, K, { tol: options.tol, seed: options.seed, shouldStop: () => signal?.aborted === true });
    } catch (e) {
      if (signal?.aborted) throw new InpcaAbortError("inpca");
      throw e;
    }
  }
  const { eigenvalues, eigenvectors, coords } = coordinatesOf(pairs, M, dims);
  return new Embedding({
    coords, points: M, dims, eigenvalues,
    spectrum: pairs.values.slice(0, K),
    explainedStress: explainedStress(pairs.values.slice(0, K), f2),
    frobenius2: f2,
    meta: D.rowMeta,
    basis: { size: M, eigenvectors, columnMeans, grandMean },
  });
}

/**
 * The first `dims` eigenpairs of `pairs` (M points) as InPCA coordinates x_ik = v_ik sqrt|λ_k|: the signed
 * eigenvalues [dims], the unit eigenvectors and the coordinates, M × dims row-major.
 */
export function coordinatesOf(pairs: EigenPairs, M: number, dims: number): {
  /** The signed eigenvalues [dims]. */
  eigenvalues: Float64Array;
  /** The unit eigenvectors, M × dims row-major. */
  eigenvectors: Float64Array;
  /** The coordinates, M × dims row-major. */
  coords: Float64Array;
} {
  const eigenvalues = pairs.values.slice(0, dims);
  const eigenvectors = new Float64Array(M * dims);
  const coords = new Float64Array(M * dims);
  for (let i = 0; i < M; i++) {
    for (let k = 0; k < dims; k++) {
      const v = pairs.vectors[i * pairs.count + k]!;
      eigenvectors[i * dims + k] = v;
      coords[i * dims + k] = v * Math.sqrt(Math.abs(eigenvalues[k]!));
    }
  }
  return { eigenvalues, eigenvectors, coords };
}

/**
 * Explained stress for k = 1..λ.length (docs/methods.md §4): ES(k) = 1 - sqrt(1 - Σ_{i≤k} λ_i² / ‖W‖_F²), eigenvalues in
 * |λ| order, `frobenius2` = ‖W‖_F² computed from W itself. 1 for every k when ‖W‖_F = 0.
 */
export function explainedStress(eigenvalues: ArrayLike<number>, frobenius2: number): Float64Array {
  const out = new Float64Array(eigenvalues.length);
  let cum = 0;
  for (let k = 0; k < eigenvalues.length; k++) {
    cum += eigenvalues[k]! * eigenvalues[k]!;
    out[k] = frobenius2 > 0 ? 1 - Math.sqrt(Math.max(0, 1 - cum / frobenius2)) : 1;
  }
  return out;
}

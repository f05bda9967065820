/**
 * Stage 2 of landmark InPCA (docs/methods.md §13): the exact InPCA of the landmarks' own distance matrix, on more
 * axes than asked for, so that the whole set's leading axes can be recovered from the placed subspace.
 */
import type { DistanceMatrix } from "../../core/distance-matrix.js";
import type { Embedding } from "../../core/embedding.js";
import { inpca } from "../inpca.js";

/** The exact InPCA of the landmarks, on Kp ≥ dims axes, ready for `placeRows`. */
export interface LandmarkBasis {
  /** The landmarks' embedding (basis: eigenvectors, column means, grand mean). */
  fit: Embedding;
  /** Kp: axes placed (2·dims, at least dims + 7, at most L − 1; up to 128 for pivoted landmarks). */
  axes: number;
  /** 1 / (sign(λ_k) √|λ_k|) per axis (0 for λ = 0), length Kp. */
  scale: Float64Array;
}

/**
 * Landmark axes to place on: pivoted landmarks are well conditioned (each one was far from the span of the ones
 * before), so up to 128 of their axes carry signal (on data/zoo 128 axes: 0.06 % off exact in 3-D, 10 axes 5 %);
 * landmarks chosen without looking at the residual include near-duplicates whose small eigenvalues amplify noise,
 * so they keep 2·dims (at least dims + 7). `select` is the plan's selection, L the landmarks, M the model-points.
 */
export function placedAxes(select: string, L: number, dims: number, M = Infinity): number {
  // every model-point a landmark: the landmark fit is the exact InPCA, nothing to recover from more axes
  if (L >= M) return Math.min(L - 1, Math.max(2 * dims, dims + 7));
  return Math.min(L - 1, select === "pivoted" ? Math.max(128, 2 * dims) : Math.max(2 * dims, dims + 7));
}

/**
 * Stage 2: the exact InPCA of the landmarks' distance matrix D_LL (L×L, nats per sample), on `axes` axes (default
 * 2·dims, at least dims + 7; at most L − 1). Axes of numerically zero eigenvalue get scale 0.
 */
export function fitLandmarks(DLL: DistanceMatrix, dims: number, signal?: AbortSignal, axes?: number): LandmarkBasis {
  const L = DLL.rows;
  const K = Math.min(L - 1, axes ?? Math.max(2 * dims, dims + 7));
  // more axes than asked for, so that the whole set's leading axes can be recovered from the placed subspace
  const fit = inpca(DLL, { dims: K, spectrum: K, signal });
  // axes of numerically zero eigenvalue (duplicate landmarks) are not placed on
  const floor = 1e-10 * Math.abs(fit.eigenvalues[0] ?? 0);
  return { fit, axes: fit.dims, scale: Float64Array.from(fit.eigenvalues, (l) => (Math.abs(l) <= floor ? 0 : 1 / (Math.sign(l) * Math.sqrt(Math.abs(l))))) };
}

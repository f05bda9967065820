/**
 * Tangent directions (docs/methods.md §10, Figs. 10–11 of Mao et al.): an embedding spanned by four anchors, ignorance
 * P0, truth P*, an "init" point and an "end" point (kernel averages of the checkpoints near progress λ1 and λ2),
 * and how much of the distances between checkpoints a few axes explain, compared with ordinary InPCA.
 */
import type { DistanceMatrix } from "../core/distance-matrix.js";
import { InpcaInputError } from "../core/errors.js";
import { refuseRenamedOptions } from "../core/progress.js";
import type { ModelPoint } from "../core/meta.js";
import { PredictionSet } from "../core/prediction-set.js";
import { centroid } from "./averaging.js";
import { bhattacharyya, bhattacharyyaSync, type DistanceOptions } from "./distances.js";
import type { Embedding } from "../core/embedding.js";
import { ignorance, truth } from "./geodesic.js";
import { inpca } from "./inpca.js";
import { geodesicProgress, type GeodesicProgressOptions } from "./geodesic-progress.js";
import { integer, validate } from "../core/options.js";

/**
 * Quality of an embedding per number of axes k = 1..kmax (docs/methods.md §10):
 *   q(k) = 1 - Σ_{i<j} |d̂²_k,ij - D_ij| / Σ_{i<j} D_ij,
 * d̂²_k,ij = Σ_{a<k} sign(λ_a)(x_ia - x_ja)² the signed (Minkowski) squared distance on the first k axes, D the
 * distances the embedding should reproduce (used as squared distances, like InPCA). `points` are the rows of the
 * embedding that correspond to the rows of D (default: the last D.rows rows, so an embedding with anchors placed
 * first works as it is). 1 is perfect; it can fall when a time-like axis is added. Float64Array of length kmax.
 */
export function explainedDistance(embedding: Embedding, D: DistanceMatrix, kmax = embedding.dims, options: { points?: ArrayLike<number> } = {}): Float64Array {
  const N = D.rows;
  if (D.cols !== N) throw new InpcaInputError(`explainedDistance: the distance matrix must be square, got ${D.rows}×${D.cols}`);
  validate(kmax, integer(1, embedding.dims), "kmax (axes of the embedding)", { source: "explainedDistance" });
  const rows = options.points ? Int32Array.from(options.points) : Int32Array.from({ length: N }, (_, i) => embedding.points - N + i);
  if (rows.length !== N) throw new InpcaInputError(`explainedDistance: ${rows.length} embedding rows for a ${N}×${N} distance matrix`);
  rows.forEach((r, i) => {
    if (!(r >= 0 && r < embedding.points)) throw new InpcaInputError(`explainedDistance: row ${i} maps to embedding point ${r}, outside [0, ${embedding.points})`);
  });
  const K = embedding.dims;
  const x = embedding.coords;
  const sign = Float64Array.from(embedding.eigenvalues, (l) => (l < 0 ? -1 : 1));
  const err = new Float64Array(kmax);
  let total = 0;
  for (let i = 0; i < N; i++) {
    const oi = rows[i]! * K;
    for (let j = i + 1; j < N; j++) {
      const oj = rows[j]! * K;
      const d = D.data[i * N + j]!;
      total += d;
      let s = 0;
      for (let a = 0; a < kmax; a++) {
        const diff = x[oi + a]! - x[oj + a]!;
        s += sign[a]! * diff * diff;
        err[a]! += Math.abs(s - d);
      }
    }
  }
  return Float64Array.from(err, (e) => (total > 0 ? 1 - e / total : 1));
}

export interface TangentOptions extends DistanceOptions {
  /** Progress values λ1, λ2 at which the "init" and "end" anchors sit (default [0.3, 0.7]; the authors also use 0.2/0.8). */
  anchorsAt?: readonly [number, number];
  /** Standard deviation of the Gaussian kernel in λ (default 0.05). */
  width?: number;
  /** λ* of every checkpoint if already computed (default: `geodesicProgress(set, options.geodesicProgress)`). */
  lambda?: ArrayLike<number>;
  /** Options of `geodesicProgress` when λ* is computed here. */
  geodesicProgress?: GeodesicProgressOptions;
  /** The M×M Bhattacharyya matrix of the checkpoints if already computed (default: computed here). */
  distances?: DistanceMatrix;
  /** Axes of the ordinary InPCA to score (default 4). */
  kmax?: number;
}

/** The four-anchor embedding and its comparison with ordinary InPCA. */
export interface TangentEmbedding {
  /** 4 anchors (rows 0..3: ignorance, init, end, truth) then the M checkpoints placed by docs/methods.md §5; 3 axes. */
  embedding: Embedding;
  /** The anchors as a set of 4 model-points (kind "ignorance", "anchor", "anchor", "truth", `lambda` set). */
  anchors: PredictionSet;
  /** Their 4×4 Bhattacharyya matrix. */
  anchorDistances: DistanceMatrix;
  /** q(k) of the four-anchor embedding for k = 1..3 (see `explainedDistance`). */
  quality: Float64Array;
  /** The ordinary InPCA of the checkpoints (kmax axes). */
  inpca: Embedding;
  /** q(k) of the ordinary InPCA for k = 1..kmax. */
  inpcaQuality: Float64Array;
  /**
   * Cosine between the directions P0→init and end→P* in the 3-axis embedding, with the plain Euclidean dot
   * product of the coordinates (time-like signs ignored), so it lies in [-1, 1]. The default reading of
   * docs/methods.md §10 (see also the two alternatives below).
   */
  cosine: number;
  /**
   * The same from the anchor distances alone, by polarisation with D as squared distances:
   * ⟨init-P0, P*-end⟩ = ½(D(init,end) + D(P0,P*) - D(init,P*) - D(P0,end)), over sqrt(D(P0,init)·D(end,P*)).
   * This is the Minkowski (signed) inner product of the exact embedding of the four anchors; with a time-like
   * axis it is not bounded by 1. Equal to `cosine` when all three anchor eigenvalues are positive.
   */
  cosineMinkowski: number;
  /** The cosine of the same two directions in square-root-probability space (all samples' sqrt p stacked). */
  cosineSqrt: number;
  /** λ* of every checkpoint (length M). */
  progress: Float64Array;
}

/**
 * The four-anchor tangent embedding (docs/methods.md §10). Anchors: ignorance P0, truth P*, and the "init" and "end"
 * points, Gaussian-kernel averages (standard deviation `width` in λ, default 0.05) of all checkpoints around
 * λ1 and λ2, averaged in square-root space ((Σ w_m sqrt p_m / Σ w_m)², renormalised, as along the geodesic).
 * The 4×4 matrix is embedded by InPCA (dense solver, 3 axes) and every checkpoint placed into it (docs/methods.md §5).
 * Scores q(k), k = 1..3, against the checkpoints' own distance matrix, and the same for ordinary InPCA.
 * Throws InpcaInputError when no checkpoint has progress within 3 widths of λ1 or λ2.
 */
export async function tangentEmbedding(set: PredictionSet, options: TangentOptions = {}): Promise<TangentEmbedding> {
  refuseRenamedOptions(options, "tangentEmbedding");
  if ((options as { lambdas?: unknown }).lambdas !== undefined) throw new InpcaInputError("tangentEmbedding: the option `lambdas` was renamed `anchorsAt` (the progress values of the two anchors)");
  const M = set.models;
  if (M < 2) throw new InpcaInputError(`tangentEmbedding: needs at least 2 checkpoints, got ${M}`);
  const [l1, l2] = options.anchorsAt ?? [0.3, 0.7];
  const width = options.width ?? 0.05;
  if (!(width > 0)) throw new InpcaInputError(`tangentEmbedding: width must be positive, got ${options.width}`);
  for (const l of [l1, l2]) if (!(l >= 0 && l <= 1)) throw new InpcaInputError(`tangentEmbedding: anchor progress ${l} is outside [0, 1]`);
  const lambda = options.lambda ? Float64Array.from(options.lambda) : geodesicProgress(set, options.geodesicProgress);
  if (lambda.length !== M) throw new InpcaInputError(`tangentEmbedding: ${lambda.length} progress values for ${M} checkpoints`);
  const init = kernelAnchor(set, lambda, l1, width, "init");
  const end = kernelAnchor(set, lambda, l2, width, "end");
  const anchors = PredictionSet.concat([ignorance(set), init, end, truth(set)]);
  const anchorDistances = bhattacharyyaSync(anchors, { showProgress: false });
  const base = inpca(anchorDistances, { dims: 3, solver: "dense", spectrum: 4 });
  const cross = await bhattacharyya(set, anchors, options);
  const embedding = base.addPoints(cross, set.meta);
  const D = options.distances ?? (await bhattacharyya(set, options));
  if (D.rows !== M || D.cols !== M) throw new InpcaInputError(`tangentEmbedding: the distance matrix is ${D.rows}×${D.cols} for ${M} checkpoints`);
  const quality = explainedDistance(embedding, D, 3);
  const kmax = Math.min(options.kmax ?? 4, M);
  const ordinary = inpca(D, { dims: kmax });
  const inpcaQuality = explainedDistance(ordinary, D, kmax);
  const d = (i: number, j: number) => anchorDistances.get(i, j);
  // anchors: 0 = P0, 1 = init, 2 = end, 3 = P*
  const cosineMinkowski = (0.5 * (d(1, 2) + d(0, 3) - d(1, 3) - d(0, 2))) / Math.sqrt(d(0, 1) * d(2, 3));
  let dot = 0, nu = 0, nv = 0;
  for (let k = 0; k < 3; k++) {
    const u = embedding.coord(1, k) - embedding.coord(0, k);
    const v = embedding.coord(3, k) - embedding.coord(2, k);
    dot += u * v;
    nu += u * u;
    nv += v * v;
  }
  const cosine = dot / Math.sqrt(nu * nv);
  dot = 0; nu = 0; nv = 0;
  const W = set.samples * set.classes;
  const a = anchors.probs;
  for (let q = 0; q < W; q++) {
    const u = Math.sqrt(a[W + q]!) - Math.sqrt(a[q]!);
    const v = Math.sqrt(a[3 * W + q]!) - Math.sqrt(a[2 * W + q]!);
    dot += u * v;
    nu += u * u;
    nv += v * v;
  }
  const cosineSqrt = dot / Math.sqrt(nu * nv);
  return { embedding, anchors, anchorDistances, quality, inpca: ordinary, inpcaQuality, cosine, cosineMinkowski, cosineSqrt, progress: lambda };
}

/**
 * A Gaussian-kernel average in square-root space of the checkpoints of `set` around progress `at`:
 * weights exp(-(λ_m - at)² / (2 width²)). One model-point (kind "anchor", run `name`, `lambda` = at).
 */
export function kernelAnchor(set: PredictionSet, lambda: ArrayLike<number>, at: number, width = 0.05, name = "anchor"): PredictionSet {
  let nearest = Infinity;
  for (let m = 0; m < lambda.length; m++) nearest = Math.min(nearest, Math.abs(lambda[m]! - at));
  if (!(nearest <= 3 * width)) {
    throw new InpcaInputError(`kernel anchor "${name}" at progress ${at}: no checkpoint within 3 kernel widths (${(3 * width).toFixed(3)}); the closest is ${nearest.toFixed(4)} away`);
  }
  // weights relative to the nearest checkpoint, so that they cannot all underflow
  const weights = Float64Array.from(lambda, (l) => Math.exp(-((l - at) ** 2 - nearest ** 2) / (2 * width * width)));
  const c = centroid(set, "sqrt", { weights });
  const meta: ModelPoint[] = [{ run: name, step: 0, kind: "anchor", lambda: at }];
  return c.derive(c.probs, 1, meta);
}

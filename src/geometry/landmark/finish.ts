/**
 * Stage 4 of landmark InPCA (docs/methods.md §13): from the placed rows to the Embedding: the whole set's axes, the
 * explained stress estimate, the check against exact InPCA and its warning, the map for new points, the summary.
 */
import { streamChunks } from "../../core/chunks.js";
import { InpcaInputError } from "../../core/errors.js";
import type { PredictionSet } from "../../core/prediction-set.js";
import type { PredictionSource } from "../../core/source.js";
import { Embedding, type LandmarkCheck, type LandmarkSummary } from "../../core/embedding.js";
import { newPointMap, wholeSetAxes } from "./axes.js";
import { landmarkCheck } from "./check.js";
import type { LandmarkBasis } from "./fit.js";
import type { LandmarkDistanceOptions } from "./options.js";
import type { LandmarkPlan } from "./plan.js";
import { samplingError } from "./sampling-error.js";
import { stressEstimate, widenByEigenvalueError } from "./stress.js";

/** What stage 4 needs besides the plan, the landmark fit and the placed rows (from `landmarkInpca` or `inpca embed`). */
export interface LandmarkFinishContext {
  /** Options of the distance calls of the stress estimate and the check. */
  distance: LandmarkDistanceOptions;
  /** The landmarks' predictions on the plan's samples when already read, else null (read again when needed). */
  marks: PredictionSet | null;
  /** Model-points whose cross-distances came from the cache (`LandmarkSummary.resumedRows`). */
  resumed: number;
  /** Seconds per stage so far, by name; "stress" and "check" are added to it. */
  seconds: Record<string, number>;
  /** When the run started (Date.now(), milliseconds), for the total time. */
  started: number;
  /** Exact columns of D to draw for the check (default 64; 0 or 1: no check). */
  checkColumns?: number;
  /** Warn when the check's 95 % upper bound of the distance error is above this (default 0.03). */
  warnAbove?: number;
}

/**
 * Stage 4: the whole set's axes (centre on all M, diagonalise W ≈ X J Xᵀ) from the placed rows `raw` (M×Kp), the
 * explained stress estimate from random model-points of `src`, the check (unless every model-point is a landmark),
 * and the Embedding of the M points with its `landmark` summary.
 */
export async function finishLandmarks(src: PredictionSource, plan: LandmarkPlan, basis: LandmarkBasis, raw: Float64Array, context: LandmarkFinishContext): Promise<Embedding> {
  const t0 = Date.now();
  const M = src.models;
  const L = plan.landmarks.length;
  const Kp = basis.axes;
  const base = basis.fit;
  const times = context.seconds;
  const lap = (name: string, t: number) => (times[name] = (Date.now() - t) / 1000);
  // axes of the whole set: centre on all M points, then diagonalise W ≈ X J Xᵀ in the placed subspace
  const signs = Float64Array.from(base.eigenvalues.subarray(0, Kp), (l) => (l < 0 ? -1 : 1));
  const axes = wholeSetAxes(raw, M, Kp, signs);
  const { coords: all, values } = axes;
  const K = Math.min(plan.dims, Kp);
  const coords = new Float64Array(M * K);
  for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) coords[i * K + k] = all[i * Kp + k]!;
  const eigenvalues = values.slice(0, K);
  // the whole set's leading eigenvalues on the Kp placed axes (the landmark matrix's further ones, scaled by M/L,
  // are not comparable: explained stress is only known for these)
  const spectrum = values.slice();
  const stress = await stressEstimate({
    src, coords: all, points: M, axes: Kp, values, dims: K, draws: plan.stressPoints, seed: plan.seed, samples: plan.samples, distance: context.distance,
  });
  lap("stress", t0);
  const t1 = Date.now();
  const H = context.checkColumns ?? 64;
  if (!(Number.isInteger(H) && H >= 0)) throw new InpcaInputError(`landmarkInpca: checkColumns must be a non-negative integer, got ${H}`);
  const checked = H >= 2 && L < M;
  const check = checked
    ? await landmarkCheck({
      src, coords: all, points: M, axes: Kp, values, dims: plan.dims, columns: H, seed: plan.seed, samples: plan.samples, distance: context.distance,
      stream: (compute) => streamChunks(src, 0, M, plan.chunk, plan.samples, () => null, compute),
    })
    : null;
  if (checked) lap("check", t1);
  if (check) widenByEigenvalueError(stress, values, K, check.eigenvalueError);
  const warning = checkWarning(check, context.warnAbove ?? 0.03, K, L, plan.select);
  if (warning) console.warn(warning);
  const { projection, shift } = newPointMap(axes, base.basis.eigenvectors, basis.scale, L, Kp, K);
  const summary: LandmarkSummary = {
    landmarks: Int32Array.from(plan.landmarks),
    select: plan.select,
    samples: plan.samples ? plan.samples.length : src.samples,
    totalSamples: src.samples,
    precision: plan.precision,
    distanceError: plan.samples ? samplingError(context.marks ?? (await src.read(plan.landmarks, plan.samples)), plan.seed, src.samples) : null,
    stress: { explained: stress.explained[K - 1]!, low: stress.low, high: stress.high, points: stress.points },
    check,
    warning,
    resumedRows: context.resumed,
    chunkRows: plan.chunk,
    seconds: { ...times, total: (Date.now() - context.started) / 1000 },
    source: src.name,
  };
  return new Embedding({
    coords, points: M, dims: K, eigenvalues, spectrum, explainedStress: stress.explained, frobenius2: stress.frobenius2,
    meta: src.meta,
    basis: { ...base.basis, eigenvalues: base.eigenvalues, points: summary.landmarks, projection, offset: shift },
    landmark: summary,
  });
}

/**
 * The warning of a check whose 95 % upper bound of the K-D distance error is above `limit`, saying what to change
 * (more landmarks, or the pivoted selection); null when there is no check or it is within the limit.
 */
function checkWarning(check: LandmarkCheck | null, limit: number, K: number, L: number, select: string): string | null {
  return check && check.distanceError.high > limit
    ? `landmark InPCA: the ${K}-D signed distances may be up to ${(100 * check.distanceError.high).toFixed(1)} % from exact InPCA (95 % upper bound of the estimate from ${check.columns} sampled exact columns), above ${(100 * limit).toFixed(1)} %: use more landmarks (now ${L})${select === "pivoted" ? "" : ', or select: "pivoted"'}`
    : null;
}

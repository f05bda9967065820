/**
 * The options of landmark InPCA: what the caller may ask for (`LandmarkPlanOptions` for stage 1, `LandmarkOptions`
 * for the whole run), the rules they are checked against, and the options every distance call of the method uses.
 */
import type { ChunkCache } from "../../core/chunks.js";
import { any, integer, memory, number, oneOf, type Rule } from "../../core/options.js";
import type { ProgressOptions } from "../../core/progress.js";
import type { Precision } from "../pairwise/engine.js";

export type { ChunkCache } from "../../core/chunks.js";

/** How landmarks are chosen when only their number is given. */
export type LandmarkSelection = "pivoted" | "spread" | "farthest" | "random";

/** The options of stage 1 (`planLandmarks`): how many landmarks, how they are chosen, and within what memory. */
export interface LandmarkPlanOptions extends ProgressOptions {
  /** Number of landmarks L (default min(2000, M)), or the indices of the model-points to use. */
  landmarks?: number | ArrayLike<number>;
  /**
   * "pivoted" (default): randomly pivoted Cholesky on the model-points' Gram (`pivotedPick`): each next landmark is
   * drawn ∝ how badly the landmarks so far reconstruct a point's distances, so the few checkpoints that carry an
   * axis (a time-like excursion) are taken; over every model-point when their predictions fit half the memory
   * budget, else over a pool spread over runs and progress that does. Placed on up to 128 landmark axes.
   * "spread": the same number per run, spread evenly over each run's progress (the share of the way
   * from ignorance to truth, d_B(P0, u) / (d_B(P0, u) + d_B(u, P*)); over its checkpoints when there are no
   * labels). "farthest": farthest-point sampling on d_B over a seeded pool of up to 4L model-points.
   * "random": seeded uniform (oversamples the dense late checkpoints; for comparison).
   */
  select?: LandmarkSelection;
  /** Axes to keep (default 3). */
  dims?: number;
  /** Use a seeded, class-stratified subset of this many samples (default all): each distance then has a standard error. */
  samples?: number;
  /** Seed of every random choice (default 1). */
  seed?: number;
  /** Arithmetic of the distances (default "f32"; see `DistanceOptions.precision`). */
  precision?: Precision;
  /**
   * Bytes of probabilities and distances resident at once (default: an eighth of the memory, at most 2 GiB): a number
   * of bytes or a size such as "512M" or "3G".
   */
  memory?: number | string;
  /** Worker threads for the distances (default: one per core). */
  threads?: number;
  /** Model-points drawn to estimate ‖W‖²_F of the whole set for the explained stress (default 400). */
  stressPoints?: number;
  /** Total memory of the machine in bytes (default: os.totalmem()), for the default budget. */
  totalMemory?: number;
}

/** The options of `landmarkInpca`: those of the plan, and the cache, the check and its warning of the later stages. */
export interface LandmarkOptions extends LandmarkPlanOptions {
  /** Where finished chunks of cross-distances are kept, so that an interrupted run resumes. */
  cache?: ChunkCache;
  /**
   * Exact columns of D drawn to estimate how far the embedding is from exact InPCA (`landmark.check`; default 64,
   * 0: no check). Costs columns·M distances, one more read of the source.
   */
  checkColumns?: number;
  /**
   * Warn (console.warn and `landmark.warning`) when the 95 % upper bound of the estimated relative error of the
   * dims-D signed distances against exact InPCA (`landmark.check.distanceError.high`) is above this (default 0.03).
   */
  warnAbove?: number;
}

/**
 * The rules every option of landmark InPCA is checked against before anything runs (`validateOptions`).
 * @internal
 */
export const LANDMARK_OPTION_RULES: Readonly<Record<string, Rule>> = {
  landmarks: any(), select: oneOf("pivoted", "spread", "farthest", "random"), dims: integer(1), samples: integer(1), seed: integer(0),
  precision: oneOf("f32", "f64"), memory: memory(), cache: any(), threads: integer(1, 1024), stressPoints: integer(2),
  totalMemory: number(0, Number.MAX_VALUE, true), checkColumns: integer(0), warnAbove: number(0, Number.MAX_VALUE, true),
  showProgress: oneOf(true, false, "auto"), signal: any(), onProgress: any(),
};

/**
 * The options of every distance call of landmark InPCA (`bhattacharyya`): its arithmetic, worker threads and
 * cancellation; never a progress bar of its own (the stages draw theirs).
 */
export interface LandmarkDistanceOptions {
  /** Arithmetic of the coefficients ("f32" or "f64"; see `DistanceOptions.precision`). */
  precision: Precision;
  /** Worker threads (default: one per core). */
  threads?: number;
  /** Always false: the stages report progress themselves. */
  showProgress: false;
  /** Cancels the distance call (InpcaAbortError). */
  signal?: AbortSignal;
}

/** The whole set placed on the landmark axes: what the check and the stress estimate both read. */
export interface WholeSetAxes {
  /** Whole-set coordinates of the M points on the Kp placed axes (M×Kp, centred, axes sorted by |λ|). */
  coords: Float64Array;
  /** M: model-points. */
  points: number;
  /** Kp: placed axes (columns of `coords`). */
  axes: number;
  /** The whole set's signed eigenvalues on the placed axes (length Kp). */
  values: Float64Array;
}

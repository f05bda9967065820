/** The distance of model-points to the ignorance→truth geodesic, with their progress (docs/methods.md §8). */
import type { ModelPoint } from "../../core/meta.js";
import type { PredictionSet } from "../../core/prediction-set.js";
import { geodesic, ignorance, truth, type LabelSource } from "../geodesic.js";
import { geodesicProgress, type GeodesicProgressOptions, type ProgressMethod } from "../geodesic-progress.js";
import { pairedBhattacharyya } from "./paired.js";

/** Options of `distanceToGeodesic`: those of `geodesicProgress` (but the ends, fixed to ignorance and truth) and the two methods. */
export interface DistanceToGeodesicOptions extends Omit<GeodesicProgressOptions, "from" | "to" | "method"> {
  /**
   * How the closest geodesic point is chosen (default "bhattacharyya": argmin_λ d_B(P(λ), r), so the distance is
   * the minimum of d_B over the geodesic; "angle" and "projection" take the point at that progress instead).
   */
  method?: ProgressMethod;
  /** The progress variable reported in `progress` (default "angle", the λ* of `geodesicProgress` everywhere else). */
  progressMethod?: ProgressMethod;
}

/** Each model-point's distance to the ignorance→truth geodesic and its progress (`distanceToGeodesic`). */
export interface GeodesicDistances {
  /** d_B from each model-point to its closest point on the ignorance→truth geodesic (nats per sample), length M. */
  distance: Float64Array;
  /**
   * The model-point's progress λ* (`geodesicProgress`, by default the angle method of docs/methods.md §7), length M: what
   * figures put on their progress axis, the same number as in every other figure.
   */
  progress: Float64Array;
  /**
   * λ of the closest geodesic point (argmin_λ d_B by default), length M. Not the same number as `progress`: on the
   * shipped zoo they differ by 0.06 on train images (median; up to 0.32) and by 0.15 on test images, where confident
   * mistakes weigh heavily in d_B (at the end of training: λ_near 0.71 against λ* 0.94, medians).
   */
  nearest: Float64Array;
  /** The model-points' metadata, with `lambda` set to λ*. */
  meta: ModelPoint[];
}

/**
 * Distance of every model-point of `set` to the ignorance→truth geodesic (docs/methods.md §8), with its progress λ*:
 * distance = d_B(r, P(λ_near)) with λ_near = argmin_λ d_B(P(λ), r) on [0, 1] (Brent's method after a grid scan,
 * see `geodesicProgress`); progress = λ* by `progressMethod` (default "angle"). `labels` gives the truth (default:
 * the set's own labels). Feeds `plot.distanceToGeodesic`.
 */
export function distanceToGeodesic(set: PredictionSet, labels?: LabelSource | null, options: DistanceToGeodesicOptions = {}): GeodesicDistances {
  const source: LabelSource = labels ?? set;
  const C = set.classes;
  const from = ignorance(source, { classes: C });
  const to = truth(source, { classes: C });
  const { progressMethod = "angle", method = "bhattacharyya", ...rest } = options;
  const nearest = geodesicProgress(set, { ...rest, method, from, to });
  const progress = progressMethod === method ? nearest : geodesicProgress(set, { ...rest, method: progressMethod, from, to });
  const points = geodesic(source, { classes: C, lambdas: nearest });
  const distance = pairedBhattacharyya(set, points.derive(points.probs, points.models, set.meta));
  return { distance, progress, nearest, meta: set.meta.map((p, m) => ({ ...p, lambda: progress[m]! })) };
}

/**
 * Which embedding for which size (docs/methods.md §13, "Which method for which size"): the exact InPCA of the
 * full distance matrix up to `EXACT_LIMIT` model-points, landmark InPCA above. `embed` runs the chosen one on a
 * PredictionSet in memory; the `inpca report` command uses the same rule.
 */
import type { PredictionSet } from "../core/prediction-set.js";
import type { ProgressOptions } from "../core/progress.js";
import { integer, oneOf, validate, validateOptions, any } from "../core/options.js";
import { bhattacharyya } from "./distances.js";
import type { Embedding } from "../core/embedding.js";
import { inpca } from "./inpca.js";
import { landmarkInpca } from "./landmark/index.js";

/** How an embedding is computed: "exact" (`bhattacharyya` then `inpca`), "landmark" (`landmarkInpca`), or "auto". */
export type EmbeddingMethod = "auto" | "exact" | "landmark";

/**
 * Up to this many model-points (M), "auto" embeds exactly; above, by landmark InPCA (docs/methods.md §13, "Which
 * method for which size"). The reason: the exact route holds D and its double centring W, 2·8·M² bytes (144 MB
 * at M = 3,000), and computes M(M−1)/2 distances (3.05 s at M = 2,000 on 1,000 samples on two cores, README
 * "Performance": ~7 s at 3,000), both fourfold with every doubling of M, while landmark InPCA with its default
 * min(2000, M) landmarks costs linearly in M and stays within a fraction of a percent of the exact coordinates.
 */
export const EXACT_LIMIT = 3000;

/**
 * The method "auto" stands for at `models` model-points: "exact" when models ≤ EXACT_LIMIT (3,000), else
 * "landmark". A method other than "auto" is returned as given. Throws InpcaInputError on a count that is not a
 * non-negative integer or an unknown method.
 */
export function chooseMethod(models: number, method: EmbeddingMethod = "auto"): "exact" | "landmark" {
  validate(models, integer(0), "models", { source: "chooseMethod" });
  validate(method, oneOf("auto", "exact", "landmark"), "method", { source: "chooseMethod" });
  if (method !== "auto") return method;
  return models <= EXACT_LIMIT ? "exact" : "landmark";
}

/** Options of `embed`. */
export interface EmbedOptions extends ProgressOptions {
  /** "auto" (default: `chooseMethod`), "exact" or "landmark". */
  method?: EmbeddingMethod;
  /** Axes kept (default 3). */
  dims?: number;
  /** Landmarks of the landmark method (default min(2000, M)); see `landmarkInpca`. */
  landmarks?: number;
}

/**
 * The InPCA embedding of `set` (M model-points × S samples × C classes) by the method `options.method` names
 * ("auto": exact up to EXACT_LIMIT model-points, landmark above). Exact: `inpca(await bhattacharyya(set), { dims })`;
 * landmark: `landmarkInpca(set, { landmarks, dims })` (the result's `landmark` says which rows were landmarks).
 * Coordinates M × dims in √(nats per sample). InpcaInputError on bad options, InpcaAbortError on `signal`.
 */
export async function embed(set: PredictionSet, options: EmbedOptions = {}): Promise<Embedding> {
  const o = validateOptions(options, { method: oneOf("auto", "exact", "landmark"), dims: integer(1), landmarks: integer(1), signal: any(), onProgress: any(), showProgress: any() }, "embed");
  const progress: ProgressOptions = { signal: o.signal, showProgress: o.showProgress, onProgress: o.onProgress };
  if (chooseMethod(set.models, o.method) === "landmark") {
    return landmarkInpca(set, { ...progress, dims: o.dims, ...(o.landmarks !== undefined ? { landmarks: o.landmarks } : {}) });
  }
  const D = await bhattacharyya(set, progress);
  return inpca(D, { dims: o.dims, signal: o.signal });
}

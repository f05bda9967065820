/** What a landmark selection reads, and within what it works: the context every selection method takes. */
import type { ProgressOptions } from "../../core/progress.js";
import type { PredictionSource } from "../../core/source.js";
import type { LandmarkDistanceOptions } from "./options.js";

/** What a selection reads, and within what it works (made by `planLandmarks`). */
export interface SelectionContext {
  /** The model-points to choose from (M rows). */
  src: PredictionSource;
  /** L: landmarks to choose. */
  count: number;
  /** Seed of the selection's random choices. */
  seed: number;
  /** The sample subset (ascending indices), or undefined for all samples. */
  samples: Int32Array | undefined;
  /** Bytes the selection may hold resident: the memory budget less the landmarks' own (L·S'·C·4 + 3·L²·8 bytes). */
  budget: number;
  /** Model-points per streaming chunk. */
  chunk: number;
  /** Options of the distance calls. */
  distance: LandmarkDistanceOptions;
  /** The caller's progress bars and cancellation. */
  progress: ProgressOptions;
}

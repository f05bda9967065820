/**
 * Landmark InPCA (docs/methods.md §13), the method as a folder: the driver `landmarkInpca`; its stages
 * (`planLandmarks`, `fitLandmarks`, `placeRows`, `finishLandmarks`), which a job array runs as separate commands;
 * the selections; the whole set's axes; the stress estimate; the sampling error; the check against exact InPCA.
 * Chunk streaming is the source's (core/chunks.ts).
 */
export { landmarkInpca } from "./driver.js";
export { LANDMARK_OPTION_RULES, type ChunkCache, type LandmarkDistanceOptions, type LandmarkOptions, type LandmarkPlanOptions, type LandmarkSelection } from "./options.js";
export { planLandmarks, type LandmarkPlan } from "./plan.js";
export { fitLandmarks, placedAxes, type LandmarkBasis } from "./fit.js";
export { placeRows } from "./place.js";
export { finishLandmarks, type LandmarkFinishContext } from "./finish.js";
export { spreadPick } from "./select-spread.js";
export { distanceStandardError, type SamplingError } from "./sampling-error.js";
export { stressEstimate, type StressEstimate, type StressEstimateInput } from "./stress.js";
export { landmarkCheck, type LandmarkCheckInput } from "./check.js";
export type { Estimate, LandmarkCheck } from "../../core/embedding.js";

/**
 * inpca: Intensive PCA of deep-network training in prediction space (Mao et al., PNAS 2024; Quinn et al.,
 * PNAS 2019). The notebook-facing API: `import * as ip from "inpca"`. Every public name is listed here (as d3
 * does); helpers stay in their modules. Training with tfjs is the `inpca/train` subpath: this entry loads no tfjs.
 */
import { registerModelEvaluator } from "./io/checkpoints.js";

// the data model: predictions, distances, errors, metadata, progress and cancellation (core)
export { PredictionSet, Trajectory, detectKind } from "./core/prediction-set.js";
export { DistanceMatrix } from "./core/distance-matrix.js";
export { sourceOf, isPredictionSource } from "./core/source.js";
export { InpcaInputError, InpcaAbortError } from "./core/errors.js";
export { field } from "./core/meta.js";
export type * from "./core/prediction-set.js";
export type * from "./core/distance-matrix.js";
export type * from "./core/meta.js";
export type * from "./core/progress.js";
export type * from "./core/source.js";

// the mathematics (geometry)
export { bhattacharyya, bhattacharyyaSync, hellinger, symmetricKL } from "./geometry/distances.js";
export { inpca, explainedStress } from "./geometry/inpca.js";
export { Embedding } from "./geometry/embedding.js";
export { landmarkInpca } from "./geometry/landmark.js";
export { featureInpca, FeatureEmbedding, type FeatureInpcaOptions, type FeatureSummary, type FeatureDivergence } from "./geometry/feature-inpca.js";
export { embeddingGap } from "./geometry/embedding-gap.js";
export type { EmbeddingGap } from "./geometry/embedding-gap.js";
export { sampleSubset } from "./geometry/subsample.js";
export { ignorance, truth, geodesic, geodesicBetween } from "./geometry/geodesic.js";
export { geodesicProgress } from "./geometry/geodesic-progress.js";
export { reindex } from "./geometry/reindex.js";
export { average, centroid, AVERAGING_METHODS } from "./geometry/averaging.js";
export {
  pairedBhattacharyya, trajectoryDistances, groupDistances, pointToTrajectory, smoothedTrajectoryDistance, smoothedTrajectoryDistances,
  segmentLengths, riemannianLength, distanceToGeodesic, tubeWidth,
} from "./geometry/trajectories.js";
export { explainedDistance, tangentEmbedding, kernelAnchor } from "./geometry/tangents.js";
export { binnedStats } from "./geometry/binning.js";
export { completeLinkage, leafOrder } from "./geometry/linkage.js";
export { shutdownPool } from "./geometry/pairwise/pool.js";
export type * from "./geometry/distances.js";
export type * from "./geometry/embedding.js";
export type * from "./geometry/inpca.js";
export type * from "./geometry/landmark.js";
export type * from "./geometry/geodesic.js";
export type * from "./geometry/geodesic-progress.js";
export type * from "./geometry/reindex.js";
export type * from "./geometry/averaging.js";
export type * from "./geometry/trajectories.js";
export type * from "./geometry/tangents.js";
export type * from "./geometry/linkage.js";

// linear algebra underneath
export { lanczos, denseEigen, doubleCenter } from "./linalg/index.js";
export type { EigenPairs, LanczosOptions, LanczosResult, SymmetricOperator } from "./linalg/index.js";
export { normal, uniform } from "./linalg/random.js";

// reading and writing (io)
export { loadCheckpoints, discoverCheckpoints, registerModelEvaluator, MAX_WALK_ENTRIES } from "./io/checkpoints.js";
export { loadZoo, saveZoo, Zoo, ZooWriter, ZOO_FORMAT, ZOO_VERSION } from "./io/zoo.js";
export { zooSource } from "./io/zoo-source.js";
export { hdf5Source } from "./io/hdf5-source.js";
export { checkpointSource } from "./io/checkpoint-source.js";
export { chunkCache } from "./io/chunk-cache.js";
export { exactInpca, exactInpcaWithReport } from "./io/exact-inpca.js";
export type { ExactInpcaOptions } from "./io/exact-inpca.js";
export type { ExactSolveReport } from "./geometry/exact.js";
export { loadEmbedding, saveEmbedding } from "./io/embedding-files.js";
export { loadNpy, readNpy, readNpyHeader, writeNpy } from "./io/npy.js";
export { loadNpz, readNpz } from "./io/npz.js";
export { loadSafetensors, loadSafetensorsHeader, loadSafetensorsTensor, readSafetensors, readSafetensorsHeader, safetensorsTensor, writeSafetensors } from "./io/safetensors.js";
export { hdf5Ready, openHdf5, openHdf5Sync, loadHdf5, loadDistanceMatrixH5 } from "./io/hdf5.js";
export { loadPredictionsJson, predictionsFromJson } from "./io/json.js";
export { loadTorch, readTorch, torchTensors } from "./io/torch.js";
export { evaluateOnnxCheckpoint } from "./io/onnx.js";
export { loadFashionMnist, loadIdx, readIdx, FASHION_MNIST_CLASSES, FASHION_MNIST_DIR } from "./io/idx.js";
export type * from "./io/checkpoints.js";
export type * from "./io/zoo.js";
export type * from "./io/npy.js";
export type * from "./io/safetensors.js";
export type * from "./io/hdf5.js";
export type * from "./io/hdf5-source.js";
export type * from "./io/json.js";
export type * from "./io/torch.js";
export type * from "./io/onnx.js";
export type * from "./io/idx.js";

// notebooks: claims checked as numbers, and figures (plot)
export { claim, claims, claimsTable, ClaimError, info, notebook } from "./notebook/claims.js";
export type { Claim } from "./notebook/claims.js";
export * as plot from "./plot/index.js";
export { show, showLive, save } from "./plot/display.js";
export type { ShowOptions, SaveOptions, LiveOutput } from "./plot/display.js";
export { liveMap, LiveMap, LIVE_COLOR } from "./plot/live-map.js";
export type { LiveMapOptions } from "./plot/live-map.js";
export const version = "0.1.0";

// tfjs loads only when needed: a model.json checkpoint folder given to loadCheckpoints loads the training module
registerModelEvaluator("tfjs", async (folder, inputs) => {
  const { evaluateTfjsCheckpoint } = await import("./train/checkpoints.js");
  return evaluateTfjsCheckpoint(folder, inputs as never);
});

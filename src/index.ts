/**
 * inpca: Intensive PCA of deep-network training in prediction space (Mao et al., PNAS 2024; Quinn et al.,
 * PNAS 2019). The notebook-facing API: `import * as ip from "inpca"`. Every public name is listed here (as d3
 * does), values and types; helpers stay in their modules. Three subpaths hold the rest: `inpca/io` (file formats),
 * `inpca/linalg` (the linear algebra underneath) and `inpca/train` (training with tfjs; this entry loads no tfjs).
 */
import { registerModelEvaluator } from "./io/checkpoints/load.js";

// the data model: predictions, distances, errors, metadata, progress and cancellation (core)
export { PredictionSet, Trajectory, detectKind } from "./core/prediction-set.js";
export { DistanceMatrix } from "./core/distance-matrix.js";
export { sourceOf, isPredictionSource } from "./core/source.js";
export { InpcaInputError, InpcaAbortError } from "./core/errors.js";
export { field } from "./core/meta.js";

// the mathematics (geometry)
export { bhattacharyya, bhattacharyyaSync, hellinger, symmetricKL } from "./geometry/distances.js";
export { inpca, explainedStress } from "./geometry/inpca.js";
export { Embedding } from "./core/embedding.js";
export { embed, chooseMethod, EXACT_LIMIT } from "./geometry/embed.js";
export { landmarkInpca } from "./geometry/landmark/index.js";
export { featureInpca, FeatureEmbedding } from "./geometry/feature-inpca.js";
export { embeddingGap } from "./geometry/embedding-gap.js";
export { sampleSubset } from "./geometry/subsample.js";
export { ignorance, truth, geodesic, geodesicBetween } from "./geometry/geodesic.js";
export { geodesicProgress } from "./geometry/geodesic-progress.js";
export { reindex } from "./geometry/reindex.js";
export { average, centroid, AVERAGING_METHODS } from "./geometry/averaging.js";
export {
  pairedBhattacharyya, trajectoryDistances, groupDistances, pointToTrajectory, smoothedTrajectoryDistance, smoothedTrajectoryDistances,
  segmentLengths, riemannianLength, distanceToGeodesic, tubeWidth,
} from "./geometry/trajectories/index.js";
export { explainedDistance, tangentEmbedding, kernelAnchor } from "./geometry/tangents.js";
export { binnedStats } from "./geometry/binning.js";
export { completeLinkage, leafOrder } from "./geometry/linkage.js";
export { shutdownPool } from "./geometry/pairwise/pool.js";
// seeded random streams for synthetic data (also in inpca/linalg, with the eigen-solvers)
export { normal, uniform } from "./linalg/random.js";

// loading, and the paper-scale pipeline (io); the file formats are `inpca/io`
export { loadCheckpoints, discoverCheckpoints } from "./io/checkpoints/load.js";
export { loadZoo, saveZoo, Zoo, ZooWriter } from "./io/stores/zoo/index.js";
export { loadFashionMnist, FASHION_MNIST_CLASSES } from "./io/formats/idx.js";
export { zooSource } from "./io/stores/zoo/source.js";
export { hdf5Source } from "./io/formats/hdf5/source.js";
export { checkpointSource } from "./io/checkpoints/source.js";
export { chunkCache } from "./io/stores/chunk-cache.js";
export { exactInpca, exactInpcaWithReport } from "./geometry/exact/exact-inpca.js";
export { loadEmbedding, saveEmbedding } from "./io/stores/embedding-files.js";

// notebooks: claims checked as numbers, and figures (plot)
export { claim, claims, claimsTable, ClaimError, info, notebook } from "./notebook/claims.js";
export * as plot from "./plot/index.js";
export { show, showLive, save } from "./plot/display.js";
export { liveMap, LiveMap, LIVE_COLOR } from "./plot/live-map.js";
/** The package's version. */
export const version = "0.1.0";

// Types: the named types of the values' parameters and results above, each where it is declared (the figure
// builders' option types are `ip.plot.*`). test/api.test.ts holds this list to the values' signatures.
export type { DistanceMatrixInit, DivergenceKind } from "./core/distance-matrix.js";
export type { ConfigValue, ModelPoint, PointKind } from "./core/meta.js";
export type { FromArrayOptions, PredictionKind, PredictionSetInit } from "./core/prediction-set.js";
export type { ProgressCallback, ProgressOptions } from "./core/progress.js";
export type { PredictionSource } from "./core/source.js";
export type { AverageOptions, AveragingMethod, GroupBy } from "./geometry/averaging.js";
export type { DistanceOptions } from "./geometry/distances.js";
export type { EmbedOptions, EmbeddingMethod } from "./geometry/embed.js";
export type { EmbeddingGap } from "./geometry/embedding-gap.js";
export type { EmbeddingBasis, EmbeddingInit, LandmarkSummary, SamplingError } from "./core/embedding.js";
export type { BlockComputeOptions, ExactOptions, ExactSolveOptions, ExactSolveReport } from "./geometry/exact/blocks.js";
export type { BlockOrigin, BlockStore, ChunkCache } from "./core/stores.js";
export type { GeodesicProgressOptions, ProgressMethod } from "./geometry/geodesic-progress.js";
export type { GeodesicOptions, LabelOptions, LabelSource } from "./geometry/geodesic.js";
export type { InpcaOptions } from "./geometry/inpca.js";
export type { FeatureBasis, FeatureInpcaOptions, FeatureSummary, FeatureDivergence } from "./geometry/feature-inpca.js";
export type { Estimate, LandmarkCheck } from "./core/embedding.js";
export type { LandmarkOptions, LandmarkPlanOptions, LandmarkSelection } from "./geometry/landmark/index.js";
export type { Linkage, Merge } from "./geometry/linkage.js";
export type { Precision } from "./geometry/pairwise/engine.js";
export type { ReindexOptions } from "./geometry/reindex.js";
export type { TangentEmbedding, TangentOptions } from "./geometry/tangents.js";
export type { DistanceToGeodesicOptions, GeodesicDistances, GroupDistanceOptions, LengthOptions, SmoothedDistanceOptions, TrajectoryDistanceOptions, TrajectorySource, TubeWidth, TubeWidthOptions } from "./geometry/trajectories/index.js";
export type { CheckpointFormat } from "./io/checkpoints/walk.js";
export type { LoadCheckpointsOptions } from "./io/checkpoints/load.js";
export type { DiscoverOptions, DiscoveredCheckpoint, DiscoveredRun } from "./io/checkpoints/discover.js";
export type { EmbeddingOrigin } from "./io/stores/embedding-files.js";
export type { ExactInpcaOptions, ExactInpcaReport } from "./geometry/exact/exact-inpca.js";
export type { Hdf5Source, Hdf5SourceOptions } from "./io/formats/hdf5/source.js";
export type { ImageDataset } from "./io/formats/idx.js";
export type { Lock } from "./io/stores/lock.js";
export type { RunWriter, ZooCheckpoint, ZooInit, ZooManifest, ZooRun, ZooSelection, ZooSplit } from "./io/stores/zoo/index.js";
export type { Claim } from "./notebook/claims.js";
export type { LiveOutput, SaveOptions, ShowOptions } from "./plot/display.js";
export type { LiveMapOptions } from "./plot/live-map.js";
export type { CheckpointListener } from "./train/record.js";

// tfjs loads only when needed: a model.json checkpoint folder given to loadCheckpoints loads the training module
registerModelEvaluator("tfjs", async (folder, inputs) => {
  const { evaluateTfjsCheckpoint } = await import("./train/checkpoints.js");
  return evaluateTfjsCheckpoint(folder, inputs as never);
});

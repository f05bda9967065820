/**
 * Comparing whole training trajectories (docs/methods.md §8): the point-by-point trajectory distance on a common
 * progress grid and its average over seed pairs, a kernel-smoothed trajectory distance that needs no common
 * grid, the Riemannian length of a trajectory, the distance of model-points to the ignorance→truth geodesic,
 * and the "tube width" of the seeds of one configuration around their mean trajectory.
 *
 * All distances are the intensive Bhattacharyya distance d_B (nats per sample, docs/methods.md §2), computed like
 * `bhattacharyya` does: rows divided by their sums, float64, each per-sample term kept in [0, 100].
 */
export type { TrajectorySource } from "./source.js";
export { pairedBhattacharyya } from "./paired.js";
export { trajectoryDistances, type TrajectoryDistanceOptions } from "./grid-distance.js";
export { groupDistances, type GroupDistanceOptions } from "./group-distance.js";
export { pointToTrajectory, smoothedTrajectoryDistance, smoothedTrajectoryDistances, type SmoothedDistanceOptions } from "./smoothed.js";
export { riemannianLength, segmentLengths, type LengthOptions } from "./length.js";
export { distanceToGeodesic, type DistanceToGeodesicOptions, type GeodesicDistances } from "./geodesic-distance.js";
export { tubeWidth, type TubeWidth, type TubeWidthOptions } from "./tube-width.js";

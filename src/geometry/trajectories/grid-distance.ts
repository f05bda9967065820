/**
 * The point-by-point trajectory distance on a common progress grid (docs/methods.md §8): d_B averaged over the grid
 * points, for every pair of trajectories.
 */
import { DistanceMatrix } from "../../core/distance-matrix.js";
import { InpcaInputError } from "../../core/errors.js";
import { assertSameSamples } from "../../core/prediction-set.js";
import { reporter } from "../../core/progress.js";
import { bhattacharyya, type DistanceOptions } from "../distances.js";
import { asTrajectories, checkGrid, trajectoryMeta, type TrajectorySource } from "./source.js";

/** Options of `trajectoryDistances`: those of `bhattacharyya`, and the grid check. */
export interface TrajectoryDistanceOptions extends DistanceOptions {
  /**
   * Check that every trajectory was re-indexed onto the same grid (every point has the same `reindexed` value
   * at the same position, within 1e-9). Default true; false compares points by position alone.
   */
  checkGrid?: boolean;
}

/**
 * Trajectory distance (docs/methods.md §8): d_traj(u, v) = (1/T) Σ_t d_B(P_u(t), P_v(t)) over the T points of the
 * common grid, for trajectories re-indexed with `reindex` onto the same grid (all of length T).
 * Returns an N×N symmetric DistanceMatrix (kind "trajectory", nats per sample) whose metadata rows are the
 * trajectories: { run, step: 0, config, split }. Computed as T Bhattacharyya matrices of N points each (on all
 * cores for large jobs); shows one progress bar over the T grid points.
 */
export async function trajectoryDistances(trajectories: TrajectorySource, options: TrajectoryDistanceOptions = {}): Promise<DistanceMatrix> {
  const list = asTrajectories(trajectories);
  const N = list.length;
  if (N === 0) throw new InpcaInputError("trajectoryDistances: no trajectories given");
  const T = list[0]!.length;
  const first = list[0]!.points;
  list.forEach((tr, i) => {
    assertSameSamples(first, tr.points, `trajectoryDistances: trajectory "${tr.run}" and trajectory "${list[0]!.run}"`);
    if (tr.length !== T) throw new InpcaInputError(`trajectoryDistances: trajectory "${tr.run}" has ${tr.length} points but "${list[0]!.run}" has ${T}; re-index them onto the same grid first (reindex)`);
    if (options.checkGrid !== false) checkGrid(list[0]!, tr, i);
  });
  const W = first.samples * first.classes;
  const acc = new Float64Array(N * N);
  const bar = reporter("trajectory distances", T, options);
  for (let t = 0; t < T; t++) {
    const probs = new Float32Array(N * W);
    list.forEach((tr, i) => probs.set(tr.points.probs.subarray(t * W, (t + 1) * W), i * W));
    const slice = first.derive(probs, N, list.map((tr) => tr.points.meta[t]!));
    const D = await bhattacharyya(slice, { ...options, showProgress: false, onProgress: undefined });
    for (let q = 0; q < N * N; q++) acc[q]! += D.data[q]!;
    bar.update(t + 1);
  }
  bar.done();
  for (let q = 0; q < N * N; q++) acc[q]! /= T;
  for (let i = 0; i < N; i++) acc[i * N + i] = 0;
  return new DistanceMatrix({ data: acc, rows: N, cols: N, kind: "trajectory", rowMeta: list.map(trajectoryMeta), symmetric: true });
}

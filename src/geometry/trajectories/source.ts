/**
 * Trajectories as the trajectory functions take them: a list, or one set grouped by run; the metadata row of a
 * trajectory in a distance matrix; and the check that trajectories were re-indexed onto one grid.
 */
import { InpcaInputError } from "../../core/errors.js";
import { describePoint, type ModelPoint } from "../../core/meta.js";
import { PredictionSet, type Trajectory } from "../../core/prediction-set.js";

/** Trajectories given as a list, or as one set whose points are grouped by run (ordered by step). */
export type TrajectorySource = readonly Trajectory[] | PredictionSet;

/**
 * Checks that `tr` (the `index`-th trajectory) is on the grid of `ref`: every point has a `reindexed` value, equal to
 * ref's at the same position within 1e-9 (relative). Throws InpcaInputError naming the trajectory and the point.
 */
export function checkGrid(ref: Trajectory, tr: Trajectory, index: number): void {
  for (let t = 0; t < ref.length && t < tr.length; t++) {
    const a = ref.points.meta[t]!["reindexed"];
    const b = tr.points.meta[t]!["reindexed"];
    if (typeof a !== "number" || typeof b !== "number") {
      const which = typeof a !== "number" ? ref : tr;
      throw new InpcaInputError(
        `trajectory "${which.run}", ${describePoint(which.points.meta, t)}: not re-indexed (no "reindexed" grid value); re-index the trajectories onto a common grid first, or pass checkGrid: false`,
      );
    }
    if (Math.abs(a - b) > 1e-9 * Math.max(1, Math.abs(a))) {
      throw new InpcaInputError(`trajectory ${index} ("${tr.run}") is on a different grid: point ${t} is at ${b} but trajectory "${ref.run}" has ${a} there`);
    }
  }
}

/** The trajectories of `source`: the list as it is, or the set's runs (each ordered by step). */
export function asTrajectories(source: TrajectorySource): Trajectory[] {
  return source instanceof PredictionSet ? source.trajectories() : [...source];
}

/** The metadata row of a trajectory in a trajectory distance matrix: { run, step: 0, points, config, split }. */
export function trajectoryMeta(tr: Trajectory): ModelPoint {
  const p = tr.points.meta[0];
  const out: ModelPoint = { run: tr.run, step: 0, points: tr.length };
  if (p?.config) out.config = p.config;
  if (p?.split) out.split = p.split;
  return out;
}

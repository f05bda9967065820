/**
 * Re-indexing a trajectory onto a common grid of a progress variable (docs/methods.md §8), so that trajectories of
 * different length, speed and checkpoint schedule can be compared point by point. Between two consecutive
 * checkpoints the predictions move along the per-sample great circle (docs/methods.md §6).
 */
import { InpcaInputError } from "../core/errors.js";
import { refuseRenamedOptions } from "../core/progress.js";
import type { ModelPoint } from "../core/meta.js";
import { PredictionSet, Trajectory } from "../core/prediction-set.js";
import { slerpInto } from "./geodesic.js";
import { geodesicProgress, type GeodesicProgressOptions } from "./geodesic-progress.js";
import { integer, validate } from "../core/options.js";

/** Options of `reindex` (docs/methods.md §8): the quantity and grid a trajectory is re-indexed on. */
export interface ReindexOptions {
  /**
   * The progress variable: "progress" (default, λ* along ignorance→truth, docs/methods.md §7) or "accuracy"
   * (1 - error of the predictions on their own samples, as in the authors' final code).
   */
  by?: "progress" | "accuracy";
  /** Your own value per checkpoint instead (length = checkpoints); overrides `by`. */
  values?: ArrayLike<number>;
  /** Grid size (default 100), evenly spaced over `range`. */
  points?: number;
  /** [lo, hi] of the grid (default: the trajectory's first and last value of the variable). */
  range?: readonly [number, number];
  /** Explicit grid values instead of `points`/`range`. */
  grid?: ArrayLike<number>;
  /** Options of `progress` when by = "progress". */
  geodesicProgress?: GeodesicProgressOptions;
}

/**
 * The trajectory at the grid values of its progress variable. The variable is made monotone by its running
 * maximum (a checkpoint that falls back does not move the trajectory backwards); each grid value g is reached
 * at the first segment t where the variable crosses it, at fraction f = (g - v_t)/(v_{t+1} - v_t) of the great
 * circle from checkpoint t to t+1. Grid values outside the trajectory's range are an error.
 * Returned metadata: the run's, with step and epoch interpolated linearly, `reindexed` = the grid value and
 * `lambda` = the grid value when by = "progress".
 */
export function reindex(trajectory: Trajectory | PredictionSet, options: ReindexOptions = {}): Trajectory {
  refuseRenamedOptions(options, "reindex");
  const set = trajectory instanceof Trajectory ? trajectory.points : trajectory;
  const run = trajectory instanceof Trajectory ? trajectory.run : (set.meta[0]?.run ?? "run");
  const T = set.models;
  if (T < 2) throw new InpcaInputError(`reindex: run "${run}" has ${T} checkpoint${T === 1 ? "" : "s"}; at least 2 are needed`);
  const by = options.values ? "values" : (options.by ?? "progress");
  const raw = options.values
    ? Float64Array.from(options.values)
    : by === "accuracy"
      ? Float64Array.from(set.errors(), (e) => 1 - e)
      : geodesicProgress(set, options.geodesicProgress);
  if (raw.length !== T) throw new InpcaInputError(`reindex: ${raw.length} values for ${T} checkpoints of run "${run}"`);
  const v = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    if (!Number.isFinite(raw[t]!)) throw new InpcaInputError(`reindex: run "${run}", checkpoint ${t}: progress variable is ${raw[t]}`);
    v[t] = t === 0 ? raw[0]! : Math.max(v[t - 1]!, raw[t]!);
  }
  const grid = makeGrid(options, v[0]!, v[T - 1]!);
  const { samples: S, classes: C } = set;
  const W = S * C;
  const probs = new Float32Array(grid.length * W);
  const meta: ModelPoint[] = [];
  let t = 0;
  grid.forEach((g, k) => {
    if (g < v[0]! - 1e-12 || g > v[T - 1]! + 1e-12) {
      throw new InpcaInputError(`reindex: grid value ${g} is outside the range [${v[0]}, ${v[T - 1]}] that run "${run}" covers`);
    }
    // first segment whose end reaches g (grids are usually increasing, so resume from the last segment)
    if (k === 0 || g < grid[k - 1]!) t = 0;
    while (t < T - 2 && v[t + 1]! < g) t++;
    const span = v[t + 1]! - v[t]!;
    const f = span > 0 ? Math.min(1, Math.max(0, (g - v[t]!) / span)) : 0;
    slerpInto(set.probs, t * W, set.probs, (t + 1) * W, f, S, C, probs, k * W);
    const m0 = set.meta[t]!;
    const m1 = set.meta[t + 1]!;
    const lerp = (x?: number, y?: number) => (x === undefined || y === undefined ? undefined : x + f * (y - x));
    const point: ModelPoint = { ...m0, step: lerp(m0.step, m1.step)!, reindexed: g };
    const epoch = lerp(m0.epoch, m1.epoch);
    if (epoch !== undefined) point.epoch = epoch;
    if (by === "progress") point.lambda = g;
    for (const key of ["error", "loss", "trainError", "testError", "trainLoss", "testLoss"] as const) delete point[key];
    meta.push(point);
  });
  return new Trajectory(run, set.derive(probs, grid.length, meta));
}

function makeGrid(options: ReindexOptions, lo: number, hi: number): Float64Array {
  if (options.grid) return Float64Array.from(options.grid);
  const [a, b] = options.range ?? [lo, hi];
  const points = options.points ?? 100;
  validate(points, integer(2), "points", { source: "reindex" });
  return Float64Array.from({ length: points }, (_, k) => a + ((b - a) * k) / (points - 1));
}

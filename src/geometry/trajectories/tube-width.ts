/**
 * The tube width of the seeds of each configuration around their mean trajectory (docs/methods.md §8): each seed's
 * d_B to the square-root mean of the seeds at the same grid value.
 */
import { InpcaInputError } from "../../core/errors.js";
import type { ModelPoint } from "../../core/meta.js";
import { PredictionSet, Trajectory } from "../../core/prediction-set.js";
import { refuseRenamedOptions } from "../../core/progress.js";
import { average, groupIndices, sharedConfig, type AveragingMethod, type GroupBy } from "../averaging.js";
import { geodesicProgress, type GeodesicProgressOptions } from "../geodesic-progress.js";
import { reindex } from "../reindex.js";
import { pairedBhattacharyya } from "./paired.js";
import { checkGrid } from "./source.js";

/** Options of `tubeWidth`: how runs are grouped, averaged and, when needed, re-indexed. */
export interface TubeWidthOptions {
  /** Groups runs into configurations (default: the configuration without its seed). */
  by?: GroupBy;
  /** The mean trajectory of a configuration (default "sqrt", the square-root mean of docs/methods.md §9). */
  method?: AveragingMethod;
  /** Grid points per configuration when the set is not re-indexed yet (default 100). */
  points?: number;
  /** Progress variable for re-indexing: "progress" (λ*, default) or "accuracy" (1 - error). */
  reindexBy?: "progress" | "accuracy";
  /** Options of `progress` (when re-indexing by progress). */
  geodesicProgress?: GeodesicProgressOptions;
}

/** The seeds of each configuration against their mean trajectory, one entry per seed and grid point. */
export interface TubeWidth {
  /** d_B(seed point, mean trajectory point at the same grid value), nats per sample; length N. */
  width: Float64Array;
  /** The grid value (progress λ*, or accuracy with reindexBy "accuracy") of each entry; length N. */
  progress: Float64Array;
  /** Metadata of each entry: the seed's re-indexed point (`lambda`/`reindexed` = grid value, `group`). */
  meta: ModelPoint[];
  /** The mean trajectories, one run "mean:<group>" per configuration, on each configuration's grid. */
  means: PredictionSet;
  /** Group keys measured (configurations with at least two runs), in order. */
  groups: string[];
  /** Group keys skipped because they have a single run (no tube to measure). */
  skipped: string[];
}

/**
 * Tube width (docs/methods.md §8): for each configuration (runs grouped by `by`, default the configuration without its
 * seed), every run is put on a common grid and compared with the configuration's mean trajectory, the
 * square-root mean (docs/methods.md §9; `method` to change) of its seeds at each grid value:
 * width = d_B(seed point, mean point). If every point of `set` already has a `reindexed` value, the points are
 * used as they are (grids must agree within a configuration); otherwise each run is re-indexed by progress
 * onto `points` values spanning the range all the configuration's runs cover. Feeds `plot.tubeWidth`.
 */
export function tubeWidth(set: PredictionSet, options: TubeWidthOptions = {}): TubeWidth {
  refuseRenamedOptions(options, "tubeWidth");
  const runs = set.trajectories();
  const reindexed = set.meta.every((p) => typeof p["reindexed"] === "number");
  const groups = groupIndices(runs.map((r) => r.points.meta[0]!), options.by);
  const widths: number[] = [];
  const grid: number[] = [];
  const meta: ModelPoint[] = [];
  const means: PredictionSet[] = [];
  const measured: string[] = [];
  const skipped: string[] = [];
  for (const [key, idx] of groups) {
    if (idx.length < 2) {
      skipped.push(key);
      continue;
    }
    let members = idx.map((i) => runs[i]!);
    if (!reindexed) members = reindexGroup(members, key, options);
    else members.forEach((tr, i) => checkGrid(members[0]!, tr, i));
    const T = members[0]!.length;
    members.forEach((tr) => {
      if (tr.length !== T) throw new InpcaInputError(`tubeWidth: in configuration "${key}", run "${tr.run}" has ${tr.length} grid points but "${members[0]!.run}" has ${T}`);
    });
    const mean = average(members.map((t) => t.points), options.method ?? "sqrt");
    const label = key === "" ? "(all)" : key;
    means.push(mean.derive(mean.probs, T, mean.meta.map((p) => ({ ...p, run: `mean:${label}`, config: sharedConfig(members.map((t) => t.points.meta[0]!)), group: label }))));
    for (const tr of members) {
      const w = pairedBhattacharyya(tr.points, mean);
      tr.points.meta.forEach((p, t) => {
        widths.push(w[t]!);
        const g = typeof p["reindexed"] === "number" ? (p["reindexed"] as number) : (p.lambda ?? NaN);
        grid.push(g);
        meta.push({ ...p, group: label });
      });
    }
    measured.push(label);
  }
  const first = runs[0]?.points ?? set;
  return {
    width: Float64Array.from(widths),
    progress: Float64Array.from(grid),
    meta,
    means: means.length ? PredictionSet.concat(means) : first.derive(new Float32Array(0), 0, []),
    groups: measured,
    skipped: skipped.map((k) => (k === "" ? "(all)" : k)),
  };
}

/**
 * The runs of one configuration re-indexed onto a common grid of `options.points` values (default 100) of progress
 * (λ*, also set as `lambda`) or accuracy, spanning the range every run covers.
 */
function reindexGroup(members: Trajectory[], key: string, options: TubeWidthOptions): Trajectory[] {
  const by = options.reindexBy ?? "progress";
  const values = members.map((tr) => (by === "accuracy" ? Float64Array.from(tr.points.errors(), (e) => 1 - e) : geodesicProgress(tr.points, options.geodesicProgress)));
  let lo = -Infinity, hi = Infinity;
  values.forEach((v) => {
    lo = Math.max(lo, v[0]!);
    hi = Math.min(hi, Math.max(...v));
  });
  if (!(hi > lo)) {
    throw new InpcaInputError(`tubeWidth: the runs of configuration "${key || "(all)"}" share no range of ${by}: the latest start is ${lo.toFixed(4)}, the earliest end ${hi.toFixed(4)}`);
  }
  const points = options.points ?? 100;
  const grid = Float64Array.from({ length: points }, (_, k) => lo + ((hi - lo) * k) / (points - 1));
  return members.map((tr, i) => {
    const r = reindex(tr, { values: values[i]!, grid });
    if (by === "progress") {
      const meta = r.points.meta.map((p) => ({ ...p, lambda: p["reindexed"] as number }));
      return new Trajectory(r.run, r.points.derive(r.points.probs, r.length, meta));
    }
    return r;
  });
}

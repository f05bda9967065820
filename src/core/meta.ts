/**
 * Metadata of model-points: one row per network at one checkpoint (or per synthetic point such as a point of
 * the ignorance→truth geodesic). Plain objects so that users can build them by hand and filter with closures.
 */

/** A configuration value: architecture name, optimizer, batch size, learning rate, seed, flags. */
export type ConfigValue = string | number | boolean | null;

/** What a row stands for. Real checkpoints are `"model"`; the rest are points the library constructs. */
export type PointKind = "model" | "geodesic" | "ignorance" | "truth" | "average" | "anchor";

/**
 * One model-point: a network at one checkpoint, evaluated on one split.
 * - `run`: identifier of the training run (all checkpoints of one run share it).
 * - `step`: optimisation step (integer, 0 = initialisation); `epoch`: epochs elapsed (fractional).
 * - `split`: which samples the predictions are on (`"train"`, `"test"`).
 * - `config`: the run's configuration (architecture, optimizer, batch size, lr, weight decay, augmentation, seed...).
 * - `error`, `loss`: error rate in [0,1] and mean cross-entropy (nats) on this split at this checkpoint;
 *   `trainError`, `testError`, `trainLoss`, `testLoss` when both are known.
 * - `kind`: `"model"` for a real checkpoint (the default when absent).
 * - `lambda`: the geodesic parameter for geodesic points, or the progress grid value for re-indexed points.
 */
export interface ModelPoint {
  /** Identifier of the training run (all checkpoints of one run share it). */
  run: string;
  /** Optimisation step (integer, 0 = initialisation). */
  step: number;
  /** Epochs elapsed (fractional). */
  epoch?: number;
  /** Which samples the predictions are on ("train", "test"). */
  split?: string;
  /** The run's configuration (architecture, optimizer, batch size, lr, weight decay, augmentation, seed, ...). */
  config?: Record<string, ConfigValue>;
  /** Error rate in [0, 1] on this split at this checkpoint. */
  error?: number;
  /** Mean cross-entropy (nats) on this split at this checkpoint. */
  loss?: number;
  /** Error rate in [0, 1] on the train samples, when known. */
  trainError?: number;
  /** Error rate in [0, 1] on the test samples, when known. */
  testError?: number;
  /** Mean cross-entropy (nats) on the train samples, when known. */
  trainLoss?: number;
  /** Mean cross-entropy (nats) on the test samples, when known. */
  testLoss?: number;
  /** What the row stands for: "model" for a real checkpoint (the default when absent). */
  kind?: PointKind;
  /** The geodesic parameter for geodesic points, the progress grid value for re-indexed points, λ* where computed. */
  lambda?: number;
  // fields the library writes (typed here so that they do not travel through the untyped index below)
  /** Zoo corner runs: "pretrain" for the pre-training phase, "train" after it. */
  phase?: string;
  /** Zoo runs: whether the final train error is within the zoo's `trainedThreshold`. */
  trained?: boolean;
  /** `loadCheckpoints`: the file or folder the checkpoint came from. */
  file?: string;
  /** `reindex`: the grid value (progress or accuracy) this interpolated point stands at. */
  reindexed?: number;
  /** `average` / `centroid`: the averaging method. */
  averaging?: string;
  /** Averages: the number of points averaged; `groupDistances`: the run ids of the group (with `runs` their number). */
  members?: number | readonly string[];
  /** `groupDistances`: the number of runs in the group. */
  runs?: number;
  /** Group means and tube widths: the group's label. */
  group?: string;
  /** Anything else a user or file adds. */
  [field: string]: unknown;
}

/**
 * Reads a field of a model-point by name: a top-level field first (`step`, `epoch`, `error`, ...), then a
 * configuration field (`arch`, `optimizer`, ...). Dotted names (`config.arch`) are followed literally.
 * Returns `undefined` when the point has no such field.
 */
export function field(point: ModelPoint, name: string): unknown {
  if (name.includes(".")) {
    let v: unknown = point;
    for (const part of name.split(".")) {
      if (v === null || typeof v !== "object") return undefined;
      v = (v as Record<string, unknown>)[part];
    }
    return v;
  }
  if (name in point && name !== "config") return point[name];
  return point.config?.[name];
}

/** A short human label of a model-point for error messages: `model-point 12 (run "mlp-s0", step 300)`. */
export function describePoint(meta: readonly ModelPoint[] | undefined, index: number): string {
  const m = meta?.[index];
  if (!m) return `model-point ${index}`;
  const parts = [`run "${m.run}"`, `step ${m.step}`];
  if (m.split) parts.push(`split ${m.split}`);
  return `model-point ${index} (${parts.join(", ")})`;
}

/**
 * The rows of `meta` (or only `indices`) grouped by run: runs in order of first appearance, each run's rows
 * ordered by step, then epoch, then row index. The one grouping rule of the library (trajectories, run lines,
 * the zoo writer).
 */
export function rowsByRun(meta: readonly ModelPoint[], indices?: readonly number[]): {
  /** The run id. */
  run: string;
  /** Its rows, ordered by step, then epoch, then row index. */
  rows: number[];
}[] {
  const groups = new Map<string, number[]>();
  const add = (i: number) => {
    const r = meta[i]!.run;
    const g = groups.get(r);
    if (g) g.push(i);
    else groups.set(r, [i]);
  };
  if (indices) for (const i of indices) add(i);
  else for (let i = 0; i < meta.length; i++) add(i);
  const out: { run: string; rows: number[] }[] = [];
  for (const [run, rows] of groups) {
    rows.sort((a, b) => meta[a]!.step - meta[b]!.step || (meta[a]!.epoch ?? 0) - (meta[b]!.epoch ?? 0) || a - b);
    out.push({ run, rows });
  }
  return out;
}

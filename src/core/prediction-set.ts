/**
 * PredictionSet: the predictions of M model-points on the same S samples over C classes (docs/methods.md §1).
 * Each model-point is one probability distribution P_u(y_1..y_S) = Π_n p_u(y_n | x_n); the library compares
 * model-points only on the same samples in the same order.
 *
 * Storage: one flat row-major Float32Array `probs` of length M·S·C; element (m, n, c) is at (m·S + n)·C + c.
 */
import { InpcaInputError } from "./errors.js";
import { checkedIntegers } from "./integers.js";
import { errorAndLoss, FULL_PRECISION_TOLERANCE } from "./rows.js";
import { describePoint, rowsByRun, type ModelPoint } from "./meta.js";
import { assertSameSamples, badValue, checkShape, validateProbabilities } from "./prediction-checks.js";
import type { PredictionKind } from "./prediction-kind.js";
import { integer, validate, validateEach } from "./options.js";

export { detectKind, type PredictionKind } from "./prediction-kind.js";
export { assertSameSamples, type SampleSpace } from "./prediction-checks.js";

/** Everything that defines a prediction set; all arrays are taken as they are (not copied). */
export interface PredictionSetInit {
  /** M·S·C probabilities, row-major [model][sample][class]. */
  probs: Float32Array;
  /** M: number of model-points. */
  models: number;
  /** S: number of samples. */
  samples: number;
  /** C: number of classes. */
  classes: number;
  /** True class of each of the S samples, in [0, C); optional (needed for truth, error, geodesic). */
  labels?: Int32Array | null;
  /** Names of the C classes (defaults to "0".."C-1"). */
  classNames?: readonly string[];
  /** One metadata row per model-point (defaults to run "m<i>", step i). */
  meta?: readonly ModelPoint[];
  /** Which split the samples come from ("train", "test"); sets on different splits are never compared. */
  split?: string;
  /** Indices of the S samples in their dataset (identity used to check that two sets share samples). */
  sampleIds?: Int32Array | null;
}

/** Options for building a set from raw numbers. */
export interface FromArrayOptions extends Omit<PredictionSetInit, "probs" | "models" | "samples" | "classes" | "labels" | "sampleIds"> {
  /** True class of each of the S samples (integers in [0, C)), or null. */
  labels?: ArrayLike<number> | null;
  /** Dataset index of each of the S samples, or null. */
  sampleIds?: ArrayLike<number> | null;
  /** Rows of probabilities may sum to 1 ± tolerance (default 1e-3, float16 storage gives ~1e-3). */
  tolerance?: number;
  /** Opt in to dividing every row by its sum instead of rejecting rows off by more than `tolerance`. */
  renormalize?: boolean;
  /** Label used in error messages for where the numbers came from (a file name). */
  source?: string;
}

/** Default tolerance on |Σ_c p(c|x) − 1| for probabilities read from disk (float16 rounding is ~5e-4/class). */
export const DEFAULT_SUM_TOLERANCE = FULL_PRECISION_TOLERANCE;

/**
 * M model-points × S samples × C classes of predicted probabilities in one Float32Array (docs/methods.md §1), with
 * the samples' labels and one metadata row per model-point (run, step, epoch, configuration, ...). Made by
 * `fromProbabilities`, `fromLogits`, `fromLogProbabilities`, or read by `loadZoo`, `loadCheckpoints` and the other
 * loaders; validated on the way in (finite, non-negative, rows summing to 1), naming the model-point, sample and class.
 */
export class PredictionSet {
  /** M·S·C probabilities, row-major [model][sample][class]. */
  readonly probs: Float32Array;
  /** Number of model-points M. */
  readonly models: number;
  /** Number of samples S. */
  readonly samples: number;
  /** Number of classes C. */
  readonly classes: number;
  /** True labels of the S samples (Int32Array of length S), or null when unknown. */
  readonly labels: Int32Array | null;
  /** Names of the C classes. */
  readonly classNames: readonly string[];
  /** Metadata, one row per model-point. */
  readonly meta: readonly ModelPoint[];
  /** Split of the samples ("train", "test"), when known. */
  readonly split: string | undefined;
  /** Dataset indices of the S samples, when known. */
  readonly sampleIds: Int32Array | null;

  /**
   * Wraps arrays as a prediction set after validating them (shape, finite, non-negative, rows summing to 1
   * within 1e-3, labels in range). Throws InpcaInputError naming the model-point and sample otherwise.
   * Use the static `from*` builders for raw numbers, logits or log-probabilities.
   */
  constructor(init: PredictionSetInit, options: { validate?: boolean; tolerance?: number; source?: string } = {}) {
    const { probs, models: M, samples: S, classes: C } = init;
    const where = options.source ? `${options.source}: ` : "";
    for (const [name, v] of [["models", M], ["samples", S], ["classes", C]] as const) validate(v, integer(0), name, { source: options.source });
    if (C < 1 && M * S > 0) throw new InpcaInputError(`${where}a prediction set needs at least one class`);
    if (!(probs instanceof Float32Array)) throw new InpcaInputError(`${where}probs must be a Float32Array`);
    if (probs.length !== M * S * C) {
      throw new InpcaInputError(
        `${where}probabilities have ${probs.length} values but the shape [${M} models × ${S} samples × ${C} classes] needs ${M * S * C}`,
      );
    }
    const meta = init.meta ?? Array.from({ length: M }, (_, i) => ({ run: `m${i}`, step: i }));
    if (meta.length !== M) throw new InpcaInputError(`${where}${meta.length} metadata rows for ${M} model-points`);
    const labels = init.labels ?? null;
    if (labels && labels.length !== S) throw new InpcaInputError(`${where}${labels.length} labels for ${S} samples`);
    const sampleIds = init.sampleIds ?? null;
    if (sampleIds && sampleIds.length !== S) throw new InpcaInputError(`${where}${sampleIds.length} sample ids for ${S} samples`);
    const classNames = init.classNames ?? Array.from({ length: C }, (_, c) => String(c));
    if (classNames.length !== C) throw new InpcaInputError(`${where}${classNames.length} class names for ${C} classes`);
    if (labels) {
      for (let n = 0; n < S; n++) {
        const y = labels[n]!;
        if (!(y >= 0 && y < C)) throw new InpcaInputError(`${where}label of sample ${n} is ${y}, outside [0, ${C})`);
      }
    }
    if (options.validate !== false) validateProbabilities(probs, M, S, C, init.meta, options.tolerance ?? DEFAULT_SUM_TOLERANCE, where);
    this.probs = probs;
    this.models = M;
    this.samples = S;
    this.classes = C;
    this.labels = labels;
    this.classNames = classNames;
    this.meta = meta;
    this.split = init.split;
    this.sampleIds = sampleIds;
  }

  /**
   * Builds a set from probabilities shaped [M, S, C] (any numeric array, flat row-major).
   * Rows must sum to 1 within `tolerance` unless `renormalize: true` divides each row by its sum (float64).
   */
  static fromProbabilities(data: ArrayLike<number>, shape: readonly [number, number, number], options: FromArrayOptions = {}): PredictionSet {
    const [M, S, C] = checkShape(data, shape, options.source);
    const probs = new Float32Array(M * S * C);
    const where = options.source ? `${options.source}: ` : "";
    if (options.renormalize) {
      for (let r = 0; r < M * S; r++) {
        let sum = 0;
        const o = r * C;
        for (let c = 0; c < C; c++) {
          const v = +data[o + c]!;
          if (!Number.isFinite(v) || v < 0) throw badValue(where, options.meta, r, S, c, v);
          sum += v;
        }
        if (!(sum > 0)) throw new InpcaInputError(`${where}${describePoint(options.meta, Math.floor(r / S))}, sample ${r % S}: probabilities sum to 0, cannot renormalise`);
        for (let c = 0; c < C; c++) probs[o + c] = +data[o + c]! / sum;
      }
    } else {
      if (data instanceof Float32Array) probs.set(data);
      else for (let i = 0; i < probs.length; i++) probs[i] = +data[i]!;
    }
    return new PredictionSet(
      { ...initFrom(options), probs, models: M, samples: S, classes: C },
      { tolerance: options.tolerance, source: options.source },
    );
  }

  /** Builds a set from logits shaped [M, S, C]: softmax per (model, sample) in float64. */
  static fromLogits(data: ArrayLike<number>, shape: readonly [number, number, number], options: FromArrayOptions = {}): PredictionSet {
    return PredictionSet.fromLogSpace(data, shape, options, true);
  }

  /**
   * Builds a set from natural-log probabilities shaped [M, S, C]. exp(row) must sum to 1 within `tolerance`
   * unless `renormalize: true` (then it is a softmax, as for logits).
   */
  static fromLogProbabilities(data: ArrayLike<number>, shape: readonly [number, number, number], options: FromArrayOptions = {}): PredictionSet {
    return PredictionSet.fromLogSpace(data, shape, options, options.renormalize === true);
  }

  /** Builds a set from numbers of the given kind (see `detectKind` to guess it from content). */
  static from(kind: PredictionKind, data: ArrayLike<number>, shape: readonly [number, number, number], options: FromArrayOptions = {}): PredictionSet {
    if (kind === "logits") return PredictionSet.fromLogits(data, shape, options);
    if (kind === "logProbabilities") return PredictionSet.fromLogProbabilities(data, shape, options);
    return PredictionSet.fromProbabilities(data, shape, options);
  }

  private static fromLogSpace(data: ArrayLike<number>, shape: readonly [number, number, number], options: FromArrayOptions, softmax: boolean): PredictionSet {
    const [M, S, C] = checkShape(data, shape, options.source);
    const where = options.source ? `${options.source}: ` : "";
    const probs = new Float32Array(M * S * C);
    const tol = options.tolerance ?? DEFAULT_SUM_TOLERANCE;
    for (let r = 0; r < M * S; r++) {
      const o = r * C;
      let max = -Infinity;
      for (let c = 0; c < C; c++) {
        const v = +data[o + c]!;
        if (Number.isNaN(v) || v === Infinity) throw badValue(where, options.meta, r, S, c, v);
        if (v > max) max = v;
      }
      if (max === -Infinity) throw new InpcaInputError(`${where}${describePoint(options.meta, Math.floor(r / S))}, sample ${r % S}: every class has log-probability −∞`);
      let sum = 0;
      for (let c = 0; c < C; c++) sum += Math.exp(+data[o + c]! - max);
      if (softmax) {
        for (let c = 0; c < C; c++) probs[o + c] = Math.exp(+data[o + c]! - max) / sum;
      } else {
        const total = sum * Math.exp(max);
        if (!(Math.abs(total - 1) <= tol)) {
          throw new InpcaInputError(
            `${where}${describePoint(options.meta, Math.floor(r / S))}, sample ${r % S}: exp(log-probabilities) sums to ${total.toPrecision(6)}, not 1 (are these logits? pass kind "logits", or renormalize: true)`,
          );
        }
        for (let c = 0; c < C; c++) probs[o + c] = Math.exp(+data[o + c]!);
      }
    }
    return new PredictionSet(
      { ...initFrom(options), probs, models: M, samples: S, classes: C },
      { tolerance: Math.max(tol, 1e-5), source: options.source },
    );
  }

  /** Number of model-points M (same as `models`). */
  get size(): number {
    return this.models;
  }

  /** Shape [M, S, C]. */
  get shape(): [number, number, number] {
    return [this.models, this.samples, this.classes];
  }

  /** The S·C probabilities of model-point m (a view, not a copy). */
  model(m: number): Float32Array {
    if (!(m >= 0 && m < this.models)) throw new RangeError(`model-point ${m} is outside [0, ${this.models})`);
    const w = this.samples * this.classes;
    return this.probs.subarray(m * w, (m + 1) * w);
  }

  /** The model-points at the given indices, in that order (copies the probabilities). */
  select(indices: ArrayLike<number>): PredictionSet {
    const w = this.samples * this.classes;
    const probs = new Float32Array(indices.length * w);
    const meta: ModelPoint[] = [];
    for (let k = 0; k < indices.length; k++) {
      const m = indices[k]!;
      if (!(Number.isInteger(m) && m >= 0 && m < this.models)) throw new RangeError(`select: index ${m} is outside [0, ${this.models})`);
      probs.set(this.probs.subarray(m * w, (m + 1) * w), k * w);
      meta.push(this.meta[m]!);
    }
    return this.derive(probs, indices.length, meta);
  }

  /** The model-points whose metadata satisfies `predicate` (in their current order). */
  where(predicate: (point: ModelPoint, index: number) => boolean): PredictionSet {
    const idx: number[] = [];
    this.meta.forEach((p, i) => {
      if (predicate(p, i)) idx.push(i);
    });
    return this.select(idx);
  }

  /** Model-points start..end-1 (like Array.prototype.slice; shares no memory). */
  slice(start = 0, end = this.models): PredictionSet {
    const s = Math.max(0, start < 0 ? this.models + start : start);
    const e = Math.min(this.models, end < 0 ? this.models + end : end);
    const idx: number[] = [];
    for (let i = s; i < e; i++) idx.push(i);
    return this.select(idx);
  }

  /** The same model-points restricted to samples `indices` (for example every second sample, as the authors do). */
  selectSamples(indices: ArrayLike<number>): PredictionSet {
    const { models: M, samples: S, classes: C } = this;
    const T = indices.length;
    for (let k = 0; k < T; k++) {
      const n = indices[k]!;
      if (!(Number.isInteger(n) && n >= 0 && n < S)) throw new RangeError(`selectSamples: sample ${n} is outside [0, ${S})`);
    }
    const probs = new Float32Array(M * T * C);
    for (let m = 0; m < M; m++) {
      for (let k = 0; k < T; k++) {
        const src = (m * S + indices[k]!) * C;
        probs.set(this.probs.subarray(src, src + C), (m * T + k) * C);
      }
    }
    const pick = (a: Int32Array | null) => (a ? Int32Array.from({ length: T }, (_, k) => a[indices[k]!]!) : null);
    return new PredictionSet(
      { probs, models: M, samples: T, classes: C, labels: pick(this.labels), classNames: this.classNames, meta: this.meta, split: this.split, sampleIds: pick(this.sampleIds ?? Int32Array.from({ length: S }, (_, n) => n)) },
      { validate: false },
    );
  }

  /**
   * Concatenates sets on the same samples (same split, sample ids, labels and classes) along the model axis.
   * Throws InpcaInputError naming the first set that differs.
   */
  static concat(sets: readonly PredictionSet[]): PredictionSet {
    if (sets.length === 0) throw new InpcaInputError("concat: no prediction sets given");
    const first = sets[0]!;
    sets.forEach((s, i) => assertSameSamples(first, s, `concat: set ${i}`));
    const w = first.samples * first.classes;
    const M = sets.reduce((a, s) => a + s.models, 0);
    const probs = new Float32Array(M * w);
    const meta: ModelPoint[] = [];
    let o = 0;
    for (const s of sets) {
      probs.set(s.probs, o);
      o += s.probs.length;
      meta.push(...s.meta);
    }
    const labels = sets.find((s) => s.labels)?.labels ?? null;
    const sampleIds = sets.find((s) => s.sampleIds)?.sampleIds ?? null;
    return new PredictionSet(
      { probs, models: M, samples: first.samples, classes: first.classes, labels, classNames: first.classNames, meta, split: first.split, sampleIds },
      { validate: false },
    );
  }

  /**
   * The same model-points on several sample sets at once: sample axes concatenated, so each model-point becomes
   * one distribution over S_1 + S_2 + ... samples (e.g. train and test images together, the paper's joint
   * embedding). The intensive distance of the result is the sample-weighted mean of the parts' distances:
   * d_B = Σ_k S_k d_B,k / Σ_k S_k. Sets must hold the same model-points in the same order (same run and step)
   * and the same classes; labels are kept when every part has them. Throws InpcaInputError naming the first
   * model-point that differs. Returns shape [M × ΣS_k × C], split "a+b".
   */
  static joinSamples(sets: readonly PredictionSet[]): PredictionSet {
    if (sets.length === 0) throw new InpcaInputError("joinSamples: no prediction sets given");
    const first = sets[0]!;
    const M = first.models, C = first.classes;
    sets.forEach((s, k) => {
      const name = `joinSamples: set ${k}${s.split ? ` (${s.split})` : ""}`;
      if (s.classes !== C) throw new InpcaInputError(`${name} has ${s.classes} classes but set 0 has ${C}`);
      if (s.models !== M) throw new InpcaInputError(`${name} has ${s.models} model-points but set 0 has ${M}`);
      for (let m = 0; m < M; m++) {
        const a = first.meta[m]!, b = s.meta[m]!;
        if (a.run !== b.run || a.step !== b.step) {
          throw new InpcaInputError(`${name}: model-point ${m} is run "${b.run}" step ${b.step}, but in set 0 it is run "${a.run}" step ${a.step}; join the same checkpoints in the same order`);
        }
      }
    });
    const S = sets.reduce((a, s) => a + s.samples, 0);
    const probs = new Float32Array(M * S * C);
    for (let m = 0; m < M; m++) {
      let o = m * S * C;
      for (const s of sets) {
        const w = s.samples * C;
        probs.set(s.probs.subarray(m * w, (m + 1) * w), o);
        o += w;
      }
    }
    let labels: Int32Array | null = null;
    if (sets.every((s) => s.labels)) {
      labels = new Int32Array(S);
      let o = 0;
      for (const s of sets) { labels.set(s.labels!, o); o += s.samples; }
    }
    const split = sets.map((s, k) => s.split ?? `set${k}`).join("+");
    return new PredictionSet({ probs, models: M, samples: S, classes: C, labels, classNames: first.classNames, meta: first.meta, split, sampleIds: null }, { validate: false });
  }

  /** Concatenates this set with others (see `PredictionSet.concat`). */
  concat(...others: PredictionSet[]): PredictionSet {
    return PredictionSet.concat([this, ...others]);
  }

  /** Distinct run ids in order of first appearance. */
  runs(): string[] {
    return [...new Set(this.meta.map((m) => m.run))];
  }

  /** Groups the model-points into one Trajectory per run, each ordered by step (then epoch). */
  trajectories(): Trajectory[] {
    return this.runRows().map(({ run, rows }) => new Trajectory(run, this.select(rows)));
  }

  /**
   * The row indices of each run in this set, ordered by step (then epoch), runs in order of first appearance:
   * `[{ run, rows }]`. Use it to index distance matrices and per-point arrays (progress, loss) by run.
   */
  runRows(): {
    /** The run id. */
    run: string;
    /** Its rows in this set, ordered by step. */
    rows: number[];
  }[] {
    return rowsByRun(this.meta);
  }


  /** Mean probability of the true label per model-point (a soft accuracy), length M; needs labels. */
  softAccuracy(): Float64Array {
    const labels = this.requireLabels("softAccuracy");
    const { models: M, samples: S, classes: C } = this;
    const out = new Float64Array(M);
    for (let m = 0; m < M; m++) {
      let s = 0;
      for (let n = 0; n < S; n++) s += this.probs[(m * S + n) * C + labels[n]!]!;
      out[m] = s / S;
    }
    return out;
  }

  /** Error rate (fraction of samples whose arg-max class is not the label) per model-point, length M. */
  errors(): Float64Array {
    const labels = this.requireLabels("errors");
    const { models: M, samples: S, classes: C } = this;
    const out = new Float64Array(M);
    for (let m = 0; m < M; m++) out[m] = errorAndLoss(this.probs, m * S * C, labels, S, C).error;
    return out;
  }


  /** The labels, or an error naming the operation that needs them. */
  requireLabels(operation: string): Int32Array {
    if (!this.labels) throw new InpcaInputError(`${operation} needs the true labels of the samples, and this prediction set has none`);
    return this.labels;
  }

  /**
   * The same predictions with other metadata rows: an array of M rows, or a function of (row, index) returning
   * the new row (e.g. `set.withMeta((m, i) => ({ ...m, lambda: lambda[i] }))`). Rows are checked: one per
   * model-point, each with a string `run` and a finite `step`. The probabilities are shared, not copied.
   */
  withMeta(meta: readonly ModelPoint[] | ((row: ModelPoint, index: number) => ModelPoint)): PredictionSet {
    const rows = typeof meta === "function" ? this.meta.map((m, i) => meta(m, i)) : meta;
    if (!Array.isArray(rows) || rows.length !== this.models) throw new InpcaInputError(`withMeta: ${Array.isArray(rows) ? rows.length : "no"} metadata rows for ${this.models} model-points`);
    rows.forEach((m, i) => {
      if (m === null || typeof m !== "object") throw new InpcaInputError(`withMeta: row ${i} is ${JSON.stringify(m)}, not an object`);
      if (typeof m.run !== "string") throw new InpcaInputError(`withMeta: row ${i} has run ${JSON.stringify(m.run)}, not a string`);
      if (typeof m.step !== "number" || !Number.isFinite(m.step)) throw new InpcaInputError(`withMeta: row ${i} (run "${m.run}") has step ${JSON.stringify(m.step)}, not a number`);
    });
    return this.derive(this.probs, this.models, rows);
  }

  /**
   * A new set with these probabilities and metadata but the same samples, unchecked: for library code that
   * built both itself. Notebooks and user code: `withMeta`.
   * @internal
   */
  derive(probs: Float32Array, models: number, meta: readonly ModelPoint[]): PredictionSet {
    return new PredictionSet(
      { probs, models, samples: this.samples, classes: this.classes, labels: this.labels, classNames: this.classNames, meta, split: this.split, sampleIds: this.sampleIds },
      { validate: false },
    );
  }

  /** One line: model-points × samples × classes, the split, the number of runs, labelled or not. */
  toString(): string {
    const runs = this.runs().length;
    return `PredictionSet ${this.models} model-points × ${this.samples} samples × ${this.classes} classes` +
      `${this.split ? ` (${this.split})` : ""}, ${runs} run${runs === 1 ? "" : "s"}${this.labels ? ", labelled" : ""}`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/** The model-points of one training run, ordered by step. */
export class Trajectory {
  /** The run `run`'s model-points (use `set.trajectories()`, which groups and orders them). */
  constructor(
    /** The run id shared by all points. */
    readonly run: string,
    /** The run's predictions, one model-point per checkpoint, ordered by step. */
    readonly points: PredictionSet,
  ) {}

  /** Number of checkpoints. */
  get length(): number {
    return this.points.models;
  }

  /** The run's configuration (from its first checkpoint). */
  get config(): Readonly<Record<string, unknown>> {
    return this.points.meta[0]?.config ?? {};
  }

  /** Steps of the checkpoints. */
  get steps(): Float64Array {
    return Float64Array.from(this.points.meta, (m) => m.step);
  }

  /** Epochs of the checkpoints (NaN where unknown). */
  get epochs(): Float64Array {
    return Float64Array.from(this.points.meta, (m) => m.epoch ?? NaN);
  }

  /** One line: the run and its checkpoints × samples × classes. */
  toString(): string {
    return `Trajectory "${this.run}": ${this.length} checkpoints × ${this.points.samples} samples × ${this.points.classes} classes`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

function initFrom(o: FromArrayOptions): Omit<PredictionSetInit, "probs" | "models" | "samples" | "classes"> {
  const where = o.source ? `${o.source}: ` : "";
  return {
    labels: o.labels ? checkedIntegers(o.labels, (n) => `${where}label of sample ${n}`, { min: 0 }) : null,
    classNames: o.classNames,
    meta: o.meta,
    split: o.split,
    sampleIds: o.sampleIds ? checkedIntegers(o.sampleIds, (n) => `${where}sample id ${n}`, { min: 0 }) : null,
  };
}

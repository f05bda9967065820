/**
 * Prediction sources: model-points held in memory or on disk, read in chunks of rows. Metadata is held for every
 * row; probabilities only for the rows being read. The streaming computations (landmark InPCA) consume this
 * interface, so a zoo of 150,000 checkpoints never has to be resident at once.
 */
import { InpcaInputError } from "./errors.js";
import type { ModelPoint } from "./meta.js";
import { PredictionSet } from "./prediction-set.js";
import { integer, validate } from "./options.js";

/** Model-points on disk or in memory, read by rows. */
export interface PredictionSource {
  /** What the rows come from (a file, a folder, "prediction set"), for messages. */
  readonly name: string;
  /** M model-points, S samples, C classes. */
  readonly models: number;
  /** S, the samples each model-point is evaluated on. */
  readonly samples: number;
  /** C, the classes. */
  readonly classes: number;
  /** One metadata row per model-point (all M, always resident). */
  readonly meta: readonly ModelPoint[];
  /** True labels of the S samples, or null. */
  readonly labels: Int32Array | null;
  /** The C class names, index = label. */
  readonly classNames: readonly string[];
  /** Split of the samples ("train", "test"), when known. */
  readonly split: string | undefined;
  /** Dataset indices of the S samples, when known. */
  readonly sampleIds: Int32Array | null;
  /**
   * The files the rows are read from, when the source is on disk: their sizes and modification times make the
   * source's stamp (`sourceStamp` in io/), which tells a stored result whether the source may have changed since.
   */
  readonly files?: readonly string[];
  /**
   * The model-points `rows` (indices in ascending order) as a PredictionSet of rows.length × S' × C, where S' is
   * S or, with `samples` (ascending sample indices), samples.length. Throws InpcaInputError naming the file and
   * the model-point of a bad row. `into`, when given and long enough, is the buffer to read into (its first
   * rows.length·S'·C values; the returned set's probabilities then alias it), so that a streaming pass reuses two
   * buffers instead of allocating one per chunk; sources may ignore it.
   */
  read(rows: ArrayLike<number>, samples?: Int32Array, into?: Float32Array): Promise<PredictionSet>;
}

/** True when `x` is a PredictionSource (and not a PredictionSet, which `sourceOf` wraps). */
export function isPredictionSource(x: unknown): x is PredictionSource {
  return typeof x === "object" && x !== null && !(x instanceof PredictionSet) && typeof (x as PredictionSource).read === "function" && Number.isInteger((x as PredictionSource).models);
}

/** A PredictionSet as a source (rows are copied out on read; nothing is re-validated). */
export function sourceOf(set: PredictionSet | PredictionSource, name = "prediction set"): PredictionSource {
  if (!(set instanceof PredictionSet)) return set;
  return {
    name,
    models: set.models,
    samples: set.samples,
    classes: set.classes,
    meta: set.meta,
    labels: set.labels,
    classNames: set.classNames,
    split: set.split,
    sampleIds: set.sampleIds,
    read: async (rows, samples) => {
      checkRows(rows, set.models, name);
      const picked = set.select(rows);
      return samples ? picked.selectSamples(samples) : picked;
    },
  };
}

/** Checks that `rows` are ascending integers in [0, M). */
export function checkRows(rows: ArrayLike<number>, M: number, name: string): void {
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (!(Number.isInteger(r) && r >= 0 && r < M)) validate(r, integer(0, M - 1), `rows[${i}]`, { source: name });
    if (i > 0 && r <= rows[i - 1]!) throw new InpcaInputError(`${name}: rows must be read in ascending order (${rows[i - 1]} then ${r})`);
  }
}

/**
 * A Float32Array of n values on a SharedArrayBuffer: sources read chunks into it so that the distance workers use
 * the rows as they are, without a copy (a copy of a 4,096-checkpoint chunk of 5,000 samples is 800 MB).
 */
export function sharedFloats(n: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(4 * n));
}

/** The first n values of `into` when it is long enough, else a new shared array of n values (see `read`). */
export function chunkFloats(n: number, into?: Float32Array): Float32Array {
  return into && into.length >= n ? into.subarray(0, n) : sharedFloats(n);
}

/** Default memory budget for resident probabilities: an eighth of the machine's memory, at most 2 GiB. */
export function defaultMemoryBudget(totalBytes: number): number {
  return Math.min(2 * 2 ** 30, Math.floor(totalBytes / 8));
}

/**
 * How many model-points fit in `budget` bytes when each holds S'×C float32 probabilities plus `extraPerRow`
 * bytes (e.g. its row of cross-distances). Throws, saying what to change, when not even one fits.
 */
export function rowsPerChunk(samples: number, classes: number, budget: number, extraPerRow = 0, what = "a chunk"): number {
  const perRow = samples * classes * 4 + extraPerRow;
  const n = Math.floor(budget / perRow);
  if (n < 1) {
    throw new InpcaInputError(
      `a memory budget of ${budget} bytes cannot hold one model-point for ${what} (${perRow} bytes: ${samples} samples × ${classes} classes × 4 bytes${extraPerRow ? ` + ${extraPerRow}` : ""}); raise \`memory\` or lower \`samples\``,
    );
  }
  return n;
}

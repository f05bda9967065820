/**
 * An HDF5 dataset [model-points, samples, classes] of probabilities as a PredictionSource, read by rows through
 * h5wasm (hyperslabs; compressed chunks via the filter plugins), never whole: the authors' per-seed files
 * (`yh` [checkpoints, samples, classes], float16, LZ4) or one big stacked dataset of a whole zoo.
 */
import { basename, extname } from "node:path";
import { InpcaInputError } from "../../../core/errors.js";
import type { ModelPoint } from "../../../core/meta.js";
import { PredictionSet } from "../../../core/prediction-set.js";
import { firstBadRow, sumTolerance } from "../../../core/rows.js";
import { checkRows, chunkFloats, type PredictionSource } from "../../../core/source.js";
import { openHdf5, type Hdf5File } from "./index.js";
import { refuseParameters } from "../parameters.js";

/** Options of `hdf5Source`. */
export interface Hdf5SourceOptions {
  /** Labels of the S samples: an array, or the name of an integer dataset in the same file. */
  labels?: ArrayLike<number> | string;
  /** A dataset of one epoch per row (e.g. "epochs"), stored in each model-point's metadata. */
  epochs?: string;
  /** Metadata of the rows (default: run = the file's name, step = the row). */
  meta?: readonly ModelPoint[];
  /** Split of the samples ("train", "test"). */
  split?: string;
}

/** The source plus `close()`, which releases the file. */
export type Hdf5Source = PredictionSource & {
  /** Closes the HDF5 file. */
  close(): void;
};

/**
 * Opens `dataset` of the HDF5 file at `path` as a source (the file stays open until `close()`). Throws
 * InpcaInputError naming the file when it holds model weights (a Keras file, parameter-named datasets, or
 * `dataset` named like a parameter), when the dataset is not three-dimensional floats or the labels do not fit.
 */
export async function hdf5Source(path: string, dataset: string, options: Hdf5SourceOptions = {}): Promise<Hdf5Source> {
  const file: Hdf5File = await openHdf5(path);
  try {
    refuseParameters(path, file.datasets(), (n) => file.info(n).shape, dataset);
    const info = file.info(dataset);
    if (info.shape.length !== 3) throw new InpcaInputError(`dataset "${dataset}" has shape (${info.shape.join(", ")}); expected [model-points, samples, classes]`, { file: path });
    if (!/f\d$/.test(info.dtype)) throw new InpcaInputError(`dataset "${dataset}" holds ${info.dtype}, not floats`, { file: path });
    const [M, S, C] = info.shape as [number, number, number];
    let labels: Int32Array | null = null;
    if (typeof options.labels === "string") labels = Int32Array.from(file.read(options.labels).data as ArrayLike<number>, Number);
    else if (options.labels) labels = Int32Array.from(options.labels);
    if (labels && labels.length !== S) throw new InpcaInputError(`${labels.length} labels for ${S} samples`, { file: path });
    labels?.forEach((y, n) => {
      if (!(Number.isInteger(y) && y >= 0 && y < C)) throw new InpcaInputError(`label ${y} of sample ${n} is outside [0, ${C})`, { file: path });
    });
    const epochs = options.epochs ? Array.from(file.read(options.epochs).data as ArrayLike<number>, Number) : null;
    if (epochs && epochs.length !== M) throw new InpcaInputError(`"${options.epochs}" has ${epochs.length} values for ${M} rows`, { file: path });
    const run = basename(path, extname(path));
    const meta = options.meta ?? Array.from({ length: M }, (_, i): ModelPoint => ({ run, step: i, ...(epochs ? { epoch: epochs[i]! } : {}), kind: "model", ...(options.split ? { split: options.split } : {}) }));
    if (meta.length !== M) throw new InpcaInputError(`${meta.length} metadata rows for ${M} model-points`, { file: path });
    const name = `${path}:${dataset}`;
    return {
      name, models: M, samples: S, classes: C, meta, labels, classNames: Array.from({ length: C }, (_, c) => String(c)), split: options.split, sampleIds: null,
      files: [path],
      close: () => file.close(),
      read: async (rows, samples, into) => {
        checkRows(rows, M, name);
        const got = file.read(dataset, { rows: Array.from(rows) }).data as ArrayLike<number>;
        const Sp = samples ? samples.length : S;
        const probs = chunkFloats(rows.length * Sp * C, into);
        if (samples) {
          for (let r = 0; r < rows.length; r++) for (let n = 0; n < Sp; n++) for (let c = 0; c < C; c++) probs[(r * Sp + n) * C + c] = got[(r * S + samples[n]!) * C + c]!;
        } else probs.set(got);
        const bad = firstBadRow(probs, 0, rows.length * Sp, C, sumTolerance(C, info.dtype.endsWith("2")));
        if (bad) {
          const p = meta[rows[Math.floor(bad.row / Sp)]!]!;
          const at = `run "${p.run}", step ${p.step}, sample ${samples ? samples[bad.row % Sp] : bad.row % Sp}`;
          throw new InpcaInputError(bad.sum === undefined ? `${at}, class ${bad.cls}: probability ${bad.value} is not a finite non-negative number` : `${at}: probabilities sum to ${bad.sum}, not 1`, { file: path });
        }
        return new PredictionSet({
          probs, models: rows.length, samples: Sp, classes: C, meta: Array.from(rows, (r) => meta[r]!), split: options.split,
          labels: labels ? (samples ? Int32Array.from(samples, (n) => labels![n]!) : labels) : null,
        }, { validate: false });
      },
    };
  } catch (e) {
    file.close();
    throw e;
  }
}

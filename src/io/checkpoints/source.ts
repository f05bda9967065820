/**
 * A folder (or glob) of saved checkpoint predictions as a PredictionSource: everything `loadCheckpoints` reads
 * (npy, npz, safetensors, HDF5, JSON, PyTorch, ONNX and tfjs checkpoints, run files), discovered once, metadata for
 * every checkpoint up front, and each checkpoint's file read only when its row is read.
 */
import { checkRows, chunkFloats, type PredictionSource } from "../../core/source.js";
import { PredictionSet } from "../../core/prediction-set.js";
import { checkpointReader, type LoadCheckpointsOptions } from "./load.js";

/**
 * The checkpoints of `dirOrGlob` as a source, in `loadCheckpoints`' order and with its metadata (run, step,
 * epoch, config, sidecar fields, file; error and loss are not filled in, since that needs every file read).
 * Labels are found as `loadCheckpoints` finds them. Throws InpcaInputError as `loadCheckpoints` does.
 */
export async function checkpointSource(dirOrGlob: string | readonly string[], options: LoadCheckpointsOptions = {}): Promise<PredictionSource> {
  const reader = await checkpointReader(dirOrGlob, options);
  const labels = (await reader.labels())?.labels ?? null;
  const { samples: S, classes: C } = reader;
  const name = typeof dirOrGlob === "string" ? dirOrGlob : dirOrGlob.join(", ");
  const sampleIds = options.sampleIds ? Int32Array.from(options.sampleIds) : null;
  return {
    name, models: reader.all.length, samples: S, classes: C, meta: reader.meta, labels,
    classNames: options.classNames ?? Array.from({ length: C }, (_, c) => String(c)), split: options.split, sampleIds,
    files: reader.all.map(({ c }) => c.file),
    read: async (rows, samples, into) => {
      checkRows(rows, reader.all.length, name);
      const Sp = samples ? samples.length : S;
      const probs = chunkFloats(rows.length * Sp * C, into);
      for (let q = 0; q < rows.length; q++) {
        const one = await reader.read(rows[q]!);
        if (!samples) probs.set(one, q * S * C);
        else for (let n = 0; n < Sp; n++) probs.set(one.subarray(samples[n]! * C, samples[n]! * C + C), (q * Sp + n) * C);
      }
      return new PredictionSet({
        probs, models: rows.length, samples: Sp, classes: C, meta: Array.from(rows, (r) => reader.meta[r]!), split: options.split,
        classNames: options.classNames, labels: labels ? (samples ? Int32Array.from(samples, (n) => labels[n]!) : labels) : null,
        sampleIds: sampleIds ? (samples ? Int32Array.from(samples, (n) => sampleIds[n]!) : sampleIds) : null,
      }, { validate: false });
    },
  };
}

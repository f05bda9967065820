/**
 * The command-line flags that say how a folder of checkpoints is read (`inpca report` and `inpca plan`): the
 * flag twins of loadCheckpoints' options that errors name (see core/fixes.ts). Parsed, checked, and turned
 * into loader options here, once for both commands.
 */
import { resolve } from "node:path";
import { InpcaInputError } from "../core/errors.js";
import type { PredictionKind } from "../core/prediction-set.js";
import { loadNpy } from "../io/formats/npy.js";

/** parseArgs declarations of the flags. */
export const CHECKPOINT_FLAG_OPTIONS = {
  array: { type: "string" },
  inputs: { type: "string" },
  kind: { type: "string" },
  renormalize: { type: "boolean" },
  labels: { type: "string" },
} as const;

/** The flags as given (paths made absolute): what a plan file stores to reopen the same source in every task. */
export interface CheckpointFlags {
  /** --array NAME: the array holding the predictions [samples, classes] in each file. */
  array?: string;
  /** --inputs FILE.npy: the samples [samples, ...] model checkpoints (.onnx, model.json) are run on. */
  inputs?: string;
  /** --kind: how the predictions are encoded. */
  kind?: PredictionKind;
  /** --renormalize: divide rows of probabilities by their sums. */
  renormalize?: boolean;
  /** --labels FILE: the samples' labels. */
  labels?: string;
}

/** Usage text of the flags, for the commands' help. */
export const CHECKPOINT_FLAGS_USAGE = `  --array NAME          the array holding the predictions [samples, classes] in each checkpoint file
                        (an npz member, safetensors tensor, HDF5 dataset, JSON or torch key; or an
                        ONNX model's output); default: found by its name or shape
  --inputs FILE.npy     the samples to run model checkpoints (.onnx, TensorFlow.js model.json) on,
                        [samples, ...] float32. A folder of weights (state_dicts) cannot be read:
                        record predictions with the Python recorder (python/inpca_recorder.py;
                        docs/pytorch.md)
  --kind KIND           how the predictions are encoded: probabilities, logProbabilities or logits
                        (default: detected)
  --renormalize         divide rows of probabilities by their sums instead of refusing them`;

/**
 * The flags of parsed `values`, checked: returns them (paths absolute), or a usage problem as a string (the
 * command prints it and exits 2).
 */
export function checkpointFlags(values: { array?: string; inputs?: string; kind?: string; renormalize?: boolean; labels?: string }): CheckpointFlags | string {
  if (values.kind !== undefined && !["probabilities", "logProbabilities", "logits"].includes(values.kind)) return `--kind must be probabilities, logProbabilities or logits, got "${values.kind}"`;
  if (values.inputs !== undefined && !/\.npy$/i.test(values.inputs)) return `--inputs takes a .npy file of the samples ([samples, ...], float32), got "${values.inputs}"`;
  const flags: CheckpointFlags = {};
  if (values.array !== undefined) flags.array = values.array;
  if (values.inputs !== undefined) flags.inputs = resolve(values.inputs);
  if (values.kind !== undefined) flags.kind = values.kind as PredictionKind;
  if (values.renormalize) flags.renormalize = true;
  if (values.labels !== undefined) flags.labels = resolve(values.labels);
  return flags;
}

/** The names of the flags given, as typed (`--array`, ...), for messages. */
export function givenFlags(flags: CheckpointFlags): string[] {
  return Object.keys(flags).map((k) => `--${k}`);
}

/** The samples of `--inputs FILE.npy` as a model takes them: { data: float32 [samples × ...], shape [samples, ...] }. */
export function readInputs(file: string): { data: Float32Array; shape: number[] } {
  const a = loadNpy(file);
  if (a.shape.length < 1 || a.shape[0] === 0) throw new InpcaInputError(`--inputs: an array of shape [${a.shape.join(", ")}] holds no samples; expected [samples, ...]`, { file });
  return { data: a.data instanceof Float32Array ? a.data : Float32Array.from(a.data as ArrayLike<number>, Number), shape: a.shape };
}

/** loadCheckpoints options of the flags (the inputs file read). */
export function loaderOptions(flags: CheckpointFlags): { array?: string; inputs?: unknown; kind?: PredictionKind; renormalize?: boolean; labels?: string } {
  return {
    ...(flags.array !== undefined ? { array: flags.array } : {}),
    ...(flags.inputs !== undefined ? { inputs: readInputs(flags.inputs) } : {}),
    ...(flags.kind !== undefined ? { kind: flags.kind } : {}),
    ...(flags.renormalize ? { renormalize: true } : {}),
    ...(flags.labels !== undefined ? { labels: flags.labels } : {}),
  };
}

/**
 * The fixes an error can tell the caller to apply, in one place and in two vocabularies: an option of the API
 * with the shape it expects (`options.array (...)`), and the flag of the `inpca` command. Loaders write
 * `fix("array")` into their messages; the command line rewrites every such phrase to its flag
 * (`forCommandLine`), so an error never asks a command-line user for an option they cannot pass.
 */

/** Each fix: the API phrase (option and its expected shape) and the command-line flag that does the same. */
export const FIXES = {
  array: { api: "options.array (the name of the [samples, classes] prediction array in each file)", cli: "--array NAME" },
  inputs: { api: "options.inputs (the samples to run the model on: { data: Float32Array, shape: [samples, ...] }, or one such per input name)", cli: "--inputs FILE.npy (the samples to run the model on, [samples, ...])" },
  labels: { api: "options.labels (one class index per sample: an array of S integers, or a file holding them)", cli: "--labels FILE" },
  kind: { api: 'options.kind ("probabilities", "logProbabilities" or "logits")', cli: "--kind probabilities|logProbabilities|logits" },
  renormalize: { api: "options.renormalize: true", cli: "--renormalize" },
} as const;

/** A fix the caller can apply. */
export type FixName = keyof typeof FIXES;

/** The API phrase of fix `name`, for an error message, e.g. `options.array (the name of ...)`. */
export function fix(name: FixName): string {
  return FIXES[name].api;
}

/** `message` with every API fix phrase replaced by its command-line flag (the `inpca` command's errors). */
export function forCommandLine(message: string): string {
  let out = message;
  for (const { api, cli } of Object.values(FIXES)) out = out.split(api).join(cli);
  return out;
}

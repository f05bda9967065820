/**
 * The options of `loadCheckpoints` / `checkpointSource` checked before anything is read: a wrong type is an
 * InpcaInputError naming the option and the shape it expects, never a TypeError from deep inside a loader, and
 * never an option silently ignored (`kind: "softmax"`).
 */
import { InpcaInputError } from "../../core/errors.js";

const KINDS = ["probabilities", "logProbabilities", "logits"];

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === "object") return "an object";
  return `${typeof v} ${String(v)}`;
}

/**
 * Throws InpcaInputError unless `dirOrGlob` is a path (string) or a list of paths and each option present has
 * its documented type (see LoadCheckpointsOptions): array, split: strings; kind: "probabilities" |
 * "logProbabilities" | "logits"; labels: null, a file path or S integers; inputs: an object; tolerance,
 * stepsPerEpoch, maxInflatedBytes: positive numbers; run: a string or a function; config: an object;
 * classNames: strings; sampleIds: integers; renormalize, requireLabels: booleans; log: a function or false.
 */
export function checkLoadOptions(dirOrGlob: unknown, options: unknown): void {
  const bad = (what: string, expected: string, got: unknown): never => {
    throw new InpcaInputError(`${what} must be ${expected}; got ${describe(got)}`);
  };
  if (typeof dirOrGlob !== "string" && !(Array.isArray(dirOrGlob) && dirOrGlob.every((p) => typeof p === "string"))) {
    bad("loadCheckpoints: the first argument", "a folder, a glob or a list of paths (strings)", dirOrGlob);
  }
  if (options === undefined) return;
  if (options === null || typeof options !== "object" || Array.isArray(options)) bad("loadCheckpoints: options", "an object", options);
  const o = options as Record<string, unknown>;
  const is = (key: string, ok: (v: unknown) => boolean, expected: string) => {
    if (o[key] !== undefined && !ok(o[key])) bad(`options.${key}`, expected, o[key]);
  };
  const positive = (v: unknown) => typeof v === "number" && v > 0 && Number.isFinite(v);
  const numbers = (v: unknown) => (Array.isArray(v) || ArrayBuffer.isView(v)) && Array.from(v as ArrayLike<unknown>).every((x) => typeof x === "number");
  is("array", (v) => typeof v === "string", "the name of the [samples, classes] prediction array in each file (a string)");
  is("split", (v) => typeof v === "string", 'a split name such as "train" or "test"');
  is("kind", (v) => KINDS.includes(v as string), '"probabilities", "logProbabilities" or "logits"');
  is("labels", (v) => v === null || typeof v === "string" || numbers(v), "one class index per sample (an array of S integers), a file holding them, or null");
  is("inputs", (v) => v !== null && typeof v === "object", "the samples to run model checkpoints on: { data: Float32Array, shape: [samples, ...] }, or one such per input name");
  is("tolerance", positive, "a positive number");
  is("stepsPerEpoch", positive, "a positive number");
  is("maxInflatedBytes", positive, "a positive number of bytes");
  is("run", (v) => typeof v === "string" || typeof v === "function", "a run id (a string) or a function of each discovered run");
  is("config", (v) => v !== null && typeof v === "object" && !Array.isArray(v), "an object of configuration fields");
  is("classNames", (v) => Array.isArray(v) && v.every((x) => typeof x === "string"), "one name (a string) per class");
  is("sampleIds", numbers, "one integer dataset index per sample");
  is("renormalize", (v) => typeof v === "boolean", "true or false");
  is("requireLabels", (v) => typeof v === "boolean", "true or false");
  is("log", (v) => v === false || typeof v === "function", "a function of one line, or false");
}

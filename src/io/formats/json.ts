/**
 * JSON and plain nested arrays, for small hand-made examples: `[[[p, ...], ...], ...]` shaped
 * [models][samples][classes] (or [samples][classes] for one model), or an object
 * `{ "probs" | "probabilities" | "predictions" | "logits" | "logProbabilities": nested, "labels"?: [...],
 *    "classNames"?: [...], "split"?: "train", "meta"?: [{ run, step, ... }], "kind"?: "logits", "sampleIds"?: [...] }`.
 * Whether numbers are probabilities, log-probabilities or logits is detected from content (`detectKind`) unless
 * a `kind` is given (values all in [0, 1] with rows not summing to 1 are refused as ambiguous unless
 * `renormalize: true`). Ragged arrays, non-numbers and wrong depths raise InpcaInputError naming the position.
 */
import { InpcaInputError } from "../../core/errors.js";
import { checkJsonDepth } from "./json-depth.js";
import { checkedIntegers } from "../../core/integers.js";
import type { ModelPoint } from "../../core/meta.js";
import { PredictionSet, type FromArrayOptions, type PredictionKind } from "../../core/prediction-set.js";
import { guessPredictionKind } from "./kind.js";
import { refuseParameters } from "./parameters.js";
import type { NdArray } from "./npy.js";
import { readBytes } from "./read-bytes.js";

/** Keys of a JSON object that may hold the prediction array, in order of preference. */
export const PREDICTION_KEYS = ["probs", "probabilities", "predictions", "preds", "logits", "logProbabilities", "log_probs", "logprobs"] as const;

/** Options of `predictionsFromJson` / `loadPredictionsJson`. */
export interface JsonPredictionOptions extends Omit<FromArrayOptions, "source"> {
  /** How the numbers are encoded (default: the object's "kind" field, else detected from content). */
  kind?: PredictionKind;
  /** Key of the prediction array in an object (default: the first of PREDICTION_KEYS present). */
  key?: string;
}

/**
 * Flattens a nested array of numbers (any depth, rectangular) into a Float64Array in C order. Throws
 * InpcaInputError for ragged arrays (naming both positions), non-numbers (naming the position and value).
 * The result's `dtype` is "json".
 */
export function nestedToArray(value: unknown, source = "JSON data"): NdArray {
  const fail = (why: string): never => {
    throw new InpcaInputError(why, { file: source });
  };
  if (typeof value === "number") {
    finite(value, "", source);
    return { data: Float64Array.of(value), shape: [], dtype: "json" };
  }
  if (!Array.isArray(value)) return fail(`expected an array of numbers, got ${describe(value)}`);
  // the shape is read along the first element at each depth, then every element is checked against it
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const data = new Float64Array(shape.reduce((a, b) => a * b, 1));
  let k = 0;
  const walk = (v: unknown, depth: number, at: number[]): void => {
    if (depth === shape.length) {
      if (typeof v !== "number") fail(`element ${pos(at)} is ${describe(v)}, not a number`);
      finite(v as number, pos(at), source);
      data[k++] = v as number;
      return;
    }
    if (!Array.isArray(v)) return fail(`ragged array: element ${pos(at)} is ${describe(v)} where ${pos(firstAt(at.length))} is an array of ${shape[depth]}`);
    if (v.length !== shape[depth]) fail(`ragged array: element ${pos(at)} has ${v.length} entries where ${pos(firstAt(at.length))} has ${shape[depth]}`);
    for (let i = 0; i < v.length; i++) walk(v[i], depth + 1, [...at, i]);
  };
  walk(value, 0, []);
  return { data, shape, dtype: "json" };
}

/**
 * Builds a PredictionSet from a parsed JSON value (see the module comment for the accepted layouts). Options
 * override fields of the object (labels, classNames, split, meta, kind).
 */
export function predictionsFromJson(value: unknown, options: JsonPredictionOptions = {}, source = "JSON data"): PredictionSet {
  const fail = (why: string): never => {
    throw new InpcaInputError(why, { file: source });
  };
  let nested: unknown = value;
  let fields: Record<string, unknown> = {};
  let key = "";
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    fields = value as Record<string, unknown>;
    refuseParameters(source, Object.keys(fields), undefined, options.key);
    key = options.key ?? PREDICTION_KEYS.find((k) => k in fields) ?? "";
    if (!key || !(key in fields)) {
      return fail(`no prediction array: expected one of the keys ${(options.key ? [options.key] : PREDICTION_KEYS).map((k) => `"${k}"`).join(", ")} (keys present: ${Object.keys(fields).join(", ") || "none"})`);
    }
    nested = fields[key];
  }
  const where = key ? `${source}[${JSON.stringify(key)}]` : source;
  const a = nestedToArray(nested, where);
  let shape: [number, number, number];
  if (a.shape.length === 3) shape = [a.shape[0]!, a.shape[1]!, a.shape[2]!];
  else if (a.shape.length === 2) shape = [1, a.shape[0]!, a.shape[1]!];
  else {
    return fail(`${key ? `"${key}" ` : ""}has ${a.shape.length} dimension${a.shape.length === 1 ? "" : "s"} [${a.shape.join(", ")}]; expected [models][samples][classes] or [samples][classes]`);
  }
  const kindField = fields.kind;
  if (kindField !== undefined && kindField !== "probabilities" && kindField !== "logProbabilities" && kindField !== "logits") {
    fail(`"kind" is ${JSON.stringify(kindField)}; expected "probabilities", "logProbabilities" or "logits"`);
  }
  const kind = options.kind ?? (kindField as PredictionKind | undefined) ?? guessPredictionKind(a.data, shape[2], where, options.renormalize === true);
  const labels = options.labels ?? intList(fields.labels, "labels", source);
  const sampleIds = options.sampleIds ?? intList(fields.sampleIds, "sampleIds", source);
  const classNames = options.classNames ?? stringList(fields.classNames, "classNames", source);
  const split = options.split ?? (typeof fields.split === "string" ? fields.split : undefined);
  const meta = options.meta ?? metaList(fields.meta, source);
  return PredictionSet.from(kind, a.data, shape, {
    ...options, labels, sampleIds, classNames, split, meta, source,
  });
}

/** Reads a JSON file of predictions (see `predictionsFromJson`). */
export function loadPredictionsJson(path: string, options: JsonPredictionOptions = {}): PredictionSet {
  return predictionsFromJson(parseJsonFile(path), options, path);
}

/**
 * Parses a JSON file, naming the file and the reason on a syntax error (and saying so when the text holds
 * NaN/Infinity, which Python's json module writes but JSON does not allow).
 */
export function parseJsonFile(path: string): unknown {
  const text = new TextDecoder().decode(readBytes(path));
  checkJsonDepth(text, path);
  try {
    return JSON.parse(text);
  } catch (e) {
    const special = /(?<![\w"])(NaN|-?Infinity)(?![\w"])/.exec(text);
    const hint = special ? ` (the file contains ${special[1]}, which JSON does not allow: Python's json.dump writes it for non-finite floats)` : "";
    throw new InpcaInputError(`invalid JSON: ${(e as Error).message}${hint}`, { file: path, cause: e });
  }
}

function finite(v: number, at: string, source: string): void {
  if (!Number.isFinite(v)) throw new InpcaInputError(`element ${at || "(scalar)"} is ${v}`, { file: source });
}

function pos(at: number[]): string {
  return at.length ? at.map((i) => `[${i}]`).join("") : "(top level)";
}

function firstAt(depth: number): number[] {
  return new Array<number>(depth).fill(0);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === "string") return JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}…` : v);
  if (typeof v === "object") return "an object";
  return String(v);
}

function intList(v: unknown, name: string, source: string): number[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new InpcaInputError(`"${name}" must be an array of integers`, { file: source });
  return Array.from(checkedIntegers(v, (i) => `"${name}"[${i}]`, { min: 0, file: source }));
}

function stringList(v: unknown, name: string, source: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) throw new InpcaInputError(`"${name}" must be an array of strings`, { file: source });
  return v as string[];
}

function metaList(v: unknown, source: string): ModelPoint[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new InpcaInputError(`"meta" must be an array of objects`, { file: source });
  return v.map((m, i) => {
    if (m === null || typeof m !== "object" || Array.isArray(m)) throw new InpcaInputError(`"meta"[${i}] is ${describe(m)}, not an object`, { file: source });
    const row = m as Record<string, unknown>;
    if (typeof row.run !== "string") throw new InpcaInputError(`"meta"[${i}].run must be a string`, { file: source });
    if (typeof row.step !== "number") throw new InpcaInputError(`"meta"[${i}].step must be a number`, { file: source });
    return row as ModelPoint;
  });
}


/**
 * ONNX model checkpoints (`torch.onnx.export`, the exchange format for weights people keep instead of
 * predictions) evaluated on given inputs through onnxruntime-node's CPU backend. onnxruntime-node is an optional
 * peer dependency, loaded only when an `.onnx` file is read; without it the error says how to install it.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { InpcaInputError } from "../../core/errors.js";
import { fix } from "../../core/fixes.js";

/** Inputs to evaluate a model on: flat float32 values and their shape (first axis: samples), or one per input name. */
export type OnnxInputs = OnnxArray | Record<string, OnnxArray>;

interface Ort {
  InferenceSession: { create(path: string, options?: object): Promise<OrtSession> };
  Tensor: new (type: "float32", data: Float32Array, dims: readonly number[]) => unknown;
}
interface OrtSession {
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: ArrayLike<number>; dims: readonly number[] }>>;
  release?(): Promise<void>;
}

let ort: Ort | undefined;

/** onnxruntime-node, resolved from the user's project first (a peer dependency), then beside inpca. */
function onnxRuntime(file: string): Ort {
  if (ort) return ort;
  for (const from of [join(process.cwd(), "package.json"), __filename]) {
    try {
      return (ort = createRequire(from)("onnxruntime-node") as Ort);
    } catch (e) {
      if ((e as { code?: string }).code !== "MODULE_NOT_FOUND") throw new InpcaInputError(`onnxruntime-node failed to load: ${(e as Error).message}`, { file, cause: e });
    }
  }
  throw new InpcaInputError("is an ONNX model: evaluating it needs the onnxruntime-node package, an optional dependency of inpca. Install it with `npm install onnxruntime-node --onnxruntime-node-install=skip` (its CPU binaries ship in the package; the flag skips its download of CUDA libraries)", { file });
}

/**
 * Runs the ONNX model in `file` on `inputs` and returns its first output (or the output named `output`), shape
 * `[samples, classes]`: logits or probabilities, whatever the model ends with (`loadCheckpoints` detects which).
 * Export the model in eval mode (`model.eval()`, torch.onnx.export's default), so batch norm uses its running
 * statistics and dropout is off, as when the paper records predictions.
 */
export async function evaluateOnnxCheckpoint(file: string, inputs: OnnxInputs, output?: string): Promise<{
  /** The output, [samples, classes] row-major. */
  data: Float32Array;
  /** [samples, classes]. */
  shape: [number, number];
}> {
  const rt = onnxRuntime(file);
  let session: OrtSession;
  try {
    session = await rt.InferenceSession.create(file, { executionProviders: ["cpu"], graphOptimizationLevel: "all" });
  } catch (e) {
    throw new InpcaInputError(`onnxruntime cannot load the model: ${(e as Error).message}`, { file, cause: e });
  }
  try {
    const named = checkOnnxInputs(inputs, session.inputNames, file);
    const feeds: Record<string, unknown> = {};
    for (const name of session.inputNames) {
      const x = named[name]!;
      feeds[name] = new rt.Tensor("float32", x.data, x.shape);
    }
    let result;
    try {
      result = await session.run(feeds);
    } catch (e) {
      throw new InpcaInputError(`onnxruntime could not run the model on the inputs: ${(e as Error).message}`, { file, cause: e });
    }
    const name = output ?? session.outputNames[0]!;
    const y = result[name];
    if (!y) throw new InpcaInputError(`the model has no output "${name}" (outputs: ${session.outputNames.join(", ")})`, { file });
    if (y.dims.length !== 2) throw new InpcaInputError(`output "${name}" has shape [${y.dims.join(", ")}], expected [samples, classes]`, { file });
    return { data: Float32Array.from(y.data), shape: [y.dims[0]!, y.dims[1]!] };
  } finally {
    await session.release?.();
  }
}

/** One input array as the model gets it: float32 values in C order and their shape [samples, ...]. */
export interface OnnxArray {
  /** The values, float32, C order. */
  data: Float32Array;
  /** The dimensions, [samples, ...]. */
  shape: readonly number[];
}

/**
 * Checks `inputs` (see OnnxInputs) against the model's input names and returns one float32 array per name.
 * Throws InpcaInputError naming `file` and the fix for: a value that is not an object, a key other than
 * `data` and `shape` (or than the model's input names), data that is not numbers, a shape that is not
 * non-negative integers or does not match the data's length, and a model input left without values.
 */
export function checkOnnxInputs(inputs: unknown, inputNames: readonly string[], file: string): Record<string, OnnxArray> {
  const expected = `pass ${fix("inputs")}; this model's inputs: ${inputNames.join(", ")}`;
  const fail = (why: string): never => {
    throw new InpcaInputError(`inputs: ${why}; ${expected}`, { file });
  };
  if (inputs === null || typeof inputs !== "object" || Array.isArray(inputs) || ArrayBuffer.isView(inputs)) {
    return fail(`got ${inputs === null ? "null" : Array.isArray(inputs) ? "an array" : ArrayBuffer.isView(inputs) ? "a typed array without its shape" : typeof inputs}, not { data, shape }`);
  }
  const obj = inputs as Record<string, unknown>;
  const keys = Object.keys(obj);
  const one = (v: unknown, where: string): OnnxArray => {
    if (v === null || typeof v !== "object") return fail(`${where} is ${v === null ? "null" : typeof v}, not { data, shape }`);
    const x = v as Record<string, unknown>;
    const unknown = Object.keys(x).filter((k) => k !== "data" && k !== "shape");
    if (unknown.length) fail(`${where} has the key${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `"${k}"`).join(", ")}; the values go in "data", their dimensions in "shape"`);
    if (x.data === undefined) fail(`${where} has no "data"`);
    if (x.shape === undefined) fail(`${where} has no "shape"`);
    const data = x.data as ArrayLike<unknown>;
    if (!(ArrayBuffer.isView(data) || Array.isArray(data)) || typeof data.length !== "number") fail(`${where}.data is not an array of numbers (a Float32Array)`);
    if (!Array.isArray(x.shape) || x.shape.length === 0 || !x.shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`${where}.shape is ${JSON.stringify(x.shape)}, not a list of sizes [samples, ...]`);
    const shape = x.shape as number[];
    const count = shape.reduce((a, b) => a * b, 1);
    if (count !== data.length) fail(`${where}: shape [${shape.join(", ")}] needs ${count} values, ${data.length} given`);
    if (data instanceof Float32Array) return { data, shape };
    const f = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const y = data[i];
      if (typeof y !== "number" && typeof y !== "bigint") fail(`${where}.data[${i}] is ${typeof y}, not a number`);
      f[i] = Number(y);
    }
    return { data: f, shape };
  };
  // one array for a model of one input, or one per input name
  const perName = !keys.includes("data") && !keys.includes("shape") && keys.some((k) => obj[k] !== null && typeof obj[k] === "object" && !ArrayBuffer.isView(obj[k]));
  if (!perName) {
    if (inputNames.length > 1) fail(`one array given, but the model has ${inputNames.length} inputs (${inputNames.join(", ")}); give one { data, shape } per input name`);
    return { [inputNames[0]!]: one(obj, "inputs") };
  }
  const unknown = keys.filter((k) => !inputNames.includes(k));
  if (unknown.length) fail(`no model input named ${unknown.map((k) => `"${k}"`).join(", ")}`);
  const out: Record<string, OnnxArray> = {};
  for (const name of inputNames) {
    if (!(name in obj)) fail(`no values given for "${name}"`);
    out[name] = one(obj[name], `inputs["${name}"]`);
  }
  return out;
}

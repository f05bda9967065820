/**
 * ONNX model checkpoints (`torch.onnx.export`, the exchange format for weights people keep instead of
 * predictions) evaluated on given inputs through onnxruntime-node's CPU backend. onnxruntime-node is an optional
 * peer dependency, loaded only when an `.onnx` file is read; without it the error says how to install it.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { InpcaInputError } from "../core/errors.js";

/** Inputs to evaluate a model on: flat float32 values and their shape (first axis: samples), or one per input name. */
export type OnnxInputs = { data: Float32Array; shape: readonly number[] } | Record<string, { data: Float32Array; shape: readonly number[] }>;

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
 * Runs the ONNX model in `file` on `inputs` and returns its first output (or the output named `output`) as
 * [samples, classes]: logits or probabilities, whatever the model ends with (`loadCheckpoints` detects which).
 * Export the model in eval mode (`model.eval()`, torch.onnx.export's default), so batch norm uses its running
 * statistics and dropout is off, as when the paper records predictions.
 */
export async function evaluateOnnxCheckpoint(file: string, inputs: OnnxInputs, output?: string): Promise<{ data: Float32Array; shape: [number, number] }> {
  const rt = onnxRuntime(file);
  let session: OrtSession;
  try {
    session = await rt.InferenceSession.create(file, { executionProviders: ["cpu"], graphOptimizationLevel: "all" });
  } catch (e) {
    throw new InpcaInputError(`onnxruntime cannot load the model: ${(e as Error).message}`, { file, cause: e });
  }
  try {
    const named = "data" in inputs && ArrayBuffer.isView(inputs.data) ? { [session.inputNames[0]!]: inputs as { data: Float32Array; shape: readonly number[] } } : (inputs as Record<string, { data: Float32Array; shape: readonly number[] }>);
    const feeds: Record<string, unknown> = {};
    for (const name of session.inputNames) {
      const x = named[name];
      if (!x) throw new InpcaInputError(`the model has inputs ${session.inputNames.join(", ")}; no values given for "${name}" (pass inputs: { ${session.inputNames.map((n) => `"${n}": { data, shape }`).join(", ")} })`, { file });
      const count = x.shape.reduce((a, b) => a * b, 1);
      if (count !== x.data.length) throw new InpcaInputError(`inputs "${name}": shape [${x.shape.join(", ")}] needs ${count} values, ${x.data.length} given`, { file });
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

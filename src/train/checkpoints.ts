/**
 * TensorFlow.js LayersModel checkpoints on disk (`model.json` + binary weight shards, one folder per
 * checkpoint), saved and loaded with plain file I/O, so neither tfjs-node nor a browser is needed. Loading
 * registers the library's custom layers (the ViT's attention and position embedding) first. Importing this module
 * registers `evaluateTfjsCheckpoint` as the evaluator `loadCheckpoints` calls for `model.json` folders.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { InpcaInputError } from "../core/errors.js";
import { registerModelEvaluator } from "../io/checkpoints/load.js";
import { parseJsonChecked } from "../io/formats/json-depth.js";
import { chooseBackend } from "./backend.js";
import { registerLayers } from "./models.js";

interface ModelJson {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  [k: string]: unknown;
}

function joinBuffers(data: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  const parts = Array.isArray(data) ? data : [data];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), o);
    o += p.byteLength;
  }
  return out;
}

/**
 * Saves `model` as `dir/model.json` and `dir/weights.bin` (the layout `tf.loadLayersModel("file://...")`
 * and the tfjs converter use). Creates `dir`. Returns the path of model.json.
 */
export async function saveTfjsCheckpoint(model: tf.LayersModel, dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "model.json");
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = joinBuffers((artifacts.weightData ?? new ArrayBuffer(0)) as ArrayBuffer | ArrayBuffer[]);
      writeFileSync(join(dir, "weights.bin"), weights);
      const json: ModelJson = {
        modelTopology: artifacts.modelTopology as object,
        weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs ?? [] }],
        format: artifacts.format ?? "layers-model",
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
      };
      writeFileSync(file, JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON", weightDataBytes: weights.byteLength } };
    }),
  );
  return file;
}

/**
 * Loads a LayersModel from a checkpoint folder (or the path of its model.json). Checks that every shard
 * exists and that the shards hold exactly the bytes the manifest's weights need; errors name the file.
 */
export async function loadTfjsModel(path: string): Promise<tf.LayersModel> {
  await chooseBackend();
  registerLayers();
  const file = path.endsWith(".json") ? path : join(path, "model.json");
  let json: ModelJson;
  try {
    json = parseJsonChecked(readFileSync(file, "utf8"), file) as ModelJson;
  } catch (e) {
    if (e instanceof InpcaInputError) throw e;
    throw new InpcaInputError(`cannot read a tfjs model.json: ${(e as Error).message}`, { file, cause: e });
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) throw new InpcaInputError("not a tfjs LayersModel model.json (no modelTopology / weightsManifest)", { file });
  const dir = dirname(file);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const shards: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      const shard = join(dir, String(p));
      const rel = relative(resolve(dir), resolve(shard));
      if (typeof p !== "string" || isAbsolute(p) || rel === "" || rel.startsWith("..") || isAbsolute(rel)) {
        throw new InpcaInputError(`weight shard path ${JSON.stringify(p)} leaves the model folder; shards must be files inside it`, { file });
      }
      try {
        shards.push(readFileSync(shard));
      } catch (e) {
        throw new InpcaInputError(`weight shard missing or unreadable: ${(e as Error).message}`, { file: shard, cause: e });
      }
    }
  }
  const bytesPerElement = (dtype: string) => (dtype === "float16" ? 2 : dtype === "uint8" || dtype === "bool" ? 1 : 4);
  const need = specs.reduce((a, s) => a + (s.quantization ? s.shape.reduce((x, y) => x * y, 1) * (s.quantization.dtype === "uint8" ? 1 : 2) : s.shape.reduce((x, y) => x * y, 1) * bytesPerElement(s.dtype)), 0);
  const weights = joinBuffers(shards.map((s) => s.buffer.slice(s.byteOffset, s.byteOffset + s.byteLength) as ArrayBuffer));
  if (weights.byteLength !== need) throw new InpcaInputError(`the weight shards hold ${weights.byteLength} bytes but the manifest's weights need ${need} (truncated or mismatched shards)`, { file });
  try {
    return await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: weights.buffer as ArrayBuffer }));
  } catch (e) {
    throw new InpcaInputError(`tfjs could not build the model: ${(e as Error).message}`, { file, cause: e });
  }
}

/** Images to evaluate a checkpoint on: flat NHWC pixels and their shape, or a tensor. */
export type TfjsInputs = {
  /** The pixels, flat NHWC, float32. */
  images: Float32Array;
  /** [samples, height, width, channels]. */
  shape: readonly number[];
} | {
  /** The pixels, flat NHWC, float32. */
  data: Float32Array;
  /** [samples, height, width, channels]. */
  shape: readonly number[];
} | tf.Tensor;

/**
 * Runs the checkpoint in `folder` in eval mode (`predict`: batch norm with running statistics, no dropout)
 * on `inputs`, in batches of 250, and returns its raw outputs [samples, classes] (logits or probabilities,
 * whatever the model ends with; `loadCheckpoints` detects which). The model is disposed afterwards.
 */
export async function evaluateTfjsCheckpoint(folder: string, inputs: TfjsInputs, batchSize = 250): Promise<{
  /** The outputs, [samples, classes] row-major. */
  data: Float32Array;
  /** [samples, classes]. */
  shape: [number, number];
}> {
  const model = await loadTfjsModel(folder);
  try {
    const x = inputs instanceof tf.Tensor ? inputs : tf.tensor((("images" in inputs ? inputs.images : inputs.data) as Float32Array), inputs.shape as number[]);
    const n = x.shape[0]!;
    const inShape = model.inputs[0]!.shape.slice(1);
    if (x.shape.slice(1).join() !== inShape.join()) {
      throw new InpcaInputError(`the model expects inputs of shape [n, ${inShape.join(", ")}], got [${x.shape.join(", ")}]`, { file: folder });
    }
    let out: Float32Array | undefined;
    let C = 0;
    for (let s = 0; s < n; s += batchSize) {
      const m = Math.min(batchSize, n - s);
      const y = tf.tidy(() => model.predict(tf.slice(x, s, m)) as tf.Tensor);
      if (y.shape.length !== 2) throw new InpcaInputError(`the model's output has shape [${y.shape.join(", ")}], expected [samples, classes]`, { file: folder });
      C = y.shape[1]!;
      out ??= new Float32Array(n * C);
      out.set(y.dataSync() as Float32Array, s * C);
      y.dispose();
    }
    if (x !== inputs) x.dispose();
    return { data: out ?? new Float32Array(0), shape: [n, C] };
  } finally {
    model.dispose();
  }
}

registerModelEvaluator("tfjs", (folder, inputs) => evaluateTfjsCheckpoint(folder, inputs as TfjsInputs));

/**
 * The registry of array-file formats that checkpoints and labels are read from: one entry per format with its
 * file extensions and an `open(file)` that lists the arrays inside and reads one by name. The checkpoint loader,
 * the labels loader, the folder walk (which files can be checkpoints) and the CLI all go through it, so a format
 * is added in one place.
 *
 * Formats holding one bare array (`.npy`, a JSON array, a torch file saving one tensor) list it under the name
 * "". Model formats (`.onnx`, TensorFlow.js `model.json` folders), which are run rather than read, are not here:
 * see `io/checkpoints/load.ts`.
 */
import { existsSync, statSync } from "node:fs";
import { extname } from "node:path";
import { InpcaInputError } from "../../core/errors.js";
import { fix } from "../../core/fixes.js";
import { hdf5Ready, openHdf5Sync } from "./hdf5/index.js";
import { nestedToArray, parseJsonFile, PREDICTION_KEYS } from "./json.js";
import { loadNpy, loadNpyHeader, type NdArray } from "./npy.js";
import { loadNpz } from "./npz.js";
import { loadSafetensorsHeader, loadSafetensorsTensor } from "./safetensors.js";
import { looksLikeParameters, parametersError, refuseParameters } from "./parameters.js";
import { loadTorch, torchTensors, type TorchValue } from "./torch.js";

/** An array read from a file: row-major `data` of `shape`; `dtype` (NumPy's string) or torch `storage` when known. */
export interface FileArray {
  data: ArrayLike<number>;
  shape: number[];
  dtype?: string;
  storage?: string;
}

/** An opened array file: its arrays by name ("" for a file that is one bare array). Close it when done. */
export interface ArrayFile {
  readonly file: string;
  /** Names of the arrays inside, in stored order. */
  readonly names: readonly string[];
  /** Shape of array `name`, without reading its data where the format allows. */
  shape(name: string): number[];
  /** Reads array `name`. */
  read(name: string): FileArray;
  close(): void;
}

/** Options of opening an array file. */
export interface OpenArrayOptions {
  /** Largest inflated size of one compressed member (npz, torch), in bytes. */
  maxInflatedBytes?: number;
}

/** One array-file format. */
export interface ArrayFormat {
  /** The format's name, as `DiscoveredCheckpoint.format` gives it. */
  readonly name: "npy" | "npz" | "safetensors" | "hdf5" | "json" | "torch";
  /** File extensions, lower case with the dot. */
  readonly extensions: readonly string[];
  /** Whether `shape` is read from a header without the data (what lets discovery look inside cheaply). */
  readonly cheapShapes: boolean;
  /** Resolves once the format's reader is loaded (HDF5's wasm library); `open` throws before then. */
  ready?(): Promise<unknown>;
  open(file: string, options?: OpenArrayOptions): ArrayFile;
}

function bare(file: string, shape: () => number[], read: () => FileArray): ArrayFile {
  return { file, names: [""], shape: () => shape(), read: () => read(), close() {} };
}

function ofRecord(file: string, arrays: Record<string, FileArray>): ArrayFile {
  return { file, names: Object.keys(arrays), shape: (n) => arrays[n]!.shape, read: (n) => arrays[n]!, close() {} };
}

/** The shape of nested arrays along their first elements (checked for raggedness when read). */
function jsonShape(v: unknown): number[] {
  const shape: number[] = [];
  for (let x = v; Array.isArray(x); x = x[0]) shape.push(x.length);
  return shape;
}

/** The weight names of a TensorFlow.js weights manifest (`[{ paths, weights: [{ name, shape }] }]`), or null. */
function tfjsManifestWeights(v: unknown[]): string[] | null {
  const first = v[0] as { paths?: unknown; weights?: unknown } | null | undefined;
  if (!first || typeof first !== "object" || !Array.isArray(first.paths) || !Array.isArray(first.weights)) return null;
  return (first.weights as { name?: unknown }[]).map((w) => String(w?.name ?? "?"));
}

/** Paths (`param_groups`, `optimizer.param_groups`) of the `param_groups` lists of optimizer states in a torch value. */
function paramGroupPaths(v: TorchValue, prefix = "", depth = 0): string[] {
  if (v === null || typeof v !== "object" || Array.isArray(v) || "storage" in v || depth > 3) return [];
  return Object.entries(v).flatMap(([k, x]) => {
    const path = prefix ? `${prefix}.${k}` : k;
    return k === "param_groups" && Array.isArray(x) ? [path] : paramGroupPaths(x as TorchValue, path, depth + 1);
  });
}

/** Every array-file format, in the order their extensions are listed in messages. */
export const ARRAY_FORMATS: readonly ArrayFormat[] = [
  {
    name: "npy", extensions: [".npy"], cheapShapes: true,
    open(file) {
      let head: number[] | undefined;
      return bare(file, () => (head ??= loadNpyHeader(file).shape), () => loadNpy(file));
    },
  },
  {
    name: "npz", extensions: [".npz"], cheapShapes: false,
    open: (file, options) => ofRecord(file, loadNpz(file, options)),
  },
  {
    name: "safetensors", extensions: [".safetensors"], cheapShapes: true,
    open(file) {
      const h = loadSafetensorsHeader(file);
      return { file, names: Object.keys(h.tensors), shape: (n) => h.tensors[n]!.shape, read: (n) => loadSafetensorsTensor(file, n), close() {} };
    },
  },
  {
    name: "hdf5", extensions: [".h5", ".hdf5", ".he5"], cheapShapes: true,
    ready: () => hdf5Ready(),
    open(file) {
      const f = openHdf5Sync(file);
      let names: string[];
      try {
        names = f.datasets();
      } catch (e) {
        f.close();
        throw e;
      }
      return { file, names, shape: (n) => f.info(n).shape, read: (n) => f.read(n), close: () => f.close() };
    },
  },
  {
    name: "json", extensions: [".json"], cheapShapes: false,
    open(file) {
      const v = parseJsonFile(file);
      if (Array.isArray(v)) {
        const manifest = tfjsManifestWeights(v);
        if (manifest) throw parametersError(file, { reason: "a TensorFlow.js weights manifest", examples: manifest.slice(0, 3) });
        return bare(file, () => jsonShape(v), () => nestedToArray(v, file));
      }
      if (v === null || typeof v !== "object") throw new InpcaInputError("expected an array or an object of arrays", { file });
      const obj = v as Record<string, unknown>;
      const names = Object.keys(obj).filter((k) => Array.isArray(obj[k]));
      const cache = new Map<string, NdArray>();
      const read = (n: string) => {
        let a = cache.get(n);
        if (!a) cache.set(n, (a = nestedToArray(obj[n], `${file}[${n}]`)));
        return a;
      };
      return { file, names, shape: (n) => (cache.has(n) ? read(n).shape : jsonShape(obj[n])), read, close() {} };
    },
  },
  {
    name: "torch", extensions: [".pt", ".pth"], cheapShapes: false,
    open(file, options) {
      const v = loadTorch(file, options);
      const tensors = torchTensors(v);
      // an optimizer state that holds no tensors yet (never stepped) shows itself by its param_groups only
      const groups = paramGroupPaths(v);
      const evidence = groups.length ? looksLikeParameters([...Object.keys(tensors), ...groups]) : null;
      if (evidence) throw parametersError(file, evidence);
      return ofRecord(file, tensors);
    },
  },
];

const BY_EXTENSION = new Map(ARRAY_FORMATS.flatMap((f) => f.extensions.map((e) => [e, f] as const)));

/** Every extension of an array-file format (".npy", ".npz", ...). */
export const ARRAY_EXTENSIONS: readonly string[] = [...BY_EXTENSION.keys()];

/** The array-file format of `file`, by its extension, or undefined. */
export function arrayFormatOf(file: string): ArrayFormat | undefined {
  return BY_EXTENSION.get(extname(file).toLowerCase());
}

/** Opens `file` with its format's reader (loading that reader first, HDF5's wasm library for one). */
export async function openArrayFile(file: string, options: OpenArrayOptions = {}): Promise<ArrayFile> {
  const format = arrayFormatOf(file);
  if (!format) throw new InpcaInputError(`not an array file (readable: ${ARRAY_EXTENSIONS.join(", ")})`, { file });
  if (!existsSync(file) || statSync(file).isDirectory()) throw new InpcaInputError(existsSync(file) ? "is a folder, not an array file" : "file not found", { file });
  await format.ready?.();
  return format.open(file, options);
}

/** Where an array of a file came from, for messages: the file, plus the array name when the file holds several. */
export function arraySource(file: string, name: string): string {
  return name === "" ? file : `${file}[${name}]`;
}

/** Names that hold labels (one integer per sample) inside a file of several arrays. */
export const LABEL_NAMES: readonly string[] = ["labels", "label", "targets", "target", "y", "y_true"];

/** Whether array `n` holds labels (of `split`, when given), not predictions. */
export function isLabelName(n: string, split?: string): boolean {
  const l = n.toLowerCase();
  return LABEL_NAMES.includes(l) || (split !== undefined && (l === `labels_${split}` || l === `${split}_labels`));
}

/**
 * The prediction array among a file's arrays. A file whose arrays look like model parameters (see
 * `parameters.ts`), or an `array` named like a parameter, is refused ("model weights, not predictions"). Then:
 * `array` when given; else the split's own (`train`, `train_probs`,
 * `probs_train`, ...), else the usual prediction names (probs, logits, ...), else the only [samples, classes] or
 * [checkpoints, samples, classes] array that is not labels. A file of one bare array gives "".
 */
export function pickPredictionArray(f: Pick<ArrayFile, "file" | "names" | "shape">, options: { array?: string; split?: string } = {}): string {
  const { names, file } = f;
  if (names.length === 1 && names[0] === "") return "";
  refuseParameters(file, names, (n) => f.shape(n), options.array);
  if (options.array !== undefined) {
    if (!names.includes(options.array)) throw new InpcaInputError(`no array "${options.array}" (arrays: ${names.join(", ") || "none"}); pass ${fix("array")}`, { file });
    return options.array;
  }
  const keys = [...PREDICTION_KEYS, "probabilities", "softmax", "outputs", "output", "yhat", "yh"];
  const split = options.split;
  const preferred = [...(split ? [split, ...keys.flatMap((k) => [`${split}_${k}`, `${k}_${split}`])] : []), ...keys];
  for (const p of preferred) if (names.includes(p)) return p;
  const candidates = names.filter((n) => !isLabelName(n, split) && (f.shape(n).length === 2 || f.shape(n).length === 3));
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length === 0) throw new InpcaInputError(`no [samples, classes] array among: ${names.join(", ") || "none"}`, { file });
  throw new InpcaInputError(`several arrays could be the predictions (${candidates.join(", ")}); pass ${fix("array")}`, { file });
}

/**
 * The labels array among a file's arrays, or undefined: the split's own (`labels_<split>`, `<split>_labels`,
 * and `<split>` itself in a labels file), else labels/targets/y. In a labels file (`labelsFile`) the only array
 * is taken whatever its name.
 */
export function pickLabelArray(names: readonly string[], options: { split?: string; labelsFile?: boolean } = {}): string | undefined {
  const split = options.split;
  if (names.length === 1 && (names[0] === "" || options.labelsFile)) return names[0];
  const order = [...(split ? [`labels_${split}`, `${split}_labels`, ...(options.labelsFile ? [split] : [])] : []), ...LABEL_NAMES];
  return order.find((n) => names.includes(n));
}

/** Model files, run (not read) to get predictions: extension → format. */
const MODEL_FILES: Readonly<Record<string, "onnx">> = { ".onnx": "onnx" };

/** The format of a checkpoint file by its extension (an array format, or "onnx"), or undefined. */
export function checkpointFileFormat(file: string): ArrayFormat["name"] | "onnx" | undefined {
  const ext = extname(file).toLowerCase();
  return BY_EXTENSION.get(ext)?.name ?? MODEL_FILES[ext];
}

/** Every extension a checkpoint file can have (the array formats' and ".onnx"). */
export const CHECKPOINT_EXTENSIONS: readonly string[] = [...ARRAY_EXTENSIONS, ...Object.keys(MODEL_FILES)];

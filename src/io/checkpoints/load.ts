/**
 * Checkpoint discovery: turns a folder (or a glob, or a list of paths) of saved predictions into one
 * PredictionSet with a metadata row per checkpoint (run, step, epoch, split, configuration, error, loss).
 *
 * Layouts understood:
 * - a run folder holding one file per checkpoint: `.npy`, `.npz`, `.safetensors`, `.h5`/`.hdf5`, `.json`, each an
 *   array [samples, classes] (or [1, samples, classes]);
 * - a run folder holding one folder per checkpoint (`epoch_3/predictions.npz`, with an optional `meta.json`), or a
 *   TensorFlow.js LayersModel folder (`model.json` + shards) evaluated on `options.inputs`;
 * - a glob (`*`, `?`, `[abc]` and `**` path segments) matching files, checkpoint folders or run folders: the
 *   checkpoints are grouped into runs by the folder they sit in (and by any configuration embedded in their names).
 *
 * Order: by the step or epoch in the name (`step=500`, `step_500`, `global_step500`, `it300`, `epoch_2`,
 * `epoch=2.5`, `ep3`, `e12`, or a bare number as in `ckpt-000500`), numerically, so `epoch_2` comes before
 * `epoch_10`; ties and unnumbered names use natural sort. A JSON object embedded in a file or folder name, as
 * the authors name their runs (`{"arch":"allcnn","bs":200,"seed":0}`), is read as configuration; its `step` /
 * `epoch` keys, if any, number the checkpoint.
 *
 * Sidecars: a run folder's `config.json` (or run.json, meta.json, metadata.json, hparams.json, args.json) gives
 * the run id (`run`/`id`/`name`) and configuration (its `config` object, else its scalar fields); a checkpoint's
 * own sidecar (`<name>.json` next to a file, or one of those names inside a checkpoint folder) gives `step`,
 * `epoch`, `error`, `loss`, ... and more `config`.
 *
 * Every problem raises InpcaInputError naming the file: unreadable or malformed files, an empty folder, a shape
 * that differs from the run's first checkpoint, NaN/Inf (with the sample and class), encodings that differ
 * between checkpoints, labels of the wrong length or missing when required, options of the wrong type
 * (`options.ts`). Nothing partial is returned.
 *
 * Weights are never predictions: a file of model parameters (a state_dict, an optimizer state, Keras HDF5,
 * safetensors / npz of weights, a TensorFlow.js weights manifest; see `parameters.ts`) is refused with "model
 * weights, not predictions" and the route to predictions, even when `array` names one of its matrices. An
 * explicit `array` is held to the predictions' contract like any other: [samples, classes] with at least 2
 * classes, the same shape in every checkpoint, as many samples as labels, probabilities or finite logits.
 */
import { InpcaAbortError, InpcaInputError } from "../../core/errors.js";
import { fix } from "../../core/fixes.js";
import { errorAndLoss, sumTolerance } from "../../core/rows.js";
import type { ModelPoint } from "../../core/meta.js";
import { PredictionSet, type PredictionKind } from "../../core/prediction-set.js";
import { discoverCheckpoints, type DiscoveredCheckpoint, type DiscoveredRun, type DiscoverOptions } from "./discover.js";
import { arrayFormatOf, arraySource, pickPredictionArray, type FileArray } from "../formats/registry.js";
import { hdf5Ready } from "../formats/hdf5/index.js";
import { guessPredictionKind } from "../formats/kind.js";
import { checkLoadOptions } from "./options.js";
import { innerLabels, resolveLabels, type FoundLabels } from "./labels.js";
import { evaluateOnnxCheckpoint, type OnnxInputs } from "../formats/onnx.js";
import { readRunFileRow, type RawCheckpoint, type RunFileCache } from "./run-files.js";

export { discoverCheckpoints, type DiscoveredCheckpoint, type DiscoveredRun, type DiscoverOptions } from "./discover.js";
export { naturalCompare, parseCheckpointName } from "./names.js";
export { MAX_WALK_ENTRIES } from "./walk.js";
export { findLabelsFile } from "./labels.js";

/** Options of `loadCheckpoints` (and of the sources that read checkpoints); discovery's own are in DiscoverOptions. */
export interface LoadCheckpointsOptions extends DiscoverOptions {
  /** How the numbers are encoded; detected from content by default (and must then agree across checkpoints). */
  kind?: PredictionKind;
  /**
   * True labels of the samples: numbers, or a file (.npy, .npz, .safetensors, .h5, .json) holding them, or null
   * for none. By default they are looked for next to the checkpoints (`labels.<split>.npy`, `labels.npy`,
   * `labels.json`, ...) and then inside the checkpoint files (arrays named labels, targets, y).
   */
  labels?: ArrayLike<number> | string | null;
  /** Fail when no labels are found (default false). */
  requireLabels?: boolean;
  /** Split the samples come from ("train", "test"): stored on the set and rows, selects `labels.<split>.*`. */
  split?: string;
  /** Names of the classes. */
  classNames?: readonly string[];
  /** Dataset indices of the samples. */
  sampleIds?: ArrayLike<number>;
  /** Tolerance on rows of probabilities summing to 1 (default 1e-3). */
  tolerance?: number;
  /** Divide rows of probabilities by their sums instead of rejecting them. */
  renormalize?: boolean;
  /**
   * Inputs for model checkpoints, which are run to get their predictions: TensorFlow.js folders (model.json),
   * passed to `evaluateTfjsCheckpoint(folder, inputs)`, and `.onnx` files (`{ data: Float32Array, shape }`, or one
   * such per input name), run with onnxruntime-node. For ONNX, `array` names the output to take (default: the first).
   */
  inputs?: unknown;
  /** Stops loading between checkpoints. */
  signal?: AbortSignal;
  /** Largest inflated size of one compressed member (npz, torch), in bytes; default 1/16 of the machine's memory. */
  maxInflatedBytes?: number;
  /**
   * Where the one-line summary of a load goes (what was read, and the encoding detected when `kind` was not
   * given): a function, or false for none. Default: console.log.
   */
  log?: ((line: string) => void) | false;
}

/**
 * Evaluators of model checkpoints that `loadCheckpoints` runs on `inputs` to get predictions, by format. The
 * training layer registers the tfjs one (`inpca/train`); the main entry registers a lazy one that loads it.
 */
export type ModelEvaluator = (folder: string, inputs: unknown) => Promise<unknown> | unknown;
const evaluators = new Map<string, ModelEvaluator>();

/** Registers (or replaces) the evaluator of `format` checkpoints ("tfjs": model.json folders). */
export function registerModelEvaluator(format: "tfjs", evaluate: ModelEvaluator): void {
  evaluators.set(format, evaluate);
}

/**
 * Loads every checkpoint under `dirOrGlob` into one PredictionSet (M checkpoints × S samples × C classes,
 * float32 probabilities converted from the stored encoding in float64), with a metadata row per checkpoint:
 * `{ run, step, epoch?, split?, config, error?, loss?, file }` (error and loss computed from the labels when a
 * sidecar does not give them). See the module comment for layouts, naming, sidecars and errors.
 */
export async function loadCheckpoints(dirOrGlob: string | readonly string[], options: LoadCheckpointsOptions = {}): Promise<PredictionSet> {
  const reader = await checkpointReader(dirOrGlob, options);
  const { all, runs } = reader;
  const M = all.length;
  let probs: Float32Array | null = null;
  const meta: ModelPoint[] = [];
  for (let m = 0; m < M; m++) {
    if (options.signal?.aborted) throw new InpcaAbortError("loadCheckpoints");
    const one = await reader.read(m);
    probs ??= new Float32Array(M * reader.samples * reader.classes);
    probs.set(one, m * reader.samples * reader.classes);
    meta.push(reader.meta[m]!);
  }
  if (probs === null) throw new InpcaInputError("no checkpoints found"); // discover throws first; kept for types
  const { samples: S, classes: C } = reader;
  const labels = await reader.labels();
  const log = options.log === undefined ? (line: string) => console.log(line) : options.log;
  if (log) {
    const encoding = options.kind ? `as ${describeKind(options.kind)} (kind given)` : `as ${describeKind(reader.kind()!)} (detected; pass kind to override)`;
    log(`loadCheckpoints: ${M} checkpoints of ${runs.length} run${runs.length === 1 ? "" : "s"}, ${S} samples × ${C} classes, read ${encoding}${labels ? `; labels from ${labels.file}` : "; no labels"}`);
  }
  if (labels) fillErrorAndLoss(probs, labels.labels, meta, S, C);
  return new PredictionSet(
    { probs, models: M, samples: S, classes: C, labels: labels?.labels ?? null, classNames: options.classNames, meta, split: options.split, sampleIds: options.sampleIds ? Int32Array.from(options.sampleIds) : null },
    { validate: false, source: reader.first() },
  );
}

/** Reads the discovered checkpoints one at a time (see `checkpointReader`). */
export interface CheckpointReader {
  /** The runs discovered, in order. */
  runs: DiscoveredRun[];
  /** Every checkpoint with its run, in row order. */
  all: {
    /** The run the checkpoint belongs to. */
    run: DiscoveredRun;
    /** The checkpoint. */
    c: DiscoveredCheckpoint;
  }[];
  /** One metadata row per checkpoint (run, step, epoch, split, config, sidecar fields, file). */
  meta: ModelPoint[];
  /** S and C, known once the first checkpoint is read (the reader reads it at creation). */
  samples: number;
  /** C, known once the first checkpoint is read. */
  classes: number;
  /** Checkpoint m's probabilities, S×C float32, validated (shape, finite, kind, row sums). */
  read(m: number): Promise<Float32Array>;
  /** The samples' labels, found as `loadCheckpoints` finds them (after at least one read). */
  labels(): Promise<FoundLabels | null>;
  /** What the rows hold (probabilities, log-probabilities or logits), known once a checkpoint is read. */
  kind(): PredictionKind | undefined;
  /** The path of the first checkpoint (error messages name it). */
  first(): string;
}

/**
 * Discovers the checkpoints of `dirOrGlob` and returns a reader of them by index, with every metadata row built
 * up front and checkpoint 0 read (for S and C). `loadCheckpoints` reads them all; `checkpointSource` by rows.
 */
export async function checkpointReader(dirOrGlob: string | readonly string[], options: LoadCheckpointsOptions = {}): Promise<CheckpointReader> {
  checkLoadOptions(dirOrGlob, options);
  // h5wasm loads asynchronously; with it ready, discovery can tell HDF5 run files from checkpoint files
  await hdf5Ready().catch(() => false);
  const runs = discoverCheckpoints(dirOrGlob, options);
  const all = runs.flatMap((r) => r.checkpoints.map((c) => ({ run: r, c })));
  if (all.some(({ c }) => c.format === "hdf5")) await hdf5Ready();
  const runFileCache: RunFileCache = { file: "", raw: null };
  const readOne = (c: DiscoveredCheckpoint) => readCheckpoint(c, options);
  let S = 0;
  let C = 0;
  let first = "";
  let firstKind: { kind: PredictionKind; file: string } | null = null;
  const inner = new Map<string, FoundLabels>();
  const meta: ModelPoint[] = all.map(({ run, c }) => {
    const row: ModelPoint = { run: run.run, step: c.step };
    if (c.epoch !== undefined) row.epoch = c.epoch;
    if (options.split !== undefined) row.split = options.split;
    row.config = c.config;
    Object.assign(row, c.fields);
    row.file = c.path;
    return row;
  });
  const read = async (m: number): Promise<Float32Array> => {
    const { run, c } = all[m]!;
    const raw = c.row === undefined ? await readCheckpoint(c, options) : await readRunFileRow(c, runFileCache, readOne);
    const where = raw.source;
    const [s, k] = matrixShape(raw.array.shape, where);
    if (first === "") {
      S = s;
      C = k;
      first = where;
    } else if (s !== S || k !== C) {
      const firstOfRun = all.findIndex((x) => x.run === run) === m;
      throw new InpcaInputError(`shape [${s}, ${k}] differs from [${S}, ${C}] of ${first}` +
        (firstOfRun ? ` (runs must share the same samples and classes)` : ` (checkpoints of run "${run.run}" must all have the same shape)`), { file: c.file });
    }
    checkFinite(raw.array.data, C, where);
    let kind = options.kind;
    if (!kind) {
      kind = guessPredictionKind(raw.array.data, C, where, options.renormalize === true);
      if (firstKind && firstKind.kind !== kind) {
        throw new InpcaInputError(`holds ${describeKind(kind)} but ${firstKind.file} holds ${describeKind(firstKind.kind)}; pass ${fix("kind")} if that is wrong`, { file: where });
      }
      firstKind ??= { kind, file: where };
    }
    // float16 storage (often rounded, as the authors store predictions) leaves row sums of 1 ± C·2⁻¹⁰
    const tolerance = options.tolerance ?? sumTolerance(C, isHalf(raw.array));
    const one = PredictionSet.from(kind, raw.array.data, [1, S, C], { meta: [meta[m]!], source: where, tolerance, renormalize: options.renormalize });
    if (raw.labels && !inner.has(run.dir)) inner.set(run.dir, { labels: raw.labels, file: where });
    return one.probs;
  };
  let firstRead: Float32Array | null = null;
  const reader: CheckpointReader = {
    runs, all, meta, samples: 0, classes: 0,
    // checkpoint 0 was read at creation: hand that back once instead of reading it again
    read: async (m) => {
      if (m === 0 && firstRead) {
        const r = firstRead;
        firstRead = null;
        return r;
      }
      return read(m);
    },
    labels: () => resolveLabels(options, runs.map((r) => r.dir), inner, S, C, first),
    kind: () => options.kind ?? firstKind?.kind,
    first: () => first,
  };
  if (all.length) {
    firstRead = await read(0);
    reader.samples = S;
    reader.classes = C;
  }
  return reader;
}

/** Reads one checkpoint's array: an array file through its format (see io/formats/registry.ts), or a model run on inputs. */
async function readCheckpoint(c: DiscoveredCheckpoint, options: LoadCheckpointsOptions): Promise<RawCheckpoint> {
  const file = c.file;
  if (c.format === "onnx") {
    if (options.inputs === undefined) {
      throw new InpcaInputError(`is an ONNX model: loading it means running it, so pass ${fix("inputs")}`, { file });
    }
    return { array: await evaluateOnnxCheckpoint(file, options.inputs as OnnxInputs, options.array), source: file };
  }
  if (c.format === "tfjs") return { array: await evaluateTfjs(c.path, options), source: c.path };
  const format = arrayFormatOf(file)!;
  await format.ready?.();
  const f = format.open(file, options);
  try {
    const name = pickPredictionArray(f, options);
    return { array: f.read(name), source: arraySource(file, name), labels: innerLabels(f, options) };
  } finally {
    f.close();
  }
}

function matrixShape(shape: number[], where: string): [number, number] {
  const m = shape.length === 2 ? [shape[0]!, shape[1]!] : shape.length === 3 && shape[0] === 1 ? [shape[1]!, shape[2]!] : null;
  if (m && m[1]! < 2) throw new InpcaInputError(`array of shape [${shape.join(", ")}] has ${m[1]} class${m[1] === 1 ? "" : "es"}; predictions are [samples, classes] with at least 2 classes (probabilities or logits); if another array holds them, pass ${fix("array")}`, { file: where });
  if (m) return m as [number, number];
  const hint = shape.length === 3 ? ` (${shape[0]} checkpoints in one array? load it with PredictionSet.from(kind, data, shape) instead)` : "";
  throw new InpcaInputError(`array of shape [${shape.join(", ")}]; a checkpoint must be [samples, classes]${hint}`, { file: where });
}

function checkFinite(data: ArrayLike<number>, C: number, where: string): void {
  for (let i = 0; i < data.length; i++) {
    const v = +data[i]!;
    if (Number.isNaN(v) || v === Infinity) {
      throw new InpcaInputError(`${Number.isNaN(v) ? "NaN" : "Infinity"} at sample ${Math.floor(i / C)}, class ${i % C}`, { file: where });
    }
  }
}

function isHalf(a: { dtype?: string; storage?: string }): boolean {
  // NumPy's "<f2", safetensors' "F16", torch's HalfStorage (bfloat16 rounds coarser than the float16 tolerance covers)
  return /f2$|^F16$/.test(a.dtype ?? "") || a.storage === "HalfStorage";
}

function describeKind(k: PredictionKind): string {
  return k === "logits" ? "logits" : k === "logProbabilities" ? "log-probabilities" : "probabilities";
}

/** Fills each row's error and loss (core/rows' errorAndLoss) unless a sidecar gave them. */
function fillErrorAndLoss(probs: Float32Array, labels: Int32Array, meta: ModelPoint[], S: number, C: number): void {
  meta.forEach((row, m) => {
    if (row.error !== undefined && row.loss !== undefined) return;
    const { error, loss } = errorAndLoss(probs, m * S * C, labels, S, C);
    if (row.error === undefined) row.error = error;
    if (row.loss === undefined) row.loss = loss;
  });
}

/**
 * TensorFlow.js LayersModel checkpoint folders go to the registered "tfjs" evaluator (see
 * `registerModelEvaluator`), which must resolve to the model's outputs on `inputs` as [samples, classes]: an
 * `{ data, shape }` array, a tensor-like `{ dataSync(), shape }`, or a PredictionSet.
 */
async function evaluateTfjs(folder: string, options: LoadCheckpointsOptions): Promise<FileArray> {
  if (options.inputs === undefined) {
    throw new InpcaInputError(`is a TensorFlow.js LayersModel checkpoint (model.json): loading it means running the model, so pass ${fix("inputs")}`, { file: folder });
  }
  const evaluate = evaluators.get("tfjs");
  if (!evaluate) {
    throw new InpcaInputError("is a TensorFlow.js checkpoint: evaluating it needs inpca's training module, which is not loaded; import \"inpca/train\" (or load through the main \"inpca\" entry, which loads it when needed)", { file: folder });
  }
  const out = (await evaluate(folder, options.inputs)) as Record<string, unknown> | null;
  if (out && out.probs instanceof Float32Array && typeof out.samples === "number" && typeof out.classes === "number") {
    return { data: out.probs, shape: [out.samples, out.classes] };
  }
  if (out && typeof out.dataSync === "function" && Array.isArray(out.shape)) {
    return { data: (out.dataSync as () => ArrayLike<number>)(), shape: out.shape as number[] };
  }
  if (out && out.data && typeof (out.data as ArrayLike<number>).length === "number" && Array.isArray(out.shape)) {
    return { data: out.data as ArrayLike<number>, shape: out.shape as number[] };
  }
  throw new InpcaInputError("evaluateTfjsCheckpoint returned neither { data, shape }, a tensor, nor a PredictionSet", { file: folder });
}

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
 * between checkpoints, labels of the wrong length or missing when required. Nothing partial is returned.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { InpcaAbortError, InpcaInputError } from "../core/errors.js";
import { checkedIntegers } from "../core/integers.js";
import { errorAndLoss, sumTolerance } from "../core/rows.js";
import type { ConfigValue, ModelPoint } from "../core/meta.js";
import { PredictionSet, type PredictionKind } from "../core/prediction-set.js";
import { hdf5Ready, openHdf5Sync } from "./hdf5.js";
import { nestedToArray, parseJsonFile, PREDICTION_KEYS } from "./json.js";
import { guessPredictionKind } from "./kind.js";
import { loadNpy, readNpyHeader, type NdArray } from "./npy.js";
import { loadNpz } from "./npz.js";
import { loadSafetensorsHeader, loadSafetensorsTensor } from "./safetensors.js";
import { evaluateOnnxCheckpoint, type OnnxInputs } from "./onnx.js";
import { loadTorch, torchTensors } from "./torch.js";

/** Options of `loadCheckpoints`. */
export interface LoadCheckpointsOptions {
  /** Name of the array to take from each file: npz member, safetensors tensor, HDF5 dataset, or JSON key. */
  array?: string;
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
  /**
   * Run id: one string (a single run), or a function of each discovered run. Default: the sidecar's run/id/name,
   * else the folder name (a JSON configuration name becomes `key=value,...`), plus the configuration embedded in
   * file names when runs share a folder.
   */
  run?: string | ((run: DiscoveredRun) => string);
  /** Configuration merged into every row (wins over sidecars and names). */
  config?: Record<string, ConfigValue>;
  /** Derives the step from an epoch-only name (otherwise such checkpoints get step = their index in the run). */
  stepsPerEpoch?: number;
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

/** One checkpoint found on disk, before its array is read. */
export interface DiscoveredCheckpoint {
  /** The file or folder of this checkpoint. */
  path: string;
  /** How it is stored. */
  format: "npy" | "npz" | "safetensors" | "hdf5" | "json" | "torch" | "onnx" | "tfjs";
  /** The file the array is read from (inside `path` for a checkpoint folder; `path` itself otherwise). */
  file: string;
  /** Step (from the sidecar, the name, `stepsPerEpoch`, or the index in the run, in that order). */
  step: number;
  /** Epoch, when the name or a sidecar gives one. */
  epoch?: number;
  /** Configuration of this checkpoint (run folder name, run sidecar, file name, checkpoint sidecar, options). */
  config: Record<string, ConfigValue>;
  /** Other fields from the checkpoint sidecar (error, loss, trainError, ...). */
  fields: Record<string, unknown>;
  /** For a run file (all checkpoints of a run in one [checkpoints, samples, classes] array): this checkpoint's row. */
  row?: number;
}

/** One run found on disk: its checkpoints in order. */
export interface DiscoveredRun {
  /** Run id. */
  run: string;
  /** The folder holding the run's checkpoints. */
  dir: string;
  /** The run's configuration (without per-checkpoint additions). */
  config: Record<string, ConfigValue>;
  /** Checkpoints, ordered by step (then epoch, then name). */
  checkpoints: DiscoveredCheckpoint[];
}

const DATA_EXT: Readonly<Record<string, DiscoveredCheckpoint["format"]>> = {
  ".npy": "npy", ".npz": "npz", ".safetensors": "safetensors", ".h5": "hdf5", ".hdf5": "hdf5", ".he5": "hdf5", ".json": "json",
  ".pt": "torch", ".pth": "torch", ".onnx": "onnx",
};
const SIDECARS = ["config.json", "run.json", "meta.json", "metadata.json", "hparams.json", "args.json"];
const LABEL_NAMES = ["labels", "label", "targets", "target", "y", "y_true"];
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
 * Finds the checkpoints under `dirOrGlob` (a run folder, a glob, or a list of paths) and orders them, without
 * reading any array. Useful to check what `loadCheckpoints` will load.
 */
export function discoverCheckpoints(dirOrGlob: string | readonly string[], options: Pick<LoadCheckpointsOptions, "run" | "config" | "stepsPerEpoch" | "array"> = {}): DiscoveredRun[] {
  const items = collect(dirOrGlob);
  for (const it of items) it.rows = runFileRows(it, options.array);
  // group by run folder and by the configuration embedded in the file name; a run file is a run of its own
  const groups = new Map<string, Item[]>();
  for (const it of items) {
    const key = it.rows ? `${it.runDir}\0${it.base}\0file` : `${it.runDir}\0${JSON.stringify(it.name.config)}`;
    const g = groups.get(key);
    if (g) g.push(it);
    else groups.set(key, [it]);
  }
  const keys = [...groups.keys()].sort(naturalCompare);
  if (typeof options.run === "string" && keys.length > 1) {
    const dirs = [...new Set(keys.map((k) => groups.get(k)![0]!.runDir))];
    throw new InpcaInputError(`run: one id ("${options.run}") given, but ${keys.length} runs were found (${dirs.slice(0, 3).join(", ")}${dirs.length > 3 ? ", …" : ""}${dirs.length === 1 ? ", told apart by the configuration in their file names" : ""}); pass a function instead`);
  }
  const runs: DiscoveredRun[] = [];
  const sidecarCache = new Map<string, RunSidecar>();
  for (const key of keys) {
    const group = groups.get(key)!;
    const dir = group[0]!.runDir;
    let side = sidecarCache.get(dir);
    if (!side) {
      side = readRunSidecar(dir);
      sidecarCache.set(dir, side);
    }
    const dirName = parseName(basename(dir));
    const fileConfig = group[0]!.name.config;
    const config: Record<string, ConfigValue> = { ...dirName.config, ...side.config, ...fileConfig, ...(options.config ?? {}) };
    const runFile = group[0]!.rows ? group[0]! : null;
    const checkpoints = runFile ? runFileCheckpoints(runFile, options.stepsPerEpoch, config) : orderRun(group, options.stepsPerEpoch, config);
    const baseId = side.run ?? (Object.keys(dirName.config).length ? keyValues(dirName.config) : basename(dir));
    const fileId = runFile ? stripExt(runFile.base) : null;
    const draft: DiscoveredRun = { run: fileId ?? (Object.keys(fileConfig).length ? `${baseId}/${keyValues(fileConfig)}` : baseId), dir, config, checkpoints };
    if (typeof options.run === "string") draft.run = options.run;
    else if (typeof options.run === "function") draft.run = options.run(draft);
    runs.push(draft);
  }
  const seen = new Map<string, string>();
  for (const r of runs) {
    const other = seen.get(r.run);
    if (other !== undefined) throw new InpcaInputError(`two runs have the id "${r.run}" (${other} and ${r.dir}); pass options.run as a function to tell them apart`);
    seen.set(r.run, r.dir);
  }
  return runs;
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
  runs: DiscoveredRun[];
  all: { run: DiscoveredRun; c: DiscoveredCheckpoint }[];
  /** One metadata row per checkpoint (run, step, epoch, split, config, sidecar fields, file). */
  meta: ModelPoint[];
  /** S and C, known once the first checkpoint is read (the reader reads it at creation). */
  samples: number;
  classes: number;
  /** Checkpoint m's probabilities, S×C float32, validated (shape, finite, kind, row sums). */
  read(m: number): Promise<Float32Array>;
  /** The samples' labels, found as `loadCheckpoints` finds them (after at least one read). */
  labels(): Promise<{ labels: Int32Array; file: string } | null>;
  kind(): PredictionKind | undefined;
  first(): string;
}

/**
 * Discovers the checkpoints of `dirOrGlob` and returns a reader of them by index, with every metadata row built
 * up front and checkpoint 0 read (for S and C). `loadCheckpoints` reads them all; `checkpointSource` by rows.
 */
export async function checkpointReader(dirOrGlob: string | readonly string[], options: LoadCheckpointsOptions = {}): Promise<CheckpointReader> {
  // h5wasm loads asynchronously; with it ready, discovery can tell HDF5 run files from checkpoint files
  await hdf5Ready().catch(() => false);
  const runs = discoverCheckpoints(dirOrGlob, options);
  const all = runs.flatMap((r) => r.checkpoints.map((c) => ({ run: r, c })));
  if (all.some(({ c }) => c.format === "hdf5")) await hdf5Ready();
  const runFileCache: RunFileCache = { file: "", raw: null };
  let S = 0;
  let C = 0;
  let first = "";
  let firstKind: { kind: PredictionKind; file: string } | null = null;
  const innerLabels = new Map<string, { labels: Int32Array; file: string }>();
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
    const raw = c.row === undefined ? await readCheckpoint(c, options) : await readRunFileRow(c, options, runFileCache);
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
        throw new InpcaInputError(`holds ${describeKind(kind)} but ${firstKind.file} holds ${describeKind(firstKind.kind)}; pass options.kind if that is wrong`, { file: where });
      }
      firstKind ??= { kind, file: where };
    }
    // float16 storage (often rounded, as the authors store predictions) leaves row sums of 1 ± C·2⁻¹⁰
    const tolerance = options.tolerance ?? sumTolerance(C, isHalf(raw.array));
    const one = PredictionSet.from(kind, raw.array.data, [1, S, C], { meta: [meta[m]!], source: where, tolerance, renormalize: options.renormalize });
    if (raw.labels && !innerLabels.has(run.dir)) innerLabels.set(run.dir, { labels: raw.labels, file: where });
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
    labels: () => resolveLabels(options, runs, innerLabels, S, C, first),
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

/**
 * Compares strings the way people number files: digit runs by value (`epoch_2` < `epoch_10`; `007` = `7`, the
 * shorter first on ties), the rest case-insensitively, then case-sensitively.
 */
export function naturalCompare(a: string, b: string): number {
  const ta = a.match(/\d+|\D+/g) ?? [];
  const tb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(ta.length, tb.length); i++) {
    const x = ta[i]!;
    const y = tb[i]!;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      const nx = x.replace(/^0+(?=\d)/, "");
      const ny = y.replace(/^0+(?=\d)/, "");
      if (nx.length !== ny.length) return nx.length - ny.length;
      if (nx !== ny) return nx < ny ? -1 : 1;
      if (x.length !== y.length) return x.length - y.length;
    } else if (x !== y) {
      const lx = x.toLowerCase();
      const ly = y.toLowerCase();
      if (lx !== ly) return lx < ly ? -1 : 1;
      return x < y ? -1 : 1;
    }
  }
  return ta.length - tb.length;
}

/**
 * Reads the step, epoch and embedded JSON configuration from a file or folder name (extension removed).
 * `step`/`epoch` are undefined when the name has no number for them; a bare number counts as a step.
 */
export function parseCheckpointName(name: string): { step?: number; epoch?: number; config: Record<string, ConfigValue> } {
  const { step, epoch, config } = parseName(stripExt(name));
  return { step, epoch, config };
}

// ----------------------------------------------------------------------------------------------------------------

interface ParsedName {
  step?: number;
  epoch?: number;
  config: Record<string, ConfigValue>;
  /** True when the step/epoch came from a keyword or embedded JSON, not a bare number. */
  keyed: boolean;
}

interface Item {
  path: string;
  format: DiscoveredCheckpoint["format"];
  file: string;
  runDir: string;
  name: ParsedName;
  sidecar?: string;
  base: string;
  /** Set for a run file: the number of checkpoints along its first axis, and their steps/epochs if stored. */
  rows?: RunFileRows;
}

interface RunFileRows {
  count: number;
  steps?: number[];
  epochs?: number[];
}

interface RunSidecar {
  run?: string;
  config: Record<string, ConfigValue>;
  file?: string;
}

function stripExt(name: string): string {
  const ext = extname(name).toLowerCase();
  return ext in DATA_EXT ? name.slice(0, -ext.length) : name;
}

function parseName(name: string): ParsedName {
  const config: Record<string, ConfigValue> = {};
  let rest = name;
  let step: number | undefined;
  let epoch: number | undefined;
  let keyed = false;
  const open = name.indexOf("{");
  const close = name.lastIndexOf("}");
  if (open >= 0 && close > open) {
    try {
      const obj = JSON.parse(name.slice(open, close + 1)) as unknown;
      if (obj && typeof obj === "object" && !Array.isArray(obj)) {
        for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
          const lk = k.toLowerCase();
          if (typeof v === "number" && /^(step|global_step|iteration|iter|it|t)$/.test(lk)) {
            step = v;
            keyed = true;
          } else if (typeof v === "number" && /^(epoch|ep|e)$/.test(lk)) {
            epoch = v;
            keyed = true;
          } else config[k] = toConfigValue(v);
        }
        rest = `${name.slice(0, open)} ${name.slice(close + 1)}`;
      }
    } catch {
      // not JSON: the braces are part of an ordinary name
    }
  }
  const num = "(\\d+(?:\\.\\d+)?)";
  const long = new RegExp(`(global[_-]?step|steps?|iterations?|iters?|epochs?)[\\s=_:-]*${num}`, "gi");
  const short = new RegExp(`(?:^|[^a-z0-9])(ep|e|it)${num}(?![a-z0-9])`, "gi");
  for (const re of [long, short]) {
    for (const m of rest.matchAll(re)) {
      const word = m[1]!.toLowerCase();
      const value = Number(m[2]);
      if (word.startsWith("e")) epoch ??= value;
      else step ??= value;
      keyed = true;
    }
  }
  if (step === undefined && epoch === undefined) {
    const nums = rest.match(/\d+/g);
    if (nums) step = Number(nums[nums.length - 1]);
  }
  return { step, epoch, config, keyed };
}

function toConfigValue(v: unknown): ConfigValue {
  if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  return JSON.stringify(v);
}

function keyValues(config: Record<string, ConfigValue>): string {
  return Object.entries(config).map(([k, v]) => `${k}=${v}`).join(",");
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** A `labels/` (or `targets/`) folder beside the checkpoints holds labels, not checkpoints. */
function isLabelsFolder(name: string): boolean {
  return /^(labels?|targets?)$/i.test(name);
}

/** A folder that holds several checkpoints itself (data files or checkpoint folders), not one checkpoint. */
function looksLikeRunFolder(dir: string, depth = 0): boolean {
  if (existsSync(join(dir, "model.json"))) return false;
  const files = dataFiles(dir);
  if (files.length >= 2) return true;
  if (depth >= 2) return false; // bounded: symbolic links may loop
  const subs = safeReaddir(dir).filter((n) => !n.startsWith(".") && !isLabelsFolder(n) && isDir(join(dir, n)));
  return files.length === 0 && subs.length >= 1 && subs.some((n) => checkpointFolder(join(dir, n), true) !== null || looksLikeRunFolder(join(dir, n), depth + 1));
}

function isLabelsFile(name: string): boolean {
  return /^(labels?|targets?|y)([._-].*)?\.(npy|npz|json|safetensors|h5|hdf5|pt|pth)$/i.test(name);
}

/** Data files of a folder that can be checkpoints (not sidecars, labels, hidden files). */
function dataFiles(dir: string): string[] {
  const names = safeReaddir(dir);
  const stems = new Set(names.filter((n) => DATA_EXT[extname(n).toLowerCase()] && extname(n).toLowerCase() !== ".json").map(stripExt));
  return names.filter((n) => {
    const ext = extname(n).toLowerCase();
    if (!DATA_EXT[ext] || n.startsWith(".") || isLabelsFile(n) || SIDECARS.includes(n.toLowerCase())) return false;
    if (ext === ".json" && stems.has(stripExt(n))) return false; // the sidecar of a data file with the same stem
    return !isDir(join(dir, n));
  });
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir).sort(naturalCompare);
  } catch (e) {
    throw new InpcaInputError(`cannot list the folder: ${(e as Error).message}`, { file: dir, cause: e });
  }
}

/** A checkpoint folder: holds model.json, or exactly one data file (the predictions). */
function checkpointFolder(dir: string, strict: boolean): Item | null {
  const base = basename(dir);
  if (existsSync(join(dir, "model.json"))) return { path: dir, format: "tfjs", file: join(dir, "model.json"), runDir: dirname(dir), name: parseName(base), sidecar: folderSidecar(dir), base };
  const files = dataFiles(dir);
  if (files.length === 0) return null;
  const subdirs = safeReaddir(dir).filter((n) => !n.startsWith(".") && isDir(join(dir, n)));
  const name = parseName(base);
  if (strict && (files.length !== 1 || subdirs.length > 0 || !(name.keyed || /^\d+$/.test(base) || /ckpt|checkpoint/i.test(base)))) return null;
  let file = files[0]!;
  if (files.length > 1) {
    const preferred = files.find((n) => /^(predictions?|preds?|probs|probabilities|outputs?|logits)\./i.test(n));
    if (!preferred) throw new InpcaInputError(`checkpoint folder holds several data files (${files.join(", ")}); keep one, or name it predictions.<ext>`, { file: dir });
    file = preferred;
  }
  return { path: dir, format: DATA_EXT[extname(file).toLowerCase()]!, file: join(dir, file), runDir: dirname(dir), name, sidecar: folderSidecar(dir), base };
}

function folderSidecar(dir: string): string | undefined {
  for (const n of SIDECARS) if (existsSync(join(dir, n))) return join(dir, n);
  return undefined;
}

function fileItem(path: string): Item {
  const name = basename(path);
  const ext = extname(name).toLowerCase();
  const format = DATA_EXT[ext];
  if (!format) throw new InpcaInputError(`not a checkpoint file (readable: ${Object.keys(DATA_EXT).join(", ")})`, { file: path });
  const side = ext === ".json" ? undefined : join(dirname(path), `${stripExt(name)}.json`);
  return { path, format, file: path, runDir: dirname(path), name: parseName(stripExt(name)), sidecar: side && existsSync(side) ? side : undefined, base: name };
}

/** The checkpoints of a run folder: its data files and checkpoint folders. */
function runFolder(dir: string, depth = 0): Item[] {
  const out: Item[] = dataFiles(dir).map((n) => fileItem(join(dir, n)));
  const subdirs = safeReaddir(dir).filter((n) => !n.startsWith(".") && !isLabelsFolder(n) && isDir(join(dir, n)));
  // a folder of run folders (each holding several checkpoints of its own): the runs of each
  if (out.length === 0 && depth < 2 && subdirs.length > 0 && subdirs.every((n) => looksLikeRunFolder(join(dir, n)))) {
    return subdirs.flatMap((n) => runFolder(join(dir, n), depth + 1));
  }
  for (const n of subdirs) {
    const item = checkpointFolder(join(dir, n), false);
    if (item) out.push(item);
  }
  if (out.length === 0) {
    throw new InpcaInputError(`no checkpoints: no ${Object.keys(DATA_EXT).join("/")} files and no checkpoint folders (other than labels and sidecar files)`, { file: dir });
  }
  return out;
}

function collect(input: string | readonly string[]): Item[] {
  const list = typeof input === "string" ? [input] : [...input];
  if (list.length === 0) throw new InpcaInputError("loadCheckpoints: no paths given");
  const items: Item[] = [];
  for (const p of list) {
    if (existsSync(p)) {
      if (!isDir(p)) items.push(fileItem(p));
      else if (existsSync(join(p, "model.json"))) items.push(checkpointFolder(p, false)!);
      else items.push(...runFolder(p));
      continue;
    }
    if (!/[*?[]/.test(p)) throw new InpcaInputError("no such file or folder", { file: p });
    const matches = expandGlob(p);
    if (matches.length === 0) throw new InpcaInputError("the pattern matched no file or folder", { file: p });
    for (const m of matches) {
      if (!isDir(m)) {
        if (DATA_EXT[extname(m).toLowerCase()] && !isLabelsFile(basename(m)) && !SIDECARS.includes(basename(m).toLowerCase())) items.push(fileItem(m));
        continue;
      }
      const ck = checkpointFolder(m, true);
      items.push(...(ck ? [ck] : runFolder(m)));
    }
    if (items.length === 0) throw new InpcaInputError("the pattern matched no checkpoint file or folder", { file: p });
  }
  const seen = new Set<string>();
  return items.filter((it) => {
    const key = resolve(it.path);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The most folders a `**` pattern may reach before it is refused (a guard against runaway walks). */
export const MAX_WALK_ENTRIES = 100_000;

/**
 * Expands `*`, `?`, `[...]` and `**` segment by segment (hidden entries only when the segment starts with ".").
 * `**` visits each real folder once (symbolic-link cycles end there) and at most {@link MAX_WALK_ENTRIES} folders.
 */
function expandGlob(pattern: string): string[] {
  const dirOnly = /[/\\]$/.test(pattern);
  const abs = isAbsolute(pattern);
  const parts = pattern.split(/[/\\]+/).filter((s, i) => s.length > 0 || i === 0);
  let current: string[] = [abs ? sep : "."];
  if (abs) parts.shift();
  for (const part of parts) {
    const next: string[] = [];
    if (part === "**") {
      // every folder below, each real folder once: symbolic links that loop back are followed no further
      const seen = new Set<string>();
      const walk = (d: string) => {
        let real: string;
        try {
          real = realpathSync(d);
        } catch {
          return;
        }
        if (seen.has(real)) return;
        seen.add(real);
        next.push(d);
        if (next.length > MAX_WALK_ENTRIES) {
          throw new InpcaInputError(`the pattern reaches more than ${MAX_WALK_ENTRIES} folders; narrow it (or pass a list of paths)`, { file: pattern });
        }
        for (const n of safeList(d)) if (!n.startsWith(".") && isDir(join(d, n))) walk(join(d, n));
      };
      current.forEach(walk);
    } else if (!/[*?[]/.test(part)) {
      for (const d of current) if (existsSync(join(d, part))) next.push(join(d, part));
    } else {
      const re = segmentRegex(part);
      for (const d of current) for (const n of safeList(d)) if (re.test(n) && (part.startsWith(".") || !n.startsWith("."))) next.push(join(d, n));
    }
    current = [...new Set(next)];
  }
  const out = current.filter((p) => !dirOnly || isDir(p)).map((p) => (abs ? p : relative(".", p) || "."));
  return out.sort(naturalCompare);
}

function safeList(d: string): string[] {
  try {
    return isDir(d) ? readdirSync(d) : [];
  } catch {
    return [];
  }
}

function segmentRegex(seg: string): RegExp {
  let re = "";
  for (let i = 0; i < seg.length; i++) {
    const ch = seg[i]!;
    if (ch === "*") re += "[^/]*";
    else if (ch === "?") re += "[^/]";
    else if (ch === "[") {
      const end = seg.indexOf("]", i + 2);
      if (end < 0) re += "\\[";
      else {
        let body = seg.slice(i + 1, end);
        if (body.startsWith("!")) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else re += ch.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

function readJsonObject(path: string, what: string): Record<string, unknown> {
  const v = parseJsonFile(path);
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new InpcaInputError(`${what} must be a JSON object`, { file: path });
  return v as Record<string, unknown>;
}

function readRunSidecar(dir: string): RunSidecar {
  for (const n of SIDECARS) {
    const p = join(dir, n);
    if (!existsSync(p) || isDir(p)) continue;
    const obj = readJsonObject(p, "a run configuration sidecar");
    const id = obj.run ?? obj.id ?? obj.name;
    const config: Record<string, ConfigValue> = {};
    const src = obj.config && typeof obj.config === "object" && !Array.isArray(obj.config) ? (obj.config as Record<string, unknown>) : obj;
    for (const [k, v] of Object.entries(src)) {
      if (src === obj && ["run", "id", "name", "split", "classNames", "labels"].includes(k)) continue;
      config[k] = toConfigValue(v);
    }
    return { run: typeof id === "string" || typeof id === "number" ? String(id) : undefined, config, file: p };
  }
  return { config: {} };
}

const ROW_FIELDS = ["error", "loss", "trainError", "testError", "trainLoss", "testLoss", "accuracy", "trainAccuracy", "testAccuracy", "lr"];

function orderRun(group: Item[], stepsPerEpoch: number | undefined, runConfig: Record<string, ConfigValue>): DiscoveredCheckpoint[] {
  const entries = group.map((it) => {
    let step = it.name.step;
    let epoch = it.name.epoch;
    const config: Record<string, ConfigValue> = { ...runConfig };
    const fields: Record<string, unknown> = {};
    if (it.sidecar) {
      const side = readJsonObject(it.sidecar, "a checkpoint sidecar");
      if (side.step !== undefined) step = numberField(side.step, "step", it.sidecar);
      if (side.epoch !== undefined) epoch = numberField(side.epoch, "epoch", it.sidecar);
      for (const k of ROW_FIELDS) if (side[k] !== undefined) fields[k] = numberField(side[k], k, it.sidecar);
      if (side.config && typeof side.config === "object" && !Array.isArray(side.config)) {
        for (const [k, v] of Object.entries(side.config as Record<string, unknown>)) config[k] = toConfigValue(v);
      }
    }
    return { it, step, epoch, config, fields };
  });
  const allStep = entries.every((e) => e.step !== undefined);
  const allEpoch = entries.every((e) => e.epoch !== undefined);
  const none = entries.every((e) => e.step === undefined && e.epoch === undefined);
  if (!allStep && !allEpoch && !none) {
    const bad = entries.find((e) => e.step === undefined && e.epoch === undefined) ?? entries.find((e) => e.step === undefined)!;
    throw new InpcaInputError(`no step or epoch number in the name, while other checkpoints in ${group[0]!.runDir} have one; rename it, or select the checkpoints with a glob`, { file: bad.it.path });
  }
  const key = (e: (typeof entries)[number]) => (allStep ? e.step! : allEpoch ? e.epoch! : 0);
  entries.sort((a, b) => key(a) - key(b) || (a.epoch ?? 0) - (b.epoch ?? 0) || naturalCompare(a.it.base, b.it.base));
  if (!none) {
    for (let i = 1; i < entries.length; i++) {
      const a = entries[i - 1]!;
      const b = entries[i]!;
      if (key(a) === key(b) && a.epoch === b.epoch) {
        throw new InpcaInputError(`same ${allStep ? "step" : "epoch"} ${key(a)} as ${a.it.path}; one of them is a duplicate`, { file: b.it.path });
      }
    }
  }
  return entries.map((e, i) => {
    const step = e.step ?? (e.epoch !== undefined && stepsPerEpoch ? Math.round(e.epoch * stepsPerEpoch) : i);
    const c: DiscoveredCheckpoint = { path: e.it.path, format: e.it.format, file: e.it.file, step, config: e.config, fields: e.fields };
    if (e.epoch !== undefined) c.epoch = e.epoch;
    return c;
  });
}

function numberField(v: unknown, name: string, file: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new InpcaInputError(`"${name}" is ${JSON.stringify(v)}, not a finite number`, { file });
  return v;
}

interface RawCheckpoint {
  array: { data: ArrayLike<number>; shape: number[]; dtype?: string; storage?: string };
  /** Where the numbers came from, for messages: the file, plus the array name when the file holds several. */
  source: string;
  labels?: Int32Array;
}

async function readCheckpoint(c: DiscoveredCheckpoint, options: LoadCheckpointsOptions): Promise<RawCheckpoint> {
  const file = c.file;
  switch (c.format) {
    case "npy":
      return { array: loadNpy(file), source: file };
    case "npz": {
      const z = loadNpz(file, options);
      const name = pickArray(Object.keys(z), (n) => z[n]!.shape.length, options, file);
      return { array: z[name]!, source: `${file}[${name}]`, labels: innerLabelArray(Object.keys(z), (n) => z[n]!, options, file) };
    }
    case "safetensors": {
      const h = loadSafetensorsHeader(file);
      const names = Object.keys(h.tensors);
      const name = pickArray(names, (n) => h.tensors[n]!.shape.length, options, file);
      return { array: loadSafetensorsTensor(file, name), source: `${file}[${name}]`, labels: innerLabelArray(names, (n) => loadSafetensorsTensor(file, n), options, file) };
    }
    case "hdf5": {
      const f = openHdf5Sync(file);
      try {
        const names = f.datasets();
        const name = pickArray(names, (n) => f.info(n).shape.length, options, file);
        return { array: f.read(name), source: `${file}[${name}]`, labels: innerLabelArray(names, (n) => f.read(n), options, file) };
      } finally {
        f.close();
      }
    }
    case "json": {
      const v = parseJsonFile(file);
      if (Array.isArray(v)) return { array: nestedToArray(v, file), source: file };
      if (v === null || typeof v !== "object") throw new InpcaInputError("expected an array or an object of arrays", { file });
      const obj = v as Record<string, unknown>;
      const names = Object.keys(obj).filter((k) => Array.isArray(obj[k]));
      const depth = (n: string) => {
        let d = 0;
        for (let x: unknown = obj[n]; Array.isArray(x); x = x[0]) d++;
        return d;
      };
      const name = pickArray(names, depth, options, file);
      return { array: nestedToArray(obj[name], `${file}[${name}]`), source: `${file}[${name}]`, labels: innerLabelArray(names, (n) => nestedToArray(obj[n], `${file}[${n}]`), options, file) };
    }
    case "torch": {
      const t = torchTensors(loadTorch(file, options));
      const names = Object.keys(t);
      if (names.length === 1 && names[0] === "") return { array: t[""]!, source: file };
      const name = pickArray(names, (n) => t[n]!.shape.length, options, file);
      return { array: t[name]!, source: `${file}[${name}]`, labels: innerLabelArray(names, (n) => t[n]!, options, file) };
    }
    case "onnx": {
      if (options.inputs === undefined) {
        throw new InpcaInputError("is an ONNX model: loading it means running it, so pass options.inputs (the samples to evaluate it on, { data: Float32Array, shape })", { file });
      }
      return { array: await evaluateOnnxCheckpoint(file, options.inputs as OnnxInputs, options.array), source: file };
    }
    case "tfjs":
      return { array: await evaluateTfjs(c.path, options), source: c.path };
  }
}

/** Chooses the prediction array among a file's arrays (see LoadCheckpointsOptions.array). */
function pickArray(names: string[], ndim: (name: string) => number, options: LoadCheckpointsOptions, file: string): string {
  if (options.array !== undefined) {
    if (!names.includes(options.array)) throw new InpcaInputError(`no array "${options.array}" (arrays: ${names.join(", ") || "none"})`, { file });
    return options.array;
  }
  const keys = [...PREDICTION_KEYS, "probabilities", "softmax", "outputs", "output", "yhat", "yh"];
  const split = options.split;
  const preferred = [...(split ? [split, ...keys.flatMap((k) => [`${split}_${k}`, `${k}_${split}`])] : []), ...keys];
  for (const p of preferred) if (names.includes(p)) return p;
  const candidates = names.filter((n) => !isLabelName(n, split) && (ndim(n) === 2 || ndim(n) === 3));
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length === 0) throw new InpcaInputError(`no [samples, classes] array among: ${names.join(", ") || "none"}`, { file });
  throw new InpcaInputError(`several arrays could be the predictions (${candidates.join(", ")}); pass options.array`, { file });
}

function isLabelName(n: string, split?: string): boolean {
  const l = n.toLowerCase();
  return LABEL_NAMES.includes(l) || (split !== undefined && (l === `labels_${split}` || l === `${split}_labels`));
}

function innerLabelArray(names: string[], read: (name: string) => NdArray, options: LoadCheckpointsOptions, file: string): Int32Array | undefined {
  if (options.labels !== undefined) return undefined;
  const split = options.split;
  const order = [...(split ? [`labels_${split}`, `${split}_labels`] : []), ...LABEL_NAMES];
  const name = order.find((n) => names.includes(n));
  return name === undefined ? undefined : labelInts(read(name), `${file}[${name}]`);
}

function labelInts(a: NdArray | { data: ArrayLike<number>; shape: number[] }, source: string): Int32Array {
  const { data, shape } = a;
  if (!(shape.length === 1 || (shape.length === 2 && shape[1] === 1))) throw new InpcaInputError(`labels must be one integer per sample, got shape [${shape.join(", ")}]`, { file: source });
  return checkedIntegers(Array.from(data, Number), (i) => `label ${i}`, { min: 0, file: source });
}

function matrixShape(shape: number[], where: string): [number, number] {
  if (shape.length === 2) return [shape[0]!, shape[1]!];
  if (shape.length === 3 && shape[0] === 1) return [shape[1]!, shape[2]!];
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
  return /f2$/.test(a.dtype ?? "") || a.storage === "HalfStorage";
}

function describeKind(k: PredictionKind): string {
  return k === "logits" ? "logits" : k === "logProbabilities" ? "log-probabilities" : "probabilities";
}

async function resolveLabels(options: LoadCheckpointsOptions, runs: DiscoveredRun[], inner: Map<string, { labels: Int32Array; file: string }>, S: number, C: number, first: string): Promise<{ labels: Int32Array; file: string } | null> {
  let found: { labels: Int32Array; file: string } | null = null;
  const check = (l: { labels: Int32Array; file: string }) => {
    if (l.labels.length !== S) throw new InpcaInputError(`${l.labels.length} labels, but the checkpoints have ${S} samples (${first})`, { file: l.file });
    l.labels.forEach((y, i) => {
      if (!(y >= 0 && y < C)) throw new InpcaInputError(`label ${i} is ${y}, outside the ${C} classes [0, ${C})`, { file: l.file });
    });
    return l;
  };
  if (options.labels === null) return null;
  if (typeof options.labels === "string") found = check(await loadLabelsFile(options.labels, options.split));
  else if (options.labels !== undefined) found = check({ labels: labelInts({ data: options.labels, shape: [options.labels.length] }, "options.labels"), file: "options.labels" });
  else {
    for (const r of runs) {
      // beside the checkpoints, else in the folder above (a folder of run folders, or a glob of them)
      const near = findLabelsFile(r.dir, options.split) ?? findLabelsFile(dirname(r.dir), options.split);
      const l = near ? await loadLabelsFile(near, options.split) : inner.get(r.dir);
      if (!l) continue;
      check(l);
      if (found && !sameInts(found.labels, l.labels)) throw new InpcaInputError(`labels differ from those in ${found.file}; runs must be on the same samples`, { file: l.file });
      found ??= l;
    }
  }
  if (!found && options.requireLabels) {
    const dirs = [...new Set(runs.map((r) => r.dir))];
    throw new InpcaInputError(`no labels found for ${dirs.join(", ")}: looked for labels${options.split ? `.${options.split}` : ""}.npy/.npz/.json/.safetensors/.h5 next to the checkpoints and for labels/targets/y arrays inside them; pass options.labels`);
  }
  return found;
}

const LABEL_EXTS = [".npy", ".json", ".npz", ".safetensors", ".h5", ".hdf5", ".pt", ".pth"];

/**
 * The labels file for checkpoints in `dir`: `labels[.<split>].<ext>` (or targets) in `dir`, else inside a
 * `labels/` (or `targets/`) folder there (`<split>.<ext>`, `labels[.<split>].<ext>`, or its only file), or null.
 * (What `loadCheckpoints` looks for beside each run, and in the folder above it.)
 */
export function findLabelsFile(dir: string, split?: string): string | null {
  const stems = [...(split ? [`labels.${split}`, `labels_${split}`, `${split}_labels`, `${split}.labels`] : []), "labels", "targets"];
  for (const s of stems) for (const ext of LABEL_EXTS) if (existsSync(join(dir, s + ext)) && !isDir(join(dir, s + ext))) return join(dir, s + ext);
  for (const folder of ["labels", "targets", "label", "target"]) {
    const d = join(dir, folder);
    if (!isDir(d)) continue;
    for (const s of [...(split ? [split] : []), ...stems]) for (const ext of LABEL_EXTS) if (existsSync(join(d, s + ext))) return join(d, s + ext);
    const files = safeReaddir(d).filter((n) => LABEL_EXTS.includes(extname(n).toLowerCase()) && !n.startsWith("."));
    if (files.length === 1) return join(d, files[0]!);
    if (files.length > 1) throw new InpcaInputError(`labels folder holds several files (${files.join(", ")}) and none is named for the split${split ? ` "${split}"` : ""}; pass options.labels`, { file: d });
  }
  return null;
}

async function loadLabelsFile(path: string, split?: string): Promise<{ labels: Int32Array; file: string }> {
  if (!existsSync(path)) throw new InpcaInputError("labels file not found", { file: path });
  const ext = extname(path).toLowerCase();
  const pickLabels = (names: string[]): string => {
    const order = [...(split ? [`labels_${split}`, `${split}_labels`, split] : []), ...LABEL_NAMES];
    const n = order.find((x) => names.includes(x)) ?? (names.length === 1 ? names[0] : undefined);
    if (n === undefined) throw new InpcaInputError(`no labels array among: ${names.join(", ") || "none"}`, { file: path });
    return n;
  };
  switch (ext) {
    case ".npy":
      return { labels: labelInts(loadNpy(path), path), file: path };
    case ".npz": {
      const z = loadNpz(path);
      const n = pickLabels(Object.keys(z));
      return { labels: labelInts(z[n]!, `${path}[${n}]`), file: path };
    }
    case ".safetensors": {
      const n = pickLabels(Object.keys(loadSafetensorsHeader(path).tensors));
      return { labels: labelInts(loadSafetensorsTensor(path, n), `${path}[${n}]`), file: path };
    }
    case ".json": {
      const v = parseJsonFile(path);
      if (Array.isArray(v)) return { labels: labelInts(nestedToArray(v, path), path), file: path };
      if (v && typeof v === "object") {
        const obj = v as Record<string, unknown>;
        const n = pickLabels(Object.keys(obj).filter((k) => Array.isArray(obj[k])));
        return { labels: labelInts(nestedToArray(obj[n], `${path}[${n}]`), `${path}[${n}]`), file: path };
      }
      throw new InpcaInputError("labels JSON must be an array or an object holding one", { file: path });
    }
    case ".pt":
    case ".pth": {
      const t = torchTensors(loadTorch(path));
      const names = Object.keys(t);
      if (names.length === 1 && names[0] === "") return { labels: labelInts(t[""]!, path), file: path };
      const n = pickLabels(names);
      return { labels: labelInts(t[n]!, `${path}[${n}]`), file: path };
    }
    case ".h5":
    case ".hdf5": {
      await hdf5Ready();
      const f = openHdf5Sync(path);
      try {
        const n = pickLabels(f.datasets());
        return { labels: labelInts(f.read(n), `${path}[${n}]`), file: path };
      } finally {
        f.close();
      }
    }
    default:
      throw new InpcaInputError("labels file must be .npy, .npz, .json, .safetensors, .h5 or .pt", { file: path });
  }
}

function sameInts(a: Int32Array, b: Int32Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
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
async function evaluateTfjs(folder: string, options: LoadCheckpointsOptions): Promise<{ data: ArrayLike<number>; shape: number[] }> {
  if (options.inputs === undefined) {
    throw new InpcaInputError("is a TensorFlow.js LayersModel checkpoint (model.json): loading it means running the model, so pass options.inputs (the samples to evaluate it on)", { file: folder });
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

// ---------------------------------------------------------------------------------------------------------------
// Run files: one file holding every checkpoint of a run, [checkpoints, samples, classes] (the companion code's
// per-seed HDF5 files, or a zoo-style .npy), with optional `steps`/`epochs` arrays beside the predictions (HDF5
// datasets, or a `<name>.json` sidecar).

const STEP_ARRAYS = ["steps", "step", "global_step", "global_steps", "iterations"];
const EPOCH_ARRAYS = ["epochs", "epoch"];

/** The checkpoint count (and stored steps/epochs) of a run file, or undefined for an ordinary checkpoint file. */
function runFileRows(it: Item, array: string | undefined): RunFileRows | undefined {
  // checkpoint folders hold one checkpoint; a file named for a step or epoch is one checkpoint (a stacked array
  // there is an error, reported when it is read)
  if (it.path !== it.file || it.name.keyed) return undefined;
  let shape: number[] | undefined;
  let steps: number[] | undefined;
  let epochs: number[] | undefined;
  if (it.format === "npy") shape = peekNpyShape(it.file);
  else if (it.format === "hdf5") {
    let f: ReturnType<typeof openHdf5Sync>;
    try {
      f = openHdf5Sync(it.file);
    } catch {
      return undefined; // h5wasm not loaded (sync discovery) or unreadable: reading it later reports the problem
    }
    try {
      const names = f.datasets();
      const name = pickArray(names, (n) => f.info(n).shape.length, { array }, it.file);
      shape = f.info(name).shape;
      const oneD = (cands: string[]) => {
        const n = cands.find((c) => names.includes(c) && f.info(c).shape.length === 1);
        return n === undefined ? undefined : Array.from(f.read(n).data as ArrayLike<number>, Number);
      };
      steps = oneD(STEP_ARRAYS);
      epochs = oneD(EPOCH_ARRAYS);
    } finally {
      f.close();
    }
  }
  if (!shape || shape.length !== 3 || shape[0]! <= 1) return undefined;
  const count = shape[0]!;
  if (it.sidecar) {
    const side = readJsonObject(it.sidecar, "a run file's sidecar");
    const list = (v: unknown, key: string) => {
      if (v === undefined) return undefined;
      if (!Array.isArray(v) || !v.every((x) => typeof x === "number" && Number.isFinite(x))) throw new InpcaInputError(`"${key}" must be an array of numbers`, { file: it.sidecar });
      return v as number[];
    };
    steps = list(side.steps, "steps") ?? steps;
    epochs = list(side.epochs, "epochs") ?? epochs;
  }
  for (const [key, v] of [["steps", steps], ["epochs", epochs]] as const) {
    if (v && v.length !== count) throw new InpcaInputError(`${v.length} ${key} for ${count} checkpoints along the first axis`, { file: it.file });
  }
  return { count, steps, epochs };
}

function peekNpyShape(file: string): number[] | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, "r");
    const head = Buffer.alloc(65536 + 12);
    const n = readSync(fd, head, 0, head.length, 0);
    return readNpyHeader(new Uint8Array(head.buffer, head.byteOffset, n), file).shape;
  } catch {
    return undefined; // reading it later reports the problem with the file named
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The checkpoints of a run file, one per row, numbered by its stored steps/epochs or by row. */
function runFileCheckpoints(it: Item, stepsPerEpoch: number | undefined, config: Record<string, ConfigValue>): DiscoveredCheckpoint[] {
  const { count, steps, epochs } = it.rows!;
  const out: DiscoveredCheckpoint[] = [];
  for (let k = 0; k < count; k++) {
    const epoch = epochs?.[k];
    const step = steps?.[k] ?? (epoch !== undefined && stepsPerEpoch ? Math.round(epoch * stepsPerEpoch) : k);
    const c: DiscoveredCheckpoint = { path: `${it.path}#${k}`, format: it.format, file: it.file, step, config: { ...config }, fields: {}, row: k };
    if (epoch !== undefined) c.epoch = epoch;
    out.push(c);
  }
  for (let k = 1; k < out.length; k++) {
    if (steps && out[k]!.step < out[k - 1]!.step) throw new InpcaInputError(`steps are not increasing along the first axis (row ${k}: ${out[k]!.step} after ${out[k - 1]!.step})`, { file: it.file });
  }
  return out;
}

interface RunFileCache {
  file: string;
  raw: RawCheckpoint | null;
}

/** One row of a run file; the whole file is read once and kept while its rows are taken. */
async function readRunFileRow(c: DiscoveredCheckpoint, options: LoadCheckpointsOptions, cache: RunFileCache): Promise<RawCheckpoint> {
  if (cache.file !== c.file || !cache.raw) {
    cache.raw = await readCheckpoint({ ...c, row: undefined }, options);
    cache.file = c.file;
  }
  const { array, source, labels } = cache.raw;
  const [K, S, C] = array.shape as [number, number, number];
  if (array.shape.length !== 3 || c.row! >= K) throw new InpcaInputError(`expected [checkpoints, samples, classes] with at least ${c.row! + 1} checkpoints, found [${array.shape.join(", ")}]`, { file: source });
  const data = (array.data as Float32Array).subarray(c.row! * S * C, (c.row! + 1) * S * C);
  return { array: { data, shape: [S, C], dtype: array.dtype }, source: `${source} row ${c.row}`, labels };
}

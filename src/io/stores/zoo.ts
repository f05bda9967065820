/**
 * The zoo format: a folder of training runs' predictions that a Python user can also write with NumPy.
 *
 *   manifest.json                 format, dataset, class names, the evaluation samples per split, and per run:
 *                                 id, configuration, flags, and per checkpoint: step, epoch, train/test error and loss
 *   labels.<split>.npy            int32 [S_split], the true class of each evaluation sample
 *   runs/<id>.<split>.npy         float16 or float32 [checkpoints, S_split, classes], softmax probabilities
 *   runs/<id>.json                (while a run is being recorded) the run's manifest entry, merged on load
 *
 * Runs are written incrementally (`ZooWriter`): after every checkpoint the rows are appended, the .npy header's
 * shape is rewritten in place (the header reserves room for that), and the run's JSON record is replaced
 * atomically, so a crashed run keeps every checkpoint it recorded and `np.load` still reads each file.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { InpcaInputError } from "../../core/errors.js";
import { describeOsError, writeFileAtomic } from "./atomic.js";
import { acquireLock, isLocked, processAlive, type Lock } from "./lock.js";
import { parseJsonChecked } from "../formats/json-depth.js";
import { checkedIntegers } from "../../core/integers.js";
import { firstBadRow, FULL_PRECISION_TOLERANCE, sumTolerance } from "../../core/rows.js";
import { rowsByRun, type ConfigValue, type ModelPoint } from "../../core/meta.js";
import { DEFAULT_SUM_TOLERANCE, PredictionSet } from "../../core/prediction-set.js";
import { decodeNpyFloatsInto, encodeNpyHeader, readNpy, readNpyHeader, toFloat16Bits, writeNpy, type NpyHeader } from "../formats/npy.js";
import { readBytes } from "../formats/read-bytes.js";

/** Name written in `manifest.format`. */
export const ZOO_FORMAT = "inpca-zoo";
/** Version written in `manifest.version`; readers accept this version and older. */
export const ZOO_VERSION = 1;

/** One checkpoint of a run: when it was taken and how the network did on each split then. */
export interface ZooCheckpoint {
  /** Optimisation steps taken (0 = initialisation). */
  step: number;
  /** Epochs elapsed (fractional). */
  epoch: number;
  /** Training phase when a run has several (e.g. "pretrain" then "train" for corner initialisations). */
  phase?: string;
  /** Error rate in [0, 1] and mean cross-entropy (nats) on each split's evaluation samples. */
  trainError?: number;
  trainLoss?: number;
  testError?: number;
  testLoss?: number;
  [field: string]: ConfigValue | undefined;
}

/** One training run in the manifest. */
export interface ZooRun {
  /** Unique id; also the file name stem under runs/. */
  id: string;
  /** The configuration (arch, optimizer, batchSize, lr, weightDecay, augment, seed, ...). */
  config: Record<string, ConfigValue>;
  /** Checkpoints in the order of the rows of runs/<id>.<split>.npy. */
  checkpoints: ZooCheckpoint[];
  /** False when the final train error stays high (the paper drops such runs from trajectory analyses). */
  trained?: boolean;
  /** False while recording (a crashed run keeps this). */
  finished?: boolean;
  /** Wall-clock seconds of training and recording, and the tfjs backend used. */
  wallSeconds?: number;
  backend?: string;
  [field: string]: unknown;
}

/** The evaluation samples of one split. */
export interface ZooSplit {
  /** Indices of the samples in the dataset split they were drawn from. */
  indices: number[];
  /** Which dataset split the indices refer to (defaults to the split's own name). */
  source?: string;
}

/** Contents of manifest.json. */
export interface ZooManifest {
  format: typeof ZOO_FORMAT;
  version: number;
  dataset: { name: string; classes: string[] };
  splits: Record<string, ZooSplit>;
  runs: ZooRun[];
  [field: string]: unknown;
}

/** Which rows `Zoo.predictions` takes. */
export interface ZooSelection {
  /** Keep runs for which this returns true (e.g. `(r) => r.trained !== false`). */
  where?: (run: ZooRun) => boolean;
  /** Keep only these run ids (in this order). */
  runs?: readonly string[];
  /** Keep checkpoints for which this returns true (index is the row in the run's file). */
  checkpoints?: (checkpoint: ZooCheckpoint, index: number, run: ZooRun) => boolean;
}

/** A loaded zoo: the manifest, labels per split, and predictions read on demand. */
export class Zoo {
  /** Folder the zoo was read from. */
  readonly dir: string;
  readonly manifest: ZooManifest;
  /** Runs, manifest order, then runs still being recorded (runs/<id>.json). */
  readonly runs: readonly ZooRun[];
  /** Class names, index = label. */
  readonly classNames: readonly string[];
  private readonly labelCache = new Map<string, Int32Array>();

  constructor(dir: string, manifest: ZooManifest, runs: readonly ZooRun[]) {
    this.dir = dir;
    this.manifest = manifest;
    this.runs = runs;
    this.classNames = manifest.dataset.classes;
  }

  /** Names of the splits ("train", "test"). */
  get splits(): string[] {
    return Object.keys(this.manifest.splits);
  }

  /** Total number of checkpoints over all runs. */
  get checkpoints(): number {
    return this.runs.reduce((a, r) => a + r.checkpoints.length, 0);
  }

  /** The run with this id (throws naming the id when absent). */
  run(id: string): ZooRun {
    const r = this.runs.find((x) => x.id === id);
    if (!r) throw new InpcaInputError(`no run "${id}" in this zoo (${this.runs.length} runs)`, { file: this.dir });
    return r;
  }

  /** True labels of the evaluation samples of `split` (int32, length S). */
  labels(split: string): Int32Array {
    this.checkSplit(split);
    let l = this.labelCache.get(split);
    if (!l) {
      const file = join(this.dir, `labels.${split}.npy`);
      const a = readNpy(readBytes(file), file);
      const S = this.manifest.splits[split]!.indices.length;
      if (a.shape.length !== 1 || a.shape[0] !== S) throw new InpcaInputError(`labels have shape (${a.shape.join(", ")}), the manifest lists ${S} samples for "${split}"`, { file });
      if (!(a.data instanceof Int32Array)) throw new InpcaInputError(`labels must be integers, found dtype '${a.dtype}'`, { file });
      const C = this.classNames.length;
      a.data.forEach((y, n) => {
        if (y < 0 || y >= C) throw new InpcaInputError(`label ${y} of sample ${n} is outside [0, ${C})`, { file });
      });
      l = a.data;
      this.labelCache.set(split, l);
    }
    return l;
  }

  /**
   * The predictions of the selected runs' checkpoints on `split` as one PredictionSet [M, S, C] (float32),
   * rows ordered run by run, checkpoint by checkpoint. Each file is read once and decoded straight into the
   * result. Meta rows carry run, step, epoch, split, config, phase, error/loss on this split and both splits'.
   */
  predictions(split: string, selection: ZooSelection = {}): PredictionSet {
    this.checkSplit(split);
    const S = this.manifest.splits[split]!.indices.length;
    const C = this.classNames.length;
    const runs = this.selectRuns(selection);
    const rows = runs.map((run) => run.checkpoints.map((c, i) => i).filter((i) => !selection.checkpoints || selection.checkpoints(run.checkpoints[i]!, i, run)));
    const M = rows.reduce((a, r) => a + r.length, 0);
    const probs = new Float32Array(M * S * C);
    const meta: ModelPoint[] = [];
    let m = 0;
    runs.forEach((run, k) => {
      if (rows[k]!.length === 0) return;
      const file = join(this.dir, "runs", `${run.id}.${split}.npy`);
      const bytes = readBytes(file);
      const h = checkRunFile(readNpyHeader(bytes, file), bytes.length, run, split, S, C, file);
      for (const i of rows[k]!) {
        decodeNpyFloatsInto(bytes, h, i * S * C, S * C, probs, m * S * C);
        meta.push(pointMeta(run, run.checkpoints[i]!, split));
        m++;
      }
      validateRows(probs, (m - rows[k]!.length) * S * C, m * S * C, C, S, meta, m - rows[k]!.length, file);
    });
    return new PredictionSet(
      { probs, models: M, samples: S, classes: C, labels: this.labels(split), classNames: this.classNames, meta, split, sampleIds: Int32Array.from(this.manifest.splits[split]!.indices) },
      { validate: false },
    );
  }

  /** The runs a selection keeps, in its order (see `ZooSelection`). */
  selectRuns(selection: ZooSelection = {}): ZooRun[] {
    let runs = this.runs.filter((r) => !selection.where || selection.where(r));
    if (selection.runs) {
      const byId = new Map(runs.map((r) => [r.id, r]));
      runs = selection.runs.map((id) => byId.get(id) ?? this.run(id)).filter((r) => byId.has(r.id));
    }
    return runs;
  }

  /** The summary (`toString`) when a notebook cell's last value is the zoo, or it is logged. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  /** A one-line-per-fact summary for notebooks. */
  toString(): string {
    const archs = new Map<string, number>();
    for (const r of this.runs) archs.set(String(r.config.arch ?? "?"), (archs.get(String(r.config.arch ?? "?")) ?? 0) + 1);
    const splits = this.splits.map((s) => `${s} ${this.manifest.splits[s]!.indices.length}`).join(", ");
    const unfinished = this.runs.filter((r) => r.finished === false).length;
    const untrained = this.runs.filter((r) => r.trained === false).length;
    return [
      `Zoo ${this.dir}: ${this.manifest.dataset.name}, ${this.classNames.length} classes`,
      `  ${this.runs.length} runs, ${this.checkpoints} checkpoints; samples per split: ${splits}`,
      `  architectures: ${[...archs].map(([a, n]) => `${a} (${n})`).join(", ")}`,
      ...(untrained ? [`  ${untrained} runs flagged untrained (final train error above the threshold)`] : []),
      ...(unfinished ? [`  ${unfinished} runs unfinished (recording stopped early)`] : []),
    ].join("\n");
  }

  private checkSplit(split: string): void {
    if (!Object.hasOwn(this.manifest.splits, split)) throw new InpcaInputError(`no split "${split}" in this zoo (it has ${this.splits.join(", ")})`, { file: this.dir });
  }
}

/**
 * Checks a run's prediction file against the manifest from its header and size: [checkpoints ≥ listed, S, C]
 * floats in C order, not truncated. Returns the header; throws InpcaInputError naming `file` otherwise.
 */
export function checkRunFile(h: NpyHeader, size: number, run: ZooRun, split: string, S: number, C: number, file: string): NpyHeader {
  if (h.shape.length !== 3 || h.shape[1] !== S || h.shape[2] !== C) {
    throw new InpcaInputError(`predictions have shape (${h.shape.join(", ")}), expected (checkpoints, ${S} samples, ${C} classes) for split "${split}"`, { file });
  }
  if (h.shape[0]! < run.checkpoints.length) throw new InpcaInputError(`the manifest lists ${run.checkpoints.length} checkpoints for run "${run.id}" but the file holds ${h.shape[0]}`, { file });
  if (h.fortran) throw new InpcaInputError("Fortran-order prediction files are not supported in a zoo (save with np.ascontiguousarray)", { file });
  if (h.dtype[1] !== "f") throw new InpcaInputError(`predictions must be floats, found dtype '${h.dtype}'`, { file });
  const need = h.dataStart + h.shape[0]! * S * C * h.itemSize;
  if (size < need) throw new InpcaInputError(`truncated: ${need} bytes expected, ${size} present`, { file });
  return h;
}

export function pointMeta(run: ZooRun, c: ZooCheckpoint, split: string): ModelPoint {
  const p: ModelPoint = { run: run.id, step: c.step, epoch: c.epoch, split, config: run.config, kind: "model" };
  for (const [k, v] of Object.entries(c)) if (k !== "step" && k !== "epoch" && v !== undefined) p[k] = v;
  const err = c[`${split}Error`];
  const loss = c[`${split}Loss`];
  if (typeof err === "number") p.error = err;
  if (typeof loss === "number") p.loss = loss;
  if (run.trained !== undefined) p.trained = run.trained;
  return p;
}

/** Checks decoded rows (float16 rounding allowed); names the file, run, step, sample and class of a bad one. */
export function validateRows(probs: Float32Array, from: number, to: number, C: number, S: number, meta: ModelPoint[], firstRow: number, file: string): void {
  const bad = firstBadRow(probs, from, (to - from) / C, C, sumTolerance(C, true));
  if (!bad) return;
  const p = meta[firstRow + Math.floor(bad.row / S)]!;
  const where = `run "${p.run}", step ${p.step}, sample ${bad.row % S}`;
  if (bad.sum === undefined) throw new InpcaInputError(`${where}, class ${bad.cls}: probability ${bad.value} is not a finite non-negative number`, { file });
  throw new InpcaInputError(`${where}: probabilities sum to ${bad.sum}, not 1`, { file });
}

/**
 * Reads a zoo folder. Runs listed in manifest.json come first; runs still being recorded (runs/<id>.json
 * without a manifest entry) follow. Nothing is read from the prediction files until `predictions` is called.
 */
export function loadZoo(dir: string): Zoo {
  const file = join(dir, "manifest.json");
  if (!existsSync(file)) throw new InpcaInputError("no manifest.json: not a zoo folder", { file: dir });
  // a consolidate running at the same time folds runs/<id>.json into the manifest and then deletes them: when
  // a record vanishes between listing and reading, read the manifest again (it holds the run by then)
  for (let attempt = 0; ; attempt++) {
    const manifest = readManifest(file);
    const records = readRunRecords(join(dir, "runs"));
    if (records === null && attempt < 5) continue;
    // a run's own record is newer than its manifest entry (a run restarted after a consolidate)
    const own = new Map((records ?? []).map((r) => [r.id, r]));
    const runs = manifest.runs.map((r) => own.get(r.id) ?? r);
    const known = new Set(manifest.runs.map((r) => r.id));
    for (const r of records ?? []) if (!known.has(r.id)) runs.push(r);
    return new Zoo(dir, manifest, runs);
  }
}

function readManifest(file: string): ZooManifest {
  let manifest: ZooManifest;
  try {
    manifest = parseJsonChecked(readFileSync(file, "utf8"), file) as ZooManifest;
  } catch (e) {
    if (e instanceof InpcaInputError) throw e;
    throw new InpcaInputError(`invalid JSON: ${(e as Error).message}`, { file, cause: e });
  }
  checkManifest(manifest, file);
  return manifest;
}

/** The runs/<id>.json records, sorted by name; null when one vanished while being read (a consolidate). */
function readRunRecords(runDir: string): ZooRun[] | null {
  if (!existsSync(runDir)) return [];
  const out: ZooRun[] = [];
  for (const name of readdirSync(runDir).filter((n) => n.endsWith(".json")).sort()) {
    const f = join(runDir, name);
    let text: string;
    try {
      text = readFileSync(f, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw new InpcaInputError(`cannot read: ${(e as Error).message}`, { file: f, cause: e });
    }
    let r: ZooRun;
    try {
      r = parseJsonChecked(text, f) as ZooRun;
    } catch (e) {
      if (e instanceof InpcaInputError) throw e;
      throw new InpcaInputError(`invalid JSON: ${(e as Error).message}`, { file: f, cause: e });
    }
    checkRun(r, f);
    out.push(r);
  }
  return out;
}

/** Names used to build paths (run ids, split names): letters, digits and . _ - + =, not "." or "..". */
export const SAFE_NAME = /^(?!\.{1,2}$)[\w.=+-]+$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function checkManifest(m: ZooManifest, file: string): void {
  const fail = (why: string): never => {
    throw new InpcaInputError(why, { file });
  };
  if (!isObject(m)) fail(`the manifest is ${m === null ? "null" : Array.isArray(m) ? "an array" : typeof m}, not a JSON object`);
  if (m.format !== ZOO_FORMAT) fail(`format is ${JSON.stringify(m.format)}, expected "${ZOO_FORMAT}"`);
  if (!(typeof m.version === "number" && m.version >= 1 && m.version <= ZOO_VERSION)) fail(`unsupported zoo version ${JSON.stringify(m.version)} (this library reads up to ${ZOO_VERSION})`);
  if (!isObject(m.dataset) || !Array.isArray(m.dataset.classes) || m.dataset.classes.length < 2) fail("dataset.classes must list at least two class names");
  m.dataset.classes.forEach((c, i) => {
    if (typeof c !== "string") fail(`dataset.classes[${i}] is ${JSON.stringify(c)}, not a string`);
  });
  if (!isObject(m.splits) || Object.keys(m.splits).length === 0) fail("splits must name at least one split with its sample indices");
  for (const [s, v] of Object.entries(m.splits)) {
    if (!SAFE_NAME.test(s)) fail(`split name ${JSON.stringify(s)} must be a name of letters, digits and . _ - + = (it names files)`);
    if (!isObject(v) || !Array.isArray(v.indices)) fail(`splits.${s} must be an object with an array "indices" of sample indices`);
    checkedIntegers(v.indices, (i) => `splits.${s}.indices[${i}]`, { min: 0, file });
  }
  if (!Array.isArray(m.runs)) fail("runs must be an array");
  const ids = new Set<string>();
  m.runs.forEach((r, i) => {
    checkRun(r, file, `runs[${i}]`);
    if (ids.has(r.id)) fail(`run id "${r.id}" appears twice`);
    ids.add(r.id);
  });
}

function checkRun(r: ZooRun, file: string, where = "the run record"): void {
  const fail = (why: string): never => {
    throw new InpcaInputError(why, { file });
  };
  if (!isObject(r)) fail(`${where} is ${JSON.stringify(r)}, not an object`);
  if (typeof r.id !== "string" || !SAFE_NAME.test(r.id)) fail(`run id ${JSON.stringify(r.id)} must be a non-empty name of letters, digits and . _ - + =`);
  if (!Array.isArray(r.checkpoints)) fail(`run "${r.id}": checkpoints must be an array`);
  r.checkpoints.forEach((c, i) => {
    if (!isObject(c)) fail(`run "${r.id}", checkpoint ${i} is ${JSON.stringify(c)}, not an object`);
    if (typeof c.step !== "number" || !Number.isFinite(c.step) || typeof c.epoch !== "number" || !Number.isFinite(c.epoch)) fail(`run "${r.id}", checkpoint ${i}: step and epoch must be numbers`);
  });
  if (r.config === undefined || r.config === null) r.config = {};
  else if (!isObject(r.config)) fail(`run "${r.id}": config must be an object`);
}

// ---------------------------------------------------------------------------------------------------------
// Writing

/** What a zoo folder is about: written once when the folder is created. */
export interface ZooInit {
  /** Dataset name ("Fashion-MNIST"). */
  dataset: string;
  classNames: readonly string[];
  /** Per split: the dataset indices of the evaluation samples and their labels. */
  splits: Record<string, { indices: ArrayLike<number>; labels: ArrayLike<number>; source?: string }>;
  /** Store predictions as float16 (default; half the size, ~5e-4 rounding) or float32. */
  float16?: boolean;
  /** Extra manifest fields (description, threshold used for `trained`, ...). */
  extra?: Record<string, unknown>;
}

/** Header bytes reserved in each run file so the shape can grow in place (NumPy pads headers the same way). */
const RESERVED_HEADER = 128;

function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 1));
}

/**
 * Creates (or reopens) a zoo folder for writing runs one checkpoint at a time. Reopening checks that the
 * dataset, classes and evaluation samples are the same, so a resumed job cannot mix sample sets.
 */
export class ZooWriter {
  readonly dir: string;
  readonly float16: boolean;
  private readonly manifest: ZooManifest;

  private constructor(dir: string, manifest: ZooManifest, float16: boolean) {
    this.dir = dir;
    this.manifest = manifest;
    this.float16 = float16;
  }

  /** Opens `dir` for writing, creating manifest.json and labels.<split>.npy if the folder is new. */
  static open(dir: string, init: ZooInit): ZooWriter {
    // names that become file names are checked before anything is written
    for (const s of Object.keys(init.splits)) {
      if (!SAFE_NAME.test(s)) throw new InpcaInputError(`split name ${JSON.stringify(s)} must be a name of letters, digits and . _ - + = (it names files in the zoo)`, { file: dir });
    }
    if (Object.keys(init.splits).length === 0) throw new InpcaInputError("a zoo needs at least one split", { file: dir });
    mkdirSync(join(dir, "runs"), { recursive: true });
    const splits: Record<string, ZooSplit> = {};
    for (const [s, v] of Object.entries(init.splits)) {
      if (v.indices.length !== v.labels.length) throw new InpcaInputError(`split "${s}": ${v.indices.length} indices but ${v.labels.length} labels`);
      splits[s] = { indices: Array.from(v.indices), ...(v.source ? { source: v.source } : {}) };
    }
    const file = join(dir, "manifest.json");
    let manifest: ZooManifest;
    if (existsSync(file)) {
      manifest = loadZoo(dir).manifest;
      const same = manifest.dataset.name === init.dataset && JSON.stringify(manifest.dataset.classes) === JSON.stringify(init.classNames) && JSON.stringify(manifest.splits) === JSON.stringify(splits);
      if (!same) throw new InpcaInputError("this folder holds a zoo of a different dataset or evaluation samples; choose another folder", { file });
    } else {
      manifest = { format: ZOO_FORMAT, version: ZOO_VERSION, dataset: { name: init.dataset, classes: [...init.classNames] }, splits, ...(init.extra ?? {}), runs: [] };
      for (const [s, v] of Object.entries(init.splits)) writeFileSync(join(dir, `labels.${s}.npy`), writeNpy(Int32Array.from(v.labels), [v.labels.length]));
      writeJsonAtomic(file, manifest);
    }
    return new ZooWriter(dir, manifest, init.float16 !== false);
  }

  /** Ids of runs recorded to the end (in the manifest or in runs/<id>.json with finished: true). */
  finishedRuns(): Set<string> {
    return new Set(loadZoo(this.dir).runs.filter((r) => r.finished !== false).map((r) => r.id));
  }

  /**
   * Starts (or restarts from scratch) recording run `id`; previous partial files of that id are replaced. Only
   * one writer may record a run: a second one (another process, or this one twice) is refused with a message
   * naming the holder (runs/<id>.lock; a lock left by a process that died is taken over).
   */
  startRun(id: string, config: Record<string, ConfigValue>, extra: Record<string, unknown> = {}): RunWriter {
    const run: ZooRun = { id, config, ...extra, checkpoints: [], finished: false };
    checkRun(run, join(this.dir, "runs", `${id}.json`));
    const classes = this.manifest.dataset.classes.length;
    const samples = Object.fromEntries(Object.entries(this.manifest.splits).map(([s, v]) => [s, v.indices.length]));
    const lock = acquireLock(join(this.dir, "runs", `${id}.lock`), `run "${id}"`);
    try {
      return new RunWriter(this.dir, run, samples, classes, this.float16, lock);
    } catch (e) {
      lock.release();
      throw e;
    }
  }

  /**
   * Folds every runs/<id>.json into manifest.json (replacing entries with the same id), sorts runs by
   * `order` (default: as found), applies `update` to each run record, sets the top-level manifest `fields`
   * (e.g. the threshold the trained flags follow, which a resumed zoo must not keep from an older version),
   * and removes the per-run JSON files. Runs still being recorded (their lock is held) are left as they are, so
   * their later checkpoints stay visible; one consolidate at a time (manifest.lock), a second is refused.
   */
  consolidate(order?: (a: ZooRun, b: ZooRun) => number, update?: (run: ZooRun) => void, fields: Record<string, unknown> = {}): ZooManifest {
    const lock = acquireLock(join(this.dir, "manifest.lock"), `the manifest of the zoo ${this.dir}`);
    try {
      const manifest = readManifest(join(this.dir, "manifest.json"));
      const byId = new Map<string, ZooRun>(manifest.runs.map((r) => [r.id, r]));
      const runDir = join(this.dir, "runs");
      const folded: string[] = [];
      for (const n of readdirSync(runDir).filter((x) => x.endsWith(".json"))) {
        const id = n.slice(0, -".json".length);
        if (isLocked(join(runDir, `${id}.lock`))) {
          byId.delete(id); // recording now: its own record stays authoritative
          continue;
        }
        const f = join(runDir, n);
        const r = parseJsonChecked(readFileSync(f, "utf8"), f) as ZooRun;
        checkRun(r, f);
        byId.set(r.id, r);
        folded.push(f);
      }
      const runs = [...byId.values()];
      if (update) runs.forEach(update);
      if (order) runs.sort(order);
      const next = { ...manifest, ...fields, runs };
      writeJsonAtomic(join(this.dir, "manifest.json"), next);
      for (const f of folded) rmSync(f, { force: true });
      return next;
    } finally {
      lock.release();
    }
  }
}

/**
 * Records one run: `append` after each checkpoint, `finish` at the end. Crash-safe: each checkpoint's rows are
 * written and flushed before the .npy headers count them, and the headers before the run's record lists it, so
 * a crash at any point leaves files that inpca and `np.load` read with every checkpoint the record lists; a short
 * write or a full disk raises InpcaInputError and leaves the last consistent state.
 */
export class RunWriter {
  readonly run: ZooRun;
  private readonly fds = new Map<string, number>();
  private readonly dir: string;
  private readonly samples: Record<string, number>;
  private readonly classes: number;
  private readonly float16: boolean;
  private readonly lock: Lock | null;

  constructor(dir: string, run: ZooRun, samples: Record<string, number>, classes: number, float16: boolean, lock: Lock | null = null) {
    this.dir = dir;
    this.run = run;
    this.samples = samples;
    this.classes = classes;
    this.float16 = float16;
    this.lock = lock;
    removeStaleTemporaries(join(dir, "runs"), run.id);
    // the record first (no checkpoints), then fresh files: a crash in between never leaves a record that lists
    // checkpoints its files no longer hold
    this.saveRecord();
    for (const s of Object.keys(samples)) {
      const file = this.file(s);
      writeFileAtomic(file, encodeNpyHeader(this.descr, [0, samples[s]!, classes], RESERVED_HEADER));
      this.fds.set(s, openSync(file, "r+"));
    }
  }

  private get descr(): string {
    return this.float16 ? "<f2" : "<f4";
  }

  private file(split: string): string {
    return join(this.dir, "runs", `${this.run.id}.${split}.npy`);
  }

  /**
   * Appends one checkpoint: `predictions[split]` holds S·C probabilities (row-major [sample][class]) for every
   * split of the zoo. Rows are checked (finite, non-negative, summing to 1 within 1e-3) before anything is written.
   */
  append(checkpoint: ZooCheckpoint, predictions: Record<string, ArrayLike<number>>): void {
    if (this.fds.size === 0) throw new InpcaInputError(`run "${this.run.id}" is closed; start it again to record more`);
    const C = this.classes;
    for (const [s, S] of Object.entries(this.samples)) {
      const p = predictions[s];
      if (!p) throw new InpcaInputError(`run "${this.run.id}", step ${checkpoint.step}: no predictions for split "${s}"`);
      if (p.length !== S * C) throw new InpcaInputError(`run "${this.run.id}", step ${checkpoint.step}, split "${s}": ${p.length} values, expected ${S} samples × ${C} classes`);
      const bad = firstBadRow(p, 0, S, C, FULL_PRECISION_TOLERANCE);
      if (bad) {
        const where = `run "${this.run.id}", step ${checkpoint.step}, split "${s}", sample ${bad.row}`;
        throw new InpcaInputError(bad.sum === undefined ? `${where}: probability ${bad.value}` : `${where}: probabilities sum to ${bad.sum}`);
      }
    }
    const before = this.run.checkpoints.length;
    const itemSize = this.float16 ? 2 : 4;
    // 1. the rows, at their place (after the rows already counted: a failed earlier append is overwritten), flushed
    for (const [s, S] of Object.entries(this.samples)) {
      const p = predictions[s]!;
      const n = S * C;
      let bytes: Uint8Array;
      if (this.float16) {
        const h = new Uint16Array(n);
        for (let i = 0; i < n; i++) h[i] = toFloat16Bits(p[i]!);
        bytes = new Uint8Array(h.buffer);
      } else bytes = new Uint8Array(Float32Array.from(p).buffer);
      this.writeAt(s, bytes, RESERVED_HEADER + before * n * itemSize);
    }
    // 2. the headers count them; 3. the record lists them
    for (const [s, S] of Object.entries(this.samples)) this.writeAt(s, encodeNpyHeader(this.descr, [before + 1, S, C], RESERVED_HEADER), 0);
    this.run.checkpoints.push(checkpoint);
    try {
      this.saveRecord();
    } catch (e) {
      this.run.checkpoints.pop();
      throw e;
    }
  }

  /** Writes all of `bytes` at `offset` of split `s`'s file and flushes it; OS errors name the file. */
  private writeAt(s: string, bytes: Uint8Array, offset: number): void {
    const fd = this.fds.get(s)!;
    try {
      let done = 0;
      while (done < bytes.length) {
        const n = writeSync(fd, bytes, done, bytes.length - done, offset + done);
        if (n <= 0) throw Object.assign(new Error("short write"), { code: "EIO" });
        done += n;
      }
      fsyncSync(fd);
    } catch (e) {
      throw new InpcaInputError(`run "${this.run.id}": cannot write: ${describeOsError(e)}; the run keeps its ${this.run.checkpoints.length} recorded checkpoints`, { file: this.file(s), cause: e });
    }
  }

  /** Marks the run finished with its final fields (trained flag, wall time, backend) and closes the files. */
  finish(fields: Partial<ZooRun> = {}): ZooRun {
    Object.assign(this.run, fields, { finished: true });
    this.saveRecord();
    this.close();
    return this.run;
  }

  /** Closes the files and releases the run's lock without marking it finished (what a crash leaves behind). */
  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
    this.lock?.release();
  }

  private saveRecord(): void {
    writeJsonAtomic(join(this.dir, "runs", `${this.run.id}.json`), this.run);
  }
}

/** Removes temporary files of run `id` left by writers that were killed mid-write (their process is gone). */
function removeStaleTemporaries(runDir: string, id: string): void {
  for (const n of readdirSync(runDir)) {
    // .NAME.tmp-HOST-PID-TIME (stores/atomic.ts tempName); the host is absent in names of earlier versions
    const m = /^\.(.+)\.tmp-(?:[A-Za-z0-9_]+-)?(\d+)-[0-9a-z]+$/.exec(n);
    if (!m || !(m[1] === `${id}.json` || m[1]!.startsWith(`${id}.`))) continue;
    if (!processAlive(Number(m[2]))) rmSync(join(runDir, n), { force: true });
  }
}

/**
 * Writes prediction sets as a zoo folder in one call. `sets` maps split → PredictionSet; all sets must hold
 * the same model-points in the same order (run and step from their meta rows) on their own samples.
 * Checkpoint metrics come from each set's meta `error`/`loss` (stored as `<split>Error`/`<split>Loss`).
 */
export function saveZoo(dir: string, sets: Record<string, PredictionSet>, options: { dataset?: string; float16?: boolean; sampleIds?: Record<string, ArrayLike<number>> } = {}): Zoo {
  const splits = Object.keys(sets);
  if (splits.length === 0) throw new InpcaInputError("saveZoo: no prediction sets given");
  const first = sets[splits[0]!]!;
  for (const s of splits) {
    const set = sets[s]!;
    if (!set.labels) throw new InpcaInputError(`saveZoo: split "${s}" has no labels`);
    if (set.models !== first.models || set.meta.some((p, i) => p.run !== first.meta[i]!.run || p.step !== first.meta[i]!.step)) {
      throw new InpcaInputError(`saveZoo: split "${s}" does not hold the same model-points (run, step) in the same order as "${splits[0]}"`);
    }
    if (set.classes !== first.classes) throw new InpcaInputError(`saveZoo: split "${s}" has ${set.classes} classes, "${splits[0]}" has ${first.classes}`);
  }
  const writer = ZooWriter.open(dir, {
    dataset: options.dataset ?? "unknown",
    classNames: first.classNames,
    float16: options.float16,
    splits: Object.fromEntries(splits.map((s) => {
      const set = sets[s]!;
      const ids = options.sampleIds?.[s] ?? set.sampleIds ?? Array.from({ length: set.samples }, (_, i) => i);
      return [s, { indices: ids, labels: set.labels! }];
    })),
  });
  // runs in order of first appearance, each run's checkpoints in step order (core's one grouping rule)
  for (const { run: id, rows } of rowsByRun(first.meta)) {
    const rw = writer.startRun(id, { ...(first.meta[rows[0]!]!.config ?? {}) });
    for (const i of rows) {
      const p = first.meta[i]!;
      const c: ZooCheckpoint = { step: p.step, epoch: p.epoch ?? p.step };
      for (const s of splits) {
        const q = sets[s]!.meta[i]!;
        if (typeof q.error === "number") c[`${s}Error`] = q.error;
        if (typeof q.loss === "number") c[`${s}Loss`] = q.loss;
      }
      const preds: Record<string, Float32Array> = {};
      for (const s of splits) {
        const set = sets[s]!;
        const n = set.samples * set.classes;
        preds[s] = set.probs.subarray(i * n, (i + 1) * n);
      }
      rw.append(c, preds);
    }
    rw.finish();
  }
  writer.consolidate();
  return loadZoo(dir);
}

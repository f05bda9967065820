/**
 * The zoo format (see read.ts for the folder's layout): the manifest's types, its checks, and the checks of a run's
 * prediction file and rows, shared by the reader (read.ts), the writer (write.ts) and the source (source.ts).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { InpcaInputError } from "../../../core/errors.js";
import { parseJsonChecked } from "../../formats/json-depth.js";
import { checkedIntegers } from "../../../core/integers.js";
import { firstBadRow, sumTolerance } from "../../../core/rows.js";
import type { ConfigValue, ModelPoint } from "../../../core/meta.js";
import type { NpyHeader } from "../../formats/npy.js";

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
  /** Mean cross-entropy (nats) on the train samples. */
  trainLoss?: number;
  /** Error rate in [0, 1] on the test samples. */
  testError?: number;
  /** Mean cross-entropy (nats) on the test samples. */
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
  /** The tfjs backend the run trained on. */
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
  /** Always "inpca-zoo". */
  format: typeof ZOO_FORMAT;
  /** Format version (ZOO_VERSION). */
  version: number;
  /** The dataset's name and its class names (index = label). */
  dataset: {
    /** The dataset's name. */
    name: string;
    /** The class names, index = label. */
    classes: string[];
  };
  /** Each split's evaluation samples. */
  splits: Record<string, ZooSplit>;
  /** Every run, in manifest order. */
  runs: ZooRun[];
  [field: string]: unknown;
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

/** The metadata row of checkpoint `c` of `run` read on `split` (its error and loss on that split, the run's flags). */
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


/** Reads and checks manifest.json (`file`). */
export function readManifest(file: string): ZooManifest {
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
export function readRunRecords(runDir: string): ZooRun[] | null {
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

/** Checks a manifest read from `file` (types, names safe for paths, runs); throws InpcaInputError naming the file. */
export function checkManifest(m: ZooManifest, file: string): void {
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

/** Checks one run entry (of the manifest or a runs/<id>.json record) read from `file`. */
export function checkRun(r: ZooRun, file: string, where = "the run record"): void {
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

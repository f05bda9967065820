/**
 * Writing a zoo (the format: read.ts): a folder created or reopened by `ZooWriter`, runs appended one checkpoint at a
 * time by `RunWriter` (crash-safe: see read.ts), or whole prediction sets in one call (`saveZoo`).
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { InpcaInputError } from "../../../core/errors.js";
import { describeOsError, writeFileAtomic } from "../atomic.js";
import { acquireLock, isLocked, processAlive, type Lock } from "../lock.js";
import { parseJsonChecked } from "../../formats/json-depth.js";
import { firstBadRow, FULL_PRECISION_TOLERANCE } from "../../../core/rows.js";
import { rowsByRun, type ConfigValue } from "../../../core/meta.js";
import { PredictionSet } from "../../../core/prediction-set.js";
import { encodeNpyHeader, toFloat16Bits, writeNpy } from "../../formats/npy.js";
import { checkRun, readManifest, SAFE_NAME, ZOO_FORMAT, ZOO_VERSION, type ZooCheckpoint, type ZooManifest, type ZooRun, type ZooSplit } from "./format.js";
import { loadZoo, Zoo } from "./read.js";

/** What a zoo folder is about: written once when the folder is created. */
export interface ZooInit {
  /** Dataset name ("Fashion-MNIST"). */
  dataset: string;
  /** The class names, index = label. */
  classNames: readonly string[];
  /** Per split: the dataset indices of the evaluation samples and their labels. */
  splits: Record<string, {
    /** The dataset indices of the evaluation samples. */
    indices: ArrayLike<number>;
    /** Their labels. */
    labels: ArrayLike<number>;
    /** Where the samples come from (a file or a description). */
    source?: string;
  }>;
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
  /** The zoo's folder. */
  readonly dir: string;
  /** True when probabilities are stored as float16 (else float32). */
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
  /** The run being written (its record grows with each checkpoint). */
  readonly run: ZooRun;
  private readonly fds = new Map<string, number>();
  private readonly dir: string;
  private readonly samples: Record<string, number>;
  private readonly classes: number;
  private readonly float16: boolean;
  private readonly lock: Lock | null;

  /** The writer of `run` in the zoo at `dir` (use `ZooWriter.startRun`, which takes the run's lock first). */
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